"""Leaf order for a day of any size, without holding the day in memory.

A day's records are sealed in leaf order: by ``ts_start``, then ``record_id``,
then leaf hash (so equal keys still have one order). Ingest writes them in the
order they were read, to a Parquet file that may be larger than memory. Sealing
puts them in order in two passes over that file:

1. :func:`leaf_order` reads it batch by batch, keeping per record only its sort
   key and its 32-byte leaf hash, and sorts those;
2. :func:`write_in_leaf_order` copies the file when it is already in order (the
   common case for logs written as calls happen); otherwise it deals each batch's
   rows into buckets of consecutive leaf positions (compressed Arrow files in a
   scratch folder), then reads the buckets one at a time, sorts each, and appends
   it to the output. One bucket is in memory at a time.
"""

from __future__ import annotations

import logging
import math
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import numpy as np
import polars as pl
import pyarrow as pa
import pyarrow.ipc as ipc
import pyarrow.parquet as pq

from ledgerlens.errors import StoreError
from ledgerlens.integrity.leaf import leaf_hashes
from ledgerlens.record import RECORD_SCHEMA
from ledgerlens.store.reader import arrow_batches, record_batches

__all__ = [
    "LeafOrder",
    "check_records_file",
    "frame_leaf_hashes",
    "leaf_order",
    "write_in_leaf_order",
]

logger = logging.getLogger(__name__)

_BUCKET_BYTES: Final = 128 << 20  # decoded size of one bucket, about
_MAX_BUCKETS: Final = 256  # open scratch files at once, at most
_POSITION: Final = "__leaf_position"


@dataclass(frozen=True)
class LeafOrder:
    """The leaf hashes of a day in leaf order, and where each record sits now.

    ``rows[i]`` is the row of the ingested file that becomes leaf ``i``;
    ``in_order`` says the file is already in leaf order.
    """

    hashes: list[bytes]
    rows: np.ndarray

    @property
    def in_order(self) -> bool:
        """True when no record has to move."""
        return bool(np.array_equal(self.rows, np.arange(len(self.rows))))


def frame_leaf_hashes(frame: pl.DataFrame) -> list[bytes]:
    """The leaf hashes of a frame of records, in row order.

    A leaf leaves null fields out, so columns null throughout are not visited:
    building narrower row dicts saves about a fifth of the time.
    """
    used = [c for c in frame.columns if frame[c].null_count() < frame.height]
    return leaf_hashes(frame.select(used).iter_rows(named=True))


def check_records_file(path: Path) -> None:
    """Raise :class:`StoreError` unless ``path`` holds exactly the record columns."""
    schema = dict(pl.read_parquet_schema(path))
    if schema != RECORD_SCHEMA:
        msg = f"{path} does not have the record schema"
        raise StoreError(msg, remedy="write it with ledgerlens.record.records_frame")


def leaf_order(source: Path) -> LeafOrder:
    """Hash every record of ``source`` and find its leaf position."""
    keys = [
        batch.select("ts_start", "record_id").with_columns(
            pl.Series("leaf", frame_leaf_hashes(batch), dtype=pl.Binary)
        )
        for batch in record_batches(source)
    ]
    if not keys:
        return LeafOrder([], np.arange(0))

    ordered = (
        pl.concat(keys)
        .with_row_index("row")
        .sort(["ts_start", "record_id", "leaf"], nulls_last=True)
    )
    rows = ordered.get_column("row").to_numpy().astype(np.int64)
    return LeafOrder(ordered.get_column("leaf").to_list(), rows)


def write_in_leaf_order(
    source: Path, target: Path, order: LeafOrder, *, bucket_rows: int | None = None
) -> None:
    """Write the records of ``source`` to ``target`` in the order ``order`` gives.

    ``bucket_rows`` is the number of records sorted in memory at once; by default
    it is chosen from the file's average record size to keep a bucket near
    128 MB decoded.
    """
    if order.in_order:
        shutil.copyfile(source, target)
        return

    count = len(order.rows)
    rows = bucket_rows or _bucket_rows(source, count)
    positions = np.empty(count, dtype=np.int64)
    positions[order.rows] = np.arange(count, dtype=np.int64)
    logger.info("placing %d records in leaf order, %d per bucket", count, rows)
    with tempfile.TemporaryDirectory(prefix="leaf-order-", dir=target.parent) as tmp:
        buckets = _deal(source, positions, rows, Path(tmp))
        _gather(buckets, target, pq.read_schema(source))


def _bucket_rows(source: Path, count: int) -> int:
    metadata = pq.read_metadata(source)
    decoded = sum(
        metadata.row_group(i).total_byte_size for i in range(metadata.num_row_groups)
    )
    per_record = max(int(decoded) // max(count, 1), 1)
    rows = max(_BUCKET_BYTES // per_record, 100)
    return max(rows, math.ceil(count / _MAX_BUCKETS))


def _deal(source: Path, positions: np.ndarray, rows: int, scratch: Path) -> list[Path]:
    """Append each record to the bucket of its leaf position; return the buckets."""
    bucket_of = positions // rows
    count = int(bucket_of.max()) + 1
    buckets = _Buckets([scratch / f"bucket-{k:05d}.arrow" for k in range(count)])
    start = 0
    with buckets:
        for batch in arrow_batches(source):
            end = start + batch.num_rows
            table = pa.Table.from_batches([batch]).append_column(
                _POSITION, pa.array(positions[start:end])
            )
            buckets.add(table, bucket_of[start:end])
            start = end
    return buckets.paths


class _Buckets:
    """Compressed Arrow files, one per range of leaf positions, opened on use."""

    def __init__(self, paths: list[Path]) -> None:
        self.paths = paths
        self.writers: dict[int, ipc.RecordBatchFileWriter] = {}
        self.options = ipc.IpcWriteOptions(compression="zstd")

    def add(self, table: pa.Table, bucket_of: np.ndarray) -> None:
        """Append each row of ``table`` to the bucket ``bucket_of`` names for it."""
        by_bucket = np.argsort(bucket_of, kind="stable")
        table = table.take(pa.array(by_bucket))
        ids, sizes = np.unique(bucket_of[by_bucket], return_counts=True)
        offset = 0
        for bucket, size in zip(ids.tolist(), sizes.tolist(), strict=True):
            self._writer(bucket, table.schema).write_table(table.slice(offset, size))
            offset += size

    def _writer(self, bucket: int, schema: pa.Schema) -> ipc.RecordBatchFileWriter:
        writer = self.writers.get(bucket)
        if writer is None:
            writer = ipc.new_file(self.paths[bucket], schema, options=self.options)
            self.writers[bucket] = writer
        return writer

    def __enter__(self) -> _Buckets:
        return self

    def __exit__(self, *_: object) -> None:
        for writer in self.writers.values():
            writer.close()


def _gather(buckets: Sequence[Path], target: Path, schema: pa.Schema) -> None:
    """Sort each bucket by leaf position and append it to ``target``."""
    with pq.ParquetWriter(target, schema, compression="zstd") as out:
        for path in buckets:
            with pa.memory_map(str(path)) as mapped:
                table = ipc.open_file(mapped).read_all()
            table = table.sort_by(_POSITION).drop_columns([_POSITION])
            out.write_table(table.cast(schema))
            path.unlink()
