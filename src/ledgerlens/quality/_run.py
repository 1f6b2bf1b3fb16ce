"""Run a quality suite on one day's records: the public entry point."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import polars as pl

from ledgerlens.errors import CheckError
from ledgerlens.findings import CheckResult
from ledgerlens.quality._frames import build_tables
from ledgerlens.quality._gx import run_with_gx
from ledgerlens.quality._results import aggregate_result, row_level_result
from ledgerlens.quality._suite import QualitySuite, load_suite
from ledgerlens.quality._volume import row_count_result
from ledgerlens.record import RECORD_SCHEMA, TEXT_LENGTHS

__all__ = ["run_quality"]

logger = logging.getLogger(__name__)


def run_quality(
    records: pl.DataFrame,
    suite_path: Path,
    *,
    reference_row_counts: Sequence[int],
    declared_empty: bool = False,
) -> list[CheckResult]:
    """Run the quality suite at ``suite_path`` on one day's records.

    ``records`` has the record columns the suite reads
    (:attr:`QualitySuite.record_columns`), each with its
    :data:`~ledgerlens.record.RECORD_SCHEMA` type; a text column may be given
    as its length (see :func:`ledgerlens.record.check_frame`).
    ``reference_row_counts`` are the record counts of the reference days (may be
    empty); ``declared_empty`` says an empty day is expected, so the no-data
    check passes. Returns one result of kind ``quality`` per suite entry, in file
    order. Raises :class:`~ledgerlens.errors.CheckError` when the suite is
    invalid or cannot run.
    """
    suite = load_suite(suite_path)
    _require_record_frame(records, suite)
    reference = _checked_counts(reference_row_counts)
    logger.info(
        "quality suite %s %s: %d entries on %d records",
        suite.name,
        suite.version,
        len(suite.entries),
        records.height,
    )

    tables = build_tables(records, suite.columns)
    gx_entries = [e for e in suite.entries if not e.is_builtin]
    outcomes = run_with_gx(tables, gx_entries) if gx_entries else {}

    results = []
    for entry in suite.entries:
        if entry.is_builtin:
            result = row_count_result(
                suite, entry, records.height, reference, declared_empty=declared_empty
            )
        elif entry.rule.shape == "column_aggregate":
            result = aggregate_result(suite, entry, outcomes[entry.id])
        else:
            assert entry.table is not None
            result = row_level_result(
                suite,
                entry,
                tables[entry.table],
                outcomes[entry.id],
                records["record_id"],
            )
        results.append(result)

    _log_outcome(suite, results)
    return results


def _require_record_frame(records: pl.DataFrame, suite: QualitySuite) -> None:
    lengths = {length: pl.Int64() for length in TEXT_LENGTHS.values()}
    wrong = [
        name
        for name, dtype in records.schema.items()
        if {**RECORD_SCHEMA, **lengths}.get(name) != dtype
    ]
    missing = sorted(
        name
        for name in suite.record_columns
        if name not in records.columns and TEXT_LENGTHS.get(name) not in records.columns
    )
    if wrong or missing:
        problems = [f"`{n}` is not a record column of its type" for n in wrong]
        problems += [f"`{n}` is missing" for n in missing]
        msg = f"quality checks need record columns: {'; '.join(problems)}"
        raise CheckError(msg, remedy="build it with ledgerlens.record.records_frame")


def _checked_counts(counts: Sequence[int]) -> tuple[int, ...]:
    for count in counts:
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            msg = "reference row counts must be whole numbers of at least 0"
            raise CheckError(msg, remedy="pass the record counts of earlier days")
    return tuple(counts)


def _log_outcome(suite: QualitySuite, results: list[CheckResult]) -> None:
    failed = [r for r in results if not r.passed]
    blocking = [r for r in failed if r.blocking_failure]
    logger.info(
        "quality suite %s: %d of %d checks failed, %d blocking",
        suite.name,
        len(failed),
        len(results),
        len(blocking),
    )
