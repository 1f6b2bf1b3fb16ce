"""The gate as a Prefect flow (``--orchestrate``) on the temporary local server."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path


def test_a_hold_is_a_completed_flow(
    make_day: Callable[..., Path], tmp_path: Path
) -> None:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_", "LEDGERLENS_"))
    }
    env |= {
        "PREFECT_HOME": str(tmp_path / "prefect"),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    result = subprocess.run(
        [
            sys.executable, "-m", "ledgerlens", "gate",
            "--baseline", str(make_day(1, records=40)),
            "--candidate", str(make_day(2, records=40)),
            "--out", str(tmp_path / "out"), "--no-sign", "--orchestrate",
        ],
        env=env, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip

    assert result.returncode == 4, result.stderr
    assert "decision: hold" in result.stdout.splitlines()
    record = json.loads((tmp_path / "out" / "gate-decision.json").read_text())
    assert record["decision"] == "hold"
    with sqlite3.connect(tmp_path / "prefect" / "prefect.db") as db:
        flows = db.execute("select name, state_type from flow_run").fetchall()
        tasks = db.execute("select name, state_type from task_run").fetchall()
    assert [state for _, state in flows] == ["COMPLETED"]
    assert sorted(name.rsplit("-", 1)[0] for name, _ in tasks) == [
        "gate-evaluate",
        "gate-load",
        "gate-render",
        "gate-sign",
    ]
    assert {state for _, state in tasks} == {"COMPLETED"}
