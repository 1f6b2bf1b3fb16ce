"""The network guard of the ingest tests is in force."""

from __future__ import annotations

import socket

import pytest


def test_a_connection_attempt_fails_the_test() -> None:
    with pytest.raises(AssertionError, match="must not touch the network"):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(AssertionError, match="must not touch the network"):
        socket.getaddrinfo("localhost", 80)
