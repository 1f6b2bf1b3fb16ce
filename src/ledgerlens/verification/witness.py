"""Witnesses: auditors who check that each new checkpoint extends the last one.

A witness keeps the last checkpoint it cosigned. Given a newer checkpoint and
an RFC 9162 consistency proof between the two (:func:`consistency_file`, or
computed from the store), :func:`cosign` checks that the new log extends the
old one and signs a small statement with the witness's own managed key. A
store that was rewritten after a checkpoint was witnessed cannot produce such
a proof, even when its keeper re-signs every checkpoint.

A cosignature file is JSON::

    {"format": "ledgerlens-witness-cosignature", "version": 1,
     "origin": ..., "seal": "<seq>-<D>", "tree_size": N, "root": "<hex>",
     "checkpoint_sha256": "<hex of the note bytes>",
     "extends": {"tree_size": M, "root": "<hex>"} | null,
     "witness": "<key hint>",
     "bundle": {<key-based Sigstore bundle over the statement bytes>}}

The statement bytes are the RFC 8785 canonical JSON of the object without
``bundle``. A store keeps cosignatures in ``STORE/witnesses/<seal>/<hint>.json``,
beside the committed seal directory and never inside it.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, NoReturn

from ledgerlens.errors import IntegrityError, LedgerlensError, UsageError
from ledgerlens.integrity.checkpoint import Checkpoint
from ledgerlens.integrity.jcs import canonicalize
from ledgerlens.integrity.merkle import (
    HASH_SIZE,
    consistency_proof,
    verify_consistency,
)
from ledgerlens.store.layout import SealRef, Store
from ledgerlens.verification.proof import log_leaves
from ledgerlens.verification.store import WitnessCheck

__all__ = [
    "CONSISTENCY_FORMAT",
    "COSIGNATURE_FORMAT",
    "WITNESSES_DIR",
    "Cosignature",
    "check_extends",
    "consistency_file",
    "cosign",
    "store_cosignature",
    "stray_witnesses",
    "witness_checker",
]

logger = logging.getLogger(__name__)

CONSISTENCY_FORMAT: Final = "ledgerlens-consistency"
COSIGNATURE_FORMAT: Final = "ledgerlens-witness-cosignature"
WITNESSES_DIR: Final = "witnesses"
_REMEDY: Final = (
    "do not cosign: the log was rewritten or the proof is for another log; "
    "keep both checkpoints as evidence"
)


@dataclass(frozen=True)
class Cosignature:
    """A cosignature as written to a file, and the seal it belongs to."""

    seal: str
    hint: str
    document: dict[str, Any]


def consistency_file(
    store: Store, from_size: int, to_size: int | None = None
) -> dict[str, Any]:
    """A proof that the log at ``from_size`` is a prefix of it at ``to_size``.

    ``to_size`` defaults to the latest checkpoint's size; the newest
    checkpoint of that size is included with its bundle, so a witness holding
    the older checkpoint needs nothing else.
    """
    seals = store.seals()
    if not seals:
        raise UsageError("the store has no seal", remedy="seal a day first")
    leaves = log_leaves(seals)
    target = _seal_of_size(seals, to_size) if to_size is not None else seals[-1]
    note = (target.path / "checkpoint.note").read_bytes()
    head = Checkpoint.parse(note)
    if not 0 <= from_size <= head.tree_size:
        msg = f"--from-size {from_size} is outside the log (size {head.tree_size})"
        raise UsageError(msg, remedy="give the size of the checkpoint you hold")
    bundle_path = target.path / "checkpoint.note.sigstore.json"
    return {
        "format": CONSISTENCY_FORMAT,
        "version": 1,
        "origin": store.origin,
        "from": {
            "tree_size": from_size,
            "root": leaves.subtree_root(0, from_size).hex(),
        },
        "to": {
            "seal": target.name,
            "tree_size": head.tree_size,
            "root": head.root.hex(),
            "note": note.decode("ascii"),
            "bundle": (
                json.loads(bundle_path.read_text()) if bundle_path.is_file() else None
            ),
        },
        "proof": [
            h.hex() for h in consistency_proof(from_size, head.tree_size, leaves)
        ],
    }


def _seal_of_size(seals: Sequence[SealRef], size: int) -> SealRef:
    for seal in reversed(seals):
        checkpoint = Checkpoint.parse((seal.path / "checkpoint.note").read_bytes())
        if checkpoint.tree_size == size:
            return seal
    msg = f"no checkpoint of the store has tree size {size}"
    raise UsageError(msg, remedy="give the size of one of the store's checkpoints")


def check_extends(
    last: Checkpoint, new: Checkpoint, proof: Mapping[str, Any] | None
) -> None:
    """Raise unless ``new`` extends ``last`` (``proof``: a consistency file)."""
    if last.origin != new.origin:
        _refuse(f"the checkpoints are of two logs (`{last.origin}`, `{new.origin}`)")
    if new.tree_size < last.tree_size:
        _refuse(f"the new checkpoint ({new.tree_size}) is smaller than the last one")
    hashes: list[bytes] = []
    if last.tree_size not in (0, new.tree_size):
        if proof is None:
            _refuse("no consistency proof was given")
        hashes = _proof_for(proof, last, new)
    try:
        verify_consistency(last.tree_size, new.tree_size, last.root, new.root, hashes)
    except IntegrityError as exc:
        _refuse(f"the new checkpoint does not extend the last one: {exc.message}")


def _proof_for(
    proof: Mapping[str, Any], last: Checkpoint, new: Checkpoint
) -> list[bytes]:
    start, end = proof.get("from"), proof.get("to")
    if proof.get("format") != CONSISTENCY_FORMAT or not (
        isinstance(start, Mapping) and isinstance(end, Mapping)
    ):
        _refuse("the proof file is not a ledgerlens consistency proof")
    if (start.get("tree_size"), end.get("tree_size")) != (
        last.tree_size,
        new.tree_size,
    ):
        _refuse(
            f"the proof goes from size {start.get('tree_size')} to "
            f"{end.get('tree_size')}, not {last.tree_size} to {new.tree_size}"
        )
    if start.get("root") != last.root.hex():
        _refuse(
            f"at size {last.tree_size} the store's log has another root than the "
            "checkpoint you hold: history was rewritten"
        )
    items = proof.get("proof")
    if not isinstance(items, list) or not all(
        isinstance(i, str) and len(i) == 2 * HASH_SIZE for i in items
    ):
        _refuse("the proof's hashes are not 64-digit hex")
    try:
        return [bytes.fromhex(i) for i in items]
    except ValueError:
        _refuse("the proof's hashes are not 64-digit hex")


def cosign(
    note: bytes,
    key: Any,
    *,
    last: Checkpoint | None = None,
    proof: Mapping[str, Any] | None = None,
) -> Cosignature:
    """Check that ``note`` extends ``last`` and cosign it with ``key``.

    ``key`` is an ECDSA P-256 private key (``ledgerlens.signing``). Without
    ``last`` the witness trusts this checkpoint on first use.
    """
    from ledgerlens.signing import key_hint
    from ledgerlens.signing.bundle import sign_blob_with_key

    checkpoint = Checkpoint.parse(note)
    if last is not None:
        check_extends(last, checkpoint, proof)
    statement = _statement(note, checkpoint, last, key_hint(key))
    document = {**statement, "bundle": sign_blob_with_key(canonicalize(statement), key)}
    logger.info("cosigned checkpoint of size %d", checkpoint.tree_size)
    return Cosignature(statement["seal"], statement["witness"], document)


def _statement(
    note: bytes, checkpoint: Checkpoint, last: Checkpoint | None, hint: str
) -> dict[str, Any]:
    return {
        "format": COSIGNATURE_FORMAT,
        "version": 1,
        "origin": checkpoint.origin,
        "seal": f"{checkpoint.seal_seq:06d}-{checkpoint.date.isoformat()}",
        "tree_size": checkpoint.tree_size,
        "root": checkpoint.root.hex(),
        "checkpoint_sha256": hashlib.sha256(note).hexdigest(),
        "extends": (
            None
            if last is None
            else {"tree_size": last.tree_size, "root": last.root.hex()}
        ),
        "witness": hint,
    }


def store_cosignature(store: Store, cosignature: Cosignature) -> Path:
    """Keep a cosignature in ``STORE/witnesses/<seal>/<hint>.json``."""
    folder = store.root / WITNESSES_DIR / cosignature.seal
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / f"{cosignature.hint}.json"
    staging = folder / f".{target.name}.tmp"
    staging.write_text(json.dumps(cosignature.document, indent=2, sort_keys=True))
    staging.replace(target)
    return target


def witness_checker(keys: Sequence[Path]) -> WitnessCheck:
    """List each seal's cosignatures, verifying those whose key is given."""
    from ledgerlens.signing import key_hint, load_public_key

    public = {key_hint(k): k for k in (load_public_key(p) for p in keys)}

    def check(store: Store, seal: SealRef, note: bytes) -> tuple[list[str], list[str]]:
        names: list[str] = []
        problems: list[str] = []
        folder = store.root / WITNESSES_DIR / seal.name
        for path in sorted(folder.glob("*.json")) if folder.is_dir() else []:
            name, problem = _check_file(path, seal, note, public)
            names.append(name)
            if problem:
                problems.append(f"witness {path.stem[:16]}: {problem}")
        return names, problems

    return check


def _check_file(
    path: Path, seal: SealRef, note: bytes, public: Mapping[str, Any]
) -> tuple[str, str | None]:
    from ledgerlens.signing.bundle import verify_blob_with_key

    short = path.stem[:16]
    try:
        document = json.loads(path.read_text())
        statement = {k: v for k, v in document.items() if k != "bundle"}
        hint = str(statement["witness"])
    except (OSError, ValueError, KeyError, AttributeError):
        return f"key {short} (unreadable)", "the cosignature file cannot be read"
    if statement.get("checkpoint_sha256") != hashlib.sha256(note).hexdigest():
        return (
            f"key {hint[:16]} (of another checkpoint)",
            "cosigned another checkpoint for this seal: the checkpoint was "
            "replaced after it was witnessed",
        )
    if hint not in public:
        return f"key {hint[:16]} (signature not checked)", None
    try:
        verify_blob_with_key(canonicalize(statement), document["bundle"], public[hint])
    except (LedgerlensError, KeyError, ValueError) as exc:
        reason = exc.message if isinstance(exc, LedgerlensError) else "no bundle"
        return f"key {hint[:16]} (INVALID)", f"cosignature does not verify: {reason}"
    return f"key {hint[:16]} (verified)", None


def stray_witnesses(store: Store) -> list[str]:
    """Witness folders for seals the store no longer has (a removed seal)."""
    folder = store.root / WITNESSES_DIR
    if not folder.is_dir():
        return []
    names = {seal.name for seal in store.seals()}
    return [
        f"witness cosignatures exist for seal {entry.name}, which is not in the store"
        for entry in sorted(folder.iterdir())
        if entry.is_dir() and entry.name not in names
    ]


def _refuse(reason: str) -> NoReturn:
    raise IntegrityError(reason, remedy=_REMEDY)
