"""A Sigstore stand-in on loopback: Fulcio-like CA, CT log, Rekor-like log.

It lets keyless signing run end to end without any public Sigstore service:
sigstore-python signs against it through a client trust configuration, and
verifies what it signed offline against the same trusted root.
"""

from __future__ import annotations

from .server import IDENTITY, ISSUER, StandIn

__all__ = ["IDENTITY", "ISSUER", "StandIn"]
