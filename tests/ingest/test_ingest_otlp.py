"""OTLP/JSON documents and JSON Lines: spans, ids, dialects, faults."""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from ingest_helpers import (
    SPAN_HEX,
    TRACE_HEX,
    export_request,
    json_line,
    read_path,
    span,
    write_lines,
)

from ledgerlens.ingest import Unit
from ledgerlens.record import messages_text, sha256_hex, text_message

CURRENT = {
    "gen_ai.operation.name": "chat",
    "gen_ai.provider.name": "azure.ai.openai",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o-2024-08-06",
    "gen_ai.usage.input_tokens": 100,
    "gen_ai.usage.output_tokens": 20,
    "gen_ai.response.finish_reasons": ["stop"],
    "gen_ai.input.messages": orjson.dumps(
        [{"role": "user", "parts": [{"type": "text", "content": "Ping?"}]}]
    ).decode(),
    "gen_ai.output.messages": orjson.dumps(
        [
            {
                "role": "assistant",
                "parts": [{"type": "text", "content": "Pong."}],
                "finish_reason": "stop",
            }
        ]
    ).decode(),
}
LEGACY = {
    "gen_ai.system": "az.ai.openai",
    "gen_ai.request.model": "gpt-4o",
    "gen_ai.response.model": "gpt-4o-2024-08-06",
    "gen_ai.usage.prompt_tokens": 100,
    "gen_ai.usage.completion_tokens": 20,
    "gen_ai.prompt.0.role": "user",
    "gen_ai.prompt.0.content": "Ping?",
    "gen_ai.completion.0.role": "assistant",
    "gen_ai.completion.0.content": "Pong.",
    "gen_ai.completion.0.finish_reason": "stop",
}
OPENINFERENCE = {
    "openinference.span.kind": "LLM",
    "llm.provider": "azure",
    "llm.system": "openai",
    "llm.model_name": "gpt-4o-2024-08-06",
    "llm.invocation_parameters": '{"model": "gpt-4o", "temperature": 0}',
    "llm.token_count.prompt": 100,
    "llm.token_count.completion": 20,
    "llm.input_messages.0.message.role": "user",
    "llm.input_messages.0.message.content": "Ping?",
    "llm.output_messages.0.message.role": "assistant",
    "llm.output_messages.0.message.content": "Pong.",
    "llm.finish_reason": "stop",
}
DIALECT_COLUMNS = (
    "provider",
    "model",
    "model_version",
    "tokens_in",
    "tokens_out",
    "finish_reason",
    "input_text",
    "input_sha256",
    "output_text",
    "output_sha256",
    "status",
    "ts_start",
    "ts_end",
    "latency_ms",
    "app",
    "environment",
)


def _document(
    tmp_path: Path, request: dict[str, Any], name: str = "t.json"
) -> list[Unit]:
    path = tmp_path / name
    path.write_bytes(orjson.dumps(request, option=orjson.OPT_INDENT_2))
    return read_path(path)


def _record(unit: Unit) -> dict[str, Any]:
    assert unit.record is not None, unit.reason
    return unit.record


def test_three_dialects_in_one_file_give_identical_columns(tmp_path: Path) -> None:
    spans = [
        span(CURRENT, span_id="00000000000000a1"),
        span(LEGACY, span_id="00000000000000a2"),
        span(OPENINFERENCE, span_id="00000000000000a3"),
    ]
    resource = {"service.name": "bot", "deployment.environment.name": "prod"}
    units = _document(tmp_path, export_request(spans, resource))
    assert [u.outcome for u in units] == ["accepted"] * 3
    assert [u.index for u in units] == [0, 1, 2]
    current, legacy, openinference = (_record(u) for u in units)
    for column in DIALECT_COLUMNS:
        assert current[column] == legacy[column] == openinference[column], column
    assert current["provider"] == "azure.ai.openai"
    assert current["environment"] == "prod"
    assert current["input_text"] == messages_text([text_message("user", "Ping?")])
    assert orjson.loads(current["output_text"])[0]["finish_reason"] == "stop"
    assert current["ts_start"] == datetime(2024, 6, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert current["latency_ms"] == 1000.0


def test_raw_is_the_span_with_sorted_keys(tmp_path: Path) -> None:
    one = span(CURRENT)
    (unit,) = _document(tmp_path, export_request([one]))
    assert unit.raw == orjson.dumps(one, option=orjson.OPT_SORT_KEYS)
    assert _record(unit)["source_sha256"] == sha256_hex(unit.raw)


def test_base64_ids_become_lowercase_hex(tmp_path: Path) -> None:
    trace_b64 = base64.b64encode(bytes.fromhex(TRACE_HEX)).decode()
    span_b64 = base64.b64encode(bytes.fromhex(SPAN_HEX)).decode()
    parent_b64 = base64.b64encode(bytes.fromhex("0102030405060708")).decode()
    one = span(CURRENT, trace_id=trace_b64, span_id=span_b64, parentSpanId=parent_b64)
    upper = span(CURRENT, trace_id=TRACE_HEX.upper(), span_id=SPAN_HEX.upper())
    first, second = _document(tmp_path, export_request([one, upper]))
    for unit in (first, second):
        assert _record(unit)["trace_id"] == TRACE_HEX
        assert _record(unit)["span_id"] == SPAN_HEX
    assert _record(first)["parent_span_id"] == "0102030405060708"
    assert _record(second)["parent_span_id"] is None


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"traceId": "not-an-id"}, "bad_field:trace_id"),
        ({"traceId": "0" * 32}, "bad_field:trace_id"),
        ({"spanId": "AAAA"}, "bad_field:span_id"),
        ({"spanId": None}, "bad_field:span_id"),
        ({"startTimeUnixNano": None}, "missing_timestamp"),
        ({"startTimeUnixNano": "0"}, "missing_timestamp"),
        ({"startTimeUnixNano": "12ab"}, "bad_timestamp"),
        ({"attributes": {"a": 1}}, "bad_field:attributes"),
        ({"status": "broken"}, "bad_field:status"),
    ],
)
def test_faulty_span_is_quarantined_alone(
    tmp_path: Path, changes: dict[str, Any], reason: str
) -> None:
    bad = {**span(CURRENT), **changes}
    units = _document(tmp_path, export_request([span(CURRENT), bad, span(CURRENT)]))
    assert [u.outcome for u in units] == ["accepted", "quarantined", "accepted"]
    assert units[1].reason == reason
    assert units[1].index == 1
    assert units[1].raw == orjson.dumps(bad, option=orjson.OPT_SORT_KEYS)


def test_bad_token_count_names_the_attribute(tmp_path: Path) -> None:
    bad = span({**CURRENT, "gen_ai.usage.input_tokens": "many"})
    (unit,) = _document(tmp_path, export_request([bad]))
    assert unit.reason == "bad_field:gen_ai.usage.input_tokens"


def test_non_llm_spans_are_lineage_only_with_ids_and_times(tmp_path: Path) -> None:
    tool = span(
        {"gen_ai.operation.name": "execute_tool", "gen_ai.tool.name": "lookup"},
        span_id="00000000000000b1",
        parentSpanId=SPAN_HEX,
    )
    http = span(
        {"http.request.method": "GET", "http.response.status_code": 404},
        span_id="00000000000000b2",
        name="GET /orders",
    )
    chain = span(
        {"openinference.span.kind": "CHAIN", "input.value": "question"},
        span_id="00000000000000b3",
    )
    units = _document(tmp_path, export_request([tool, http, chain]))
    assert [u.outcome for u in units] == ["lineage_only"] * 3
    tool_record, http_record, chain_record = (_record(u) for u in units)
    assert tool_record["parent_span_id"] == SPAN_HEX
    assert tool_record["ts_start"] == datetime(2024, 6, 1, 10, 0, 0, 123456, tzinfo=UTC)
    assert tool_record["model"] is None
    assert http_record["http_status"] == 404
    assert orjson.loads(http_record["extra"])["span"]["name"] == "GET /orders"
    # A non-LLM span's input is not read as a prompt; it stays in extra.
    assert chain_record["input_text"] is None
    assert (
        orjson.loads(chain_record["extra"])["attributes"]["input.value"] == "question"
    )


def test_error_status_takes_error_type_or_message(tmp_path: Path) -> None:
    typed = span(
        {**CURRENT, "error.type": "RateLimitError"},
        status={"code": 2, "message": "429 from upstream"},
    )
    untyped = span(CURRENT, status={"code": "STATUS_CODE_ERROR", "message": "timeout"})
    fine = span(CURRENT, status={"code": 1})
    first, second, third = (
        _record(u) for u in _document(tmp_path, export_request([typed, untyped, fine]))
    )
    assert (first["status"], first["error_type"]) == ("error", "RateLimitError")
    assert (second["status"], second["error_type"]) == ("error", "timeout")
    assert (third["status"], third["error_type"]) == ("ok", None)


def test_several_finish_reasons_keep_the_array_in_extra(tmp_path: Path) -> None:
    many = span({**CURRENT, "gen_ai.response.finish_reasons": ["length", "stop"]})
    (unit,) = _document(tmp_path, export_request([many]))
    record = _record(unit)
    assert record["finish_reason"] == "length"
    extra = orjson.loads(record["extra"])
    assert extra["attributes"]["gen_ai.response.finish_reasons"] == ["length", "stop"]


def test_system_instructions_lead_the_input_messages(tmp_path: Path) -> None:
    attributes = {
        **CURRENT,
        "gen_ai.system_instructions": '[{"type": "text", "content": "Be brief."}]',
    }
    (unit,) = _document(tmp_path, export_request([span(attributes)]))
    assert _record(unit)["input_text"] == messages_text(
        [text_message("system", "Be brief."), text_message("user", "Ping?")]
    )


def test_openinference_tool_messages_and_fallback_values(tmp_path: Path) -> None:
    attributes = {
        "openinference.span.kind": "LLM",
        "llm.model_name": "claude-x",
        "llm.input_messages.0.message.role": "assistant",
        "llm.input_messages.0.message.tool_calls.0.tool_call.id": "t1",
        "llm.input_messages.0.message.tool_calls.0.tool_call.function.name": "f",
        "llm.input_messages.0.message.tool_calls.0.tool_call.function.arguments": (
            "not json"
        ),
        "llm.input_messages.1.message.role": "tool",
        "llm.input_messages.1.message.tool_call_id": "t1",
        "llm.input_messages.1.message.content": "42",
        "output.value": "The answer is 42.",
    }
    (unit,) = _document(tmp_path, export_request([span(attributes)]))
    record = _record(unit)
    assert record["model"] == record["model_version"] == "claude-x"
    assert orjson.loads(record["input_text"]) == [
        {
            "role": "assistant",
            "parts": [
                {"type": "tool_call", "id": "t1", "name": "f", "arguments": "not json"}
            ],
        },
        {
            "role": "tool",
            "parts": [{"type": "tool_call_response", "id": "t1", "response": "42"}],
        },
    ]
    assert record["output_text"] == messages_text(
        [text_message("assistant", "The answer is 42.")]
    )


def test_jsonl_lines_of_many_spans_count_every_unit(tmp_path: Path) -> None:
    def line(count: int, first: int) -> bytes:
        spans = [span(CURRENT, span_id=f"{first + i:016x}") for i in range(count)]
        return json_line(export_request(spans))

    lines = [
        line(250, 1),
        b"{not json",
        line(3, 1000),
        json_line([1]),
        json_line({"resourceSpans": []}),
        json_line({"other": 1}),
    ]
    path = write_lines(tmp_path / "export.jsonl", lines)
    units = read_path(path)
    assert len(units) == 250 + 1 + 3 + 1 + 0 + 1
    assert {u.source_format for u in units} == {"otlp-jsonl"}
    assert [u.index for u in units[:250]] == list(range(250))
    assert units[250].reason == "invalid_json"
    assert units[250].offset == len(lines[0]) + 1
    third_line = units[251:254]
    assert [u.index for u in third_line] == [0, 1, 2]
    assert {u.offset for u in third_line} == {len(lines[0]) + len(lines[1]) + 2}
    assert units[254].reason == "not_an_object"
    assert units[255].reason == "bad_field:resourceSpans"
    ids = {_record(u)["span_id"] for u in units[:250]}
    assert len(ids) == 250


def test_malformed_scope_quarantines_only_its_spans(tmp_path: Path) -> None:
    request = export_request([span(CURRENT)])
    request["resourceSpans"][0]["scopeSpans"].append({"spans": "oops"})
    request["resourceSpans"].append("not a resource")
    units = _document(tmp_path, request)
    assert [(u.outcome, u.reason, u.index) for u in units] == [
        ("accepted", None, 0),
        ("quarantined", "bad_field:scopeSpans.spans", 1),
        ("quarantined", "not_an_object", 2),
    ]


def test_unparseable_document_is_one_unit(tmp_path: Path) -> None:
    path = tmp_path / "broken.json"
    path.write_bytes(b'{"resourceSpans": [ {"scopeSpans": ')
    (unit,) = read_path(path)
    assert (unit.source_format, unit.reason) == ("otlp-json", "invalid_json")
    assert unit.raw == path.read_bytes()


def test_int_value_as_number_or_string_and_nan_double(tmp_path: Path) -> None:
    attributes = {**CURRENT}
    one = span(attributes)
    one["attributes"].append({"key": "x.nan", "value": {"doubleValue": "NaN"}})
    for item in one["attributes"]:
        if item["key"] == "gen_ai.usage.output_tokens":
            item["value"] = {"intValue": 20}
    (unit,) = _document(tmp_path, export_request([one]))
    record = _record(unit)
    assert record["tokens_out"] == 20
    assert orjson.loads(record["extra"])["attributes"]["x.nan"] == "NaN"
