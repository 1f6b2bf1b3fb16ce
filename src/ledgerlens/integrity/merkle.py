"""The store's append-only Merkle log, hashed exactly as RFC 9162 section 2 says.

A leaf's hash is ``SHA-256(0x00 || leaf bytes)``, an interior node's hash is
``SHA-256(0x01 || left || right)`` and the empty tree's root is ``SHA-256("")``.
A tree of ``n`` leaves splits at ``k``, the largest power of two below ``n``; so
its root is the right-to-left fold of the roots of the perfect subtrees that the
binary digits of ``n`` describe. Everything here works from that fact:

* :class:`CompactRange` keeps only those perfect-subtree roots (one per set bit of
  the size), so a seal can append to a log of any size without reading old leaves;
* :class:`LeafHashes` reads the store's per-seal files of concatenated 32-byte
  leaf hashes, and computes any subtree root from them level by level, so proofs
  over a million leaves need no tree of node objects;
* the verifiers follow the RFC's verification algorithms and raise
  :class:`~ledgerlens.errors.IntegrityError` rather than return ``False``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from typing import Any, Final, TypeGuard, overload

from ledgerlens.errors import IntegrityError

__all__ = [
    "EMPTY_ROOT",
    "HASH_SIZE",
    "CompactRange",
    "LeafHashes",
    "consistency_proof",
    "inclusion_proof",
    "leaf_hash",
    "node_hash",
    "root_of",
    "verify_consistency",
    "verify_inclusion",
]

logger = logging.getLogger(__name__)

HASH_SIZE: Final = 32
EMPTY_ROOT: Final = hashlib.sha256(b"").digest()

_LEAF_PREFIX: Final = b"\x00"
_NODE_PREFIX: Final = b"\x01"
_PAIR: Final = 2 * HASH_SIZE
# Leaves hashed per block when reducing a large perfect subtree: big enough that
# the per-level list comprehensions dominate, small enough to bound the copy.
_BLOCK_LEAVES: Final = 1 << 15
_sha256 = hashlib.sha256

_PROOF_REMEDY: Final = (
    "the leaf, the proof or the checkpoint has changed since sealing; "
    "re-fetch the proof from the store and check the checkpoint's signature"
)


def leaf_hash(data: bytes) -> bytes:
    """The RFC 9162 hash of one leaf's bytes: ``SHA-256(0x00 || data)``."""
    return _sha256(_LEAF_PREFIX + data).digest()


def node_hash(left: bytes, right: bytes) -> bytes:
    """The RFC 9162 hash of an interior node: ``SHA-256(0x01 || left || right)``."""
    return _sha256(_NODE_PREFIX + left + right).digest()


class LeafHashes(Sequence[bytes]):
    """Read-only access to leaf hashes stored back to back, 32 bytes each.

    This is the form of a seal's leaf-hash file; wrap ``bytes``, a ``bytearray``
    or a ``memoryview`` of a memory-mapped file. Indexing returns one hash;
    :meth:`subtree_root` hashes any range without building node objects.
    """

    __slots__ = ("_view",)

    def __init__(self, buffer: bytes | bytearray | memoryview) -> None:
        view = memoryview(buffer).cast("B")
        if view.nbytes % HASH_SIZE:
            msg = (
                f"leaf-hash data of {view.nbytes} bytes is not a whole number "
                f"of {HASH_SIZE}-byte hashes"
            )
            raise IntegrityError(msg, remedy="the leaf-hash file is truncated")
        self._view = view

    @classmethod
    def of(cls, hashes: Iterable[bytes]) -> LeafHashes:
        """Pack separate 32-byte hashes into one buffer."""
        packed = []
        for index, item in enumerate(hashes):
            _require_hash(item, f"leaf hash {index}")
            packed.append(item)
        return cls(b"".join(packed))

    @property
    def buffer(self) -> memoryview:
        """The packed hashes, as written to a seal's leaf-hash file."""
        return self._view

    def __len__(self) -> int:
        return self._view.nbytes // HASH_SIZE

    @overload
    def __getitem__(self, index: int) -> bytes: ...

    @overload
    def __getitem__(self, index: slice) -> LeafHashes: ...

    def __getitem__(self, index: int | slice) -> bytes | LeafHashes:
        if isinstance(index, slice):
            start, stop, step = index.indices(len(self))
            if step != 1:
                msg = "leaf hashes can only be sliced contiguously"
                raise IndexError(msg)
            return LeafHashes(self._view[start * HASH_SIZE : stop * HASH_SIZE])
        count = len(self)
        if index < 0:
            index += count
        if not 0 <= index < count:
            msg = f"leaf index {index} is outside {count} leaves"
            raise IndexError(msg)
        return bytes(self._view[index * HASH_SIZE : (index + 1) * HASH_SIZE])

    def __iter__(self) -> Iterator[bytes]:
        data = bytes(self._view)
        for offset in range(0, len(data), HASH_SIZE):
            yield data[offset : offset + HASH_SIZE]

    def subtree_root(self, start: int, end: int) -> bytes:
        """The Merkle tree hash of the leaves ``start`` (inclusive) to ``end``."""
        if not 0 <= start <= end <= len(self):
            msg = f"leaf range {start}..{end} is outside {len(self)} leaves"
            raise IndexError(msg)
        peaks = []
        while start < end:
            width = 1 << ((end - start).bit_length() - 1)
            peaks.append(self._perfect_root(start, width))
            start += width
        return _fold(peaks)

    def _perfect_root(self, start: int, width: int) -> bytes:
        """Root of the ``width`` leaves from ``start``; ``width`` a power of two."""
        if width > _BLOCK_LEAVES:
            blocks = [
                self._perfect_root(offset, _BLOCK_LEAVES)
                for offset in range(start, start + width, _BLOCK_LEAVES)
            ]
            return _reduce(b"".join(blocks))
        data = self._view[start * HASH_SIZE : (start + width) * HASH_SIZE]
        return _reduce(bytes(data))


def _reduce(level: bytes) -> bytes:
    """Hash adjacent pairs level by level until one hash is left.

    ``level`` holds a power-of-two number of hashes back to back; two siblings
    are always adjacent, so each node is one slice of the level below.
    """
    while len(level) > HASH_SIZE:
        level = b"".join(
            [
                _sha256(_NODE_PREFIX + level[offset : offset + _PAIR]).digest()
                for offset in range(0, len(level), _PAIR)
            ]
        )
    return level


def _fold(peaks: Sequence[bytes]) -> bytes:
    """Join perfect-subtree roots, largest (leftmost) first, into a tree root."""
    if not peaks:
        return EMPTY_ROOT
    root = peaks[-1]
    for peak in reversed(peaks[:-1]):
        root = node_hash(peak, root)
    return root


def root_of(leaf_hashes: Sequence[bytes]) -> bytes:
    """The Merkle tree hash of a whole list of leaf hashes."""
    return _as_leaf_hashes(leaf_hashes).subtree_root(0, len(leaf_hashes))


class CompactRange:
    """A streaming appender that holds only the roots of perfect subtrees.

    Appending is amortised one node hash per leaf, and :meth:`root` is available
    at any size. :meth:`to_state` gives a small JSON-safe object that
    :meth:`from_state` turns back into an appender, so the next seal continues
    the same log without re-reading the leaves of earlier seals.
    """

    __slots__ = ("_peaks", "_size")

    def __init__(self) -> None:
        self._size = 0
        self._peaks: list[bytes] = []

    @property
    def size(self) -> int:
        """The number of leaves appended so far."""
        return self._size

    def append(self, leaf_hash: bytes) -> None:
        """Add one leaf, given as its leaf hash."""
        _require_hash(leaf_hash, "leaf hash")
        self._push(leaf_hash, 0)

    def extend(self, leaf_hashes: LeafHashes | Iterable[bytes]) -> None:
        """Add many leaves in order; whole aligned blocks are hashed in bulk."""
        if not isinstance(leaf_hashes, LeafHashes):
            for item in leaf_hashes:
                self.append(item)
            return
        start, end = 0, len(leaf_hashes)
        while start < end:
            if self._size % _BLOCK_LEAVES == 0 and end - start >= _BLOCK_LEAVES:
                block = leaf_hashes.subtree_root(start, start + _BLOCK_LEAVES)
                self._push(block, _BLOCK_LEAVES.bit_length() - 1)
                start += _BLOCK_LEAVES
            else:
                self._push(leaf_hashes[start], 0)
                start += 1

    def _push(self, subtree_root: bytes, height: int) -> None:
        """Add a perfect subtree of ``2**height`` leaves at an aligned size."""
        peaks = self._peaks
        peaks.append(subtree_root)
        # Every 1 bit of the old size at this height or above, up to the first 0,
        # is a perfect subtree as wide as the one just completed: merge them, the
        # way binary addition carries.
        carry = self._size >> height
        while carry & 1:
            right = peaks.pop()
            peaks[-1] = node_hash(peaks[-1], right)
            carry >>= 1
        self._size += 1 << height

    def root(self) -> bytes:
        """The root hash of the tree of every leaf appended so far."""
        return _fold(self._peaks)

    def to_state(self) -> dict[str, Any]:
        """``{"size": n, "hashes": [hex, ...]}``: what :meth:`from_state` reads."""
        return {"size": self._size, "hashes": [peak.hex() for peak in self._peaks]}

    @classmethod
    def from_state(cls, state: Mapping[str, Any]) -> CompactRange:
        """Resume from :meth:`to_state` output, checking its shape strictly."""
        size = state.get("size")
        hashes = state.get("hashes")
        if set(state) != {"size", "hashes"} or not _is_count(size):
            msg = "compact range state must be {size: int >= 0, hashes: [hex]}"
            raise IntegrityError(msg, remedy="the store's log state is corrupt")
        if not isinstance(hashes, list) or len(hashes) != size.bit_count():
            msg = f"compact range state of size {size} needs {size.bit_count()} hashes"
            raise IntegrityError(msg, remedy="the store's log state is corrupt")
        compact = cls()
        compact._size = size
        compact._peaks = [_hash_from_hex(item, "compact range hash") for item in hashes]
        return compact


def inclusion_proof(
    index: int, size: int, leaves: LeafHashes | Sequence[bytes]
) -> list[bytes]:
    """The RFC 9162 inclusion proof of leaf ``index`` in the tree of ``size``.

    ``leaves`` must hold at least the first ``size`` leaf hashes of the log. The
    proof lists sibling subtree roots from the leaf's level up to the root.
    """
    leaves = _as_leaf_hashes(leaves)
    _require_tree(size, leaves)
    if not 0 <= index < size:
        msg = f"leaf index {index} is outside a tree of size {size}"
        raise IntegrityError(msg, remedy="ask for a leaf the checkpoint covers")

    path = []
    low, high = 0, size
    while high - low > 1:
        split = _split_point(high - low)
        if index - low < split:
            path.append(leaves.subtree_root(low + split, high))
            high = low + split
        else:
            path.append(leaves.subtree_root(low, low + split))
            low += split
    path.reverse()
    return path


def consistency_proof(
    old_size: int, new_size: int, leaves: LeafHashes | Sequence[bytes]
) -> list[bytes]:
    """The RFC 9162 proof that the tree of ``old_size`` is a prefix of ``new_size``.

    The proof is empty when ``old_size`` is 0 or equal to ``new_size``: nothing
    needs proving there (see :func:`verify_consistency`).
    """
    leaves = _as_leaf_hashes(leaves)
    _require_tree(new_size, leaves)
    if not 0 <= old_size <= new_size:
        msg = f"no consistency proof from size {old_size} to size {new_size}"
        raise IntegrityError(msg, remedy="the older tree must not be the larger")
    if old_size in (0, new_size):
        return []

    path = []
    low, high, old_whole = 0, new_size, True
    while old_size - low != high - low:
        split = _split_point(high - low)
        if old_size - low <= split:
            path.append(leaves.subtree_root(low + split, high))
            high = low + split
        else:
            path.append(leaves.subtree_root(low, low + split))
            low += split
            old_whole = False
    # The old tree's last subtree is named only when the verifier cannot
    # rebuild it from the old root (it is not the old tree as a whole).
    if not old_whole:
        path.append(leaves.subtree_root(low, high))
    path.reverse()
    return path


def verify_inclusion(
    leaf_hash: bytes, index: int, size: int, proof: Sequence[bytes], root: bytes
) -> None:
    """Check that ``leaf_hash`` sits at ``index`` in the tree with ``root``.

    Raises :class:`~ledgerlens.errors.IntegrityError` naming what failed.
    """
    _require_hash(leaf_hash, "leaf hash")
    _require_hash(root, "root hash")
    _require_proof(proof)
    if not 0 <= index < size:
        msg = f"leaf index {index} is outside a tree of size {size}"
        raise IntegrityError(msg, remedy=_PROOF_REMEDY)

    node, last = index, size - 1
    computed = leaf_hash
    for sibling in proof:
        if last == 0:
            msg = f"inclusion proof for leaf {index} of {size} has too many hashes"
            raise IntegrityError(msg, remedy=_PROOF_REMEDY)
        if node & 1 or node == last:
            computed = node_hash(sibling, computed)
            # A right-edge node with no sibling at this level moves up unchanged.
            while node and not node & 1:
                node, last = node >> 1, last >> 1
        else:
            computed = node_hash(computed, sibling)
        node, last = node >> 1, last >> 1

    if last != 0:
        msg = f"inclusion proof for leaf {index} of {size} has too few hashes"
        raise IntegrityError(msg, remedy=_PROOF_REMEDY)
    if computed != root:
        msg = f"inclusion proof for leaf {index} of {size} does not reach the root"
        raise IntegrityError(msg, remedy=_PROOF_REMEDY)


def verify_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> None:
    """Check that the tree ``old_root`` of ``old_size`` is a prefix of ``new_root``.

    Any tree extends the empty one, but only if ``old_root`` really is the empty
    root; equal sizes need equal roots. Neither case takes proof hashes.
    """
    _require_hash(old_root, "old root hash")
    _require_hash(new_root, "new root hash")
    _require_proof(proof)
    if not 0 <= old_size <= new_size:
        msg = f"a tree of size {old_size} cannot be a prefix of one of {new_size}"
        raise IntegrityError(msg, remedy=_PROOF_REMEDY)
    if old_size in (0, new_size):
        _verify_trivial_consistency(old_size, new_size, old_root, new_root, proof)
        return

    old_computed, new_computed = _replay_consistency(
        old_size, new_size, old_root, proof
    )
    if old_computed != old_root:
        msg = f"consistency proof {old_size}->{new_size} does not rebuild the old root"
        raise IntegrityError(msg, remedy=_PROOF_REMEDY)
    if new_computed != new_root:
        msg = f"consistency proof {old_size}->{new_size} does not reach the new root"
        raise IntegrityError(msg, remedy=_PROOF_REMEDY)


def _verify_trivial_consistency(
    old_size: int,
    new_size: int,
    old_root: bytes,
    new_root: bytes,
    proof: Sequence[bytes],
) -> None:
    if proof:
        msg = f"consistency proof {old_size}->{new_size} must be empty"
        raise IntegrityError(msg, remedy=_PROOF_REMEDY)
    if old_size == 0 and old_root != EMPTY_ROOT:
        msg = "the old root of an empty tree is not the empty-tree hash"
        raise IntegrityError(msg, remedy=_PROOF_REMEDY)
    if old_size == new_size and old_root != new_root:
        msg = f"two different roots for the same tree size {old_size}"
        raise IntegrityError(msg, remedy="the log has forked: keep both checkpoints")


def _replay_consistency(
    old_size: int, new_size: int, old_root: bytes, proof: Sequence[bytes]
) -> tuple[bytes, bytes]:
    """Rebuild both roots from a proof, as RFC 9162 section 2.1.4.2 describes."""
    if not proof:
        msg = f"consistency proof {old_size}->{new_size} is empty"
        raise IntegrityError(msg, remedy=_PROOF_REMEDY)
    path = list(proof)
    # When the old tree is perfect, it is itself the first subtree of the proof.
    if old_size & (old_size - 1) == 0:
        path.insert(0, old_root)

    node, last = old_size - 1, new_size - 1
    while node & 1:
        node, last = node >> 1, last >> 1
    old_computed = new_computed = path[0]
    for sibling in path[1:]:
        if last == 0:
            msg = f"consistency proof {old_size}->{new_size} has too many hashes"
            raise IntegrityError(msg, remedy=_PROOF_REMEDY)
        if node & 1 or node == last:
            old_computed = node_hash(sibling, old_computed)
            new_computed = node_hash(sibling, new_computed)
            while node and not node & 1:
                node, last = node >> 1, last >> 1
        else:
            new_computed = node_hash(new_computed, sibling)
        node, last = node >> 1, last >> 1

    if last != 0:
        msg = f"consistency proof {old_size}->{new_size} has too few hashes"
        raise IntegrityError(msg, remedy=_PROOF_REMEDY)
    return old_computed, new_computed


def _split_point(count: int) -> int:
    """The largest power of two strictly below ``count`` (``count`` > 1)."""
    return 1 << ((count - 1).bit_length() - 1)


def _as_leaf_hashes(leaves: LeafHashes | Sequence[bytes]) -> LeafHashes:
    if isinstance(leaves, LeafHashes):
        return leaves
    return LeafHashes.of(leaves)


def _require_tree(size: int, leaves: LeafHashes) -> None:
    if not 0 <= size <= len(leaves):
        msg = f"a tree of size {size} needs more than the {len(leaves)} leaves given"
        raise IntegrityError(msg, remedy="read the leaf hashes of every sealed day")


def _require_proof(proof: Sequence[bytes]) -> None:
    for position, item in enumerate(proof):
        _require_hash(item, f"proof hash {position}")


def _require_hash(value: object, what: str) -> None:
    if not isinstance(value, bytes) or len(value) != HASH_SIZE:
        msg = f"{what} is not a {HASH_SIZE}-byte SHA-256 hash"
        raise IntegrityError(msg, remedy=_PROOF_REMEDY)


def _is_count(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _hash_from_hex(value: object, what: str) -> bytes:
    text = value if isinstance(value, str) else ""
    if len(text) != 2 * HASH_SIZE or text.strip("0123456789abcdef"):
        msg = f"{what} is not {2 * HASH_SIZE} lowercase hex digits"
        raise IntegrityError(msg, remedy="the store's log state is corrupt")
    return bytes.fromhex(text)
