"""A real store to tamper with: three generated days audited through the CLI."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from click.testing import CliRunner, Result

from ledgerlens.cli import main

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "verification-test-passphrase"
ORIGIN = "ledgerlens/verification-tests"
DAYS = ("2026-11-23", "2026-11-24", "2026-11-25")

Cli = Callable[..., Result]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ledgerlens_fixture_generator", REPO / "data_fixtures" / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _keygen(folder: Path) -> tuple[Path, Path]:
    result = CliRunner().invoke(
        main, ["keygen", "--out", str(folder)], env={"LEDGERLENS_KEY_PASSWORD": ""}
    )
    assert result.exit_code == 0, result.output
    return folder / "ledgerlens-signing.key", folder / "ledgerlens-signing.pub"


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The store's managed key pair (unencrypted, for tests only)."""
    return _keygen(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="session")
def other_keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A second key pair: a forger's, or a witness's."""
    return _keygen(tmp_path_factory.mktemp("other-keys"))


@pytest.fixture(scope="session")
def sealed_store(
    tmp_path_factory: pytest.TempPathFactory, keys: tuple[Path, Path]
) -> Path:
    """Three days of 40 generated records, audited and sealed, signed by ``keys``."""
    logs = tmp_path_factory.mktemp("logs")
    _generator().generate_days(
        logs,
        start=date.fromisoformat(DAYS[0]),
        days=len(DAYS),
        records_per_day=40,
        seed=5,
        drift_day=None,
        fmt="ledgerlens-jsonl",
    )
    root = tmp_path_factory.mktemp("audited")
    for day in DAYS:
        result = CliRunner().invoke(
            main,
            [
                "audit",
                "--logs",
                str(logs / day),
                "--date",
                day,
                "--store",
                str(root / "store"),
                "--out",
                str(root / "out"),
                "--origin",
                ORIGIN,
                "--signing-key",
                str(keys[0]),
            ],
            env={"LEDGERLENS_KEY_PASSWORD": ""},
        )
        # Drift may fail the verdict of such small days; only sealing matters.
        assert result.exit_code in (0, 1), result.output
        assert "sealed:" in result.output, result.output
    return root / "store"


@pytest.fixture
def store_copy(sealed_store: Path, tmp_path: Path) -> Path:
    """A private copy of the sealed store, free to damage."""
    target = tmp_path / "store"
    shutil.copytree(sealed_store, target)
    return target


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """Invoke the CLI in-process with no config file and no stray settings."""
    monkeypatch.setenv("LEDGERLENS_KEY_PASSWORD", "")
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    for name in list(__import__("os").environ):
        if name.startswith("LEDGERLENS_") and name != "LEDGERLENS_KEY_PASSWORD":
            monkeypatch.delenv(name)

    def invoke(*args: Any) -> Result:
        return CliRunner().invoke(main, [str(a) for a in args])

    yield invoke
