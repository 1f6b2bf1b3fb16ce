"""Key-based Sigstore bundles over a file's bytes (``messageSignature``).

The signature is ECDSA P-256 over the SHA-256 digest of the content, DER
encoded, exactly as a keyless Sigstore bundle signs a blob; only the
verification material differs: ``publicKey.hint`` names the managed key and
there is no transparency-log entry (``tlogEntries`` is empty).

Layout of a bundle this module writes::

    {"mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
     "verificationMaterial": {"publicKey": {"hint": "<hex sha256 of DER SPKI>"},
                              "tlogEntries": []},
     "messageSignature": {"messageDigest": {"algorithm": "SHA2_256",
                                            "digest": "<base64>"},
                          "signature": "<base64 DER ECDSA signature>"}}
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.utils import Prehashed

from ledgerlens.errors import VerificationError
from ledgerlens.signing import _format
from ledgerlens.signing.keys import key_hint

__all__ = [
    "check_message_digest",
    "sign_blob_with_key",
    "sign_digest_with_key",
    "verify_blob_with_key",
    "verify_digest_with_key",
]

_DIGEST_SIZE = 32


def sign_blob_with_key(data: bytes, key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    """A v0.3 bundle signing ``data`` with a managed P-256 key."""
    return sign_digest_with_key(_format.sha256(data), key)


def sign_digest_with_key(
    digest: bytes, key: ec.EllipticCurvePrivateKey
) -> dict[str, Any]:
    """A v0.3 bundle over content whose SHA-256 ``digest`` was computed already.

    Lets a large file be hashed while streaming; the bundle is the same as
    :func:`sign_blob_with_key` would give for the content.
    """
    if len(digest) != _DIGEST_SIZE:
        msg = f"a SHA-256 digest has {_DIGEST_SIZE} bytes, not {len(digest)}"
        raise ValueError(msg)
    signature = key.sign(digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    return {
        "mediaType": _format.MEDIA_TYPE,
        "verificationMaterial": _format.key_material(key_hint(key)),
        "messageSignature": {
            "messageDigest": {
                "algorithm": _format.HASH_SHA2_256,
                "digest": _format.b64(digest),
            },
            "signature": _format.b64(signature),
        },
    }


def verify_blob_with_key(
    data: bytes, bundle: Any, public_key: ec.EllipticCurvePublicKey
) -> None:
    """Check that ``bundle`` signs ``data`` with ``public_key``.

    Raises :class:`VerificationError` with one of these messages: the bundle is
    malformed; it names another key; it is for another file (the content's
    digest differs from the signed one); the signature does not verify.
    """
    verify_digest_with_key(_format.sha256(data), bundle, public_key)


def verify_digest_with_key(
    digest: bytes, bundle: Any, public_key: ec.EllipticCurvePublicKey
) -> None:
    """:func:`verify_blob_with_key` for content whose SHA-256 is ``digest``."""
    bundle = _format.mapping(bundle, "bundle")
    if _format.bundle_kind(bundle) != "key":
        raise VerificationError(
            "bundle is signed keyless (it carries a certificate), not with a key",
            remedy="verify with --cert-identity and --cert-oidc-issuer",
        )
    if _format.content_kind(bundle) != "message":
        raise VerificationError(
            "bundle holds a DSSE envelope, not the signature of a file",
            remedy="verify it as an evidence pack",
        )
    message = _format.mapping(
        _format.member(bundle, "messageSignature", "bundle"), "messageSignature"
    )
    signature = _format.b64_field(message, "signature", "messageSignature")

    _format.check_hint(bundle, key_hint(public_key))
    check_message_digest(bundle, digest)

    # The recorded digest only identifies the content; the signature is checked
    # over the digest computed here, as the bundle format requires.
    try:
        public_key.verify(signature, digest, ec.ECDSA(Prehashed(hashes.SHA256())))
    except InvalidSignature:
        raise VerificationError(
            "signature does not verify: the bundle was altered after signing",
            remedy="fetch the file and its bundle again from the signer",
        ) from None


def check_message_digest(bundle: Any, digest: bytes) -> None:
    """Refuse a blob bundle whose recorded digest is not ``digest``.

    Works for keyless bundles too, so both kinds give the same "another file"
    message. The recorded digest only identifies the content: passing this
    check proves nothing until the signature is verified.
    """
    bundle = _format.mapping(bundle, "bundle")
    message = _format.mapping(
        _format.member(bundle, "messageSignature", "bundle"), "messageSignature"
    )
    signed_digest = _signed_digest(message)
    if signed_digest is not None and signed_digest != digest:
        raise _another_file_error(signed_digest, digest)


def _signed_digest(message: Mapping[str, Any]) -> bytes | None:
    # messageDigest is optional in the format; ours always carry it.
    if "messageDigest" not in message:
        return None
    where = "messageSignature.messageDigest"
    recorded = _format.mapping(message["messageDigest"], where)
    if _format.member(recorded, "algorithm", where) != _format.HASH_SHA2_256:
        raise _format.malformed(f"`{where}.algorithm` is not SHA2_256")
    digest = _format.b64_field(recorded, "digest", where)
    if len(digest) != _DIGEST_SIZE:
        raise _format.malformed(f"`{where}.digest` is not a SHA-256 digest")
    return digest


def _another_file_error(signed: bytes, actual: bytes) -> VerificationError:
    msg = (
        f"bundle is for another file: it signs sha256 {signed.hex()}, "
        f"this content has sha256 {actual.hex()}"
    )
    return VerificationError(
        msg,
        remedy="the file changed since signing, or the bundle belongs to another "
        "file; fetch the original file and its own bundle",
    )
