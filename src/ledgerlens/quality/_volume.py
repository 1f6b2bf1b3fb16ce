"""The row-count checks ledgerlens evaluates itself, outside Great Expectations.

GX passes its expectations on an empty batch, so "no data" is decided here; and
the volume threshold depends on the reference window of earlier days, which a
static suite file cannot hold.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from typing import Any

from ledgerlens.findings import CheckResult
from ledgerlens.quality._catalogue import MIN_ROW_COUNT, REFERENCE_ROW_COUNT
from ledgerlens.quality._results import entry_result
from ledgerlens.quality._suite import QualitySuite, SuiteEntry

__all__ = ["row_count_result"]


def row_count_result(
    suite: QualitySuite,
    entry: SuiteEntry,
    row_count: int,
    reference_row_counts: Sequence[int],
    *,
    declared_empty: bool,
) -> CheckResult:
    """Evaluate one builtin row-count entry on the day's record count."""
    if entry.expectation == MIN_ROW_COUNT:
        return _min_rows(suite, entry, row_count, declared_empty=declared_empty)
    if entry.expectation == REFERENCE_ROW_COUNT:
        return _against_reference(suite, entry, row_count, reference_row_counts)
    msg = f"not a row-count entry: {entry.expectation}"
    raise ValueError(msg)


def _min_rows(
    suite: QualitySuite, entry: SuiteEntry, row_count: int, *, declared_empty: bool
) -> CheckResult:
    minimum: int = entry.kwargs["min_value"]
    details = {
        "row_count": row_count,
        "min_value": minimum,
        "declared_empty": declared_empty,
    }

    if row_count == 0 and declared_empty:
        summary = f"{entry.id}: no records, and the day is declared empty"
        return entry_result(suite, entry, True, summary, details)
    if row_count == 0:
        summary = f"{entry.id}: no data: 0 records, at least {minimum} required"
        return entry_result(suite, entry, False, summary, details)

    passed = row_count >= minimum
    relation = "at least" if passed else "fewer than the"
    summary = f"{entry.id}: {row_count} records, {relation} {minimum} required"
    return entry_result(suite, entry, passed, summary, details)


def _against_reference(
    suite: QualitySuite,
    entry: SuiteEntry,
    row_count: int,
    reference_row_counts: Sequence[int],
) -> CheckResult:
    fraction: float = entry.kwargs["min_fraction"]
    details: dict[str, Any] = {
        "row_count": row_count,
        "min_fraction": fraction,
        "reference_days": len(reference_row_counts),
        "evaluated": False,
        "reference_median": None,
        "threshold": None,
    }
    if not reference_row_counts:
        summary = f"{entry.id}: not evaluated, there are no reference days yet"
        return entry_result(suite, entry, True, summary, details)

    median = float(statistics.median(reference_row_counts))
    threshold = fraction * median
    passed = row_count >= threshold
    relation = "at least" if passed else "below"
    summary = (
        f"{entry.id}: {row_count} records, {relation} {threshold:g}"
        f" ({fraction:g} x median {median:g} of {len(reference_row_counts)}"
        " reference days)"
    )
    details.update(evaluated=True, reference_median=median, threshold=threshold)
    return entry_result(suite, entry, passed, summary, details)
