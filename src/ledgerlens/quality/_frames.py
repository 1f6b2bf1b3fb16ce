"""The tables a suite runs on, built from the record frame with polars.

The records table keeps ``record_id`` beside the checked columns, and an
exploded table (one row per policy result or retrieved document) keeps the row
of its record (:data:`RECORD_ROW`), so ledgerlens can name offending records
itself; ids are looked up only for offenders, which spares a copy of every id
per list item on a large day. Only the checked columns go on to pandas and Great
Expectations (:func:`to_pandas`); the text columns never do, only their lengths.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

import polars as pl

from ledgerlens.quality._catalogue import COLUMNS, EXPLODED_TABLES, TableName
from ledgerlens.record import TEXT_LENGTHS, text_length

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["RECORD_ROW", "build_tables", "to_pandas"]

RECORD_ROW = "__record_row"
"""Column of an exploded table: the row of the record each item belongs to."""

_TEXT_OF_LENGTH: dict[str, str] = {
    length: text for text, length in TEXT_LENGTHS.items()
}
_RECORD_DERIVED: dict[str, pl.Expr] = {
    "retrieval_count": pl.col("retrieval").list.len().cast(pl.Int64),
    "policy_result_count": pl.col("policy_results").list.len().cast(pl.Int64),
}


def build_tables(
    records: pl.DataFrame, columns: Iterable[str]
) -> dict[TableName, pl.DataFrame]:
    """One frame per table some of ``columns`` live in, row order preserved."""
    by_table: dict[TableName, list[str]] = {}
    for name in sorted(set(columns)):
        by_table.setdefault(COLUMNS[name].table, []).append(name)

    tables: dict[TableName, pl.DataFrame] = {}
    for table, names in by_table.items():
        if table == "records":
            tables[table] = _records_table(records, names)
        else:
            tables[table] = _exploded_table(records, table, names)
    return tables


def _records_table(records: pl.DataFrame, names: list[str]) -> pl.DataFrame:
    selected = [_record_column(n, records) for n in names if n != "record_id"]
    return records.select(pl.col("record_id"), *selected)


def _record_column(name: str, records: pl.DataFrame) -> pl.Expr:
    """A checkable records-table column: plain, a text's length, or derived."""
    if name in _TEXT_OF_LENGTH:
        return text_length(_TEXT_OF_LENGTH[name], records)
    if name in _RECORD_DERIVED:
        return _RECORD_DERIVED[name].alias(name)
    return pl.col(name)


def _exploded_table(
    records: pl.DataFrame, table: TableName, names: list[str]
) -> pl.DataFrame:
    list_column, fields = EXPLODED_TABLES[table]

    # A record with no list, or an empty one, contributes no row; a null item
    # inside a list is dropped too, as it holds no field to check.
    # Each checked field is taken out of the items before exploding, so only
    # those fields are ever spread to one row per item.
    items = pl.col(list_column)
    present = "__item_present"
    exploded = [present, *names]
    return (
        records.select(
            pl.int_range(pl.len(), dtype=pl.UInt32).alias(RECORD_ROW),
            items.list.eval(pl.element().is_not_null()).alias(present),
            *[
                items.list.eval(pl.element().struct.field(fields[n])).alias(n)
                for n in names
            ],
        )
        .explode(exploded)
        .filter(pl.col(present))
        .drop(present)
    )


def to_pandas(table: pl.DataFrame, columns: Iterable[str]) -> pd.DataFrame:
    """The given columns of a table as the pandas frame handed to GX."""
    return table.select(sorted(set(columns))).to_pandas()
