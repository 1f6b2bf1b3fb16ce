"""Drift measured with Evidently on seeded synthetic days.

Evidently is slow to import and to run, so the main comparisons run once per
module and several tests read their outcomes.
"""

from __future__ import annotations

import os
import subprocess
import sys
import types
from collections.abc import Callable
from pathlib import Path
from typing import Any

import polars as pl
import pytest

import ledgerlens.drift as drift
from ledgerlens.drift import (
    FEATURE_COLUMNS,
    METHODS,
    MISSING_LABEL,
    DriftOutcome,
    load_settings,
    run_drift,
)
from ledgerlens.findings import verdict_of
from ledgerlens.record import empty_frame

MARKER = "ZQX-prompt-marker-55ab19"
SHIFTED = {"latency_ms", "model_version", "policy_outcome"}
DETAIL_KEYS = {
    "method",
    "threshold",
    "score",
    "score_kind",
    "drifted",
    "current_rows",
    "reference_rows",
    "note",
}

MakeDay = Callable[..., pl.DataFrame]
WriteSettings = Callable[[Any], Path]


@pytest.fixture(scope="module")
def days(day: MakeDay) -> dict[str, pl.DataFrame]:
    """Reference, same-distribution and shifted days; every prompt has the marker."""
    return {
        "reference": day(3000, 1, marker=MARKER),
        "same": day(3000, 2, marker=MARKER),
        "shifted": day(
            3000,
            3,
            marker=MARKER,
            latency_scale=2.0,
            new_model_share=0.5,
            block_share=0.17,
        ),
    }


@pytest.fixture(scope="module")
def same_outcome(days: dict[str, pl.DataFrame], shipped_settings: Path) -> DriftOutcome:
    """Two seeded samples of one generator compared."""
    return run_drift(days["same"], days["reference"], shipped_settings)


@pytest.fixture(scope="module")
def html_report(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Where the shifted comparison writes Evidently's HTML report."""
    return tmp_path_factory.mktemp("drift-html") / "reports" / "drift.html"


@pytest.fixture(scope="module")
def shifted_outcome(
    days: dict[str, pl.DataFrame], shipped_settings: Path, html_report: Path
) -> DriftOutcome:
    """The shifted day compared, with the HTML report written."""
    return run_drift(
        days["shifted"], days["reference"], shipped_settings, html_out=html_report
    )


def _by_column(outcome: DriftOutcome) -> dict[str, dict[str, Any]]:
    return {row["column"]: row for row in outcome.columns}


def test_same_distribution_does_not_drift(same_outcome: DriftOutcome) -> None:
    rows = _by_column(same_outcome)

    assert list(rows) == list(FEATURE_COLUMNS)
    for row in rows.values():
        assert row["drifted"] is False, row
        assert 0.0 <= row["score"] < row["threshold"], row
        assert row["note"] == ""
    assert all(result.passed for result in same_outcome.results)
    assert verdict_of(same_outcome.results) == "pass"


def test_injected_shift_drifts_exactly_the_shifted_columns(
    shifted_outcome: DriftOutcome,
) -> None:
    rows = _by_column(shifted_outcome)

    assert {name for name, row in rows.items() if row["drifted"]} == SHIFTED
    for name in SHIFTED:
        assert rows[name]["score"] > rows[name]["threshold"]
    for name in set(rows) - SHIFTED:
        assert rows[name]["score"] < rows[name]["threshold"]


def test_shift_in_blocking_columns_fails_the_verdict(
    shifted_outcome: DriftOutcome,
) -> None:
    failed = {r.check_id: r.severity for r in shifted_outcome.results if not r.passed}

    assert failed == {
        "drift.latency_ms": "warning",
        "drift.model_version": "blocking",
        "drift.policy_outcome": "blocking",
    }
    assert verdict_of(shifted_outcome.results) == "fail"


def test_results_carry_the_pinned_method_and_row_counts(
    shifted_outcome: DriftOutcome, shipped_settings: Path
) -> None:
    settings = load_settings(shipped_settings)

    for result, setting in zip(shifted_outcome.results, settings.columns, strict=True):
        assert result.check_id == f"drift.{setting.column}"
        assert result.kind == "drift"
        assert result.severity == setting.severity
        assert set(result.details) == DETAIL_KEYS
        assert result.details["method"] == setting.method
        assert result.details["threshold"] == setting.threshold
        assert result.details["current_rows"] == 3000
        assert result.details["reference_rows"] == 3000
        assert result.summary.startswith(f"{setting.column}: ")
        assert MARKER not in result.summary


def test_rows_and_results_agree(shifted_outcome: DriftOutcome) -> None:
    for row, result in zip(
        shifted_outcome.columns, shifted_outcome.results, strict=True
    ):
        assert row["score"] == result.details["score"]
        assert row["drifted"] == result.details["drifted"] == (not result.passed)
        assert set(row) == {
            "column",
            "kind",
            "method",
            "threshold",
            "score",
            "drifted",
            "severity",
            "note",
        }


def test_sample_records_size_seed_and_counts(shifted_outcome: DriftOutcome) -> None:
    assert shifted_outcome.sample == {
        "size": 5000,
        "seed": 20261204,
        "min_rows": 400,
        "current_rows": 3000,
        "reference_rows": 3000,
        "current_sampled": 3000,
        "reference_sampled": 3000,
    }
    assert shifted_outcome.settings_version == "1.1.0"


def test_html_report_is_written_without_prompt_text(
    shifted_outcome: DriftOutcome, html_report: Path
) -> None:
    assert shifted_outcome.html_path == html_report
    html = html_report.read_text(encoding="utf-8")

    assert "latency_ms" in html
    assert "policy_outcome" in html
    assert MARKER not in html
    assert not list(html_report.parent.glob("*.partial"))


def test_outcome_json_names_settings_and_report(
    shifted_outcome: DriftOutcome, html_report: Path
) -> None:
    data = shifted_outcome.to_json()

    assert data["settings"]["version"] == "1.1.0"
    assert len(data["settings"]["sha256"]) == 64
    assert data["html_path"] == str(html_report)
    assert [r["check_id"] for r in data["results"]] == [
        f"drift.{name}" for name in FEATURE_COLUMNS
    ]
    assert MARKER not in repr(data)


def test_evidently_telemetry_is_switched_off(shifted_outcome: DriftOutcome) -> None:
    from evidently.telemetry import event_logger

    assert os.environ["EVIDENTLY_DISABLE_TELEMETRY"] == "1"
    assert "DO_NOT_TRACK" in os.environ
    assert event_logger.is_enabled() is False


def test_seeded_samples_give_the_same_scores(
    days: dict[str, pl.DataFrame],
    default_settings: dict[str, Any],
    write_settings: WriteSettings,
) -> None:
    default_settings["sample"] = {"size": 1000, "seed": 7}
    path = write_settings(default_settings)
    shuffled = days["shifted"].sample(fraction=1.0, shuffle=True, seed=99)

    first = run_drift(days["shifted"], days["reference"], path)
    second = run_drift(days["shifted"], days["reference"], path)
    reordered = run_drift(shuffled, days["reference"], path)

    assert first.sample["current_sampled"] == first.sample["reference_sampled"] == 1000
    assert first.columns == second.columns == reordered.columns
    assert first.results == second.results == reordered.results
    assert {row["column"] for row in first.columns if row["drifted"]} == SHIFTED


@pytest.mark.parametrize(
    ("empty_side", "note"),
    [("current", "no current data"), ("reference", "no reference")],
)
def test_an_empty_side_gives_one_warning_per_column(
    days: dict[str, pl.DataFrame],
    shipped_settings: Path,
    tmp_path: Path,
    empty_side: str,
    note: str,
) -> None:
    current = empty_frame() if empty_side == "current" else days["same"]
    reference = empty_frame() if empty_side == "reference" else days["reference"]
    html = tmp_path / "drift.html"
    html.write_text("an earlier run's report", encoding="utf-8")

    outcome = run_drift(current, reference, shipped_settings, html_out=html)

    assert [r.check_id for r in outcome.results] == [
        f"drift.{name}" for name in FEATURE_COLUMNS
    ]
    for result in outcome.results:
        assert (result.severity, result.passed) == ("warning", False)
        assert result.details["note"] == note
        assert result.details["score"] is None
        assert result.details["drifted"] is False
    assert verdict_of(outcome.results) == "pass"
    assert outcome.html_path is None
    assert not html.exists()


def test_empty_and_constant_columns_are_reported_as_such(
    days: dict[str, pl.DataFrame], shipped_settings: Path
) -> None:
    null_text = pl.lit(None, dtype=pl.Utf8)
    both = [
        pl.lit("ok").alias("status"),
        null_text.alias("finish_reason"),
        pl.lit(100, dtype=pl.Int64).alias("tokens_in"),
    ]
    current = days["same"].with_columns(
        *both,
        pl.lit(None, dtype=pl.Int64).alias("tokens_out"),
        null_text.alias("model_version"),
    )
    reference = days["reference"].with_columns(*both)

    rows = _by_column(run_drift(current, reference, shipped_settings))

    assert (rows["status"]["note"], rows["status"]["score"]) == ("constant", 0.0)
    assert (rows["tokens_in"]["note"], rows["tokens_in"]["score"]) == ("constant", 0.0)
    assert (rows["finish_reason"]["note"], rows["finish_reason"]["score"]) == (
        "empty",
        None,
    )
    for name in ("status", "tokens_in", "finish_reason"):
        assert rows[name]["drifted"] is False
    assert rows["tokens_out"]["note"] == "empty in current"
    assert (rows["tokens_out"]["score"], rows["tokens_out"]["drifted"]) == (None, True)
    # A label that vanished is still compared: every value is now MISSING_LABEL.
    assert rows["model_version"]["note"] == "empty in current"
    assert rows["model_version"]["drifted"] is True
    assert rows["model_version"]["score"] > 0.5
    assert not any(rows[name]["drifted"] for name in ("latency_ms", "input_chars"))


def test_every_allowed_method_runs_and_reads_its_score_the_right_way(
    days: dict[str, pl.DataFrame],
    default_settings: dict[str, Any],
    write_settings: WriteSettings,
) -> None:
    numeric = [c for c in default_settings["columns"] if c["kind"] == "numeric"]
    categorical = [c for c in default_settings["columns"] if c["kind"] != "numeric"]
    numeric_methods = [m for m, i in METHODS.items() if "numeric" in i.kinds]
    categorical_methods = [m for m, i in METHODS.items() if "categorical" in i.kinds]
    default_settings["sample"]["size"] = 800
    rounds = max(
        -(-len(numeric_methods) // len(numeric)),
        -(-len(categorical_methods) // len(categorical)),
    )

    for offset in range(rounds):
        for columns, methods in (
            (numeric, numeric_methods),
            (categorical, categorical_methods),
        ):
            for i, column in enumerate(columns):
                method = methods[(offset * len(columns) + i) % len(methods)]
                threshold = 0.05 if METHODS[method].score_kind == "p_value" else 0.1
                column.update(method=method, threshold=threshold)
        path = write_settings(default_settings)
        outcome = run_drift(days["shifted"], days["reference"], path)

        for result in outcome.results:
            score, threshold = result.details["score"], result.details["threshold"]
            assert isinstance(score, float), result
            if result.details["score_kind"] == "distance":
                assert result.details["drifted"] == (score >= threshold), result
            else:
                assert result.details["drifted"] == (score <= threshold), result


def test_importing_drift_does_not_import_evidently() -> None:
    code = "import sys, ledgerlens.drift; print('evidently' in sys.modules)"
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert done.stdout.strip() == "False"


def test_public_names_match_all() -> None:
    public = {
        name
        for name, value in vars(drift).items()
        if not name.startswith("_") and not isinstance(value, types.ModuleType)
    }

    assert set(drift.__all__) == public - {"annotations"}
    assert callable(drift.features)
    assert MISSING_LABEL == "(missing)"
