"""Suite-wide guards: no test may reach beyond loopback, nor phone home."""

from __future__ import annotations

import ipaddress
import logging
import os
import socket
import tempfile
from collections.abc import Iterator
from typing import Any

import pytest

os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
# Prefect writes its state under PREFECT_HOME as soon as it is imported: keep the
# suite's out of the user's ~/.prefect.
os.environ.setdefault("PREFECT_HOME", tempfile.mkdtemp(prefix="ledgerlens-prefect-"))


def _loopback(address: Any) -> bool:
    if isinstance(address, str) or not isinstance(address, tuple):
        return True  # a Unix socket path is local by construction
    host = str(address[0])
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return False


@pytest.fixture(autouse=True)
def _network_cut(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Fail any test whose code connects anywhere but loopback."""
    real_connect = socket.socket.connect
    real_connect_ex = socket.socket.connect_ex

    def connect(sock: socket.socket, address: Any) -> None:
        if not _loopback(address):
            pytest.fail(f"a test tried to reach the network: {address!r}")
        real_connect(sock, address)

    def connect_ex(sock: socket.socket, address: Any) -> int:
        if not _loopback(address):
            pytest.fail(f"a test tried to reach the network: {address!r}")
        return real_connect_ex(sock, address)

    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        # A name lookup is the first step towards a host: refuse it too.
        if isinstance(host, str | bytes) and not _loopback((str(host), 0)):
            pytest.fail(f"a test tried to look up a network name: {host!r}")
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", connect)
    monkeypatch.setattr(socket.socket, "connect_ex", connect_ex)
    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    yield


@pytest.fixture(autouse=True)
def _package_logger_restored() -> Iterator[None]:
    """Give every test the package logger as a library leaves it.

    ``ledgerlens`` commands configure the package logger (rich handler, no
    propagation); a CLI run in-process, even in a session fixture, must not
    leave that in place for tests that read log records with ``caplog``.
    """
    package = logging.getLogger("ledgerlens")
    package.handlers[:] = []
    package.setLevel(logging.NOTSET)
    package.propagate = True
    logging.getLogger("weasyprint").setLevel(logging.NOTSET)
    yield
