"""The tables a suite runs on: one row per list item, pointing at its record."""

from __future__ import annotations

import polars as pl

from ledgerlens.quality._frames import RECORD_ROW, build_tables
from ledgerlens.quality._offenders import offending_rows
from ledgerlens.quality._suite import SuiteEntry
from ledgerlens.record import records_frame

_ALL_NULL = {"policy": None, "version": None, "outcome": None, "category": None}


def test_each_item_is_a_row_and_null_or_missing_lists_give_none() -> None:
    records = records_frame(
        [
            {"record_id": "no-list", "policy_results": None},
            {"record_id": "empty", "policy_results": []},
            {
                "record_id": "mixed",
                "policy_results": [
                    None,
                    {"policy": "pii", "outcome": "pass", "score": 0.5},
                    {**_ALL_NULL, "score": None},
                ],
            },
            {"record_id": "one", "policy_results": [{"outcome": "block"}]},
        ]
    )

    tables = build_tables(records, ["policy_outcome", "policy_score"])

    table = tables["policy_results"]
    assert table.columns == [RECORD_ROW, "policy_outcome", "policy_score"]
    assert table.rows() == [(2, "pass", 0.5), (2, None, None), (3, "block", None)]


def test_offenders_of_an_item_table_are_named_by_their_record_id() -> None:
    records = records_frame(
        [
            {"record_id": f"r{i}", "policy_results": [{"outcome": o}]}
            for i, o in enumerate(["pass", "odd", "block", "odd"])
        ]
    )
    table = build_tables(records, ["policy_outcome"])["policy_results"]
    entry = SuiteEntry(
        id="outcomes",
        expectation="ExpectColumnValuesToBeInSet",
        kwargs={"column": "policy_outcome", "value_set": ("pass", "flag", "block")},
        severity="blocking",
        description="",
    )

    named = offending_rows(table, entry, records["record_id"])

    assert named.to_list() == ["r1", "r3"]
    assert named.dtype == pl.Utf8
