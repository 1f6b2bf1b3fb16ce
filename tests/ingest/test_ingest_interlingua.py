"""Golden tests: one real call, captured by two instrumentations, gives one row.

The files come from Grace/genai-interlingua (see data_fixtures/real/SOURCES.md):
the same OpenAI tool-call exchange written with current GenAI names and with
OpenInference names.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import orjson
import pytest
from ingest_helpers import GENAI_FILE, OPENINFERENCE_FILE, read_path

from ledgerlens.record import RECORD_COLUMNS, messages_text, sha256_hex, text_message

_INPUT = messages_text(
    [
        text_message("system", "You are a support agent. Use the tools you are given."),
        text_message("user", "Where is order A-1187?"),
    ]
)
_OUTPUT = messages_text(
    [
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": "call_9RtYbK2mXqLp",
                    "name": "lookup_order",
                    "arguments": {"order_id": "A-1187"},
                }
            ],
            "finish_reason": "tool_calls",
        }
    ]
)
assert _INPUT is not None and _OUTPUT is not None
EXPECTED_INPUT: str = _INPUT
EXPECTED_OUTPUT: str = _OUTPUT


def _only_record(path: Any) -> dict[str, Any]:
    units = read_path(path, ingest_run_id="run-golden")
    assert len(units) == 1
    unit = units[0]
    assert unit.outcome == "accepted"
    assert unit.source_format == "otlp-json"
    assert unit.record is not None
    return unit.record


@pytest.fixture(scope="module")
def genai() -> dict[str, Any]:
    return _only_record(GENAI_FILE)


@pytest.fixture(scope="module")
def openinference() -> dict[str, Any]:
    return _only_record(OPENINFERENCE_FILE)


def test_genai_semconv_capture_field_by_field(genai: dict[str, Any]) -> None:
    assert set(genai) == set(RECORD_COLUMNS)
    assert genai["trace_id"] == "053074667b1113278073667614bb3e19"
    assert genai["span_id"] == "03491beea3cb073d"
    assert genai["parent_span_id"] is None
    assert genai["session_id"] is None
    assert genai["ts_start"] == datetime(2026, 9, 7, 14, 41, 14, 27616, tzinfo=UTC)
    assert genai["ts_end"] == datetime(2026, 9, 7, 14, 41, 14, 47335, tzinfo=UTC)
    assert genai["latency_ms"] == 19.719
    assert genai["app"] == "capture"
    assert genai["app_version"] is None
    assert genai["environment"] is None
    assert genai["provider"] == "openai"
    assert genai["model"] == "gpt-4o-mini"
    assert genai["model_version"] == "gpt-4o-mini-2024-07-18"
    assert genai["tokens_in"] == 412
    assert genai["tokens_out"] == 27
    assert genai["finish_reason"] == "tool_calls"
    assert genai["status"] == "ok"
    assert genai["error_type"] is None
    assert genai["http_status"] is None
    assert genai["input_text"] == EXPECTED_INPUT
    assert genai["output_text"] == EXPECTED_OUTPUT
    assert genai["input_sha256"] == sha256_hex(EXPECTED_INPUT)
    assert genai["output_sha256"] == sha256_hex(EXPECTED_OUTPUT)
    assert genai["source_format"] == "otlp-json"
    assert genai["source_offset"] == 0
    assert genai["source_unit"] == 0
    assert genai["ingest_run_id"] == "run-golden"
    assert genai["source_uri"] == GENAI_FILE.absolute().as_uri()


def test_genai_capture_keeps_unmapped_attributes_in_extra(
    genai: dict[str, Any],
) -> None:
    extra = orjson.loads(genai["extra"])
    assert extra["attributes"] == {
        "gen_ai.operation.name": "chat",
        "gen_ai.request.max_tokens": 1024,
        "gen_ai.request.temperature": 0.7,
        "gen_ai.request.top_p": 0.95,
        "gen_ai.response.id": "chatcmpl-CD8yqQ2y3kZs1o0Wm7bT",
        "openai.response.system_fingerprint": "fp_capture0",
    }
    assert extra["span"] == {
        "name": "chat gpt-4o-mini",
        "kind": "SPAN_KIND_CLIENT",
        "flags": 256,
    }
    assert extra["scope"]["name"] == "opentelemetry.util.genai.handler"
    assert extra["scope"]["schemaUrl"] == "https://opentelemetry.io/schemas/1.37.0"
    assert extra["resource"]["attributes"]["telemetry.sdk.version"] == "1.44.0"
    assert "service.name" not in extra["resource"]["attributes"]


def test_openinference_capture_field_by_field(openinference: dict[str, Any]) -> None:
    record = openinference
    assert set(record) == set(RECORD_COLUMNS)
    assert record["trace_id"] == "9ed94f9bdc36b397e11c51f77d49e01a"
    assert record["span_id"] == "e9856d6fe698c4f2"
    assert record["parent_span_id"] is None
    assert record["ts_start"] == datetime(2026, 9, 7, 13, 25, 18, 970589, tzinfo=UTC)
    assert record["ts_end"] == datetime(2026, 9, 7, 13, 25, 18, 993675, tzinfo=UTC)
    assert record["latency_ms"] == 23.086
    assert record["app"] == "capture"
    assert record["provider"] == "openai"
    assert record["model"] == "gpt-4o-mini"
    assert record["model_version"] == "gpt-4o-mini-2024-07-18"
    assert record["tokens_in"] == 412
    assert record["tokens_out"] == 27
    assert record["finish_reason"] == "tool_calls"
    assert record["status"] == "ok"
    assert record["input_text"] == EXPECTED_INPUT
    assert record["output_text"] == EXPECTED_OUTPUT
    assert record["input_sha256"] == sha256_hex(EXPECTED_INPUT)
    extra = orjson.loads(record["extra"])
    # Attributes no column took stay, including the ones used only to decide.
    assert extra["attributes"]["openinference.span.kind"] == "LLM"
    assert extra["attributes"]["llm.token_count.total"] == 439
    assert extra["attributes"]["llm.token_count.prompt_details.cache_read"] == 256
    assert "llm.invocation_parameters" in extra["attributes"]
    assert extra["span"]["status"] == {"code": "STATUS_CODE_OK"}
    assert not any(k.startswith("llm.input_messages.") for k in extra["attributes"])
    assert not any(k.startswith("llm.output_messages.") for k in extra["attributes"])


SHARED_COLUMNS = (
    "app",
    "provider",
    "model",
    "model_version",
    "tokens_in",
    "tokens_out",
    "finish_reason",
    "status",
    "input_text",
    "input_sha256",
    "output_text",
    "output_sha256",
)


@pytest.mark.parametrize("column", SHARED_COLUMNS)
def test_both_dialects_agree(
    column: str, genai: dict[str, Any], openinference: dict[str, Any]
) -> None:
    assert genai[column] == openinference[column]


def test_salts_differ_so_commitments_differ(
    genai: dict[str, Any], openinference: dict[str, Any]
) -> None:
    # Same text, same plain hash, but a fresh salt per record.
    assert genai["input_salt"] != openinference["input_salt"]
    assert genai["input_commitment"] != openinference["input_commitment"]
    salt = bytes.fromhex(genai["input_salt"])
    expected = sha256_hex(salt + genai["input_text"].encode())
    assert genai["input_commitment"] == expected
