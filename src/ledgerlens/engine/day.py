"""Assembling one day from ingested units: day cut, duplicates, outcome counts.

Adapters give every unit a first outcome (accepted, lineage_only, merged,
quarantined). Here accepted units are cut to the audited day (``out_of_day``
otherwise), exact duplicates are named (``duplicate``), conflicting duplicates
(same trace and span id, other content) are both kept and flagged, and producer
chains are verified on the raw units in file order. Each unit ends with exactly
one outcome, counted per source file and in total.
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import orjson
import polars as pl
import pyarrow.parquet as pq

from ledgerlens.integrity.chain import ChainTip, ChainVerifier
from ledgerlens.record import (
    OUTCOMES,
    commit_text,
    empty_frame,
    record_problem,
    records_frame,
)

__all__ = ["DayIngest", "assemble_day"]

logger = logging.getLogger(__name__)

_BATCH = 20_000
_BATCH_TEXT_CHARS = 64_000_000  # about 64 MB of prompt, response and extra text
_LARGE_COLUMNS = ("input_text", "output_text", "extra")
_LISTED = 200  # units named per kind in findings; the counts are always complete


@dataclass
class DayIngest:
    """The day's records and the account of every unit read.

    Read with sinks, ``records``, ``lineage`` and ``side_units`` are empty: the
    rows went to the sink files as they came. ``formats`` is the format each
    source file's units were read as. The id lists (``duplicates``,
    ``out_of_day``, ``merged``) name the first few hundred of each kind; the
    counts are always complete.
    """

    day: date
    records: pl.DataFrame
    lineage: pl.DataFrame
    side_units: list[dict[str, Any]]
    formats: dict[str, str]
    counts: dict[str, Any]
    chains: list[dict[str, Any]]
    chain_tips: dict[str, Any]
    duplicates: list[dict[str, str]] = field(default_factory=list)
    conflicts: list[dict[str, Any]] = field(default_factory=list)
    out_of_day: list[dict[str, str]] = field(default_factory=list)
    merged: list[dict[str, Any]] = field(default_factory=list)


class _Frames:
    """Rows gathered in batches into frames, so memory stays columnar.

    With a ``sink`` every batch is appended to that Parquet file and released:
    frames built from Python rows hold several times their data size, so a day
    kept in memory would cost far more than the day read back from disk.
    """

    def __init__(self, sink: Path | None = None) -> None:
        self.rows: list[dict[str, Any]] = []
        self.frames: list[pl.DataFrame] = []
        self.sink = sink
        self.writer: pq.ParquetWriter | None = None
        self.text_chars = 0

    def add(self, row: dict[str, Any]) -> None:
        if row.get("extra") is not None and row.get("extra_salt") is None:
            # Unmapped attributes may hold prompt text: sealed only as a commitment.
            _, row["extra_salt"], row["extra_commitment"] = commit_text(row["extra"])
        self.rows.append(row)
        # A batch ends at a row count or, for long prompts, at a text size.
        self.text_chars += sum(len(row.get(c) or "") for c in _LARGE_COLUMNS)
        if len(self.rows) >= _BATCH or self.text_chars >= _BATCH_TEXT_CHARS:
            self.flush()

    def flush(self) -> None:
        if not self.rows:
            return
        frame = records_frame(self.rows)
        self.rows, self.text_chars = [], 0
        if self.sink is None:
            self.frames.append(frame)
            return
        table = frame.to_arrow()
        if self.writer is None:
            self.writer = pq.ParquetWriter(self.sink, table.schema, compression="zstd")
        self.writer.write_table(table)

    def frame(self) -> pl.DataFrame:
        """All rows joined in memory; empty with a sink, which is then complete."""
        self.flush()
        if self.sink is not None:
            if self.writer is None:
                empty_frame().write_parquet(self.sink)
            else:
                self.writer.close()
                self.writer = None
            return empty_frame()
        if not self.frames:
            return empty_frame()
        return pl.concat(self.frames, how="vertical", rechunk=False)


class _SideUnits:
    """Quarantined and out-of-day units, each with its raw bytes.

    With a ``sink`` every unit is written to that JSON Lines file at once, so a
    day of many rejected units (a week of logs given for one day, say) is
    never held in memory.
    """

    def __init__(self, sink: Path | None = None) -> None:
        self.units: list[dict[str, Any]] = []
        self.handle = sink.open("wb") if sink is not None else None

    def add(self, unit: dict[str, Any]) -> None:
        if self.handle is None:
            self.units.append(unit)
        else:
            self.handle.write(orjson.dumps(unit) + b"\n")

    def close(self) -> list[dict[str, Any]]:
        """Close the sink; the units kept in memory (none with a sink)."""
        if self.handle is not None:
            self.handle.close()
        return self.units


class _Listed(list[dict[str, Any]]):
    """A list that keeps only its first entries: findings name a sample."""

    def add(self, entry: dict[str, Any]) -> None:
        if len(self) < _LISTED:
            self.append(entry)


class _Tally:
    """Outcome counts per source file and in total, plus quarantine reasons."""

    def __init__(self) -> None:
        self.by_source: dict[str, Counter[str]] = defaultdict(Counter)
        self.reasons: Counter[str] = Counter()

    def count(self, uri: str, outcome: str, reason: str | None = None) -> None:
        self.by_source[uri][outcome] += 1
        self.by_source[uri]["read"] += 1
        if outcome == "quarantined":
            self.reasons[reason or "unknown"] += 1

    def as_dict(self, sources: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
        total: Counter[str] = Counter()
        rows = []
        for source in sources:
            counts = self.by_source.get(source["uri"], Counter())
            total.update(counts)
            rows.append(
                {**source, "read": counts["read"], **{o: counts[o] for o in OUTCOMES}}
            )
        return {
            "read": total["read"],
            **{o: total[o] for o in OUTCOMES},
            "quarantine_reasons": dict(sorted(self.reasons.items())),
            "by_source": rows,
        }


def assemble_day(
    units: Iterable[Any],
    *,
    day: date,
    zone: ZoneInfo,
    sources: Iterable[Mapping[str, Any]],
    chain_state: Mapping[str, Any],
    on_unit: Callable[[], None] | None = None,
    records_sink: Path | None = None,
    lineage_sink: Path | None = None,
    side_sink: Path | None = None,
) -> DayIngest:
    """Give every unit its final outcome and build the day's frames.

    With sinks, the records and lineage spans go to those Parquet files and the
    side units to that JSON Lines file as they come, so memory holds a batch
    and a few dozen bytes a record, whatever the size of the day.
    """
    records, lineage = _Frames(records_sink), _Frames(lineage_sink)
    side = _SideUnits(side_sink)
    formats: dict[str, str] = {}
    tally = _Tally()
    index = _DayIndex()
    duplicates, out_of_day, merged = _Listed(), _Listed(), _Listed()
    verifier = ChainVerifier(_tips(chain_state))

    for unit in units:
        if on_unit:
            on_unit()
        outcome, reason, record = unit.outcome, unit.reason, unit.record
        formats.setdefault(unit.source_uri, unit.source_format)
        if record is not None and outcome in ("accepted", "lineage_only"):
            problem = record_problem(record)
            if problem is not None:
                outcome, reason = "quarantined", problem
        if unit.chain_object is not None:
            _add_to_chain(verifier, unit)

        # Lineage spans belong to the day they started in, as records do.
        in_a_day = outcome in ("accepted", "lineage_only") and record is not None
        if in_a_day and _day_outcome(record, day, zone) == "out_of_day":
            outcome = "out_of_day"
        if outcome == "accepted" and record is not None:
            if index.is_repeat(record):
                outcome = "duplicate"
                duplicates.add(
                    {
                        "record_id": record["record_id"],
                        "of": record["record_id"],
                        "source": f"{unit.source_uri}@{unit.offset}",
                    }
                )
            else:
                index.note_span(record)
                records.add(record)
        elif outcome == "lineage_only" and record is not None:
            lineage.add(record)

        if outcome == "out_of_day" and record is not None:
            local = record["ts_start"].astimezone(zone).date().isoformat()
            out_of_day.add({"record_id": record["record_id"], "date": local})
        if outcome == "merged":
            merged.add(
                {
                    "source": f"{unit.source_uri}@{unit.offset}#{unit.index}",
                    "into": unit.merged_into,
                }
            )
        if outcome in ("quarantined", "out_of_day"):
            side.add(_side_unit(unit, outcome, reason))
        tally.count(unit.source_uri, outcome, reason)

    verdicts = verifier.finish()
    return DayIngest(
        day=day,
        records=records.frame(),
        lineage=lineage.frame(),
        side_units=side.close(),
        formats=formats,
        counts=tally.as_dict(sources),
        chains=[_verdict_json(v) for v in verdicts],
        chain_tips={
            k: {"seq": t.seq, "hash": t.hash} for k, t in verifier.tips().items()
        },
        duplicates=list(duplicates),
        conflicts=index.conflicts(),
        out_of_day=list(out_of_day),
        merged=list(merged),
    )


def _day_outcome(record: Mapping[str, Any], day: date, zone: ZoneInfo) -> str:
    start: datetime | None = record.get("ts_start")
    if start is None:
        return "accepted"  # the quality suite flags the missing time
    return "accepted" if start.astimezone(zone).date() == day else "out_of_day"


def _digest(*parts: str) -> bytes:
    return hashlib.blake2b("\x00".join(parts).encode(), digest_size=16).digest()


class _DayIndex:
    """Which units and spans the day has seen, kept as 16-byte digests.

    A unit repeats when its record id and raw-bytes hash repeat (an exact
    duplicate: same id, same content). Two records with the same trace and span
    ids but other content are a conflict: both are kept and both are named.
    Digests keep the index to a few dozen bytes a record on a day of millions.
    """

    def __init__(self) -> None:
        self.units: set[bytes] = set()
        self.spans: dict[bytes, Any] = {}  # first (id, content), then a list
        self.names: dict[bytes, tuple[str, str]] = {}

    def is_repeat(self, record: Mapping[str, Any]) -> bool:
        key = _digest(str(record["record_id"]), str(record["source_sha256"]))
        if key in self.units:
            return True
        self.units.add(key)
        return False

    def note_span(self, record: Mapping[str, Any]) -> None:
        trace_id, span_id = record.get("trace_id"), record.get("span_id")
        if not (trace_id and span_id):
            return
        key = _digest(trace_id, span_id)
        entry = (str(record["record_id"]), _digest(str(record["source_sha256"]))[:8])
        seen = self.spans.get(key)
        if seen is None:
            self.spans[key] = entry
        elif isinstance(seen, tuple):
            self.spans[key] = [seen, entry]
            self.names[key] = (trace_id, span_id)
        else:
            seen.append(entry)

    def conflicts(self) -> list[dict[str, Any]]:
        found = []
        for key, (trace_id, span_id) in self.names.items():
            entries = self.spans[key]
            if len({content for _, content in entries}) > 1:
                found.append(
                    {
                        "trace_id": trace_id,
                        "span_id": span_id,
                        "record_ids": [rid for rid, _ in entries],
                    }
                )
        return found


def _add_to_chain(verifier: ChainVerifier, unit: Any) -> None:
    obj = unit.chain_object
    seq, prev, digest = (
        obj.get("chain_seq"),
        obj.get("chain_prev"),
        obj.get("chain_hash"),
    )
    if not (
        type(seq) is int
        and seq >= 0
        and isinstance(prev, str)
        and isinstance(digest, str)
    ):
        # Malformed chain fields: the unit is quarantined by its record check,
        # and the chain shows the gap it leaves.
        return
    verifier.add(
        str(obj.get("chain_id")),
        seq,
        prev,
        digest,
        obj,
        where=f"{unit.source_uri}@{unit.offset}",
    )


def _tips(state: Mapping[str, Any]) -> dict[str, ChainTip]:
    return {k: ChainTip(int(v["seq"]), str(v["hash"])) for k, v in state.items()}


def _verdict_json(verdict: Any) -> dict[str, Any]:
    return {
        "chain_id": verdict.chain_id,
        "records": verdict.records,
        "first_seq": verdict.first_seq,
        "last_seq": verdict.last_seq,
        "ok": verdict.ok,
        "first_broken_seq": verdict.first_broken_seq,
        # A shuffled day breaks a chain at nearly every record: the findings
        # (sealed, and read again for every later day) name the first few.
        "problem_count": len(verdict.problems),
        "problems": [
            {"kind": p.kind, "seq": p.seq, "where": p.where, "detail": p.detail}
            for p in verdict.problems[:_LISTED]
        ],
    }


def _side_unit(unit: Any, outcome: str, reason: str | None) -> dict[str, Any]:
    record = unit.record or {}
    return {
        "outcome": outcome,
        "reason": reason if outcome == "quarantined" else "out_of_day",
        "source_uri": unit.source_uri,
        "source_format": unit.source_format,
        "offset": unit.offset,
        "index": unit.index,
        "record_id": record.get("record_id"),
        "raw_b64": base64.b64encode(unit.raw).decode("ascii"),
        "raw_sha256": record.get("source_sha256")
        or hashlib.sha256(unit.raw).hexdigest(),
    }
