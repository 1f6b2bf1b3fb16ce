"""OpenAI Batch API output files: one record per answered request."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import orjson
from ingest_helpers import read_path, write_lines


def test_batch_output_lines(tmp_path: Path) -> None:
    ok = {
        "id": "batch_req_1",
        "custom_id": "request-1",
        "response": {
            "status_code": 200,
            "request_id": "req_a",
            "body": {
                "id": "chatcmpl-1",
                "created": 1711652795,
                "model": "gpt-4o-mini-2024-07-18",
                "choices": [
                    {
                        "index": 0,
                        "message": {"role": "assistant", "content": "Hi"},
                        "finish_reason": "stop",
                    }
                ],
                "usage": {"prompt_tokens": 22, "completion_tokens": 2},
            },
        },
        "error": None,
    }
    refused = {
        "id": "batch_req_2",
        "custom_id": "request-2",
        "response": {
            "status_code": 400,
            "request_id": "req_b",
            "body": {
                "created": 1711652796,
                "error": {"code": "invalid_prompt", "message": "no"},
            },
        },
        "error": None,
    }
    expired = {
        "id": "batch_req_3",
        "custom_id": "request-3",
        "response": None,
        "error": {"code": "batch_expired", "message": "x"},
    }
    path = write_lines(
        tmp_path / "out.jsonl", [orjson.dumps(v) for v in (ok, refused, expired)]
    )
    units = read_path(path)
    assert [(u.source_format, u.outcome, u.reason) for u in units] == [
        ("openai-batch", "accepted", None),
        ("openai-batch", "accepted", None),
        ("openai-batch", "quarantined", "missing_timestamp"),
    ]
    first, second = units[0].record, units[1].record
    assert first is not None and second is not None
    assert first["ts_start"] == datetime(2024, 3, 28, 19, 6, 35, tzinfo=UTC)
    assert (first["model"], first["model_version"], first["tokens_in"]) == (
        "gpt-4o-mini-2024-07-18",
        "gpt-4o-mini-2024-07-18",
        22,
    )
    assert orjson.loads(first["extra"])["custom_id"] == "request-1"
    assert (second["status"], second["error_type"], second["http_status"]) == (
        "error",
        "invalid_prompt",
        400,
    )
