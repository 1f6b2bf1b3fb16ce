"""HAR files and VCR cassettes: exchanges with model APIs become records."""

from __future__ import annotations

import base64
import gzip
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import orjson
import yaml
from ingest_helpers import read_path

from ledgerlens.ingest._exchange import redacted_unit
from ledgerlens.record import messages_text, text_message

_CHAT_REQUEST = {
    "model": "gpt-4o",
    "messages": [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "Weather in Paris?"},
    ],
    "temperature": 0,
}
_CHAT_ANSWER = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1717236000,
    "model": "gpt-4o-2024-08-06",
    "choices": [
        {
            "index": 0,
            "message": {
                "role": "assistant",
                "content": None,
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {
                            "name": "weather",
                            "arguments": '{"city":"Paris"}',
                        },
                    }
                ],
            },
            "finish_reason": "tool_calls",
        }
    ],
    "usage": {"prompt_tokens": 21, "completion_tokens": 7, "total_tokens": 28},
}


def _har_entry(
    url: str,
    request: Any,
    answer: Any,
    *,
    status: int = 200,
    mime: str = "application/json",
    encoding: str | None = None,
    time: float | None = 812.5,
) -> dict[str, Any]:
    text = answer if isinstance(answer, str) else orjson.dumps(answer).decode()
    content: dict[str, Any] = {"mimeType": mime, "text": text}
    if encoding == "base64":
        content["text"] = base64.b64encode(gzip.compress(text.encode())).decode()
        content["encoding"] = "base64"
    entry: dict[str, Any] = {
        "startedDateTime": "2024-06-01T12:00:00.250+02:00",
        "request": {
            "method": "POST",
            "url": url,
            "headers": [
                {"name": "Authorization", "value": "Bearer sk-secret"},
                {
                    "name": "traceparent",
                    "value": "00-" + "ab" * 16 + "-" + "cd" * 8 + "-01",
                },
            ],
            "postData": {
                "mimeType": "application/json",
                "text": orjson.dumps(request).decode(),
            },
        },
        "response": {
            "status": status,
            "headers": [
                {"name": "Content-Type", "value": mime},
                {"name": "x-request-id", "value": "req_123"},
            ],
            "content": content,
        },
        "timings": {
            "blocked": -1,
            "dns": 2,
            "connect": 10,
            "send": 0.5,
            "wait": 800,
            "receive": 0,
        },
    }
    if time is not None:
        entry["time"] = time
    return entry


def _write_har(path: Path, entries: list[dict[str, Any]]) -> Path:
    document = {
        "log": {"version": "1.2", "creator": {"name": "test"}, "entries": entries}
    }
    path.write_bytes(orjson.dumps(document, option=orjson.OPT_INDENT_2))
    return path


def test_har_openai_call_field_by_field(tmp_path: Path) -> None:
    path = _write_har(
        tmp_path / "calls.har",
        [
            _har_entry(
                "https://api.openai.com/v1/chat/completions",
                _CHAT_REQUEST,
                _CHAT_ANSWER,
            )
        ],
    )
    (unit,) = read_path(path)
    record = unit.record
    assert unit.source_format == "har" and unit.outcome == "accepted"
    assert record is not None
    start = datetime(2024, 6, 1, 10, 0, 0, 250000, tzinfo=UTC)
    assert record["ts_start"] == start
    assert record["ts_end"] == start + timedelta(microseconds=812500)
    assert record["latency_ms"] == 812.5
    assert (record["provider"], record["model"], record["model_version"]) == (
        "openai",
        "gpt-4o",
        "gpt-4o-2024-08-06",
    )
    assert (record["tokens_in"], record["tokens_out"]) == (21, 7)
    assert (record["http_status"], record["status"], record["finish_reason"]) == (
        200,
        "ok",
        "tool_calls",
    )
    assert record["trace_id"] == "ab" * 16
    assert record["parent_span_id"] == "cd" * 8
    assert record["span_id"] is None
    assert record["input_text"] == messages_text(
        [text_message("system", "Be brief."), text_message("user", "Weather in Paris?")]
    )
    assert orjson.loads(record["output_text"]) == [
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": "call_1",
                    "name": "weather",
                    "arguments": {"city": "Paris"},
                }
            ],
            "finish_reason": "tool_calls",
        }
    ]
    extra = orjson.loads(record["extra"])
    assert extra["request"] == {"temperature": 0}
    assert extra["request_id"] == "req_123"
    assert extra["http"]["request_headers"]["authorization"] == ["[redacted]"]
    assert b"sk-secret" not in record["extra"].encode()


def test_har_latency_from_timings_when_time_is_missing(tmp_path: Path) -> None:
    entry = _har_entry(
        "https://api.openai.com/v1/chat/completions",
        _CHAT_REQUEST,
        _CHAT_ANSWER,
        time=None,
    )
    (unit,) = read_path(_write_har(tmp_path / "t.har", [entry]))
    assert unit.record is not None
    assert unit.record["latency_ms"] == 812.5  # 2 + 10 + 0.5 + 800 + 0; -1 skipped


def test_har_gzip_base64_body_and_azure_filter(tmp_path: Path) -> None:
    answer = dict(_CHAT_ANSWER)
    answer["choices"] = [
        {
            "index": 0,
            "finish_reason": "content_filter",
            "message": {"role": "assistant", "content": ""},
            "content_filter_results": {
                "hate": {"filtered": False, "severity": "low"},
                "self-harm": {"filtered": True, "severity": "medium"},
                "violence": {"filtered": False, "severity": "safe"},
            },
        }
    ]
    url = "https://res.openai.azure.com/openai/deployments/chat4/chat/completions?api-version=2024-02-01&api-key=k"
    request = {"messages": _CHAT_REQUEST["messages"]}
    entry = _har_entry(url, request, answer, encoding="base64")
    (unit,) = read_path(_write_har(tmp_path / "a.har", [entry]))
    record = unit.record
    assert record is not None
    assert (record["provider"], record["model"]) == ("azure.ai.openai", "chat4")
    assert record["finish_reason"] == "content_filter"
    assert [(p["category"], p["outcome"]) for p in record["policy_results"]] == [
        ("hate", "flag"),
        ("self_harm", "block"),
        ("violence", "pass"),
    ]
    extra = orjson.loads(record["extra"])
    assert (
        "api-key=%5Bredacted%5D" in extra["http"]["url"]
        or "api-key=[redacted]" in extra["http"]["url"]
    )


def test_har_page_requests_are_lineage_and_errors_without_body(tmp_path: Path) -> None:
    page = _har_entry(
        "https://example.test/index.html", None, "<html></html>", mime="text/html"
    )
    failed = _har_entry(
        "https://api.openai.com/v1/chat/completions", _CHAT_REQUEST, "", status=503
    )
    units = read_path(_write_har(tmp_path / "p.har", [page, failed]))
    assert [u.outcome for u in units] == ["lineage_only", "accepted"]
    error = units[1].record
    assert error is not None
    assert (error["status"], error["error_type"], error["http_status"]) == (
        "error",
        "http_503",
        503,
    )


def test_har_entry_without_time_is_quarantined_alone(tmp_path: Path) -> None:
    good = _har_entry(
        "https://api.openai.com/v1/chat/completions", _CHAT_REQUEST, _CHAT_ANSWER
    )
    bad = dict(good)
    del bad["startedDateTime"]
    units = read_path(_write_har(tmp_path / "q.har", [good, bad]))
    assert [(u.outcome, u.reason) for u in units] == [
        ("accepted", None),
        ("quarantined", "missing_timestamp"),
    ]
    # Kept as the entry re-serialised, its credentials hidden.
    assert units[1].raw == orjson.dumps(redacted_unit(bad), option=orjson.OPT_SORT_KEYS)
    assert b"sk-secret" not in units[1].raw
    assert b'"name":"Authorization","value":"[redacted]"' in units[1].raw


def test_no_kept_unit_holds_a_credential(tmp_path: Path) -> None:
    """Regression: quarantined HAR and VCR units kept API keys in their raw bytes."""
    entry = _har_entry(
        "https://x.openai.azure.com/openai/deployments/d/chat/completions"
        "?api-version=2024-06-01&api-key=sk-in-query",
        _CHAT_REQUEST,
        _CHAT_ANSWER,
    )
    entry["request"]["cookies"] = [{"name": "session", "value": "sk-in-cookie"}]
    entry["request"]["queryString"] = [{"name": "api-key", "value": "sk-in-query"}]
    del entry["startedDateTime"]
    interaction = {
        "request": {
            "method": "POST",
            "uri": "https://api.openai.com/v1/chat/completions?key=sk-in-query",
            "headers": {"Authorization": ["Bearer sk-secret"], "api-key": "sk-key"},
            "body": "{}",
        },
        "response": {"status": {"code": 200}, "headers": {}, "body": {"string": "x"}},
    }
    cassette = tmp_path / "cassette.yaml"
    cassette.write_text(yaml.safe_dump({"interactions": [interaction], "version": 1}))

    units = [
        *read_path(_write_har(tmp_path / "q.har", [entry])),
        *read_path(cassette),
    ]

    assert [u.outcome for u in units] == ["quarantined", "quarantined"]
    for unit in units:
        assert b"sk-" not in unit.raw
        assert b"[redacted]" in unit.raw


def _openai_sse() -> str:
    chunks = [
        {
            "id": "c1",
            "model": "gpt-4o-mini-2024-07-18",
            "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}],
        },
        {"id": "c1", "choices": [{"index": 0, "delta": {"content": "Hel"}}]},
        {
            "id": "c1",
            "choices": [
                {"index": 0, "delta": {"content": "lo"}, "finish_reason": "stop"}
            ],
        },
        {
            "id": "c1",
            "choices": [],
            "usage": {"prompt_tokens": 9, "completion_tokens": 2},
        },
    ]
    return (
        "".join(f"data: {orjson.dumps(c).decode()}\n\n" for c in chunks)
        + "data: [DONE]\n\n"
    )


def _cassette(
    path: Path, uri: str, request: Any, body: str, headers: dict[str, Any]
) -> Path:
    cassette = {
        "interactions": [
            {
                "request": {
                    "body": orjson.dumps(request).decode(),
                    "headers": {},
                    "method": "POST",
                    "uri": uri,
                },
                "response": {
                    "body": {"string": body},
                    "headers": {"Date": ["Sat, 01 Jun 2024 10:00:00 GMT"], **headers},
                    "status": {"code": 200, "message": "OK"},
                },
            }
        ],
        "version": 1,
    }
    path.write_text(yaml.safe_dump(cassette))
    return path


def test_openai_sse_stream_is_reassembled(tmp_path: Path) -> None:
    path = _cassette(
        tmp_path / "stream.yaml",
        "https://api.openai.com/v1/chat/completions",
        {**_CHAT_REQUEST, "stream": True},
        _openai_sse(),
        {"Content-Type": ["text/event-stream"], "openai-processing-ms": ["41"]},
    )
    (unit,) = read_path(path)
    record = unit.record
    assert record is not None and unit.source_format == "vcr-cassette"
    assert record["output_text"] == messages_text(
        [{**text_message("assistant", "Hello"), "finish_reason": "stop"}]
    )
    assert (record["tokens_in"], record["tokens_out"]) == (9, 2)
    assert record["model_version"] == "gpt-4o-mini-2024-07-18"
    assert record["latency_ms"] == 41.0
    assert record["ts_start"] == datetime(2024, 6, 1, 10, 0, tzinfo=UTC)


def test_anthropic_stream_with_tool_use_and_error(tmp_path: Path) -> None:
    events = [
        (
            "message_start",
            {
                "type": "message_start",
                "message": {
                    "model": "claude-x",
                    "role": "assistant",
                    "content": [],
                    "usage": {"input_tokens": 5, "output_tokens": 1},
                },
            },
        ),
        (
            "content_block_start",
            {
                "type": "content_block_start",
                "index": 0,
                "content_block": {
                    "type": "tool_use",
                    "id": "tu_1",
                    "name": "lookup",
                    "input": {},
                },
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": '{"q": '},
            },
        ),
        (
            "content_block_delta",
            {
                "type": "content_block_delta",
                "index": 0,
                "delta": {"type": "input_json_delta", "partial_json": '"x"}'},
            },
        ),
        (
            "error",
            {"type": "error", "error": {"type": "overloaded_error", "message": "busy"}},
        ),
    ]
    body = "".join(
        f"event: {n}\ndata: {orjson.dumps(d).decode()}\n\n" for n, d in events
    )
    path = _cassette(
        tmp_path / "a.yaml",
        "https://api.anthropic.com/v1/messages",
        {
            "model": "claude-x",
            "system": "sys",
            "messages": [{"role": "user", "content": "hi"}],
        },
        body,
        {"content-type": ["text/event-stream"]},
    )
    (unit,) = read_path(path)
    record = unit.record
    assert record is not None
    assert (record["status"], record["error_type"]) == ("error", "overloaded_error")
    assert (record["tokens_in"], record["tokens_out"]) == (5, 1)
    assert record["input_text"] == messages_text(
        [text_message("system", "sys"), text_message("user", "hi")]
    )
    (message,) = orjson.loads(record["output_text"])
    assert message["parts"] == [
        {"type": "tool_call", "id": "tu_1", "name": "lookup", "arguments": {"q": "x"}}
    ]


def test_unreadable_cassette_is_one_quarantined_unit(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_bytes(b"interactions:\n- request: [unclosed\n")
    (unit,) = read_path(path)
    assert (unit.source_format, unit.outcome, unit.reason) == (
        "vcr-cassette",
        "quarantined",
        "invalid_yaml",
    )
    assert unit.raw == path.read_bytes()
