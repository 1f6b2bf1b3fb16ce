"""What every document-shaped adapter needs: units from drafts, and JSON values.

:class:`UnitMaker` turns a draft (or a failure) into a :class:`Unit` with its
provenance, so each adapter only says what a unit holds. :func:`json_values`
reads a file that is either JSON Lines or one JSON document, and
:func:`dump_unit` gives the bytes of a unit that is part of a larger document
(an object re-serialised by orjson with sorted keys, as OTLP spans are).
"""

from __future__ import annotations

import base64
import hashlib
import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Final

import orjson

from ledgerlens.ingest._build import Draft, Provenance, finish_record
from ledgerlens.ingest._jsonlines import parse_json
from ledgerlens.ingest.interface import (
    IngestOptions,
    SourceFile,
    Unit,
    UnitOutcome,
    UnitRejected,
    quarantined_unit,
)
from ledgerlens.ingest.sources import iter_lines, read_exact
from ledgerlens.ingest.timeparse import TimestampError

__all__ = ["JsonValue", "UnitMaker", "dump_unit", "json_values"]

logger = logging.getLogger(__name__)

_NOT_A_DOCUMENT: Final = object()


@dataclass(frozen=True, slots=True)
class JsonValue:
    """One top-level JSON value of a file: a line, or the whole document.

    ``value`` is ``None`` and ``reason`` set when the text did not parse.
    """

    offset: int
    raw: bytes
    value: Any
    reason: str | None
    whole_file: bool


@dataclass(frozen=True, slots=True)
class UnitMaker:
    """Builds the units of one source in one format."""

    source: SourceFile
    format: str
    options: IngestOptions

    def quarantined(self, offset: int, index: int, raw: bytes, reason: str) -> Unit:
        """A quarantined unit of this source."""
        logger.debug("quarantined unit at %d/%d: %s", offset, index, reason)
        return quarantined_unit(
            self.source.uri, self.format, offset, index, raw, reason
        )

    def merged(self, offset: int, index: int, raw: bytes, into: str) -> Unit:
        """A unit folded into the record ``into`` (its ``record_id``)."""
        return Unit(
            source_uri=self.source.uri,
            source_format=self.format,
            offset=offset,
            index=index,
            raw=raw,
            outcome="merged",
            record=None,
            reason=None,
            chain_object=None,
            merged_into=into,
        )

    def built(
        self,
        offset: int,
        index: int,
        raw: bytes,
        build: Callable[[], tuple[Draft, UnitOutcome]],
    ) -> Unit:
        """The unit whose draft ``build`` makes; quarantined if it raises."""
        provenance = Provenance(
            source_uri=self.source.uri,
            source_format=self.format,
            offset=offset,
            index=index,
            source_sha256=hashlib.sha256(raw).hexdigest(),
            ingest_run_id=self.options.ingest_run_id,
        )
        try:
            draft, outcome = build()
            record = finish_record(draft, provenance)
        except (UnitRejected, TimestampError) as failure:
            return self.quarantined(offset, index, raw, failure.reason)
        return Unit(
            source_uri=self.source.uri,
            source_format=self.format,
            offset=offset,
            index=index,
            raw=raw,
            outcome=outcome,
            record=record,
            reason=None,
            chain_object=None,
        )


def json_values(source: SourceFile) -> Iterator[JsonValue]:
    """The file's JSON values: one per non-blank line, or the whole document.

    The file is read as JSON Lines when its first non-blank line is a whole
    JSON value by itself, as one document when the whole file is one JSON
    value (pretty-printed), and line by line otherwise.
    """
    if not _first_line_parses(source):
        data = read_exact(source)
        try:
            value = parse_json(data, at_start=True)
        except UnitRejected:
            value = _NOT_A_DOCUMENT
        if value is not _NOT_A_DOCUMENT:
            yield JsonValue(0, data, value, None, True)
            return
        # Neither a document nor lines that start well: read line by line, so
        # one damaged line does not take the rest of the file with it.
    for offset, line, terminated in iter_lines(source):
        if not line.strip():
            continue
        try:
            value = parse_json(line, terminated=terminated, at_start=offset == 0)
        except UnitRejected as rejected:
            yield JsonValue(offset, line, None, rejected.reason, False)
            continue
        yield JsonValue(offset, line, value, None, False)


def dump_unit(value: Any) -> bytes:
    """The bytes of a unit inside a document: sorted-key orjson of the value."""
    return orjson.dumps(value, option=orjson.OPT_SORT_KEYS, default=_plain)


def _plain(value: Any) -> Any:
    # YAML can load bytes (!!binary) and dates; JSON has neither.
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    if isinstance(value, datetime | date):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _first_line_parses(source: SourceFile) -> bool:
    for _, line, terminated in iter_lines(source):
        if not line.strip():
            continue
        try:
            parse_json(line, terminated=terminated, at_start=True)
        except UnitRejected:
            return False
        # One line that parses and is the whole file is the same either way.
        return True
    return False
