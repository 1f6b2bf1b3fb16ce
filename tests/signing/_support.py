"""Small value types the signing tests and their fixtures share."""

from __future__ import annotations

from pathlib import Path
from typing import Any, NamedTuple

__all__ = ["KeylessSetup", "SocketGuard"]


class KeylessSetup(NamedTuple):
    """What a keyless signer and its verifier need from the stand-in."""

    trust_config: Path
    token: str
    identity: str
    issuer: str


class SocketGuard:
    """Records every attempt to create a socket while it is armed."""

    def __init__(self) -> None:
        """Start disarmed, with nothing recorded."""
        self.armed = False
        self.attempts: list[tuple[Any, ...]] = []
