"""What a quality suite may name: checkable columns and supported expectations.

Both lists are closed on purpose. A column not listed here cannot reach Great
Expectations, so prompt and response text never does; an expectation not listed
here has no row-level rule of ours to name offending record ids, so a suite that
names it is rejected at load time instead of producing half a result.

Columns live in *tables*. ``records`` is the record frame itself (one row per
record) plus a few derived per-record columns. ``policy_results`` and
``retrieval`` explode the record's list columns to one row per list item, each
row keeping the ``record_id`` of its record, because an allowed-values check on
policy outcomes only makes sense item by item.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl
from polars.datatypes import DataTypeClass

from ledgerlens.record import RECORD_SCHEMA, TEXT_COLUMNS

__all__ = [
    "BUILTIN_EXPECTATIONS",
    "COLUMNS",
    "CONTENT_COLUMNS",
    "EXPECTATIONS",
    "EXPLODED_TABLES",
    "MIN_ROW_COUNT",
    "NESTED_COLUMNS",
    "REFERENCE_ROW_COUNT",
    "TABLE_UNITS",
    "CheckableColumn",
    "ColumnKind",
    "ExpectationRule",
    "Shape",
    "TableName",
]

TableName = Literal["records", "policy_results", "retrieval"]
ColumnKind = Literal["string", "integer", "float", "datetime"]
Shape = Literal["column_map", "pair_map", "column_aggregate", "table_builtin"]

# How a result's summary names the rows of each table.
TABLE_UNITS: Final[Mapping[TableName, str]] = {
    "records": "records",
    "policy_results": "policy results",
    "retrieval": "retrieved documents",
}

# Columns whose values may be prompt or response content. ``extra`` holds every
# attribute no column took, which can include instructions or message bodies.
CONTENT_COLUMNS: Final[tuple[str, ...]] = (*TEXT_COLUMNS, "extra")

NESTED_COLUMNS: Final[Mapping[str, TableName]] = {
    "policy_results": "policy_results",
    "retrieval": "retrieval",
}

# Exploded table -> (list column of the record, {checkable name: struct field}).
EXPLODED_TABLES: Final[Mapping[TableName, tuple[str, Mapping[str, str]]]] = {
    "policy_results": (
        "policy_results",
        {
            "policy_name": "policy",
            "policy_version": "version",
            "policy_outcome": "outcome",
            "policy_category": "category",
            "policy_score": "score",
        },
    ),
    "retrieval": (
        "retrieval",
        {
            "retrieval_doc_id": "doc_id",
            "retrieval_source": "source",
            "retrieval_doc_sha256": "doc_sha256",
            "retrieval_score": "score",
        },
    ),
}


@dataclass(frozen=True)
class CheckableColumn:
    """A column a suite entry may name, the table it lives in and its kind.

    ``derived_from`` names the record column a derived column is computed from
    (for an exploded column, the list column), or ``None`` for a plain column.
    """

    name: str
    table: TableName
    kind: ColumnKind
    derived_from: str | None = None


def _kind_of(dtype: pl.DataType | DataTypeClass) -> ColumnKind | None:
    if isinstance(dtype, pl.Datetime):
        return "datetime"
    if dtype.is_integer():
        return "integer"
    if dtype.is_float():
        return "float"
    if dtype == pl.Utf8:
        return "string"
    return None


def _record_columns() -> dict[str, CheckableColumn]:
    columns: dict[str, CheckableColumn] = {}
    for name, dtype in RECORD_SCHEMA.items():
        kind = _kind_of(dtype)
        if kind is None or name in CONTENT_COLUMNS:
            continue
        columns[name] = CheckableColumn(name, "records", kind)
    return columns


def _derived_columns() -> dict[str, CheckableColumn]:
    columns = {
        "input_chars": CheckableColumn(
            "input_chars", "records", "integer", "input_text"
        ),
        "output_chars": CheckableColumn(
            "output_chars", "records", "integer", "output_text"
        ),
        "retrieval_count": CheckableColumn(
            "retrieval_count", "records", "integer", "retrieval"
        ),
        "policy_result_count": CheckableColumn(
            "policy_result_count", "records", "integer", "policy_results"
        ),
    }
    for table, (list_column, fields) in EXPLODED_TABLES.items():
        struct = RECORD_SCHEMA[list_column]
        assert isinstance(struct, pl.List) and isinstance(struct.inner, pl.Struct)
        field_kinds = {f.name: _kind_of(f.dtype) for f in struct.inner.fields}
        for name, field in fields.items():
            kind = field_kinds[field]
            assert kind is not None
            columns[name] = CheckableColumn(name, table, kind, list_column)
    return columns


COLUMNS: Final[Mapping[str, CheckableColumn]] = {
    **_record_columns(),
    **_derived_columns(),
}


@dataclass(frozen=True)
class ExpectationRule:
    """How one supported expectation is written in a suite file.

    ``column_kinds`` are the column kinds it accepts (for a pair, both columns
    must be of one kind); ``required`` and ``optional`` are its kwargs.
    """

    shape: Shape
    column_kinds: frozenset[ColumnKind]
    required: frozenset[str]
    optional: frozenset[str] = frozenset()

    @property
    def allowed(self) -> frozenset[str]:
        """Every kwarg the entry may carry."""
        return self.required | self.optional


_ANY: Final[frozenset[ColumnKind]] = frozenset(
    {"string", "integer", "float", "datetime"}
)
_NUMERIC: Final[frozenset[ColumnKind]] = frozenset({"integer", "float"})
_RANGE: Final = frozenset({"min_value", "max_value", "strict_min", "strict_max"})


def _map_rule(
    kinds: frozenset[ColumnKind], *required: str, optional: frozenset[str] = frozenset()
) -> ExpectationRule:
    return ExpectationRule(
        "column_map",
        kinds,
        frozenset({"column", *required}),
        optional | {"mostly"},
    )


def _aggregate_rule(kinds: frozenset[ColumnKind]) -> ExpectationRule:
    return ExpectationRule(
        "column_aggregate",
        kinds,
        frozenset({"column"}),
        _RANGE,
    )


# Keys are the Great Expectations 1.x class names a suite file uses.
EXPECTATIONS: Final[Mapping[str, ExpectationRule]] = {
    "ExpectColumnValuesToNotBeNull": _map_rule(_ANY),
    "ExpectColumnValuesToBeUnique": _map_rule(_ANY),
    "ExpectColumnValuesToBeInSet": _map_rule(
        frozenset({"string", "integer"}), "value_set"
    ),
    "ExpectColumnValuesToNotBeInSet": _map_rule(
        frozenset({"string", "integer"}), "value_set"
    ),
    "ExpectColumnValuesToBeBetween": _map_rule(_NUMERIC, optional=_RANGE),
    "ExpectColumnValuesToMatchRegex": _map_rule(frozenset({"string"}), "regex"),
    "ExpectColumnPairValuesAToBeGreaterThanB": ExpectationRule(
        "pair_map",
        frozenset({"integer", "float", "datetime"}),
        frozenset({"column_A", "column_B"}),
        frozenset({"or_equal", "ignore_row_if", "mostly"}),
    ),
    "ExpectColumnMinToBeBetween": _aggregate_rule(_NUMERIC),
    "ExpectColumnMaxToBeBetween": _aggregate_rule(_NUMERIC),
    "ExpectColumnMeanToBeBetween": _aggregate_rule(_NUMERIC),
    "ExpectColumnProportionOfNonNullValuesToBeBetween": _aggregate_rule(_ANY),
}

# Checks ledgerlens evaluates itself, because Great Expectations cannot: it
# passes every expectation on an empty batch, and a threshold relative to past
# days is not something a static suite can hold.
MIN_ROW_COUNT: Final = "ledgerlens:min_row_count"
REFERENCE_ROW_COUNT: Final = "ledgerlens:reference_row_count"
BUILTIN_EXPECTATIONS: Final[Mapping[str, ExpectationRule]] = {
    MIN_ROW_COUNT: ExpectationRule(
        "table_builtin", frozenset(), frozenset({"min_value"})
    ),
    REFERENCE_ROW_COUNT: ExpectationRule(
        "table_builtin", frozenset(), frozenset({"min_fraction"})
    ),
}
