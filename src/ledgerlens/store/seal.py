"""Sealing a day: append its leaves to the store's Merkle log and commit a seal.

The commit is atomic and never rewrites anything sealed:

1. everything is written and fsynced in ``STORE/staging/<seq>-<D>/``;
2. the day's Parquet and quarantine files are placed under names carrying the new
   sequence number (no older file has that name);
3. the staging directory is renamed to ``STORE/seals/<seq>-<D>`` — the commit
   point; a crash before it leaves only files no seal names, which the next run
   moves to ``STORE/orphans/``;
4. on a reseal, the files of the seal it supersedes move to ``STORE/superseded/``
   (renamed, never changed).
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import orjson
import polars as pl

from ledgerlens.errors import StoreError
from ledgerlens.integrity.checkpoint import Checkpoint
from ledgerlens.integrity.leaf import manifest_leaf_bytes
from ledgerlens.integrity.merkle import CompactRange, leaf_hash
from ledgerlens.record import RECORD_SCHEMA
from ledgerlens.store._files import (
    file_sha256,
    fsync_dir,
    fsync_file,
    write_bytes_durably,
    write_chunks_durably,
    write_json_durably,
)
from ledgerlens.store.layout import SealRef, Store
from ledgerlens.store.lock import store_lock
from ledgerlens.store.order import (
    check_records_file,
    leaf_order,
    write_in_leaf_order,
)
from ledgerlens.store.reader import sealed_from, sealed_path, unsealed_day_files

__all__ = ["AlreadySealed", "DayContents", "SealResult", "seal_day"]

logger = logging.getLogger(__name__)

BlobSigner = Callable[[bytes], Mapping[str, Any]]


class AlreadySealed(StoreError):
    """The day was sealed from exactly these inputs meanwhile (a concurrent run)."""

    def __init__(self, seal: SealRef) -> None:
        super().__init__(
            f"{seal.day} is already sealed from these inputs ({seal.name})"
        )
        self.seal = seal


@dataclass(frozen=True)
class DayContents:
    """Everything one seal commits for one day.

    ``records`` and ``lineage`` are frames with the record schema, or Parquet
    files holding them (as ingest writes them: a file is never loaded whole);
    ``side_units`` are the quarantined and other non-record units, or a JSON
    Lines file of them. ``findings`` are the day's results known before sealing
    (counts, checks, chain verdicts, lineage); the seal hashes them into its
    manifest leaf.
    """

    day: date
    records: pl.DataFrame | Path
    lineage: pl.DataFrame | Path
    side_units: Sequence[Mapping[str, Any]] | Path
    findings: Mapping[str, Any]
    inputs: Sequence[Mapping[str, Any]]
    counts: Mapping[str, Any]
    chain_tips: Mapping[str, Any]


@dataclass(frozen=True)
class SealResult:
    """What a seal committed, for the report and the evidence pack."""

    seal: SealRef
    note: bytes
    checkpoint: Checkpoint
    bundle: Mapping[str, Any] | None
    records: int
    leaves: int
    previous_tree_size: int
    supersedes: str | None

    @property
    def tree_size(self) -> int:
        """Size of the whole log after this seal."""
        return self.checkpoint.tree_size

    @property
    def root_hex(self) -> str:
        """Root hash of the whole log after this seal, hex."""
        return self.checkpoint.root.hex()


def seal_day(
    store: Store,
    contents: DayContents,
    *,
    reseal: bool = False,
    sign: BlobSigner | None = None,
) -> SealResult:
    """Seal one day into the store's log and return what was committed."""
    with store_lock(store.root):
        _recover_orphans(store)
        existing = store.current_seals().get(contents.day)
        if (
            existing is not None
            and not reseal
            and sealed_from(existing, contents.inputs)
        ):
            raise AlreadySealed(existing)
        if existing is not None and not reseal:
            msg = f"{contents.day} is already sealed ({existing.name})"
            raise StoreError(msg, remedy="pass --reseal to append a superseding seal")

        seals = store.seals()
        head = seals[-1] if seals else None
        seq = head.seq + 1 if head else 1
        compact, prev = _log_state(head)
        staging = store.root / "staging" / f"{seq:06d}-{contents.day.isoformat()}"
        if staging.exists():
            shutil.rmtree(staging)
        staging.mkdir(parents=True)

        result = _write_seal(
            store, contents, staging, seq, compact, prev, existing, sign
        )
        _commit(store, result.seal, staging, existing)
        logger.info(
            "sealed %s as %s: %d records, tree size %d",
            contents.day,
            result.seal.name,
            result.records,
            result.tree_size,
        )
        return result


def _log_state(head: SealRef | None) -> tuple[CompactRange, Checkpoint | None]:
    if head is None:
        return CompactRange(), None
    state = json.loads((head.path / "compact-range.json").read_text())
    checkpoint = Checkpoint.parse((head.path / "checkpoint.note").read_bytes())
    compact = CompactRange.from_state(state)
    if compact.size != checkpoint.tree_size or compact.root() != checkpoint.root:
        msg = f"the log state of {head.name} does not match its checkpoint"
        raise StoreError(
            msg, remedy="run `ledgerlens verify-store` to locate the damage"
        )
    return compact, checkpoint


def _write_seal(
    store: Store,
    contents: DayContents,
    staging: Path,
    seq: int,
    compact: CompactRange,
    prev: Checkpoint | None,
    existing: SealRef | None,
    sign: BlobSigner | None,
) -> SealResult:
    day = contents.day.isoformat()
    final = SealRef(seq, contents.day, store.seals_dir / staging.name)
    first_leaf = compact.size

    # Data files first: their hashes go into the manifest leaf.
    part_name = Path(sealed_path(final, "records")).name
    hashes = _write_records(contents.records, staging, staging / part_name)
    lineage_name = sealed_path(final, "lineage")
    _write_frame_file(contents.lineage, staging / lineage_name)
    units_name = Path(sealed_path(final, "quarantine")).name
    units_sha = _write_side_units(contents.side_units, staging / units_name)
    findings_sha = write_json_durably(
        staging / sealed_path(final, "findings"), contents.findings
    )
    tips_sha = write_json_durably(
        staging / sealed_path(final, "chain_tips"), _json_safe(contents.chain_tips)
    )
    records_sha = file_sha256(staging / part_name)
    lineage_sha = file_sha256(staging / lineage_name)

    manifest = {
        "date": day,
        "seal_seq": seq,
        "day_tz": store.day_tz,
        "leaf_range": [first_leaf, first_leaf + len(hashes)],
        "records": len(hashes),
        "inputs": [dict(i) for i in contents.inputs],
        "counts": _json_safe(contents.counts),
        "records_sha256": records_sha,
        "lineage_sha256": lineage_sha,
        "quarantine_sha256": units_sha,
        "findings_sha256": findings_sha,
        "chain_tips_sha256": tips_sha,
    }
    if existing is not None:
        manifest["supersedes"] = existing.name
    manifest_hash = leaf_hash(manifest_leaf_bytes(manifest))
    for value in hashes:
        compact.append(value)
    compact.append(manifest_hash)

    checkpoint = Checkpoint(
        origin=store.origin,
        tree_size=compact.size,
        root=compact.root(),
        seal_seq=seq,
        date=contents.day,
        day_tz=store.day_tz,
        prev_size=prev.tree_size if prev else None,
        prev_root=prev.root if prev else None,
    )
    note = checkpoint.to_note()
    bundle = dict(sign(note)) if sign else None

    write_json_durably(staging / "manifest.json", manifest)
    write_bytes_durably(staging / "leaves.bin", b"".join(hashes) + manifest_hash)
    write_bytes_durably(staging / "checkpoint.note", note)
    if bundle is not None:
        write_json_durably(staging / "checkpoint.note.sigstore.json", bundle)
    write_json_durably(staging / "compact-range.json", compact.to_state())
    digests = {
        "records": records_sha,
        "quarantine": units_sha,
        "lineage": lineage_sha,
        "findings": findings_sha,
        "chain_tips": tips_sha,
    }
    write_json_durably(
        staging / "files.json",
        {k: {"path": sealed_path(final, k), "sha256": v} for k, v in digests.items()},
    )
    fsync_dir(staging)

    return SealResult(
        seal=final,
        note=note,
        checkpoint=checkpoint,
        bundle=bundle,
        records=len(hashes),
        leaves=len(hashes) + 1,
        previous_tree_size=prev.tree_size if prev else 0,
        supersedes=existing.name if existing else None,
    )


def _write_records(
    records: pl.DataFrame | Path, staging: Path, target: Path
) -> list[bytes]:
    """Write the day's records to ``target`` in leaf order; return the leaf hashes."""
    if isinstance(records, pl.DataFrame):
        source = staging / "records-unordered.parquet"
        _as_records(records).write_parquet(source, compression="zstd")
    else:
        source = records
    check_records_file(source)
    order = leaf_order(source)
    write_in_leaf_order(source, target, order)
    if source.parent == staging:
        source.unlink()
    fsync_file(target)
    return order.hashes


def _write_frame_file(frame: pl.DataFrame | Path, target: Path) -> None:
    if isinstance(frame, pl.DataFrame):
        _as_records(frame).write_parquet(target, compression="zstd")
    else:
        check_records_file(frame)
        shutil.copyfile(frame, target)
    fsync_file(target)


def _as_records(frame: pl.DataFrame) -> pl.DataFrame:
    return frame.select(list(RECORD_SCHEMA)).cast(RECORD_SCHEMA)  # type: ignore[arg-type]


def _write_side_units(units: Sequence[Mapping[str, Any]] | Path, target: Path) -> str:
    """Write one sorted-key JSON line per unit, streaming; return the SHA-256."""
    lines: Iterable[Mapping[str, Any]]
    lines = _json_lines(units) if isinstance(units, Path) else units
    return write_chunks_durably(
        target, (orjson.dumps(u, option=orjson.OPT_SORT_KEYS) + b"\n" for u in lines)
    )


def _json_lines(path: Path) -> Iterator[Mapping[str, Any]]:
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                yield orjson.loads(line)


def _commit(
    store: Store, seal: SealRef, staging: Path, existing: SealRef | None
) -> None:
    for key in ("records", "quarantine"):
        target = store.root / sealed_path(seal, key)
        target.parent.mkdir(parents=True, exist_ok=True)
        (staging / target.name).replace(target)
        fsync_dir(target.parent)

    store.seals_dir.mkdir(exist_ok=True)
    staging.replace(seal.path)
    fsync_dir(store.seals_dir)

    if existing is not None:
        _supersede(store, existing)


def _supersede(store: Store, old: SealRef) -> None:
    """Move the day files of a superseded seal aside, unchanged."""
    target = store.root / "superseded" / old.name
    target.mkdir(parents=True, exist_ok=True)
    for key in ("records", "quarantine"):
        source = store.root / sealed_path(old, key)
        if source.exists():
            source.replace(target / source.name)
    fsync_dir(target)


def _recover_orphans(store: Store) -> None:
    """Move day files that no committed seal names to ``STORE/orphans/``."""
    for path in unsealed_day_files(store):
        orphans = store.root / "orphans"
        orphans.mkdir(exist_ok=True)
        relative = path.relative_to(store.root).as_posix()
        logger.warning("moving %s, which no seal names, to orphans/", relative)
        path.replace(orphans / f"{path.parent.name}-{path.name}")
    current = set(store.current_seals().values())
    for seal in store.seals():
        if seal not in current:
            _supersede(store, seal)
    staging = store.root / "staging"
    if staging.is_dir():
        for leftover in staging.iterdir():
            shutil.rmtree(leftover, ignore_errors=True)


def _json_safe(value: Any) -> Any:
    return json.loads(json.dumps(value, default=str))
