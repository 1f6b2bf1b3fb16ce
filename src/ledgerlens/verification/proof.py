"""Self-contained inclusion proofs of one sealed record, checked with no store.

:func:`build_proof` finds a record in the current seals, recomputes its v1 leaf
bytes, and exports what an auditor needs to check it alone: the leaf bytes
(or only the leaf hash), the leaf's index, the RFC 9162 audit path to the
checkpoint of the seal that holds it, that checkpoint's note and signature
bundle, and, when later seals exist, the audit path to the store's latest
checkpoint with the consistency proof between the two. The format is
``docs/schemas/proof.schema.json``; ``docs/spec.md`` describes each field.

:func:`check_proof` verifies such a file: the leaf hash, the inclusion in each
checkpoint's root, the consistency between them, and each checkpoint's
signature. Any doctored field gives an error with a one-line reason.

The leaf never holds prompt or response text, only salted commitments: a
record whose text and salt were later erased keeps the same leaf, so its
proof still verifies.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, NoReturn

from ledgerlens.errors import IntegrityError, StoreError, UsageError, VerificationError
from ledgerlens.integrity.checkpoint import Checkpoint
from ledgerlens.integrity.leaf import LeafError, leaf_bytes_v1
from ledgerlens.integrity.merkle import (
    HASH_SIZE,
    LeafHashes,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    verify_consistency,
    verify_inclusion,
)
from ledgerlens.store.layout import SealRef, Store

__all__ = [
    "PROOF_FORMAT",
    "PROOF_VERSION",
    "ProofCheck",
    "build_proof",
    "check_proof",
    "log_leaves",
]

logger = logging.getLogger(__name__)

PROOF_FORMAT: Final = "ledgerlens-proof"
PROOF_VERSION: Final = 1
_BUNDLE: Final = "checkpoint.note.sigstore.json"
_REMEDY: Final = (
    "the proof file was changed or damaged; ask the store's keeper for a new one"
)

_BundleCheck = Callable[[bytes, dict[str, Any]], str]


@dataclass(frozen=True)
class ProofCheck:
    """What a verified proof establishes."""

    record_id: str
    leaf_index: int
    seal: str
    tree_size: int
    signer: str
    latest_tree_size: int | None
    latest_signer: str | None
    leaf_bytes_given: bool


# --- building ------------------------------------------------------------------


def build_proof(
    store: Store,
    record_id: str,
    *,
    hash_only: bool = False,
    leaf: int | None = None,
) -> dict[str, Any]:
    """The proof of ``record_id`` from the store's current seals.

    When several sealed records carry the id, ``leaf`` (a log leaf index)
    says which one; without it that is an error naming their leaves.
    """
    seal, index, record = _find_record(store, record_id, leaf)
    try:
        data = leaf_bytes_v1(record)
    except LeafError as exc:
        # Sealed records always had a leaf: one that has none was changed since.
        msg = f"record `{record_id}` no longer has a valid leaf in the store"
        raise IntegrityError(
            msg, remedy="run `ledgerlens verify-store` to locate the change"
        ) from exc

    seals = store.seals()
    leaves = log_leaves(seals)
    if leaf_hash(data) != leaves[index]:
        msg = f"record `{record_id}` no longer matches its sealed leaf"
        raise IntegrityError(msg, remedy="run `ledgerlens verify-store` to locate it")
    at_seal = _checkpoint_section(seal, index, leaves)
    proof: dict[str, Any] = {
        "format": PROOF_FORMAT,
        "version": PROOF_VERSION,
        "origin": store.origin,
        "record_id": record_id,
        "leaf_index": index,
        "checkpoint": at_seal,
    }
    if hash_only:
        proof["leaf_hash"] = leaf_hash(data).hex()
    else:
        proof["leaf_bytes"] = base64.b64encode(data).decode("ascii")

    head = seals[-1]
    if head != seal:
        latest = _checkpoint_section(head, index, leaves)
        latest["consistency"] = [
            h.hex()
            for h in consistency_proof(
                at_seal["tree_size"], latest["tree_size"], leaves
            )
        ]
        proof["latest"] = latest
    logger.info("proof of leaf %d built from %s", index, seal.name)
    return proof


def log_leaves(seals: Sequence[SealRef]) -> LeafHashes:
    """Every leaf hash of the log, from each seal's ``leaves.bin`` in seal order."""
    parts = []
    for seal in seals:
        try:
            parts.append((seal.path / "leaves.bin").read_bytes())
        except OSError as exc:
            msg = f"{seal.name}/leaves.bin cannot be read"
            raise StoreError(msg, remedy="run `ledgerlens verify-store`") from exc
    return LeafHashes(b"".join(parts))


def _find_record(
    store: Store, record_id: str, leaf: int | None
) -> tuple[SealRef, int, dict[str, Any]]:
    """The seal, log leaf index and fields of the sealed record to prove."""
    import polars as pl

    from ledgerlens.store.reader import locate

    matches = []
    for seal in sorted(store.current_seals().values(), reverse=True):
        found = (
            pl.scan_parquet(locate(store, seal, "records"))
            .with_row_index("__row")
            .filter(pl.col("record_id") == record_id)
            .collect()
        )
        if found.height:
            manifest = json.loads((seal.path / "manifest.json").read_text())
            first = int(manifest["leaf_range"][0])
            for row in found.iter_rows(named=True):
                matches.append((seal, first + int(row.pop("__row")), row))
    if leaf is not None:
        matches = [m for m in matches if m[1] == leaf]
    if len(matches) == 1:
        return matches[0]
    if not matches:
        where = "" if leaf is None else f" at leaf {leaf}"
        msg = f"no sealed record has the id `{record_id}`{where}"
        raise UsageError(msg, remedy="check the record id (see the day's findings)")
    named = ", ".join(f"{i} ({s.day})" for s, i, _ in matches[:10])
    more = f" and {len(matches) - 10} more" if len(matches) > 10 else ""
    msg = (
        f"{len(matches)} sealed records have the id `{record_id}`: leaves {named}{more}"
    )
    raise UsageError(msg, remedy="pass --leaf with the one to prove")


def _checkpoint_section(
    seal: SealRef, index: int, leaves: LeafHashes
) -> dict[str, Any]:
    note = (seal.path / "checkpoint.note").read_bytes()
    checkpoint = Checkpoint.parse(note)
    bundle_path = seal.path / _BUNDLE
    bundle = json.loads(bundle_path.read_text()) if bundle_path.is_file() else None
    path = inclusion_proof(index, checkpoint.tree_size, leaves)
    return {
        "seal": seal.name,
        "tree_size": checkpoint.tree_size,
        "root": checkpoint.root.hex(),
        "note": note.decode("ascii"),
        "bundle": bundle,
        "inclusion": [h.hex() for h in path],
    }


# --- checking ------------------------------------------------------------------


def check_proof(proof: Any, check_bundle: _BundleCheck) -> ProofCheck:
    """Verify a proof offline; raise a one-line error naming what fails."""
    proof = _mapping(proof, "the proof")
    if proof.get("format") != PROOF_FORMAT or proof.get("version") != PROOF_VERSION:
        _fail(f"not a version {PROOF_VERSION} {PROOF_FORMAT} file")
    record_id = _text(proof, "record_id")
    origin = _text(proof, "origin")
    index = _count(proof, "leaf_index")
    leaf, given = _leaf_of(proof, record_id)

    section = _mapping(proof.get("checkpoint"), "`checkpoint`")
    checkpoint, signer = _check_section(section, "checkpoint", origin, check_bundle)
    _check_inclusion(leaf, index, checkpoint, section, "checkpoint")

    latest_size, latest_signer = None, None
    if "latest" in proof:
        latest = _mapping(proof["latest"], "`latest`")
        head, latest_signer = _check_section(latest, "latest", origin, check_bundle)
        _check_inclusion(leaf, index, head, latest, "latest")
        _check_extension(checkpoint, head, latest)
        latest_size = head.tree_size
    return ProofCheck(
        record_id=record_id,
        leaf_index=index,
        seal=_text(section, "seal"),
        tree_size=checkpoint.tree_size,
        signer=signer,
        latest_tree_size=latest_size,
        latest_signer=latest_signer,
        leaf_bytes_given=given,
    )


def _leaf_of(proof: Mapping[str, Any], record_id: str) -> tuple[bytes, bool]:
    """The leaf hash, from the leaf bytes when given (checking their record id)."""
    if "leaf_bytes" in proof:
        try:
            data = base64.b64decode(_text(proof, "leaf_bytes"), validate=True)
            leaf = json.loads(data)
        except (binascii.Error, ValueError):
            _fail("`leaf_bytes` is not base64 of a JSON leaf")
        if not isinstance(leaf, dict) or leaf.get("v") != 1:
            _fail("`leaf_bytes` is not a version 1 leaf")
        if leaf.get("record_id") != record_id:
            _fail(f"the leaf bytes are not those of record `{record_id}`")
        return leaf_hash(data), True
    return _hash(proof.get("leaf_hash"), "`leaf_hash`"), False


def _check_section(
    section: Mapping[str, Any], name: str, origin: str, check_bundle: _BundleCheck
) -> tuple[Checkpoint, str]:
    note = _text(section, "note").encode("ascii", "replace")
    try:
        checkpoint = Checkpoint.parse(note)
    except IntegrityError as exc:
        _fail(f"`{name}.note`: {exc.message}")
    if checkpoint.origin != origin:
        _fail(f"`{name}.note` is a checkpoint of another log (`{checkpoint.origin}`)")
    if _count(section, "tree_size") != checkpoint.tree_size:
        _fail(f"`{name}.tree_size` differs from the size its note signs")
    if _hash(section.get("root"), f"`{name}.root`") != checkpoint.root:
        _fail(f"`{name}.root` differs from the root its note signs")
    bundle = section.get("bundle")
    if not isinstance(bundle, dict):
        raise VerificationError(
            f"`{name}`: the checkpoint is not signed",
            remedy="ask for a proof from a store whose checkpoints are signed",
        )
    try:
        signer = check_bundle(note, bundle)
    except VerificationError as exc:
        raise VerificationError(
            f"`{name}` signature: {exc.message}", remedy=exc.remedy
        ) from None
    return checkpoint, signer


def _check_inclusion(
    leaf: bytes,
    index: int,
    checkpoint: Checkpoint,
    section: Mapping[str, Any],
    name: str,
) -> None:
    path = _hashes(section.get("inclusion"), f"`{name}.inclusion`")
    try:
        verify_inclusion(leaf, index, checkpoint.tree_size, path, checkpoint.root)
    except IntegrityError as exc:
        _fail(f"`{name}`: {exc.message}")


def _check_extension(
    checkpoint: Checkpoint, head: Checkpoint, section: Mapping[str, Any]
) -> None:
    path = _hashes(section.get("consistency"), "`latest.consistency`")
    try:
        verify_consistency(
            checkpoint.tree_size, head.tree_size, checkpoint.root, head.root, path
        )
    except IntegrityError as exc:
        _fail(f"`latest`: {exc.message}")


def _mapping(value: Any, what: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        _fail(f"{what} is not a JSON object")
    return value


def _text(obj: Mapping[str, Any], name: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str) or not value:
        _fail(f"`{name}` is missing or not a string")
    return value


def _count(obj: Mapping[str, Any], name: str) -> int:
    value = obj.get(name)
    if type(value) is not int or value < 0:
        _fail(f"`{name}` is missing or not a non-negative integer")
    return value


def _hash(value: Any, what: str) -> bytes:
    if not isinstance(value, str) or len(value) != 2 * HASH_SIZE:
        _fail(f"{what} is not a 64-digit hex hash")
    try:
        return bytes.fromhex(value)
    except ValueError:
        _fail(f"{what} is not a 64-digit hex hash")


def _hashes(value: Any, what: str) -> list[bytes]:
    if not isinstance(value, list):
        _fail(f"{what} is not a list of hashes")
    return [_hash(item, f"{what}[{i}]") for i, item in enumerate(value)]


def _fail(reason: str) -> NoReturn:
    raise IntegrityError(f"proof does not verify: {reason}", remedy=_REMEDY)
