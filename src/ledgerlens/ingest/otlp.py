"""OTLP/JSON traces: one export request per file, or JSON Lines of them.

Formats:

* ``otlp-json``: a file holding one ``ExportTraceServiceRequest`` (pretty or
  compact), as an SDK's JSON exporter or a test capture writes it;
* ``otlp-jsonl``: one export request per line, as the OpenTelemetry Collector's
  file exporter writes them (often a thousand spans to a line).

Each span is one unit. Its ``raw`` is the span object re-serialised by orjson
with sorted keys (the line holds many units, so the line cannot be the raw
unit). Each line is parsed once; resource and scope attributes are read once
per resource and scope, not per span. A model-call span (see
``genai.is_llm_span``) is ``accepted``; any other span is ``lineage_only``,
with ids, times, status and resource columns filled so the trace stays whole.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import logging
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Final

import orjson

from ledgerlens.ingest._build import Draft, Provenance, finish_record
from ledgerlens.ingest._jsonlines import parse_json
from ledgerlens.ingest.genai import is_llm_span, map_llm_attributes, take_session
from ledgerlens.ingest.interface import (
    IngestOptions,
    Sample,
    SourceFile,
    Unit,
    UnitRejected,
    quarantined_unit,
)
from ledgerlens.ingest.otlp_events import LogIndex, LogRecord, take_span_event_messages
from ledgerlens.ingest.sources import iter_lines, read_exact
from ledgerlens.ingest.timeparse import TimestampError, from_unix_nanos

__all__ = [
    "OTLP_JSON",
    "OTLP_JSONL",
    "OtlpDocumentAdapter",
    "OtlpLinesAdapter",
    "any_value",
    "attributes_dict",
]

logger = logging.getLogger(__name__)

_HEX: Final = re.compile(r"[0-9a-fA-F]+")
_ERROR_CODES: Final = frozenset({2, "2", "STATUS_CODE_ERROR"})
# Span fields that become columns; every other field goes to extra["span"].
_SPAN_COLUMNS: Final = frozenset(
    {
        "traceId",
        "spanId",
        "parentSpanId",
        "startTimeUnixNano",
        "endTimeUnixNano",
        "attributes",
    }
)
_RESOURCE_KEYS: Final = frozenset({"resource", "scopeSpans"})
_ENVIRONMENT_KEYS: Final = ("deployment.environment.name", "deployment.environment")
_JSONL_SUFFIXES: Final = (".jsonl", ".ndjson")
_EXPORT_KEYS: Final = frozenset({"resourceSpans", "resourceLogs"})


@dataclass(frozen=True, slots=True)
class _Context:
    """What a resource and scope give every span under them."""

    columns: Mapping[str, Any]
    extra: Mapping[str, Any]


@dataclass(frozen=True, slots=True)
class _Where:
    """The fixed part of every unit's provenance in one source."""

    source: SourceFile
    format: str
    options: IngestOptions
    logs: LogIndex | None = None


@dataclass(frozen=True)
class OtlpDocumentAdapter:
    """``otlp-json``: one ``ExportTraceServiceRequest`` document per file."""

    name: str = "otlp-json"

    def sniff(self, sample: Sample) -> int:
        """Sure when a JSON object mentions ``resourceSpans`` and is no JSONL."""
        first = sample.first_object
        if first is not None and _EXPORT_KEYS.intersection(first):
            return 50 if sample.lines_seen > 1 else 80
        head = sample.head.lstrip()
        if head.startswith(b"{") and (
            b'"resourceSpans"' in sample.head or b'"resourceLogs"' in sample.head
        ):
            return 80
        return 0

    def read(self, source: SourceFile, options: IngestOptions) -> Iterator[Unit]:
        """Yield one unit per span of the document (one quarantined if unreadable)."""
        data = read_exact(source)
        try:
            request = parse_json(data, at_start=True)
        except UnitRejected as rejected:
            where = _Where(source, self.name, options)
            yield _quarantined(where, 0, 0, data, rejected.reason)
            return
        logs = LogIndex()
        _index_logs(request, 0, logs)
        where = _Where(source, self.name, options, logs if logs.records else None)
        yield from _request_units(request, data, 0, where)
        yield from _log_units(where)


@dataclass(frozen=True)
class OtlpLinesAdapter:
    """``otlp-jsonl``: JSON Lines of export requests (the Collector file exporter)."""

    name: str = "otlp-jsonl"

    def sniff(self, sample: Sample) -> int:
        """Sure when the first readable line is an export request among several."""
        first = sample.first_object
        if first is None or not _EXPORT_KEYS.intersection(first):
            return 0
        if sample.lines_seen > 1 or sample.name.lower().endswith(_JSONL_SUFFIXES):
            return 90
        return 40

    def read(self, source: SourceFile, options: IngestOptions) -> Iterator[Unit]:
        """Yield the spans of each line; a line that does not parse is one unit."""
        logs = _log_prepass(source)
        where = _Where(source, self.name, options, logs if logs.records else None)
        for offset, line, terminated in iter_lines(source):
            if not line.strip():
                continue
            try:
                request = parse_json(line, terminated=terminated, at_start=offset == 0)
            except UnitRejected as rejected:
                yield _quarantined(where, offset, 0, line, rejected.reason)
                continue
            yield from _request_units(request, line, offset, where)
        yield from _log_units(where)


OTLP_JSON: Final = OtlpDocumentAdapter()
OTLP_JSONL: Final = OtlpLinesAdapter()


def _request_units(
    request: Any, raw: bytes, offset: int, where: _Where
) -> Iterator[Unit]:
    """The units of one export request; structural faults quarantine what they hold."""
    if not isinstance(request, dict):
        yield _quarantined(where, offset, 0, raw, "not_an_object")
        return
    resource_spans = request.get("resourceSpans")
    if resource_spans is None and isinstance(request.get("resourceLogs"), list):
        return  # log records: their units come after the spans they join
    if not isinstance(resource_spans, list):
        yield _quarantined(where, offset, 0, raw, "bad_field:resourceSpans")
        return

    index = 0
    for resource_span in resource_spans:
        for unit in _resource_units(resource_span, offset, index, where):
            yield unit
            index += 1


def _resource_units(
    resource_span: Any, offset: int, first_index: int, where: _Where
) -> Iterator[Unit]:
    try:
        scope_spans = _list_field(resource_span, "scopeSpans", "resourceSpans")
        resource = _resource_context(resource_span)
    except UnitRejected as rejected:
        raw = _dump(resource_span)
        yield _quarantined(where, offset, first_index, raw, rejected.reason)
        return

    index = first_index
    for scope_span in scope_spans:
        try:
            spans = _list_field(scope_span, "spans", "scopeSpans")
            context = _scope_context(scope_span, resource)
        except UnitRejected as rejected:
            yield _quarantined(where, offset, index, _dump(scope_span), rejected.reason)
            index += 1
            continue
        for span in spans:
            yield _span_unit(span, context, offset, index, where)
            index += 1


def _span_unit(
    span: Any, context: _Context, offset: int, index: int, where: _Where
) -> Unit:
    raw = _dump(span)
    if not isinstance(span, dict):
        return _quarantined(where, offset, index, raw, "not_an_object")
    provenance = Provenance(
        source_uri=where.source.uri,
        source_format=where.format,
        offset=offset,
        index=index,
        source_sha256=hashlib.sha256(raw).hexdigest(),
        ingest_run_id=where.options.ingest_run_id,
    )
    try:
        draft, is_llm = _span_draft(span, context, where.logs)
        record = finish_record(draft, provenance)
    except UnitRejected as rejected:
        return _quarantined(where, offset, index, raw, rejected.reason)
    except TimestampError as error:
        return _quarantined(where, offset, index, raw, error.reason)
    if where.logs is not None and record["trace_id"] and record["span_id"]:
        key = (record["trace_id"], record["span_id"])
        where.logs.record_ids.setdefault(key, record["record_id"])
    return Unit(
        source_uri=where.source.uri,
        source_format=where.format,
        offset=offset,
        index=index,
        raw=raw,
        outcome="accepted" if is_llm else "lineage_only",
        record=record,
        reason=None,
        chain_object=None,
    )


def _span_draft(
    span: dict[str, Any], context: _Context, where_logs: LogIndex | None = None
) -> tuple[Draft, bool]:
    attributes = attributes_dict(span.get("attributes"), "attributes")
    is_llm = is_llm_span(attributes)
    draft = Draft(columns=dict(context.columns))
    columns = draft.columns

    columns["trace_id"] = _span_id(span.get("traceId"), 16, "trace_id", True)
    columns["span_id"] = _span_id(span.get("spanId"), 8, "span_id", True)
    columns["parent_span_id"] = _span_id(
        span.get("parentSpanId"), 8, "parent_span_id", False
    )
    columns["ts_start"] = from_unix_nanos(_required_time(span, "startTimeUnixNano"))
    end = span.get("endTimeUnixNano")
    columns["ts_end"] = None if end in (None, "", "0", 0) else from_unix_nanos(end)

    _map_status(span.get("status"), attributes, columns)
    columns["session_id"] = take_session(attributes)
    if is_llm:
        map_llm_attributes(attributes, draft)

    draft.extra = _span_extra(span, attributes, context)
    if is_llm:
        _join_events(draft, columns, where_logs)
    return draft, is_llm


def _join_events(draft: Draft, columns: dict[str, Any], logs: LogIndex | None) -> None:
    """Messages from the span's GenAI events, then from log records joined to it."""
    span_fields = draft.extra.get("span")
    if isinstance(span_fields, dict):
        take_span_event_messages(span_fields, draft)
        if not span_fields:
            del draft.extra["span"]
    if logs is not None:
        logs.apply((columns["trace_id"], columns["span_id"]), draft)


def _log_prepass(source: SourceFile) -> LogIndex:
    """Index the log records of a JSON Lines file before its spans are read.

    Only lines that mention ``resourceLogs`` are parsed here, so a file of
    spans alone costs one substring search per line.
    """
    logs = LogIndex()
    for offset, line, terminated in iter_lines(source):
        if b'"resourceLogs"' not in line:
            continue
        try:
            request = parse_json(line, terminated=terminated, at_start=offset == 0)
        except UnitRejected:
            continue  # the main pass quarantines the line
        _index_logs(request, offset, logs)
    return logs


def _index_logs(request: Any, offset: int, logs: LogIndex) -> None:
    if not isinstance(request, dict):
        return
    index = _span_count(request)
    for resource_log in request.get("resourceLogs") or []:
        scopes = (
            resource_log.get("scopeLogs") if isinstance(resource_log, dict) else None
        )
        for scope_log in scopes or []:
            records = (
                scope_log.get("logRecords") if isinstance(scope_log, dict) else None
            )
            for log_record in records or []:
                logs.add(_log_record(log_record, offset, index))
                index += 1


def _span_count(request: dict[str, Any]) -> int:
    count = 0
    for resource_span in request.get("resourceSpans") or []:
        if isinstance(resource_span, dict):
            for scope_span in resource_span.get("scopeSpans") or []:
                if isinstance(scope_span, dict):
                    count += len(scope_span.get("spans") or [])
    return count


def _log_record(value: Any, offset: int, index: int) -> LogRecord:
    raw = _dump(value)
    if not isinstance(value, dict):
        return LogRecord(offset, index, raw, None, None, None, 0)
    try:
        attributes = attributes_dict(value.get("attributes"), "attributes")
        body = any_value(value.get("body"), "body")
        trace_id = _span_id(value.get("traceId"), 16, "trace_id", False)
        span_id = _span_id(value.get("spanId"), 8, "span_id", False)
    except UnitRejected:
        return LogRecord(offset, index, raw, None, None, None, 0)
    name = value.get("eventName") or attributes.get("event.name")
    key = (trace_id, span_id) if trace_id and span_id else None
    time = value.get("timeUnixNano") or value.get("observedTimeUnixNano") or 0
    text = str(time)
    moment = int(text) if text.isascii() and text.isdigit() and len(text) <= 40 else 0
    return LogRecord(offset, index, raw, key, name, body, moment)


def _log_units(where: _Where) -> Iterator[Unit]:
    if where.logs is None:
        return
    uri, fmt = where.source.uri, where.format

    def merged(record: LogRecord, into: str) -> Unit:
        return Unit(
            source_uri=uri,
            source_format=fmt,
            offset=record.offset,
            index=record.index,
            raw=record.raw,
            outcome="merged",
            record=None,
            reason=None,
            chain_object=None,
            merged_into=into,
        )

    def quarantined(record: LogRecord, reason: str) -> Unit:
        return _quarantined(where, record.offset, record.index, record.raw, reason)

    yield from where.logs.units(merged, quarantined)


def _map_status(
    status: Any, attributes: dict[str, Any], columns: dict[str, Any]
) -> None:
    """``error`` for status code 2, with ``error.type`` or the status message."""
    if status is None:
        status = {}
    if not isinstance(status, dict):
        raise UnitRejected("bad_field:status")
    http_status = attributes.pop("http.response.status_code", None)
    if http_status is None:
        http_status = attributes.pop("http.status_code", None)
    if http_status is not None:
        columns["http_status"] = _http_status(http_status)

    if status.get("code") in _ERROR_CODES:
        columns["status"] = "error"
        error_type = attributes.pop("error.type", None) or status.get("message")
        columns["error_type"] = None if error_type is None else str(error_type)
    else:
        columns["status"] = "ok"


def _span_extra(
    span: dict[str, Any], attributes: dict[str, Any], context: _Context
) -> dict[str, Any]:
    extra: dict[str, Any] = dict(context.extra)
    if attributes:
        extra["attributes"] = attributes
    fields = {k: v for k, v in span.items() if k not in _SPAN_COLUMNS}
    if fields.get("status") == {}:
        del fields["status"]
    if fields:
        extra["span"] = fields
    return extra


def _resource_context(resource_span: dict[str, Any]) -> _Context:
    resource = resource_span.get("resource") or {}
    if not isinstance(resource, dict):
        raise UnitRejected("bad_field:resource")
    attributes = attributes_dict(resource.get("attributes"), "resource.attributes")

    columns: dict[str, Any] = {}
    for column, names in (
        ("app", ("service.name",)),
        ("app_version", ("service.version",)),
        ("environment", _ENVIRONMENT_KEYS),
    ):
        for name in names:
            if name in attributes:
                columns[column] = _string(attributes.pop(name), f"resource.{name}")
                break

    section = {k: v for k, v in resource.items() if k != "attributes"}
    if attributes:
        section["attributes"] = attributes
    others = {k: v for k, v in resource_span.items() if k not in _RESOURCE_KEYS}
    section.update(others)
    return _Context(columns=columns, extra={"resource": section} if section else {})


def _scope_context(scope_span: dict[str, Any], resource: _Context) -> _Context:
    scope = scope_span.get("scope") or {}
    if not isinstance(scope, dict):
        raise UnitRejected("bad_field:scope")
    section = {k: v for k, v in scope.items() if k != "attributes"}
    attributes = attributes_dict(scope.get("attributes"), "scope.attributes")
    if attributes:
        section["attributes"] = attributes
    section.update({k: v for k, v in scope_span.items() if k not in ("scope", "spans")})
    if not section:
        return resource
    return _Context(
        columns=resource.columns, extra={**resource.extra, "scope": section}
    )


def attributes_dict(attributes: Any, name: str) -> dict[str, Any]:
    """OTLP ``KeyValue`` list -> plain dict of Python values (a fresh dict)."""
    if attributes is None:
        return {}
    if not isinstance(attributes, list):
        raise UnitRejected(f"bad_field:{name}")
    result: dict[str, Any] = {}
    for item in attributes:
        if type(item) is not dict or type(key := item.get("key")) is not str:
            raise UnitRejected(f"bad_field:{name}")
        value = item.get("value")
        # Most attributes are strings: skip the general conversion for them.
        if type(value) is dict and "stringValue" in value:
            result[key] = value["stringValue"]
        else:
            result[key] = any_value(value, name)
    return result


def any_value(value: Any, name: str) -> Any:
    """OTLP ``AnyValue`` (protobuf JSON mapping) -> a Python value.

    ``intValue`` may be a decimal string (64-bit integers are strings in the
    mapping); ``doubleValue`` may be ``"NaN"`` or ``"Infinity"``, kept as those
    strings since JSON has no such numbers; ``bytesValue`` stays base64 text.
    """
    if value is None:
        return None
    if not isinstance(value, dict):
        raise UnitRejected(f"bad_field:{name}")
    if "stringValue" in value:
        return value["stringValue"]
    if "intValue" in value:
        return _int_value(value["intValue"], name)
    if "doubleValue" in value:
        double = value["doubleValue"]
        return double if isinstance(double, str) else float(double)
    if "boolValue" in value:
        return bool(value["boolValue"])
    if "arrayValue" in value:
        items = (value["arrayValue"] or {}).get("values") or []
        return [any_value(item, name) for item in items]
    if "kvlistValue" in value:
        return attributes_dict((value["kvlistValue"] or {}).get("values"), name)
    if "bytesValue" in value:
        return value["bytesValue"]
    return None


def _int_value(value: Any, name: str) -> int:
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            pass
    raise UnitRejected(f"bad_field:{name}")


def _span_id(value: Any, size: int, name: str, required: bool) -> str | None:
    """A trace or span id as lowercase hex, from hex or base64 (``size`` bytes)."""
    if value is None or value == "":
        if required:
            raise UnitRejected(f"bad_field:{name}")
        return None
    if not isinstance(value, str):
        raise UnitRejected(f"bad_field:{name}")
    if len(value) == 2 * size and _HEX.fullmatch(value):
        hex_id = value.lower()
    else:
        hex_id = _base64_id(value, size, name)
    if hex_id.strip("0") == "":
        # An all-zero id means "none" in OTLP: fine for a parent, not for a span.
        if required:
            raise UnitRejected(f"bad_field:{name}")
        return None
    return hex_id


def _base64_id(value: str, size: int, name: str) -> str:
    padded = value.replace("-", "+").replace("_", "/") + "=" * (-len(value) % 4)
    try:
        decoded = base64.b64decode(padded, validate=True)
    except (binascii.Error, ValueError):
        raise UnitRejected(f"bad_field:{name}") from None
    if len(decoded) != size:
        raise UnitRejected(f"bad_field:{name}")
    return decoded.hex()


def _required_time(span: dict[str, Any], field: str) -> Any:
    value = span.get(field)
    if value is None or value == "":
        raise TimestampError("missing_timestamp", f"the span has no {field}")
    return value


def _http_status(value: Any) -> int:
    if isinstance(value, str) and value.isascii() and value.isdigit():
        value = int(value) if len(value) <= 6 else -1
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise UnitRejected("bad_field:http_status")
    return value


def _string(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise UnitRejected(f"bad_field:{name}")
    return value


def _list_field(container: Any, key: str, name: str) -> list[Any]:
    if not isinstance(container, dict):
        raise UnitRejected("not_an_object")
    value = container.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise UnitRejected(f"bad_field:{name}.{key}")
    return value


def _dump(value: Any) -> bytes:
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS)


def _quarantined(
    where: _Where, offset: int, index: int, raw: bytes, reason: str
) -> Unit:
    logger.debug("quarantined unit at offset %d index %d: %s", offset, index, reason)
    return quarantined_unit(where.source.uri, where.format, offset, index, raw, reason)
