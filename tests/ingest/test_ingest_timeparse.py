"""Timestamps: strings with offsets, naive strings, epochs of four units."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerlens.ingest.timeparse import (
    TimestampError,
    from_epoch,
    from_unix_nanos,
    parse_timestamp,
    resolve_zone,
)

MOMENT = datetime(2024, 6, 1, 8, 0, 0, 123456, tzinfo=UTC)


@pytest.mark.parametrize(
    "text",
    [
        "2024-06-01T08:00:00.123456Z",
        "2024-06-01t08:00:00.123456z",
        "2024-06-01 08:00:00.123456Z",
        "2024-06-01T10:00:00.123456+02:00",
        "2024-06-01T10:00:00.123456+0200",
        "2024-06-01T03:00:00.123456-05",
        "2024-06-01T08:00:00.123456789Z",
        "2024-06-01T08:00:00,123456Z",
        "  2024-06-01T08:00:00.123456+00:00  ",
    ],
)
def test_strings_with_an_offset(text: str) -> None:
    assert parse_timestamp(text) == MOMENT


@pytest.mark.parametrize(
    "value",
    [
        1717228800.123456,
        "1717228800.123456",
        1717228800123.456,
        1717228800123456,
        "1717228800123456",
        1717228800123456789,
        "1717228800123456789",
        Decimal("1717228800.1234567"),
    ],
)
def test_epochs_by_magnitude(value: object) -> None:
    assert parse_timestamp(value) == MOMENT


def test_epoch_unit_boundaries() -> None:
    # Just below 1e11 is seconds (year 5138); 1e11 itself is milliseconds.
    assert from_epoch(99_999_999_999).year == 5138
    assert from_epoch(100_000_000_000) == datetime(1973, 3, 3, 9, 46, 40, tzinfo=UTC)
    assert from_epoch(10**14) == datetime(1973, 3, 3, 9, 46, 40, tzinfo=UTC)
    assert from_epoch(10**17) == datetime(1973, 3, 3, 9, 46, 40, tzinfo=UTC)


def test_naive_strings_need_a_zone() -> None:
    with pytest.raises(TimestampError) as caught:
        parse_timestamp("2024-06-01T10:00:00")
    assert caught.value.reason == "naive_timestamp"
    assert parse_timestamp("2024-06-01T10:00:00.123456", "Europe/Paris") == MOMENT


def test_ambiguous_local_time_takes_the_first_occurrence() -> None:
    # 02:30 happens twice in Paris on 2024-10-27; the first is still UTC+2.
    moment = parse_timestamp("2024-10-27 02:30:00", "Europe/Paris")
    assert moment == datetime(2024, 10, 27, 0, 30, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "reason"),
    [
        (None, "missing_timestamp"),
        ("", "missing_timestamp"),
        (True, "bad_timestamp"),
        ("2024-06-01", "bad_timestamp"),
        ("2024-13-01T00:00:00Z", "bad_timestamp"),
        ("2024-06-01T23:59:60Z", "bad_timestamp"),
        ("2024-06-01T00:00:00+24:00", "bad_timestamp"),
        ("June 1st", "bad_timestamp"),
        (0, "bad_timestamp"),
        (-5, "bad_timestamp"),
        (float("nan"), "bad_timestamp"),
        (float("inf"), "bad_timestamp"),
        ("1e400", "bad_timestamp"),
        ([2024], "bad_timestamp"),
    ],
)
def test_unreadable_values(value: object, reason: str) -> None:
    with pytest.raises(TimestampError) as caught:
        parse_timestamp(value)
    assert caught.value.reason == reason


def test_otlp_nanoseconds_truncate_to_microseconds() -> None:
    assert from_unix_nanos("1717228800123456999") == MOMENT
    assert from_unix_nanos(1717228800123456000) == MOMENT
    with pytest.raises(TimestampError) as caught:
        from_unix_nanos("0")
    assert caught.value.reason == "missing_timestamp"
    with pytest.raises(TimestampError):
        from_unix_nanos("-1")


def test_unknown_zone_is_a_value_error() -> None:
    with pytest.raises(ValueError, match="Mars/Olympus"):
        resolve_zone("Mars/Olympus")


@given(
    st.datetimes(
        min_value=datetime(1974, 1, 1),
        max_value=datetime(5000, 1, 1),
        timezones=st.just(UTC),
    )
)
def test_every_epoch_unit_reads_back_the_same_instant(moment: datetime) -> None:
    micros = (moment - datetime(1970, 1, 1, tzinfo=UTC)) // timedelta(microseconds=1)
    assert from_epoch(Decimal(micros) / 1_000_000) == moment
    assert from_epoch(Decimal(micros) / 1_000) == moment
    assert from_epoch(micros) == moment
    assert from_epoch(micros * 1000 + 999) == moment
    assert parse_timestamp(moment.isoformat()) == moment
