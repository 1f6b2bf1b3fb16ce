"""Shared fixtures for the quality tests: a record factory.

The network guard is the suite-wide one in tests/conftest.py.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ledgerlens.record import (
    commit_text,
    messages_text,
    record_id_for,
    sha256_hex,
    text_message,
)

REPO = Path(__file__).resolve().parents[2]
DEFAULT_SUITE = REPO / "checks" / "quality.json"

# Values below follow LiteLLM's StandardLoggingPayload fixture in
# ../shared/real_inputs/litellm-logging-payloads (model, provider, times, usage).
T0 = dt.datetime(2025, 1, 24, 9, 20, 46, 847371, tzinfo=dt.UTC)

RecordFactory = Callable[..., dict[str, Any]]


def _record(index: int, **overrides: Any) -> dict[str, Any]:
    raw_line = f'{{"id": "chatcmpl-{index:04d}", "model": "gpt-4o"}}'
    source_sha256 = sha256_hex(raw_line)
    input_text = messages_text([text_message("user", "Hello, world!")])
    output_text = messages_text([text_message("assistant", "hi")])
    in_hash, in_salt, in_commit = commit_text(input_text)
    out_hash, out_salt, out_commit = commit_text(output_text)
    start = T0 + dt.timedelta(minutes=index)
    record: dict[str, Any] = {
        "record_id": record_id_for(source_sha256, None, f"span-{index}"),
        "span_id": f"span-{index}",
        "ts_start": start,
        "ts_end": start + dt.timedelta(microseconds=4583),
        "latency_ms": 4.583,
        "app": "support-bot",
        "environment": "production",
        "provider": "openai",
        "model": "gpt-4o",
        "model_version": "gpt-4o-2024-08-06",
        "input_text": input_text,
        "output_text": output_text,
        "input_sha256": in_hash,
        "input_salt": in_salt,
        "input_commitment": in_commit,
        "output_sha256": out_hash,
        "output_salt": out_salt,
        "output_commitment": out_commit,
        "tokens_in": 10,
        "tokens_out": 20,
        "cost_usd": 0.000225,
        "status": "ok",
        "finish_reason": "stop",
        "policy_results": [
            {
                "policy": "content-filter",
                "version": "2024-10",
                "outcome": "pass",
                "category": "hate",
                "score": 0.0,
            }
        ],
        "source_uri": "file:///logs/2025-01-24/litellm.jsonl",
        "source_offset": index * 512,
        "source_unit": index,
        "source_format": "litellm-standard-logging",
        "source_sha256": source_sha256,
        "extra": "{}",
    }
    record.update(overrides)
    return record


@pytest.fixture(scope="session")
def default_suite() -> Path:
    """The default suite file shipped in ``checks/``."""
    return DEFAULT_SUITE


@pytest.fixture(scope="session")
def make_record() -> RecordFactory:
    """Build one realistic canonical record; keyword arguments override fields."""
    return _record
