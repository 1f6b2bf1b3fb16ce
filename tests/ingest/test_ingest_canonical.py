"""The canonical line format: mapping, round trip, and every way a line fails."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from ingest_helpers import json_line, read_path, write_lines

from ledgerlens.ingest import Unit
from ledgerlens.record import (
    RECORD_COLUMNS,
    messages_text,
    record_id_for,
    records_frame,
    sha256_hex,
    text_message,
)

FULL_LINE: dict[str, Any] = {
    "record_id": "rec-0001",
    "trace_id": "5B8EFFF798038103D269B633813FC60C",
    "span_id": "eee19b7ec3c1b174",
    "parent_span_id": None,
    "session_id": "sess-9",
    "ts_start": "2024-06-01T10:00:00.250+02:00",
    "ts_end": "2024-06-01T08:00:01.500000Z",
    "app": "support-bot",
    "app_version": "2.3.1",
    "environment": "prod",
    "endpoint": "/v1/answer",
    "provider": "az.ai.openai",
    "model": "gpt-4o-mini",
    "model_version": "gpt-4o-mini-2024-07-18",
    "prompt_template_id": "answer",
    "prompt_template_version": 7,
    "input_messages": [text_message("user", "Hi there")],
    "output_text": "Hello!",
    "retrieval": [{"doc_id": "d1", "source": "kb", "doc_sha256": "ab", "score": 1}],
    "tokens_in": 12,
    "tokens_out": 3,
    "cost_usd": 0.00042,
    "status": "ok",
    "http_status": 200,
    "finish_reason": "stop",
    "policy_results": [
        {
            "policy": "pii",
            "version": "1",
            "outcome": "pass",
            "category": None,
            "score": 0.1,
        }
    ],
    "reviewer": None,
    "review_decision": None,
    "user_ref": "u-hmac-3f2a",
    "team": "payments",
}


def _units(tmp_path: Path, lines: list[bytes], **options: Any) -> list[Unit]:
    path = write_lines(tmp_path / "calls.jsonl", lines)
    return read_path(path, **options)


def _record(unit: Unit) -> dict[str, Any]:
    assert unit.outcome == "accepted", unit.reason
    assert unit.record is not None
    return unit.record


def test_full_line_maps_every_column(tmp_path: Path) -> None:
    (unit,) = _units(tmp_path, [json_line(FULL_LINE)], ingest_run_id="run-7")
    record = _record(unit)
    assert set(record) == set(RECORD_COLUMNS)
    assert record["record_id"] == "rec-0001"
    assert record["trace_id"] == "5b8efff798038103d269b633813fc60c"
    assert record["ts_start"] == datetime(2024, 6, 1, 8, 0, 0, 250000, tzinfo=UTC)
    assert record["ts_end"] == datetime(2024, 6, 1, 8, 0, 1, 500000, tzinfo=UTC)
    assert record["latency_ms"] == 1250.0
    assert record["provider"] == "azure.ai.openai"
    assert record["prompt_template_version"] == "7"
    assert record["input_text"] == messages_text([text_message("user", "Hi there")])
    assert record["output_text"] == messages_text([text_message("assistant", "Hello!")])
    assert record["output_sha256"] == sha256_hex(record["output_text"])
    assert record["retrieval"] == [
        {"doc_id": "d1", "source": "kb", "doc_sha256": "ab", "score": 1.0}
    ]
    assert record["policy_results"][0]["outcome"] == "pass"
    assert record["cost_usd"] == 0.00042
    assert record["http_status"] == 200
    assert record["extra"] == '{"team":"payments"}'
    assert record["source_format"] == "ledgerlens-jsonl"
    assert record["source_sha256"] == sha256_hex(json_line(FULL_LINE))
    assert record["ingest_run_id"] == "run-7"
    assert unit.raw == json_line(FULL_LINE)
    assert unit.chain_object is None
    # The record fits the store schema as it is.
    assert records_frame([record]).height == 1


def test_record_id_is_derived_when_absent(tmp_path: Path) -> None:
    line = {k: v for k, v in FULL_LINE.items() if k != "record_id"}
    (unit,) = _units(tmp_path, [json_line(line)])
    record = _record(unit)
    expected = record_id_for(
        sha256_hex(json_line(line)), record["trace_id"], record["span_id"]
    )
    assert record["record_id"] == expected


def test_round_trip_of_an_exported_record(tmp_path: Path) -> None:
    (first,) = _units(tmp_path, [json_line(FULL_LINE)])
    record = _record(first)

    # Export the record as a canonical line, the way a store export would.
    exported = {k: v for k, v in record.items() if v is not None}
    for key in ("ts_start", "ts_end"):
        exported[key] = record[key].isoformat()
    for side in ("input", "output"):
        exported[f"{side}_messages"] = orjson.loads(exported.pop(f"{side}_text"))
    exported["extra"] = record["extra"]
    (again,) = _units(tmp_path, [json_line(exported)])
    second = _record(again)

    provenance = {
        "source_uri",
        "source_offset",
        "source_unit",
        "source_format",
        "source_sha256",
        "ingest_run_id",
    }
    for column in set(RECORD_COLUMNS) - provenance - {"extra"}:
        assert second[column] == record[column], column
    # The salts were reused, so the commitments (the leaf's view of the text) hold.
    assert second["input_commitment"] == record["input_commitment"]
    # The earlier provenance is not lost: it lands in extra.
    extra = orjson.loads(second["extra"])
    assert extra["team"] == "payments"
    assert extra["source_sha256"] == record["source_sha256"]


def test_wrong_text_hash_is_quarantined(tmp_path: Path) -> None:
    line = {**FULL_LINE, "input_sha256": "0" * 64}
    (unit,) = _units(tmp_path, [json_line(line)])
    assert (unit.outcome, unit.reason) == ("quarantined", "bad_field:input_sha256")


def test_erased_text_keeps_its_commitment(tmp_path: Path) -> None:
    line = {"ts_start": 1717236000, "input_commitment": "c" * 64}
    (unit,) = _units(tmp_path, [json_line(line)])
    record = _record(unit)
    assert record["input_text"] is None
    assert record["input_commitment"] == "c" * 64


def test_key_first_seen_after_500_lines_lands_in_extra(tmp_path: Path) -> None:
    lines = [json_line({"ts_start": 1717236000 + i, "model": "m"}) for i in range(501)]
    lines.append(json_line({"ts_start": 1717237000, "model": "m", "late_key": [1, 2]}))
    units = _units(tmp_path, lines)
    assert len(units) == 502
    assert all(u.outcome == "accepted" for u in units)
    assert _record(units[500])["extra"] is None
    assert _record(units[501])["extra"] == '{"late_key":[1,2]}'


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        (b'{"ts_start": 1717236000, "model": ', "invalid_json"),
        (b'{"ts_start": 1717236000, "model": "\xff\xfe"}', "invalid_utf8"),
        (b'{"ts_start": 1717236000, "latency_ms": NaN}', "non_finite_number"),
        (b'{"ts_start": 1717236000, "model": "\\ud800"}', "lone_surrogate"),
        (b"[1, 2, 3]", "not_an_object"),
        (b'"just a string"', "not_an_object"),
        (b'{"model": "m"}', "missing_timestamp"),
        (b'{"ts_start": null}', "missing_timestamp"),
        (b'{"ts_start": "2024-06-01T10:00:00"}', "naive_timestamp"),
        (b'{"ts_start": "yesterday"}', "bad_timestamp"),
        (b'{"ts_start": 1717236000, "ts_end": "soon"}', "bad_timestamp"),
        (b'{"ts_start": 1717236000, "tokens_in": -1}', "bad_field:tokens_in"),
        (b'{"ts_start": 1717236000, "tokens_in": "12"}', "bad_field:tokens_in"),
        (b'{"ts_start": 1717236000, "status": "failed"}', "bad_field:status"),
        (b'{"ts_start": 1717236000, "http_status": 42}', "bad_field:http_status"),
        (b'{"ts_start": 1717236000, "model": 5}', "bad_field:model"),
        (
            b'{"ts_start": 1717236000, "input_messages": "hi"}',
            "bad_field:input_messages",
        ),
        (
            b'{"ts_start": 1717236000, "input_text": "a", "input_messages": []}',
            "bad_field:input_text",
        ),
        (
            b'{"ts_start": 1717236000, "policy_results": [{"outcome": "maybe"}]}',
            "bad_field:policy_results",
        ),
        (b'{"ts_start": 1717236000, "extra": [1]}', "bad_field:extra"),
        (b'{"ts_start": 1717236000, "extra": {"k": 1}, "k": 2}', "bad_field:k"),
        (b'{"ts_start": 1717236000, "n": 9007199254740993}', "bad_field:extra"),
    ],
)
def test_bad_line_is_one_quarantined_unit_between_good_ones(
    tmp_path: Path, line: bytes, reason: str
) -> None:
    good = json_line({"ts_start": 1717236000, "model": "m"})
    units = _units(tmp_path, [good, line, good])
    assert [u.outcome for u in units] == ["accepted", "quarantined", "accepted"]
    bad = units[1]
    assert bad.reason == reason
    assert bad.raw == line
    assert bad.record is None
    assert bad.offset == len(good) + 1
    assert bad.index == 0


def test_naive_timestamp_is_read_with_the_source_zone(tmp_path: Path) -> None:
    line = json_line(
        {"ts_start": "2024-01-15 09:30:00", "ts_end": "2024-01-15 09:30:02"}
    )
    (unit,) = _units(tmp_path, [line], naive_tz="America/New_York")
    record = _record(unit)
    assert record["ts_start"] == datetime(2024, 1, 15, 14, 30, tzinfo=UTC)
    assert record["latency_ms"] == 2000.0


def test_truncated_last_line(tmp_path: Path) -> None:
    good = json_line({"ts_start": 1717236000})
    path = write_lines(
        tmp_path / "cut.jsonl", [good, b'{"ts_start": 17172'], final_newline=False
    )
    units = read_path(path)
    assert [u.outcome for u in units] == ["accepted", "quarantined"]
    assert units[1].reason == "truncated_line"
    assert units[1].raw == b'{"ts_start": 17172'


def test_unterminated_last_line_that_parses_is_accepted(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "last.jsonl",
        [json_line({"ts_start": 1717236000})],
        final_newline=False,
    )
    (unit,) = read_path(path)
    assert unit.outcome == "accepted"


def test_blank_lines_and_crlf_hold_no_units(tmp_path: Path) -> None:
    path = tmp_path / "crlf.jsonl"
    path.write_bytes(
        b'{"ts_start": 1717236000}\r\n\r\n   \n{"ts_start": 1717236001}\r\n'
    )
    units = read_path(path)
    assert len(units) == 2
    assert units[0].raw == b'{"ts_start": 1717236000}'
    assert units[1].offset == len(b'{"ts_start": 1717236000}\r\n\r\n   \n')


def test_byte_order_mark_on_first_line(tmp_path: Path) -> None:
    path = tmp_path / "bom.jsonl"
    path.write_bytes(b'\xef\xbb\xbf{"ts_start": 1717236000}\n')
    (unit,) = read_path(path, format="ledgerlens-jsonl")
    assert unit.outcome == "accepted"


def test_empty_file_gives_no_units(tmp_path: Path) -> None:
    path = tmp_path / "empty.jsonl"
    path.write_bytes(b"")
    assert read_path(path) == []
    assert read_path(path, format="ledgerlens-jsonl") == []


def test_chain_fields_are_columns_and_the_raw_object_is_handed_on(
    tmp_path: Path,
) -> None:
    chained = {
        "ts_start": 1717236000,
        "chain_id": "c1",
        "chain_seq": 0,
        "chain_prev": "0" * 64,
        "chain_hash": "ab" * 32,
    }
    naive = {**chained, "ts_start": "2024-06-01T10:00:00", "chain_seq": 1}
    units = _units(tmp_path, [json_line(chained), json_line(naive)])
    first, second = units
    assert _record(first)["chain_seq"] == 0
    assert _record(first)["chain_prev"] == "0" * 64
    assert first.chain_object == chained
    # A link whose record is quarantined still reaches chain verification.
    assert second.outcome == "quarantined"
    assert second.chain_object == naive


def test_status_defaults_to_error_when_an_error_type_is_given(tmp_path: Path) -> None:
    lines = [
        json_line({"ts_start": 1717236000, "error_type": "rate_limited"}),
        json_line({"ts_start": 1717236000}),
    ]
    first, second = _units(tmp_path, lines)
    assert _record(first)["status"] == "error"
    assert _record(second)["status"] == "ok"


def test_retrieval_item_with_unknown_keys_is_kept_whole_in_extra(
    tmp_path: Path,
) -> None:
    retrieval = [{"doc_id": "d1", "score": 0.5, "chunk": 3}]
    (unit,) = _units(
        tmp_path, [json_line({"ts_start": 1717236000, "retrieval": retrieval})]
    )
    record = _record(unit)
    assert record["retrieval"] == [
        {"doc_id": "d1", "source": None, "doc_sha256": None, "score": 0.5}
    ]
    assert orjson.loads(record["extra"]) == {"retrieval": retrieval}
