"""Signing and verification: Sigstore bundles v0.3, keyless or with a managed key.

One key system for everything ledgerlens signs (checkpoints, reports, evidence
packs): a Sigstore bundle. Keyless signing goes through sigstore-python when an
identity exists; otherwise a managed ECDSA P-256 key signs, and the bundle names
it by ``publicKey.hint`` with no transparency-log entry. Verification needs only
the artefact, the bundle, and the public key or the expected identity with a
trusted root on disk: no store and no network.

Importing this package does not import sigstore (only keyless work does), nor
any data library, so ``ledgerlens verify`` starts fast.
"""

from __future__ import annotations

from ledgerlens.signing.api import (
    ArtifactSigner,
    KeySigner,
    SigningOptions,
    VerifyOptions,
    check_signing,
    open_signer,
    verify_blob,
    verify_digest,
    verify_statement,
)
from ledgerlens.signing.keys import (
    KeyPairPaths,
    key_hint,
    keygen,
    load_private_key,
    load_public_key,
    password_from_env_or_prompt,
)
from ledgerlens.signing.pack import (
    BUNDLE_SUFFIX,
    EVIDENCE_PREDICATE_TYPE,
    PACK_FILE,
    PackReport,
    SubjectStatus,
    build_statement,
    file_sha256,
    sign_file,
    verify_file,
    verify_pack,
    write_pack,
)

__all__ = [
    "BUNDLE_SUFFIX",
    "EVIDENCE_PREDICATE_TYPE",
    "PACK_FILE",
    "ArtifactSigner",
    "KeyPairPaths",
    "KeySigner",
    "PackReport",
    "SigningOptions",
    "SubjectStatus",
    "VerifyOptions",
    "build_statement",
    "check_signing",
    "file_sha256",
    "key_hint",
    "keygen",
    "load_private_key",
    "load_public_key",
    "open_signer",
    "password_from_env_or_prompt",
    "sign_file",
    "verify_blob",
    "verify_digest",
    "verify_file",
    "verify_pack",
    "verify_statement",
    "write_pack",
]
