"""The integrity commands stay light: no Prefect, Great Expectations, Evidently."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import REPO

_PROGRAM = """
import sys
from click.testing import CliRunner
import ledgerlens.cli
result = CliRunner().invoke(ledgerlens.cli.main, sys.argv[1:])
heavy = sorted(
    m for m in ("prefect", "great_expectations", "evidently") if m in sys.modules
)
print(result.exit_code, ",".join(heavy) or "none")
"""


def _run(*args: object) -> str:
    done = subprocess.run(
        [sys.executable, "-c", _PROGRAM, *map(str, args)],
        capture_output=True,
        text=True,
        check=True,
        cwd=REPO,
        env={"LEDGERLENS_KEY_PASSWORD": "", "PATH": "/usr/bin:/bin"},
    )
    return done.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(
    "command",
    [
        ["verify-store", "--store", "{store}", "--key", "{pub}"],
        ["prove", "--store", "{store}", "--record-id", "{rid}", "--out", "{out}"],
        ["consistency", "--store", "{store}", "--from-size", "41", "--out", "{out}"],
        ["verify-chain", str(REPO / "data_fixtures" / "tampered" / "original.jsonl")],
    ],
    ids=lambda c: c[0],
)
def test_an_integrity_command_imports_no_heavy_library(
    command: list[str],
    sealed_store: Path,
    keys: tuple[Path, Path],
    tmp_path: Path,
) -> None:
    import polars as pl

    rid = pl.read_parquet(
        sealed_store / "records" / "date=2026-11-23" / "part-000001.parquet"
    )["record_id"][0]
    values = {
        "store": sealed_store,
        "pub": keys[1],
        "rid": rid,
        "out": tmp_path / "out.json",
    }

    line = _run(*(part.format(**values) for part in command))

    assert line == "0 none"


def test_check_proof_imports_no_heavy_library(
    sealed_store: Path, keys: tuple[Path, Path], tmp_path: Path
) -> None:
    import polars as pl

    rid = pl.read_parquet(
        sealed_store / "records" / "date=2026-11-23" / "part-000001.parquet"
    )["record_id"][0]
    proof = tmp_path / "proof.json"
    assert _run("prove", "--store", sealed_store, "--record-id", rid, "--out", proof)

    assert _run("check-proof", proof, "--key", keys[1]) == "0 none"
