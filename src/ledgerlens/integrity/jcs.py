"""RFC 8785 JSON Canonicalization Scheme (JCS), written for ledgerlens.

Leaf bytes, producer chains and message texts are hashed over this encoding, so
it must be byte-exact: object members sorted by their UTF-16 code units, the
minimal string escapes, and numbers printed as ECMAScript prints them.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from json.encoder import encode_basestring as _json_string
from typing import Any

__all__ = ["CanonicalizationError", "canonicalize", "canonical_text"]

_MAX_SAFE_INT = 2**53 - 1  # I-JSON: beyond this a double is inexact


class CanonicalizationError(ValueError):
    """A value has no RFC 8785 form (NaN, infinity, a lone surrogate, a huge int)."""


def canonicalize(value: Any) -> bytes:
    """Return the RFC 8785 canonical UTF-8 bytes of a JSON-like value."""
    return canonical_text(value).encode("utf-8")


def canonical_text(value: Any) -> str:
    """Return the RFC 8785 canonical form of a JSON-like value as a string."""
    parts: list[str] = []
    try:
        _encode(value, parts)
    except RecursionError:
        msg = "value is nested too deeply to encode"
        raise CanonicalizationError(msg) from None
    return "".join(parts)


def _encode(value: Any, out: list[str]) -> None:
    if value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, str):
        out.append(_string(value))
    elif isinstance(value, int):
        out.append(_integer(value))
    elif isinstance(value, float):
        out.append(_number(value))
    elif isinstance(value, Mapping):
        _encode_object(value, out)
    elif isinstance(value, Sequence) and not isinstance(value, bytes | bytearray):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        msg = f"type `{type(value).__name__}` has no JSON form"
        raise CanonicalizationError(msg)


def _encode_object(value: Mapping[Any, Any], out: list[str]) -> None:
    for key in value:
        if not isinstance(key, str):
            msg = f"object key of type `{type(key).__name__}` is not a string"
            raise CanonicalizationError(msg)
        _string(key)  # a lone surrogate in a key must fail as one, not in the sort
    # RFC 8785 sorts by UTF-16 code units, which differs from code point order
    # only for characters above U+FFFF.
    keys = sorted(value, key=lambda k: k.encode("utf-16-be"))
    out.append("{")
    for index, key in enumerate(keys):
        if index:
            out.append(",")
        out.append(_string(key))
        out.append(":")
        _encode(value[key], out)
    out.append("}")


def _string(text: str) -> str:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError as error:
        # Only surrogates fail to encode; name the first, as the encoder met it.
        code = ord(text[error.start])
        msg = f"lone surrogate U+{code:04X} has no UTF-8 form"
        raise CanonicalizationError(msg) from None
    # The standard library's string encoder (the one behind ensure_ascii=False)
    # escapes exactly what RFC 8785 asks: `"` and `\\`, the short forms \b \f \n
    # \r \t, every other control character as \u00xx in lowercase, nothing
    # else. It runs in C, some twenty times faster than a loop here over the
    # characters of a long prompt; tests/integrity/test_jcs.py checks every
    # code point against the rule.
    return _json_string(text)


def _integer(value: int) -> str:
    if abs(value) > _MAX_SAFE_INT:
        msg = f"integer {value} is outside the exactly representable range"
        raise CanonicalizationError(msg)
    return str(value)


def _number(value: float) -> str:
    if math.isnan(value) or math.isinf(value):
        msg = f"`{value}` is not a JSON number"
        raise CanonicalizationError(msg)
    if value == 0:
        return "0"
    sign = "-" if value < 0 else ""
    digits, point = _shortest_digits(abs(value))
    count = len(digits)
    if count <= point <= 21:
        body = digits + "0" * (point - count)
    elif 0 < point <= 21:
        body = digits[:point] + "." + digits[point:]
    elif -6 < point <= 0:
        body = "0." + "0" * (-point) + digits
    else:
        exponent = point - 1
        mantissa = digits[0] + ("." + digits[1:] if count > 1 else "")
        body = f"{mantissa}e{'+' if exponent > 0 else '-'}{abs(exponent)}"
    return sign + body


def _shortest_digits(value: float) -> tuple[str, int]:
    """Shortest round-trip digits ``s`` and point ``n`` with value = 0.s * 10**n."""
    mantissa, _, exponent_text = repr(value).partition("e")
    exponent = int(exponent_text) if exponent_text else 0
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    leading_zeros = len(whole + fraction) - len(digits)
    point = len(whole) - leading_zeros + exponent
    digits = digits.rstrip("0") or "0"
    return digits, point
