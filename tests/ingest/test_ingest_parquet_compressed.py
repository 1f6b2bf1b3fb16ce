"""Parquet row batches, and gzip / zstd JSON Lines detected by magic bytes."""

from __future__ import annotations

import gzip
import hashlib
from datetime import UTC, datetime
from pathlib import Path

import orjson
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
import zstandard
from ingest_helpers import export_request, read_path, span

from ledgerlens.errors import IngestError
from ledgerlens.ingest import IngestOptions, discover_sources, read_units

_LINES = [
    orjson.dumps({"ts_start": "2024-06-01T10:00:00Z", "model": "m", "input_text": "a"}),
    orjson.dumps({"ts_start": "2024-06-01T10:00:01Z", "model": "m", "input_text": "b"}),
]


def test_parquet_rows_map_known_columns_and_keep_the_rest(tmp_path: Path) -> None:
    table = pa.table(
        {
            "ts_start": pa.array(
                [
                    datetime(2024, 6, 1, 10, tzinfo=UTC),
                    datetime(2024, 6, 1, 11, tzinfo=UTC),
                ],
                pa.timestamp("us", tz="UTC"),
            ),
            "model": ["gpt-4o", "gpt-4o"],
            "tokens_in": pa.array([5, None], pa.int64()),
            "input_text": ["nul\x00inside", "plain"],
            "team": ["search", "ads"],
        }
    )
    path = tmp_path / "calls.parquet"
    pq.write_table(table, path, row_group_size=1)
    units = read_path(path)
    assert [(u.source_format, u.offset, u.outcome) for u in units] == [
        ("parquet", 0, "accepted"),
        ("parquet", 1, "accepted"),
    ]
    first = units[0].record
    assert first is not None
    assert first["ts_start"] == datetime(2024, 6, 1, 10, tzinfo=UTC)
    assert first["tokens_in"] == 5
    assert (
        orjson.loads(first["input_text"])[0]["parts"][0]["content"] == "nul\x00inside"
    )
    assert orjson.loads(first["extra"]) == {"team": "search"}
    assert first["source_sha256"] == hashlib.sha256(units[0].raw).hexdigest()


def test_parquet_naive_timestamps_and_non_finite_values(tmp_path: Path) -> None:
    table = pa.table(
        {
            "ts_start": pa.array(
                [datetime(2024, 6, 1, 12), datetime(2024, 6, 1, 12)], pa.timestamp("us")
            ),
            "cost_usd": [0.5, float("nan")],
        }
    )
    path = tmp_path / "naive.parquet"
    pq.write_table(table, path)
    assert [u.reason for u in read_path(path)] == [
        "naive_timestamp",
        "non_finite_number",
    ]
    units = read_path(path, naive_tz="Europe/Paris")
    assert units[0].record is not None
    assert units[0].record["ts_start"] == datetime(2024, 6, 1, 10, tzinfo=UTC)
    assert (units[1].outcome, units[1].reason) == ("quarantined", "non_finite_number")


@pytest.mark.parametrize("kind", ["gzip", "zstd"])
def test_compressed_json_lines_are_detected_and_hashed_as_stored(
    tmp_path: Path, kind: str
) -> None:
    plain = b"\n".join(_LINES) + b"\n"
    data = gzip.compress(plain) if kind == "gzip" else zstandard.compress(plain)
    path = tmp_path / f"day.jsonl.{'gz' if kind == 'gzip' else 'zst'}"
    path.write_bytes(data)
    (source,) = discover_sources(path)
    assert source.sha256 == hashlib.sha256(data).hexdigest()
    units = list(read_units(source, IngestOptions()))
    assert [(u.source_format, u.offset, u.raw) for u in units] == [
        ("ledgerlens-jsonl", 0, _LINES[0]),
        ("ledgerlens-jsonl", len(_LINES[0]) + 1, _LINES[1]),
    ]


def test_compressed_otlp_json_lines(tmp_path: Path) -> None:
    request = export_request([span({"gen_ai.request.model": "m"})])
    path = tmp_path / "spans.jsonl.gz"
    path.write_bytes(gzip.compress(orjson.dumps(request) + b"\n"))
    (unit,) = read_path(path)
    assert (unit.source_format, unit.outcome) == ("otlp-jsonl", "accepted")


def test_truncated_gzip_fails_with_an_ingest_error(tmp_path: Path) -> None:
    data = gzip.compress(b"\n".join(_LINES * 50) + b"\n")
    path = tmp_path / "cut.jsonl.gz"
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(IngestError, match="not a complete gzip stream"):
        read_path(path, format="ledgerlens-jsonl")
