"""Reading one source into units: pick the adapter, stream, count.

This is the whole orchestration of ingest. It knows the registry, never a
concrete adapter; de-duplication and day assignment happen later, in the
pipeline.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterator
from typing import Final

from ledgerlens.errors import LedgerlensError, UsageError
from ledgerlens.ingest.detect import detect_adapter, sample_source
from ledgerlens.ingest.interface import (
    Adapter,
    IngestOptions,
    SourceFile,
    Unit,
    quarantined_unit,
)
from ledgerlens.ingest.registry import ADAPTERS, adapter_named
from ledgerlens.ingest.sources import read_exact
from ledgerlens.ingest.timeparse import resolve_zone

__all__ = ["READER_ERROR", "UNKNOWN_FORMAT", "check_options", "read_units"]

logger = logging.getLogger(__name__)

UNKNOWN_FORMAT: Final = "unknown"
READER_ERROR: Final = "reader_error"
"""Quarantine reason of a file whose reader met input it cannot handle."""
_HEAD_BYTES: Final = 64 * 1024  # what a sample holds at most (see detect)


def read_units(source: SourceFile, options: IngestOptions) -> Iterator[Unit]:
    """Stream the units of ``source``, each with exactly one outcome.

    The format is ``options.format`` or is detected. A file no adapter
    recognises gives one quarantined unit (``unsupported_format``) holding the
    whole file; an empty or blank file gives none. Raises :class:`UsageError`
    at the first step for an unknown format name or ``naive_tz``.
    """
    check_options(options)
    if options.format is not None:
        adapter: Adapter | None = adapter_named(options.format)
    else:
        sample = sample_source(source)
        whole = len(sample.head) == source.size or len(sample.head) < _HEAD_BYTES
        if not sample.head.strip() and whole:
            logger.info("%s is empty: no units", source.uri)
            return
        adapter = detect_adapter(sample, ADAPTERS)

    if adapter is None:
        logger.warning("%s: no adapter recognises this file", source.uri)
        raw = read_exact(source)
        yield quarantined_unit(
            source.uri, UNKNOWN_FORMAT, 0, 0, raw, "unsupported_format"
        )
        return
    yield from _counted(adapter.read(source, options), source, adapter.name)


def check_options(options: IngestOptions) -> None:
    """Raise :class:`UsageError` for a ``naive_tz`` that is not a known zone."""
    if options.naive_tz is None:
        return
    try:
        resolve_zone(options.naive_tz)
    except ValueError:
        msg = f"unknown time zone `{options.naive_tz}` for naive timestamps"
        raise UsageError(msg, remedy="give an IANA zone such as Europe/Paris") from None


def _counted(units: Iterator[Unit], source: SourceFile, name: str) -> Iterator[Unit]:
    counts: Counter[str] = Counter()
    try:
        for unit in units:
            counts[unit.outcome] += 1
            yield unit
    except (LedgerlensError, MemoryError):
        raise
    except Exception as exc:  # noqa: BLE001 - one odd file must not stop the night
        # An input no adapter rule foresaw. Where the reader stopped inside the
        # file is not known, so the whole file is kept as one more unit; the
        # exception's text may quote the input and is not logged.
        logger.error(
            "%s: the %s reader stopped after %d unit(s) on input it cannot handle"
            " (%s); the whole file is quarantined as `reader_error`",
            source.uri,
            name,
            sum(counts.values()),
            type(exc).__name__,
        )
        counts["quarantined"] += 1
        yield quarantined_unit(
            source.uri, name, 0, sum(counts.values()), read_exact(source), READER_ERROR
        )
    logger.info(
        "%s read as %s: %d unit(s) %s",
        source.uri,
        name,
        sum(counts.values()),
        dict(sorted(counts.items())),
    )
