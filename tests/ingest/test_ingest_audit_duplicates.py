"""End to end through `ledgerlens audit`: exact vs conflicting duplicates.

Regression test for issue 3's "nothing lost" rule: an exact duplicate is named
and not stored twice; two units with the same trace and span id but different
content are both kept and flagged; the same span id in another trace is no
duplicate at all.
"""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import polars as pl
import pytest
from click.testing import CliRunner

from ledgerlens.cli import main

_TRACE, _SPAN, _OTHER_TRACE = "aa" * 16, "bb" * 8, "cc" * 16
_BASE = {
    "ts_start": "2026-11-20T10:00:00Z",
    "model": "m",
    "provider": "openai",
    "input_text": "question",
    "output_text": "answer",
    "trace_id": _TRACE,
    "span_id": _SPAN,
}


@pytest.mark.slow
def test_audit_keeps_and_flags_conflicting_duplicates(tmp_path: Path) -> None:
    lines = [
        _BASE,
        _BASE,  # an exact duplicate
        {**_BASE, "output_text": "another answer"},  # same ids, other content
        {**_BASE, "trace_id": _OTHER_TRACE},  # same span id, another trace
        {**_BASE, "span_id": "dd" * 8, "ts_start": "2026-11-21T00:00:01Z"},
    ]
    logs = tmp_path / "logs"
    logs.mkdir()
    (logs / "day.jsonl").write_bytes(b"\n".join(orjson.dumps(x) for x in lines) + b"\n")
    store, out = tmp_path / "store", tmp_path / "out"

    result = CliRunner().invoke(
        main,
        ["audit", "--logs", str(logs), "--date", "2026-11-20", "--store", str(store)]
        + ["--out", str(out), "--origin", "test/duplicates", "--no-sign"],
    )
    assert result.exit_code in (0, 1), result.output
    findings = json.loads((out / "2026-11-20" / "findings.json").read_text())

    counts = findings["counts"]
    assert (counts["read"], counts["accepted"], counts["duplicate"]) == (5, 3, 1)
    assert counts["out_of_day"] == 1
    (source,) = counts["by_source"]
    outcomes = ("accepted", "merged", "duplicate", "lineage_only", "out_of_day")
    assert source["read"] == sum(source[o] for o in (*outcomes, "quarantined"))

    (conflict,) = findings["conflicts"]
    assert (conflict["trace_id"], conflict["span_id"]) == (_TRACE, _SPAN)
    assert len(set(conflict["record_ids"])) == 2
    (duplicate,) = findings["duplicates"]
    assert duplicate["of"] == conflict["record_ids"][0]
    check = next(
        c
        for c in findings["checks"]
        if c["check_id"] == "ingest.conflicting_duplicates"
    )
    assert check["passed"] is False

    sealed = pl.read_parquet(next((store / "records").rglob("*.parquet")))
    assert sealed.height == 3
    kept = sealed.filter(pl.col("span_id") == _SPAN)
    assert sorted(kept["trace_id"].to_list()) == [_TRACE, _TRACE, _OTHER_TRACE]
    assert set(conflict["record_ids"]) <= set(kept["record_id"].to_list())
