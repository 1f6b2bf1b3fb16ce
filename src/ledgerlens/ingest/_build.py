"""Turning what an adapter read from one unit into a complete record dict.

Adapters fill a :class:`Draft` with the columns their source gives, the message
lists and the leftover keys; :func:`finish_record` adds what every record
derives the same way: message texts and their hashes, latency, record id,
provenance and ``extra``.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, Final

from ledgerlens.ingest._canon import canonical_json
from ledgerlens.ingest.interface import UnitRejected
from ledgerlens.integrity.jcs import CanonicalizationError
from ledgerlens.record import RECORD_COLUMNS, commit_text, record_id_for

__all__ = ["Draft", "Provenance", "finish_record"]

_ONE_MS: Final = timedelta(milliseconds=1)


@dataclass(slots=True)
class Draft:
    """What an adapter has read from one unit so far (a builder, not a value).

    ``columns`` holds record columns the source gives directly; the message
    lists are GenAI-schema lists or ``None``; ``extra`` collects every key no
    column took. ``salts`` are producer-given salts to reuse (input, output).
    """

    columns: dict[str, Any] = field(default_factory=dict)
    input_messages: list[Any] | None = None
    output_messages: list[Any] | None = None
    extra: dict[str, Any] = field(default_factory=dict)
    salts: tuple[str | None, str | None] = (None, None)


@dataclass(frozen=True, slots=True)
class Provenance:
    """Where a unit came from, copied into its record's source columns."""

    source_uri: str
    source_format: str
    offset: int
    index: int
    source_sha256: str
    ingest_run_id: str


def finish_record(draft: Draft, where: Provenance) -> dict[str, Any]:
    """A record dict with every column of ``RECORD_COLUMNS``.

    Raises :class:`UnitRejected` (``bad_field:...``) when the messages or the
    leftovers have no canonical JSON form.
    """
    record: dict[str, Any] = dict.fromkeys(RECORD_COLUMNS)
    record.update(draft.columns)

    _add_text(record, "input", draft.input_messages, draft.salts[0])
    _add_text(record, "output", draft.output_messages, draft.salts[1])
    if record["latency_ms"] is None:
        record["latency_ms"] = _latency_ms(record["ts_start"], record["ts_end"])

    record["source_uri"] = where.source_uri
    record["source_offset"] = where.offset
    record["source_unit"] = where.index
    record["source_format"] = where.source_format
    record["source_sha256"] = where.source_sha256
    record["ingest_run_id"] = where.ingest_run_id
    if record["record_id"] is None:
        record["record_id"] = record_id_for(
            where.source_sha256, record["trace_id"], record["span_id"]
        )

    record["extra"] = _canonical(draft.extra, "extra") if draft.extra else None
    return record


def _add_text(
    record: dict[str, Any], side: str, messages: list[Any] | None, salt: str | None
) -> None:
    if messages is None:
        return
    text = _canonical(messages, f"{side}_messages")
    if salt is None:
        digest, salt, commitment = commit_text(text)
    else:
        data = text.encode("utf-8")
        digest = hashlib.sha256(data).hexdigest()
        commitment = hashlib.sha256(bytes.fromhex(salt) + data).hexdigest()
    record[f"{side}_text"] = text
    record[f"{side}_sha256"] = digest
    record[f"{side}_salt"] = salt
    record[f"{side}_commitment"] = commitment


def _canonical(value: list[Any] | Mapping[str, Any], name: str) -> str:
    try:
        return canonical_json(value)
    except CanonicalizationError:
        raise UnitRejected(f"bad_field:{name}") from None


def _latency_ms(start: datetime | None, end: datetime | None) -> float | None:
    if start is None or end is None:
        return None
    return (end - start) / _ONE_MS
