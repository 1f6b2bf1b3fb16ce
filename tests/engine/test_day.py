"""Assembling a day: one outcome per unit, day cut in the store's zone, duplicates."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import polars as pl
import pytest

from ledgerlens.engine.day import assemble_day
from ledgerlens.record import RECORD_COLUMNS


@dataclass(frozen=True)
class _Unit:
    source_uri: str
    outcome: str
    record: dict[str, Any] | None
    reason: str | None = None
    source_format: str = "ledgerlens-jsonl"
    offset: int = 0
    index: int = 0
    raw: bytes = b"{}"
    chain_object: dict[str, Any] | None = None
    merged_into: str | None = None


def _record(record_id: str, start: datetime, sha: str = "aa", span: str = "s1") -> dict:
    row: dict[str, Any] = dict.fromkeys(RECORD_COLUMNS)
    row |= {
        "record_id": record_id,
        "ts_start": start,
        "ts_end": start,
        "source_sha256": sha,
        "trace_id": "t1",
        "span_id": span,
        "retrieval": [],
        "policy_results": [],
    }
    return row


SOURCES = [
    {"uri": "a", "sha256": "0", "bytes": 0},
    {"uri": "b", "sha256": "1", "bytes": 0},
]
NOON = datetime(2026, 11, 23, 12, tzinfo=UTC)


def _assemble(  # type: ignore[no-untyped-def]
    units: list[_Unit], zone: str = "UTC", sinks: Path | None = None
):
    """Assemble 2026-11-23; with ``sinks``, rows go to files in that folder."""
    return assemble_day(
        units,
        day=date(2026, 11, 23),
        zone=ZoneInfo(zone),
        sources=SOURCES,
        chain_state={},
        records_sink=sinks / "records.parquet" if sinks else None,
        lineage_sink=sinks / "lineage.parquet" if sinks else None,
        side_sink=sinks / "side.jsonl" if sinks else None,
    )


def test_every_unit_gets_one_outcome_and_the_counts_balance() -> None:
    units = [
        _Unit("a", "accepted", _record("r1", NOON, span="s1")),
        _Unit("a", "accepted", _record("r1", NOON, span="s1")),  # exact repeat
        _Unit(
            "a",
            "accepted",
            _record("r2", datetime(2026, 11, 24, 1, tzinfo=UTC), span="s2"),
        ),  # next day
        _Unit("b", "quarantined", None, reason="invalid_json", raw=b"{oops"),
        _Unit("b", "lineage_only", _record("r3", NOON, span="s3")),
    ]

    day = _assemble(units)

    assert day.counts["read"] == 5
    assert (
        day.counts["accepted"],
        day.counts["duplicate"],
        day.counts["out_of_day"],
        day.counts["quarantined"],
        day.counts["lineage_only"],
    ) == (1, 1, 1, 1, 1)
    by_source = {row["uri"]: row for row in day.counts["by_source"]}
    assert by_source["a"]["read"] == 3 and by_source["b"]["read"] == 2
    assert day.duplicates == [{"record_id": "r1", "of": "r1", "source": "a@0"}]
    assert day.out_of_day == [{"record_id": "r2", "date": "2026-11-24"}]
    assert day.counts["quarantine_reasons"] == {"invalid_json": 1}
    assert [u["outcome"] for u in day.side_units] == ["out_of_day", "quarantined"]
    assert day.records["record_id"].to_list() == ["r1"]
    assert day.lineage["record_id"].to_list() == ["r3"]


def test_conflicting_duplicates_are_both_kept_and_flagged() -> None:
    units = [
        _Unit("a", "accepted", _record("r1", NOON, sha="aa", span="s1")),
        _Unit("a", "accepted", _record("r9", NOON, sha="bb", span="s1")),
    ]

    day = _assemble(units)

    assert day.records.height == 2
    assert day.conflicts == [
        {"trace_id": "t1", "span_id": "s1", "record_ids": ["r1", "r9"]}
    ]


def test_the_same_span_id_in_two_traces_is_no_duplicate() -> None:
    other = _record("r2", NOON, sha="bb", span="s1") | {"trace_id": "t2"}
    units = [
        _Unit("a", "accepted", _record("r1", NOON, span="s1")),
        _Unit("a", "accepted", other),
    ]

    day = _assemble(units)

    assert day.records.height == 2
    assert day.conflicts == []


def test_the_day_is_cut_in_the_store_zone() -> None:
    # 23:30 UTC on the 22nd is 00:30 on the 23rd in Berlin.
    late = datetime(2026, 11, 22, 23, 30, tzinfo=UTC)

    in_utc = _assemble([_Unit("a", "accepted", _record("r1", late))])
    in_berlin = _assemble(
        [_Unit("a", "accepted", _record("r1", late))], "Europe/Berlin"
    )

    assert in_utc.counts["out_of_day"] == 1
    assert in_berlin.counts["accepted"] == 1


def test_a_merged_unit_names_the_record_it_joined() -> None:
    units = [
        _Unit("a", "accepted", _record("r1", NOON)),
        _Unit("a", "merged", None, offset=7, merged_into="r1"),
    ]

    day = _assemble(units)

    assert day.counts["merged"] == 1
    assert day.merged == [{"source": "a@7#0", "into": "r1"}]


def test_with_sinks_every_row_and_rejected_unit_goes_to_its_file(
    tmp_path: Path,
) -> None:
    late = datetime(2026, 11, 24, 1, tzinfo=UTC)
    units = [
        _Unit("a", "accepted", _record(f"r{i}", NOON, sha=f"{i}", span=f"s{i}"))
        for i in range(3)
    ] + [
        _Unit("b", "accepted", _record(f"late{i}", late, span=f"l{i}"), offset=i)
        for i in range(250)
    ]
    units.append(_Unit("b", "quarantined", None, reason="invalid_json", raw=b"{x"))

    day = _assemble(units, sinks=tmp_path)

    side = [orjson.loads(line) for line in (tmp_path / "side.jsonl").open("rb")]
    assert len(side) == day.counts["out_of_day"] + day.counts["quarantined"] == 251
    assert side[-1]["raw_b64"] == base64.b64encode(b"{x").decode()
    assert day.side_units == [] and day.records.height == 0
    assert pl.read_parquet(tmp_path / "records.parquet")["record_id"].to_list() == [
        "r0",
        "r1",
        "r2",
    ]
    assert pl.read_parquet(tmp_path / "lineage.parquet").height == 0
    # Findings name a sample of each kind; the count stays whole.
    assert len(day.out_of_day) == 200 and day.counts["out_of_day"] == 250
    assert day.formats == {"a": "ledgerlens-jsonl", "b": "ledgerlens-jsonl"}


def test_a_chain_broken_at_every_record_names_the_first_200_problems() -> None:
    """Regression: a shuffled day wrote every chain problem to the findings."""
    units = [
        _Unit(
            "a",
            "accepted",
            _record(f"r{i}", NOON, sha=f"{i}", span=f"s{i}"),
            offset=i,
            chain_object={
                "chain_id": "worker-1",
                "chain_seq": i,
                "chain_prev": "not the previous hash",
                "chain_hash": f"{i:064x}",
            },
        )
        for i in range(300)
    ]

    day = _assemble(units)

    (chain,) = day.chains
    assert not chain["ok"]
    assert chain["problem_count"] >= 300
    assert len(chain["problems"]) == 200
    assert chain["problems"][0]["seq"] == 0


def test_a_lineage_span_of_another_day_is_out_of_day_too() -> None:
    """Regression: lineage spans were sealed into whatever day was audited."""
    late = datetime(2026, 11, 24, 1, tzinfo=UTC)
    units = [
        _Unit("a", "lineage_only", _record("p1", NOON, span="p1")),
        _Unit("a", "lineage_only", _record("p2", late, span="p2"), offset=1),
    ]

    day = _assemble(units)

    assert (day.counts["lineage_only"], day.counts["out_of_day"]) == (1, 1)
    assert day.lineage["record_id"].to_list() == ["p1"]
    assert day.out_of_day == [{"record_id": "p2", "date": "2026-11-24"}]
    assert [u["record_id"] for u in day.side_units] == ["p2"]


def test_a_batch_of_long_prompts_is_written_before_its_row_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import pyarrow.parquet as pq

    from ledgerlens.engine import day as day_module

    monkeypatch.setattr(day_module, "_BATCH_TEXT_CHARS", 100)
    units = [
        _Unit("a", "accepted", _record(f"r{i}", NOON, sha=f"{i}", span=f"s{i}"))
        for i in range(5)
    ]
    for unit in units:
        assert unit.record is not None
        unit.record["input_text"] = "x" * 60

    _assemble(units, sinks=tmp_path)

    written = pq.ParquetFile(tmp_path / "records.parquet")
    sizes = [written.metadata.row_group(i).num_rows for i in range(3)]
    assert written.metadata.num_row_groups == 3 and sizes == [2, 2, 1]
