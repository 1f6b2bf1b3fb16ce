"""run_quality with the default suite: exact results on faulty, empty and clean days.

Great Expectations is slow to import and to set up, so each day is run once per
module and the tests read its results.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

from ledgerlens.errors import CheckError
from ledgerlens.findings import CheckResult, verdict_of
from ledgerlens.quality import run_quality
from ledgerlens.record import empty_frame, records_frame

RecordFactory = Callable[..., dict[str, Any]]
Results = dict[str, CheckResult]


def _by_id(results: list[CheckResult]) -> Results:
    return {r.check_id: r for r in results}


@pytest.fixture(scope="module")
def faulty_rows(make_record: RecordFactory) -> list[dict[str, Any]]:
    """Ten records, each of rows 1-9 breaking the default suite in one way."""
    first = make_record(0)
    start = first["ts_start"]
    two_policies = [
        {**first["policy_results"][0]},
        {"policy": "escalation", "version": "3", "outcome": "escalate"},
    ]
    return [
        first,
        make_record(1, status="timeout"),
        make_record(2, record_id=first["record_id"]),
        make_record(
            3, latency_ms=-1.0, ts_start=start, ts_end=start - dt.timedelta(seconds=1)
        ),
        make_record(4, policy_results=two_policies),
        make_record(5, record_id=None),
        make_record(6, model=None),
        make_record(7, tokens_out=3_000_000, cost_usd=250.0),
        make_record(8, tokens_in=None),
        make_record(9, latency_ms=float("nan")),
    ]


@pytest.fixture(scope="module")
def faulty_day(
    faulty_rows: list[dict[str, Any]], default_suite: Path
) -> list[CheckResult]:
    """The default suite's results on the faulty day, reference median 22."""
    return run_quality(
        records_frame(faulty_rows), default_suite, reference_row_counts=[20, 22, 30]
    )


@pytest.fixture(scope="module")
def empty_day(default_suite: Path) -> list[CheckResult]:
    """The default suite's results on a day with no records."""
    return run_quality(empty_frame(), default_suite, reference_row_counts=[20, 22, 30])


@pytest.fixture(scope="module")
def clean_day(make_record: RecordFactory, default_suite: Path) -> list[CheckResult]:
    """The default suite's results on six good records, reference median 10."""
    frame = records_frame([make_record(i) for i in range(6)])
    return run_quality(frame, default_suite, reference_row_counts=[8, 10, 12])


def _ids(rows: list[dict[str, Any]], *indexes: int) -> list[str]:
    return [rows[i]["record_id"] for i in indexes]


def test_faulty_day_fails_exactly_the_expected_checks(
    faulty_day: list[CheckResult],
) -> None:
    failed = {r.check_id: r.severity for r in faulty_day if not r.passed}

    assert failed == {
        "record-id-present": "blocking",
        "model-present": "blocking",
        "record-id-unique": "blocking",
        "status-allowed": "blocking",
        "policy-outcome-allowed": "blocking",
        "ts-end-not-before-start": "warning",
        "latency-ms-range": "warning",
        "tokens-out-range": "warning",
        "cost-usd-range": "warning",
        "volume-vs-reference": "warning",
    }
    assert [r.check_id for r in faulty_day][0] == "record-id-present"
    assert len(faulty_day) == 17
    assert {r.kind for r in faulty_day} == {"quality"}
    assert verdict_of(faulty_day) == "fail"


@pytest.mark.parametrize(
    ("check_id", "unexpected", "offenders"),
    [
        ("status-allowed", 1, (1,)),
        ("model-present", 1, (6,)),
        ("ts-end-not-before-start", 1, (3,)),
        ("latency-ms-range", 1, (3,)),
        ("tokens-out-range", 1, (7,)),
        ("cost-usd-range", 1, (7,)),
        ("policy-outcome-allowed", 1, (4,)),
    ],
)
def test_failed_check_names_its_offending_records(
    faulty_day: list[CheckResult],
    faulty_rows: list[dict[str, Any]],
    check_id: str,
    unexpected: int,
    offenders: tuple[int, ...],
) -> None:
    details = _by_id(faulty_day)[check_id].details

    assert details["unexpected_count"] == unexpected
    assert details["record_ids"] == _ids(faulty_rows, *offenders)
    assert details["record_ids_omitted"] == 0
    assert details["rows_without_record_id"] == 0


def test_duplicate_record_id_names_both_rows(
    faulty_day: list[CheckResult], faulty_rows: list[dict[str, Any]]
) -> None:
    result = _by_id(faulty_day)["record-id-unique"]

    assert result.details["unexpected_count"] == 2
    assert result.details["record_ids"] == _ids(faulty_rows, 0, 0)
    assert result.summary == (
        "record-id-unique failed: 2 of 10 records unexpected (22.22%) on `record_id`"
    )


def test_missing_record_id_is_counted_not_named(faulty_day: list[CheckResult]) -> None:
    details = _by_id(faulty_day)["record-id-present"].details

    assert details["unexpected_count"] == 1
    assert details["record_ids"] == []
    assert details["rows_without_record_id"] == 1


def test_range_check_skips_missing_values_and_counts_them(
    faulty_day: list[CheckResult],
) -> None:
    results = _by_id(faulty_day)
    latency = results["latency-ms-range"]

    # NaN latency (row 9) is missing, as in GX; -1.0 (row 3) is out of range.
    assert latency.details["element_count"] == 10
    assert latency.details["missing_count"] == 1
    assert latency.details["unexpected_percent"] == pytest.approx(100 / 9)
    assert latency.summary == (
        "latency-ms-range failed: 1 of 10 records unexpected (11.11%) on `latency_ms`"
    )
    assert results["tokens-in-range"].passed
    assert results["tokens-in-range"].details["missing_count"] == 1


def test_policy_outcomes_are_checked_per_policy_result(
    faulty_day: list[CheckResult],
) -> None:
    result = _by_id(faulty_day)["policy-outcome-allowed"]

    assert result.details["table"] == "policy_results"
    assert result.details["element_count"] == 11
    assert result.summary == (
        "policy-outcome-allowed failed: 1 of 11 policy results unexpected"
        " (9.09%) on `policy_outcome`"
    )


def test_volume_below_half_the_reference_median_warns(
    faulty_day: list[CheckResult],
) -> None:
    result = _by_id(faulty_day)["volume-vs-reference"]

    assert not result.passed
    assert result.severity == "warning"
    assert result.details["reference_median"] == 22.0
    assert result.details["threshold"] == 11.0
    assert result.details["row_count"] == 10
    assert result.summary == (
        "volume-vs-reference: 10 records, below 11"
        " (0.5 x median 22 of 3 reference days)"
    )


def test_details_carry_the_suite_identity(
    faulty_day: list[CheckResult], default_suite: Path
) -> None:
    sha256 = hashlib.sha256(default_suite.read_bytes()).hexdigest()
    for result in faulty_day:
        assert result.details["suite"] == "ledgerlens-default"
        assert result.details["suite_version"] == "1.1.0"
        assert result.details["suite_sha256"] == sha256


def test_results_round_trip_through_findings_json(
    faulty_day: list[CheckResult],
) -> None:
    assert [CheckResult.from_json(r.to_json()) for r in faulty_day] == faulty_day


def test_empty_day_fails_the_no_data_check(empty_day: list[CheckResult]) -> None:
    failed = {r.check_id: r for r in empty_day if not r.passed}

    assert sorted(failed) == ["no-data", "volume-vs-reference"]
    assert [r.check_id for r in empty_day if r.blocking_failure] == ["no-data"]
    assert failed["no-data"].summary == (
        "no-data: no data: 0 records, at least 1 required"
    )
    assert verdict_of(empty_day) == "fail"
    # GX passed the row checks on zero rows: that is why no-data exists.
    assert _by_id(empty_day)["status-allowed"].details["element_count"] == 0


def test_clean_day_passes_every_check(clean_day: list[CheckResult]) -> None:
    assert [r.check_id for r in clean_day if not r.passed] == []
    assert verdict_of(clean_day) == "pass"
    volume = _by_id(clean_day)["volume-vs-reference"]
    assert volume.details["threshold"] == 5.0
    assert volume.summary == (
        "volume-vs-reference: 6 records, at least 5"
        " (0.5 x median 10 of 3 reference days)"
    )


def test_a_frame_without_a_column_the_suite_reads_is_refused(
    default_suite: Path,
) -> None:
    frame = empty_frame().drop("model").with_columns(pl.col("tokens_in").cast(pl.Utf8))

    with pytest.raises(CheckError) as caught:
        run_quality(frame, default_suite, reference_row_counts=[])

    assert caught.value.message == (
        "quality checks need record columns: `tokens_in` is not a record column"
        " of its type; `model` is missing"
    )


def test_columns_the_suite_does_not_read_may_be_left_out(
    make_record: RecordFactory, default_suite: Path, clean_day: list[CheckResult]
) -> None:
    frame = records_frame([make_record(i) for i in range(6)]).drop("extra", "reviewer")

    found = run_quality(frame, default_suite, reference_row_counts=[8, 10, 12])

    assert found == clean_day


def test_negative_reference_counts_are_refused(default_suite: Path) -> None:
    with pytest.raises(CheckError) as caught:
        run_quality(empty_frame(), default_suite, reference_row_counts=[3, -1])

    assert caught.value.message == (
        "reference row counts must be whole numbers of at least 0"
    )
