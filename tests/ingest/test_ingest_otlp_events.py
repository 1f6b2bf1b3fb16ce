"""GenAI content in span events and in OTLP log records joined to their span."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from ingest_helpers import (
    SPAN_HEX,
    TRACE_HEX,
    export_request,
    otlp_attributes,
    read_path,
    span,
    write_lines,
)

from ledgerlens.record import messages_text, text_message

_LLM = {"gen_ai.system": "openai", "gen_ai.request.model": "gpt-4o"}
_EXPECTED_INPUT = messages_text(
    [text_message("system", "Be brief."), text_message("user", "Hi")]
)
_EXPECTED_OUTPUT = messages_text(
    [{**text_message("assistant", "Hello"), "finish_reason": "stop"}]
)


def _log(
    name: str, body: dict[str, Any], *, trace: str = TRACE_HEX, time: int = 1
) -> dict[str, Any]:
    def value(v: Any) -> dict[str, Any]:
        if isinstance(v, dict):
            return {
                "kvlistValue": {
                    "values": [{"key": k, "value": value(x)} for k, x in v.items()]
                }
            }
        if isinstance(v, int):
            return {"intValue": str(v)}
        return {"stringValue": v}

    return {
        "timeUnixNano": str(1717236000123456789 + time),
        "traceId": trace,
        "spanId": SPAN_HEX,
        "eventName": name,
        "body": value(body),
        "attributes": otlp_attributes({"gen_ai.system": "openai"}),
    }


def _logs_request(records: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceLogs": [{"resource": {}, "scopeLogs": [{"logRecords": records}]}]}


def test_legacy_content_span_events(tmp_path: Path) -> None:
    events = [
        {
            "name": "gen_ai.content.prompt",
            "timeUnixNano": "1",
            "attributes": otlp_attributes(
                {
                    "gen_ai.prompt": orjson.dumps(
                        [
                            {"role": "system", "content": "Be brief."},
                            {"role": "user", "content": "Hi"},
                        ]
                    ).decode()
                }
            ),
        },
        {
            "name": "gen_ai.content.completion",
            "timeUnixNano": "2",
            "attributes": otlp_attributes(
                {
                    "gen_ai.completion": orjson.dumps(
                        [
                            {
                                "role": "assistant",
                                "content": "Hello",
                                "finish_reason": "stop",
                            }
                        ]
                    ).decode()
                }
            ),
        },
        {"name": "exception", "timeUnixNano": "3", "attributes": []},
    ]
    path = tmp_path / "events.json"
    path.write_bytes(orjson.dumps(export_request([span(_LLM, events=events)])))
    (unit,) = read_path(path)
    record = unit.record
    assert record is not None
    assert record["input_text"] == _EXPECTED_INPUT
    assert record["output_text"] == _EXPECTED_OUTPUT
    assert record["finish_reason"] == "stop"
    # The events that held content are read; any other stays in extra.
    assert [e["name"] for e in orjson.loads(record["extra"])["span"]["events"]] == [
        "exception"
    ]


def test_log_records_join_their_span_and_are_merged(tmp_path: Path) -> None:
    logs = [
        _log("gen_ai.system.message", {"content": "Be brief."}, time=1),
        _log("gen_ai.user.message", {"content": "Hi"}, time=2),
        _log(
            "gen_ai.choice",
            {"index": 0, "finish_reason": "stop", "message": {"content": "Hello"}},
            time=3,
        ),
        _log("gen_ai.user.message", {"content": "lost"}, trace="ff" * 16, time=4),
        {**_log("app.audit", {"content": "x"}, time=5), "eventName": "app.audit"},
    ]
    lines = [
        orjson.dumps(export_request([span(_LLM)])),
        orjson.dumps(_logs_request(logs)),
    ]
    units = read_path(write_lines(tmp_path / "both.jsonl", lines))
    assert [(u.offset, u.index, u.outcome, u.reason) for u in units] == [
        (0, 0, "accepted", None),
        (len(lines[0]) + 1, 0, "merged", None),
        (len(lines[0]) + 1, 1, "merged", None),
        (len(lines[0]) + 1, 2, "merged", None),
        (len(lines[0]) + 1, 3, "quarantined", "unmatched_reference"),
        (len(lines[0]) + 1, 4, "quarantined", "unsupported_event"),
    ]
    record = units[0].record
    assert record is not None
    assert record["input_text"] == _EXPECTED_INPUT
    assert record["output_text"] == _EXPECTED_OUTPUT
    assert {u.merged_into for u in units if u.outcome == "merged"} == {
        record["record_id"]
    }


def test_same_call_as_attributes_or_as_log_events_gives_the_same_text(
    tmp_path: Path,
) -> None:
    attributes = {
        **_LLM,
        "gen_ai.prompt.0.role": "system",
        "gen_ai.prompt.0.content": "Be brief.",
        "gen_ai.prompt.1.role": "user",
        "gen_ai.prompt.1.content": "Hi",
        "gen_ai.completion.0.role": "assistant",
        "gen_ai.completion.0.content": "Hello",
        "gen_ai.completion.0.finish_reason": "stop",
    }
    by_attributes = tmp_path / "a.json"
    by_attributes.write_bytes(orjson.dumps(export_request([span(attributes)])))
    (unit,) = read_path(by_attributes)
    assert unit.record is not None
    assert unit.record["input_text"] == _EXPECTED_INPUT
    assert unit.record["output_text"] == _EXPECTED_OUTPUT
