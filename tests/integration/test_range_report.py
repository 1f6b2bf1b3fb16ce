"""``ledgerlens report``: every day re-verified before it is reported."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from audit_support import PASSWORD
from click.testing import CliRunner, Result

from ledgerlens.cli import main

Cli = Callable[..., Result]


@pytest.fixture(scope="module")
def store(
    tmp_path_factory: pytest.TempPathFactory, week: Path, keys: tuple[Path, Path]
) -> Path:
    """Two consecutive days and a third after a gap, all signed."""
    root = tmp_path_factory.mktemp("range")
    for day in ("2026-11-23", "2026-11-24", "2026-11-26"):
        result = CliRunner().invoke(
            main,
            [
                "audit",
                "--logs",
                str(week / day),
                "--date",
                day,
                "--store",
                str(root / "store"),
                "--out",
                str(root / "out"),
                "--signing-key",
                str(keys[0]),
            ],
            env={"LEDGERLENS_KEY_PASSWORD": PASSWORD},
        )
        assert result.exit_code in (0, 1), result.output
    return root / "store"


def _range(out: Path, first: str, last: str) -> dict:
    folder = out / f"range-{first}_{last}"
    return json.loads((folder / "range-findings.json").read_text())


def test_a_gap_in_the_range_is_named_and_fails(
    cli: Cli, store: Path, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    result = cli(
        "report",
        "--from",
        "2026-11-23",
        "--to",
        "2026-11-26",
        "--store",
        store,
        "--out",
        tmp_path,
        "--signing-key",
        keys[0],
    )

    findings = _range(tmp_path, "2026-11-23", "2026-11-26")
    assert result.exit_code == 1
    assert "no seal for 2026-11-25" in result.output
    assert findings["missing_days"] == ["2026-11-25"]
    assert [d["date"] for d in findings["days"]] == [
        "2026-11-23",
        "2026-11-24",
        "2026-11-26",
    ]
    assert all(d["reverified"] for d in findings["days"])
    assert findings["totals"]["read"] == 3 * 80


def test_the_range_report_is_signed_and_verifies(
    cli: Cli, store: Path, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    cli(
        "report",
        "--from",
        "2026-11-23",
        "--to",
        "2026-11-24",
        "--store",
        store,
        "--out",
        tmp_path,
        "--signing-key",
        keys[0],
    )
    folder = tmp_path / "range-2026-11-23_2026-11-24"

    verified = cli("verify", folder, "--key", keys[1])

    assert verified.exit_code == 0, verified.output
    assert "ok        range-report.pdf" in verified.output


def test_a_tampered_day_is_reported_as_not_reverified(
    cli: Cli, store: Path, tmp_path: Path, keys: tuple[Path, Path]
) -> None:
    copy = tmp_path / "store"
    shutil.copytree(store, copy)
    findings = copy / "seals" / "000002-2026-11-24" / "findings.json"
    findings.write_text(
        findings.read_text().replace('"verdict": "fail"', '"verdict": "pass"', 1) + " "
    )

    result = cli(
        "report",
        "--from",
        "2026-11-23",
        "--to",
        "2026-11-24",
        "--store",
        copy,
        "--out",
        tmp_path / "out",
        "--signing-key",
        keys[0],
    )

    days = {
        d["date"]: d
        for d in _range(tmp_path / "out", "2026-11-23", "2026-11-24")["days"]
    }
    assert result.exit_code == 1
    assert days["2026-11-23"]["reverified"] is True
    assert days["2026-11-24"]["reverified"] is False
    assert any("findings.json changed" in p for p in days["2026-11-24"]["problems"])
