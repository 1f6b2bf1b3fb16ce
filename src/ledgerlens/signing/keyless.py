"""Keyless signing and verification through sigstore-python.

The Sigstore instance is never chosen by default: it comes from a client trust
configuration file (``--trust-config FILE``: trusted root and signing config,
which may point at any Fulcio and Rekor, loopback ones included) or from the
name ``production`` or ``staging``. Named instances use the trusted root and
signing config shipped with sigstore-python (``offline=True``): TUF metadata is
never refreshed, so verification needs no network.

sigstore is imported inside the functions, so ``import ledgerlens.signing``
stays fast for key-based verification.

A Fulcio certificate lives about ten minutes, so a run signs all its
artefacts in one :func:`keyless_session`: one certificate, one ephemeral key.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal

from ledgerlens.errors import SigningError, UsageError, VerificationError
from ledgerlens.signing import _format
from ledgerlens.signing.dsse import statement_from_payload, statement_payload

if TYPE_CHECKING:
    from cryptography.x509 import Certificate
    from sigstore.models import ClientTrustConfig
    from sigstore.sign import Signer

__all__ = [
    "IDENTITY_TOKEN_ENV",
    "INSTANCES",
    "KeylessSigner",
    "find_identity_token",
    "given_identity_token",
    "keyless_session",
    "load_trust_config",
    "verify_artifact_keyless",
    "verify_dsse_keyless",
]

logger = logging.getLogger(__name__)

INSTANCES: Final = ("production", "staging")
# The CLI hands --identity-token to the signing stage through this variable, so
# the token never becomes a Prefect parameter or part of a run's spec.
IDENTITY_TOKEN_ENV: Final = "LEDGERLENS_IDENTITY_TOKEN"
_INSTANCE_REMEDY: Final = (
    "pass --trust-config FILE, or --instance production or --instance staging"
)
_MAX_DETAIL: Final = 160


class KeylessSigner:
    """Signs artefacts with one Fulcio certificate and logs each in Rekor."""

    def __init__(self, signer: Signer, identity: str, issuer: str) -> None:
        """Wrap an open sigstore ``Signer`` (use :func:`keyless_session`)."""
        self._signer = signer
        self.identity = identity
        self.issuer = issuer

    @property
    def description(self) -> str:
        """Who signs, as verification reports it."""
        return f"identity {self.identity} issued by {self.issuer}"

    def sign_blob(self, data: bytes) -> dict[str, Any]:
        """A keyless v0.3 bundle over ``data`` (a hashedrekord log entry)."""
        with _sigstore_errors("sign"):
            bundle = self._signer.sign_artifact(data)
        result: dict[str, Any] = json.loads(bundle.to_json())
        return result

    def sign_statement(self, statement: Mapping[str, Any]) -> dict[str, Any]:
        """A keyless v0.3 bundle holding ``statement`` in a DSSE envelope."""
        from sigstore.dsse import Statement

        payload = statement_payload(statement)
        with _sigstore_errors("sign"):
            bundle = self._signer.sign_dsse(Statement(payload))
        result: dict[str, Any] = json.loads(bundle.to_json())
        return result


def find_identity_token(
    identity_token: str | None,
    *,
    detect: Callable[[], str | None] | None = None,
) -> str | None:
    """The OIDC token to sign with, or ``None`` when there is none.

    In order: the token given; ``$LEDGERLENS_IDENTITY_TOKEN``; an ambient
    credential found by ``detect``, which defaults to sigstore's detection (it
    asks CI providers and cloud metadata services). Callers invoke this only
    after a Sigstore instance was chosen, so a run that never asked for keyless
    signing never contacts them.
    """
    explicit = given_identity_token(identity_token)
    if explicit is not None:
        return explicit
    return (detect or _detect_ambient_token)()


def given_identity_token(identity_token: str | None) -> str | None:
    """The token given, else ``$LEDGERLENS_IDENTITY_TOKEN``; blank counts as none."""
    for candidate in (identity_token, os.environ.get(IDENTITY_TOKEN_ENV)):
        if candidate is not None and candidate.strip():
            return candidate.strip()
    return None


@contextmanager
def keyless_session(
    identity_token: str,
    *,
    trust_config: Path | None,
    instance: str | None,
) -> Iterator[KeylessSigner]:
    """Open one signing session: one certificate for every artefact of a run."""
    with _sigstore_errors("sign"):
        from sigstore.oidc import IdentityToken
        from sigstore.sign import Signer, SigningContext

        # The token is checked first: a malformed or expired one fails before
        # any trust material is read or any service is contacted.
        token = IdentityToken(identity_token)
        config = load_trust_config(trust_config, instance)
        context = SigningContext.from_trust_config(config)
        # With cache=True the certificate is requested here, once, and reused
        # for every artefact signed in this session.
        signer = Signer(token, context, cache=True)
    logger.info("keyless signing as %s (issuer %s)", token.identity, token.issuer)
    yield KeylessSigner(signer, token.identity, token.federated_issuer)


def load_trust_config(
    trust_config: Path | None, instance: str | None
) -> ClientTrustConfig:
    """The client trust configuration from a file or a named instance, offline."""
    from sigstore.models import ClientTrustConfig

    if trust_config is not None and instance is not None:
        raise UsageError(
            "both a trust configuration and an instance name were given",
            remedy="pass only one of --trust-config, --instance",
        )
    if trust_config is not None:
        return _trust_config_from_file(Path(trust_config))
    if instance is None:
        raise UsageError("no Sigstore instance chosen", remedy=_INSTANCE_REMEDY)
    if instance not in INSTANCES:
        raise UsageError(
            f"unknown Sigstore instance `{instance}`", remedy=_INSTANCE_REMEDY
        )

    try:
        if instance == "production":
            return ClientTrustConfig.production(offline=True)
        return ClientTrustConfig.staging(offline=True)
    except Exception as exc:
        # Offline loading reads only files shipped with sigstore-python.
        raise UsageError(
            f"cannot load the trust root of the {instance} instance: "
            f"{_one_line(exc) or type(exc).__name__}",
            remedy="reinstall sigstore, or pass --trust-config FILE",
        ) from exc


def verify_artifact_keyless(
    digest: bytes,
    bundle: Mapping[str, Any],
    *,
    identity: str,
    issuer: str,
    trust_config: Path | None,
    instance: str | None,
) -> None:
    """Check a keyless bundle over content with SHA-256 ``digest``, offline."""
    from sigstore.hashes import Hashed
    from sigstore_models.common.v1 import HashAlgorithm

    verifier, policy, sigstore_bundle = _verification_parts(
        bundle, identity, issuer, trust_config, instance
    )
    hashed = Hashed(algorithm=HashAlgorithm.SHA2_256, digest=digest)
    with _sigstore_errors("verify"):
        verifier.verify_artifact(hashed, sigstore_bundle, policy)


def verify_dsse_keyless(
    bundle: Mapping[str, Any],
    *,
    identity: str,
    issuer: str,
    trust_config: Path | None,
    instance: str | None,
) -> dict[str, Any]:
    """Check a keyless DSSE bundle offline and return the statement it holds."""
    verifier, policy, sigstore_bundle = _verification_parts(
        bundle, identity, issuer, trust_config, instance
    )
    with _sigstore_errors("verify"):
        payload_type, payload = verifier.verify_dsse(sigstore_bundle, policy)
    return statement_from_payload(payload_type, payload)


def _verification_parts(
    bundle: Mapping[str, Any],
    identity: str,
    issuer: str,
    trust_config: Path | None,
    instance: str | None,
) -> tuple[Any, Any, Any]:
    from sigstore.models import Bundle
    from sigstore.verify import Verifier
    from sigstore.verify.policy import Identity

    config = load_trust_config(trust_config, instance)
    _check_signing_time(bundle)
    with _sigstore_errors("verify"):
        sigstore_bundle = Bundle.from_json(json.dumps(bundle))
        verifier = Verifier(trusted_root=config.trusted_root)
    return verifier, Identity(identity=identity, issuer=issuer), sigstore_bundle


def _check_signing_time(bundle: Mapping[str, Any]) -> None:
    """Name the two ways a bundle fails to show when its certificate signed.

    A keyless certificate lives minutes; only the log entry's integrated time
    (or a signed timestamp) proves the signature was made inside that window.
    This reads unauthenticated fields only to explain a failure clearly:
    sigstore still checks the entry, its signatures and the time itself.
    """
    material = _format.mapping(
        _format.member(bundle, "verificationMaterial", "bundle"),
        "verificationMaterial",
    )
    entries = material.get("tlogEntries") or []
    timestamps = (material.get("timestampVerificationData") or {}).get(
        "rfc3161Timestamps"
    )
    if not entries and not timestamps:
        raise VerificationError(
            "keyless bundle has no transparency-log entry, so nothing shows its "
            "short-lived certificate was valid when it signed",
            remedy="fetch the complete bundle from the signer, or sign the "
            "artefact again with an instance that logs signatures",
        )
    certificate = _certificate_of(material)
    logged = _integrated_time(entries)
    if certificate is None or logged is None:
        return
    start, end = certificate.not_valid_before_utc, certificate.not_valid_after_utc
    if not start <= logged <= end:
        raise VerificationError(
            f"the signing certificate was not valid when the log recorded the "
            f"signature (logged {logged:%Y-%m-%dT%H:%M:%SZ}, certificate valid "
            f"{start:%Y-%m-%dT%H:%M:%SZ} to {end:%H:%M:%SZ})",
            remedy="this signature proves nothing; sign the artefact again",
        )


def _certificate_of(material: Mapping[str, Any]) -> Certificate | None:
    """The leaf certificate of a bundle, or ``None`` when it cannot be read."""
    from cryptography.x509 import load_der_x509_certificate

    holder = material.get("certificate")
    chain = material.get("x509CertificateChain")
    if not isinstance(holder, Mapping) and isinstance(chain, Mapping):
        certificates = chain.get("certificates") or [None]
        holder = certificates[0]
    if not isinstance(holder, Mapping) or not isinstance(holder.get("rawBytes"), str):
        return None
    try:
        return load_der_x509_certificate(base64.b64decode(holder["rawBytes"]))
    except (binascii.Error, ValueError):
        return None


def _integrated_time(entries: Any) -> datetime | None:
    """The one log entry's integrated time, when it records one."""
    if not isinstance(entries, list) or len(entries) != 1:
        return None
    entry = entries[0]
    raw = entry.get("integratedTime") if isinstance(entry, Mapping) else None
    if not isinstance(raw, int | str):
        return None
    try:
        return datetime.fromtimestamp(int(raw), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return None


def _trust_config_from_file(path: Path) -> ClientTrustConfig:
    from sigstore.models import ClientTrustConfig

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(
            f"cannot read trust configuration `{path}`: {_one_line(exc)}",
            remedy="pass a Sigstore client trust configuration JSON file",
        ) from exc
    try:
        return ClientTrustConfig.from_json(text)
    except Exception as exc:
        # sigstore_models raises pydantic errors; their text names the field.
        raise UsageError(
            f"`{path}` is not a Sigstore client trust configuration: {_one_line(exc)}",
            remedy="pass a file of media type "
            "application/vnd.dev.sigstore.clienttrustconfig.v0.1+json",
        ) from exc


def _detect_ambient_token() -> str | None:
    from sigstore.oidc import IdentityError, detect_credential

    try:
        return detect_credential()
    except IdentityError as exc:
        raise SigningError(
            f"ambient identity detection failed: {_one_line(exc)}",
            remedy="pass --identity-token, or --signing-key KEY",
        ) from exc


@contextmanager
def _sigstore_errors(action: Literal["sign", "verify"]) -> Iterator[None]:
    """Turn sigstore's and its clients' exceptions into one-line ledgerlens errors.

    Our own errors pass through untouched.
    """
    try:
        yield
    except (SigningError, VerificationError, UsageError):
        raise
    except Exception as exc:
        raise _translate(exc, action) from exc


def _translate(
    exc: Exception, action: Literal["sign", "verify"]
) -> SigningError | VerificationError:
    import requests
    from sigstore._internal.fulcio.client import ExpiredCertificate, FulcioClientError
    from sigstore._internal.rekor import RekorClientError
    from sigstore.errors import VerificationError as SigstoreVerificationError
    from sigstore.models import InvalidBundle
    from sigstore.oidc import ExpiredIdentity, IdentityError

    # Some client errors carry no text of their own, only their cause's.
    detail = (
        _one_line(exc)
        or _one_line(exc.__cause__ or exc.__context__)
        or type(exc).__name__
    )
    if isinstance(exc, InvalidBundle):
        return _format.malformed(detail)
    if isinstance(exc, SigstoreVerificationError) and action == "verify":
        return VerificationError(
            f"keyless signature does not verify: {detail}",
            remedy="check --cert-identity, --cert-oidc-issuer and the instance "
            "the bundle was signed with",
        )
    token_remedy = "pass a fresh token with --identity-token (audience `sigstore`)"
    if isinstance(exc, ExpiredIdentity):
        return SigningError("identity token expired", remedy=token_remedy)
    if isinstance(exc, IdentityError):
        return SigningError(f"identity token rejected: {detail}", remedy=token_remedy)
    if isinstance(exc, ExpiredCertificate):
        return SigningError(
            "the signing certificate expired during the run",
            remedy="sign again; a keyless session lasts about ten minutes",
        )
    unreachable = FulcioClientError | RekorClientError | requests.RequestException
    if isinstance(exc, unreachable):
        return SigningError(
            f"the Sigstore instance refused or could not be reached: {detail}",
            remedy="check the network and the URLs in the trust configuration",
        )
    error_class = SigningError if action == "sign" else VerificationError
    return error_class(
        f"sigstore could not {action}: {type(exc).__name__}: {detail}",
        remedy="run with -v for details",
    )


def _one_line(exc: BaseException | None) -> str:
    """The exception's text on one line, shortened."""
    text = " ".join(str(exc or "").split())
    # pydantic appends the offending input to each error; the field name is enough.
    text = text.split(" [type=", 1)[0]
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 1] + "…"
    return text
