"""Helpers shared by the gate tests: reading a side, injecting a regression."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import polars as pl

from ledgerlens.ingest import IngestOptions, discover_sources, read_units
from ledgerlens.record import records_frame

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "gate-test-passphrase"


def load_frame(path: Path) -> pl.DataFrame:
    """The accepted records of a log file, as the gate reads them."""
    rows = [
        unit.record
        for source in discover_sources(path)
        for unit in read_units(source, IngestOptions())
        if unit.outcome == "accepted" and unit.record is not None
    ]
    return records_frame(rows)


def regress(source: Path, target: Path) -> Path:
    """Copy a day, made worse: 1.6x slower, more refusals, more policy blocks.

    Every 8th answered call becomes a content-filter refusal and every 16th
    gets a ``content-safety`` block (itself a refusal too), on top of what the
    generator drew.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    lines = []
    for index, line in enumerate(source.read_text().splitlines()):
        record: dict[str, Any] = json.loads(line)
        record["latency_ms"] = round(record["latency_ms"] * 1.6, 3)
        if record.get("status") == "ok" and index % 8 == 0:
            record["finish_reason"] = "content_filter"
        if record.get("policy_results") and index % 16 == 1:
            record["policy_results"][-1]["outcome"] = "block"
        lines.append(json.dumps(record, sort_keys=True))
    target.write_text("\n".join(lines) + "\n")
    return target


def load_generator() -> ModuleType:
    """The fixture generator in ``data_fixtures/``, loaded by path."""
    name = "ledgerlens_gate_fixture_generator"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(
        name, REPO / "data_fixtures" / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
