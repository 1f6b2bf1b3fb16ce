"""LiteLLM StandardLoggingPayload: epoch or naive times, failures, guardrails."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
from ingest_helpers import read_path, write_lines


def _payload(**changes: Any) -> dict[str, Any]:
    payload = {
        "id": "call-1",
        "call_type": "completion",
        "status": "success",
        "custom_llm_provider": "azure",
        "startTime": 1717236000.25,
        "endTime": 1717236001.5,
        "model": "gpt-4o",
        "prompt_tokens": 10,
        "completion_tokens": 5,
        "response_cost": 0.001,
        "messages": [{"role": "user", "content": "Hi"}],
        "response": {
            "model": "gpt-4o-2024-05-13",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Yo"},
                    "finish_reason": "stop",
                }
            ],
        },
        "metadata": {"user_api_key_end_user_id": None},
    }
    payload.update(changes)
    return payload


def test_json_lines_with_epoch_times(tmp_path: Path) -> None:
    path = write_lines(tmp_path / "calls.jsonl", [orjson.dumps(_payload())] * 2)
    units = read_path(path)
    assert [(u.source_format, u.outcome) for u in units] == [
        ("litellm-payload", "accepted")
    ] * 2
    record = units[0].record
    assert record is not None
    assert record["ts_start"] == datetime(2024, 6, 1, 10, 0, 0, 250000, tzinfo=UTC)
    assert record["latency_ms"] == 1250.0
    assert (record["provider"], record["model"], record["model_version"]) == (
        "azure.ai.openai",
        "gpt-4o",
        "gpt-4o-2024-05-13",
    )
    assert (record["tokens_in"], record["tokens_out"], record["cost_usd"]) == (
        10,
        5,
        0.001,
    )
    assert units[1].offset == len(orjson.dumps(_payload())) + 1


def test_failure_with_status_code_and_guardrails(tmp_path: Path) -> None:
    failed = _payload(
        status="failure",
        response=None,
        error_information={
            "error_code": "429",
            "error_class": "RateLimitError",
            "error_message": "slow down",
        },
        guardrail_information={
            "guardrail_name": "pii-mask",
            "guardrail_mode": "pre_call",
            "guardrail_status": "guardrail_intervened",
        },
    )
    path = tmp_path / "one.json"
    path.write_bytes(orjson.dumps(failed, option=orjson.OPT_INDENT_2))
    (unit,) = read_path(path)
    record = unit.record
    assert record is not None
    assert (record["status"], record["error_type"], record["http_status"]) == (
        "error",
        "RateLimitError",
        429,
    )
    assert record["policy_results"] == [
        {
            "policy": "pii-mask",
            "version": None,
            "outcome": "block",
            "category": "pre_call",
            "score": None,
        }
    ]
    assert (
        orjson.loads(record["extra"])["error_information"]["error_message"]
        == "slow down"
    )


def test_naive_strings_follow_naive_tz(tmp_path: Path) -> None:
    naive = _payload(startTime="2024-06-01 12:00:00.5", endTime="2024-06-01 12:00:01")
    path = write_lines(tmp_path / "n.jsonl", [orjson.dumps(naive)])
    (unit,) = read_path(path)
    assert (unit.outcome, unit.reason) == ("quarantined", "naive_timestamp")
    (unit,) = read_path(path, naive_tz="America/New_York")
    assert unit.record is not None
    assert unit.record["ts_start"] == datetime(2024, 6, 1, 16, 0, 0, 500000, tzinfo=UTC)
