"""``ledgerlens-jsonl``: ledgerlens's own line format, one record per line.

Each line is a JSON object whose keys are named like the record columns (the
full spec is ``docs/ingest-formats.md``). Messages come as GenAI-schema lists
(``input_messages`` / ``output_messages``) or as plain strings (``input_text``
/ ``output_text``, each wrapped as one text message). Any key that is not a
column goes to ``extra``, so a key first seen on line 100,000 is kept like one
on line 1. A line carrying chain fields is handed on as ``chain_object`` for
chain verification, even when its record is quarantined.
"""

from __future__ import annotations

import hashlib
import logging
import math
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any, Final

import orjson

from ledgerlens.ingest._build import Draft, Provenance, finish_record
from ledgerlens.ingest._jsonlines import parse_json
from ledgerlens.ingest.genai import normalise_provider
from ledgerlens.ingest.interface import (
    IngestOptions,
    Sample,
    SourceFile,
    Unit,
    UnitRejected,
)
from ledgerlens.ingest.sources import iter_lines
from ledgerlens.ingest.timeparse import TimestampError, parse_timestamp
from ledgerlens.record import POLICY_OUTCOMES, STATUSES, text_message

__all__ = [
    "CANONICAL_JSONL",
    "CHAIN_FIELDS",
    "CanonicalJsonlAdapter",
    "line_record",
]

logger = logging.getLogger(__name__)

CHAIN_FIELDS: Final = ("chain_id", "chain_seq", "chain_prev", "chain_hash")

_TEXT_COLUMNS: Final = frozenset(
    {
        "record_id",
        "session_id",
        "app",
        "environment",
        "endpoint",
        "model",
        "model_version",
        "prompt_template_id",
        "error_type",
        "finish_reason",
        "reviewer",
        "review_decision",
        "user_ref",
        "chain_id",
        "chain_prev",
        "chain_hash",
    }
)
_ID_COLUMNS: Final = frozenset({"trace_id", "span_id", "parent_span_id"})
_VERSION_COLUMNS: Final = frozenset({"app_version", "prompt_template_version"})
_COUNT_COLUMNS: Final = frozenset({"tokens_in", "tokens_out", "chain_seq"})
_NUMBER_COLUMNS: Final = frozenset({"latency_ms", "cost_usd"})
_TIME_COLUMNS: Final = frozenset({"ts_start", "ts_end"})
# Columns whose key may hold null, meaning "unknown" (ts_start may not).
_PLAIN_COLUMNS: Final = (
    _TEXT_COLUMNS
    | _ID_COLUMNS
    | _VERSION_COLUMNS
    | _COUNT_COLUMNS
    | _NUMBER_COLUMNS
    | {"provider", "http_status", "ts_end", "status", "retrieval", "policy_results"}
)
# Columns ledgerlens derives itself. A line that carries them (an export of
# records) has its text hashes checked and its salts reused; see _derived().
_DERIVED: Final = tuple(
    f"{side}_{kind}"
    for side in ("input", "output")
    for kind in ("sha256", "salt", "commitment")
)
_SNIFF_KEYS: Final = frozenset(
    {"record_id", "input_messages", "output_messages", "input_text", "output_text"}
)
_HEX: Final = re.compile(r"[0-9a-fA-F]+")
_SALT: Final = re.compile(r"[0-9a-f]{32}")
_RETRIEVAL_KEYS: Final = {
    "doc_id": "text",
    "source": "text",
    "doc_sha256": "text",
    "score": "number",
}
_POLICY_KEYS: Final = {
    "policy": "text",
    "version": "version",
    "outcome": "text",
    "category": "text",
    "score": "number",
}


@dataclass(frozen=True)
class CanonicalJsonlAdapter:
    """``ledgerlens-jsonl``: one canonical record object per line."""

    name: str = "ledgerlens-jsonl"

    def sniff(self, sample: Sample) -> int:
        """Sure when the first object has ``ts_start``; likely with record keys."""
        first = sample.first_object
        if first is None or "resourceSpans" in first or "resourceLogs" in first:
            return 0
        if "ts_start" in first:
            return 90
        return 30 if _SNIFF_KEYS.intersection(first) else 0

    def read(self, source: SourceFile, options: IngestOptions) -> Iterator[Unit]:
        """One unit per non-blank line; a line that fails is quarantined alone."""
        for offset, line, terminated in iter_lines(source):
            if line.strip():
                yield self._unit(source, options, offset, line, terminated)

    def _unit(
        self,
        source: SourceFile,
        options: IngestOptions,
        offset: int,
        line: bytes,
        terminated: bool,
    ) -> Unit:
        where = Provenance(
            source_uri=source.uri,
            source_format=self.name,
            offset=offset,
            index=0,
            source_sha256=hashlib.sha256(line).hexdigest(),
            ingest_run_id=options.ingest_run_id,
        )
        parsed, record, reason = _read_line(line, terminated, where, options.naive_tz)
        if reason is not None:
            logger.debug("quarantined line at offset %d: %s", offset, reason)

        has_chain = parsed is not None and any(k in parsed for k in CHAIN_FIELDS)
        return Unit(
            source_uri=source.uri,
            source_format=self.name,
            offset=offset,
            index=0,
            raw=line,
            outcome="quarantined" if reason is not None else "accepted",
            record=record,
            reason=reason,
            chain_object=parsed if has_chain else None,
        )


def _read_line(
    line: bytes, terminated: bool, where: Provenance, naive_tz: str | None
) -> tuple[dict[str, Any] | None, dict[str, Any] | None, str | None]:
    """``(parsed object, record, quarantine reason)`` of one line."""
    parsed: dict[str, Any] | None = None
    try:
        value = parse_json(line, terminated=terminated, at_start=where.offset == 0)
        if not isinstance(value, dict):
            raise UnitRejected("not_an_object")
        parsed = value
        return parsed, line_record(parsed, where, naive_tz), None
    except UnitRejected as rejected:
        return parsed, None, rejected.reason
    except TimestampError as error:
        return parsed, None, error.reason


CANONICAL_JSONL: Final = CanonicalJsonlAdapter()


def line_record(
    line: dict[str, Any], where: Provenance, naive_tz: str | None
) -> dict[str, Any]:
    """The record of one parsed canonical line.

    Raises :class:`UnitRejected` or :class:`TimestampError` with the reason the
    line must be quarantined.
    """
    fields = dict(line)
    draft = Draft()
    draft.extra = _take_extra(fields)
    derived = {name: fields.pop(name) for name in _DERIVED if name in fields}

    if "ts_start" not in fields:
        raise TimestampError("missing_timestamp", "the line has no ts_start")
    for name in list(fields):
        if _take_column(name, fields[name], draft, naive_tz):
            del fields[name]
    draft.input_messages = _messages(fields, "input", "user")
    draft.output_messages = _messages(fields, "output", "assistant")
    _default_status(draft.columns)

    draft.salts = (_salt(derived, "input"), _salt(derived, "output"))
    for name, value in fields.items():
        _add_extra(draft.extra, name, value)
    record = finish_record(draft, where)
    _check_derived(record, derived)
    return record


def _take_column(name: str, value: Any, draft: Draft, naive_tz: str | None) -> bool:
    """Put one key into its column; False when the key is not a plain column."""
    columns = draft.columns
    if value is None and name in _PLAIN_COLUMNS:
        return True
    if name in _TEXT_COLUMNS:
        columns[name] = _text(value, name)
    elif name in _ID_COLUMNS:
        text = _text(value, name)
        columns[name] = text.lower() if _HEX.fullmatch(text) else text
    elif name in _VERSION_COLUMNS:
        columns[name] = _version(value, name)
    elif name == "provider":
        columns[name] = normalise_provider(_text(value, name))
    elif name in _COUNT_COLUMNS:
        columns[name] = _count(value, name)
    elif name == "http_status":
        columns[name] = _http_status(value)
    elif name in _NUMBER_COLUMNS:
        columns[name] = _number(value, name)
    elif name in _TIME_COLUMNS:
        columns[name] = parse_timestamp(value, naive_tz)
    elif name == "status":
        columns[name] = _status(value)
    elif name == "retrieval":
        columns[name] = _items(value, name, _RETRIEVAL_KEYS, draft.extra)
    elif name == "policy_results":
        columns[name] = _policy_results(value, draft.extra)
    else:
        return False
    return True


def _messages(fields: dict[str, Any], side: str, role: str) -> list[Any] | None:
    messages = fields.pop(f"{side}_messages", None)
    text = fields.pop(f"{side}_text", None)
    if messages is not None and text is not None:
        raise UnitRejected(f"bad_field:{side}_text")
    if text is not None:
        return [text_message(role, _text(text, f"{side}_text"))]
    if messages is None:
        return None
    if not isinstance(messages, list) or not all(isinstance(m, dict) for m in messages):
        raise UnitRejected(f"bad_field:{side}_messages")
    return messages


def _take_extra(fields: dict[str, Any]) -> dict[str, Any]:
    """The line's own ``extra`` (an object, or its JSON text as a record holds it)."""
    extra = fields.pop("extra", None)
    if extra is None:
        return {}
    if isinstance(extra, str):
        try:
            extra = orjson.loads(extra)
        except orjson.JSONDecodeError:
            raise UnitRejected("bad_field:extra") from None
    if not isinstance(extra, dict):
        raise UnitRejected("bad_field:extra")
    return extra


def _add_extra(extra: dict[str, Any], name: str, value: Any) -> None:
    if name in extra and extra[name] != value:
        # The same key both inside `extra` and beside it, with different
        # values: keeping either would hide the other.
        raise UnitRejected(f"bad_field:{name}")
    extra[name] = value


def _default_status(columns: dict[str, Any]) -> None:
    if columns.get("status") is None:
        columns["status"] = "error" if columns.get("error_type") else "ok"


def _salt(derived: dict[str, Any], side: str) -> str | None:
    salt = derived.get(f"{side}_salt")
    if salt is None:
        return None
    if not isinstance(salt, str) or not _SALT.fullmatch(salt):
        raise UnitRejected(f"bad_field:{side}_salt")
    return salt


def _check_derived(record: dict[str, Any], derived: dict[str, Any]) -> None:
    """Given hashes must match the text; with no text they are carried as given.

    A record whose text was erased keeps only its commitment (and no text), so
    an export of it re-ingests with that commitment intact.
    """
    for side in ("input", "output"):
        has_text = record[f"{side}_text"] is not None
        for kind in ("sha256", "salt", "commitment"):
            name = f"{side}_{kind}"
            given = derived.get(name)
            if given is None:
                continue
            if has_text and given != record[name]:
                raise UnitRejected(f"bad_field:{name}")
            if not has_text:
                record[name] = _text(given, name)


def _items(
    value: Any, name: str, spec: dict[str, str], extra: dict[str, Any]
) -> list[dict[str, Any]]:
    """A list of objects with the keys of ``spec``; other keys keep the list whole.

    When an item has keys the column has no field for, the producer's list goes
    to ``extra`` unchanged, so nothing is lost.
    """
    if not isinstance(value, list):
        raise UnitRejected(f"bad_field:{name}")
    items: list[dict[str, Any]] = []
    for item in value:
        if not isinstance(item, dict):
            raise UnitRejected(f"bad_field:{name}")
        items.append(
            {key: _CONVERT[kind](item.get(key), name) for key, kind in spec.items()}
        )
    if any(set(item) - set(spec) for item in value):
        _add_extra(extra, name, value)
    return items


def _policy_results(value: Any, extra: dict[str, Any]) -> list[dict[str, Any]]:
    items = _items(value, "policy_results", _POLICY_KEYS, extra)
    for item in items:
        if item["outcome"] not in POLICY_OUTCOMES:
            raise UnitRejected("bad_field:policy_results")
    return items


def _text(value: Any, name: str) -> str:
    if not isinstance(value, str):
        raise UnitRejected(f"bad_field:{name}")
    return value


def _optional_text(value: Any, name: str) -> str | None:
    return None if value is None else _text(value, name)


def _version(value: Any, name: str) -> str | None:
    # Versions are often written as numbers (3, 1.2); the column is text.
    if isinstance(value, int | float) and not isinstance(value, bool):
        return str(value)
    return _optional_text(value, name)


def _count(value: Any, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise UnitRejected(f"bad_field:{name}")
    return value


def _http_status(value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        raise UnitRejected("bad_field:http_status")
    return value


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise UnitRejected(f"bad_field:{name}")
    if not math.isfinite(value):
        raise UnitRejected(f"bad_field:{name}")
    return float(value)


def _optional_number(value: Any, name: str) -> float | None:
    return None if value is None else _number(value, name)


def _status(value: Any) -> str:
    if value not in STATUSES:
        raise UnitRejected("bad_field:status")
    return str(value)


_CONVERT: Final[dict[str, Callable[[Any, str], Any]]] = {
    "text": _optional_text,
    "version": _version,
    "number": _optional_number,
}
