"""Reading what a store has sealed: files of a seal, reference windows, chain tips."""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import date
from pathlib import Path
from typing import Any, Final

import polars as pl

from ledgerlens.store.layout import SealRef, Store

__all__ = [
    "SEALED_FILES",
    "arrow_batches",
    "chain_tips_before",
    "locate",
    "read_records",
    "record_batches",
    "reference_seals",
    "sealed_findings",
    "sealed_from",
    "sealed_path",
    "unsealed_day_files",
]


BATCH_ROWS: Final = 5_000
"""Rows per batch when a day's records are streamed rather than loaded."""

# Where each file a seal commits lives, relative to the store (day files) or to
# the seal's own folder. Sealing, reading and verification all take paths from
# here, never from a seal's unsigned files.json.
SEALED_FILES: Final[dict[str, str]] = {
    "records": "records/date={day}/part-{seq:06d}.parquet",
    "quarantine": "quarantine/date={day}/units-{seq:06d}.jsonl",
    "lineage": "lineage.parquet",
    "findings": "findings.json",
    "chain_tips": "chain-tips.json",
}


def sealed_path(seal: SealRef, key: str) -> str:
    """The path a seal's file of kind ``key`` was committed under."""
    return SEALED_FILES[key].format(day=seal.day.isoformat(), seq=seal.seq)


def locate(store: Store, seal: SealRef, key: str) -> Path:
    """Where the file a seal committed under ``key`` is now.

    Day files of a current seal live under ``records/`` and ``quarantine/``;
    those of a superseded seal were moved, unchanged, to
    ``STORE/superseded/<seal>/``. Other files live in the seal's folder.
    """
    relative = Path(sealed_path(seal, key))
    if relative.parts[0] not in ("records", "quarantine"):
        return seal.path / relative
    in_place = store.root / relative
    moved = store.root / "superseded" / seal.name / relative.name
    return moved if not in_place.exists() and moved.exists() else in_place


def unsealed_day_files(store: Store) -> list[Path]:
    """Files under ``records/`` or ``quarantine/`` that no committed seal names.

    A reader of ``records/date=D/`` would see them as part of the day: sealing
    moves them aside, verification reports them.
    """
    seals = store.seals()
    named = {sealed_path(seal, key) for seal in seals for key in SEALED_FILES}
    return [
        path
        for folder in ("records", "quarantine")
        for path in sorted((store.root / folder).glob("date=*/*"))
        if path.relative_to(store.root).as_posix() not in named
    ]


def sealed_from(seal: SealRef, inputs: Iterable[Mapping[str, Any]]) -> bool:
    """True when ``seal`` was made from exactly these input files (uri, sha256)."""
    manifest = json.loads((seal.path / "manifest.json").read_text())
    sealed = sorted((i["uri"], i["sha256"]) for i in manifest["inputs"])
    return sealed == sorted((i["uri"], i["sha256"]) for i in inputs)


def read_records(store: Store, seal: SealRef) -> pl.DataFrame:
    """The accepted records a seal committed."""
    return pl.read_parquet(locate(store, seal, "records"))


def record_batches(
    path: Path, *, columns: Sequence[str] | None = None, rows: int = BATCH_ROWS
) -> Iterator[pl.DataFrame]:
    """A records Parquet file as frames of at most ``rows`` rows, in file order.

    Only one batch is decoded at a time (no read-ahead: pre-buffering whole
    row groups doubled the peak on a million-record day), so a caller that
    keeps little per record reads a day of any size in bounded memory.
    """
    for batch in arrow_batches(path, columns=columns, rows=rows):
        frame = pl.from_arrow(batch)
        assert isinstance(frame, pl.DataFrame)
        yield frame


def arrow_batches(
    path: Path, *, columns: Sequence[str] | None = None, rows: int = BATCH_ROWS
) -> Iterator[Any]:
    """The same batches as :func:`record_batches`, as pyarrow record batches."""
    import pyarrow.parquet as pq

    with pq.ParquetFile(path, pre_buffer=False) as parquet:
        yield from parquet.iter_batches(batch_size=rows, columns=columns)


def sealed_findings(seal: SealRef) -> dict[str, Any]:
    """The findings a seal committed (before its integrity section was known)."""
    data: dict[str, Any] = json.loads((seal.path / "findings.json").read_text())
    return data


def reference_seals(store: Store, day: date, count: int) -> list[SealRef]:
    """The ``count`` most recent passing days sealed before ``day``, newest first."""
    chosen = []
    for seal_day, seal in sorted(store.current_seals().items(), reverse=True):
        if seal_day >= day:
            continue
        if sealed_findings(seal).get("verdict") == "pass":
            chosen.append(seal)
        if len(chosen) == count:
            break
    return chosen


def chain_tips_before(store: Store, day: date) -> dict[str, Any]:
    """Producer chain tips after the latest day sealed before ``day``."""
    earlier = [s for d, s in store.current_seals().items() if d < day]
    if not earlier:
        return {}
    latest = max(earlier, key=lambda s: s.day)
    tips: dict[str, Any] = json.loads((latest.path / "chain-tips.json").read_text())
    return tips
