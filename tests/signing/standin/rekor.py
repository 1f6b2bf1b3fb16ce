"""A Rekor-v1-like transparency log: entries, inclusion proofs, signed checkpoints.

Each accepted entry is stored in its canonical form (RFC 8785 JSON, as Rekor
canonicalises ``hashedrekord`` and ``dsse`` entries) and becomes one leaf of an
RFC 9162 Merkle tree. The response to a new entry carries what a Sigstore
bundle needs: the integrated time, a signed entry timestamp over the entry, and
an inclusion proof with a checkpoint signed as a note by the log's key.

The tree is hashed here with a few lines of our own rather than with
``ledgerlens.integrity.merkle``, so a fault there cannot hide a fault here: the
proofs are checked by sigstore-python's own verifier.
"""

from __future__ import annotations

import base64
import hashlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from ledgerlens.integrity.jcs import canonicalize

from .authority import key_id

__all__ = ["TransparencyLog", "inclusion_path", "tree_root"]

# Filler leaves logged before any real entry, so proofs are not trivially empty.
_FILLER_LEAVES: Final = 5


def _leaf(data: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + data).digest()


def _node(left: bytes, right: bytes) -> bytes:
    return hashlib.sha256(b"\x01" + left + right).digest()


def _split(size: int) -> int:
    """The largest power of two smaller than ``size`` (RFC 9162, 2.1.1)."""
    return 1 << ((size - 1).bit_length() - 1)


def tree_root(leaves: Sequence[bytes]) -> bytes:
    """MTH over leaf hashes (RFC 9162, 2.1.1); ``leaves`` is not empty."""
    if len(leaves) == 1:
        return leaves[0]
    k = _split(len(leaves))
    return _node(tree_root(leaves[:k]), tree_root(leaves[k:]))


def inclusion_path(index: int, leaves: Sequence[bytes]) -> list[bytes]:
    """PATH(m, D[n]) of RFC 9162, 2.1.3.1: sibling hashes, bottom first."""
    if len(leaves) == 1:
        return []
    k = _split(len(leaves))
    if index < k:
        return [*inclusion_path(index, leaves[:k]), tree_root(leaves[k:])]
    return [*inclusion_path(index - k, leaves[k:]), tree_root(leaves[:k])]


def _canonical_entry(proposed: Mapping[str, Any]) -> dict[str, Any]:
    """The form Rekor stores: a DSSE entry keeps hashes and signatures only."""
    if proposed.get("kind") != "dsse":
        return dict(proposed)
    content = proposed["spec"]["proposedContent"]
    envelope = json.loads(content["envelope"])
    payload = base64.b64decode(envelope["payload"])
    signatures = [
        {"signature": sig["sig"], "verifier": verifier}
        for sig in envelope["signatures"]
        for verifier in content["verifiers"]
    ]
    return {
        "apiVersion": proposed["apiVersion"],
        "kind": "dsse",
        "spec": {
            "envelopeHash": {
                "algorithm": "sha256",
                "value": hashlib.sha256(canonicalize(envelope)).hexdigest(),
            },
            "payloadHash": {
                "algorithm": "sha256",
                "value": hashlib.sha256(payload).hexdigest(),
            },
            "signatures": sorted(signatures, key=lambda s: s["signature"]),
        },
    }


@dataclass
class TransparencyLog:
    """An append-only log of entries, signed by one P-256 key."""

    origin: str = "rekor.ledgerlens.test - 1"
    # Returns the integrated time to record; a test may skew the log's clock.
    clock: Callable[[], int] = field(default=lambda: int(time.time()))
    key: ec.EllipticCurvePrivateKey = field(
        default_factory=lambda: ec.generate_private_key(ec.SECP256R1())
    )
    _leaves: list[bytes] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def __post_init__(self) -> None:
        """Log the filler leaves."""
        self._leaves += [_leaf(b"filler %d" % n) for n in range(_FILLER_LEAVES)]

    @property
    def log_id(self) -> bytes:
        """The 32-byte log id (SHA-256 of the log's public key)."""
        return key_id(self.key.public_key())

    @property
    def size(self) -> int:
        """How many leaves the log holds."""
        return len(self._leaves)

    def add(self, proposed: Mapping[str, Any]) -> dict[str, Any]:
        """Log a proposed ``hashedrekord`` or ``dsse`` entry; the v1 response."""
        body = canonicalize(_canonical_entry(proposed))
        with self._lock:
            index = len(self._leaves)
            self._leaves.append(_leaf(body))
            leaves = list(self._leaves)
        integrated_time = self.clock()
        body_b64 = base64.b64encode(body).decode()
        promise = {
            "body": body_b64,
            "integratedTime": integrated_time,
            "logID": self.log_id.hex(),
            "logIndex": index,
        }
        entry = {
            **promise,
            "verification": {
                "signedEntryTimestamp": self._sign_b64(canonicalize(promise)),
                "inclusionProof": self._inclusion_proof(index, leaves),
            },
        }
        return {_leaf(body).hex(): entry}

    def _inclusion_proof(self, index: int, leaves: list[bytes]) -> dict[str, Any]:
        root = tree_root(leaves)
        return {
            "logIndex": index,
            "treeSize": len(leaves),
            "rootHash": root.hex(),
            "hashes": [h.hex() for h in inclusion_path(index, leaves)],
            "checkpoint": self._checkpoint(len(leaves), root),
        }

    def _checkpoint(self, size: int, root: bytes) -> str:
        """A signed note: origin, size and root, then one signature line."""
        note = f"{self.origin}\n{size}\n{base64.b64encode(root).decode()}\n"
        signature = self.key.sign(note.encode(), ec.ECDSA(hashes.SHA256()))
        # The note signature starts with the first four bytes of the key id.
        signed = base64.b64encode(self.log_id[:4] + signature).decode()
        name = self.origin.split(" ", 1)[0]
        return f"{note}\n\u2014 {name} {signed}\n"

    def _sign_b64(self, data: bytes) -> str:
        signature = self.key.sign(data, ec.ECDSA(hashes.SHA256()))
        return base64.b64encode(signature).decode()
