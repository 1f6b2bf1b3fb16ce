"""Timestamps from log sources, turned into tz-aware UTC datetimes (microseconds).

Accepted forms:

* RFC 3339 / ISO 8601 strings with a time: ``2024-05-01T12:00:00Z``, any offset
  (``+02:00``, ``+0200``, ``-08``), ``T``, ``t`` or a space between date and time,
  any number of fraction digits.
* Strings with no offset ("naive"): only when the source has a configured IANA
  zone (``naive_tz``); the zone is never guessed from the host.
* Epoch numbers, as JSON numbers or numeric strings. The unit is decided by the
  magnitude of the value, so each unit is read correctly for instants between
  1973-03-03 and the year 5138:

  ========================  ============
  value                     read as
  ========================  ============
  below 1e11                seconds
  1e11 up to below 1e14     milliseconds
  1e14 up to below 1e17     microseconds
  1e17 and above            nanoseconds
  ========================  ============

  Zero and negative values are rejected: no LLM call happened in 1970.

Digits below the microsecond are dropped (truncated towards the past), the same
rule for strings, epochs and OTLP nanoseconds.
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta, timezone, tzinfo
from decimal import ROUND_FLOOR, Decimal, InvalidOperation
from functools import lru_cache
from typing import Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

__all__ = [
    "TimestampError",
    "from_epoch",
    "from_unix_nanos",
    "parse_timestamp",
    "resolve_zone",
]

_EPOCH: Final = datetime(1970, 1, 1, tzinfo=UTC)
_RFC3339: Final = re.compile(
    r"(\d{4})-(\d{2})-(\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?"
    r"(?:([Zz])|([+-])(\d{2})(?::?(\d{2}))?)?"
)
_NUMERIC: Final = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
# Upper bounds of each epoch unit, and the microseconds in one of that unit.
_EPOCH_UNITS: Final[tuple[tuple[Decimal, Decimal], ...]] = (
    (Decimal("1e11"), Decimal(1_000_000)),
    (Decimal("1e14"), Decimal(1_000)),
    (Decimal("1e17"), Decimal(1)),
)
_NANOS_PER_MICRO: Final = Decimal("0.001")


class TimestampError(ValueError):
    """A timestamp could not be read; ``reason`` is the quarantine reason code.

    The message names the problem but never repeats the value, which may have
    come from a line holding prompt text.
    """

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


def resolve_zone(name: str) -> tzinfo:
    """Return the IANA zone ``name``; raise ``ValueError`` for an unknown zone."""
    return _zone(name)


@lru_cache(maxsize=64)
def _zone(name: str) -> tzinfo:
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"unknown time zone `{name}`"
        raise ValueError(msg) from exc


def parse_timestamp(value: object, naive_tz: str | None = None) -> datetime:
    """Read a string or epoch number as a UTC datetime with microseconds.

    Raises :class:`TimestampError` with reason ``missing_timestamp`` (``None`` or
    an empty string), ``naive_timestamp`` (no offset and no ``naive_tz``) or
    ``bad_timestamp`` (anything else that cannot be read).
    """
    if value is None or value == "":
        raise TimestampError("missing_timestamp", "the timestamp is missing")
    if isinstance(value, bool):
        raise TimestampError("bad_timestamp", "a boolean is not a timestamp")
    if isinstance(value, int | float | Decimal):
        return from_epoch(value)
    if isinstance(value, str):
        text = value.strip()
        if _NUMERIC.fullmatch(text):
            return from_epoch(_decimal(text))
        return _parse_text(text, naive_tz)
    msg = f"a value of type `{type(value).__name__}` is not a timestamp"
    raise TimestampError("bad_timestamp", msg)


def from_epoch(value: int | float | Decimal) -> datetime:
    """Read an epoch number whose unit is decided by its magnitude (see module)."""
    number = _decimal(value)
    if number <= 0:
        raise TimestampError("bad_timestamp", "an epoch timestamp must be positive")
    for bound, micros_per_unit in _EPOCH_UNITS:
        if number < bound:
            return _from_micros(number * micros_per_unit)
    return _from_micros(number * _NANOS_PER_MICRO)


def from_unix_nanos(value: int | str) -> datetime:
    """Read OTLP's ``*TimeUnixNano`` (always nanoseconds, int or decimal string)."""
    if isinstance(value, bool):
        raise TimestampError("bad_timestamp", "a boolean is not a timestamp")
    if isinstance(value, str):
        # ASCII digits only: str.isdigit() also accepts "²" and other scripts'
        # digits, and a 40-digit value is already far past year 9999.
        if not (value.isascii() and value.isdigit()) or len(value) > 40:
            raise TimestampError("bad_timestamp", "unix nanoseconds must be digits")
        value = int(value)
    if not isinstance(value, int):
        raise TimestampError("bad_timestamp", "unix nanoseconds must be an integer")
    if value <= 0:
        # OTLP writes 0 for a time that was never set.
        raise TimestampError("missing_timestamp", "the timestamp is zero (unset)")
    try:
        return _EPOCH + timedelta(microseconds=value // 1000)
    except OverflowError as exc:
        raise TimestampError("bad_timestamp", "the timestamp is out of range") from exc


def _decimal(value: int | float | Decimal | str) -> Decimal:
    if isinstance(value, float):
        if not math.isfinite(value):
            raise TimestampError("bad_timestamp", "a timestamp must be finite")
        # repr gives the shortest digits that read back as this float, which are
        # the digits the producer wrote for any float it printed exactly.
        value = repr(value)
    try:
        number = Decimal(value)
    except InvalidOperation as exc:
        raise TimestampError("bad_timestamp", "not a number") from exc
    if not number.is_finite():
        raise TimestampError("bad_timestamp", "a timestamp must be finite")
    return number


def _from_micros(micros: Decimal) -> datetime:
    whole = int(micros.to_integral_value(rounding=ROUND_FLOOR))
    try:
        return _EPOCH + timedelta(microseconds=whole)
    except OverflowError as exc:
        raise TimestampError("bad_timestamp", "the timestamp is out of range") from exc


def _parse_text(text: str, naive_tz: str | None) -> datetime:
    match = _RFC3339.fullmatch(text)
    if match is None:
        raise TimestampError("bad_timestamp", "not an RFC 3339 timestamp")
    year, month, day, hour, minute, second = (int(g) for g in match.groups()[:6])
    fraction, zulu, sign, off_hours, off_minutes = match.groups()[6:]
    micros = int((fraction or "0")[:6].ljust(6, "0"))
    try:
        local = datetime(year, month, day, hour, minute, second, micros)
    except ValueError as exc:
        raise TimestampError("bad_timestamp", "the date or time is invalid") from exc

    if zulu:
        return local.replace(tzinfo=UTC)
    if sign:
        offset = _offset(sign, off_hours, off_minutes)
        return _to_utc(local.replace(tzinfo=offset))
    if naive_tz is None:
        msg = "the timestamp has no UTC offset and the source has no naive_tz"
        raise TimestampError("naive_timestamp", msg)
    # fold=0: an ambiguous wall time (the repeated hour in autumn) is read as
    # its first occurrence.
    return _to_utc(local.replace(tzinfo=_zone(naive_tz)))


def _offset(sign: str, hours: str, minutes: str | None) -> timezone:
    if int(hours) > 23 or int(minutes or "0") > 59:
        raise TimestampError("bad_timestamp", "the UTC offset is invalid")
    delta = timedelta(hours=int(hours), minutes=int(minutes or "0"))
    return timezone(-delta if sign == "-" else delta)


def _to_utc(moment: datetime) -> datetime:
    try:
        return moment.astimezone(UTC)
    except OverflowError as exc:
        raise TimestampError("bad_timestamp", "the timestamp is out of range") from exc
