"""Fixtures for end-to-end runs: generated days, a key pair, a CLI runner."""

from __future__ import annotations

import importlib.util
import os
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from audit_support import PASSWORD, REPO
from click.testing import CliRunner, Result

from ledgerlens.cli import main


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ledgerlens_fixture_generator", REPO / "data_fixtures" / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def generator() -> ModuleType:
    """The fixture generator in data_fixtures/, loaded by path."""
    return _generator()


@pytest.fixture(scope="session")
def week(tmp_path_factory: pytest.TempPathFactory, generator: ModuleType) -> Path:
    """Four generated days of canonical JSONL, 80 records each, no drift."""
    root = tmp_path_factory.mktemp("week")
    generator.generate_days(
        root,
        start=date(2026, 11, 23),
        days=4,
        records_per_day=80,
        seed=11,
        drift_day=None,
        fmt="ledgerlens-jsonl",
    )
    return root


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A managed key pair made through the CLI."""
    folder = tmp_path_factory.mktemp("keys")
    result = CliRunner().invoke(
        main,
        ["keygen", "--out", str(folder)],
        env={"LEDGERLENS_KEY_PASSWORD": PASSWORD},
    )
    assert result.exit_code == 0, result.output
    return folder / "ledgerlens-signing.key", folder / "ledgerlens-signing.pub"


@pytest.fixture
def cli(monkeypatch: pytest.MonkeyPatch) -> Iterator[Callable[..., Result]]:
    """Invoke the CLI in-process with the key passphrase set and no config file."""
    monkeypatch.setenv("LEDGERLENS_KEY_PASSWORD", PASSWORD)
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    for name in list(os.environ):
        if name.startswith("LEDGERLENS_") and name != "LEDGERLENS_KEY_PASSWORD":
            monkeypatch.delenv(name)

    def invoke(*args: Any) -> Result:
        return CliRunner().invoke(main, [str(a) for a in args], catch_exceptions=False)

    yield invoke
