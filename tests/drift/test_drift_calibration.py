"""The calibrated settings: the minimum sample rule and generator days.

The min_rows tests never reach Evidently. The two generator comparisons
(a same-distribution day and the drift day, each 400 records against 5 days of
400) run Evidently once each, at the shipped thresholds, through the same
ingest path as the nightly audit.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType

import polars as pl
import pytest

from ledgerlens.drift import FEATURE_COLUMNS, DriftOutcome, run_drift
from ledgerlens.findings import verdict_of
from ledgerlens.ingest import IngestOptions, discover_sources, read_units
from ledgerlens.record import records_frame

REPO = Path(__file__).resolve().parents[2]
DAY_SIZE = 400
REFERENCE_DAYS = 5
FIRST_DAY = date(2026, 11, 23)
DRIFTED_COLUMNS = {
    "latency_ms",
    "tokens_out",
    "output_chars",
    "model_version",
    "finish_reason",
    "policy_outcome",
}

MakeDay = Callable[..., pl.DataFrame]


def _generator() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "ledgerlens_fixture_generator", REPO / "data_fixtures" / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def _ingested(path: Path) -> pl.DataFrame:
    options = IngestOptions(format="ledgerlens-jsonl")
    rows = [
        unit.record
        for source in discover_sources(path)
        for unit in read_units(source, options)
        if unit.outcome == "accepted" and unit.record is not None
    ]
    return records_frame(rows)


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> dict[str, pl.DataFrame]:
    """Five reference days, a sixth day like them and a drift day, 400 each."""
    generator = _generator()
    folder = tmp_path_factory.mktemp("generated-days")

    def day(offset: int, *, drifted: bool = False) -> pl.DataFrame:
        path = folder / f"day-{offset}.jsonl"
        generator.stream_day(
            path,
            day=FIRST_DAY + timedelta(days=offset),
            records=DAY_SIZE,
            seed=7,
            drifted=drifted,
        )
        return _ingested(path)

    return {
        "reference": pl.concat([day(i) for i in range(REFERENCE_DAYS)]),
        "same": day(REFERENCE_DAYS),
        "drift": day(REFERENCE_DAYS + 1, drifted=True),
    }


@pytest.fixture(scope="module")
def same_day(
    generated: dict[str, pl.DataFrame], shipped_settings: Path
) -> DriftOutcome:
    """A same-distribution day against the reference week, shipped settings."""
    return run_drift(generated["same"], generated["reference"], shipped_settings)


@pytest.fixture(scope="module")
def drift_day(
    generated: dict[str, pl.DataFrame], shipped_settings: Path
) -> DriftOutcome:
    """The generator's drift day against the same reference, shipped settings."""
    return run_drift(generated["drift"], generated["reference"], shipped_settings)


def _drifted(outcome: DriftOutcome) -> set[str]:
    return {row["column"] for row in outcome.columns if row["drifted"]}


def test_generated_days_have_the_calibrated_sizes(
    generated: dict[str, pl.DataFrame],
) -> None:
    assert generated["reference"].height == REFERENCE_DAYS * DAY_SIZE
    assert generated["same"].height == generated["drift"].height == DAY_SIZE


def test_a_same_distribution_day_does_not_drift(same_day: DriftOutcome) -> None:
    assert _drifted(same_day) == set()
    for row in same_day.columns:
        assert row["note"] == ""
        assert 0.0 <= row["score"] < row["threshold"], row
    assert all(result.passed for result in same_day.results)
    assert verdict_of(same_day.results) == "pass"


def test_a_day_of_exactly_min_rows_is_measured(same_day: DriftOutcome) -> None:
    assert same_day.sample["min_rows"] == DAY_SIZE
    assert same_day.sample["current_rows"] == DAY_SIZE
    assert same_day.sample["reference_rows"] == REFERENCE_DAYS * DAY_SIZE
    assert all(row["score"] is not None for row in same_day.columns)


def test_the_drift_day_drifts_on_the_columns_the_generator_moves(
    drift_day: DriftOutcome,
) -> None:
    rows = {row["column"]: row for row in drift_day.columns}

    assert _drifted(drift_day) == DRIFTED_COLUMNS
    for name in ("latency_ms", "model_version", "policy_outcome"):
        assert rows[name]["score"] >= rows[name]["threshold"], rows[name]
    for name in set(FEATURE_COLUMNS) - DRIFTED_COLUMNS:
        assert rows[name]["score"] < rows[name]["threshold"], rows[name]


def test_the_drift_day_fails_the_verdict_on_blocking_columns(
    drift_day: DriftOutcome,
) -> None:
    blocking = {r.check_id for r in drift_day.results if r.severity == "blocking"}
    failed_blocking = {
        r.check_id
        for r in drift_day.results
        if r.severity == "blocking" and not r.passed
    }

    assert (
        blocking
        == failed_blocking
        == {
            "drift.model_version",
            "drift.policy_outcome",
        }
    )
    assert verdict_of(drift_day.results) == "fail"


@pytest.mark.parametrize(
    ("current_size", "reference_size"),
    [(399, 2000), (2000, 399), (120, 80)],
)
def test_below_min_rows_every_column_is_a_warning_and_evidently_is_not_run(
    day: MakeDay,
    shipped_settings: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    current_size: int,
    reference_size: int,
) -> None:
    # Evidently must not be reached at all: make any call to it an error.
    import ledgerlens.drift.evidently_runner as runner

    def no_evidently(*args: object, **kwargs: object) -> None:
        raise AssertionError("Evidently was called below min_rows")

    monkeypatch.setattr(runner, "_evidently_scores", no_evidently)
    # A shifted current side: it must still not count as drift.
    current = day(current_size, 41, new_model_share=0.9, block_share=0.3)
    reference = day(reference_size, 42)
    html = tmp_path / "drift.html"
    html.write_text("an earlier run's report", encoding="utf-8")

    outcome = run_drift(current, reference, shipped_settings, html_out=html)

    note = (
        f"too few rows (current {current_size}, reference {reference_size}; need 400)"
    )
    assert [r.check_id for r in outcome.results] == [
        f"drift.{name}" for name in FEATURE_COLUMNS
    ]
    for result in outcome.results:
        assert (result.kind, result.severity, result.passed) == (
            "drift",
            "warning",
            False,
        )
        assert result.details["note"] == note
        assert result.details["score"] is None
        assert result.details["drifted"] is False
        assert result.details["current_rows"] == current_size
        assert result.details["reference_rows"] == reference_size
        column = result.check_id.removeprefix("drift.")
        assert result.summary == f"{column}: drift not measured, {note}"
    for row in outcome.columns:
        assert (row["severity"], row["drifted"], row["score"]) == (
            "warning",
            False,
            None,
        )
        assert row["note"] == note
    assert verdict_of(outcome.results) == "pass"
    assert outcome.html_path is None
    assert not html.exists()


def test_below_min_rows_the_sample_records_the_minimum(
    day: MakeDay, shipped_settings: Path
) -> None:
    outcome = run_drift(day(150, 5), day(900, 6), shipped_settings)

    assert outcome.sample == {
        "size": 5000,
        "seed": 20261204,
        "min_rows": 400,
        "current_rows": 150,
        "reference_rows": 900,
        "current_sampled": 150,
        "reference_sampled": 900,
    }


def test_an_empty_side_keeps_its_own_note_whatever_min_rows_says(
    day: MakeDay, shipped_settings: Path
) -> None:
    from ledgerlens.record import empty_frame

    outcome = run_drift(empty_frame(), day(50, 8), shipped_settings)

    assert {r.details["note"] for r in outcome.results} == {"no current data"}
