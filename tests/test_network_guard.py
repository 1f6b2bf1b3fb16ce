"""The suite-wide network guard itself (tests/conftest.py)."""

from __future__ import annotations

import socket

import pytest


def test_the_guard_refuses_a_public_address() -> None:
    """Regression: the guard must stop an outbound connection before it starts."""
    with socket.socket() as sock, pytest.raises(pytest.fail.Exception):
        sock.connect(("192.0.2.1", 9))


def test_a_lookup_beyond_loopback_fails_the_test() -> None:
    # `.invalid` never resolves (RFC 6761), so nothing leaves even unguarded.
    with pytest.raises(pytest.fail.Exception, match="look up a network name"):
        socket.getaddrinfo("ledgerlens.invalid", 80)
    with pytest.raises(pytest.fail.Exception, match="look up a network name"):
        socket.create_connection(("ledgerlens.invalid", 80))


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
