"""The facade: choosing a signer from options, and verifying by bundle kind."""

from __future__ import annotations

from pathlib import Path

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ledgerlens.errors import SigningError, UsageError, VerificationError
from ledgerlens.signing import (
    KeyPairPaths,
    KeySigner,
    SigningOptions,
    VerifyOptions,
    key_hint,
    open_signer,
    verify_blob,
    verify_statement,
)
from ledgerlens.signing.bundle import sign_blob_with_key

from .conftest import PASSWORD

STATEMENT = {
    "_type": "https://in-toto.io/Statement/v1",
    "subject": [{"name": "findings.json", "digest": {"sha256": "12" * 32}}],
    "predicateType": "https://ledgerlens.dev/evidence-pack/v1",
    "predicate": {"verdict": "pass"},
}


def test_no_sign_gives_no_signer() -> None:
    with open_signer(SigningOptions(no_sign=True)) as signer:
        assert signer is None


def test_a_key_path_gives_a_key_signer_with_the_env_passphrase(
    key_pair: KeyPairPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERLENS_KEY_PASSWORD", PASSWORD.decode())
    public = VerifyOptions(key_path=key_pair.public_key)

    with open_signer(SigningOptions(key_path=key_pair.private_key)) as signer:
        assert isinstance(signer, KeySigner)
        blob_bundle = signer.sign_blob(b"checkpoint note\n")
        pack_bundle = signer.sign_statement(STATEMENT)

    hint = signer.hint
    assert signer.description == f"key {hint}"
    assert verify_blob(b"checkpoint note\n", blob_bundle, public) == f"key {hint}"
    assert verify_statement(pack_bundle, public) == (STATEMENT, f"key {hint}")


def test_a_wrong_env_passphrase_stops_the_run(
    key_pair: KeyPairPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LEDGERLENS_KEY_PASSWORD", "guess")

    with (
        pytest.raises(SigningError, match="^wrong passphrase for "),
        open_signer(SigningOptions(key_path=key_pair.private_key)),
    ):
        pytest.fail("a signer opened with the wrong passphrase")


def test_nothing_to_sign_with_is_the_no_signer_error() -> None:
    # No instance chosen: ambient detection is not even attempted.
    with (
        pytest.raises(SigningError) as caught,
        open_signer(SigningOptions()),
    ):
        pytest.fail("a signer opened with nothing to sign with")

    assert caught.value.message == "no identity and no key"
    assert caught.value.remedy == (
        "pass --signing-key KEY (see `ledgerlens keygen`) or --identity-token, "
        "or --no-sign for a dry run"
    )


def test_a_token_without_an_instance_is_a_usage_error() -> None:
    with (
        pytest.raises(UsageError) as caught,
        open_signer(SigningOptions(identity_token="eyJ.token.sig")),
    ):
        pytest.fail("a keyless signer opened without an instance")

    assert caught.value.message == "keyless signing needs a Sigstore instance"


def test_a_key_and_a_token_together_are_a_usage_error(
    key_pair: KeyPairPaths,
) -> None:
    options = SigningOptions(key_path=key_pair.private_key, identity_token="t")

    with (
        pytest.raises(UsageError, match="^both a signing key and an identity token"),
        open_signer(options),
    ):
        pytest.fail("a signer opened with two identities")


def test_the_token_never_shows_in_the_options_repr() -> None:
    options = SigningOptions(identity_token="eyJsecret.token.value", instance="staging")

    assert "eyJsecret" not in repr(options)
    assert "instance='staging'" in repr(options)


def test_a_key_bundle_needs_a_public_key(
    private_key: ec.EllipticCurvePrivateKey,
) -> None:
    bundle = sign_blob_with_key(b"data", private_key)
    identity_only = VerifyOptions(
        cert_identity="auditor@example.test",
        cert_oidc_issuer="https://issuer.example.test",
        instance="production",
    )

    with pytest.raises(UsageError) as caught:
        verify_blob(b"data", bundle, identity_only)

    assert caught.value.one_line() == (
        "the bundle is signed with a managed key and no public key was given "
        "(pass --key KEY.pub, the signer's public key)"
    )


def test_a_keyless_bundle_needs_an_identity_and_an_issuer(
    key_pair: KeyPairPaths,
) -> None:
    bundle = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"certificate": {"rawBytes": "AAAA"}},
        "messageSignature": {"signature": "AAAA"},
    }
    half = VerifyOptions(
        key_path=key_pair.public_key, cert_identity="auditor@example.test"
    )

    with pytest.raises(UsageError) as caught:
        verify_statement(bundle, half)

    assert caught.value.message == (
        "the bundle is signed keyless and no expected identity was given"
    )


def test_verification_reports_the_key_that_verified(
    key_pair: KeyPairPaths, private_key: ec.EllipticCurvePrivateKey
) -> None:
    bundle = sign_blob_with_key(b"data", private_key)

    signer = verify_blob(b"data", bundle, VerifyOptions(key_path=key_pair.public_key))

    assert signer == f"key {key_hint(private_key)}"


def test_a_missing_public_key_file_is_a_usage_error(
    private_key: ec.EllipticCurvePrivateKey, tmp_path: Path
) -> None:
    bundle = sign_blob_with_key(b"data", private_key)

    with pytest.raises(UsageError, match="^cannot read key file "):
        verify_blob(b"data", bundle, VerifyOptions(key_path=tmp_path / "nope.pub"))


def test_a_document_that_is_no_bundle_is_malformed(key_pair: KeyPairPaths) -> None:
    with pytest.raises(VerificationError) as caught:
        verify_blob(b"data", {"hello": "world"}, VerifyOptions(key_path=Path("x")))

    assert caught.value.message == "malformed bundle: `bundle.mediaType` is missing"
