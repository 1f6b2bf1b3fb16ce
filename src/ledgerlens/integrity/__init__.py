"""Integrity: the store's Merkle log, leaf bytes, producer chains, checkpoints.

Nothing here imports polars, pandas, Prefect, Great Expectations or Evidently,
so the verify commands start fast: only the standard library and orjson.

* :mod:`~ledgerlens.integrity.merkle`: RFC 9162 hashing, proofs and verifiers;
* :mod:`~ledgerlens.integrity.leaf`: a record's (and a day manifest's) leaf bytes;
* :mod:`~ledgerlens.integrity.chain`: producer hash chains and their verifier;
* :mod:`~ledgerlens.integrity.checkpoint`: the signed note for each seal;
* :mod:`~ledgerlens.integrity.jcs`: the RFC 8785 encoder they all hash over.

Every failure to verify raises :class:`~ledgerlens.errors.IntegrityError`.
"""

from __future__ import annotations

from ledgerlens.integrity.chain import (
    GENESIS_PREV,
    ChainProblem,
    ChainProblemKind,
    ChainTip,
    ChainVerdict,
    ChainVerifier,
    chain_hash_of,
    link,
)
from ledgerlens.integrity.checkpoint import MAX_NOTE_BYTES, Checkpoint
from ledgerlens.integrity.jcs import CanonicalizationError, canonical_text, canonicalize
from ledgerlens.integrity.leaf import (
    LEAF_V1_FIELDS,
    LEAF_VERSION,
    LeafError,
    leaf_bytes_v1,
    leaf_hashes,
    manifest_leaf_bytes,
    record_leaf_hash,
)
from ledgerlens.integrity.merkle import (
    EMPTY_ROOT,
    HASH_SIZE,
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

__all__ = [
    "EMPTY_ROOT",
    "GENESIS_PREV",
    "HASH_SIZE",
    "LEAF_V1_FIELDS",
    "LEAF_VERSION",
    "MAX_NOTE_BYTES",
    "CanonicalizationError",
    "ChainProblem",
    "ChainProblemKind",
    "ChainTip",
    "ChainVerdict",
    "ChainVerifier",
    "Checkpoint",
    "CompactRange",
    "LeafError",
    "LeafHashes",
    "canonical_text",
    "canonicalize",
    "chain_hash_of",
    "consistency_proof",
    "inclusion_proof",
    "leaf_bytes_v1",
    "leaf_hash",
    "leaf_hashes",
    "link",
    "manifest_leaf_bytes",
    "node_hash",
    "record_leaf_hash",
    "root_of",
    "verify_consistency",
    "verify_inclusion",
]
