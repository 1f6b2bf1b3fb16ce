"""Which rows break an expectation, computed by ledgerlens from the frame.

GX reports offending *values*; ledgerlens wants offending *record ids* and never
values, so each supported row-level expectation has a polars rule here that
follows GX's semantics for pandas: a missing value (null, or NaN in a float
column) is skipped by every rule except the not-null one, and a pair is compared
unless ``ignore_row_if`` says to skip it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Final

import polars as pl

from ledgerlens.quality._catalogue import COLUMNS
from ledgerlens.quality._frames import RECORD_ROW
from ledgerlens.quality._suite import SuiteEntry

__all__ = ["RULES", "offending_rows"]


def _missing(name: str) -> pl.Expr:
    column = pl.col(name)
    if COLUMNS[name].kind == "float":
        return column.is_null() | column.is_nan()
    return column.is_null()


def _present(name: str) -> pl.Expr:
    return ~_missing(name)


def _not_null(kw: Mapping[str, Any]) -> pl.Expr:
    return _missing(kw["column"])


def _unique(kw: Mapping[str, Any]) -> pl.Expr:
    name = kw["column"]
    return _present(name) & pl.col(name).is_duplicated()


def _in_set(kw: Mapping[str, Any]) -> pl.Expr:
    name = kw["column"]
    return _present(name) & ~pl.col(name).is_in(list(kw["value_set"]))


def _not_in_set(kw: Mapping[str, Any]) -> pl.Expr:
    name = kw["column"]
    return _present(name) & pl.col(name).is_in(list(kw["value_set"]))


def _between(kw: Mapping[str, Any]) -> pl.Expr:
    name = kw["column"]
    column = pl.col(name)
    inside = pl.lit(True)
    low, high = kw.get("min_value"), kw.get("max_value")
    if low is not None:
        inside &= column > low if kw.get("strict_min", False) else column >= low
    if high is not None:
        inside &= column < high if kw.get("strict_max", False) else column <= high
    return _present(name) & ~inside


def _regex(kw: Mapping[str, Any]) -> pl.Expr:
    name = kw["column"]
    return _present(name) & ~pl.col(name).str.contains(kw["regex"])


def _a_greater_than_b(kw: Mapping[str, Any]) -> pl.Expr:
    a, b = kw["column_A"], kw["column_B"]
    ignore = kw.get("ignore_row_if", "both_values_are_missing")
    if ignore == "both_values_are_missing":
        skipped = _missing(a) & _missing(b)
    elif ignore == "either_value_is_missing":
        skipped = _missing(a) | _missing(b)
    else:
        skipped = pl.lit(False)

    # GX counts a row with a missing side as unexpected unless it is skipped;
    # polars would compare NaN as the largest float, so test presence first.
    if kw.get("or_equal", False):
        greater = pl.col(a) >= pl.col(b)
    else:
        greater = pl.col(a) > pl.col(b)
    compared = _present(a) & _present(b) & greater
    return ~skipped & ~compared.fill_null(False)


RULES: Final[Mapping[str, Callable[[Mapping[str, Any]], pl.Expr]]] = {
    "ExpectColumnValuesToNotBeNull": _not_null,
    "ExpectColumnValuesToBeUnique": _unique,
    "ExpectColumnValuesToBeInSet": _in_set,
    "ExpectColumnValuesToNotBeInSet": _not_in_set,
    "ExpectColumnValuesToBeBetween": _between,
    "ExpectColumnValuesToMatchRegex": _regex,
    "ExpectColumnPairValuesAToBeGreaterThanB": _a_greater_than_b,
}


def offending_rows(
    table: pl.DataFrame, entry: SuiteEntry, record_ids: pl.Series
) -> pl.Series:
    """The ``record_id`` of every row that breaks a row-level entry, in order.

    ``record_ids`` are the ids of the day's records, by row, for tables that
    point at their record by row. A row whose record has no id gives a null.
    """
    rule = RULES[entry.expectation]
    mask = rule(entry.kwargs).fill_null(False)
    offenders = table.filter(mask)
    if "record_id" in offenders.columns:
        return offenders.get_column("record_id")
    return record_ids.gather(offenders.get_column(RECORD_ROW))
