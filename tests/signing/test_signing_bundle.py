"""Key-based blob bundles: layout, round trip, and each way verification fails."""

from __future__ import annotations

import base64
import copy
import hashlib
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from hypothesis import given, settings
from hypothesis import strategies as st

from ledgerlens.errors import VerificationError
from ledgerlens.signing.bundle import (
    sign_blob_with_key,
    sign_digest_with_key,
    verify_blob_with_key,
)
from ledgerlens.signing.dsse import sign_statement_with_key
from ledgerlens.signing.keys import key_hint

REPORT = b"%PDF-1.7\n% a governance report\n"
OTHER = b"%PDF-1.7\n% another day's report\n"
MEDIA_TYPE = "application/vnd.dev.sigstore.bundle.v0.3+json"


def test_bundle_has_the_published_v03_layout(
    private_key: ec.EllipticCurvePrivateKey,
) -> None:
    bundle = sign_blob_with_key(REPORT, private_key)

    signature = bundle["messageSignature"].pop("signature")
    assert bundle == {
        "mediaType": MEDIA_TYPE,
        "verificationMaterial": {
            "publicKey": {"hint": key_hint(private_key)},
            "tlogEntries": [],
        },
        "messageSignature": {
            "messageDigest": {
                "algorithm": "SHA2_256",
                "digest": base64.b64encode(hashlib.sha256(REPORT).digest()).decode(),
            },
        },
    }
    # An ordinary ECDSA-SHA256 check over the bytes accepts the signature, as
    # any Sigstore verifier holding the public key would.
    private_key.public_key().verify(
        base64.b64decode(signature), REPORT, ec.ECDSA(hashes.SHA256())
    )


def test_signed_blob_verifies(
    private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey
) -> None:
    bundle = sign_blob_with_key(REPORT, private_key)

    # Returning without an exception is the success signal.
    verify_blob_with_key(REPORT, bundle, public_key)


def test_digest_signing_equals_blob_signing(
    private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey
) -> None:
    bundle = sign_digest_with_key(hashlib.sha256(REPORT).digest(), private_key)

    verify_blob_with_key(REPORT, bundle, public_key)
    with pytest.raises(ValueError, match="32 bytes, not 31"):
        sign_digest_with_key(b"\0" * 31, private_key)


@settings(max_examples=25, deadline=None)
@given(data=st.binary(max_size=4096))
def test_any_content_round_trips(data: bytes) -> None:
    key = ec.generate_private_key(ec.SECP256R1())

    bundle = sign_blob_with_key(data, key)

    verify_blob_with_key(data, bundle, key.public_key())
    digest = bundle["messageSignature"]["messageDigest"]["digest"]
    assert base64.b64decode(digest) == hashlib.sha256(data).digest()


def test_one_changed_byte_in_the_file_is_caught(
    private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey
) -> None:
    bundle = sign_blob_with_key(REPORT, private_key)
    changed = REPORT[:-2] + b"X" + REPORT[-1:]

    with pytest.raises(VerificationError) as caught:
        verify_blob_with_key(changed, bundle, public_key)

    # Whole digests: two that differ only late must not print alike.
    signed = hashlib.sha256(REPORT).hexdigest()
    actual = hashlib.sha256(changed).hexdigest()
    assert caught.value.message == (
        f"bundle is for another file: it signs sha256 {signed}, "
        f"this content has sha256 {actual}"
    )
    assert "the file changed since signing" in (caught.value.remedy or "")


def test_a_bundle_swapped_between_two_files_is_for_another_file(
    private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey
) -> None:
    report_bundle = sign_blob_with_key(REPORT, private_key)
    other_bundle = sign_blob_with_key(OTHER, private_key)

    with pytest.raises(VerificationError, match="^bundle is for another file: "):
        verify_blob_with_key(REPORT, other_bundle, public_key)
    with pytest.raises(VerificationError, match="^bundle is for another file: "):
        verify_blob_with_key(OTHER, report_bundle, public_key)


def test_one_changed_byte_in_the_signature_does_not_verify(
    private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey
) -> None:
    bundle = sign_blob_with_key(REPORT, private_key)
    signature = bytearray(base64.b64decode(bundle["messageSignature"]["signature"]))
    signature[-1] ^= 0x01
    bundle["messageSignature"]["signature"] = base64.b64encode(signature).decode()

    with pytest.raises(VerificationError) as caught:
        verify_blob_with_key(REPORT, bundle, public_key)

    assert caught.value.message == (
        "signature does not verify: the bundle was altered after signing"
    )


def test_a_changed_file_with_a_rewritten_digest_does_not_verify(
    private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey
) -> None:
    # Forgery attempt: change the file and write its new digest into the bundle.
    bundle = sign_blob_with_key(REPORT, private_key)
    forged = REPORT + b"% appended\n"
    new_digest = base64.b64encode(hashlib.sha256(forged).digest()).decode()
    bundle["messageSignature"]["messageDigest"]["digest"] = new_digest

    with pytest.raises(VerificationError, match="^signature does not verify: "):
        verify_blob_with_key(forged, bundle, public_key)


def test_another_key_is_named_by_its_hint(
    private_key: ec.EllipticCurvePrivateKey,
) -> None:
    bundle = sign_blob_with_key(REPORT, private_key)
    stranger = ec.generate_private_key(ec.SECP256R1()).public_key()

    with pytest.raises(VerificationError) as caught:
        verify_blob_with_key(REPORT, bundle, stranger)

    assert caught.value.message == (
        f"bundle was signed with key {key_hint(private_key)[:16]}…, "
        f"not with the given key {key_hint(stranger)[:16]}…"
    )


def test_a_hint_rewritten_to_another_key_does_not_verify(
    private_key: ec.EllipticCurvePrivateKey,
) -> None:
    bundle = sign_blob_with_key(REPORT, private_key)
    stranger = ec.generate_private_key(ec.SECP256R1()).public_key()
    bundle["verificationMaterial"]["publicKey"]["hint"] = key_hint(stranger)

    with pytest.raises(VerificationError, match="^signature does not verify: "):
        verify_blob_with_key(REPORT, bundle, stranger)


def _set(path: tuple[str, ...], value: Any) -> Any:
    def change(bundle: dict[str, Any]) -> Any:
        target = bundle
        for name in path[:-1]:
            target = target[name]
        target[path[-1]] = value
        return bundle

    return change


def _drop(*path: str) -> Any:
    def change(bundle: dict[str, Any]) -> Any:
        target = bundle
        for name in path[:-1]:
            target = target[name]
        del target[path[-1]]
        return bundle

    return change


@pytest.mark.parametrize(
    ("change", "detail"),
    [
        (lambda bundle: [bundle], "`bundle` is not an object"),
        (_drop("mediaType"), "`bundle.mediaType` is missing"),
        (_set(("mediaType",), "application/json"), "media type is not"),
        (_drop("verificationMaterial"), "`bundle.verificationMaterial` is missing"),
        (
            _set(("verificationMaterial",), {"tlogEntries": []}),
            "names neither a key nor a certificate",
        ),
        (
            _set(("dsseEnvelope",), {}),
            "exactly one of `messageSignature`, `dsseEnvelope` expected",
        ),
        (_drop("messageSignature"), "exactly one of"),
        (
            _set(("messageSignature", "signature"), "not base64!"),
            "`messageSignature.signature` is not base64",
        ),
        (
            _set(("messageSignature", "signature"), ""),
            "`messageSignature.signature` is not a non-empty string",
        ),
        (
            _set(("messageSignature", "messageDigest", "algorithm"), "SHA2_384"),
            "`messageSignature.messageDigest.algorithm` is not SHA2_256",
        ),
        (
            _set(("messageSignature", "messageDigest", "digest"), "AAAA"),
            "`messageSignature.messageDigest.digest` is not a SHA-256 digest",
        ),
        (
            _set(("verificationMaterial", "publicKey", "hint"), 7),
            "`verificationMaterial.publicKey.hint` is not a non-empty string",
        ),
    ],
)
def test_malformed_bundles_are_named_as_such(
    private_key: ec.EllipticCurvePrivateKey,
    public_key: ec.EllipticCurvePublicKey,
    change: Any,
    detail: str,
) -> None:
    bundle = change(copy.deepcopy(sign_blob_with_key(REPORT, private_key)))

    with pytest.raises(VerificationError) as caught:
        verify_blob_with_key(REPORT, bundle, public_key)

    assert caught.value.message.startswith("malformed bundle: ")
    assert detail in caught.value.message


def test_a_keyless_bundle_is_not_checked_against_a_key(
    private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey
) -> None:
    bundle = sign_blob_with_key(REPORT, private_key)
    bundle["verificationMaterial"] = {"certificate": {"rawBytes": "AAAA"}}

    with pytest.raises(VerificationError) as caught:
        verify_blob_with_key(REPORT, bundle, public_key)

    assert caught.value.message == (
        "bundle is signed keyless (it carries a certificate), not with a key"
    )


def test_a_dsse_bundle_is_not_a_file_signature(
    private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey
) -> None:
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [{"name": "a", "digest": {"sha256": "0" * 64}}],
        "predicateType": "https://example.org/p",
        "predicate": {},
    }
    bundle = sign_statement_with_key(statement, private_key)

    with pytest.raises(VerificationError) as caught:
        verify_blob_with_key(REPORT, bundle, public_key)

    assert caught.value.message == (
        "bundle holds a DSSE envelope, not the signature of a file"
    )
