"""``parquet``: Parquet files of records, read in row batches with pyarrow.

Columns named like record columns map as the canonical line format maps its
keys (``canonical.line_record``); every other column goes to ``extra`` under
its own name, so nothing is dropped. Each row is one unit: ``offset`` is the
row number, ``raw`` the row as sorted-key JSON (timestamps as RFC 3339 text,
binary as base64). A timestamp column with a time zone is exact; one without
is naive and follows the ``naive_tz`` rule. A store's own Parquet files read
back with their salts, so their commitments are reproduced.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import math
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any, Final

import pyarrow.parquet as pq

from ledgerlens.ingest._build import Provenance
from ledgerlens.ingest._units import UnitMaker, dump_unit
from ledgerlens.ingest.canonical import line_record
from ledgerlens.ingest.interface import (
    IngestOptions,
    Sample,
    SourceFile,
    Unit,
    UnitRejected,
)
from ledgerlens.ingest.sources import check_unchanged
from ledgerlens.ingest.timeparse import TimestampError

__all__ = ["PARQUET", "ParquetAdapter"]

logger = logging.getLogger(__name__)

_MAGIC: Final = b"PAR1"
_BATCH_ROWS: Final = 8192


@dataclass(frozen=True)
class ParquetAdapter:
    """``parquet``: one unit per row."""

    name: str = "parquet"

    def sniff(self, sample: Sample) -> int:
        """Sure when the file starts with Parquet's magic bytes."""
        return 95 if sample.head.startswith(_MAGIC) else 0

    def read(self, source: SourceFile, options: IngestOptions) -> Iterator[Unit]:
        """Yield one unit per row, streaming the file batch by batch."""
        check_unchanged(source)
        maker = UnitMaker(source, self.name, options)
        # Without pre-buffering only the batch being read is in memory; with it,
        # pyarrow reads ahead and a large file's peak grows several-fold.
        parquet = pq.ParquetFile(source.path, pre_buffer=False)
        row = 0
        for batch in parquet.iter_batches(batch_size=_BATCH_ROWS):
            for values in batch.to_pylist():
                yield self._unit(maker, options, row, values)
                row += 1
        # The file was checked before reading and is read by path: check again
        # so a file swapped during the read cannot pass for the hashed one.
        check_unchanged(source)

    def _unit(
        self, maker: UnitMaker, options: IngestOptions, row: int, values: dict[str, Any]
    ) -> Unit:
        try:
            line = {k: _plain(v, k) for k, v in values.items() if v is not None}
        except UnitRejected as rejected:
            return maker.quarantined(
                row, 0, dump_unit(_printable(values)), rejected.reason
            )
        raw = dump_unit(line)
        where = Provenance(
            source_uri=maker.source.uri,
            source_format=self.name,
            offset=row,
            index=0,
            source_sha256=hashlib.sha256(raw).hexdigest(),
            ingest_run_id=options.ingest_run_id,
        )
        try:
            record = line_record(line, where, options.naive_tz)
        except (UnitRejected, TimestampError) as failure:
            return maker.quarantined(row, 0, raw, failure.reason)
        return Unit(
            source_uri=maker.source.uri,
            source_format=self.name,
            offset=row,
            index=0,
            raw=raw,
            outcome="accepted",
            record=record,
            reason=None,
            chain_object=None,
        )


PARQUET: Final = ParquetAdapter()


def _plain(value: Any, name: str) -> Any:
    """A pyarrow value as the JSON value the canonical mapping expects."""
    if isinstance(value, datetime):
        return value.isoformat()  # with its offset when the column has a zone
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, bytes):
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise UnitRejected(f"bad_field:{name}") from None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, float) and not math.isfinite(value):
        raise UnitRejected("non_finite_number")
    if isinstance(value, dict):
        return {k: _plain(v, name) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v, name) for v in value]
    return value


def _printable(values: dict[str, Any]) -> dict[str, Any]:
    """A row that failed, in a form that can still be kept as bytes."""
    out: dict[str, Any] = {}
    for key, value in values.items():
        if isinstance(value, bytes):
            out[key] = {"base64": base64.b64encode(value).decode("ascii")}
        elif isinstance(value, float) and not math.isfinite(value):
            out[key] = repr(value)
        else:
            out[key] = value
    return out
