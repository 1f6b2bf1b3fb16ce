"""Locally minted OIDC identity tokens for the stand-in.

sigstore-python reads a token's claims without checking its signature (the real
Fulcio does that), so an HMAC-signed JWT with the right claims is all a signing
session needs. The stand-in's Fulcio reads the same claims back.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
from typing import Any, Final

__all__ = ["AUDIENCE", "decode_claims", "mint_token"]

AUDIENCE: Final = "sigstore"
# Signs the token only so that it has the shape of a JWT; nothing checks it.
_MAC_KEY: Final = b"ledgerlens stand-in identity provider"


def _b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def mint_token(
    *, issuer: str, email: str, lifetime: int = 600, audience: str = AUDIENCE
) -> str:
    """A JWT naming ``email`` (as ``sub`` and ``email``), valid ``lifetime`` s."""
    now = int(time.time())
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {
        "iss": issuer,
        "sub": email,
        "email": email,
        "email_verified": True,
        "aud": audience,
        "iat": now - 30,
        "nbf": now - 30,
        "exp": now + lifetime,
    }
    signing_input = ".".join(
        _b64url(json.dumps(part, separators=(",", ":")).encode())
        for part in (header, claims)
    )
    mac = hmac.new(_MAC_KEY, signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64url(mac)}"


def decode_claims(token: str) -> dict[str, Any]:
    """The claims of a JWT, unchecked (as the stand-in's Fulcio needs them)."""
    parts = token.split(".")
    if len(parts) != 3:
        msg = "not a JWT"
        raise ValueError(msg)
    claims = json.loads(_b64url_decode(parts[1]))
    if not isinstance(claims, dict):
        msg = "JWT claims are not an object"
        raise ValueError(msg)
    return claims
