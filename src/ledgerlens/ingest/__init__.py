"""Ingest: log files in, canonical record units out.

The pipeline calls :func:`discover_sources` once for the run's ``--logs``
argument and :func:`read_units` once per :class:`SourceFile`. Every unit a file
holds (a line, a span) comes out as one :class:`Unit` with exactly one outcome;
nothing is dropped and nothing that fails to parse stops a file.

Formats live one per module behind :class:`~ledgerlens.ingest.interface.Adapter`
and are listed in :mod:`ledgerlens.ingest.registry`; :data:`FORMATS` names
them. The canonical line format and the attribute mappings are specified in
``docs/ingest-formats.md``.
"""

from __future__ import annotations

from ledgerlens.ingest.interface import Adapter, IngestOptions, Sample, SourceFile, Unit
from ledgerlens.ingest.reader import read_units
from ledgerlens.ingest.registry import FORMATS
from ledgerlens.ingest.sources import discover_sources

__all__ = [
    "FORMATS",
    "Adapter",
    "IngestOptions",
    "Sample",
    "SourceFile",
    "Unit",
    "discover_sources",
    "read_units",
]
