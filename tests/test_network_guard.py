"""The suite-wide network guard itself."""

from __future__ import annotations

import socket

import pytest


def test_the_guard_refuses_a_public_address() -> None:
    """Regression: the guard must stop an outbound connection before it starts."""
    with socket.socket() as sock, pytest.raises(pytest.fail.Exception):
        sock.connect(("192.0.2.1", 9))


def test_the_guard_lets_loopback_through() -> None:
    """A refused loopback port is an OSError from the kernel, not the guard."""
    with socket.socket() as sock:
        sock.settimeout(2)
        with pytest.raises(OSError):
            sock.connect(("127.0.0.1", 9))
