"""RFC 8785 text at ingest speed, byte-identical to ``integrity.jcs``.

``integrity.jcs`` escapes strings one character at a time in Python, which is
the right reference but too slow for a million message lists. orjson's string
escapes are the same as RFC 8785's for every code point outside the surrogate
range (checked for all of them in the tests), and its sorted keys agree with
RFC 8785's UTF-16 order whenever every key is ASCII. orjson prints a float
with the same shortest digits as ECMAScript, and in the same plain notation,
for every non-integral float whose magnitude is in [1e-5, 1e16) (outside that
range, or for an integral float, the notations differ). So:

* a value of ASCII-keyed objects, arrays, strings, booleans, null, integers
  within 2**53 and floats of that range is encoded by orjson in one call;
* anything else is walked here, with orjson escaping each string and
  ``integrity.jcs`` printing floats and sorting non-ASCII keys;
* whatever has no RFC 8785 form raises ``CanonicalizationError`` as the
  reference does.
"""

from __future__ import annotations

from typing import Any, Final

import orjson

from ledgerlens.integrity.jcs import CanonicalizationError, canonical_text

__all__ = ["canonical_json"]

_MAX_SAFE_INT: Final = 2**53 - 1  # as integrity.jcs: I-JSON exact range
_PLAIN_FLOAT_MIN: Final = 1e-5
_PLAIN_FLOAT_MAX: Final = 1e16


def canonical_json(value: Any) -> str:
    """The RFC 8785 canonical text of a JSON-like value."""
    if _orjson_exact(value):
        try:
            return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
        except orjson.JSONEncodeError:
            # A lone surrogate: let the reference encoder name the problem.
            return canonical_text(value)
    parts: list[str] = []
    try:
        _encode(value, parts)
    except RecursionError:
        msg = "value is nested too deeply to encode"
        raise CanonicalizationError(msg) from None
    return "".join(parts)


def _orjson_exact(value: Any) -> bool:
    """True when orjson's sorted output is the RFC 8785 text of ``value``.

    Exact type checks keep subclasses (which orjson may print differently) on
    the reference path; the walk uses a stack because it runs once per record.
    """
    stack = [value]
    while stack:
        item = stack.pop()
        kind = type(item)
        if kind is str or item is None or kind is bool:
            continue
        if kind is int:
            if abs(item) > _MAX_SAFE_INT:
                return False
        elif kind is float:
            if (
                item.is_integer()
                or not _PLAIN_FLOAT_MIN <= abs(item) < _PLAIN_FLOAT_MAX
            ):
                return False
        elif kind is dict:
            if not _ascii_keys(item):
                return False
            stack.extend(item.values())
        elif kind is list or kind is tuple:
            stack.extend(item)
        else:
            return False
    return True


def _ascii_keys(mapping: dict[Any, Any]) -> bool:
    try:
        return "".join(mapping).isascii()
    except TypeError:  # a key that is not a string
        return False


def _encode(value: Any, out: list[str]) -> None:
    if isinstance(value, str):
        out.append(_string(value))
    elif value is None or value is True or value is False:
        out.append("null" if value is None else "true" if value else "false")
    elif isinstance(value, dict):
        _encode_object(value, out)
    elif isinstance(value, list | tuple):
        out.append("[")
        for index, item in enumerate(value):
            if index:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        # Numbers, and anything unsupported, which the reference rejects with
        # its own message.
        out.append(canonical_text(value))


def _encode_object(value: dict[Any, Any], out: list[str]) -> None:
    if not all(isinstance(key, str) for key in value):
        canonical_text(value)  # raises the reference error for the bad key
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
        return orjson.dumps(text).decode()
    except orjson.JSONEncodeError as exc:
        msg = "a string holds a lone surrogate, which has no UTF-8 form"
        raise CanonicalizationError(msg) from exc
