"""Choosing the adapter for a file from a small sample of it.

Every registered adapter scores the same :class:`Sample`; the highest score
above zero wins, and registry order breaks a tie. The sample is the first
64 KiB plus the first few non-blank lines read whole (a Collector line can be
megabytes long), so detection costs one short read per file.
"""

from __future__ import annotations

import logging
import zlib
from collections.abc import Sequence
from typing import Any, Final

import orjson
import zstandard

from ledgerlens.errors import IngestError
from ledgerlens.ingest.interface import Adapter, Sample, SourceFile
from ledgerlens.ingest.sources import open_decoded

__all__ = ["detect_adapter", "sample_source"]

logger = logging.getLogger(__name__)

_HEAD_BYTES: Final = 64 * 1024
_SAMPLE_LINES: Final = 8
_SAMPLE_BYTES: Final = 64 * 1024 * 1024
_BOM: Final = b"\xef\xbb\xbf"
_COMPRESSED_SUFFIXES: Final = (".gz", ".gzip", ".zst", ".zstd")


def sample_source(source: SourceFile) -> Sample:
    """The first bytes and first few non-blank lines of a file, for sniffing."""
    first_object: dict[str, Any] | None = None
    lines_seen = 0
    read = 0
    try:
        with open_decoded(source) as handle:
            # A byte-order mark says nothing of the format: no sniffer sees it.
            head = handle.read(_HEAD_BYTES).removeprefix(_BOM)
        with open_decoded(source) as handle:
            for line in handle:
                read += len(line)
                if line.strip():
                    lines_seen += 1
                    if first_object is None:
                        first_object = _object_or_none(line, at_start=lines_seen == 1)
                if lines_seen >= _SAMPLE_LINES or read >= _SAMPLE_BYTES:
                    break
    except (OSError, EOFError, zlib.error, zstandard.ZstdError) as exc:
        # A truncated gzip is an EOFError with no strerror: say what it is.
        why = getattr(exc, "strerror", None) or str(exc) or type(exc).__name__
        msg = f"cannot read log file `{source.path}`: {why}"
        raise IngestError(
            msg, remedy="check the file is complete and still there"
        ) from exc
    return Sample(
        name=_plain_name(source.path.name),
        head=head,
        first_object=first_object,
        lines_seen=lines_seen,
    )


def detect_adapter(sample: Sample, adapters: Sequence[Adapter]) -> Adapter | None:
    """The adapter most sure of ``sample``, or ``None`` if none recognises it."""
    best: Adapter | None = None
    best_score = 0
    for adapter in adapters:
        score = adapter.sniff(sample)
        if score > best_score:
            best, best_score = adapter, score
    logger.debug(
        "format of %s: %s (score %d)",
        sample.name,
        best.name if best else "none",
        best_score,
    )
    return best


def _plain_name(name: str) -> str:
    """The name without a compression suffix: ``x.jsonl.gz`` sniffs as ``x.jsonl``."""
    for suffix in _COMPRESSED_SUFFIXES:
        if name.lower().endswith(suffix):
            return name[: -len(suffix)]
    return name


def _object_or_none(line: bytes, *, at_start: bool) -> dict[str, Any] | None:
    if at_start and line.startswith(_BOM):
        line = line[len(_BOM) :]
    try:
        value = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return value if isinstance(value, dict) else None
