"""``har``: HTTP exchanges in an HTTP Archive (HAR 1.2) file.

A HAR file is one JSON document ``{"log": {"entries": [...]}}``; each entry is
one unit, whose ``raw`` is the entry re-serialised by orjson with sorted keys.
``startedDateTime`` is ``ts_start``; the entry's ``time`` (or the sum of its
``timings``, where ``time`` is missing) is the latency, and ``ts_end`` follows
from both. A call to a model API is ``accepted``; any other entry (a page, an
image) is ``lineage_only``.
"""

from __future__ import annotations

import base64
import binascii
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from typing import Any, Final

from ledgerlens.ingest._exchange import (
    Exchange,
    exchange_draft,
    is_model_call,
    redacted_unit,
)
from ledgerlens.ingest._jsonlines import parse_json
from ledgerlens.ingest._units import UnitMaker, dump_unit
from ledgerlens.ingest.interface import (
    IngestOptions,
    Sample,
    SourceFile,
    Unit,
    UnitOutcome,
    UnitRejected,
)
from ledgerlens.ingest.sources import read_exact
from ledgerlens.ingest.timeparse import parse_timestamp

__all__ = ["HAR", "HarAdapter"]

logger = logging.getLogger(__name__)

# HAR timings that add up to the entry's time (ssl is inside connect).
_TIMINGS: Final = ("blocked", "dns", "connect", "send", "wait", "receive")


@dataclass(frozen=True)
class HarAdapter:
    """``har``: one unit per archived request/response entry."""

    name: str = "har"

    def sniff(self, sample: Sample) -> int:
        """Sure when the document opens with a ``log`` holding ``entries``."""
        head = sample.head.lstrip()
        if head.startswith(b"{") and b'"log"' in head[:400]:
            return 80 if b'"entries"' in sample.head or b'"creator"' in head else 50
        return 0

    def read(self, source: SourceFile, options: IngestOptions) -> Iterator[Unit]:
        """Yield one unit per entry; an unreadable archive is one unit."""
        maker = UnitMaker(source, self.name, options)
        data = read_exact(source)
        try:
            document = parse_json(data, at_start=True)
        except UnitRejected as rejected:
            yield maker.quarantined(0, 0, data, rejected.reason)
            return
        log = document.get("log") if isinstance(document, dict) else None
        entries = log.get("entries") if isinstance(log, dict) else None
        if not isinstance(entries, list):
            yield maker.quarantined(0, 0, data, "bad_field:log.entries")
            return
        for index, entry in enumerate(entries):
            build = partial(_draft, entry, options.naive_tz)
            yield maker.built(0, index, dump_unit(redacted_unit(entry)), build)


HAR: Final = HarAdapter()


def _draft(entry: Any, naive_tz: str | None) -> tuple[Any, UnitOutcome]:
    exchange = _exchange(entry, naive_tz)
    model_call = is_model_call(exchange)
    draft = exchange_draft(exchange, model_call=model_call)
    for key in ("pageref", "serverIPAddress", "connection", "comment"):
        if key in entry:
            draft.extra.setdefault("har", {})[key] = entry[key]
    if isinstance(entry.get("timings"), dict):
        draft.extra.setdefault("har", {})["timings"] = entry["timings"]
    return draft, "accepted" if model_call else "lineage_only"


def _exchange(entry: Any, naive_tz: str | None) -> Exchange:
    if not isinstance(entry, dict):
        raise UnitRejected("not_an_object")
    request = entry.get("request")
    response = entry.get("response")
    if not isinstance(request, dict) or not isinstance(response, dict):
        raise UnitRejected("bad_field:entry")
    status = response.get("status")
    if isinstance(status, bool) or not isinstance(status, int | None):
        raise UnitRejected("bad_field:response.status")
    post = request.get("postData")
    return Exchange(
        method=request.get("method"),
        url=request.get("url"),
        status=status,
        request_headers=_headers(request.get("headers")),
        request_body=post.get("text") if isinstance(post, dict) else None,
        response_headers=_headers(response.get("headers")),
        response_body=_content(response.get("content")),
        started=parse_timestamp(entry.get("startedDateTime"), naive_tz),
        duration_ms=_duration(entry),
    )


def _duration(entry: dict[str, Any]) -> float | None:
    total = entry.get("time")
    if isinstance(total, int | float) and not isinstance(total, bool):
        if not math.isfinite(total) or total < 0:
            raise UnitRejected("bad_field:time")
        return float(total)
    timings = entry.get("timings")
    if not isinstance(timings, dict):
        return None
    # -1 means "does not apply" in HAR.
    parts = [timings.get(k) for k in _TIMINGS]
    values = [float(p) for p in parts if isinstance(p, int | float) and p >= 0]
    return sum(values) if values else None


def _content(content: Any) -> bytes | str | None:
    if not isinstance(content, dict):
        return None
    text = content.get("text")
    if text is None:
        return None
    if content.get("encoding") == "base64":
        try:
            return base64.b64decode(text, validate=True)
        except (binascii.Error, ValueError):
            raise UnitRejected("bad_field:response.content") from None
    if not isinstance(text, str):
        raise UnitRejected("bad_field:response.content")
    return text


def _headers(headers: Any) -> dict[str, list[str]]:
    if headers is None:
        return {}
    if not isinstance(headers, list):
        raise UnitRejected("bad_field:headers")
    result: dict[str, list[str]] = {}
    for item in headers:
        if not isinstance(item, dict) or not isinstance(item.get("name"), str):
            raise UnitRejected("bad_field:headers")
        result.setdefault(item["name"].lower(), []).append(str(item.get("value", "")))
    return result
