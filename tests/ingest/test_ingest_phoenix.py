"""Phoenix span exports: nested and flattened attributes read the same."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import orjson
from ingest_helpers import read_path, write_lines

from ledgerlens.ingest.phoenix import flatten_attributes

_FLAT = {
    "llm.model_name": "gpt-4o",
    "llm.provider": "openai",
    "llm.token_count.prompt": 12,
    "llm.token_count.completion": 3,
    "llm.input_messages.0.message.role": "user",
    "llm.input_messages.0.message.content": "Hi",
    "llm.output_messages.0.message.role": "assistant",
    "llm.output_messages.0.message.content": "Hello",
}
_NESTED = {
    "llm": {
        "model_name": "gpt-4o",
        "provider": "openai",
        "token_count": {"prompt": 12, "completion": 3},
        "input_messages": [{"message": {"role": "user", "content": "Hi"}}],
        "output_messages": [{"message": {"role": "assistant", "content": "Hello"}}],
    }
}


def _span(attributes: dict[str, Any], span_id: str) -> dict[str, Any]:
    return {
        "name": "ChatCompletion",
        "context": {"trace_id": "AB12", "span_id": span_id},
        "span_kind": "LLM",
        "parent_id": None,
        "start_time": "2024-06-01T10:00:00.123456+00:00",
        "end_time": "2024-06-01T10:00:01+00:00",
        "status_code": "OK",
        "status_message": "",
        "events": [],
        "attributes": attributes,
    }


def test_flatten_keeps_plain_lists() -> None:
    assert flatten_attributes({"a": {"b": [1, 2]}, "c": [{"d": 1}]}) == {
        "a.b": [1, 2],
        "c.0.d": 1,
    }


def test_nested_and_flat_attributes_give_the_same_columns(tmp_path: Path) -> None:
    path = write_lines(
        tmp_path / "spans.jsonl",
        [orjson.dumps(_span(_FLAT, "s1")), orjson.dumps(_span(_NESTED, "s2"))],
    )
    flat, nested = (u.record for u in read_path(path))
    assert flat is not None and nested is not None
    same = (
        "model",
        "provider",
        "tokens_in",
        "tokens_out",
        "input_text",
        "output_text",
        "input_sha256",
    )
    assert {k: flat[k] for k in same} == {k: nested[k] for k in same}
    assert flat["trace_id"] == "ab12"  # hex ids are lower-cased
    assert flat["latency_ms"] == 876.544
