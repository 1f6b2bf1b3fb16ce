"""The row-count checks ledgerlens runs itself, and the package's import cost.

A suite of only row-count checks never starts Great Expectations, so these
tests are fast.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import ledgerlens.quality
from ledgerlens.findings import CheckResult
from ledgerlens.quality import run_quality
from ledgerlens.record import empty_frame, records_frame

RecordFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def volume_suite(tmp_path: Path) -> Path:
    """A suite holding only the two row-count checks, as in the default suite."""
    document = {
        "suite": "volume-only",
        "version": "2.1.0",
        "expectations": [
            {
                "id": "no-data",
                "expectation": "ledgerlens:min_row_count",
                "kwargs": {"min_value": 1},
                "severity": "blocking",
                "description": "at least one record",
            },
            {
                "id": "volume",
                "expectation": "ledgerlens:reference_row_count",
                "kwargs": {"min_fraction": 0.5},
                "severity": "warning",
                "description": "half the reference median",
            },
        ],
    }
    path = tmp_path / "volume.json"
    path.write_text(json.dumps(document))
    return path


def _run(
    make_record: RecordFactory,
    suite: Path,
    rows: int,
    reference: list[int],
    **options: Any,
) -> dict[str, CheckResult]:
    frame = records_frame([make_record(i) for i in range(rows)])
    results = run_quality(frame, suite, reference_row_counts=reference, **options)
    return {r.check_id: r for r in results}


@pytest.mark.parametrize(
    ("rows", "reference", "passed", "median", "threshold"),
    [
        (5, [10, 12, 14], False, 12.0, 6.0),
        (6, [10, 12, 14], True, 12.0, 6.0),
        (8, [10, 20], True, 15.0, 7.5),
        (7, [10, 20], False, 15.0, 7.5),
        (7, [20, 10, 30, 16], False, 18.0, 9.0),
        (1, [0, 0, 0], True, 0.0, 0.0),
    ],
)
def test_volume_is_compared_with_half_the_reference_median(
    make_record: RecordFactory,
    volume_suite: Path,
    rows: int,
    reference: list[int],
    passed: bool,
    median: float,
    threshold: float,
) -> None:
    result = _run(make_record, volume_suite, rows, reference)["volume"]

    assert result.passed is passed
    assert result.severity == "warning"
    assert result.details["reference_median"] == median
    assert result.details["threshold"] == threshold
    assert result.details["reference_days"] == len(reference)
    assert result.details["evaluated"] is True


def test_volume_without_reference_days_is_not_evaluated(
    make_record: RecordFactory, volume_suite: Path
) -> None:
    result = _run(make_record, volume_suite, 3, [])["volume"]

    assert result.passed
    assert result.details["evaluated"] is False
    assert result.details["threshold"] is None
    assert result.summary == "volume: not evaluated, there are no reference days yet"


def test_empty_day_is_a_blocking_no_data_failure(volume_suite: Path) -> None:
    results = run_quality(empty_frame(), volume_suite, reference_row_counts=[])

    no_data = results[0]
    assert (no_data.check_id, no_data.passed, no_data.severity) == (
        "no-data",
        False,
        "blocking",
    )
    assert no_data.blocking_failure
    assert no_data.details["row_count"] == 0


def test_a_declared_empty_day_passes_the_no_data_check(volume_suite: Path) -> None:
    results = run_quality(
        empty_frame(), volume_suite, reference_row_counts=[], declared_empty=True
    )

    assert results[0].passed
    assert results[0].details["declared_empty"] is True
    assert results[0].summary == ("no-data: no records, and the day is declared empty")


def test_a_min_row_count_above_one_is_checked(
    make_record: RecordFactory, tmp_path: Path
) -> None:
    path = tmp_path / "min3.json"
    entry = {
        "id": "min-3",
        "expectation": "ledgerlens:min_row_count",
        "kwargs": {"min_value": 3},
        "severity": "warning",
        "description": "three records at least",
    }
    path.write_text(
        json.dumps({"suite": "m", "version": "1.0.0", "expectations": [entry]})
    )

    result = _run(make_record, path, 2, [])["min-3"]

    assert not result.passed
    assert result.summary == "min-3: 2 records, fewer than the 3 required"


def test_importing_the_package_does_not_import_gx() -> None:
    code = "import sys, ledgerlens.quality;print('great_expectations' in sys.modules)"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert out.stdout.strip() == "False"


def test_a_suite_of_row_count_checks_does_not_start_gx(volume_suite: Path) -> None:
    code = (
        "import sys; from pathlib import Path;"
        "from ledgerlens.quality import run_quality;"
        "from ledgerlens.record import empty_frame;"
        f"r = run_quality(empty_frame(), Path({str(volume_suite)!r}),"
        " reference_row_counts=[4]);"
        "print(len(r), 'great_expectations' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert out.stdout.strip() == "2 False"


def test_public_names_match_dunder_all() -> None:
    public = {n for n in vars(ledgerlens.quality) if not n.startswith("_")}

    assert set(ledgerlens.quality.__all__) == public - {"annotations"}
    assert ledgerlens.quality.__all__ == [
        "QualitySuite",
        "SuiteEntry",
        "load_suite",
        "run_quality",
    ]
