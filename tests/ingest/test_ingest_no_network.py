"""The network guard of the ingest tests is in force: loopback only."""

from __future__ import annotations

import socket

import pytest


def test_a_lookup_beyond_loopback_fails_the_test() -> None:
    # `.invalid` never resolves (RFC 6761), so nothing leaves even unguarded.
    with pytest.raises(AssertionError, match="must not touch the network"):
        socket.getaddrinfo("ledgerlens.invalid", 80)
    with pytest.raises(AssertionError, match="must not touch the network"):
        socket.create_connection(("ledgerlens.invalid", 80))


def test_loopback_is_allowed() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        port = server.getsockname()[1]
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass
