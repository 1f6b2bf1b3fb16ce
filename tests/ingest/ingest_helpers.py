"""Builders shared by the ingest tests: files on disk and OTLP documents."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import orjson

from ledgerlens.ingest import IngestOptions, Unit, discover_sources, read_units

REAL = Path(__file__).resolve().parents[2] / "data_fixtures" / "real"
INTERLINGUA = REAL / "genai-interlingua-otlp"
GENAI_FILE = INTERLINGUA / "otel_openai_v2_capture.otlp.json"
OPENINFERENCE_FILE = INTERLINGUA / "openinference_openai_capture.otlp.json"

TRACE_HEX = "5b8efff798038103d269b633813fc60c"
SPAN_HEX = "eee19b7ec3c1b174"


def read_path(path: Path, **options: Any) -> list[Unit]:
    """Every unit of one file, read through the public API."""
    (source,) = discover_sources(path)
    return list(read_units(source, IngestOptions(**options)))


def write_lines(
    path: Path, lines: Sequence[bytes], *, final_newline: bool = True
) -> Path:
    """Write raw lines joined by newlines."""
    data = b"\n".join(lines)
    if final_newline:
        data += b"\n"
    path.write_bytes(data)
    return path


def json_line(value: Any) -> bytes:
    """One compact JSON line."""
    return orjson.dumps(value)


def any_value(value: Any) -> dict[str, Any]:
    """A Python value as OTLP ``AnyValue`` (ints as strings, as the mapping does)."""
    if isinstance(value, bool):
        return {"boolValue": value}
    if isinstance(value, int):
        return {"intValue": str(value)}
    if isinstance(value, float):
        return {"doubleValue": value}
    if isinstance(value, list):
        return {"arrayValue": {"values": [any_value(v) for v in value]}}
    return {"stringValue": value}


def otlp_attributes(attributes: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A dict as an OTLP ``KeyValue`` list."""
    return [
        {"key": key, "value": any_value(value)} for key, value in attributes.items()
    ]


def span(
    attributes: Mapping[str, Any],
    *,
    trace_id: str = TRACE_HEX,
    span_id: str = SPAN_HEX,
    start: str = "1717236000123456789",
    end: str = "1717236001123456789",
    **fields: Any,
) -> dict[str, Any]:
    """One OTLP span object."""
    return {
        "traceId": trace_id,
        "spanId": span_id,
        "name": "chat test-model",
        "kind": 3,
        "startTimeUnixNano": start,
        "endTimeUnixNano": end,
        "attributes": otlp_attributes(attributes),
        **fields,
    }


def export_request(
    spans: Sequence[dict[str, Any]], resource: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """An ExportTraceServiceRequest holding ``spans`` under one resource and scope."""
    return {
        "resourceSpans": [
            {
                "resource": {"attributes": otlp_attributes(resource or {})},
                "scopeSpans": [{"scope": {"name": "tests"}, "spans": list(spans)}],
            }
        ]
    }
