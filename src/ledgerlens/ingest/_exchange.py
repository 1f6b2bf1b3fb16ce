"""One recorded HTTP exchange with a model API, mapped onto a record draft.

HAR files and VCR cassettes record the same thing in two shapes; their
adapters fill an :class:`Exchange` and this module does the rest: the request
body gives the input messages and the requested model, the response body (JSON
or a server-sent-events stream) the answer, the tokens and the filter verdicts,
the headers the request id and the server's processing time.

Decisions, also written in ``docs/ingest-formats.md``:

* ``http_status`` is the status on the wire. An Azure answer of HTTP 200 whose
  body is an error object (``"status": 400``, ``"code": "content_filter"``) is
  ``status = "error"`` with ``error_type = "content_filter"``; the body's own
  status goes to ``extra["error_status"]``.
* Credentials in headers and URL queries are replaced by ``[redacted]``: an
  audit store must not collect API keys. Nothing else is dropped.
"""

from __future__ import annotations

import gzip
import re
import zlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.utils import parsedate_to_datetime
from typing import Any, Final
from urllib.parse import parse_qsl, urlencode, urlunsplit

import orjson

from ledgerlens.ingest._build import Draft
from ledgerlens.ingest._chat import (
    anthropic_messages,
    anthropic_response,
    map_error_body,
    map_openai_response,
    openai_messages,
    provider_of_url,
    split_url,
)
from ledgerlens.ingest._sse import reassemble
from ledgerlens.ingest.interface import UnitRejected
from ledgerlens.ingest.timeparse import TimestampError

__all__ = ["Exchange", "exchange_draft", "is_model_call", "REDACTED", "redacted_unit"]

REDACTED: Final = "[redacted]"
_SECRET_HEADERS: Final = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "api-key",
        "x-api-key",
        "x-goog-api-key",
        "ocp-apim-subscription-key",
    }
)
_SECRET_QUERY: Final = frozenset({"key", "api-key", "api_key", "sig", "code", "token"})
_TRACEPARENT: Final = re.compile(
    r"[0-9a-f]{2}-([0-9a-f]{32})-([0-9a-f]{16})-[0-9a-f]{2}"
)
_REQUEST_ID_HEADERS: Final = ("x-request-id", "request-id", "apim-request-id")
_MODEL_PATHS: Final = (
    "/chat/completions",
    "/completions",
    "/messages",
    "/embeddings",
    "/responses",
)


@dataclass(frozen=True, slots=True)
class Exchange:
    """A request and its response as a capture recorded them.

    Header names are lower-case, each with its list of values; bodies are the
    bytes or text recorded (``None`` when absent). ``started`` and
    ``duration_ms`` are known for HAR entries, not for VCR interactions.
    """

    method: str | None
    url: str | None
    status: int | None
    request_headers: Mapping[str, list[str]] = field(default_factory=dict)
    request_body: bytes | str | None = None
    response_headers: Mapping[str, list[str]] = field(default_factory=dict)
    response_body: bytes | str | None = None
    started: datetime | None = None
    duration_ms: float | None = None


def is_model_call(exchange: Exchange) -> bool:
    """Whether the exchange is a call to a model API (by host or by path)."""
    if provider_of_url(exchange.url) is not None:
        return True
    path = split_url(exchange.url).path.rstrip("/")
    return path.endswith(_MODEL_PATHS)


def exchange_draft(exchange: Exchange, *, model_call: bool) -> Draft:
    """The record draft of one exchange (columns, messages and ``extra``).

    Raises :class:`UnitRejected` or :class:`TimestampError` with the reason the
    exchange must be quarantined.
    """
    draft = Draft()
    columns = draft.columns
    columns["ts_start"] = _started(exchange)
    if exchange.started is not None and exchange.duration_ms is not None:
        columns["ts_end"] = exchange.started + timedelta(
            milliseconds=exchange.duration_ms
        )
    columns["latency_ms"] = _latency(exchange)
    columns["http_status"] = _status(exchange.status)
    columns["endpoint"] = split_url(exchange.url).path or None
    columns["status"] = "ok"
    http = _http_extra(exchange)

    if model_call:
        columns["provider"] = provider_of_url(exchange.url)
        _map_request(exchange, draft)
        _map_response(exchange, draft)
    if exchange.status is not None and exchange.status >= 400:
        columns["status"] = "error"
        if columns.get("error_type") in (None, "", "unreadable_response"):
            columns["error_type"] = f"http_{exchange.status}"
    _map_traceparent(exchange, columns)
    draft.extra["http"] = http
    request_id = _header(exchange.response_headers, *_REQUEST_ID_HEADERS)
    if request_id is not None:
        draft.extra["request_id"] = request_id
    return draft


def _map_traceparent(exchange: Exchange, columns: dict[str, Any]) -> None:
    """The W3C ``traceparent`` the client sent: its trace, and the calling span.

    The span id in the header is the caller's span, so it is this record's
    parent, not its own id (which would clash with that span's own record).
    """
    header = _header(exchange.request_headers, "traceparent")
    match = _TRACEPARENT.fullmatch(header.strip()) if header else None
    if match is None:
        return
    trace_id, span_id = match.group(1), match.group(2)
    if trace_id.strip("0") and span_id.strip("0"):
        columns["trace_id"] = trace_id
        columns["parent_span_id"] = span_id


def _started(exchange: Exchange) -> datetime:
    if exchange.started is not None:
        return exchange.started
    # A cassette records no clock of its own: the response's Date header is
    # the server's time of answering, to the second.
    date = _header(exchange.response_headers, "date")
    if date is None:
        raise TimestampError("missing_timestamp", "the exchange has no time")
    try:
        moment = parsedate_to_datetime(date)
    except (TypeError, ValueError) as exc:
        raise TimestampError("bad_timestamp", "the Date header is unreadable") from exc
    if moment.tzinfo is None:
        raise TimestampError("bad_timestamp", "the Date header has no zone")
    return moment


def _latency(exchange: Exchange) -> float | None:
    if exchange.duration_ms is not None:
        return exchange.duration_ms
    processing = _header(exchange.response_headers, "openai-processing-ms")
    if processing is None:
        return None
    try:
        return float(processing)
    except ValueError:
        raise UnitRejected("bad_field:openai-processing-ms") from None


def _status(status: int | None) -> int | None:
    if status is None or status == 0:
        return None
    if not 100 <= status <= 599:
        raise UnitRejected("bad_field:http_status")
    return status


def _map_request(exchange: Exchange, draft: Draft) -> None:
    body = _json_body(exchange.request_body, "request.body")
    columns = draft.columns
    if not isinstance(body, dict):
        if body is not None:
            draft.extra["request"] = body
        columns["model"] = _deployment(exchange.url)
        return
    body = dict(body)
    model = body.pop("model", None)
    if model is not None and not isinstance(model, str):
        raise UnitRejected("bad_field:model")
    columns["model"] = model if isinstance(model, str) else _deployment(exchange.url)
    if columns["provider"] == "anthropic" or "system" in body:
        draft.input_messages = anthropic_messages(body)
        body.pop("system", None)
        body.pop("messages", None)
    elif "messages" in body:
        draft.input_messages = openai_messages(body.pop("messages"), "messages")
    elif isinstance(body.get("prompt"), str):
        draft.input_messages = openai_messages(body.pop("prompt"), "prompt")
    if body:
        draft.extra["request"] = body


def _map_response(exchange: Exchange, draft: Draft) -> None:
    content_type = _header(exchange.response_headers, "content-type") or ""
    text = _text_body(exchange, "response.body")
    if text is None:
        return
    if "text/event-stream" in content_type:
        stream = reassemble(text)
        draft.extra["stream"] = {"dialect": stream.dialect, "events": stream.events}
        _map_answer(stream.body, draft)
        if stream.error is not None:
            map_error_body(stream.error, draft)
    else:
        body = _json_text(text, "response.body")
        _map_answer(body, draft)


def _map_answer(body: Any, draft: Draft) -> None:
    if not isinstance(body, dict):
        if body is not None:
            # An HTML page or plain text where a model's answer belongs (a
            # gateway's error page on HTTP 200, say): not a successful call.
            draft.extra["response"] = body
            draft.columns["status"] = "error"
            draft.columns["error_type"] = "unreadable_response"
        return
    error = body.get("error")
    if isinstance(error, dict):
        map_error_body(error, draft)
        rest = {k: v for k, v in body.items() if k != "error"}
        if "status" in error:
            draft.extra["error_status"] = error["status"]
        draft.extra["error"] = error
    elif body.get("type") == "message":
        rest = anthropic_response(body, draft)
    else:
        rest = map_openai_response(body, draft)
    if rest:
        draft.extra["response"] = rest


def _text_body(exchange: Exchange, name: str) -> str | None:
    body = exchange.response_body
    if body is None or body == "" or body == b"":
        return None
    if isinstance(body, str):
        return body
    encoding = (_header(exchange.response_headers, "content-encoding") or "").lower()
    try:
        if encoding == "gzip" or body[:2] == b"\x1f\x8b":
            body = gzip.decompress(body)
        elif encoding == "deflate":
            body = zlib.decompress(body)
        return body.decode("utf-8")
    except (OSError, zlib.error, UnicodeDecodeError):
        raise UnitRejected(f"bad_field:{name}") from None


def _json_body(body: bytes | str | None, name: str) -> Any:
    if body is None or body in ("", b""):
        return None
    try:
        return orjson.loads(body)
    except orjson.JSONDecodeError:
        if isinstance(body, bytes):
            try:
                return body.decode("utf-8")
            except UnicodeDecodeError:
                raise UnitRejected(f"bad_field:{name}") from None
        return body


def _json_text(text: str, name: str) -> Any:
    try:
        return orjson.loads(text)
    except orjson.JSONDecodeError:
        # Not JSON (an HTML error page, plain text): kept as the text it is.
        return text if text.strip() else None
    except TypeError:
        raise UnitRejected(f"bad_field:{name}") from None


def _deployment(url: str | None) -> str | None:
    """Azure OpenAI's deployment name from ``/openai/deployments/<name>/...``."""
    parts = split_url(url).path.split("/")
    if "deployments" in parts:
        index = parts.index("deployments") + 1
        if index < len(parts) and parts[index]:
            return parts[index]
    return None


def _header(headers: Mapping[str, list[str]], *names: str) -> str | None:
    for name in names:
        values = headers.get(name)
        if values:
            return values[0]
    return None


def _http_extra(exchange: Exchange) -> dict[str, Any]:
    http: dict[str, Any] = {}
    if exchange.method is not None:
        http["method"] = exchange.method
    if exchange.url is not None:
        http["url"] = _redacted_url(exchange.url)
    for name, headers in (
        ("request_headers", exchange.request_headers),
        ("response_headers", exchange.response_headers),
    ):
        if headers:
            http[name] = dict(sorted(_redacted_headers(headers).items()))
    return http


def redacted_unit(value: Any) -> Any:
    """A HAR entry or VCR interaction with its credentials replaced.

    A unit's raw bytes are kept (in the quarantine, for one) and these formats
    carry API keys in headers, cookies and query strings: the kept copy has
    them as ``[redacted]``, like the record's ``extra.http``.
    """
    if not isinstance(value, dict):
        return value
    redacted = dict(value)
    for side in ("request", "response"):
        part = value.get(side)
        if isinstance(part, dict):
            redacted[side] = _redacted_part(part)
    return redacted


def _redacted_part(part: dict[str, Any]) -> dict[str, Any]:
    out = dict(part)
    if "headers" in out:
        out["headers"] = _redacted_headers(out["headers"])
    for key in ("cookies", "queryString"):
        if isinstance(out.get(key), list):
            out[key] = [_redacted_pair(item, key) for item in out[key]]
    for key in ("url", "uri"):
        if isinstance(out.get(key), str):
            try:
                out[key] = _redacted_url(out[key])
            except UnitRejected:
                out[key] = REDACTED  # unsplittable: its query cannot be vetted
    return out


def _redacted_headers(headers: Any) -> Any:
    if isinstance(headers, list):
        return [_redacted_pair(item, "headers") for item in headers]
    if isinstance(headers, dict):
        return {
            key: ([REDACTED] if isinstance(values, list) else REDACTED)
            if str(key).lower() in _SECRET_HEADERS
            else values
            for key, values in headers.items()
        }
    return headers


def _redacted_pair(item: Any, kind: str) -> Any:
    """A ``{"name", "value"}`` item of a HAR list, its value hidden if secret."""
    if not isinstance(item, dict) or "value" not in item:
        return item
    name = str(item.get("name", "")).lower()
    secret = {"headers": _SECRET_HEADERS, "queryString": _SECRET_QUERY}.get(kind)
    if secret is None or name in secret:  # every cookie value is a secret
        return {**item, "value": REDACTED}
    return item


def _redacted_url(url: str) -> str:
    parts = split_url(url)
    if not parts.query:
        return url
    query = [
        (key, REDACTED if key.lower() in _SECRET_QUERY else value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
    ]
    return urlunsplit(parts._replace(query=urlencode(query, safe="[]")))
