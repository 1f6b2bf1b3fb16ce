"""Keyless signing end to end against the loopback Sigstore stand-in.

sigstore-python does all the work here: it asks the stand-in's Fulcio for a
certificate, checks the embedded SCT, logs each signature in the stand-in's
Rekor and builds the bundles; verification then runs offline, with the
stand-in stopped, against the trusted root in the trust configuration.
"""

from __future__ import annotations

import base64
import json
import logging
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from ledgerlens.errors import UsageError
from ledgerlens.signing import (
    SigningOptions,
    VerifyOptions,
    open_signer,
    sign_file,
    verify_blob,
    verify_pack,
    verify_statement,
    write_pack,
)
from ledgerlens.signing.keyless import IDENTITY_TOKEN_ENV

from ._support import KeylessSetup, SocketGuard
from .standin import StandIn

SIGNING_CERT = ("POST", "/api/v2/signingCert")
LOG_ENTRY = ("POST", "/api/v1/log/entries")
CONTENT = b"sealed checkpoint note\n"
STATEMENT: dict[str, Any] = {
    "_type": "https://in-toto.io/Statement/v1",
    "subject": [{"name": "findings.json", "digest": {"sha256": "ab" * 32}}],
    "predicateType": "https://ledgerlens.dev/evidence-pack/v1",
    "predicate": {"kind": "nightly-audit", "date": "2026-11-23"},
}


def _verify_options(setup: KeylessSetup) -> VerifyOptions:
    return VerifyOptions(
        cert_identity=setup.identity,
        cert_oidc_issuer=setup.issuer,
        trust_config=setup.trust_config,
    )


def _never_detect() -> str | None:
    # Real ambient detection asks CI providers and cloud metadata services.
    msg = "ambient detection ran although a token was given"
    raise AssertionError(msg)


def _certificate(bundle: dict[str, Any]) -> bytes:
    return base64.b64decode(bundle["verificationMaterial"]["certificate"]["rawBytes"])


def test_one_session_signs_a_blob_and_a_statement_with_one_certificate(
    sigstore_standin: KeylessSetup, standin: StandIn
) -> None:
    options = SigningOptions(
        identity_token=sigstore_standin.token,
        trust_config=sigstore_standin.trust_config,
    )

    with open_signer(options, detect_identity=_never_detect) as signer:
        assert signer is not None
        blob_bundle = signer.sign_blob(CONTENT)
        pack_bundle = signer.sign_statement(STATEMENT)
        description = signer.description

    assert standin.requests == [SIGNING_CERT, LOG_ENTRY, LOG_ENTRY]
    assert _certificate(blob_bundle) == _certificate(pack_bundle)
    entries = [
        b["verificationMaterial"]["tlogEntries"][0] for b in (blob_bundle, pack_bundle)
    ]
    assert [e["kindVersion"]["kind"] for e in entries] == ["hashedrekord", "dsse"]
    # Five filler leaves precede the two entries of this session.
    assert [int(e["logIndex"]) for e in entries] == [5, 6]
    assert description == (
        "identity auditor@ledgerlens.test issued by https://oidc.ledgerlens.test"
    )


def test_bundles_verify_offline_once_the_stand_in_is_gone(
    sigstore_standin: KeylessSetup, standin: StandIn, no_sockets: SocketGuard
) -> None:
    options = SigningOptions(
        identity_token=sigstore_standin.token,
        trust_config=sigstore_standin.trust_config,
    )
    with open_signer(options) as signer:
        assert signer is not None
        blob_bundle = signer.sign_blob(CONTENT)
        pack_bundle = signer.sign_statement(STATEMENT)
    standin.stop()
    no_sockets.armed = True

    verify = _verify_options(sigstore_standin)
    blob_signer = verify_blob(CONTENT, blob_bundle, verify)
    statement, pack_signer = verify_statement(pack_bundle, verify)

    expected = (
        f"identity {sigstore_standin.identity} issued by {sigstore_standin.issuer}"
    )
    assert blob_signer == expected
    assert pack_signer == expected
    assert statement == STATEMENT
    assert no_sockets.attempts == []


def test_an_evidence_pack_signed_keyless_verifies_and_finds_a_changed_file(
    sigstore_standin: KeylessSetup, standin: StandIn, tmp_path: Path
) -> None:
    run = tmp_path / "run"
    run.mkdir()
    (run / "findings.json").write_text('{"verdict": "pass"}\n')
    (run / "checkpoint.note").write_bytes(CONTENT)
    options = SigningOptions(
        identity_token=sigstore_standin.token,
        trust_config=sigstore_standin.trust_config,
    )
    with open_signer(options) as signer:
        assert signer is not None
        write_pack(
            run,
            [run / "findings.json", run / "checkpoint.note"],
            {"kind": "test"},
            signer,
        )
    standin.stop()

    report = verify_pack(run, _verify_options(sigstore_standin))
    assert report.ok
    assert [(s.name, s.state) for s in report.subjects] == [
        ("checkpoint.note", "ok"),
        ("findings.json", "ok"),
    ]

    (run / "findings.json").write_text('{"verdict": "fail"}\n')
    changed = verify_pack(run, _verify_options(sigstore_standin))
    assert not changed.ok
    assert [(s.name, s.state) for s in changed.problems] == [
        ("findings.json", "changed")
    ]


def test_the_token_comes_from_the_environment_when_none_is_given(
    sigstore_standin: KeylessSetup,
    standin: StandIn,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The CLI hands --identity-token to the signing stage this way.
    monkeypatch.setenv(IDENTITY_TOKEN_ENV, sigstore_standin.token)
    options = SigningOptions(trust_config=sigstore_standin.trust_config)

    with open_signer(options, detect_identity=_never_detect) as signer:
        assert signer is not None
        bundle = signer.sign_blob(CONTENT)
    standin.stop()

    signer_name = verify_blob(CONTENT, bundle, _verify_options(sigstore_standin))
    assert signer_name.startswith(f"identity {sigstore_standin.identity} ")
    assert standin.requests[0] == SIGNING_CERT


def test_a_token_in_the_environment_with_a_key_is_refused(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(IDENTITY_TOKEN_ENV, "header.claims.signature")
    options = SigningOptions(key_path=tmp_path / "ledgerlens-signing.key")

    with pytest.raises(UsageError) as caught, open_signer(options):
        pytest.fail("a signer opened with both a key and a token")

    assert caught.value.one_line() == (
        "both a signing key and an identity token were given (pass only one of "
        "--signing-key, --identity-token (or LEDGERLENS_IDENTITY_TOKEN))"
    )


def test_a_token_in_the_environment_without_an_instance_is_refused(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(IDENTITY_TOKEN_ENV, "header.claims.signature")

    with pytest.raises(UsageError) as caught, open_signer(SigningOptions()):
        pytest.fail("a signer opened without an instance")

    assert caught.value.message == "keyless signing needs a Sigstore instance"


def test_the_token_reaches_no_log_line_and_no_bundle(
    sigstore_standin: KeylessSetup, caplog: pytest.LogCaptureFixture
) -> None:
    options = SigningOptions(
        identity_token=sigstore_standin.token,
        trust_config=sigstore_standin.trust_config,
    )
    # Every logger, sigstore's and urllib3's debug lines included. The CLI may
    # have stopped the package logger propagating, so listen to it directly.
    package = logging.getLogger("ledgerlens")
    package.addHandler(caplog.handler)
    try:
        with (
            caplog.at_level(logging.DEBUG),
            caplog.at_level(logging.DEBUG, logger="ledgerlens"),
            open_signer(options) as signer,
        ):
            assert signer is not None
            bundles = [signer.sign_blob(CONTENT), signer.sign_statement(STATEMENT)]
    finally:
        package.removeHandler(caplog.handler)

    assert any(r.name.startswith("sigstore") for r in caplog.records)
    assert "auditor@ledgerlens.test" in caplog.text
    token_parts = sigstore_standin.token.split(".")
    for record in caplog.records:
        text = record.getMessage()
        assert all(part not in text for part in token_parts)
    assert all(part not in json.dumps(bundles) for part in token_parts)
    assert sigstore_standin.token not in repr(options)


def test_sigstore_pythons_own_cli_accepts_our_keyless_bundle_offline(
    sigstore_standin: KeylessSetup, standin: StandIn, tmp_path: Path
) -> None:
    report = tmp_path / "audit-report.pdf"
    report.write_bytes(b"%PDF-1.7 stand-in report\n")
    options = SigningOptions(
        identity_token=sigstore_standin.token,
        trust_config=sigstore_standin.trust_config,
    )
    with open_signer(options) as signer:
        assert signer is not None
        bundle_path = sign_file(report, signer)
    standin.stop()

    # A child process escapes the socket guards; --offline with a trust
    # configuration file makes it read nothing but these files.
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sigstore",
            "--trust-config",
            str(sigstore_standin.trust_config),
            "verify",
            "identity",
            "--offline",
            "--bundle",
            str(bundle_path),
            "--cert-identity",
            sigstore_standin.identity,
            "--cert-oidc-issuer",
            sigstore_standin.issuer,
            str(report),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    # sigstore-python reports success on stderr.
    assert f"OK: {report}" in result.stderr.splitlines()
