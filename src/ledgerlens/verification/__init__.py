"""Re-verifying what ledgerlens sealed, from the files alone, offline.

* :mod:`~ledgerlens.verification.store`: ``verify-store``, every seal of a store;
* :mod:`~ledgerlens.verification.proof`: one record's inclusion proof, built from
  a store and checked without one;
* :mod:`~ledgerlens.verification.chains`: producer hash chains in JSONL files;
* :mod:`~ledgerlens.verification.witness`: consistency proofs and witness
  cosignatures.
"""

from ledgerlens.verification.chains import (
    ChainFileReport,
    LineProblem,
    chain_files,
    verify_chain_files,
)
from ledgerlens.verification.proof import (
    PROOF_FORMAT,
    PROOF_VERSION,
    ProofCheck,
    build_proof,
    check_proof,
    log_leaves,
)
from ledgerlens.verification.store import (
    BundleCheck,
    DayCheck,
    StoreReport,
    WitnessCheck,
    verify_store,
)
from ledgerlens.verification.witness import (
    CONSISTENCY_FORMAT,
    COSIGNATURE_FORMAT,
    WITNESSES_DIR,
    Cosignature,
    check_extends,
    consistency_file,
    cosign,
    store_cosignature,
    stray_witnesses,
    witness_checker,
)

__all__ = [
    "CONSISTENCY_FORMAT",
    "COSIGNATURE_FORMAT",
    "PROOF_FORMAT",
    "PROOF_VERSION",
    "WITNESSES_DIR",
    "BundleCheck",
    "ChainFileReport",
    "Cosignature",
    "DayCheck",
    "LineProblem",
    "ProofCheck",
    "StoreReport",
    "WitnessCheck",
    "build_proof",
    "chain_files",
    "check_extends",
    "check_proof",
    "consistency_file",
    "cosign",
    "log_leaves",
    "stray_witnesses",
    "store_cosignature",
    "verify_chain_files",
    "verify_store",
    "witness_checker",
]
