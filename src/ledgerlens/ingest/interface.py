"""The contract between the ingest orchestration and its format adapters.

The pipeline sees only :class:`SourceFile`, :class:`IngestOptions` and the
:class:`Unit` stream. Each log format is one module holding one object that
satisfies :class:`Adapter`; the registry (``ingest.registry``) lists them, and
detection asks each to :meth:`Adapter.sniff` a :class:`Sample` of the file.

An adapter must give every unit of its file exactly one outcome, turn a unit it
cannot read into a quarantined unit (never an exception), and never put prompt
or response text into a log line or an error message.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, Protocol

__all__ = [
    "QUARANTINE_REASONS",
    "UNIT_OUTCOMES",
    "Adapter",
    "IngestOptions",
    "Sample",
    "SourceFile",
    "Unit",
    "UnitOutcome",
    "UnitRejected",
    "quarantined_unit",
]

UnitOutcome = Literal["accepted", "lineage_only", "merged", "quarantined"]
UNIT_OUTCOMES: Final[tuple[str, ...]] = (
    "accepted",
    "lineage_only",
    "merged",
    "quarantined",
)

# Reason codes a quarantined unit may carry. ``bad_field:<name>`` adds the name
# of the field (never its value).
QUARANTINE_REASONS: Final[tuple[str, ...]] = (
    "invalid_json",
    "invalid_utf8",
    "non_finite_number",
    "lone_surrogate",
    "not_an_object",
    "truncated_line",
    "naive_timestamp",
    "missing_timestamp",
    "bad_timestamp",
    "bad_field:<name>",
    "unsupported_format",
    "invalid_yaml",
    "unsupported_event",
    "unmatched_reference",
)


@dataclass(frozen=True, slots=True)
class SourceFile:
    """One input file: where it is, and the SHA-256 and size of its bytes."""

    uri: str
    path: Path
    sha256: str
    size: int


@dataclass(frozen=True, slots=True)
class IngestOptions:
    """How to read sources.

    ``format`` forces one registered format instead of detection; ``naive_tz``
    is the IANA zone for timestamps written without an offset (without it such
    units are quarantined); ``ingest_run_id`` is copied into every record.
    """

    format: str | None = None
    naive_tz: str | None = None
    ingest_run_id: str = ""


@dataclass(frozen=True, slots=True)
class Unit:
    """One source unit (a line, or one span of an OTLP document) and its outcome.

    ``raw`` is the unit's bytes as hashed into ``source_sha256``: a line without
    its line terminator, or a span re-serialised by orjson with sorted keys.
    ``record`` holds every key of ``RECORD_COLUMNS`` when the outcome is not
    ``quarantined``; ``reason`` is set only when it is. ``chain_object`` is the
    producer's parsed object when it carries chain fields. ``merged_into``
    names the record a ``merged`` unit was folded into (its ``record_id``).
    """

    source_uri: str
    source_format: str
    offset: int
    index: int
    raw: bytes
    outcome: UnitOutcome
    record: dict[str, Any] | None
    reason: str | None
    chain_object: dict[str, Any] | None
    merged_into: str | None = None


@dataclass(frozen=True, slots=True)
class Sample:
    """What detection shows an adapter of a file.

    ``head`` is the first bytes of the file (up to 64 KiB, without a byte-order
    mark); ``first_object`` is the first of its first few non-blank lines that
    parses as a JSON object;
    ``lines_seen`` counts the non-blank lines looked at (at most a few).
    """

    name: str
    head: bytes
    first_object: dict[str, Any] | None
    lines_seen: int


class Adapter(Protocol):
    """One log format: how to recognise it and how to read it into units."""

    @property
    def name(self) -> str:
        """The format name users pass as ``format`` and records carry."""
        ...

    def sniff(self, sample: Sample) -> int:
        """How sure this adapter is that the file is its format: 0 (no) to 100."""
        ...

    def read(self, source: SourceFile, options: IngestOptions) -> Iterator[Unit]:
        """Stream the units of ``source``, each with exactly one outcome."""
        ...


class UnitRejected(Exception):
    """Raised inside an adapter when one unit must be quarantined.

    ``reason`` is a quarantine reason code; the adapter catches this and emits
    the unit as quarantined, so it never leaves the adapter.
    """

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def quarantined_unit(
    source_uri: str,
    source_format: str,
    offset: int,
    index: int,
    raw: bytes,
    reason: str,
) -> Unit:
    """A quarantined unit: no record, the raw bytes kept, the reason given."""
    return Unit(
        source_uri=source_uri,
        source_format=source_format,
        offset=offset,
        index=index,
        raw=raw,
        outcome="quarantined",
        record=None,
        reason=reason,
        chain_object=None,
    )
