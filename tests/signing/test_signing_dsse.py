"""DSSE envelopes with in-toto statements: PAE, round trip, tampering."""

from __future__ import annotations

import base64
import copy
import json
from typing import Any

import pytest
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec
from sigstore import dsse as sigstore_dsse

from ledgerlens.errors import SigningError, VerificationError
from ledgerlens.integrity.jcs import canonicalize
from ledgerlens.signing.bundle import sign_blob_with_key
from ledgerlens.signing.dsse import (
    PAYLOAD_TYPE,
    pae,
    sign_statement_with_key,
    verify_statement_with_key,
)
from ledgerlens.signing.keys import key_hint

STATEMENT: dict[str, Any] = {
    "_type": "https://in-toto.io/Statement/v1",
    "subject": [
        {"name": "findings.json", "digest": {"sha256": "ab" * 32}},
        {"name": "report/governance.pdf", "digest": {"sha256": "cd" * 32}},
    ],
    "predicateType": "https://ledgerlens.dev/evidence-pack/v1",
    "predicate": {"date": "2025-03-14", "verdict": "pass", "records": 1204},
}


def test_pae_matches_the_dsse_specification_example() -> None:
    # The worked example of the DSSE v1 protocol document.
    assert (
        pae("http://example.com/HelloWorld", b"hello world")
        == b"DSSEv1 29 http://example.com/HelloWorld 11 hello world"
    )


def test_pae_counts_bytes_and_agrees_with_sigstore_python() -> None:
    payload = "é, ünïcode and \n newlines".encode()

    ours = pae(PAYLOAD_TYPE, payload)

    assert ours == b"DSSEv1 28 application/vnd.in-toto+json %d %b" % (
        len(payload),
        payload,
    )
    assert ours == sigstore_dsse._pae(PAYLOAD_TYPE, payload)


def test_statement_round_trips(
    private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey
) -> None:
    bundle = sign_statement_with_key(STATEMENT, private_key)

    assert verify_statement_with_key(bundle, public_key) == STATEMENT


def test_envelope_layout_and_independent_signature_check(
    private_key: ec.EllipticCurvePrivateKey,
) -> None:
    bundle = sign_statement_with_key(STATEMENT, private_key)

    envelope = bundle["dsseEnvelope"]
    hint = key_hint(private_key)
    assert bundle["mediaType"] == "application/vnd.dev.sigstore.bundle.v0.3+json"
    assert bundle["verificationMaterial"] == {
        "publicKey": {"hint": hint},
        "tlogEntries": [],
    }
    assert "messageSignature" not in bundle
    assert envelope["payloadType"] == "application/vnd.in-toto+json"
    payload = base64.b64decode(envelope["payload"])
    assert payload == canonicalize(STATEMENT)
    assert [s["keyid"] for s in envelope["signatures"]] == [hint]

    signed = b"DSSEv1 28 application/vnd.in-toto+json %d %b" % (len(payload), payload)
    signature = base64.b64decode(envelope["signatures"][0]["sig"])
    private_key.public_key().verify(signature, signed, ec.ECDSA(hashes.SHA256()))


def test_a_changed_statement_does_not_verify(
    private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey
) -> None:
    bundle = sign_statement_with_key(STATEMENT, private_key)
    altered = copy.deepcopy(STATEMENT)
    altered["subject"][1]["digest"]["sha256"] = "ef" * 32
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(canonicalize(altered)).decode()

    with pytest.raises(VerificationError) as caught:
        verify_statement_with_key(bundle, public_key)

    assert caught.value.message == (
        "signature does not verify: the evidence pack bundle was altered"
    )


def test_a_changed_payload_type_does_not_verify(
    private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey
) -> None:
    bundle = sign_statement_with_key(STATEMENT, private_key)
    bundle["dsseEnvelope"]["payloadType"] = "application/json"

    with pytest.raises(VerificationError, match="^signature does not verify: "):
        verify_statement_with_key(bundle, public_key)


def test_a_signed_envelope_of_another_type_is_refused(
    private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey
) -> None:
    bundle = sign_statement_with_key(STATEMENT, private_key)
    payload = b'{"hello": "world"}'
    signature = private_key.sign(
        pae("application/json", payload), ec.ECDSA(hashes.SHA256())
    )
    bundle["dsseEnvelope"] = {
        "payload": base64.b64encode(payload).decode(),
        "payloadType": "application/json",
        "signatures": [{"sig": base64.b64encode(signature).decode()}],
    }

    with pytest.raises(VerificationError) as caught:
        verify_statement_with_key(bundle, public_key)

    assert caught.value.message == (
        "envelope payload type is not application/vnd.in-toto+json"
    )


def test_another_key_is_named(private_key: ec.EllipticCurvePrivateKey) -> None:
    bundle = sign_statement_with_key(STATEMENT, private_key)
    stranger = ec.generate_private_key(ec.SECP256R1()).public_key()

    with pytest.raises(VerificationError, match="^bundle was signed with key "):
        verify_statement_with_key(bundle, stranger)


def test_two_signatures_are_refused(
    private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey
) -> None:
    bundle = sign_statement_with_key(STATEMENT, private_key)
    signatures = bundle["dsseEnvelope"]["signatures"]
    signatures.append(dict(signatures[0]))

    with pytest.raises(VerificationError) as caught:
        verify_statement_with_key(bundle, public_key)

    assert caught.value.message == (
        "malformed bundle: `dsseEnvelope.signatures` must hold one signature"
    )


def test_a_keyid_unlike_the_hint_is_refused(
    private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey
) -> None:
    bundle = sign_statement_with_key(STATEMENT, private_key)
    bundle["dsseEnvelope"]["signatures"][0]["keyid"] = "0" * 64

    with pytest.raises(VerificationError) as caught:
        verify_statement_with_key(bundle, public_key)

    assert caught.value.message == (
        "malformed bundle: `dsseEnvelope.signatures[0].keyid` differs from the "
        "bundle's key hint"
    )


def test_a_signed_payload_that_is_no_statement_is_malformed(
    private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey
) -> None:
    bundle = sign_statement_with_key(STATEMENT, private_key)
    payload = json.dumps({"_type": "https://in-toto.io/Statement/v0.1"}).encode()
    signature = private_key.sign(pae(PAYLOAD_TYPE, payload), ec.ECDSA(hashes.SHA256()))
    bundle["dsseEnvelope"]["payload"] = base64.b64encode(payload).decode()
    bundle["dsseEnvelope"]["signatures"][0]["sig"] = base64.b64encode(
        signature
    ).decode()

    with pytest.raises(VerificationError) as caught:
        verify_statement_with_key(bundle, public_key)

    assert caught.value.message == (
        "malformed bundle: payload is not an in-toto Statement v1: "
        "`_type` is not https://in-toto.io/Statement/v1"
    )


def test_a_file_signature_is_not_a_statement(
    private_key: ec.EllipticCurvePrivateKey, public_key: ec.EllipticCurvePublicKey
) -> None:
    bundle = sign_blob_with_key(b"data", private_key)

    with pytest.raises(VerificationError) as caught:
        verify_statement_with_key(bundle, public_key)

    assert caught.value.message == "bundle signs a file, it holds no DSSE envelope"


def _with(**changes: Any) -> dict[str, Any]:
    statement = copy.deepcopy(STATEMENT)
    statement.update(changes)
    return statement


@pytest.mark.parametrize(
    ("statement", "problem"),
    [
        (_with(_type="https://in-toto.io/Statement/v0.1"), "`_type` is not"),
        (_with(subject=[]), "`subject` is not a non-empty list"),
        (
            _with(subject=[{"name": "a", "digest": {"sha256": "AB" * 32}}]),
            "subject 0: `digest.sha256` is not 64 lowercase hex digits",
        ),
        (
            _with(subject=[{"name": "", "digest": {"sha256": "ab" * 32}}]),
            "subject 0: `name` is not a non-empty string",
        ),
        (_with(predicateType=""), "`predicateType` is not a non-empty string"),
        (_with(predicate=["not", "an", "object"]), "`predicate` is not an object"),
    ],
)
def test_signing_refuses_what_is_no_in_toto_statement(
    private_key: ec.EllipticCurvePrivateKey, statement: dict[str, Any], problem: str
) -> None:
    with pytest.raises(SigningError) as caught:
        sign_statement_with_key(statement, private_key)

    assert caught.value.message.startswith("not an in-toto Statement v1: ")
    assert problem in caught.value.message


def test_signing_refuses_a_statement_without_canonical_json(
    private_key: ec.EllipticCurvePrivateKey,
) -> None:
    statement = _with(predicate={"score": float("nan")})

    with pytest.raises(SigningError, match="^the statement has no canonical JSON"):
        sign_statement_with_key(statement, private_key)
