"""The failures users meet when signing or verifying, each as one line with a remedy.

Keyless bundles come from the loopback stand-in; every verification runs with
the stand-in stopped and with socket creation forbidden, so a failing check
can neither reach the network nor hang waiting for it.
"""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest

from ledgerlens.errors import LedgerlensError, SigningError, VerificationError
from ledgerlens.signing import (
    KeyPairPaths,
    SigningOptions,
    VerifyOptions,
    keyless,
    open_signer,
    sign_file,
    verify_blob,
    verify_file,
    verify_pack,
    verify_statement,
)

from ._support import KeylessSetup, SocketGuard
from .standin import StandIn

CONTENT = b"audit report bytes\n"
STATEMENT: dict[str, Any] = {
    "_type": "https://in-toto.io/Statement/v1",
    "subject": [{"name": "findings.json", "digest": {"sha256": "cd" * 32}}],
    "predicateType": "https://ledgerlens.dev/evidence-pack/v1",
    "predicate": {},
}
DOES_NOT_VERIFY = "keyless signature does not verify: "
IDENTITY_REMEDY = (
    "check --cert-identity, --cert-oidc-issuer and the instance the bundle was "
    "signed with"
)


def _sign(setup: KeylessSetup, *blobs: bytes) -> list[dict[str, Any]]:
    options = SigningOptions(
        identity_token=setup.token, trust_config=setup.trust_config
    )
    with open_signer(options) as signer:
        assert signer is not None
        return [signer.sign_blob(blob) for blob in blobs]


def _options(setup: KeylessSetup, **changes: Any) -> VerifyOptions:
    settings: dict[str, Any] = {
        "cert_identity": setup.identity,
        "cert_oidc_issuer": setup.issuer,
        "trust_config": setup.trust_config,
    }
    settings.update(changes)
    return VerifyOptions(**settings)


def _offline(standin: StandIn, no_sockets: SocketGuard) -> None:
    standin.stop()
    no_sockets.armed = True


def _assert_one_line(error: LedgerlensError) -> None:
    assert "\n" not in error.one_line()
    assert error.remedy


def test_no_identity_and_no_key() -> None:
    with pytest.raises(SigningError) as caught, open_signer(SigningOptions()):
        pytest.fail("a signer opened with nothing to sign with")

    assert caught.value.one_line() == (
        "no identity and no key (pass --signing-key KEY (see `ledgerlens keygen`) "
        "or --identity-token, or --no-sign for a dry run)"
    )
    assert caught.value.exit_code == 2


@pytest.mark.parametrize(
    ("changes", "detail"),
    [
        (
            {"cert_identity": "intruder@ledgerlens.test"},
            "Certificate's SANs do not match intruder@ledgerlens.test",
        ),
        (
            {"cert_oidc_issuer": "https://accounts.google.com"},
            "Certificate's OIDCIssuer does not match (got "
            "'https://oidc.ledgerlens.test', expected 'https://accounts.google.com')",
        ),
    ],
)
def test_a_wrong_identity_or_issuer_does_not_verify(
    sigstore_standin: KeylessSetup,
    standin: StandIn,
    no_sockets: SocketGuard,
    changes: dict[str, str],
    detail: str,
) -> None:
    (bundle,) = _sign(sigstore_standin, CONTENT)
    _offline(standin, no_sockets)

    with pytest.raises(VerificationError) as caught:
        verify_blob(CONTENT, bundle, _options(sigstore_standin, **changes))

    assert caught.value.message.startswith(DOES_NOT_VERIFY + detail)
    assert caught.value.remedy == IDENTITY_REMEDY
    assert caught.value.exit_code == 1
    _assert_one_line(caught.value)
    assert no_sockets.attempts == []


def test_a_certificate_bundle_without_its_log_entry_does_not_verify(
    sigstore_standin: KeylessSetup, standin: StandIn, no_sockets: SocketGuard
) -> None:
    (bundle,) = _sign(sigstore_standin, CONTENT)
    _offline(standin, no_sockets)
    bundle["verificationMaterial"]["tlogEntries"] = []

    with pytest.raises(VerificationError) as caught:
        verify_blob(CONTENT, bundle, _options(sigstore_standin))

    assert caught.value.one_line() == (
        "keyless bundle has no transparency-log entry, so nothing shows its "
        "short-lived certificate was valid when it signed (fetch the complete "
        "bundle from the signer, or sign the artefact again with an instance "
        "that logs signatures)"
    )


def test_a_log_entry_outside_the_certificate_validity_does_not_verify(
    sigstore_standin: KeylessSetup, standin: StandIn, no_sockets: SocketGuard
) -> None:
    # The log records the signature an hour after the ten-minute certificate.
    standin.log_skew = 3600
    (bundle,) = _sign(sigstore_standin, CONTENT)
    _offline(standin, no_sockets)

    with pytest.raises(VerificationError) as caught:
        verify_blob(CONTENT, bundle, _options(sigstore_standin))

    assert caught.value.message.startswith(
        "the signing certificate was not valid when the log recorded the "
        "signature (logged "
    )
    assert caught.value.remedy == (
        "this signature proves nothing; sign the artefact again"
    )
    _assert_one_line(caught.value)


def test_sigstore_itself_refuses_a_log_entry_outside_the_validity(
    sigstore_standin: KeylessSetup,
    standin: StandIn,
    no_sockets: SocketGuard,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Our check only explains the failure; without it sigstore still refuses.
    standin.log_skew = 3600
    (bundle,) = _sign(sigstore_standin, CONTENT)
    _offline(standin, no_sockets)
    monkeypatch.setattr(keyless, "_check_signing_time", lambda bundle: None)

    with pytest.raises(VerificationError) as caught:
        verify_blob(CONTENT, bundle, _options(sigstore_standin))

    assert caught.value.message.startswith(
        DOES_NOT_VERIFY + "failed to build timestamp certificate chain"
    )


def test_a_bundle_for_another_file_does_not_verify(
    sigstore_standin: KeylessSetup, standin: StandIn, no_sockets: SocketGuard
) -> None:
    _report_bundle, other_bundle = _sign(sigstore_standin, CONTENT, b"other file\n")
    _offline(standin, no_sockets)

    with pytest.raises(VerificationError) as caught:
        verify_blob(CONTENT, other_bundle, _options(sigstore_standin))

    assert caught.value.message.startswith("bundle is for another file: it signs ")
    assert caught.value.remedy == (
        "the file changed since signing, or the bundle belongs to another file; "
        "fetch the original file and its own bundle"
    )


def test_a_changed_byte_in_the_file_does_not_verify(
    sigstore_standin: KeylessSetup,
    standin: StandIn,
    no_sockets: SocketGuard,
    tmp_path: Path,
) -> None:
    report = tmp_path / "audit-report.pdf"
    report.write_bytes(CONTENT)
    options = SigningOptions(
        identity_token=sigstore_standin.token,
        trust_config=sigstore_standin.trust_config,
    )
    with open_signer(options) as signer:
        assert signer is not None
        sign_file(report, signer)
    _offline(standin, no_sockets)
    assert verify_file(report, _options(sigstore_standin)).startswith("identity ")

    report.write_bytes(CONTENT.replace(b"audit", b"Audit"))
    with pytest.raises(VerificationError) as caught:
        verify_file(report, _options(sigstore_standin))

    assert caught.value.message.startswith(
        "`audit-report.pdf`: bundle is for another file: "
    )
    _assert_one_line(caught.value)


def test_a_changed_byte_in_the_signature_does_not_verify(
    sigstore_standin: KeylessSetup, standin: StandIn, no_sockets: SocketGuard
) -> None:
    (bundle,) = _sign(sigstore_standin, CONTENT)
    _offline(standin, no_sockets)
    signature = bytearray(base64.b64decode(bundle["messageSignature"]["signature"]))
    signature[10] ^= 0x01
    bundle["messageSignature"]["signature"] = base64.b64encode(signature).decode()

    with pytest.raises(VerificationError) as caught:
        verify_blob(CONTENT, bundle, _options(sigstore_standin))

    assert caught.value.message.startswith(DOES_NOT_VERIFY)
    _assert_one_line(caught.value)


def test_a_changed_byte_in_a_keyless_statement_does_not_verify(
    sigstore_standin: KeylessSetup, standin: StandIn, no_sockets: SocketGuard
) -> None:
    options = SigningOptions(
        identity_token=sigstore_standin.token,
        trust_config=sigstore_standin.trust_config,
    )
    with open_signer(options) as signer:
        assert signer is not None
        bundle = signer.sign_statement(STATEMENT)
    _offline(standin, no_sockets)
    envelope = bundle["dsseEnvelope"]
    payload = base64.b64decode(envelope["payload"]).replace(b"cdcd", b"cdce", 1)
    envelope["payload"] = base64.b64encode(payload).decode()

    with pytest.raises(VerificationError) as caught:
        verify_statement(bundle, _options(sigstore_standin))

    assert caught.value.message.startswith(DOES_NOT_VERIFY)
    assert no_sockets.attempts == []


def test_a_missing_bundle_or_pack_is_named(tmp_path: Path) -> None:
    report = tmp_path / "audit-report.pdf"
    report.write_bytes(CONTENT)
    options = VerifyOptions(key_path=tmp_path / "signing-key.pub")

    with pytest.raises(VerificationError) as missing_bundle:
        verify_file(report, options)
    with pytest.raises(VerificationError) as missing_pack:
        verify_pack(tmp_path, options)

    assert missing_bundle.value.one_line() == (
        f"missing bundle for `{report}` (expected `audit-report.pdf.sigstore.json` "
        "beside it; fetch it from the signer)"
    )
    assert missing_pack.value.one_line() == (
        f"missing evidence pack `{tmp_path / 'evidence.intoto.sigstore.json'}` "
        "(fetch it from the signer, or pass the right directory)"
    )


def test_a_wrong_passphrase_is_named(
    key_pair: KeyPairPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERLENS_KEY_PASSWORD", "not the passphrase")

    with (
        pytest.raises(SigningError) as caught,
        open_signer(SigningOptions(key_path=key_pair.private_key)),
    ):
        pytest.fail("a signer opened with the wrong passphrase")

    assert caught.value.one_line() == (
        f"wrong passphrase for `{key_pair.private_key}` (set LEDGERLENS_KEY_PASSWORD "
        "to the passphrase given at `ledgerlens keygen`, or run from a terminal "
        "to be asked for it)"
    )


def test_verification_needs_no_network_even_when_it_fails(
    sigstore_standin: KeylessSetup, standin: StandIn, no_sockets: SocketGuard
) -> None:
    (bundle,) = _sign(sigstore_standin, CONTENT)
    _offline(standin, no_sockets)
    wrong = _options(sigstore_standin, cert_identity="intruder@ledgerlens.test")

    assert verify_blob(CONTENT, bundle, _options(sigstore_standin)).startswith(
        "identity auditor@ledgerlens.test "
    )
    with pytest.raises(VerificationError):
        verify_blob(CONTENT, bundle, wrong)
    with pytest.raises(VerificationError):
        verify_blob(CONTENT, json.loads(json.dumps(bundle)), wrong)

    assert no_sockets.attempts == []
