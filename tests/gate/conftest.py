"""Fixtures for the gate tests: generated days of traffic, edited to regress.

Every side is a day written by ``data_fixtures/generate.py`` (canonical JSONL);
a regression is injected by editing those lines, as a producer's logs of a
worse candidate would read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest
from gate_support import PASSWORD, load_generator

from ledgerlens.signing import keygen

RECORDS = 3000


@pytest.fixture(scope="session")
def make_day(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Write (once per arguments) a generated day; return its JSONL file."""
    generator = load_generator()
    root = tmp_path_factory.mktemp("gate-days")
    made: dict[tuple[int, int], Path] = {}

    def make(seed: int, records: int = RECORDS) -> Path:
        if (seed, records) not in made:
            out = root / f"seed{seed}-n{records}"
            summary = generator.stream_day(
                out / "calls.jsonl",
                day=date(2026, 11, 23),
                records=records,
                seed=seed,
            )
            made[(seed, records)] = Path(summary.path)
        return made[(seed, records)]

    return make


@pytest.fixture(scope="session")
def keys(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A managed key pair."""
    paths = keygen(tmp_path_factory.mktemp("gate-keys"), PASSWORD.encode())
    return paths.private_key, paths.public_key
