"""Langfuse batches and exports: events folded into records, each one counted."""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import orjson
from ingest_helpers import read_path, write_lines

from ledgerlens.ingest import Unit


def _event(kind: str, body: dict[str, Any], n: int) -> dict[str, Any]:
    return {
        "id": f"ev-{n}",
        "type": kind,
        "timestamp": "2024-06-01T10:00:0{n}Z",
        "body": body,
    }


_TRACE = {
    "id": "t1",
    "timestamp": "2024-06-01T10:00:00Z",
    "sessionId": "s-9",
    "release": "1.4.0",
    "userId": "u-1",
}
_GENERATION = {
    "id": "g1",
    "traceId": "t1",
    "startTime": "2024-06-01T10:00:01.5Z",
    "model": "gpt-4o",
    "input": [{"role": "user", "content": "Hi"}],
}
_UPDATE = {
    "id": "g1",
    "traceId": "t1",
    "endTime": "2024-06-01T10:00:02Z",
    "output": {"role": "assistant", "content": "Hello"},
    "usage": {"promptTokens": 3, "completionTokens": 2},
    "level": "ERROR",
    "statusMessage": "rate_limited",
}


def _batch(path: Path, events: list[dict[str, Any]]) -> list[Unit]:
    path.write_bytes(
        orjson.dumps({"batch": events, "metadata": {"sdk_name": "python"}})
    )
    return read_path(path)


def _by_outcome(units: list[Unit]) -> dict[str, int]:
    return dict(Counter(u.outcome for u in units))


def test_create_and_update_fold_into_one_record(tmp_path: Path) -> None:
    units = _batch(
        tmp_path / "b.json",
        [
            _event("trace-create", _TRACE, 0),
            _event("generation-create", _GENERATION, 1),
            _event("generation-update", _UPDATE, 2),
        ],
    )
    assert _by_outcome(units) == {"merged": 2, "accepted": 1}
    (record,) = [u.record for u in units if u.record]
    assert all(
        u.merged_into == record["record_id"] for u in units if u.outcome == "merged"
    )
    assert (record["tokens_in"], record["tokens_out"]) == (3, 2)
    assert (record["status"], record["error_type"]) == ("error", "rate_limited")
    assert (record["session_id"], record["app_version"]) == ("s-9", "1.4.0")
    assert record["latency_ms"] == 500.0
    assert orjson.loads(record["output_text"])[0]["parts"][0]["content"] == "Hello"
    # A raw user id is not a keyed user_ref: it stays in extra.
    assert record["user_ref"] is None
    assert orjson.loads(record["extra"])["trace"]["userId"] == "u-1"


def test_scores_are_merged_as_evaluations(tmp_path: Path) -> None:
    score_obs = {
        "id": "sc1",
        "traceId": "t1",
        "observationId": "g1",
        "name": "accuracy",
        "value": 0.9,
    }
    score_trace = {
        "id": "sc2",
        "traceId": "t1",
        "name": "thumbs",
        "value": 1,
        "dataType": "BOOLEAN",
    }
    orphan = {"id": "sc3", "traceId": "elsewhere", "name": "x", "value": 0}
    units = _batch(
        tmp_path / "s.json",
        [
            _event("trace-create", _TRACE, 0),
            _event("generation-create", _GENERATION, 1),
            _event("score-create", score_obs, 2),
            _event("score-create", score_trace, 3),
            _event("score-create", orphan, 4),
        ],
    )
    assert _by_outcome(units) == {"merged": 3, "accepted": 1, "quarantined": 1}
    (quarantined,) = [u for u in units if u.outcome == "quarantined"]
    assert quarantined.reason == "unmatched_reference"
    (record,) = [u.record for u in units if u.record]
    evaluations = orjson.loads(record["extra"])["evaluations"]
    assert [(e["name"], e["value"]) for e in evaluations] == [
        ("accuracy", 0.9),
        ("thumbs", 1),
    ]
    assert record["policy_results"] is None


def test_spans_traces_alone_and_unknown_events(tmp_path: Path) -> None:
    span = {
        "id": "sp1",
        "traceId": "t2",
        "startTime": "2024-06-01T10:00:00Z",
        "name": "retrieve",
    }
    lone_trace = {"id": "t2", "timestamp": "2024-06-01T09:59:59Z"}
    units = _batch(
        tmp_path / "l.json",
        [
            _event("trace-create", lone_trace, 0),
            _event("span-create", span, 1),
            _event("sdk-log", {"log": "x"}, 2),
        ],
    )
    assert [(u.index, u.outcome, u.reason) for u in units] == [
        (0, "lineage_only", None),
        (1, "lineage_only", None),
        (2, "quarantined", "unsupported_event"),
    ]
    assert units[1].record is not None and units[1].record["trace_id"] == "t2"


def test_export_of_observations_as_json_lines(tmp_path: Path) -> None:
    generation = {
        "id": "o1",
        "type": "GENERATION",
        "traceId": "t9",
        "startTime": "2024-06-01T10:00:00+02:00",
        "endTime": "2024-06-01T10:00:01+02:00",
        "model": "claude-3-haiku",
        "usageDetails": {"input": 11, "output": 4},
        "costDetails": {"total": 0.002},
        "promptName": "support",
        "promptVersion": 3,
    }
    event = {
        "id": "o2",
        "type": "EVENT",
        "traceId": "t9",
        "startTime": "2024-06-01T08:00:00Z",
    }
    path = write_lines(
        tmp_path / "obs.jsonl", [orjson.dumps(generation), orjson.dumps(event)]
    )
    units = read_path(path)
    assert [u.source_format for u in units] == ["langfuse", "langfuse"]
    assert [u.outcome for u in units] == ["accepted", "lineage_only"]
    record = units[0].record
    assert record is not None
    assert (record["tokens_in"], record["tokens_out"], record["cost_usd"]) == (
        11,
        4,
        0.002,
    )
    assert (record["prompt_template_id"], record["prompt_template_version"]) == (
        "support",
        "3",
    )
    assert record["ts_start"].isoformat() == "2024-06-01T08:00:00+00:00"
