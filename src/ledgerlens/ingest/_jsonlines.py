"""Parsing one JSON text with orjson, and naming why it failed when it does.

orjson is strict (no ``NaN``, no lone surrogates, UTF-8 only), which is what a
record that will be hashed needs. On the rare failing unit the standard
library's lenient parser is asked what is wrong, so the quarantine reason tells
the producer what to fix.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any, Final

import orjson

from ledgerlens.ingest.interface import UnitRejected

__all__ = ["parse_json"]

_BOM: Final = b"\xef\xbb\xbf"
_LONE_SURROGATE: Final = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class _NonFinite(ValueError):
    pass


def parse_json(data: bytes, *, terminated: bool = True, at_start: bool = False) -> Any:
    """Parse one JSON text; raise :class:`UnitRejected` with a reason on failure.

    ``terminated`` is false for a file's last line when it has no newline, so a
    failure there is reported as ``truncated_line``; ``at_start`` allows a
    UTF-8 byte-order mark, which only the first line of a file may carry.
    """
    if at_start and data.startswith(_BOM):
        data = data[len(_BOM) :]
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        raise UnitRejected(_failure_reason(data, terminated)) from None


def _failure_reason(data: bytes, terminated: bool) -> str:
    if not terminated:
        return "truncated_line"
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return "invalid_utf8"
    try:
        json.loads(text, parse_constant=_reject_constant, parse_float=_finite_float)
    except _NonFinite:
        return "non_finite_number"
    except RecursionError:
        return "too_deeply_nested"
    except ValueError:
        return "invalid_json"
    # The lenient parser took what orjson refused: a lone surrogate escape is
    # the one difference that matters here.
    if _LONE_SURROGATE.search(text):
        return "lone_surrogate"
    return "invalid_json"


def _reject_constant(name: str) -> Any:
    raise _NonFinite(name)


def _finite_float(text: str) -> float:
    # orjson refuses 1e400 (it would be infinite); say so rather than "invalid".
    number = float(text)
    if math.isinf(number):
        raise _NonFinite(text)
    return number
