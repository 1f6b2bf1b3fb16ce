"""``phoenix-spans``: Arize Phoenix span exports (OpenInference attributes).

Phoenix exports spans as a JSON list (or JSON Lines) of objects with
``context.trace_id`` / ``context.span_id``, ``parent_id``, ``span_kind``,
``start_time`` / ``end_time`` (RFC 3339), ``status_code`` and ``attributes``,
either flattened (``llm.input_messages.0.message.role``) or nested
(``{"llm": {"input_messages": [{"message": {...}}]}}``); nested attributes are
flattened first, so both read the same. Each span is one unit whose ``raw`` is
the span re-serialised by orjson with sorted keys (the unit is the whole line
for JSON Lines). LLM spans are ``accepted`` and read with the OpenInference
dialect of ``genai``; agent, chain, tool and other spans are ``lineage_only``,
their ids and parent kept so the trace stays whole.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

from ledgerlens.ingest._build import Draft
from ledgerlens.ingest._units import UnitMaker, dump_unit, json_values
from ledgerlens.ingest.genai import is_llm_span, map_llm_attributes, take_session
from ledgerlens.ingest.interface import (
    IngestOptions,
    Sample,
    SourceFile,
    Unit,
    UnitOutcome,
    UnitRejected,
)
from ledgerlens.ingest.timeparse import parse_timestamp

__all__ = ["PHOENIX_SPANS", "PhoenixSpansAdapter", "flatten_attributes"]

logger = logging.getLogger(__name__)

_KIND_ATTRIBUTE: Final = "openinference.span.kind"
_SPAN_COLUMNS: Final = frozenset(
    {"context", "parent_id", "start_time", "end_time", "attributes", "status_code"}
)
_SNIFF_KEYS: Final = (b'"span_kind"', b'"context"', b'"start_time"')


@dataclass(frozen=True)
class PhoenixSpansAdapter:
    """``phoenix-spans``: one unit per exported span."""

    name: str = "phoenix-spans"

    def sniff(self, sample: Sample) -> int:
        """Sure when the first span has ``context``, ``span_kind``, ``start_time``."""
        first = sample.first_object
        if first is not None:
            data = first.get("data")
            spans = data[:1] if isinstance(data, list) else [first]
            return 85 if spans and _looks_like_span_value(spans[0]) else 0
        head = sample.head[:4096]
        stripped = sample.head.lstrip()
        if not all(k in head for k in _SNIFF_KEYS):
            return 0
        if stripped.startswith(b"["):
            return 80
        # {"data": [...]} as the export API returns it.
        return 75 if stripped.startswith(b"{") and b'"data"' in head else 0

    def read(self, source: SourceFile, options: IngestOptions) -> Iterator[Unit]:
        """Yield one unit per span; a value that is not a span is quarantined."""
        maker = UnitMaker(source, self.name, options)
        for value in json_values(source):
            if value.reason is not None:
                yield maker.quarantined(value.offset, 0, value.raw, value.reason)
                continue
            spans = value.value
            if isinstance(spans, dict) and isinstance(spans.get("data"), list):
                spans = spans["data"]
            if not isinstance(spans, list):
                yield self._unit(maker, value.offset, 0, value.raw, spans, options)
                continue
            for index, span in enumerate(spans):
                raw = dump_unit(span)
                yield self._unit(maker, value.offset, index, raw, span, options)

    @staticmethod
    def _unit(
        maker: UnitMaker,
        offset: int,
        index: int,
        raw: bytes,
        span: Any,
        options: IngestOptions,
    ) -> Unit:
        return maker.built(offset, index, raw, lambda: _draft(span, options.naive_tz))


PHOENIX_SPANS: Final = PhoenixSpansAdapter()


def flatten_attributes(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested attribute objects as dotted keys; lists of objects get indexes.

    A list of plain values (``gen_ai.response.finish_reasons``) stays a list.
    """
    flat: dict[str, Any] = {}
    if isinstance(value, dict):
        for key, item in value.items():
            flat.update(flatten_attributes(item, f"{prefix}{key}."))
    elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
        for index, item in enumerate(value):
            flat.update(flatten_attributes(item, f"{prefix}{index}."))
    else:
        flat[prefix[:-1]] = value
    return flat


def _looks_like_span_value(value: Any) -> bool:
    return isinstance(value, Mapping) and _looks_like_span(value)


def _looks_like_span(value: Mapping[str, Any]) -> bool:
    return (
        isinstance(value.get("context"), dict)
        and "span_kind" in value
        and "start_time" in value
    )


def _draft(span: Any, naive_tz: str | None) -> tuple[Draft, UnitOutcome]:
    if not isinstance(span, dict):
        raise UnitRejected("not_an_object")
    if not isinstance(span.get("context"), dict):
        raise UnitRejected("bad_field:context")
    raw_attributes = span.get("attributes") or {}
    if not isinstance(raw_attributes, dict):
        raise UnitRejected("bad_field:attributes")
    attributes = flatten_attributes(raw_attributes)
    kind = span.get("span_kind")
    if _KIND_ATTRIBUTE not in attributes and isinstance(kind, str):
        attributes[_KIND_ATTRIBUTE] = kind.upper()
    is_llm = is_llm_span(attributes)

    draft = Draft()
    _map_span_fields(span, draft.columns, naive_tz)
    draft.columns["session_id"] = take_session(attributes)
    if is_llm:
        map_llm_attributes(attributes, draft)
    if attributes.get(_KIND_ATTRIBUTE) == kind:
        del attributes[_KIND_ATTRIBUTE]  # it came from span_kind, kept below

    if attributes:
        draft.extra["attributes"] = attributes
    fields = {k: v for k, v in span.items() if k not in _SPAN_COLUMNS}
    if span.get("status_code") not in (None, "OK", "UNSET"):
        fields["status_code"] = span["status_code"]
    if fields:
        draft.extra["span"] = fields
    return draft, "accepted" if is_llm else "lineage_only"


def _map_span_fields(
    span: dict[str, Any], columns: dict[str, Any], naive_tz: str | None
) -> None:
    context = span["context"]
    columns["trace_id"] = _id(context.get("trace_id"), "context.trace_id", True)
    columns["span_id"] = _id(context.get("span_id"), "context.span_id", True)
    columns["parent_span_id"] = _id(span.get("parent_id"), "parent_id", False)
    columns["ts_start"] = parse_timestamp(span.get("start_time"), naive_tz)
    end = span.get("end_time")
    columns["ts_end"] = None if end in (None, "") else parse_timestamp(end, naive_tz)

    status = span.get("status_code")
    if status == "ERROR":
        columns["status"] = "error"
        message = span.get("status_message")
        columns["error_type"] = (
            message if isinstance(message, str) and message else "ERROR"
        )
    elif status in (None, "OK", "UNSET"):
        columns["status"] = "ok"
    else:
        raise UnitRejected("bad_field:status_code")


def _id(value: Any, name: str, required: bool) -> str | None:
    if value is None or value == "":
        if required:
            raise UnitRejected(f"bad_field:{name}")
        return None
    if not isinstance(value, str):
        raise UnitRejected(f"bad_field:{name}")
    is_hex = all(c in "0123456789abcdefABCDEF" for c in value)
    return value.lower() if is_hex else value
