"""The signing facade the pipeline and the CLI use.

Signing: :func:`open_signer` turns :class:`SigningOptions` into one
:class:`ArtifactSigner` for a whole run: a managed key (``--signing-key``) or a
keyless Sigstore identity (``--identity-token`` or one found in the environment,
with ``--trust-config`` or ``--instance``). ``--no-sign`` gives ``None``.

Verification: :func:`verify_blob` and :func:`verify_statement` read the bundle
to see how it was signed and check it with the public key or the expected
identity in :class:`VerifyOptions`; they return who signed, for the report.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, Protocol

from cryptography.hazmat.primitives.asymmetric import ec

from ledgerlens.errors import SigningError, UsageError
from ledgerlens.signing import _format, keyless
from ledgerlens.signing.bundle import (
    check_message_digest,
    sign_blob_with_key,
    verify_digest_with_key,
)
from ledgerlens.signing.dsse import sign_statement_with_key, verify_statement_with_key
from ledgerlens.signing.keys import (
    PASSWORD_ENV,
    key_hint,
    load_private_key,
    load_public_key,
    password_from_env_or_prompt,
)

__all__ = [
    "ArtifactSigner",
    "check_signing",
    "KeySigner",
    "SigningOptions",
    "VerifyOptions",
    "open_signer",
    "verify_blob",
    "verify_digest",
    "verify_statement",
]

logger = logging.getLogger(__name__)

_NO_SIGNER_REMEDY: Final = (
    "pass --signing-key KEY (see `ledgerlens keygen`) or --identity-token, "
    "or --no-sign for a dry run"
)


@dataclass(frozen=True)
class SigningOptions:
    """How a run signs its artefacts (from flags, environment or settings)."""

    key_path: Path | None = None
    # The token is a bearer secret: keep it out of reprs and logs.
    identity_token: str | None = field(default=None, repr=False)
    trust_config: Path | None = None
    instance: str | None = None
    no_sign: bool = False


@dataclass(frozen=True)
class VerifyOptions:
    """What a verifier trusts: a public key, or an identity on an instance."""

    key_path: Path | None = None
    cert_identity: str | None = None
    cert_oidc_issuer: str | None = None
    trust_config: Path | None = None
    instance: str | None = None


class ArtifactSigner(Protocol):
    """Signs a run's artefacts; every method returns a v0.3 bundle as a dict."""

    @property
    def description(self) -> str:
        """Who signs: ``key <hint>`` or ``identity X issued by Y``."""
        ...

    def sign_blob(self, data: bytes) -> dict[str, Any]:
        """A bundle signing ``data`` (``messageSignature``)."""
        ...

    def sign_statement(self, statement: Mapping[str, Any]) -> dict[str, Any]:
        """A bundle holding ``statement`` in a DSSE envelope."""
        ...


class KeySigner:
    """Signs with a managed ECDSA P-256 key."""

    def __init__(self, key: ec.EllipticCurvePrivateKey) -> None:
        """Sign with ``key`` (see :func:`ledgerlens.signing.keys.load_private_key`)."""
        self._key = key
        self.hint = key_hint(key)

    @property
    def description(self) -> str:
        """``key <hint>``."""
        return f"key {self.hint}"

    def sign_blob(self, data: bytes) -> dict[str, Any]:
        """A key-based bundle signing ``data``."""
        return sign_blob_with_key(data, self._key)

    def sign_statement(self, statement: Mapping[str, Any]) -> dict[str, Any]:
        """A key-based bundle holding ``statement`` in a DSSE envelope."""
        return sign_statement_with_key(statement, self._key)


@contextmanager
def open_signer(
    options: SigningOptions,
    *,
    detect_identity: Callable[[], str | None] | None = None,
) -> Iterator[ArtifactSigner | None]:
    """The signer for one run, or ``None`` with ``no_sign``.

    Keyless signing is attempted only when an instance was chosen
    (``trust_config`` or ``instance``). The token is ``identity_token``, else
    ``$LEDGERLENS_IDENTITY_TOKEN``, else an ambient one found by sigstore's
    detection (or by ``detect_identity`` when given).
    """
    if options.no_sign:
        logger.warning("signing skipped (--no-sign): the outputs are not signed")
        yield None
        return
    token_given = keyless.given_identity_token(options.identity_token) is not None
    if options.key_path is not None and token_given:
        raise UsageError(
            "both a signing key and an identity token were given",
            remedy="pass only one of --signing-key, --identity-token "
            f"(or {keyless.IDENTITY_TOKEN_ENV})",
        )
    if options.key_path is not None:
        key = load_private_key(options.key_path, password_from_env_or_prompt())
        yield KeySigner(key)
        return

    token = _keyless_token(options, detect_identity)
    with keyless.keyless_session(
        token, trust_config=options.trust_config, instance=options.instance
    ) as signer:
        yield signer


def check_signing(
    options: SigningOptions,
    *,
    detect_identity: Callable[[], str | None] | None = None,
) -> None:
    """Fail now, before any work is sealed, if the run could not sign at its end.

    A managed key is loaded (so a wrong passphrase or a missing file is found
    before the day is sealed); keyless signing needs an instance and a token.
    No Sigstore service is contacted here.
    """
    if options.no_sign:
        return
    if options.key_path is not None:
        if keyless.given_identity_token(options.identity_token) is not None:
            raise UsageError(
                "both a signing key and an identity token were given",
                remedy="pass only one of --signing-key, --identity-token "
                f"(or {keyless.IDENTITY_TOKEN_ENV})",
            )
        password = password_from_env_or_prompt()
        load_private_key(options.key_path, password)
        # Asked once: the signing stage reads the same passphrase again.
        os.environ.setdefault(PASSWORD_ENV, password.decode("utf-8", "surrogateescape"))
        return
    _keyless_token(options, detect_identity)


def verify_blob(data: bytes, bundle: Any, options: VerifyOptions) -> str:
    """Check that ``bundle`` signs ``data``; return who signed it."""
    return verify_digest(_format.sha256(data), bundle, options)


def verify_digest(digest: bytes, bundle: Any, options: VerifyOptions) -> str:
    """:func:`verify_blob` for content whose SHA-256 ``digest`` is known."""
    if _format.bundle_kind(bundle) == "key":
        public_key = _public_key(options)
        verify_digest_with_key(digest, bundle, public_key)
        return f"key {key_hint(public_key)}"

    identity, issuer = _identity(options)
    if _format.content_kind(bundle) == "message":
        check_message_digest(bundle, digest)
    keyless.verify_artifact_keyless(
        digest,
        bundle,
        identity=identity,
        issuer=issuer,
        trust_config=options.trust_config,
        instance=options.instance,
    )
    return f"identity {identity} issued by {issuer}"


def verify_statement(bundle: Any, options: VerifyOptions) -> tuple[dict[str, Any], str]:
    """Check a DSSE bundle; return its in-toto statement and who signed it."""
    if _format.bundle_kind(bundle) == "key":
        public_key = _public_key(options)
        statement = verify_statement_with_key(bundle, public_key)
        return statement, f"key {key_hint(public_key)}"

    identity, issuer = _identity(options)
    statement = keyless.verify_dsse_keyless(
        bundle,
        identity=identity,
        issuer=issuer,
        trust_config=options.trust_config,
        instance=options.instance,
    )
    return statement, f"identity {identity} issued by {issuer}"


def _keyless_token(
    options: SigningOptions, detect: Callable[[], str | None] | None
) -> str:
    chosen = options.trust_config is not None or options.instance is not None
    if keyless.given_identity_token(options.identity_token) and not chosen:
        raise UsageError(
            "keyless signing needs a Sigstore instance",
            remedy="pass --trust-config FILE, or --instance production|staging",
        )
    token = None
    if chosen:
        token = keyless.find_identity_token(options.identity_token, detect=detect)
    if token is None:
        raise SigningError("no identity and no key", remedy=_NO_SIGNER_REMEDY)
    return token


def _public_key(options: VerifyOptions) -> ec.EllipticCurvePublicKey:
    if options.key_path is None:
        raise UsageError(
            "the bundle is signed with a managed key and no public key was given",
            remedy="pass --key KEY.pub, the signer's public key",
        )
    return load_public_key(options.key_path)


def _identity(options: VerifyOptions) -> tuple[str, str]:
    if not options.cert_identity or not options.cert_oidc_issuer:
        raise UsageError(
            "the bundle is signed keyless and no expected identity was given",
            remedy="pass --cert-identity and --cert-oidc-issuer",
        )
    return options.cert_identity, options.cert_oidc_issuer
