"""RFC 9162 Merkle log: published vectors, properties and tampering."""

from __future__ import annotations

import hashlib
import os

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerlens.errors import IntegrityError
from ledgerlens.integrity.merkle import (
    EMPTY_ROOT,
    CompactRange,
    LeafHashes,
    consistency_proof,
    inclusion_proof,
    leaf_hash,
    node_hash,
    root_of,
    verify_consistency,
    verify_inclusion,
)


def h(text: str) -> bytes:
    return bytes.fromhex(text)


# Reference vectors for RFC 6962 / 9162 hashing of a fixed 8-leaf tree, as
# published in transparency-dev/merkle (testonly/constants.go and
# proof/verify_test.go). Inclusion vectors there count leaves from 1; here the
# indexes are 0-based.
LEAF_INPUTS = [
    h(""),
    h("00"),
    h("10"),
    h("2021"),
    h("3031"),
    h("40414243"),
    h("5051525354555657"),
    h("606162636465666768696a6b6c6d6e6f"),
]
LEAF_HASHES = [
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7"),
    h("0298d122906dcfc10892cb53a73992fc5b9f493ea4c9badb27b791b4127a7fe7"),
    h("07506a85fd9dd2f120eb694f86011e5bb4662e5c415a62917033d4a9624487e7"),
    h("bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"),
    h("4271a26be0d8a84f0bd54c8c302e7cb3a3b5d1fa6780a40bcce2873477dab658"),
    h("b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f"),
    h("46f6ffadd3d06a09ff3c5860d2755c8b9819db7df44251788c7d8e3180de8eb1"),
]
ROOTS = [
    h("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
    h("6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d"),
    h("fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"),
    h("aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77"),
    h("d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"),
    h("4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4"),
    h("76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef"),
    h("ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c"),
    h("5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328"),
]
INCLUSION_VECTORS = [
    (
        0,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        5,
        8,
        [
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        3,
        ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"],
    ),
    (
        1,
        5,
        [
            "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (0, 1, []),
]
CONSISTENCY_VECTORS = [
    (1, 1, []),
    (
        1,
        8,
        [
            "96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4",
        ],
    ),
    (
        6,
        8,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
    (
        2,
        5,
        [
            "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
            "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
        ],
    ),
    (
        6,
        7,
        [
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        ],
    ),
]
SOME_HASH = h("abacaba000000000000000000000000000000000000000000060061e00123456")


def flip(data: bytes, bit: int = 3) -> bytes:
    return bytes([data[0] ^ (1 << bit)]) + data[1:]


# --- published vectors -------------------------------------------------------


def test_hash_functions_match_rfc_definitions() -> None:
    assert leaf_hash(b"abc") == hashlib.sha256(b"\x00abc").digest()
    assert (
        node_hash(b"L" * 32, b"R" * 32)
        == hashlib.sha256(b"\x01" + b"L" * 32 + b"R" * 32).digest()
    )
    assert hashlib.sha256(b"").digest() == EMPTY_ROOT


def test_leaf_hashes_match_vectors() -> None:
    assert [leaf_hash(data) for data in LEAF_INPUTS] == LEAF_HASHES


@pytest.mark.parametrize("size", range(9))
def test_roots_match_vectors(size: int) -> None:
    assert root_of(LEAF_HASHES[:size]) == ROOTS[size]


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS)
def test_inclusion_proofs_match_vectors(
    index: int, size: int, proof: list[str]
) -> None:
    expected = [h(item) for item in proof]

    assert inclusion_proof(index, size, LEAF_HASHES) == expected
    verify_inclusion(LEAF_HASHES[index], index, size, expected, ROOTS[size])


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS)
def test_consistency_proofs_match_vectors(old: int, new: int, proof: list[str]) -> None:
    expected = [h(item) for item in proof]

    assert consistency_proof(old, new, LEAF_HASHES) == expected
    verify_consistency(old, new, ROOTS[old], ROOTS[new], expected)


def _inclusion_tamperings(
    index: int, size: int, proof: list[bytes], root: bytes, leaf: bytes
) -> list[tuple[bytes, int, int, list[bytes], bytes]]:
    cases = [
        (leaf, index - 1, size, proof, root),
        (leaf, index + 1, size, proof, root),
        (leaf, index ^ 2, size, proof, root),
        (leaf, index, size * 2, proof, root),
        (leaf, index, size // 2, proof, root),
        (flip(leaf), index, size, proof, root),
        (leaf, index, size, proof, EMPTY_ROOT),
        (leaf, index, size, proof, SOME_HASH),
        (leaf, index, size, [*proof, root], root),
        (leaf, index, size, [root, *proof], root),
        (leaf, index, size, [*proof, b""], root),
    ]
    for position in range(len(proof)):
        changed = list(proof)
        changed[position] = flip(changed[position])
        cases.append((leaf, index, size, changed, root))
    if proof:
        cases.append((leaf, index, size, proof[:-1], root))
    if len(proof) > 1:
        cases.append((leaf, index, size, [proof[0], SOME_HASH, *proof[1:]], root))
    return cases


@pytest.mark.parametrize(("index", "size", "proof"), INCLUSION_VECTORS[:4])
def test_tampered_vector_inclusion_proofs_are_rejected(
    index: int, size: int, proof: list[str]
) -> None:
    hashes = [h(item) for item in proof]
    cases = _inclusion_tamperings(index, size, hashes, ROOTS[size], LEAF_HASHES[index])

    for leaf, bad_index, bad_size, bad_proof, bad_root in cases:
        with pytest.raises(IntegrityError):
            verify_inclusion(leaf, bad_index, bad_size, bad_proof, bad_root)


@pytest.mark.parametrize(("old", "new", "proof"), CONSISTENCY_VECTORS[1:])
def test_tampered_vector_consistency_proofs_are_rejected(
    old: int, new: int, proof: list[str]
) -> None:
    hashes = [h(item) for item in proof]
    old_root, new_root = ROOTS[old], ROOTS[new]
    cases = [
        (old - 1, new, old_root, new_root, hashes),
        (old + 1, new, old_root, new_root, hashes),
        (old ^ 2, new, old_root, new_root, hashes),
        (old, new * 2, old_root, new_root, hashes),
        (old, new // 2, old_root, new_root, hashes),
        (old, new, SOME_HASH, new_root, hashes),
        (old, new, old_root, SOME_HASH, hashes),
        (old, new, new_root, old_root, hashes),
        (old, new, old_root, new_root, []),
        (old, new, old_root, new_root, [*hashes, old_root]),
        (old, new, old_root, new_root, [*hashes, new_root]),
        (old, new, old_root, new_root, [old_root, *hashes]),
        (old, new, old_root, new_root, [new_root, *hashes]),
        (old, new, old_root, new_root, [hashes[0], *hashes]),
        (old, new, old_root, new_root, hashes[:-1]),
    ]
    for position in range(len(hashes)):
        changed = list(hashes)
        changed[position] = flip(changed[position], 4)
        cases.append((old, new, old_root, new_root, changed))

    for bad_old, bad_new, bad_old_root, bad_new_root, bad_proof in cases:
        with pytest.raises(IntegrityError):
            verify_consistency(bad_old, bad_new, bad_old_root, bad_new_root, bad_proof)


# --- edge cases --------------------------------------------------------------


def test_single_leaf_tree_has_empty_proof_and_leaf_root() -> None:
    leaf = leaf_hash(b"data")

    assert root_of([leaf]) == leaf
    assert inclusion_proof(0, 1, [leaf]) == []
    verify_inclusion(leaf, 0, 1, [], leaf)
    with pytest.raises(IntegrityError):
        verify_inclusion(leaf, 0, 1, [], SOME_HASH)


@pytest.mark.parametrize(("index", "size"), [(0, 0), (1, 0), (2, 1), (-1, 4)])
def test_inclusion_outside_the_tree_is_rejected(index: int, size: int) -> None:
    with pytest.raises(IntegrityError, match="outside a tree"):
        verify_inclusion(SOME_HASH, index, size, [], EMPTY_ROOT)


def test_trivial_consistency_cases() -> None:
    verify_consistency(0, 0, EMPTY_ROOT, EMPTY_ROOT, [])
    verify_consistency(0, 5, EMPTY_ROOT, ROOTS[5], [])
    verify_consistency(4, 4, ROOTS[4], ROOTS[4], [])
    assert consistency_proof(0, 8, LEAF_HASHES) == []
    assert consistency_proof(8, 8, LEAF_HASHES) == []


@pytest.mark.parametrize(
    ("old", "new", "old_root", "new_root", "proof"),
    [
        (0, 5, SOME_HASH, ROOTS[5], []),  # not the empty root
        (0, 0, EMPTY_ROOT, EMPTY_ROOT, [EMPTY_ROOT]),  # proof must be empty
        (4, 4, ROOTS[4], ROOTS[5], []),  # same size, two roots: a fork
        (4, 4, ROOTS[4], ROOTS[4], [EMPTY_ROOT]),
        (5, 4, ROOTS[5], ROOTS[4], []),  # the old tree is larger
        (1, 2, ROOTS[1], ROOTS[2], []),  # a real proof is needed
    ],
)
def test_trivial_consistency_rejections(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> None:
    with pytest.raises(IntegrityError):
        verify_consistency(old, new, old_root, new_root, proof)


@pytest.mark.parametrize("bad", [b"", b"\x00" * 31, b"\x00" * 33])
def test_hashes_of_the_wrong_length_are_rejected(bad: bytes) -> None:
    proof = inclusion_proof(5, 8, LEAF_HASHES)

    with pytest.raises(IntegrityError, match="32-byte"):
        verify_inclusion(bad, 5, 8, proof, ROOTS[8])
    with pytest.raises(IntegrityError, match="32-byte"):
        verify_inclusion(LEAF_HASHES[5], 5, 8, [*proof[:2], bad], ROOTS[8])
    with pytest.raises(IntegrityError, match="32-byte"):
        verify_consistency(6, 8, bad, ROOTS[8], consistency_proof(6, 8, LEAF_HASHES))


def test_error_messages_are_one_line_with_a_remedy() -> None:
    with pytest.raises(IntegrityError) as caught:
        verify_inclusion(LEAF_HASHES[1], 1, 8, [], ROOTS[8])

    assert "\n" not in caught.value.one_line()
    assert caught.value.remedy


def test_proofs_need_enough_leaves() -> None:
    with pytest.raises(IntegrityError, match="needs more"):
        inclusion_proof(0, 9, LEAF_HASHES)
    with pytest.raises(IntegrityError, match="needs more"):
        consistency_proof(2, 9, LEAF_HASHES)
    with pytest.raises(IntegrityError, match="outside a tree"):
        inclusion_proof(8, 8, LEAF_HASHES)


# --- LeafHashes --------------------------------------------------------------


def test_leaf_hashes_reads_a_packed_buffer() -> None:
    packed = LeafHashes(memoryview(b"".join(LEAF_HASHES)))

    assert len(packed) == 8
    assert packed[3] == LEAF_HASHES[3]
    assert packed[-1] == LEAF_HASHES[7]
    assert list(packed) == LEAF_HASHES
    assert list(packed[2:5]) == LEAF_HASHES[2:5]
    assert bytes(packed.buffer) == b"".join(LEAF_HASHES)
    assert packed.subtree_root(0, 8) == ROOTS[8]
    assert packed.subtree_root(4, 6) == node_hash(LEAF_HASHES[4], LEAF_HASHES[5])
    assert packed.subtree_root(3, 3) == EMPTY_ROOT


def test_leaf_hashes_rejects_partial_hashes() -> None:
    with pytest.raises(IntegrityError, match="whole number"):
        LeafHashes(b"\x00" * 33)
    with pytest.raises(IntegrityError, match="32-byte"):
        LeafHashes.of([b"\x00" * 31])
    with pytest.raises(IndexError):
        LeafHashes(b"\x00" * 64)[2]


def test_large_tree_block_path_matches_leaf_by_leaf() -> None:
    # 70,001 leaves cross two whole 32,768-leaf blocks plus a ragged tail, so
    # the bulk block hashing is compared with one-leaf-at-a-time appends.
    count = 70_001
    packed = LeafHashes(os.urandom(32 * count))
    one_by_one = CompactRange()
    for item in packed:
        one_by_one.append(item)

    bulk = CompactRange()
    bulk.extend(packed[:5])
    bulk.extend(packed[5:])

    assert packed.subtree_root(0, count) == one_by_one.root() == bulk.root()
    assert bulk.to_state() == one_by_one.to_state()
    index = 65_537
    proof = inclusion_proof(index, count, packed)
    verify_inclusion(packed[index], index, count, proof, bulk.root())


# --- properties --------------------------------------------------------------

leaf_lists = st.lists(st.binary(max_size=16), min_size=1, max_size=40).map(
    lambda items: [leaf_hash(item) for item in items]
)
# With equal leaves, a proof may fit another position just as well (the sibling
# is the leaf itself); the shape tests need every leaf distinct.
distinct_leaf_lists = st.lists(
    st.binary(max_size=16), min_size=1, max_size=40, unique=True
).map(lambda items: [leaf_hash(item) for item in items])


@settings(max_examples=60, deadline=None)
@given(leaves=leaf_lists)
def test_every_inclusion_proof_verifies(leaves: list[bytes]) -> None:
    size = len(leaves)
    root = root_of(leaves)

    for index in range(size):
        proof = inclusion_proof(index, size, leaves)
        verify_inclusion(leaves[index], index, size, proof, root)


@settings(max_examples=60, deadline=None)
@given(leaves=leaf_lists)
def test_every_consistency_proof_verifies(leaves: list[bytes]) -> None:
    size = len(leaves)
    packed = LeafHashes.of(leaves)
    root = root_of(leaves)

    for old in range(1, size + 1):
        proof = consistency_proof(old, size, packed)
        verify_consistency(old, size, packed.subtree_root(0, old), root, proof)


def _split(count: int) -> int:
    return 1 << ((count - 1).bit_length() - 1)


def path_shape(index: int, size: int) -> list[str] | None:
    """Which side each inclusion-proof hash sits on (RFC 9162 PATH), bottom up.

    A proof carries no size: the verifier replays this shape, so an (index,
    size) with the same shape as the true one verifies the same proof. Index
    and size are bound by the signed checkpoint, not by the proof.
    """
    if not 0 <= index < size:
        return None
    if size == 1:
        return []
    split = _split(size)
    if index < split:
        return [*(path_shape(index, split) or []), "right"]
    return [*(path_shape(index - split, size - split) or []), "left"]


def consistency_shape(old: int, new: int, whole: bool = True) -> list[str] | None:
    """The RFC 9162 SUBPROOF recursion as a list of roles, innermost first."""
    if not 0 < old <= new:
        return None
    if old == new:
        return [] if whole else ["old-subtree"]
    split = _split(new)
    if old <= split:
        return [*(consistency_shape(old, split, whole) or []), "right"]
    rest = consistency_shape(old - split, new - split, False) or []
    return [*rest, "left"]


def _verifies_inclusion(
    leaf: bytes, index: int, size: int, proof: list[bytes], root: bytes
) -> bool:
    try:
        verify_inclusion(leaf, index, size, proof, root)
    except IntegrityError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(leaves=leaf_lists, data=st.data())
def test_any_change_to_a_leaf_proof_or_root_breaks_inclusion(
    leaves: list[bytes], data: st.DataObject
) -> None:
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, leaves)
    root = root_of(leaves)
    leaf = leaves[index]

    change = data.draw(st.sampled_from(["leaf", "proof", "root", "extra"]))
    bit = data.draw(st.integers(0, 7))
    if change == "leaf":
        leaf = flip(leaf, bit)
    elif change == "proof" and proof:
        position = data.draw(st.integers(0, len(proof) - 1))
        proof[position] = flip(proof[position], bit)
    elif change == "root":
        root = flip(root, bit)
    else:
        proof.append(SOME_HASH)

    assert not _verifies_inclusion(leaf, index, size, proof, root)


@settings(max_examples=200, deadline=None)
@given(leaves=distinct_leaf_lists, data=st.data())
def test_a_changed_index_or_size_verifies_only_with_the_same_path_shape(
    leaves: list[bytes], data: st.DataObject
) -> None:
    size = len(leaves)
    index = data.draw(st.integers(0, size - 1))
    proof = inclusion_proof(index, size, leaves)
    root = root_of(leaves)

    new_index = data.draw(st.integers(-1, size + 1))
    new_size = data.draw(st.integers(0, 2 * size + 2))
    same_shape = path_shape(new_index, new_size) == path_shape(index, size)

    verified = _verifies_inclusion(leaves[index], new_index, new_size, proof, root)
    assert verified == same_shape
    if new_size == size and new_index != index:
        assert not verified


def _verifies_consistency(
    old: int, new: int, old_root: bytes, new_root: bytes, proof: list[bytes]
) -> bool:
    try:
        verify_consistency(old, new, old_root, new_root, proof)
    except IntegrityError:
        return False
    return True


@settings(max_examples=200, deadline=None)
@given(leaves=leaf_lists.filter(lambda items: len(items) > 1), data=st.data())
def test_any_change_to_a_consistency_proof_or_root_is_rejected(
    leaves: list[bytes], data: st.DataObject
) -> None:
    new = len(leaves)
    old = data.draw(st.integers(1, new - 1))
    packed = LeafHashes.of(leaves)
    proof = consistency_proof(old, new, packed)
    old_root, new_root = packed.subtree_root(0, old), packed.subtree_root(0, new)

    change = data.draw(st.sampled_from(["proof", "old_root", "new_root", "extra"]))
    bit = data.draw(st.integers(0, 7))
    if change == "proof":
        position = data.draw(st.integers(0, len(proof) - 1))
        proof[position] = flip(proof[position], bit)
    elif change == "old_root":
        old_root = flip(old_root, bit)
    elif change == "new_root":
        new_root = flip(new_root, bit)
    else:
        proof.append(SOME_HASH)

    assert not _verifies_consistency(old, new, old_root, new_root, proof)


@settings(max_examples=200, deadline=None)
@given(leaves=distinct_leaf_lists.filter(lambda items: len(items) > 1), data=st.data())
def test_changed_sizes_verify_only_with_the_same_proof_shape(
    leaves: list[bytes], data: st.DataObject
) -> None:
    new = len(leaves)
    old = data.draw(st.integers(1, new - 1))
    packed = LeafHashes.of(leaves)
    proof = consistency_proof(old, new, packed)
    old_root, new_root = packed.subtree_root(0, old), packed.subtree_root(0, new)

    claimed_old = data.draw(st.integers(0, new + 1))
    claimed_new = data.draw(st.integers(0, 2 * new + 2))
    same_shape = consistency_shape(claimed_old, claimed_new) == consistency_shape(
        old, new
    )

    verified = _verifies_consistency(
        claimed_old, claimed_new, old_root, new_root, proof
    )
    assert verified == same_shape


@settings(max_examples=40, deadline=None)
@given(leaves=st.lists(st.binary(max_size=8), max_size=70), split=st.integers(0, 70))
def test_compact_range_root_matches_for_every_size_across_state(
    leaves: list[bytes], split: int
) -> None:
    hashes = [leaf_hash(item) for item in leaves]
    split = min(split, len(hashes))
    compact = CompactRange()
    assert compact.root() == EMPTY_ROOT

    for size, item in enumerate(hashes[:split], start=1):
        compact.append(item)
        assert compact.root() == root_of(hashes[:size])
    state = orjson.loads(orjson.dumps(compact.to_state()))
    resumed = CompactRange.from_state(state)
    assert resumed.size == split
    assert resumed.root() == root_of(hashes[:split])
    for size, item in enumerate(hashes[split:], start=split + 1):
        resumed.append(item)
        assert resumed.size == size
        assert resumed.root() == root_of(hashes[:size])


def test_compact_range_state_is_small_and_exact() -> None:
    compact = CompactRange()
    compact.extend(LEAF_HASHES[:7])

    # 7 = 4 + 2 + 1: three perfect subtrees, largest first (the vectors'
    # compact tree for size 7).
    assert compact.to_state() == {
        "size": 7,
        "hashes": [
            "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
            "0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
            "b08693ec2e721597130641e8211e7eedccb4c26413963eee6c1e2ed16ffb1a5f",
        ],
    }


@pytest.mark.parametrize(
    "state",
    [
        {"size": 3, "hashes": [LEAF_HASHES[0].hex()]},  # needs two hashes
        {"size": -1, "hashes": []},
        {"size": True, "hashes": [LEAF_HASHES[0].hex()]},
        {"size": 1, "hashes": [LEAF_HASHES[0].hex().upper()]},
        {"size": 1, "hashes": ["00" * 31]},
        {"size": 1, "hashes": [LEAF_HASHES[0].hex()], "extra": 1},
        {"size": 1},
    ],
)
def test_compact_range_rejects_malformed_state(state: dict[str, object]) -> None:
    with pytest.raises(IntegrityError, match="compact range"):
        CompactRange.from_state(state)
