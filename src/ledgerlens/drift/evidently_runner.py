"""Drift of one day against a reference, measured with Evidently 0.7.

Each configured column gets one :class:`~ledgerlens.findings.CheckResult`.
When either side has fewer rows than the settings' ``min_rows``, or none at
all, Evidently is not called and every column is a warning saying so: on so
few rows sampling noise alone would cross the thresholds. Otherwise Evidently
runs once, with one ``ValueDrift`` metric per testable column and the
method and threshold the settings pin; columns it cannot or need not test
(empty, constant, or a side with no rows at all) are decided here, with a note
saying why. Only the derived columns of :mod:`ledgerlens.drift.derive` reach
Evidently, so neither its results nor its HTML report can hold prompt or
response text.

Evidently is imported inside :func:`run_drift`, with its telemetry switched
off first: it takes seconds to import, and commands that do not measure drift
should not pay for it.
"""

from __future__ import annotations

import json
import logging
import math
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import polars as pl

from ledgerlens.drift.derive import FEATURE_COLUMNS, features
from ledgerlens.drift.settings import ColumnSetting, DriftSettings, load_settings
from ledgerlens.errors import CheckError
from ledgerlens.findings import CheckResult
from ledgerlens.record import TEXT_COLUMNS

__all__ = ["MISSING_LABEL", "DriftOutcome", "run_drift"]

logger = logging.getLogger(__name__)

MISSING_LABEL: Final = "(missing)"
"""The value a null takes in a categorical column, so a change in how often a
label is missing counts as drift instead of being dropped."""

# Evidently adds a category's share in set order, which Python's hash seed
# changes from one process to the next; the last digits of a score move with
# it. Rounding keeps the same inputs on the same scores in every run.
_SCORE_DECIMALS: Final = 12

_NO_CURRENT: Final = "no current data"
_NO_REFERENCE: Final = "no reference"


@dataclass(frozen=True)
class DriftOutcome:
    """Drift results of one run, ready for findings and the report.

    ``results`` has one ``kind="drift"`` result per configured column;
    ``columns`` one row per column for the report's table; ``sample`` the
    sample size and seed with the row counts before and after sampling.
    ``html_path`` is Evidently's report, or ``None`` when none was written.
    """

    results: list[CheckResult]
    columns: list[dict[str, Any]]
    sample: dict[str, Any]
    settings_source: str
    settings_version: str
    settings_sha256: str
    html_path: Path | None

    def to_json(self) -> dict[str, Any]:
        """The outcome as JSON-safe data (paths as strings)."""
        return {
            "results": [result.to_json() for result in self.results],
            "columns": [dict(row) for row in self.columns],
            "sample": dict(self.sample),
            "settings": {
                "source": self.settings_source,
                "version": self.settings_version,
                "sha256": self.settings_sha256,
            },
            "html_path": None if self.html_path is None else str(self.html_path),
        }


@dataclass(frozen=True)
class _ColumnVerdict:
    """What was found for one column, before it becomes a result and a row."""

    setting: ColumnSetting
    score: float | None
    drifted: bool
    current_rows: int
    reference_rows: int
    note: str = ""
    untested: bool = False


def run_drift(
    current: pl.DataFrame,
    reference: pl.DataFrame,
    settings_path: Path,
    *,
    html_out: Path | None = None,
) -> DriftOutcome:
    """Measure drift of ``current`` records against ``reference`` records.

    Both frames have :data:`ledgerlens.record.RECORD_SCHEMA` columns. Each side
    larger than the settings' sample size is reduced to a seeded sample, so the
    same records always give the same scores. When a side has fewer rows than
    the settings' ``min_rows``, drift is not measured: each column is a failed
    warning whose note gives both row counts and the minimum.

    When ``html_out`` is given and Evidently ran, its HTML report is written
    there; when Evidently had nothing to test, a file left at ``html_out`` by an
    earlier run is removed.

    Raises :class:`~ledgerlens.errors.CheckError` for a bad settings file or
    when Evidently fails.
    """
    settings = load_settings(settings_path)
    names = [setting.column for setting in settings.columns]
    current_features = features(current).select(names)
    reference_features = features(reference).select(names)

    current_sample = _sampled(current_features, settings)
    reference_sample = _sampled(reference_features, settings)
    sample = {
        "size": settings.sample_size,
        "seed": settings.seed,
        "min_rows": settings.min_rows,
        "current_rows": current_features.height,
        "reference_rows": reference_features.height,
        "current_sampled": current_sample.height,
        "reference_sampled": reference_sample.height,
    }

    rows = (current_features.height, reference_features.height)
    untested = _untested_note(*rows, settings.min_rows)
    if untested:
        verdicts, html_path = _not_measured(settings, rows, untested, html_out), None
    else:
        verdicts, html_path = _measure(
            current_sample, reference_sample, settings, html_out
        )
    logger.info(
        "drift: %d of %d columns drifted (current %d rows, reference %d rows)",
        sum(verdict.drifted for verdict in verdicts),
        len(verdicts),
        current_features.height,
        reference_features.height,
    )
    return DriftOutcome(
        results=[_result(verdict) for verdict in verdicts],
        columns=[_row(verdict) for verdict in verdicts],
        sample=sample,
        settings_source=settings.source,
        settings_version=settings.version,
        settings_sha256=settings.sha256,
        html_path=html_path,
    )


def _sampled(frame: pl.DataFrame, settings: DriftSettings) -> pl.DataFrame:
    """The frame itself, or a seeded sample of ``sample_size`` rows."""
    if frame.height <= settings.sample_size:
        return frame

    # Sorting first makes the sample a function of the rows alone, not of the
    # order a parallel reader happened to return them in.
    ordered = frame.sort(frame.columns, nulls_last=True, maintain_order=True)
    return ordered.sample(n=settings.sample_size, seed=settings.seed, shuffle=False)


def _untested_note(current_rows: int, reference_rows: int, min_rows: int) -> str:
    """Why drift cannot be measured on sides of these sizes; empty if it can."""
    if current_rows == 0:
        return _NO_CURRENT
    if reference_rows == 0:
        return _NO_REFERENCE
    if current_rows < min_rows or reference_rows < min_rows:
        return (
            f"too few rows (current {current_rows}, reference {reference_rows}; "
            f"need {min_rows})"
        )
    return ""


def _not_measured(
    settings: DriftSettings,
    rows: tuple[int, int],
    note: str,
    html_out: Path | None,
) -> list[_ColumnVerdict]:
    """Every column as not measured, for the reason in ``note``."""
    logger.warning("drift not measured: %s", note)
    if html_out is not None:
        _discard_stale_html(html_out)
    return [
        _ColumnVerdict(
            setting=setting,
            score=None,
            drifted=False,
            current_rows=rows[0],
            reference_rows=rows[1],
            note=note,
            untested=True,
        )
        for setting in settings.columns
    ]


def _measure(
    current: pl.DataFrame,
    reference: pl.DataFrame,
    settings: DriftSettings,
    html_out: Path | None,
) -> tuple[list[_ColumnVerdict], Path | None]:
    """Decide every column, running Evidently on those that need it."""

    decided: dict[str, _ColumnVerdict] = {}
    notes: dict[str, str] = {}
    for setting in settings.columns:
        verdict, note = _precheck(
            setting, current[setting.column], reference[setting.column]
        )
        if verdict is not None:
            decided[setting.column] = verdict
        notes[setting.column] = note

    to_test = [s for s in settings.columns if s.column not in decided]
    html_path = None
    if to_test:
        scores, html_path = _evidently_scores(current, reference, to_test, html_out)
        for setting in to_test:
            score, drifted = scores[setting.column]
            decided[setting.column] = _ColumnVerdict(
                setting=setting,
                score=score,
                drifted=drifted,
                current_rows=_compared(setting, current[setting.column]),
                reference_rows=_compared(setting, reference[setting.column]),
                note=notes[setting.column],
            )
    elif html_out is not None:
        _discard_stale_html(html_out)
    return [decided[s.column] for s in settings.columns], html_path


def _precheck(
    setting: ColumnSetting, current: pl.Series, reference: pl.Series
) -> tuple[_ColumnVerdict | None, str]:
    """Decide a column Evidently cannot or need not test, else return a note.

    All null on both sides: ``empty``, not drifted. A numeric column all null
    on one side only: drifted, as the values disappeared (or appeared).
    One value shared by both sides: ``constant``, not drifted.
    """
    current_values, reference_values = current.drop_nulls(), reference.drop_nulls()
    current_rows = _compared(setting, current)
    reference_rows = _compared(setting, reference)

    def decided(score: float | None, drifted: bool, note: str) -> _ColumnVerdict:
        return _ColumnVerdict(
            setting, score, drifted, current_rows, reference_rows, note
        )

    if current_values.is_empty() and reference_values.is_empty():
        return decided(None, False, "empty"), "empty"

    one_side_empty = ""
    if current_values.is_empty():
        one_side_empty = "empty in current"
    elif reference_values.is_empty():
        one_side_empty = "empty in reference"
    if one_side_empty and setting.kind == "numeric":
        return decided(None, True, one_side_empty), one_side_empty
    if one_side_empty:
        return None, one_side_empty

    if _tested_values(setting, pl.concat([current, reference])).n_unique() == 1:
        no_difference = 0.0 if setting.score_kind == "distance" else 1.0
        return decided(no_difference, False, "constant"), "constant"

    # Evidently divides numeric distances by the reference's spread; with none
    # it divides by a tiny floor, so the score says "changed" but not how much.
    if setting.kind == "numeric" and reference_values.n_unique() == 1:
        return None, "constant in reference"
    return None, ""


def _tested_values(setting: ColumnSetting, column: pl.Series) -> pl.Series:
    """The values Evidently compares: numeric nulls dropped, labels filled."""
    if setting.kind == "numeric":
        return column.drop_nulls()
    return column.fill_null(MISSING_LABEL)


def _compared(setting: ColumnSetting, column: pl.Series) -> int:
    """How many values of a column take part in the comparison."""
    return _tested_values(setting, column).len()


def _evidently_scores(
    current: pl.DataFrame,
    reference: pl.DataFrame,
    columns: Sequence[ColumnSetting],
    html_out: Path | None,
) -> tuple[dict[str, tuple[float | None, bool]], Path | None]:
    """Run one Evidently report over ``columns``; return score and drift per column."""
    _silence_evidently_telemetry()
    from evidently import DataDefinition, Dataset, Report
    from evidently.metrics import ValueDrift

    names = [setting.column for setting in columns]
    _require_derived_only(names)
    definition = DataDefinition(
        numerical_columns=[s.column for s in columns if s.kind == "numeric"],
        categorical_columns=[s.column for s in columns if s.kind == "categorical"],
    )
    datasets = [
        Dataset.from_pandas(
            _for_evidently(frame, columns).to_pandas(), data_definition=definition
        )
        for frame in (current, reference)
    ]
    metrics = [
        ValueDrift(column=s.column, method=s.method, threshold=s.threshold)
        for s in columns
    ]

    try:
        snapshot = Report(metrics, include_tests=True).run(datasets[0], datasets[1])
        data = json.loads(snapshot.json())
    except Exception as exc:  # Evidently raises bare library errors of any type
        msg = f"Evidently could not measure drift ({type(exc).__name__})"
        raise CheckError(msg, remedy="run with -v for the library's traceback") from exc

    scores = _read_snapshot(data, columns)
    html_path = _save_html(snapshot, html_out) if html_out is not None else None
    return scores, html_path


def _silence_evidently_telemetry() -> None:
    """Switch Evidently's usage telemetry off before it is imported.

    Its telemetry client sends nothing once ``DO_NOT_TRACK`` holds any value;
    its older switch reads ``EVIDENTLY_DISABLE_TELEMETRY=1``. Report runs do not
    call home in 0.7, but a later version might, and audits run offline.
    """
    os.environ.setdefault("DO_NOT_TRACK", "1")
    os.environ["EVIDENTLY_DISABLE_TELEMETRY"] = "1"


def _require_derived_only(names: Sequence[str]) -> None:
    """Refuse to hand Evidently anything but derived drift columns."""
    stray = [n for n in names if n not in FEATURE_COLUMNS or n in TEXT_COLUMNS]
    if stray:
        msg = f"refusing to send non-drift columns to Evidently: {', '.join(stray)}"
        raise CheckError(msg, remedy="report this as a ledgerlens bug")


def _for_evidently(
    frame: pl.DataFrame, columns: Sequence[ColumnSetting]
) -> pl.DataFrame:
    """The tested columns only, numerics as floats and missing labels filled."""
    return frame.select(
        pl.col(s.column).cast(pl.Float64)
        if s.kind == "numeric"
        else pl.col(s.column).fill_null(MISSING_LABEL)
        for s in columns
    )


def _read_snapshot(
    data: dict[str, Any], columns: Sequence[ColumnSetting]
) -> dict[str, tuple[float | None, bool]]:
    """Score and drift flag per column from the snapshot's JSON form."""
    status_of = {
        test["metric_config"]["metric_id"]: test["status"] for test in data["tests"]
    }
    wanted = {setting.column: setting for setting in columns}
    scores: dict[str, tuple[float | None, bool]] = {}
    for metric in data["metrics"]:
        config = metric["config"]
        setting = wanted[config["column"]]
        if config.get("method") != setting.method:
            msg = f"Evidently used method {config.get('method')!r} on {setting.column}"
            raise CheckError(msg, remedy=f"pin {setting.method}; report this bug")
        scores[setting.column] = (
            _rounded(metric["value"]),
            _drifted(status_of.get(metric["id"]), setting.column),
        )

    absent = sorted(set(wanted) - set(scores))
    if absent:
        msg = f"Evidently returned no drift score for {', '.join(absent)}"
        raise CheckError(msg, remedy="check the installed Evidently version (0.7)")
    return scores


def _rounded(value: Any) -> float | None:
    """A JSON-safe, run-to-run stable score; ``None`` if it is not finite."""
    score = float(value) if isinstance(value, int | float) else math.nan
    return round(score, _SCORE_DECIMALS) if math.isfinite(score) else None


def _drifted(status: Any, column: str) -> bool:
    """Evidently's drift test status as a flag (``FAIL`` means drifted)."""
    if status in ("FAIL", "WARNING"):
        return True
    if status == "SUCCESS":
        return False
    msg = f"Evidently's drift test on {column} ended with status {status!r}"
    raise CheckError(msg, remedy="check the installed Evidently version (0.7)")


def _save_html(snapshot: Any, html_out: Path) -> Path:
    """Write Evidently's HTML report, whole or not at all."""
    partial = html_out.with_name(html_out.name + ".partial")
    try:
        html_out.parent.mkdir(parents=True, exist_ok=True)
        snapshot.save_html(str(partial))
        os.replace(partial, html_out)
    except OSError as exc:
        msg = f"cannot write the drift HTML report `{html_out}`: {exc.strerror or exc}"
        raise CheckError(msg, remedy="choose a writable output directory") from exc
    return html_out


def _discard_stale_html(html_out: Path) -> None:
    """Remove an earlier run's report, so it is never taken for this run's."""
    logger.info("no column needed Evidently; no drift HTML report written")
    try:
        html_out.unlink(missing_ok=True)
    except OSError as exc:
        msg = f"cannot remove the stale drift report `{html_out}`: {exc.strerror}"
        raise CheckError(msg, remedy="remove it or choose another output") from exc


def _result(verdict: _ColumnVerdict) -> CheckResult:
    """The check result of one column."""
    setting = verdict.setting
    return CheckResult(
        check_id=f"drift.{setting.column}",
        kind="drift",
        severity="warning" if verdict.untested else setting.severity,
        passed=not (verdict.drifted or verdict.untested),
        summary=_summary(verdict),
        details={
            "method": setting.method,
            "threshold": setting.threshold,
            "score": verdict.score,
            "score_kind": setting.score_kind,
            "drifted": verdict.drifted,
            "current_rows": verdict.current_rows,
            "reference_rows": verdict.reference_rows,
            "note": verdict.note,
        },
    )


def _summary(verdict: _ColumnVerdict) -> str:
    """One line a reader can act on; names, numbers, never values."""
    setting = verdict.setting
    if verdict.untested:
        return f"{setting.column}: drift not measured, {verdict.note}"
    if verdict.score is None:
        state = "drifted" if verdict.drifted else "no drift"
        return f"{setting.column}: {state} ({verdict.note or 'no finite score'})"

    state = "drifted" if verdict.drifted else "no drift"
    measure = f"{setting.method} {verdict.score:.4g}, threshold {setting.threshold:g}"
    suffix = f"; {verdict.note}" if verdict.note else ""
    return f"{setting.column}: {state} ({measure}{suffix})"


def _row(verdict: _ColumnVerdict) -> dict[str, Any]:
    """The report-table row of one column."""
    setting = verdict.setting
    return {
        "column": setting.column,
        "kind": setting.kind,
        "method": setting.method,
        "threshold": setting.threshold,
        "score": verdict.score,
        "drifted": verdict.drifted,
        "severity": "warning" if verdict.untested else setting.severity,
        "note": verdict.note,
    }
