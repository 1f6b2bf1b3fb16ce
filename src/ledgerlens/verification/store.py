"""``verify-store``: recompute every sealed day and compare it with what was signed.

For each seal, in seal order: every file the seal names exists and has the
sha256 its manifest holds; the leaf hashes recomputed from the sealed Parquet
equal the seal's ``leaves.bin`` (naming the records that differ); the manifest
leaf matches ``manifest.json``; the log rebuilt from all leaves reaches each
checkpoint's size and root; each checkpoint is consistent with the one before
(an RFC 9162 consistency proof is built and checked); the checkpoint's
signature verifies. Days between the first and last sealed day that have no
seal are listed as gaps. Nothing here needs the network or the signer's help.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from ledgerlens.errors import LedgerlensError
from ledgerlens.integrity.checkpoint import Checkpoint
from ledgerlens.integrity.leaf import leaf_hashes, manifest_leaf_bytes
from ledgerlens.integrity.merkle import (
    CompactRange,
    LeafHashes,
    consistency_proof,
    leaf_hash,
    verify_consistency,
)
from ledgerlens.store._files import file_sha256
from ledgerlens.store.layout import SealRef, Store
from ledgerlens.store.reader import locate

__all__ = ["DayCheck", "StoreReport", "verify_store"]

logger = logging.getLogger(__name__)

_HASH = 32
_NAMED_RECORDS = 20

BundleCheck = Callable[[bytes, dict[str, Any]], str]


@dataclass
class DayCheck:
    """What re-verification found for one seal."""

    seal: str
    day: date
    current: bool
    records: int = 0
    tree_size: int = 0
    root: str = ""
    signer: str | None = None
    witnesses: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing differs."""
        return not self.problems


@dataclass
class StoreReport:
    """The outcome of ``verify-store``."""

    origin: str
    days: list[DayCheck]
    gaps: list[date]
    problems: list[str]

    @property
    def ok(self) -> bool:
        """True when no seal and no store-level check found a difference."""
        return not self.problems and all(d.ok for d in self.days)


def verify_store(
    store: Store,
    *,
    first: date | None = None,
    last: date | None = None,
    check_bundle: BundleCheck | None = None,
) -> StoreReport:
    """Re-verify every seal (records only for days in ``[first, last]``)."""
    seals = store.seals()
    report = StoreReport(store.origin, [], _gaps(store, first, last), [])
    _check_sequence(seals, report)

    log = CompactRange()
    all_leaves = bytearray()
    previous: Checkpoint | None = None
    current = set(store.current_seals().values())
    for seal in seals:
        in_range = (first is None or seal.day >= first) and (
            last is None or seal.day <= last
        )
        check = DayCheck(seal.name, seal.day, seal in current)
        leaves = _seal_leaves(seal, check)
        checkpoint = _checkpoint(seal, check)
        if in_range:
            _check_day(store, seal, leaves, check)

        for offset in range(0, len(leaves) - len(leaves) % _HASH, _HASH):
            log.append(bytes(leaves[offset : offset + _HASH]))
        all_leaves += leaves
        if checkpoint is not None:
            _check_checkpoint(store, checkpoint, previous, log, all_leaves, check)
            _check_signature(seal, check_bundle, check)
            previous = checkpoint
        if in_range:
            report.days.append(check)
    return report


def _check_sequence(seals: list[SealRef], report: StoreReport) -> None:
    for expected, seal in enumerate(seals, start=1):
        if seal.seq != expected:
            report.problems.append(
                f"seal {expected:06d} is missing: the sequence jumps to {seal.name}"
            )
            break


def _gaps(store: Store, first: date | None, last: date | None) -> list[date]:
    days = sorted(store.current_seals())
    if not days:
        return []
    start, end = first or days[0], last or days[-1]
    sealed = set(days)
    span = (end - start).days + 1
    return [
        start + timedelta(n) for n in range(span) if start + timedelta(n) not in sealed
    ]


def _seal_leaves(seal: SealRef, check: DayCheck) -> bytes:
    path = seal.path / "leaves.bin"
    try:
        data = path.read_bytes()
    except OSError:
        check.problems.append(f"{_rel(path)} is missing or unreadable")
        return b""
    if len(data) % _HASH:
        check.problems.append(f"{_rel(path)} is not a whole number of 32-byte hashes")
    return data


def _checkpoint(seal: SealRef, check: DayCheck) -> Checkpoint | None:
    path = seal.path / "checkpoint.note"
    try:
        checkpoint = Checkpoint.parse(path.read_bytes())
    except OSError:
        check.problems.append(f"{_rel(path)} is missing or unreadable")
        return None
    except LedgerlensError as exc:
        check.problems.append(f"{_rel(path)} is malformed: {exc.message}")
        return None
    check.tree_size, check.root = checkpoint.tree_size, checkpoint.root.hex()
    if checkpoint.seal_seq != seal.seq or checkpoint.date != seal.day:
        check.problems.append(
            f"{_rel(path)} names seal {checkpoint.seal_seq} of {checkpoint.date}, "
            f"not {seal.name}"
        )
    return checkpoint


def _check_day(store: Store, seal: SealRef, leaves: bytes, check: DayCheck) -> None:
    manifest = _json(seal.path / "manifest.json", check)
    files = _json(seal.path / "files.json", check)
    if manifest is None or files is None:
        return
    check.records = int(manifest.get("records", 0))
    _check_files(store, seal, manifest, files, check)
    _check_leaves(store, seal, manifest, leaves, check)


def _check_files(
    store: Store,
    seal: SealRef,
    manifest: dict[str, Any],
    files: dict[str, Any],
    check: DayCheck,
) -> None:
    expected = {
        "records": manifest.get("records_sha256"),
        "lineage": manifest.get("lineage_sha256"),
        "quarantine": manifest.get("quarantine_sha256"),
        "findings": manifest.get("findings_sha256"),
    }
    for key, sha in expected.items():
        if key not in files:
            check.problems.append(
                f"{seal.name}/files.json does not name its {key} file"
            )
            continue
        path = locate(store, seal, key)
        if not path.is_file():
            check.problems.append(f"{_rel(path, store.root)} is missing")
        elif file_sha256(path) != sha:
            check.problems.append(
                f"{_rel(path, store.root)} changed (sha256 differs "
                "from the sealed manifest)"
            )


def _check_leaves(
    store: Store,
    seal: SealRef,
    manifest: dict[str, Any],
    leaves: bytes,
    check: DayCheck,
) -> None:
    import polars as pl

    count = int(manifest.get("records", 0))
    sealed = [leaves[i : i + _HASH] for i in range(0, count * _HASH, _HASH)]
    manifest_leaf = leaves[count * _HASH : (count + 1) * _HASH]
    if len(leaves) != (count + 1) * _HASH:
        check.problems.append(
            f"{seal.name}/leaves.bin holds {len(leaves) // _HASH} leaves; "
            f"the manifest says {count + 1}"
        )
    if leaf_hash(manifest_leaf_bytes(manifest)) != manifest_leaf:
        check.problems.append(f"{seal.name}/manifest.json differs from its sealed leaf")

    path = locate(store, seal, "records")
    try:
        frame = pl.read_parquet(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a finding
        check.problems.append(
            f"{_rel(path, store.root)} cannot be read ({type(exc).__name__})"
        )
        return
    recomputed = leaf_hashes(frame.iter_rows(named=True))
    ids = frame["record_id"].to_list() if "record_id" in frame.columns else []
    _compare_leaves(seal, recomputed, sealed, ids, check)


def _compare_leaves(
    seal: SealRef,
    recomputed: list[bytes],
    sealed: list[bytes],
    ids: list[Any],
    check: DayCheck,
) -> None:
    if len(recomputed) != len(sealed):
        check.problems.append(
            f"{seal.day}: the records file holds {len(recomputed)} records; "
            f"{len(sealed)} were sealed"
        )
    sealed_set = set(sealed)
    differing = [
        str(ids[i]) if i < len(ids) else f"#{i}"
        for i, value in enumerate(recomputed)
        if i >= len(sealed) or value != sealed[i]
    ]
    if differing:
        moved = sum(1 for v in recomputed if v in sealed_set)
        kind = "reordered" if moved == len(recomputed) == len(sealed) else "changed"
        named = ", ".join(differing[:_NAMED_RECORDS])
        more = (
            f" and {len(differing) - _NAMED_RECORDS} more"
            if len(differing) > _NAMED_RECORDS
            else ""
        )
        check.problems.append(
            f"{seal.day}: records {kind} since sealing: {named}{more}"
        )


def _check_checkpoint(
    store: Store,
    checkpoint: Checkpoint,
    previous: Checkpoint | None,
    log: CompactRange,
    all_leaves: bytearray,
    check: DayCheck,
) -> None:
    if checkpoint.origin != store.origin:
        check.problems.append(
            f"checkpoint origin `{checkpoint.origin}` is not the store's"
        )
    if log.size != checkpoint.tree_size or log.root() != checkpoint.root:
        check.problems.append(
            f"the log rebuilt from the sealed leaves (size {log.size}) does not reach "
            f"the checkpoint of {check.seal} (size {checkpoint.tree_size})"
        )
    if previous is None:
        return
    if (checkpoint.prev_size, checkpoint.prev_root) != (
        previous.tree_size,
        previous.root,
    ):
        check.problems.append(
            f"checkpoint of {check.seal} does not name the one before it"
        )
    if previous.tree_size and log.size == checkpoint.tree_size:
        proof = consistency_proof(
            previous.tree_size, checkpoint.tree_size, LeafHashes(bytes(all_leaves))
        )
        try:
            verify_consistency(
                previous.tree_size,
                checkpoint.tree_size,
                previous.root,
                checkpoint.root,
                proof,
            )
        except LedgerlensError as exc:
            check.problems.append(
                f"checkpoint of {check.seal} is not consistent with "
                f"the one before: {exc.message}"
            )


def _check_signature(
    seal: SealRef, check_bundle: BundleCheck | None, check: DayCheck
) -> None:
    if check_bundle is None:
        return
    bundle_path = seal.path / "checkpoint.note.sigstore.json"
    if not bundle_path.is_file():
        check.problems.append(f"{seal.name}: the checkpoint is not signed")
        return
    try:
        bundle = json.loads(bundle_path.read_text())
        check.signer = check_bundle(
            (seal.path / "checkpoint.note").read_bytes(), bundle
        )
    except (OSError, ValueError) as exc:
        check.problems.append(
            f"{_rel(bundle_path)} cannot be read ({type(exc).__name__})"
        )
    except LedgerlensError as exc:
        check.problems.append(f"{seal.name}: checkpoint signature: {exc.message}")


def _json(path: Path, check: DayCheck) -> dict[str, Any] | None:
    try:
        data: dict[str, Any] = json.loads(path.read_text())
    except OSError:
        check.problems.append(f"{_rel(path)} is missing or unreadable")
        return None
    except ValueError:
        check.problems.append(f"{_rel(path)} is not valid JSON")
        return None
    return data


def _rel(path: Path, root: Path | None = None) -> str:
    base = root if root is not None else path.parents[2]
    try:
        return path.relative_to(base).as_posix()
    except ValueError:
        return str(path)
