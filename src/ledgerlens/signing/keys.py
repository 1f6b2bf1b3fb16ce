"""Managed ECDSA P-256 signing keys, for when no Sigstore identity is available.

``ledgerlens keygen`` writes two files into one directory:

* ``ledgerlens-signing.key``: the private key, PKCS#8 PEM, encrypted with the
  passphrase (PBES2: PBKDF2-HMAC-SHA256 at 600,000 iterations, AES-256-CBC;
  mode 0600); unencrypted only when the passphrase is empty.
* ``ledgerlens-signing.pub``: the public key, SubjectPublicKeyInfo PEM, which
  is what a verifier receives.

A bundle names its key by :func:`key_hint`, the hex SHA-256 of the DER public key.
"""

from __future__ import annotations

import getpass
import logging
import os
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Final

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.types import PrivateKeyTypes

from ledgerlens.errors import SigningError, UsageError
from ledgerlens.signing import _format, _pkcs8

__all__ = [
    "PASSWORD_ENV",
    "PRIVATE_KEY_FILE",
    "PUBLIC_KEY_FILE",
    "KeyPairPaths",
    "key_hint",
    "keygen",
    "load_private_key",
    "load_public_key",
    "password_from_env_or_prompt",
    "public_key_pem",
]

logger = logging.getLogger(__name__)

PRIVATE_KEY_FILE: Final = "ledgerlens-signing.key"
PUBLIC_KEY_FILE: Final = "ledgerlens-signing.pub"
PASSWORD_ENV: Final = "LEDGERLENS_KEY_PASSWORD"
_PASSWORD_REMEDY: Final = (
    f"set {PASSWORD_ENV} to the passphrase given at `ledgerlens keygen`, "
    "or run from a terminal to be asked for it"
)


@dataclass(frozen=True)
class KeyPairPaths:
    """Where :func:`keygen` wrote the private and the public key."""

    private_key: Path
    public_key: Path


def keygen(out_dir: Path, password: bytes) -> KeyPairPaths:
    """Create a new P-256 key pair in ``out_dir``; never overwrite a key.

    An empty ``password`` stores the private key unencrypted (with a warning).
    """
    out_dir = Path(out_dir)
    paths = KeyPairPaths(out_dir / PRIVATE_KEY_FILE, out_dir / PUBLIC_KEY_FILE)
    for path in (paths.private_key, paths.public_key):
        if path.exists():
            raise _exists_error(path)

    out_dir.mkdir(parents=True, exist_ok=True)
    key = ec.generate_private_key(ec.SECP256R1())
    if not password:
        logger.warning(
            "the private key %s is stored unencrypted: anyone who can read it "
            "can sign as you (set %s to encrypt it)",
            paths.private_key,
            PASSWORD_ENV,
        )

    _write_new_file(paths.private_key, _private_key_pem(key, password), 0o600)
    try:
        _write_new_file(paths.public_key, public_key_pem(key.public_key()), 0o644)
    except BaseException:
        # Half a key pair is worse than none: the next keygen would refuse.
        paths.private_key.unlink(missing_ok=True)
        raise
    logger.info("wrote key pair %s (hint %s)", paths.public_key, key_hint(key))
    return paths


def load_private_key(path: Path, password: bytes) -> ec.EllipticCurvePrivateKey:
    """Read and decrypt a private key written by :func:`keygen`."""
    data = _read_key_file(path, SigningError)
    try:
        key = serialization.load_pem_private_key(data, password or None)
    except TypeError:
        key = _load_after_type_error(path, data, password)
    except ValueError as exc:
        if password and b"ENCRYPTED PRIVATE KEY" in data:
            raise SigningError(
                f"wrong passphrase for `{path}`", remedy=_PASSWORD_REMEDY
            ) from exc
        raise SigningError(
            f"`{path}` is not a PEM private key",
            remedy="pass the `.key` file written by `ledgerlens keygen`",
        ) from exc

    if not isinstance(key, ec.EllipticCurvePrivateKey) or not _is_p256(key.curve):
        raise SigningError(
            f"`{path}` is not an ECDSA P-256 key",
            remedy="create a key with `ledgerlens keygen`",
        )
    return key


def load_public_key(path: Path) -> ec.EllipticCurvePublicKey:
    """Read an SPKI PEM public key (a ``.pub`` file) for verification."""
    data = _read_key_file(path, UsageError)
    try:
        key = serialization.load_pem_public_key(data)
    except ValueError as exc:
        raise UsageError(
            f"`{path}` is not a PEM public key",
            remedy="pass the `.pub` file the signer published",
        ) from exc
    if not isinstance(key, ec.EllipticCurvePublicKey) or not _is_p256(key.curve):
        raise UsageError(
            f"`{path}` is not an ECDSA P-256 public key",
            remedy="pass the `.pub` file written by `ledgerlens keygen`",
        )
    return key


def key_hint(
    key: ec.EllipticCurvePublicKey | ec.EllipticCurvePrivateKey,
) -> str:
    """Hex SHA-256 of the DER SubjectPublicKeyInfo: the name a bundle gives a key."""
    if isinstance(key, ec.EllipticCurvePrivateKey):
        key = key.public_key()
    return _format.hint_of_key(key)


def public_key_pem(key: ec.EllipticCurvePublicKey) -> bytes:
    """The public key as SubjectPublicKeyInfo PEM."""
    return key.public_bytes(
        serialization.Encoding.PEM,
        serialization.PublicFormat.SubjectPublicKeyInfo,
    )


def password_from_env_or_prompt(*, confirm: bool = False) -> bytes:
    """The key passphrase: from the environment, else asked on a terminal.

    Without a terminal and without ``LEDGERLENS_KEY_PASSWORD`` the passphrase is
    empty, so unattended runs work with an unencrypted key. ``confirm`` asks
    twice (for ``keygen``).
    """
    from_env = os.environ.get(PASSWORD_ENV)
    if from_env is not None:
        return from_env.encode("utf-8")
    if not sys.stdin.isatty():
        return b""

    password = getpass.getpass("Passphrase for the signing key: ")
    if confirm and getpass.getpass("Same passphrase again: ") != password:
        raise SigningError("the two passphrases differ", remedy="run the command again")
    return password.encode("utf-8")


def _private_key_pem(key: ec.EllipticCurvePrivateKey, password: bytes) -> bytes:
    if password:
        return _pkcs8.encrypted_pem(key, password)
    return key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    )


def _load_after_type_error(path: Path, data: bytes, password: bytes) -> PrivateKeyTypes:
    # cryptography raises TypeError when encryption and passphrase disagree.
    if not password:
        raise SigningError(
            f"`{path}` is encrypted and no passphrase was given",
            remedy=_PASSWORD_REMEDY,
        )
    logger.warning("%s is not encrypted; the passphrase given was ignored", path)
    return serialization.load_pem_private_key(data, None)


def _read_key_file(path: Path, error: type[SigningError] | type[UsageError]) -> bytes:
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise error(
            f"cannot read key file `{path}`: {exc.strerror or exc}",
            remedy="check the path (keys are created with `ledgerlens keygen`)",
        ) from exc


def _write_new_file(path: Path, data: bytes, mode: int) -> None:
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, mode)
    except FileExistsError:
        raise _exists_error(path) from None
    with os.fdopen(fd, "wb") as handle:
        # The mode given to open() is filtered by the umask; make it exact.
        os.fchmod(handle.fileno(), mode)
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())


def _exists_error(path: Path) -> SigningError:
    return SigningError(
        f"`{path}` already exists; refusing to overwrite a signing key",
        remedy="choose another directory, or move the old key pair away first",
    )


def _is_p256(curve: ec.EllipticCurve) -> bool:
    return isinstance(curve, ec.SECP256R1)
