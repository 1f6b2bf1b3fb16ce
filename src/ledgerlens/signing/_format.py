"""Reading and writing the Sigstore bundle v0.3 JSON layout by hand.

Key-based bundles are built and checked with our own code (sigstore-python
neither signs with a managed key nor verifies such a bundle), so this module
holds the few facts of the published format both ``bundle`` and ``dsse`` need:
the media type, protobuf JSON names (camelCase) and base64 for bytes.

Every failure to read a bundle raises :class:`VerificationError` with a
``malformed bundle`` message naming the field, never the field's content.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
from collections.abc import Mapping
from typing import Any, Final, Literal

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ledgerlens.errors import VerificationError

__all__: list[str] = []

MEDIA_TYPE: Final = "application/vnd.dev.sigstore.bundle.v0.3+json"
# Older spelling of the same version; Sigstore clients must accept it.
_MEDIA_TYPE_ALT: Final = "application/vnd.dev.sigstore.bundle+json;version=0.3"
HASH_SHA2_256: Final = "SHA2_256"
MALFORMED_REMEDY: Final = (
    "the bundle file is damaged or not a Sigstore bundle; sign the artefact again"
)

BundleKind = Literal["key", "certificate"]
ContentKind = Literal["message", "dsse"]


def b64(data: bytes) -> str:
    """Standard base64 with padding, as protobuf JSON encodes ``bytes``."""
    return base64.b64encode(data).decode("ascii")


def sha256(data: bytes) -> bytes:
    """SHA-256 digest of ``data``."""
    return hashlib.sha256(data).digest()


def malformed(what: str) -> VerificationError:
    """The error for a bundle that does not follow the published layout."""
    return VerificationError(f"malformed bundle: {what}", remedy=MALFORMED_REMEDY)


def key_material(hint: str) -> dict[str, Any]:
    """The ``verificationMaterial`` of a key-based bundle (no log entry)."""
    return {"publicKey": {"hint": hint}, "tlogEntries": []}


def member(obj: Mapping[str, Any], name: str, where: str) -> Any:
    """``obj[name]``, or a malformed-bundle error naming ``where.name``."""
    if name not in obj:
        raise malformed(f"`{where}.{name}` is missing")
    return obj[name]


def mapping(value: Any, where: str) -> Mapping[str, Any]:
    """``value`` if it is a JSON object, else a malformed-bundle error."""
    if not isinstance(value, Mapping):
        raise malformed(f"`{where}` is not an object")
    return value


def text(value: Any, where: str) -> str:
    """``value`` if it is a non-empty string, else a malformed-bundle error."""
    if not isinstance(value, str) or not value:
        raise malformed(f"`{where}` is not a non-empty string")
    return value


def b64_field(obj: Mapping[str, Any], name: str, where: str) -> bytes:
    """Decode the base64 member ``name`` of ``obj`` strictly."""
    value = text(member(obj, name, where), f"{where}.{name}")
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise malformed(f"`{where}.{name}` is not base64") from None


def check_media_type(bundle: Mapping[str, Any]) -> None:
    """Refuse a document that is not a v0.3 Sigstore bundle."""
    media_type = member(bundle, "mediaType", "bundle")
    if media_type not in (MEDIA_TYPE, _MEDIA_TYPE_ALT):
        raise malformed(f"media type is not {MEDIA_TYPE}")


def bundle_kind(bundle: Any) -> BundleKind:
    """Whether ``bundle`` names a managed key or carries a certificate."""
    bundle = mapping(bundle, "bundle")
    check_media_type(bundle)
    material = mapping(
        member(bundle, "verificationMaterial", "bundle"), "verificationMaterial"
    )
    if "publicKey" in material:
        return "key"
    if "certificate" in material or "x509CertificateChain" in material:
        return "certificate"
    raise malformed("`verificationMaterial` names neither a key nor a certificate")


def content_kind(bundle: Mapping[str, Any]) -> ContentKind:
    """Whether ``bundle`` signs a message digest or holds a DSSE envelope."""
    has_message = "messageSignature" in bundle
    has_dsse = "dsseEnvelope" in bundle
    if has_message == has_dsse:
        raise malformed("exactly one of `messageSignature`, `dsseEnvelope` expected")
    return "message" if has_message else "dsse"


def key_hint_of(bundle: Mapping[str, Any]) -> str:
    """The ``publicKey.hint`` a key-based bundle names."""
    material = mapping(
        member(bundle, "verificationMaterial", "bundle"), "verificationMaterial"
    )
    public_key = mapping(
        member(material, "publicKey", "verificationMaterial"),
        "verificationMaterial.publicKey",
    )
    hint = member(public_key, "hint", "verificationMaterial.publicKey")
    return text(hint, "verificationMaterial.publicKey.hint")


def check_hint(bundle: Mapping[str, Any], expected_hint: str) -> None:
    """Refuse a key-based bundle whose hint names another key than the one given.

    The hint is unauthenticated; it is checked only so that a wrong key gives a
    clear message instead of a bare "signature does not verify".
    """
    hint = key_hint_of(bundle)
    if hint != expected_hint:
        msg = (
            f"bundle was signed with key {hint[:16]}…, "
            f"not with the given key {expected_hint[:16]}…"
        )
        raise VerificationError(
            msg, remedy="verify with the public key the signer published"
        )


def hint_of_key(public_key: ec.EllipticCurvePublicKey) -> str:
    """Hex SHA-256 of the key's DER SubjectPublicKeyInfo (the bundle hint)."""
    der = public_key.public_bytes(
        serialization.Encoding.DER,
        serialization.PublicFormat.SubjectPublicKeyInfo,
    )
    return hashlib.sha256(der).hexdigest()
