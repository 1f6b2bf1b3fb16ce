"""Fixtures for the signing tests, and a guard that keeps them off the network.

Every test here runs with outbound connections limited to loopback: a test that
tries to reach another host fails loudly instead of depending on the network.
sigstore-python's per-user cache and data directories are pointed into the
test's temporary directory, so loading a named instance's embedded trust root
writes nothing into the home directory.

``sigstore_standin`` runs a Fulcio/Rekor stand-in on 127.0.0.1 (see
``standin/``) for keyless signing end to end; ``no_sockets`` fails a test whose
code creates any socket at all, loopback included.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from ledgerlens.signing import KeyPairPaths, keygen, load_private_key, load_public_key

from ._support import KeylessSetup, SocketGuard
from .standin import IDENTITY, ISSUER, StandIn

PASSWORD = b"correct horse battery staple"
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


def _is_loopback(host: Any) -> bool:
    if isinstance(host, bytes):
        host = host.decode("ascii", "replace")
    if not isinstance(host, str):
        return False
    if host in _LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host.split("%", 1)[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _loopback_only(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[None]:
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex
    real_getaddrinfo = socket.getaddrinfo

    def check(sock: socket.socket, address: Any) -> None:
        inet = sock.family in (socket.AF_INET, socket.AF_INET6)
        if inet and not _is_loopback(address[0]):
            msg = f"a signing test tried to reach {address[0]!r}"
            raise AssertionError(msg)

    def connect(sock: socket.socket, address: Any) -> None:
        check(sock, address)
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        check(sock, address)
        return real_connect_ex(sock, address)

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _is_loopback(host):
            msg = f"a signing test tried to resolve {host!r}"
            raise AssertionError(msg)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    for proxy in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY"):
        monkeypatch.delenv(proxy, raising=False)
        monkeypatch.delenv(proxy.lower(), raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg-cache"))
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg-data"))
    monkeypatch.delenv("LEDGERLENS_KEY_PASSWORD", raising=False)
    # Set then removed, so the variable is restored (absent) after the test
    # even when the CLI under test sets it directly in os.environ.
    monkeypatch.setenv("LEDGERLENS_IDENTITY_TOKEN", "")
    monkeypatch.delenv("LEDGERLENS_IDENTITY_TOKEN")
    yield


@pytest.fixture
def standin() -> Iterator[StandIn]:
    """A running Sigstore stand-in on 127.0.0.1; stopped when the test ends."""
    server = StandIn()
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def sigstore_standin(standin: StandIn, tmp_path: Path) -> KeylessSetup:
    """Trust configuration, token, identity and issuer of the running stand-in."""
    trust_config = standin.write_trust_config(tmp_path / "trust-config.json")
    return KeylessSetup(trust_config, standin.token(), IDENTITY, ISSUER)


@pytest.fixture
def no_sockets(monkeypatch: pytest.MonkeyPatch) -> SocketGuard:
    """Once ``armed``, creating any socket (loopback too) fails the code under test."""
    guard = SocketGuard()
    real_init = socket.socket.__init__

    def init(sock: socket.socket, *args: Any, **kwargs: Any) -> None:
        if guard.armed:
            guard.attempts.append(args)
            msg = "verification tried to open a socket"
            raise AssertionError(msg)
        real_init(sock, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "__init__", init)
    return guard


# Key pairs are made once per session: each encrypted key costs a deliberately
# slow key derivation to write and again to read. No test changes them.
@pytest.fixture(scope="session")
def key_pair(tmp_path_factory: pytest.TempPathFactory) -> KeyPairPaths:
    """An encrypted key pair written by keygen (passphrase ``PASSWORD``)."""
    return keygen(tmp_path_factory.mktemp("keys"), PASSWORD)


@pytest.fixture(scope="session")
def private_key(key_pair: KeyPairPaths) -> ec.EllipticCurvePrivateKey:
    """The private key of ``key_pair``."""
    return load_private_key(key_pair.private_key, PASSWORD)


@pytest.fixture(scope="session")
def public_key(key_pair: KeyPairPaths) -> ec.EllipticCurvePublicKey:
    """The public key of ``key_pair``."""
    return load_public_key(key_pair.public_key)


@pytest.fixture(scope="session")
def other_key_pair(tmp_path_factory: pytest.TempPathFactory) -> KeyPairPaths:
    """A second, unrelated key pair (unencrypted)."""
    return keygen(tmp_path_factory.mktemp("other-keys"), b"")
