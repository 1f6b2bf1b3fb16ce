"""Turn what GX and ledgerlens found into :class:`CheckResult` values.

Details hold numbers, names from the suite file (columns, thresholds, allowed
values) and record ids; never a value read from the records.
"""

from __future__ import annotations

import logging
from typing import Any, Final

import polars as pl

from ledgerlens.findings import CheckResult
from ledgerlens.quality._catalogue import TABLE_UNITS
from ledgerlens.quality._gx import GxOutcome
from ledgerlens.quality._offenders import offending_rows
from ledgerlens.quality._suite import QualitySuite, SuiteEntry

__all__ = ["MAX_RECORD_IDS", "aggregate_result", "entry_result", "row_level_result"]

logger = logging.getLogger(__name__)

MAX_RECORD_IDS: Final = 20


def entry_result(
    suite: QualitySuite,
    entry: SuiteEntry,
    passed: bool,
    summary: str,
    details: dict[str, Any],
) -> CheckResult:
    """A quality result for one entry, with the details every entry carries."""
    return CheckResult(
        check_id=entry.id,
        kind="quality",
        severity=entry.severity,
        passed=passed,
        summary=summary,
        details={
            "expectation": entry.expectation,
            "description": entry.description,
            "suite": suite.name,
            "suite_version": suite.version,
            "suite_sha256": suite.sha256,
            "kwargs": {
                k: list(v) if isinstance(v, tuple) else v
                for k, v in entry.kwargs.items()
            },
            **details,
        },
    )


def _percent(value: int | float | None) -> float | None:
    return None if value is None else round(float(value), 6)


def row_level_result(
    suite: QualitySuite,
    entry: SuiteEntry,
    table: pl.DataFrame,
    outcome: GxOutcome,
    record_ids: pl.Series,
) -> CheckResult:
    """The result of a row-level entry, naming up to 20 offending record ids."""
    offenders = offending_rows(table, entry, record_ids)
    named = offenders.drop_nulls()
    metrics = outcome.metrics
    unexpected = int(metrics.get("unexpected_count") or 0)
    if len(offenders) != unexpected:
        # Our rule and GX disagree: keep GX's verdict and counts, say so.
        logger.warning(
            "quality entry %s: GX counted %d unexpected rows, ledgerlens found %d",
            entry.id,
            unexpected,
            len(offenders),
        )

    element_count = int(metrics.get("element_count") or 0)
    percent = _percent(metrics.get("unexpected_percent"))
    summary = _row_summary(entry, outcome.success, unexpected, element_count, percent)
    details = {
        "table": entry.table,
        "columns": list(entry.columns),
        "element_count": element_count,
        "missing_count": metrics.get("missing_count"),
        "unexpected_count": unexpected,
        "unexpected_percent": percent,
        "record_ids": named.head(MAX_RECORD_IDS).to_list(),
        "record_ids_omitted": max(0, len(named) - MAX_RECORD_IDS),
        "rows_without_record_id": offenders.null_count(),
    }
    return entry_result(suite, entry, outcome.success, summary, details)


def _row_summary(
    entry: SuiteEntry,
    passed: bool,
    unexpected: int,
    element_count: int,
    percent: float | None,
) -> str:
    assert entry.table is not None
    unit = TABLE_UNITS[entry.table]
    columns = " vs ".join(f"`{c}`" for c in entry.columns)
    verdict = "passed" if passed else "failed"
    if unexpected == 0:
        return f"{entry.id} {verdict}: {element_count} {unit} checked on {columns}"
    share = "" if percent is None else f" ({percent:.2f}%)"
    return (
        f"{entry.id} {verdict}: {unexpected} of {element_count} {unit}"
        f" unexpected{share} on {columns}"
    )


def aggregate_result(
    suite: QualitySuite, entry: SuiteEntry, outcome: GxOutcome
) -> CheckResult:
    """The result of an aggregate entry (min, max, mean, non-null share)."""
    observed = outcome.metrics.get("observed_value")
    verdict = "passed" if outcome.success else "failed"
    column = f"`{entry.columns[0]}`"
    if observed is None:
        summary = f"{entry.id} {verdict}: no value to aggregate in {column}"
    else:
        summary = f"{entry.id} {verdict}: observed {observed:g} in {column}"
    details = {
        "table": entry.table,
        "columns": list(entry.columns),
        "observed_value": observed,
    }
    return entry_result(suite, entry, outcome.success, summary, details)
