"""Nothing lost: every hard case gets its own precise outcome, counts balance."""

from __future__ import annotations

import hashlib
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import polars as pl
from ingest_helpers import export_request, read_path, span, write_lines

from ledgerlens.ingest import Unit
from ledgerlens.integrity.leaf import leaf_bytes_v1, record_leaf_hash
from ledgerlens.record import RECORD_SCHEMA, records_frame

_T = "2024-06-01T10:00:00Z"


def _line(**fields: Any) -> bytes:
    return orjson.dumps({"ts_start": _T, "model": "m", **fields})


def _reasons(units: list[Unit]) -> list[str | None]:
    return [u.reason for u in units]


def test_counts_balance_on_a_file_of_every_fault(tmp_path: Path) -> None:
    lines = [
        _line(input_text="ok"),
        b'{"ts_start": "' + _T.encode() + b'", "cost_usd": NaN}',
        b'{"ts_start": "' + _T.encode() + b'", "x": Infinity}',
        b'{"ts_start": "' + _T.encode() + b'", "input_text": "\xff\xfe"}',
        b'{"ts_start": "' + _T.encode() + b'", "input_text": "\\ud800"}',
        b'{"ts_start": "2024-06-01 10:00:00", "model": "m"}',
        b"[1, 2]",
        _line(tokens_in="5"),
        b'{"ts_start": "' + _T.encode() + b'", "model": "m"',  # truncated
    ]
    units = read_path(write_lines(tmp_path / "f.jsonl", lines, final_newline=False))
    assert _reasons(units) == [
        None,
        "non_finite_number",
        "non_finite_number",
        "invalid_utf8",
        "lone_surrogate",
        "naive_timestamp",
        "not_an_object",
        "bad_field:tokens_in",
        "truncated_line",
    ]
    # Every quarantined unit keeps its exact bytes.
    assert [u.raw for u in units] == lines
    assert sum(Counter(u.outcome for u in units).values()) == len(lines)


def test_a_field_whose_type_changes_between_lines(tmp_path: Path) -> None:
    lines = [_line(region=1), _line(region="eu-1"), _line(region={"a": [1]})]
    units = read_path(write_lines(tmp_path / "t.jsonl", lines))
    assert [u.outcome for u in units] == ["accepted"] * 3
    regions = [orjson.loads(u.record["extra"])["region"] for u in units if u.record]
    assert regions == [1, "eu-1", {"a": [1]}]


def test_days_with_different_keys_read_in_any_order(tmp_path: Path) -> None:
    early = write_lines(tmp_path / "a.jsonl", [_line(input_text="x")] * 3)
    late = write_lines(tmp_path / "b.jsonl", [_line(input_text="y", new_key=7)] * 3)

    def rows(order: list[Path]) -> list[dict[str, Any]]:
        records = [u.record for path in order for u in read_path(path) if u.record]
        frame = records_frame(records).sort("source_uri", "source_offset")
        return frame.drop("input_salt", "output_salt", "input_commitment").to_dicts()

    forward, backward = rows([early, late]), rows([late, early])
    assert forward == backward
    assert [orjson.loads(r["extra"]) if r["extra"] else None for r in forward][-1] == {
        "new_key": 7
    }


def test_nul_survives_parquet_and_the_leaf_commitment(tmp_path: Path) -> None:
    prompt = "before\x00after"
    units = read_path(write_lines(tmp_path / "n.jsonl", [_line(input_text=prompt)]))
    record = units[0].record
    assert record is not None
    text = orjson.loads(record["input_text"])[0]["parts"][0]["content"]
    assert text == prompt

    path = tmp_path / "r.parquet"
    records_frame([record]).write_parquet(path)
    (back,) = pl.read_parquet(path).select(list(RECORD_SCHEMA)).to_dicts()
    assert back["input_text"] == record["input_text"]
    # RFC 8785 writes the NUL as the escape \u0000; it decodes back exactly.
    assert "\\u0000" in back["input_text"]
    assert orjson.loads(back["input_text"])[0]["parts"][0]["content"] == prompt
    data = back["input_text"].encode("utf-8")
    expected = hashlib.sha256(bytes.fromhex(back["input_salt"]) + data).hexdigest()
    assert back["input_commitment"] == expected == record["input_commitment"]
    assert hashlib.sha256(data).hexdigest() == record["input_sha256"]
    assert leaf_bytes_v1(back) == leaf_bytes_v1(record)
    assert record_leaf_hash(back) == record_leaf_hash(record)


def test_ten_megabyte_prompt_is_kept_whole(tmp_path: Path) -> None:
    prompt = "é" * (5 * 1024 * 1024)  # 10 MiB of UTF-8
    (unit,) = read_path(write_lines(tmp_path / "big.jsonl", [_line(input_text=prompt)]))
    assert unit.outcome == "accepted" and unit.record is not None
    (message,) = orjson.loads(unit.record["input_text"])
    assert message["parts"][0]["content"] == prompt


def test_empty_and_blank_files_hold_no_units(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    blank = tmp_path / "blank.jsonl"
    blank.write_bytes(b"\n \n\r\n")
    assert read_path(empty) == []
    assert read_path(blank) == []
    assert read_path(empty, format="litellm-payload") == []


def test_every_timestamp_form_gives_the_same_instant(tmp_path: Path) -> None:
    forms: list[Any] = [
        "2024-06-01T10:00:00.123456Z",
        "2024-06-01T12:00:00.123456+02:00",
        "2024-06-01T05:00:00.123456-0500",
        "2024-06-01 10:00:00.123456",  # naive, read in UTC below
        1717236000.123456,
        "1717236000.123456",
        1717236000123.456,
        "1717236000123456",
        1717236000123456789,
        "1717236000123456789",
    ]
    lines = [orjson.dumps({"ts_start": form}) for form in forms]
    units = read_path(write_lines(tmp_path / "ts.jsonl", lines), naive_tz="UTC")
    instant = datetime(2024, 6, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert [u.record["ts_start"] for u in units if u.record] == [instant] * len(forms)
    naive = read_path(write_lines(tmp_path / "n.jsonl", lines[3:4]))
    assert _reasons(naive) == ["naive_timestamp"]


def test_provider_spellings_and_dialects_in_one_file(tmp_path: Path) -> None:
    current = {
        "gen_ai.provider.name": "azure.ai.openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.input_tokens": 3,
    }
    legacy = {
        "gen_ai.system": "az.ai.openai",
        "gen_ai.request.model": "gpt-4o",
        "gen_ai.usage.prompt_tokens": 3,
    }
    openinference = {
        "openinference.span.kind": "LLM",
        "llm.provider": "azure",
        "llm.invocation_parameters": '{"model": "gpt-4o"}',
        "llm.token_count.prompt": 3,
    }
    spans = [
        span(attrs, span_id=f"{i:016x}")
        for i, attrs in enumerate((current, legacy, openinference), start=1)
    ]
    path = tmp_path / "mixed.json"
    path.write_bytes(orjson.dumps(export_request(spans)))
    records = [u.record for u in read_path(path) if u.record]
    assert {(r["provider"], r["model"], r["tokens_in"]) for r in records} == {
        ("azure.ai.openai", "gpt-4o", 3)
    }
