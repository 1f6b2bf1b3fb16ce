"""Golden tests: every real file in data_fixtures/real gives these exact values.

Each expectation was read off the file itself (see data_fixtures/real/SOURCES.md
for where each came from and which quirk it carries).
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import pytest
from ingest_helpers import REAL, read_path

from ledgerlens.ingest import Unit
from ledgerlens.record import RECORD_COLUMNS, messages_text, text_message

VCR_OPENAI = REAL / "otel-contrib-openai-vcr"
AZURE = REAL / "openllmetry-azure-content-filter"
ANTHROPIC_SSE = (
    REAL / "openllmetry-anthropic-sse" / "test_anthropic_message_streaming_legacy.yaml"
)
LITELLM = REAL / "litellm-logging-payloads" / "standard_logging_payload.json"
LANGFUSE = (
    REAL
    / "litellm-logging-payloads"
    / "langfuse_ingestion_batch_completion_with_tags.json"
)
PHOENIX = REAL / "phoenix-openinference-spans" / "pxi_turn_trace.json"
MT_BENCH = REAL / "fastchat-mt-bench"

_FIELDS = (
    "model",
    "model_version",
    "provider",
    "tokens_in",
    "tokens_out",
    "latency_ms",
    "status",
    "http_status",
    "finish_reason",
    "error_type",
    "ts_start",
)


def _utc(
    year: int, month: int, day: int, hour: int, minute: int, second: int, micro: int = 0
) -> datetime:
    return datetime(year, month, day, hour, minute, second, micro, tzinfo=UTC)


def _fields(record: dict[str, Any]) -> dict[str, Any]:
    return {name: record[name] for name in _FIELDS}


def _policies(record: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [
        (p["policy"], p["category"], p["outcome"])
        for p in record["policy_results"] or []
    ]


def _records(units: list[Unit]) -> list[dict[str, Any]]:
    return [u.record for u in units if u.outcome == "accepted" and u.record]


def _outcomes(units: list[Unit]) -> dict[str, int]:
    return dict(Counter(u.outcome for u in units))


def _passing(policy: str, categories: list[str]) -> list[tuple[str, str, str]]:
    return [(policy, category, "pass") for category in categories]


_ANSWER_CATEGORIES = [
    "hate",
    "protected_material_code",
    "protected_material_text",
    "self_harm",
    "sexual",
    "violence",
]
_PROMPT_CATEGORIES = ["hate", "jailbreak", "self_harm", "sexual", "violence"]
_ALL_PASS = _passing("azure.content_filter", _ANSWER_CATEGORIES) + _passing(
    "azure.prompt_filter", _PROMPT_CATEGORIES
)


def test_openai_chat_completion_cassette() -> None:
    units = read_path(VCR_OPENAI / "test_chat_completion_with_content.yaml")
    (record,) = _records(units)
    assert units[0].source_format == "vcr-cassette"
    assert set(record) == set(RECORD_COLUMNS)
    assert _fields(record) == {
        "model": "gpt-4o-mini",
        "model_version": "gpt-4o-mini-2024-07-18",
        "provider": "openai",
        "tokens_in": 12,
        "tokens_out": 5,
        "latency_ms": 287.0,  # openai-processing-ms
        "status": "ok",
        "http_status": 200,
        "finish_reason": "stop",
        "error_type": None,
        "ts_start": _utc(2024, 11, 11, 23, 43, 50),  # the Date header
    }
    assert record["policy_results"] is None
    assert record["endpoint"] == "/v1/chat/completions"
    assert record["input_text"] == messages_text(
        [text_message("user", "Say this is a test")]
    )
    answer = text_message("assistant", "This is a test.")
    assert record["output_text"] == messages_text([{**answer, "finish_reason": "stop"}])
    extra = orjson.loads(record["extra"])
    assert extra["request_id"] == "req_58cff97afd0e7c0bba910ccf0b044a6f"
    assert extra["response"]["system_fingerprint"] == "fp_0ba0d124f1"
    # The placeholder credentials the cassette carries never reach the store.
    headers = extra["http"]["request_headers"]
    assert headers["authorization"] == ["[redacted]"]
    assert extra["http"]["response_headers"]["set-cookie"] == ["[redacted]"]


def test_openai_404_cassette_is_an_error_record() -> None:
    (record,) = _records(read_path(VCR_OPENAI / "test_chat_completion_404.yaml"))
    assert _fields(record) == {
        "model": "this-model-does-not-exist",
        "model_version": None,
        "provider": "openai",
        "tokens_in": None,
        "tokens_out": None,
        "latency_ms": None,
        "status": "error",
        "http_status": 404,
        "finish_reason": None,
        "error_type": "model_not_found",
        "ts_start": _utc(2024, 11, 11, 23, 43, 52),
    }
    assert record["output_text"] is None
    extra = orjson.loads(record["extra"])
    assert extra["request_id"] == "req_c3e0f92d7b5426d1a4a17bb3d39953ea"


def test_azure_prompt_filtering_cassette() -> None:
    units = read_path(AZURE / "test_prompt_content_filtering.yaml")
    assert _outcomes(units) == {"accepted": 4}
    records = _records(units)

    # HTTP 200 whose body is an error with status 400 and code content_filter.
    filtered = records[0]
    assert _fields(filtered) == {
        "model": "openllmetry-testing",  # the deployment the request named
        "model_version": None,
        "provider": "azure.ai.openai",
        "tokens_in": None,
        "tokens_out": None,
        "latency_ms": None,
        "status": "error",
        "http_status": 200,
        "finish_reason": None,
        "error_type": "content_filter",
        "ts_start": _utc(2024, 4, 25, 9, 46, 20),
    }
    # `self-harm` in the error body is the same category as `self_harm`.
    assert _policies(filtered) == [
        ("azure.prompt_filter", "hate", "block"),
        ("azure.prompt_filter", "self_harm", "block"),
        ("azure.prompt_filter", "sexual", "pass"),
        ("azure.prompt_filter", "violence", "block"),
    ]
    assert orjson.loads(filtered["extra"])["error_status"] == 400

    expected = [
        (_utc(2026, 3, 31, 13, 12, 38), 19, "0c02c494a6de38204df4a69da8af28ef"),
        (_utc(2026, 3, 31, 13, 20, 30), 35, "5d1a4f17123fefb004ab8693439f621c"),
        (_utc(2026, 3, 31, 13, 24, 1), 23, "4fd2de8fcc8191ae99d3a3b7f7a25a62"),
    ]
    for record, (start, tokens_out, trace_id) in zip(
        records[1:], expected, strict=True
    ):
        assert _fields(record) == {
            "model": "openllmetry-testing",
            "model_version": "gpt-4.1-mini-2025-04-14",
            "provider": "azure.ai.openai",
            "tokens_in": 16,
            "tokens_out": tokens_out,
            "latency_ms": None,
            "status": "ok",
            "http_status": 200,
            "finish_reason": "stop",
            "error_type": None,
            "ts_start": start,
        }
        assert _policies(record) == _ALL_PASS
        assert record["trace_id"] == trace_id  # from the traceparent header


def test_azure_emoji_answer_is_kept_exactly() -> None:
    records = _records(read_path(AZURE / "test_prompt_content_filtering.yaml"))
    (message,) = orjson.loads(records[2]["output_text"])
    assert message["parts"][0]["content"].endswith("never lose context! \U0001f604")


def test_azure_chat_filtering_cassette() -> None:
    records = _records(read_path(AZURE / "test_chat_content_filtering.yaml"))
    assert len(records) == 4
    first = records[0]
    assert _fields(first) == {
        "model": "openllmetry-testing",
        "model_version": "gpt-35-turbo",
        "provider": "azure.ai.openai",
        "tokens_in": 15,
        "tokens_out": 19,
        "latency_ms": None,
        "status": "ok",
        "http_status": 200,
        "finish_reason": "content_filter",
        "error_type": None,
        "ts_start": _utc(2024, 4, 25, 9, 46, 20),
    }
    assert _policies(first) == [
        ("azure.content_filter", "hate", "block"),
        ("azure.content_filter", "self_harm", "pass"),
        ("azure.content_filter", "sexual", "pass"),
        ("azure.content_filter", "violence", "pass"),
        *_passing("azure.prompt_filter", ["hate", "self_harm", "sexual", "violence"]),
    ]
    later = [(r["ts_start"], r["tokens_out"], r["model_version"]) for r in records[1:]]
    assert later == [
        (_utc(2026, 3, 31, 13, 12, 32), 24, "gpt-4.1-mini-2025-04-14"),
        (_utc(2026, 3, 31, 13, 20, 25), 19, "gpt-4.1-mini-2025-04-14"),
        (_utc(2026, 3, 31, 13, 23, 56), 21, "gpt-4.1-mini-2025-04-14"),
    ]
    assert all(_policies(r) == _ALL_PASS for r in records[1:])


def test_anthropic_sse_stream_is_one_record() -> None:
    units = read_path(ANTHROPIC_SSE)
    (record,) = _records(units)
    assert len(units) == 1
    assert _fields(record) == {
        "model": "claude-3-haiku-20240307",
        "model_version": "claude-3-haiku-20240307",
        "provider": "anthropic",
        "tokens_in": 17,  # message_start
        "tokens_out": 171,  # the final message_delta, not message_start's 3
        "latency_ms": None,
        "status": "ok",
        "http_status": 200,
        "finish_reason": "end_turn",
        "error_type": None,
        "ts_start": _utc(2024, 10, 20, 22, 47, 56),
    }
    (message,) = orjson.loads(record["output_text"])
    assert message["role"] == "assistant"
    assert message["finish_reason"] == "end_turn"
    (part,) = message["parts"]
    assert part["content"].startswith(
        "Here's an OpenTelemetry-themed joke for you:\n\n"
    )
    assert part["content"].endswith("hear any other tech-themed jokes!")
    extra = orjson.loads(record["extra"])
    # 70 delta events (SOURCES.md's "140" counts each event's two lines).
    assert extra["stream"]["events"]["content_block_delta"] == 70
    assert extra["stream"]["events"]["message_delta"] == 1
    assert extra["request_id"] == "req_01JUK6ATKHDAaXF2Bs7Xprjv"


def test_litellm_naive_times_are_quarantined_without_naive_tz() -> None:
    (unit,) = read_path(LITELLM)
    assert unit.source_format == "litellm-payload"
    assert (unit.outcome, unit.reason) == ("quarantined", "naive_timestamp")
    assert unit.raw == LITELLM.read_bytes()


def test_litellm_payload_with_naive_tz() -> None:
    (unit,) = read_path(LITELLM, naive_tz="Europe/Paris")
    record = unit.record
    assert record is not None and unit.outcome == "accepted"
    assert _fields(record) == {
        "model": "gpt-4o",
        "model_version": "gpt-4o",
        "provider": "openai",
        "tokens_in": 10,
        "tokens_out": 20,
        "latency_ms": 4.583,
        "status": "ok",
        "http_status": None,
        "finish_reason": "stop",
        "error_type": None,
        # 09:20:46.847371 in Paris (CET, UTC+1) in January.
        "ts_start": _utc(2025, 1, 24, 8, 20, 46, 847371),
    }
    assert record["ts_end"] == _utc(2025, 1, 24, 8, 20, 46, 851954)
    assert record["cost_usd"] == 0.00022500000000000002
    assert record["policy_results"] is None
    assert record["output_text"] == messages_text(
        [{**text_message("assistant", "hi"), "finish_reason": "stop"}]
    )
    extra = orjson.loads(record["extra"])
    assert extra["call_type"] == "acompletion"
    assert extra["model_map_information"]["model_map_key"] == "gpt-4o"


def test_langfuse_batch_folds_the_trace_into_its_generation() -> None:
    units = read_path(LANGFUSE)
    assert _outcomes(units) == {"merged": 1, "accepted": 1}
    trace_unit, generation_unit = units
    record = generation_unit.record
    assert record is not None
    assert trace_unit.merged_into == record["record_id"]
    assert _fields(record) == {
        "model": "gpt-3.5-turbo",
        "model_version": None,
        "provider": "openai",  # the api_base LiteLLM called
        "tokens_in": 10,
        "tokens_out": 20,
        "latency_ms": 1.64,
        "status": "ok",
        "http_status": None,
        "finish_reason": None,
        "error_type": None,
        # 07:31:28.960749-08:00 on the generation (the trace says Z).
        "ts_start": _utc(2025, 1, 22, 15, 31, 28, 960749),
    }
    assert record["trace_id"] == "litellm-test-f3ab679b-1e1d-43fd-9a9a-f11287aeb339"
    assert record["cost_usd"] == 5.4999999999999995e-05
    extra = orjson.loads(record["extra"])
    assert extra["trace"]["tags"] == ["test_tag", "test_tag_2"]
    assert [e["type"] for e in extra["langfuse_events"]] == [
        "trace-create",
        "generation-create",
    ]
    assert extra["langfuse_batch"]["sdk_version"] == "2.44.1"


def test_phoenix_trace_llm_spans_and_lineage() -> None:
    units = read_path(PHOENIX)
    assert _outcomes(units) == {"lineage_only": 9, "accepted": 9}
    by_span = {u.record["span_id"]: u for u in units if u.record}
    root = by_span["s01"]
    assert root.outcome == "lineage_only"
    assert root.record is not None and root.record["parent_span_id"] is None
    failed_tool = by_span["s11"]
    assert failed_tool.outcome == "lineage_only"
    assert failed_tool.record is not None
    assert failed_tool.record["status"] == "error"

    records = _records(units)
    assert all(r["parent_span_id"] == "s01" for r in records)
    assert [(r["span_id"], r["tokens_in"], r["tokens_out"]) for r in records] == [
        ("s02", 32321, 119),
        ("s04", 33286, 168),
        ("s06", 33789, 402),
        ("s08", 34248, 212),
        ("s10", 34504, 102),
        ("s12", 34743, 406),
        ("s14", 35446, 104),
        ("s16", 35602, 196),
        ("s18", 36283, 186),
    ]
    assert _fields(records[0]) == {
        "model": "claude-fable-5",
        "model_version": "claude-fable-5",
        "provider": "anthropic",
        "tokens_in": 32321,
        "tokens_out": 119,
        "latency_ms": 1000.0,
        "status": "ok",
        "http_status": None,
        "finish_reason": None,
        "error_type": None,
        "ts_start": _utc(2026, 7, 9, 0, 0, 1),
    }
    assert records[0]["session_id"] == "fixture-session"
    (output,) = orjson.loads(records[0]["output_text"])
    assert output["parts"] == [
        {"type": "tool_call", "id": "call-04", "name": "list_datasets", "arguments": ""}
    ]


def test_mt_bench_answers_and_questions() -> None:
    answers = read_path(MT_BENCH / "reference_answer_gpt-4.jsonl")
    assert _outcomes(answers) == {"accepted": 30}
    first = _records(answers)[0]
    assert _fields(first) == {
        "model": "gpt-4",
        "model_version": None,
        "provider": None,
        "tokens_in": None,
        "tokens_out": None,
        "latency_ms": None,
        "status": "ok",
        "http_status": None,
        "finish_reason": None,
        "error_type": None,
        "ts_start": _utc(2023, 6, 9, 5, 2, 4, 844282),  # tstamp 1686286924.844282
    }
    assert len(orjson.loads(first["output_text"])) == 2  # two turns
    assert orjson.loads(first["extra"])["question_id"] == 101

    questions = read_path(MT_BENCH / "question.jsonl")
    assert _outcomes(questions) == {"quarantined": 80}
    assert {u.reason for u in questions} == {"missing_timestamp"}


@pytest.mark.parametrize(
    "path", sorted(p for p in REAL.rglob("*") if p.is_file() and p.suffix != ".md")
)
def test_every_real_file_has_a_format(path: Path) -> None:
    units = read_path(path, naive_tz="UTC")
    assert units
    assert "unknown" not in {u.source_format for u in units}
