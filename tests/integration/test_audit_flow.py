"""The same audit as a Prefect flow, on Prefect's temporary local server."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

MARKER = "prompt-marker-4f1c9e"


@pytest.fixture(scope="module")
def orchestrated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """An empty day audited with --orchestrate in a fresh PREFECT_HOME.

    An empty day fails its verdict (no data): the flow must still complete.
    """
    root = tmp_path_factory.mktemp("flow")
    logs = root / "logs"
    logs.mkdir()
    (logs / "calls.jsonl").write_text(
        json.dumps(
            {"ts_start": "2026-11-29T10:00:00Z", "model": "m", "input_text": MARKER}
        )
        + "\n"
    )
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("PREFECT_", "LEDGERLENS_"))
    }
    env |= {
        "PREFECT_HOME": str(root / "prefect"),
        "DO_NOT_TRACK": "1",
        "PREFECT_SERVER_ANALYTICS_ENABLED": "false",
    }
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "ledgerlens",
            "audit",
            "--logs",
            str(logs),
            "--date",
            "2026-11-30",
            "--store",
            str(root / "store"),
            "--out",
            str(root / "out"),
            "--no-sign",
            "--orchestrate",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    return {"root": root, "result": result}


def test_a_failed_verdict_is_a_completed_flow(orchestrated: dict[str, object]) -> None:
    root = orchestrated["root"]
    result = orchestrated["result"]
    assert isinstance(root, Path) and isinstance(result, subprocess.CompletedProcess)

    assert result.returncode == 1, result.stderr
    assert "verdict: fail" in result.stdout
    with sqlite3.connect(root / "prefect" / "prefect.db") as db:
        flows = db.execute("select state_type from flow_run").fetchall()
        tasks = db.execute("select name, state_type from task_run").fetchall()
    assert flows == [("COMPLETED",)]
    assert sorted(name.rsplit("-", 1)[0] for name, _ in tasks) == [
        "check",
        "ingest",
        "render",
        "seal",
        "sign",
    ]
    assert {state for _, state in tasks} == {"COMPLETED"}


def test_the_flow_accounts_for_every_unit(orchestrated: dict[str, object]) -> None:
    root = orchestrated["root"]
    assert isinstance(root, Path)

    findings = json.loads((root / "out" / "2026-11-30" / "findings.json").read_text())

    assert findings["counts"]["read"] == 1
    assert findings["counts"]["out_of_day"] == 1
    assert findings["integrity"]["records"] == 0
    assert findings["integrity"]["tree_size"] == 1


def test_no_prompt_text_reaches_prefect_or_the_output(
    orchestrated: dict[str, object],
) -> None:
    root = orchestrated["root"]
    result = orchestrated["result"]
    assert isinstance(root, Path) and isinstance(result, subprocess.CompletedProcess)

    database = b"".join(p.read_bytes() for p in (root / "prefect").glob("prefect.db*"))
    assert MARKER.encode() not in database
    assert MARKER not in result.stdout + result.stderr
    for path in (root / "out").rglob("*"):
        if path.is_file():
            assert MARKER.encode() not in path.read_bytes(), path
