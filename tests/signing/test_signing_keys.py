"""Managed keys: keygen modes, encryption, loading, hints, passphrases."""

from __future__ import annotations

import getpass
import hashlib
import io
import logging
import stat
import subprocess
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from ledgerlens.errors import SigningError, UsageError
from ledgerlens.signing import keys
from ledgerlens.signing.keys import (
    PRIVATE_KEY_FILE,
    PUBLIC_KEY_FILE,
    KeyPairPaths,
    key_hint,
    keygen,
    load_private_key,
    load_public_key,
    password_from_env_or_prompt,
)

from .conftest import PASSWORD


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_keygen_writes_an_encrypted_pkcs8_key_and_an_spki_public_key(
    tmp_path: Path,
) -> None:
    paths = keygen(tmp_path / "k", PASSWORD)

    assert paths == KeyPairPaths(
        tmp_path / "k" / PRIVATE_KEY_FILE, tmp_path / "k" / PUBLIC_KEY_FILE
    )
    private_pem = paths.private_key.read_bytes()
    assert private_pem.startswith(b"-----BEGIN ENCRYPTED PRIVATE KEY-----\n")
    assert paths.public_key.read_bytes().startswith(b"-----BEGIN PUBLIC KEY-----\n")
    assert _mode(paths.private_key) == 0o600
    assert _mode(paths.public_key) == 0o644

    # Without the passphrase the PEM does not open; with it, it is the pair.
    with pytest.raises(TypeError):
        serialization.load_pem_private_key(private_pem, None)
    private = load_private_key(paths.private_key, PASSWORD)
    assert isinstance(private.curve, ec.SECP256R1)
    assert key_hint(private) == key_hint(load_public_key(paths.public_key))


def test_keygen_encrypts_with_pbes2_600k_pbkdf2_rounds_and_aes_256(
    tmp_path: Path,
) -> None:
    paths = keygen(tmp_path, PASSWORD)

    parsed = subprocess.run(
        ["openssl", "asn1parse"],
        input=paths.private_key.read_bytes(),
        capture_output=True,
        check=True,
    ).stdout.decode()

    assert ":PBES2" in parsed
    assert ":PBKDF2" in parsed
    assert ":hmacWithSHA256" in parsed
    assert ":aes-256-cbc" in parsed
    assert "prim: INTEGER           :0927C0" in parsed  # 600,000 iterations

    # OpenSSL, an independent PKCS#8 reader, opens it with the passphrase.
    public = subprocess.run(
        ["openssl", "pkey", "-passin", f"pass:{PASSWORD.decode()}", "-pubout"],
        input=paths.private_key.read_bytes(),
        capture_output=True,
        check=True,
    ).stdout
    assert public == paths.public_key.read_bytes()


def test_keygen_with_empty_password_writes_plain_pkcs8_and_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="ledgerlens.signing.keys"):
        paths = keygen(tmp_path, b"")

    assert paths.private_key.read_bytes().startswith(b"-----BEGIN PRIVATE KEY-----\n")
    assert _mode(paths.private_key) == 0o600
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1
    assert f"{paths.private_key} is stored unencrypted" in warnings[0]
    assert isinstance(
        load_private_key(paths.private_key, b""), ec.EllipticCurvePrivateKey
    )


@pytest.mark.parametrize("existing", [PRIVATE_KEY_FILE, PUBLIC_KEY_FILE])
def test_keygen_refuses_to_overwrite_either_file(tmp_path: Path, existing: str) -> None:
    (tmp_path / existing).write_bytes(b"precious")

    with pytest.raises(SigningError) as caught:
        keygen(tmp_path, PASSWORD)

    assert caught.value.message == (
        f"`{tmp_path / existing}` already exists; refusing to overwrite a signing key"
    )
    assert caught.value.remedy is not None
    assert (tmp_path / existing).read_bytes() == b"precious"
    assert sorted(p.name for p in tmp_path.iterdir()) == [existing]


def test_two_keygens_make_different_keys(tmp_path: Path) -> None:
    first = keygen(tmp_path / "a", b"")
    second = keygen(tmp_path / "b", b"")

    assert key_hint(load_public_key(first.public_key)) != key_hint(
        load_public_key(second.public_key)
    )


def test_wrong_passphrase_names_the_key_and_the_environment_variable(
    key_pair: KeyPairPaths,
) -> None:
    with pytest.raises(SigningError) as caught:
        load_private_key(key_pair.private_key, b"not the passphrase")

    assert caught.value.one_line() == (
        f"wrong passphrase for `{key_pair.private_key}` (set LEDGERLENS_KEY_PASSWORD "
        "to the passphrase given at `ledgerlens keygen`, or run from a terminal "
        "to be asked for it)"
    )
    assert caught.value.exit_code == 2


def test_encrypted_key_without_passphrase_says_so(key_pair: KeyPairPaths) -> None:
    with pytest.raises(SigningError) as caught:
        load_private_key(key_pair.private_key, b"")

    assert caught.value.message == (
        f"`{key_pair.private_key}` is encrypted and no passphrase was given"
    )


def test_plain_key_loads_even_when_a_passphrase_is_set(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    paths = keygen(tmp_path, b"")

    with caplog.at_level(logging.WARNING, logger="ledgerlens.signing.keys"):
        key = load_private_key(paths.private_key, b"set in the environment")

    assert key_hint(key) == key_hint(load_public_key(paths.public_key))
    assert "is not encrypted" in caplog.text


def test_a_file_that_is_no_key_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.txt"
    path.write_text("not a key\n")

    with pytest.raises(SigningError) as caught:
        load_private_key(path, PASSWORD)
    assert caught.value.message == f"`{path}` is not a PEM private key"

    with pytest.raises(UsageError) as caught_public:
        load_public_key(path)
    assert caught_public.value.message == f"`{path}` is not a PEM public key"


def test_keys_on_another_curve_are_refused(tmp_path: Path) -> None:
    key = ec.generate_private_key(ec.SECP384R1())
    private_path = tmp_path / "p384.key"
    private_path.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    public_path = tmp_path / "p384.pub"
    public_path.write_bytes(keys.public_key_pem(key.public_key()))

    with pytest.raises(SigningError) as caught:
        load_private_key(private_path, b"")
    assert caught.value.message == f"`{private_path}` is not an ECDSA P-256 key"

    with pytest.raises(UsageError) as caught_public:
        load_public_key(public_path)
    assert caught_public.value.message == (
        f"`{public_path}` is not an ECDSA P-256 public key"
    )


def test_a_missing_key_file_is_reported(tmp_path: Path) -> None:
    missing = tmp_path / "absent.key"

    with pytest.raises(SigningError) as caught:
        load_private_key(missing, PASSWORD)
    assert caught.value.message.startswith(f"cannot read key file `{missing}`: ")

    with pytest.raises(UsageError):
        load_public_key(missing)


def test_key_hint_is_sha256_of_the_der_public_key_as_openssl_sees_it(
    key_pair: KeyPairPaths,
) -> None:
    der = subprocess.run(
        [
            "openssl",
            "pkey",
            "-pubin",
            "-in",
            str(key_pair.public_key),
            "-outform",
            "DER",
        ],
        capture_output=True,
        check=True,
    ).stdout

    expected = hashlib.sha256(der).hexdigest()
    assert key_hint(load_public_key(key_pair.public_key)) == expected
    assert key_hint(load_private_key(key_pair.private_key, PASSWORD)) == expected


def test_password_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LEDGERLENS_KEY_PASSWORD", "pässword")

    assert password_from_env_or_prompt() == "pässword".encode()


def test_password_is_empty_without_environment_or_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO(""))

    assert password_from_env_or_prompt() == b""


class _FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_password_is_asked_on_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    # A real terminal cannot be driven from pytest: stand in for it and getpass.
    answers = iter(["secret", "secret"])
    monkeypatch.setattr("sys.stdin", _FakeTerminal())
    monkeypatch.setattr(getpass, "getpass", lambda prompt: next(answers))

    assert password_from_env_or_prompt(confirm=True) == b"secret"


def test_differing_confirmation_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    # A real terminal cannot be driven from pytest: stand in for it and getpass.
    answers = iter(["secret", "secreT"])
    monkeypatch.setattr("sys.stdin", _FakeTerminal())
    monkeypatch.setattr(getpass, "getpass", lambda prompt: next(answers))

    with pytest.raises(SigningError) as caught:
        password_from_env_or_prompt(confirm=True)
    assert caught.value.message == "the two passphrases differ"
