"""``verify-store``: recompute every sealed day and compare it with what was signed.

What is trusted is the signed checkpoint of each seal; everything else in the
store is checked against it. For each seal, in seal order:

1. the leaf hashes recomputed from the sealed Parquet file and ``manifest.json``
   are compared with the seal's ``leaves.bin``; the log is rebuilt with the
   leaves that reach the seal's checkpoint root, so the damage is pinned on
   the file that changed: records (edited, inserted, deleted or reordered,
   named by record id or leaf index), the manifest, ``leaves.bin`` itself, or
   the checkpoint;
2. every file the seal names exists at its sealed place and has the sha256 its
   manifest holds (records, quarantine, lineage, findings);
3. the checkpoint names the seal it sits in, the store's origin and the
   checkpoint before it; it is consistent with that checkpoint because one
   append-only rebuild of the log reaches both roots (the fact an RFC 9162
   consistency proof attests, without re-hashing the older tree each time);
4. the checkpoint's signature verifies (when a key or identity is given), and
   the witness cosignatures stored beside the seal are listed and, given the
   witnesses' keys, verified.

Seal numbers must run 1, 2, 3, ... with no gap; days between the first and the
last sealed day with no seal are listed as calendar gaps. Records are
recomputed only for days in ``[first, last]``; the log is rebuilt over every
seal. Nothing here needs the network or the signer's help.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any, Final

from ledgerlens.errors import LedgerlensError
from ledgerlens.integrity.checkpoint import Checkpoint
from ledgerlens.integrity.leaf import manifest_leaf_bytes
from ledgerlens.integrity.merkle import (
    HASH_SIZE,
    CompactRange,
    LeafHashes,
    leaf_hash,
)
from ledgerlens.store._files import file_sha256
from ledgerlens.store.layout import SealRef, Store
from ledgerlens.store.reader import (
    SEALED_FILES,
    locate,
    sealed_path,
    unsealed_day_files,
)
from ledgerlens.verification._records import compare_record_leaves

__all__ = ["BundleCheck", "DayCheck", "StoreReport", "WitnessCheck", "verify_store"]

logger = logging.getLogger(__name__)

BundleCheck = Callable[[bytes, dict[str, Any]], str]
"""Verifies a checkpoint bundle over the note bytes; returns who signed."""

WitnessCheck = Callable[[Store, SealRef, bytes], tuple[list[str], list[str]]]
"""Lists a seal's witness cosignatures: (who cosigned, problems found)."""

_NAMED_LEAVES: Final = 10
# The manifest key holding each sealed file's sha256. The chain tips are sealed
# too: an edited tip could hide a record deleted at the start of the next day.
_MANIFEST_SHA: Final = {key: f"{key}_sha256" for key in SEALED_FILES}


@dataclass
class DayCheck:
    """What re-verification found for one seal (filled in while checking)."""

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
    """The outcome of ``verify-store``.

    ``problems`` concern the store as a whole (a missing seal number, witness
    files of a seal that is gone); ``notes`` are facts worth showing that are
    not failures (several signing keys, unsigned checkpoints).
    """

    origin: str
    days: list[DayCheck]
    gaps: list[date]
    problems: list[str]
    notes: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when no seal and no store-level check found a difference."""
        return not self.problems and all(d.ok for d in self.days)


@dataclass
class _Walk:
    """The log as rebuilt so far, seal after seal."""

    log: CompactRange = field(default_factory=CompactRange)
    previous: Checkpoint | None = None
    hints: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True)
class _Recomputed:
    """Leaf hashes recomputed from a seal's records file and manifest."""

    records: list[bytes]
    manifest: bytes
    ids: list[str]

    @property
    def packed(self) -> bytes:
        return b"".join(self.records) + self.manifest


def verify_store(
    store: Store,
    *,
    first: date | None = None,
    last: date | None = None,
    check_bundle: BundleCheck | None = None,
    check_witnesses: WitnessCheck | None = None,
) -> StoreReport:
    """Re-verify every seal (records only for days in ``[first, last]``)."""
    seals = store.seals()
    report = StoreReport(store.origin, [], _gaps(store, first, last), [])
    _check_sequence(seals, report)

    walk = _Walk()
    current = set(store.current_seals().values())
    for seal in seals:
        in_range = (first is None or seal.day >= first) and (
            last is None or seal.day <= last
        )
        check = DayCheck(seal.name, seal.day, seal in current)
        _verify_seal(store, seal, in_range, walk, check, check_bundle)
        if check_witnesses is not None:
            note = _read_bytes(seal.path / "checkpoint.note")
            names, problems = check_witnesses(store, seal, note or b"")
            check.witnesses.extend(names)
            check.problems.extend(problems)
        if in_range:
            report.days.append(check)

    _sum_up_keys(walk, check_bundle, report)
    report.problems.extend(
        f"{path.relative_to(store.root).as_posix()} is not sealed by any seal"
        for path in unsealed_day_files(store)
    )
    logger.info("verified %d seals of %s", len(seals), store.root)
    return report


def _verify_seal(
    store: Store,
    seal: SealRef,
    in_range: bool,
    walk: _Walk,
    check: DayCheck,
    check_bundle: BundleCheck | None,
) -> None:
    sealed = _seal_leaves(seal, check)
    checkpoint = _checkpoint(store, seal, check)
    manifest = _json(seal.path / "manifest.json", check)
    files = _json(seal.path / "files.json", check)

    recomputed = None
    if in_range and manifest is not None and files is not None:
        check.records = _int(manifest.get("records"))
        _check_files(store, seal, manifest, files, check)
        recomputed = _recompute(store, seal, manifest, check)

    _rebuild_log(store, seal, sealed, recomputed, checkpoint, walk, check)
    if checkpoint is not None:
        _check_saved_state(seal, checkpoint, check)
        _check_signature(seal, check_bundle, walk, check)
        walk.previous = checkpoint


# --- the log --------------------------------------------------------------------


def _rebuild_log(
    store: Store,
    seal: SealRef,
    sealed: bytes,
    recomputed: _Recomputed | None,
    checkpoint: Checkpoint | None,
    walk: _Walk,
    check: DayCheck,
) -> None:
    """Append this seal's leaves to the log, choosing those the checkpoint signs."""
    if checkpoint is None:
        if recomputed is not None:
            _describe_changes(seal, sealed, recomputed, check)
        _append(walk, sealed)
        return
    if not _follows_previous(seal, checkpoint, walk, check):
        _resume(seal, checkpoint, walk, check, "the seals before it are incomplete")
        return

    reached = _reaches(walk.log, sealed, checkpoint)
    other = recomputed.packed if recomputed is not None else None
    if reached is not None:
        if recomputed is not None:
            _describe_changes(seal, sealed, recomputed, check)
    elif other is not None and other != sealed:
        reached = _reaches(walk.log, other, checkpoint)
        if reached is not None:
            check.problems.append(_leaves_file_changed(seal, sealed, other))
    if reached is not None:
        # The same leaves reach the previous checkpoint and this one: the log
        # grew by appending only, which is what a consistency proof shows.
        walk.log = reached
        return

    if recomputed is not None and other != sealed:
        _describe_changes(seal, sealed, recomputed, check)
    where = "leaves.bin" if recomputed is None else "leaves.bin nor the records"
    check.problems.append(
        f"{_rel(store, seal.path / 'checkpoint.note')} does not match the sealed "
        f"leaves: neither {where} rebuild its root (size {checkpoint.tree_size}); "
        "the checkpoint changed since sealing, or the leaves did"
    )
    if not _resume(seal, checkpoint, walk, check, None):
        _append(walk, sealed)


def _check_saved_state(seal: SealRef, checkpoint: Checkpoint, check: DayCheck) -> None:
    """The saved log state the next seal resumes from must be this checkpoint's."""
    path = seal.path / "compact-range.json"
    try:
        state = CompactRange.from_state(json.loads(path.read_text()))
    except (OSError, ValueError, AttributeError, LedgerlensError):
        state = None
    if state is None or (state.size, state.root()) != (
        checkpoint.tree_size,
        checkpoint.root,
    ):
        check.problems.append(
            f"seals/{seal.name}/compact-range.json does not match its checkpoint "
            "(the next seal would continue another log)"
        )


def _reaches(
    log: CompactRange, leaves: bytes, checkpoint: Checkpoint
) -> CompactRange | None:
    """The log extended by ``leaves``, if that gives the checkpoint's root."""
    if len(leaves) % HASH_SIZE or log.size + len(leaves) // HASH_SIZE != (
        checkpoint.tree_size
    ):
        return None
    trial = CompactRange.from_state(log.to_state())
    trial.extend(LeafHashes(leaves))
    return trial if trial.root() == checkpoint.root else None


def _append(walk: _Walk, leaves: bytes) -> None:
    whole = leaves[: len(leaves) - len(leaves) % HASH_SIZE]
    walk.log.extend(LeafHashes(whole))


def _follows_previous(
    seal: SealRef, checkpoint: Checkpoint, walk: _Walk, check: DayCheck
) -> bool:
    """Does the checkpoint continue the log as rebuilt so far?"""
    previous = walk.previous
    named = checkpoint.prev_size or 0
    if named != walk.log.size:
        missing = named - walk.log.size
        what = (
            f"{missing} leaves are missing before it (a seal was removed?)"
            if missing > 0
            else "it ignores leaves sealed before it"
        )
        check.problems.append(
            f"checkpoint of {seal.name} follows a log of {named} leaves, but the "
            f"seals before it hold {walk.log.size}: {what}"
        )
        return False
    if previous is not None and (checkpoint.prev_size, checkpoint.prev_root) != (
        previous.tree_size,
        previous.root,
    ):
        check.problems.append(
            f"checkpoint of {seal.name} does not name the one before it"
        )
    return True


def _resume(
    seal: SealRef,
    checkpoint: Checkpoint,
    walk: _Walk,
    check: DayCheck,
    reason: str | None,
) -> bool:
    """Continue the log from the seal's saved state when it matches the checkpoint.

    Used when this seal's leaves cannot be checked, so that the seals after it
    are still judged on their own leaves rather than failing in a cascade.
    """
    state = _json(seal.path / "compact-range.json", check)
    try:
        resumed = CompactRange.from_state(state or {})
    except LedgerlensError:
        resumed = None
    if resumed is None or (resumed.size, resumed.root()) != (
        checkpoint.tree_size,
        checkpoint.root,
    ):
        return False
    if reason is not None:
        check.problems.append(
            f"{seal.name}: its leaves cannot be checked against its checkpoint: "
            f"{reason}"
        )
    walk.log = resumed
    return True


def _leaves_file_changed(seal: SealRef, sealed: bytes, other: bytes) -> str:
    size = min(len(sealed), len(other)) // HASH_SIZE
    differing = [
        str(i)
        for i in range(size)
        if sealed[i * HASH_SIZE : (i + 1) * HASH_SIZE]
        != other[i * HASH_SIZE : (i + 1) * HASH_SIZE]
    ]
    if len(sealed) != len(other):
        differing.append(
            f"length {len(sealed)} bytes instead of {len(other)}"
            if len(sealed) % HASH_SIZE
            else f"{len(sealed) // HASH_SIZE} leaves instead of {len(other) // 32}"
        )
    shown = ", ".join(differing[:_NAMED_LEAVES])
    return (
        f"{seal.name}/leaves.bin changed since sealing (leaf {shown}); the records "
        "and the manifest still match the signed checkpoint"
    )


# --- records, manifest and files -------------------------------------------------


def _recompute(
    store: Store, seal: SealRef, manifest: Mapping[str, Any], check: DayCheck
) -> _Recomputed | None:
    import polars as pl

    from ledgerlens.store.order import frame_leaf_hashes
    from ledgerlens.store.reader import record_batches

    try:
        manifest_hash = leaf_hash(manifest_leaf_bytes(manifest))
    except LedgerlensError as exc:
        check.problems.append(f"{seal.name}/manifest.json has no leaf: {exc.message}")
        return None
    path = locate(store, seal, "records")
    ids: list[str | None] = []
    records: list[bytes] = []
    try:
        for batch in record_batches(path):
            ids.extend(batch["record_id"].cast(pl.Utf8).to_list())
            records.extend(frame_leaf_hashes(batch))
    except LedgerlensError as exc:
        check.problems.append(f"{_rel(store, path)}: {exc.message}")
        return None
    except Exception as exc:  # noqa: BLE001 - any unreadable file is a finding
        check.problems.append(
            f"{_rel(store, path)} cannot be read ({type(exc).__name__})"
        )
        return None
    return _Recomputed(records, manifest_hash, [i or "" for i in ids])


def _describe_changes(
    seal: SealRef, sealed: bytes, recomputed: _Recomputed, check: DayCheck
) -> None:
    """Name what differs between ``leaves.bin`` (taken as sealed) and the files."""
    if len(sealed) < HASH_SIZE:
        return  # nothing sealed to compare with; reported as missing already
    count = len(sealed) // HASH_SIZE - 1
    hashes = [sealed[i : i + HASH_SIZE] for i in range(0, count * HASH_SIZE, HASH_SIZE)]
    manifest_leaf = sealed[count * HASH_SIZE : (count + 1) * HASH_SIZE]
    if count != len(recomputed.records):
        check.problems.append(
            f"{seal.day}: the records file holds {len(recomputed.records)} records; "
            f"{max(count, 0)} were sealed"
        )
    if manifest_leaf != recomputed.manifest:
        check.problems.append(f"{seal.name}/manifest.json differs from its sealed leaf")
    changes = compare_record_leaves(hashes, recomputed.records, recomputed.ids)
    check.problems.extend(changes.messages(str(seal.day)))


def _check_files(
    store: Store,
    seal: SealRef,
    manifest: Mapping[str, Any],
    files: Mapping[str, Any],
    check: DayCheck,
) -> None:
    for key, sha_key in _MANIFEST_SHA.items():
        expected = sealed_path(seal, key)
        entry = files.get(key)
        named = entry.get("path") if isinstance(entry, Mapping) else None
        if named is None:
            check.problems.append(
                f"{seal.name}/files.json does not name its {key} file"
            )
        elif named != expected:
            check.problems.append(
                f"{seal.name}/files.json names `{named}` as its {key} file, "
                f"not `{expected}`"
            )
        path = locate(store, seal, key)
        if not path.is_file():
            check.problems.append(f"{_rel(store, path)} is missing")
        elif file_sha256(path) != manifest.get(sha_key):
            check.problems.append(
                f"{_rel(store, path)} changed (sha256 differs from the sealed manifest)"
            )


# --- checkpoints and signatures ---------------------------------------------------


def _checkpoint(store: Store, seal: SealRef, check: DayCheck) -> Checkpoint | None:
    path = seal.path / "checkpoint.note"
    try:
        checkpoint = Checkpoint.parse(path.read_bytes())
    except OSError:
        check.problems.append(f"{_rel(store, path)} is missing or unreadable")
        return None
    except LedgerlensError as exc:
        check.problems.append(f"{_rel(store, path)} is malformed: {exc.message}")
        return None
    check.tree_size, check.root = checkpoint.tree_size, checkpoint.root.hex()
    if checkpoint.seal_seq != seal.seq or checkpoint.date != seal.day:
        check.problems.append(
            f"{_rel(store, path)} names seal {checkpoint.seal_seq} of "
            f"{checkpoint.date}, not {seal.name}"
        )
    if checkpoint.origin != store.origin:
        check.problems.append(
            f"checkpoint origin `{checkpoint.origin}` is not the store's"
        )
    if checkpoint.day_tz != store.day_tz:
        check.problems.append(
            f"checkpoint of {seal.name} cuts days in {checkpoint.day_tz}, "
            f"the store in {store.day_tz}"
        )
    return checkpoint


def _check_signature(
    seal: SealRef, check_bundle: BundleCheck | None, walk: _Walk, check: DayCheck
) -> None:
    bundle_path = seal.path / "checkpoint.note.sigstore.json"
    if not bundle_path.is_file():
        if check_bundle is not None:
            check.problems.append(f"{seal.name}: the checkpoint is not signed")
        walk.hints.setdefault("unsigned", []).append(seal.name)
        return
    try:
        bundle = json.loads(bundle_path.read_text())
        note = (seal.path / "checkpoint.note").read_bytes()
    except (OSError, ValueError) as exc:
        check.problems.append(
            f"seals/{seal.name}/{bundle_path.name} cannot be read "
            f"({type(exc).__name__})"
        )
        return
    walk.hints.setdefault(_signer_of(bundle), []).append(seal.name)
    if check_bundle is None:
        return
    try:
        check.signer = check_bundle(note, bundle)
    except LedgerlensError as exc:
        check.problems.append(f"{seal.name}: checkpoint signature: {exc.message}")


def _signer_of(bundle: Any) -> str:
    """The key hint or certificate a bundle names, unverified (for notes only)."""
    try:
        material = bundle["verificationMaterial"]
        if "publicKey" in material:
            return f"key {str(material['publicKey']['hint'])[:16]}"
    except (KeyError, TypeError):
        return "an unreadable bundle"
    return "a certificate"


def _sum_up_keys(
    walk: _Walk, check_bundle: BundleCheck | None, report: StoreReport
) -> None:
    unsigned = walk.hints.pop("unsigned", [])
    if unsigned and check_bundle is None:
        report.notes.append(f"unsigned checkpoints: {', '.join(unsigned)}")
    if len(walk.hints) > 1:
        report.notes.append(
            "checkpoints name different signers: "
            + "; ".join(f"{who} ({', '.join(s)})" for who, s in walk.hints.items())
        )


# --- the sequence and the calendar -------------------------------------------------


def _check_sequence(seals: Sequence[SealRef], report: StoreReport) -> None:
    expected = 1
    for seal in seals:
        if seal.seq != expected:
            missing = (
                f"seal {expected:06d} is missing"
                if seal.seq == expected + 1
                else f"seals {expected:06d} to {seal.seq - 1:06d} are missing"
            )
            if seal.seq < expected:
                missing = f"seal number {seal.seq:06d} is used twice"
            report.problems.append(f"{missing}: the sequence jumps to {seal.name}")
        expected = seal.seq + 1


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


# --- small readers --------------------------------------------------------------------


def _seal_leaves(seal: SealRef, check: DayCheck) -> bytes:
    path = seal.path / "leaves.bin"
    data = _read_bytes(path)
    if data is None:
        check.problems.append(f"seals/{seal.name}/leaves.bin is missing or unreadable")
        return b""
    if len(data) % HASH_SIZE:
        check.problems.append(
            f"seals/{seal.name}/leaves.bin is not a whole number of 32-byte hashes"
        )
    return data


def _read_bytes(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except OSError:
        return None


def _json(path: Path, check: DayCheck) -> dict[str, Any] | None:
    where = f"seals/{path.parent.name}/{path.name}"
    try:
        data = json.loads(path.read_text())
    except OSError:
        check.problems.append(f"{where} is missing or unreadable")
        return None
    except ValueError:
        check.problems.append(f"{where} is not valid JSON")
        return None
    if not isinstance(data, dict):
        check.problems.append(f"{where} is not a JSON object")
        return None
    return data


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def _rel(store: Store, path: Path) -> str:
    try:
        return path.relative_to(store.root).as_posix()
    except ValueError:
        return str(path)
