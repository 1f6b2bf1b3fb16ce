"""The stand-in's HTTP face: Fulcio v2 and Rekor v1 endpoints on 127.0.0.1.

Only what sigstore-python 4.5.1 calls when it signs is served:

* ``POST /api/v2/signingCert`` (Fulcio): a bearer OIDC token and a JSON body
  ``{"certificateSigningRequest": base64(PEM CSR)}``; the answer is
  ``{"signedCertificateEmbeddedSct": {"chain": {"certificates": [PEM...]}}}``
  with the leaf first;
* ``POST /api/v1/log/entries`` (Rekor v1): a proposed ``hashedrekord`` or
  ``dsse`` entry; the answer is ``{uuid: entry}`` with status 201.

:class:`StandIn` also writes the client trust configuration that points
sigstore-python at it and lists its CA, CT log and Rekor keys.
"""

from __future__ import annotations

import base64
import http.server
import json
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Final

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from .authority import (
    CertificateAuthority,
    CTLog,
    key_id,
    spki_der,
)
from .rekor import TransparencyLog
from .token import AUDIENCE, decode_claims, mint_token

__all__ = ["IDENTITY", "ISSUER", "StandIn"]

ISSUER: Final = "https://oidc.ledgerlens.test"
IDENTITY: Final = "auditor@ledgerlens.test"
_TRUST_CONFIG_TYPE: Final = "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json"
_TRUSTED_ROOT_TYPE: Final = "application/vnd.dev.sigstore.trustedroot+json;version=0.1"
_SIGNING_CONFIG_TYPE: Final = "application/vnd.dev.sigstore.signingconfig.v0.2+json"


class _Refused(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


@dataclass
class StandIn:
    """A Fulcio-like CA and a Rekor-like log served over HTTP on loopback.

    ``cert_lifetime`` is how long issued certificates live; ``log_skew``
    shifts the log's clock (seconds), so a test can have an entry integrated
    outside its certificate's validity.
    """

    cert_lifetime: timedelta = timedelta(minutes=10)
    log_skew: int = 0
    ca: CertificateAuthority = field(init=False)
    log: TransparencyLog = field(init=False)
    requests: list[tuple[str, str]] = field(default_factory=list)
    _server: http.server.ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    def __post_init__(self) -> None:
        """Make the keys; nothing listens until :meth:`start`."""
        self.ca = CertificateAuthority(CTLog())
        self.log = TransparencyLog(clock=lambda: int(time.time()) + self.log_skew)

    @property
    def url(self) -> str:
        """Base URL of the running server."""
        if self._server is None:
            msg = "the stand-in is not running"
            raise RuntimeError(msg)
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        """Listen on a free port of 127.0.0.1, in a daemon thread."""
        self._server = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), _handler_for(self)
        )
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop listening and close the socket; safe to call twice."""
        if self._server is None:
            return
        self._server.shutdown()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join()
        self._server, self._thread = None, None

    def token(self, *, identity: str = IDENTITY, lifetime: int = 600) -> str:
        """An identity token for ``identity`` from the stand-in's issuer."""
        return mint_token(issuer=ISSUER, email=identity, lifetime=lifetime)

    def write_trust_config(self, path: Path) -> Path:
        """Write the client trust configuration naming this instance."""
        url = self.url
        config = {
            "mediaType": _TRUST_CONFIG_TYPE,
            "trustedRoot": self.trusted_root(url),
            "signingConfig": {
                "mediaType": _SIGNING_CONFIG_TYPE,
                "caUrls": [_service(url)],
                "oidcUrls": [],
                "rekorTlogUrls": [_service(url)],
                "tsaUrls": [],
                "rekorTlogConfig": {"selector": "ANY"},
                "tsaConfig": {"selector": "ANY"},
            },
        }
        path.write_text(json.dumps(config, indent=2), encoding="utf-8")
        return path

    def trusted_root(self, url: str) -> dict[str, Any]:
        """The trusted root: the CA's root, the CT log key, the Rekor key."""
        root_der = self.ca.root.public_bytes(serialization.Encoding.DER)
        return {
            "mediaType": _TRUSTED_ROOT_TYPE,
            "tlogs": [_log_instance(url, self.log.key)],
            "certificateAuthorities": [
                {
                    "subject": {
                        "organization": "ledgerlens.test",
                        "commonName": "stand-in fulcio root",
                    },
                    "uri": url,
                    "certChain": {"certificates": [{"rawBytes": _b64(root_der)}]},
                    "validFor": {"start": _rfc3339(self.ca.root.not_valid_before_utc)},
                }
            ],
            "ctlogs": [_log_instance(url, self.ca.ct_log.key)],
            "timestampAuthorities": [],
        }

    def sign_certificate(self, token: str | None, body: bytes) -> dict[str, Any]:
        """Fulcio's ``signingCert``: check the token and CSR, issue a certificate."""
        claims = _claims_of(token)
        request = json.loads(body)
        pem = base64.b64decode(request["certificateSigningRequest"])
        csr = x509.load_pem_x509_csr(pem)
        public_key = csr.public_key()
        if not csr.is_signature_valid or not isinstance(
            public_key, ec.EllipticCurvePublicKey
        ):
            raise _Refused(400, "the CSR is not signed by an EC key it holds")
        not_before = datetime.now(UTC).replace(microsecond=0)
        certificate = self.ca.issue(
            public_key,
            identity=str(claims.get("email") or claims["sub"]),
            issuer=str(claims["iss"]),
            not_before=not_before,
            lifetime=self.cert_lifetime,
        )
        chain = [
            c.public_bytes(serialization.Encoding.PEM).decode()
            for c in (certificate, self.ca.root)
        ]
        return {"signedCertificateEmbeddedSct": {"chain": {"certificates": chain}}}


def _claims_of(token: str | None) -> dict[str, Any]:
    if token is None or not token.startswith("Bearer "):
        raise _Refused(401, "no bearer token")
    try:
        claims = decode_claims(token.removeprefix("Bearer "))
    except ValueError as exc:
        raise _Refused(401, "the token is not a JWT") from exc
    if claims.get("aud") != AUDIENCE or claims.get("exp", 0) < time.time():
        raise _Refused(401, "the token is expired or not for sigstore")
    if "iss" not in claims or "sub" not in claims:
        raise _Refused(401, "the token names no issuer or subject")
    return claims


def _handler_for(standin: StandIn) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            standin.requests.append(("POST", self.path))
            try:
                if self.path == "/api/v2/signingCert":
                    answer = standin.sign_certificate(
                        self.headers.get("Authorization"), body
                    )
                    self._reply(200, answer)
                elif self.path == "/api/v1/log/entries":
                    self._reply(201, standin.log.add(json.loads(body)))
                else:
                    self._reply(404, {"code": 404, "message": "not served"})
            except _Refused as refused:
                self._reply(refused.status, {"code": 16, "message": str(refused)})

        def do_GET(self) -> None:
            standin.requests.append(("GET", self.path))
            self._reply(404, {"code": 404, "message": "not served"})

        def _reply(self, status: int, document: Any) -> None:
            data = json.dumps(document).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:
            # Quiet: the default handler writes every request to stderr.
            return

    return Handler


def _log_instance(url: str, key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    public = key.public_key()
    return {
        "baseUrl": url,
        "hashAlgorithm": "SHA2_256",
        "publicKey": {
            "rawBytes": _b64(spki_der(public)),
            "keyDetails": "PKIX_ECDSA_P256_SHA_256",
            "validFor": {"start": _rfc3339(datetime.now(UTC) - timedelta(days=1))},
        },
        "logId": {"keyId": _b64(key_id(public))},
    }


def _service(url: str) -> dict[str, Any]:
    return {
        "url": url,
        "majorApiVersion": 1,
        "validFor": {"start": _rfc3339(datetime.now(UTC) - timedelta(days=1))},
        "operator": "ledgerlens.test",
    }


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _rfc3339(when: datetime) -> str:
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
