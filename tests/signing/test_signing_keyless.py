"""Keyless signing and verification up to the network boundary.

No test here reaches a Sigstore service: tokens are refused before any request,
trust roots are the ones shipped with sigstore-python, and the only HTTP
traffic goes to a loopback listener started by the test. Verification is
checked end to end, offline, on a real bundle from Sigstore's staging instance
(see ``assets/README.md``). A full keyless signing round trip against a
loopback Fulcio/Rekor stand-in is a separate, later test.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import http.server
import json
import socket
import threading
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from ledgerlens.errors import SigningError, UsageError, VerificationError
from ledgerlens.signing import (
    SigningOptions,
    VerifyOptions,
    open_signer,
    verify_blob,
    verify_file,
)
from ledgerlens.signing.keyless import (
    find_identity_token,
    keyless_session,
    load_trust_config,
)

STAGING_STORE = "https%3A%2F%2Ftuf-repo-cdn.sigstage.dev"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _identity_token(*, expires_in: int = 600) -> str:
    """An OIDC-shaped JWT; sigstore-python does not check its signature."""
    now = int(time.time())
    header = _b64url(json.dumps({"alg": "HS256", "typ": "JWT"}).encode())
    claims = {
        "iss": "https://issuer.example.test",
        "sub": "auditor@example.test",
        "aud": "sigstore",
        "iat": now - 60,
        "nbf": now - 60,
        "exp": now + expires_in,
    }
    body = _b64url(json.dumps(claims).encode())
    mac = hmac.new(b"test", f"{header}.{body}".encode(), hashlib.sha256).digest()
    return f"{header}.{body}.{_b64url(mac)}"


def _staging_trusted_root() -> dict[str, Any]:
    store = resources.files("sigstore._store").joinpath(STAGING_STORE)
    root: dict[str, Any] = json.loads(store.joinpath("trusted_root.json").read_text())
    return root


def _service(url: str) -> dict[str, Any]:
    return {
        "url": url,
        "majorApiVersion": 1,
        "validFor": {"start": "2020-01-01T00:00:00Z"},
        "operator": "loopback.test",
    }


def _loopback_trust_config(tmp_path: Path, base_url: str) -> Path:
    """A client trust configuration whose Fulcio and Rekor are on loopback."""
    config = {
        "mediaType": "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        "trustedRoot": _staging_trusted_root(),
        "signingConfig": {
            "mediaType": "application/vnd.dev.sigstore.signingconfig.v0.2+json",
            "caUrls": [_service(base_url)],
            "oidcUrls": [],
            "rekorTlogUrls": [_service(base_url)],
            "tsaUrls": [],
            "rekorTlogConfig": {"selector": "ANY"},
            "tsaConfig": {"selector": "ANY"},
        },
    }
    path = tmp_path / "trust-config.json"
    path.write_text(json.dumps(config))
    return path


def _closed_loopback_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
    return port


class _RefusingFulcio(http.server.BaseHTTPRequestHandler):
    """Answers every request 401, as Fulcio does for a token it rejects."""

    seen: list[tuple[str, str | None]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length", "0")))
        type(self).seen.append((self.path, self.headers.get("Authorization")))
        body = json.dumps({"code": 16, "message": "stand-in rejects tokens"}).encode()
        self.send_response(401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def refusing_fulcio() -> Iterator[str]:
    """Base URL of a loopback HTTP listener that refuses every token."""
    _RefusingFulcio.seen = []
    server = http.server.HTTPServer(("127.0.0.1", 0), _RefusingFulcio)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


def _no_ambient_identity() -> str | None:
    # Real ambient detection asks CI providers and cloud metadata services,
    # which a test must not contact; this stands in for "nothing found".
    return None


def test_no_identity_anywhere_is_the_no_signer_error() -> None:
    options = SigningOptions(instance="staging")

    with (
        pytest.raises(SigningError) as caught,
        open_signer(options, detect_identity=_no_ambient_identity),
    ):
        pytest.fail("a signer was opened without any identity")

    assert caught.value.one_line() == (
        "no identity and no key (pass --signing-key KEY (see `ledgerlens keygen`) "
        "or --identity-token, or --no-sign for a dry run)"
    )
    assert caught.value.exit_code == 2


def test_ambient_detection_is_used_only_when_no_token_is_given() -> None:
    def found() -> str | None:
        return "ambient-token"

    assert find_identity_token(None, detect=found) == "ambient-token"
    assert find_identity_token("   ", detect=found) == "ambient-token"
    assert find_identity_token("  given-token\n", detect=found) == "given-token"
    assert find_identity_token(None, detect=_no_ambient_identity) is None


def test_a_malformed_token_is_refused_before_any_request() -> None:
    with (
        pytest.raises(SigningError) as caught,
        keyless_session("not-a-jwt", trust_config=None, instance="staging"),
    ):
        pytest.fail("a session opened with a malformed token")

    assert caught.value.message == (
        "identity token rejected: Identity token is malformed or missing claims"
    )
    assert "--identity-token" in (caught.value.remedy or "")


def test_an_expired_token_is_refused_before_any_request() -> None:
    token = _identity_token(expires_in=-3600)

    with (
        pytest.raises(SigningError) as caught,
        keyless_session(token, trust_config=None, instance="staging"),
    ):
        pytest.fail("a session opened with an expired token")

    assert caught.value.message.startswith("identity token rejected: ")


def test_an_unreachable_loopback_instance_is_a_signing_error(tmp_path: Path) -> None:
    base_url = f"http://127.0.0.1:{_closed_loopback_port()}"
    options = SigningOptions(
        identity_token=_identity_token(),
        trust_config=_loopback_trust_config(tmp_path, base_url),
    )

    with (
        pytest.raises(SigningError) as caught,
        open_signer(options),
    ):
        pytest.fail("a session opened without a Fulcio")

    assert caught.value.message.startswith(
        "the Sigstore instance refused or could not be reached: "
    )
    assert caught.value.remedy == (
        "check the network and the URLs in the trust configuration"
    )


def test_a_loopback_fulcio_from_the_trust_config_receives_the_token(
    tmp_path: Path, refusing_fulcio: str
) -> None:
    token = _identity_token()
    options = SigningOptions(
        identity_token=token,
        trust_config=_loopback_trust_config(tmp_path, refusing_fulcio),
    )

    with (
        pytest.raises(SigningError) as caught,
        open_signer(options),
    ):
        pytest.fail("the refusing stand-in issued a certificate")

    assert _RefusingFulcio.seen == [("/api/v2/signingCert", f"Bearer {token}")]
    assert caught.value.message.startswith(
        "the Sigstore instance refused or could not be reached: 401 Client Error"
    )
    assert token not in caught.value.one_line()


def test_a_trust_config_file_is_loaded_as_written(tmp_path: Path) -> None:
    path = _loopback_trust_config(tmp_path, "http://127.0.0.1:9")

    config = load_trust_config(path, None)

    assert config.signing_config.get_fulcio().url == "http://127.0.0.1:9"
    assert [cert.serial_number for cert in config.trusted_root.get_fulcio_certs()]


def test_named_instances_load_the_shipped_root_offline() -> None:
    staging = load_trust_config(None, "staging")
    production = load_trust_config(None, "production")

    staging_logs = [tlog.base_url for tlog in staging.trusted_root._inner.tlogs]
    production_logs = [tlog.base_url for tlog in production.trusted_root._inner.tlogs]
    assert "https://rekor.sigstage.dev" in staging_logs
    assert "https://rekor.sigstore.dev" in production_logs


@pytest.mark.parametrize(
    ("trust_config", "instance", "message"),
    [
        (None, None, "no Sigstore instance chosen"),
        (None, "prod", "unknown Sigstore instance `prod`"),
        (
            Path("config.json"),
            "staging",
            "both a trust configuration and an instance name were given",
        ),
    ],
)
def test_the_instance_is_never_guessed(
    trust_config: Path | None, instance: str | None, message: str
) -> None:
    with pytest.raises(UsageError) as caught:
        load_trust_config(trust_config, instance)

    assert caught.value.message == message


def test_an_unreadable_or_foreign_trust_config_is_a_usage_error(
    tmp_path: Path,
) -> None:
    missing = tmp_path / "absent.json"
    with pytest.raises(UsageError, match="^cannot read trust configuration "):
        load_trust_config(missing, None)

    foreign = tmp_path / "foreign.json"
    foreign.write_text(json.dumps({"mediaType": "application/json"}))
    with pytest.raises(UsageError) as caught:
        load_trust_config(foreign, None)
    assert caught.value.message.startswith(
        f"`{foreign}` is not a Sigstore client trust configuration: "
    )


def test_a_certificate_bundle_without_log_entry_is_malformed() -> None:
    bundle = {
        "mediaType": "application/vnd.dev.sigstore.bundle.v0.3+json",
        "verificationMaterial": {"certificate": {"rawBytes": "AAAA"}},
        "messageSignature": {
            "messageDigest": {"algorithm": "SHA2_256", "digest": "AAAA"},
            "signature": "AAAA",
        },
    }
    options = VerifyOptions(
        cert_identity="auditor@example.test",
        cert_oidc_issuer="https://issuer.example.test",
        instance="staging",
    )

    with pytest.raises(VerificationError) as caught:
        verify_blob(b"data", bundle, options)

    assert caught.value.message.startswith("malformed bundle: ")


ASSETS = Path(__file__).parent / "assets"
STAGING_FILE = ASSETS / "sigstore-python-bundle_v3.txt"
STAGING_IDENTITY = "william@yossarian.net"
STAGING_ISSUER = "https://github.com/login/oauth"


def _staging_bundle() -> dict[str, Any]:
    path = ASSETS / "sigstore-python-bundle_v3.txt.sigstore.json"
    bundle: dict[str, Any] = json.loads(path.read_text())
    return bundle


def _staging_options(**changes: Any) -> VerifyOptions:
    settings: dict[str, Any] = {
        "cert_identity": STAGING_IDENTITY,
        "cert_oidc_issuer": STAGING_ISSUER,
        "instance": "staging",
    }
    settings.update(changes)
    return VerifyOptions(**settings)


def test_a_real_staging_bundle_verifies_offline() -> None:
    signer = verify_file(STAGING_FILE, _staging_options())

    assert signer == f"identity {STAGING_IDENTITY} issued by {STAGING_ISSUER}"


def test_a_real_staging_bundle_verifies_with_a_trust_config_file(
    tmp_path: Path,
) -> None:
    # Same trusted root, given as a client trust configuration file instead.
    trust_config = _loopback_trust_config(tmp_path, "http://127.0.0.1:9")
    options = _staging_options(instance=None, trust_config=trust_config)

    signer = verify_blob(STAGING_FILE.read_bytes(), _staging_bundle(), options)

    assert signer == f"identity {STAGING_IDENTITY} issued by {STAGING_ISSUER}"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        (
            {"cert_identity": "someone@example.test"},
            "Certificate's SANs do not match someone@example.test",
        ),
        (
            {"cert_oidc_issuer": "https://accounts.google.com"},
            "Certificate's OIDCIssuer does not match",
        ),
        ({"instance": "production"}, "failed to build timestamp certificate chain"),
    ],
)
def test_the_wrong_identity_issuer_or_instance_does_not_verify(
    changes: dict[str, Any], expected: str
) -> None:
    with pytest.raises(VerificationError) as caught:
        verify_blob(
            STAGING_FILE.read_bytes(), _staging_bundle(), _staging_options(**changes)
        )

    assert caught.value.message.startswith("keyless signature does not verify: ")
    assert expected in caught.value.message


def test_changed_content_is_for_another_file_with_keyless_bundles_too() -> None:
    with pytest.raises(VerificationError, match="^bundle is for another file: "):
        verify_blob(
            STAGING_FILE.read_bytes() + b"\n", _staging_bundle(), _staging_options()
        )


def test_a_changed_keyless_signature_does_not_verify() -> None:
    bundle = _staging_bundle()
    signature = bytearray(base64.b64decode(bundle["messageSignature"]["signature"]))
    signature[-1] ^= 0x01
    bundle["messageSignature"]["signature"] = base64.b64encode(signature).decode()

    with pytest.raises(VerificationError) as caught:
        verify_blob(STAGING_FILE.read_bytes(), bundle, _staging_options())

    assert caught.value.message.startswith("keyless signature does not verify: ")
