"""The drift columns derived from canonical records."""

from __future__ import annotations

import math
from typing import Any

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ledgerlens.drift import (
    FEATURE_COLUMNS,
    FEATURE_SCHEMA,
    NO_POLICY,
    SOURCE_COLUMNS,
    features,
)
from ledgerlens.errors import CheckError
from ledgerlens.record import (
    check_frame,
    empty_frame,
    messages_text,
    records_frame,
    text_message,
)

MARKER = "ZQX-drift-feature-marker-7731"


def _policies(*outcomes: str | None) -> list[dict[str, Any]]:
    return [{"policy": f"p{i}", "outcome": o} for i, o in enumerate(outcomes)]


def test_features_have_exactly_the_drift_columns() -> None:
    derived = features(records_frame([{"record_id": "r-1"}]))

    assert derived.columns == list(FEATURE_COLUMNS)
    assert dict(derived.schema) == FEATURE_SCHEMA


def test_text_becomes_its_length_in_characters() -> None:
    prompt = messages_text([text_message("user", MARKER + " héllo ✓")])
    assert prompt is not None
    records = records_frame(
        [{"input_text": prompt, "output_text": "ab"}, {"input_text": None}]
    )

    derived = features(records)

    assert derived["input_chars"].to_list() == [len(prompt), None]
    assert derived["output_chars"].to_list() == [2, None]
    for column in derived.columns:
        assert all(MARKER not in str(value) for value in derived[column].to_list())


def test_a_check_frame_gives_the_same_features_as_the_records() -> None:
    prompt = messages_text([text_message("user", MARKER + " héllo ✓")])
    records = records_frame(
        [{"input_text": prompt, "output_text": "ab", "latency_ms": 3.0}, {}]
    )
    slim = check_frame(records.select(SOURCE_COLUMNS))

    assert set(slim.columns) >= {"input_chars", "output_chars"}
    assert not set(slim.columns) & {"input_text", "output_text"}
    assert features(slim).equals(features(records))


def test_non_finite_latency_becomes_null() -> None:
    rows = [{"latency_ms": v} for v in (12.5, math.nan, math.inf, -math.inf, None)]

    derived = features(records_frame(rows))

    assert derived["latency_ms"].to_list() == [12.5, None, None, None, None]


@pytest.mark.parametrize(
    ("policy_results", "expected"),
    [
        (_policies("pass", "block", "flag"), "block"),
        (_policies("pass", "flag"), "flag"),
        (_policies("pass"), "pass"),
        ([], NO_POLICY),
        (None, NO_POLICY),
        (_policies(None), NO_POLICY),
        (_policies(None, "flag"), "flag"),
        (_policies("escalate"), "unknown"),
        (_policies("escalate", "pass"), "pass"),
    ],
)
def test_policy_outcome_is_the_worst_outcome(
    policy_results: list[dict[str, Any]] | None, expected: str
) -> None:
    derived = features(records_frame([{"policy_results": policy_results}]))

    assert derived["policy_outcome"].to_list() == [expected]


@given(st.lists(st.lists(st.sampled_from(["pass", "flag", "block"]), max_size=4)))
def test_policy_outcome_matches_a_plain_maximum(outcomes: list[list[str]]) -> None:
    rank = {"pass": 1, "flag": 2, "block": 3}
    records = records_frame([{"policy_results": _policies(*row)} for row in outcomes])

    derived = features(records)

    expected = [
        max(row, key=rank.__getitem__) if row else NO_POLICY for row in outcomes
    ]
    assert derived["policy_outcome"].to_list() == expected


def test_plain_columns_pass_through() -> None:
    row = {
        "tokens_in": 10,
        "tokens_out": 3,
        "model_version": "m-1",
        "status": "error",
        "finish_reason": "length",
    }

    derived = features(records_frame([row]))

    assert derived.select(list(row)).row(0, named=True) == row


def test_empty_frame_gives_empty_features() -> None:
    derived = features(empty_frame())

    assert derived.height == 0
    assert dict(derived.schema) == FEATURE_SCHEMA


def test_missing_record_columns_are_a_check_error() -> None:
    with pytest.raises(CheckError, match="policy_results"):
        features(empty_frame().drop("policy_results"))


def test_features_keep_row_order() -> None:
    records = records_frame([{"tokens_in": n} for n in (5, 1, 3)])

    assert features(records)["tokens_in"].to_list() == [5, 1, 3]


def test_feature_frame_holds_no_text_column() -> None:
    derived = features(records_frame([{"input_text": MARKER}]))

    assert not {"input_text", "output_text"} & set(derived.columns)
    assert all(
        dtype != pl.Utf8
        or name in {"model_version", "status", "finish_reason", "policy_outcome"}
        for name, dtype in derived.schema.items()
    )
