"""DSSE envelopes holding an in-toto Statement v1, signed with a managed key.

The payload is the RFC 8785 canonical JSON of the statement, so the same
statement always gives the same bytes. The signature covers the DSSE
pre-authentication encoding (PAE) of the payload type and the payload::

    "DSSEv1" SP len(type) SP type SP len(payload) SP payload

with lengths as ASCII decimal byte counts. The envelope's one signature carries
the key hint as ``keyid``, equal to the bundle's ``publicKey.hint`` as the
bundle format requires.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, Final

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from ledgerlens.errors import SigningError, VerificationError
from ledgerlens.integrity.jcs import CanonicalizationError, canonicalize
from ledgerlens.signing import _format
from ledgerlens.signing.keys import key_hint

__all__ = [
    "PAYLOAD_TYPE",
    "STATEMENT_TYPE",
    "pae",
    "sign_statement_with_key",
    "statement_from_payload",
    "statement_payload",
    "verify_statement_with_key",
]

PAYLOAD_TYPE: Final = "application/vnd.in-toto+json"
STATEMENT_TYPE: Final = "https://in-toto.io/Statement/v1"
_SHA256_HEX = re.compile(r"[0-9a-f]{64}")


def pae(payload_type: str, payload: bytes) -> bytes:
    """The DSSE v1 pre-authentication encoding of a payload and its type."""
    type_bytes = payload_type.encode("utf-8")
    return b"DSSEv1 %d %b %d %b" % (len(type_bytes), type_bytes, len(payload), payload)


def statement_payload(statement: Mapping[str, Any]) -> bytes:
    """The canonical payload bytes of a statement, after checking its shape."""
    problem = _statement_problem(statement)
    if problem is not None:
        raise SigningError(
            f"not an in-toto Statement v1: {problem}",
            remedy="this is a bug in the caller; report it",
        )
    try:
        return canonicalize(statement)
    except CanonicalizationError as exc:
        raise SigningError(
            f"the statement has no canonical JSON form: {exc}",
            remedy="this is a bug in the caller; report it",
        ) from exc


def statement_from_payload(payload_type: str, payload: bytes) -> dict[str, Any]:
    """Read the statement out of a verified envelope's payload."""
    if payload_type != PAYLOAD_TYPE:
        raise VerificationError(
            f"envelope payload type is not {PAYLOAD_TYPE}",
            remedy="this bundle does not hold an evidence pack",
        )
    try:
        statement = json.loads(payload)
    except ValueError:
        raise _format.malformed("the envelope payload is not JSON") from None
    problem = _statement_problem(statement)
    if problem is not None:
        raise _format.malformed(f"payload is not an in-toto Statement v1: {problem}")
    return dict(statement)


def sign_statement_with_key(
    statement: Mapping[str, Any], key: ec.EllipticCurvePrivateKey
) -> dict[str, Any]:
    """A v0.3 bundle holding ``statement`` in a DSSE envelope signed by ``key``."""
    payload = statement_payload(statement)
    hint = key_hint(key)
    signature = key.sign(pae(PAYLOAD_TYPE, payload), ec.ECDSA(hashes.SHA256()))
    return {
        "mediaType": _format.MEDIA_TYPE,
        "verificationMaterial": _format.key_material(hint),
        "dsseEnvelope": {
            "payload": _format.b64(payload),
            "payloadType": PAYLOAD_TYPE,
            "signatures": [{"sig": _format.b64(signature), "keyid": hint}],
        },
    }


def verify_statement_with_key(
    bundle: Any, public_key: ec.EllipticCurvePublicKey
) -> dict[str, Any]:
    """Check a key-based DSSE bundle and return the statement it signs."""
    payload_type, payload, signature = _envelope_parts(bundle)

    _format.check_hint(bundle, key_hint(public_key))
    try:
        public_key.verify(
            signature, pae(payload_type, payload), ec.ECDSA(hashes.SHA256())
        )
    except InvalidSignature:
        raise VerificationError(
            "signature does not verify: the evidence pack bundle was altered",
            remedy="fetch the run's evidence pack again from the signer",
        ) from None
    return statement_from_payload(payload_type, payload)


def _envelope_parts(bundle: Any) -> tuple[str, bytes, bytes]:
    """Payload type, payload and signature of a key-based DSSE bundle."""
    bundle = _format.mapping(bundle, "bundle")
    if _format.bundle_kind(bundle) != "key":
        raise VerificationError(
            "bundle is signed keyless (it carries a certificate), not with a key",
            remedy="verify with --cert-identity and --cert-oidc-issuer",
        )
    if _format.content_kind(bundle) != "dsse":
        raise VerificationError(
            "bundle signs a file, it holds no DSSE envelope",
            remedy="verify it against the file it signs",
        )
    envelope = _format.mapping(
        _format.member(bundle, "dsseEnvelope", "bundle"), "dsseEnvelope"
    )
    payload = _format.b64_field(envelope, "payload", "dsseEnvelope")
    payload_type = _format.text(
        _format.member(envelope, "payloadType", "dsseEnvelope"),
        "dsseEnvelope.payloadType",
    )
    return payload_type, payload, _only_signature(envelope, bundle)


def _only_signature(envelope: Mapping[str, Any], bundle: Mapping[str, Any]) -> bytes:
    signatures = _format.member(envelope, "signatures", "dsseEnvelope")
    # Sigstore bundles allow exactly one signature per envelope.
    if not isinstance(signatures, list) or len(signatures) != 1:
        raise _format.malformed("`dsseEnvelope.signatures` must hold one signature")
    where = "dsseEnvelope.signatures[0]"
    entry = _format.mapping(signatures[0], where)
    keyid = entry.get("keyid")
    if keyid and keyid != _format.key_hint_of(bundle):
        raise _format.malformed(f"`{where}.keyid` differs from the bundle's key hint")
    return _format.b64_field(entry, "sig", where)


def _statement_problem(statement: Any) -> str | None:
    """The first way ``statement`` departs from in-toto Statement v1, if any."""
    if not isinstance(statement, Mapping):
        return "it is not an object"
    if statement.get("_type") != STATEMENT_TYPE:
        return f"`_type` is not {STATEMENT_TYPE}"
    subjects = statement.get("subject")
    if not isinstance(subjects, list) or not subjects:
        return "`subject` is not a non-empty list"
    for index, subject in enumerate(subjects):
        problem = _subject_problem(subject)
        if problem is not None:
            return f"subject {index}: {problem}"
    predicate_type = statement.get("predicateType")
    if not isinstance(predicate_type, str) or not predicate_type:
        return "`predicateType` is not a non-empty string"
    if "predicate" in statement and not isinstance(statement["predicate"], Mapping):
        return "`predicate` is not an object"
    return None


def _subject_problem(subject: Any) -> str | None:
    if not isinstance(subject, Mapping):
        return "not an object"
    name = subject.get("name")
    if not isinstance(name, str) or not name:
        return "`name` is not a non-empty string"
    digest = subject.get("digest")
    if not isinstance(digest, Mapping):
        return "`digest` is not an object"
    sha256 = digest.get("sha256")
    if not isinstance(sha256, str) or not _SHA256_HEX.fullmatch(sha256):
        return "`digest.sha256` is not 64 lowercase hex digits"
    return None
