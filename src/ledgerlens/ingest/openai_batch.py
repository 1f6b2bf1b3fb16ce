"""``openai-batch``: OpenAI Batch API output files (JSON Lines).

Each line answers one request of a batch: ``{"id", "custom_id", "response":
{"status_code", "request_id", "body"}, "error"}``. The line is one unit. The
body is a chat-completion (or embeddings) body mapped as an HTTP answer is;
``ts_start`` is the body's ``created`` (epoch seconds), the only clock the file
has, so a failed line with no body is quarantined as ``missing_timestamp``
(its bytes are kept). The output file names no requested model; the answered
model fills both ``model`` and ``model_version``, as for spans.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

from ledgerlens.ingest._build import Draft
from ledgerlens.ingest._chat import map_error_body, map_openai_response
from ledgerlens.ingest._units import UnitMaker, json_values
from ledgerlens.ingest.interface import (
    IngestOptions,
    Sample,
    SourceFile,
    Unit,
    UnitOutcome,
    UnitRejected,
)
from ledgerlens.ingest.timeparse import TimestampError, parse_timestamp

__all__ = ["OPENAI_BATCH", "OpenAIBatchAdapter"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class OpenAIBatchAdapter:
    """``openai-batch``: one unit per line of a Batch API output file."""

    name: str = "openai-batch"

    def sniff(self, sample: Sample) -> int:
        """Sure when the first line has ``custom_id`` and a ``response`` or error."""
        first = sample.first_object
        if first is None or "custom_id" not in first:
            return 0
        return 90 if "response" in first or "error" in first else 40

    def read(self, source: SourceFile, options: IngestOptions) -> Iterator[Unit]:
        """Yield one unit per line; a line that fails is quarantined alone."""
        maker = UnitMaker(source, self.name, options)
        for value in json_values(source):
            if value.reason is not None:
                yield maker.quarantined(value.offset, 0, value.raw, value.reason)
                continue
            line = value.value
            yield maker.built(value.offset, 0, value.raw, partial(_draft, line))


OPENAI_BATCH: Final = OpenAIBatchAdapter()


def _draft(line: Any) -> tuple[Draft, UnitOutcome]:
    if not isinstance(line, dict):
        raise UnitRejected("not_an_object")
    response = line.get("response")
    if response is not None and not isinstance(response, dict):
        raise UnitRejected("bad_field:response")
    response = response or {}
    body = response.get("body")
    if not isinstance(body, dict) or body.get("created") is None:
        raise TimestampError("missing_timestamp", "the line has no created time")

    draft = Draft()
    columns = draft.columns
    columns["ts_start"] = parse_timestamp(body["created"])
    columns["provider"] = "openai"
    columns["status"] = "ok"
    columns["http_status"] = _status(response.get("status_code"))
    if isinstance(body.get("error"), dict):
        map_error_body(body["error"], draft)
        rest = {k: v for k, v in body.items() if k != "error"}
        draft.extra["error"] = body["error"]
    else:
        rest = map_openai_response(body, draft)
    columns["model"] = columns.get("model_version")
    if isinstance(line.get("error"), dict):
        map_error_body(line["error"], draft)
    _error_status(columns)

    for key in ("id", "custom_id", "error"):
        if line.get(key) is not None:
            draft.extra[key] = line[key]
    if response.get("request_id") is not None:
        draft.extra["request_id"] = response["request_id"]
    if rest:
        draft.extra["response"] = rest
    return draft, "accepted"


def _status(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise UnitRejected("bad_field:response.status_code")
    return value


def _error_status(columns: dict[str, Any]) -> None:
    status = columns.get("http_status")
    if status is not None and status >= 400:
        columns["status"] = "error"
        columns["error_type"] = columns.get("error_type") or f"http_{status}"
