"""The checks' input: only the columns they read, text as its length, read in
batches that join to exactly the day."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from ledgerlens._resources import packaged_dir
from ledgerlens.engine.check_input import (
    check_columns,
    lineage_summary,
    read_for_checks,
)
from ledgerlens.record import check_frame, records_frame

_START = datetime(2026, 11, 20, 9, tzinfo=UTC)


def _day(count: int) -> pl.DataFrame:
    return records_frame(
        [
            {
                "record_id": f"r-{i:04d}",
                "ts_start": _START + timedelta(seconds=i),
                "input_text": "é" * i,
                "output_text": None if i % 3 else "answer",
                "extra": '{"secret": "do not read"}',
                "model": "m",
                "tokens_in": i,
                "status": "ok",
                "retrieval": [{"doc_id": f"d{i}", "source": "kb"}],
                "policy_results": [],
            }
            for i in range(250)
        ]
    )


def test_the_packaged_checks_read_no_content_column() -> None:
    columns = check_columns(packaged_dir("checks") / "quality.json")

    assert {"record_id", "input_text", "output_text", "latency_ms"} <= set(columns)
    assert not {"extra", "input_salt", "input_commitment"} & set(columns)


def test_a_day_read_from_its_file_is_the_day_with_text_as_lengths(
    tmp_path: Path,
) -> None:
    path = tmp_path / "records.parquet"
    day = _day(250)
    day.write_parquet(path, row_group_size=40)
    columns = check_columns(packaged_dir("checks") / "quality.json")

    frame = read_for_checks(path, columns)

    assert frame.equals(check_frame(day.select(columns)))
    assert frame["input_chars"].to_list() == list(range(250))
    assert "input_text" not in frame.columns


def test_an_empty_day_gives_an_empty_frame_of_the_same_columns(
    tmp_path: Path,
) -> None:
    path = tmp_path / "records.parquet"
    records_frame([]).write_parquet(path)
    columns = check_columns(packaged_dir("checks") / "quality.json")

    frame = read_for_checks(path, columns)

    assert frame.height == 0
    assert frame.schema == check_frame(_day(1).select(columns)).schema


def test_the_lineage_tallies_count_each_value_and_order_by_count(
    tmp_path: Path,
) -> None:
    path = tmp_path / "records.parquet"
    rows = [
        {
            "provider": "openai",
            "model": "gpt-4o",
            "prompt_template_id": "t",
            "prompt_template_version": "2",
            "retrieval": [{"source": "kb"}, {"source": "web"}, None],
        },
        {
            "provider": "openai",
            "model": "gpt-4o",
            "prompt_template_id": "t",
            "retrieval": [{"source": "kb"}, {"doc_id": "no source"}],
        },
        {"provider": "anthropic", "prompt_template_version": "9", "retrieval": []},
        {"provider": None, "retrieval": None},
    ]
    records_frame(
        [{"retrieval": [], "policy_results": [], **row} for row in rows]
    ).write_parquet(path)

    summary = lineage_summary(path)

    assert summary == {
        "providers": {"openai": 2, "anthropic": 1},
        "models": {"gpt-4o": 2},
        "model_versions": {},
        "prompt_templates": {"t": 1, "t@2": 1},
        "retrieval_sources": {"kb": 2, "web": 1},
    }
    assert list(summary["providers"]) == ["openai", "anthropic"]
