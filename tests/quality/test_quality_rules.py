"""Every supported expectation, run once through GX on one crafted frame.

Each row-level entry checks two things: GX's count of unexpected rows, and the
record ids ledgerlens names for them from its own polars rule. If the two rules
ever disagreed, the count and the ids would not line up here.
"""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ledgerlens.findings import CheckResult
from ledgerlens.quality import load_suite, run_quality
from ledgerlens.quality._catalogue import EXPECTATIONS
from ledgerlens.quality._frames import build_tables, to_pandas
from ledgerlens.quality._offenders import RULES
from ledgerlens.record import check_frame, messages_text, records_frame, text_message

RecordFactory = Callable[..., dict[str, Any]]

# A value that must never leave the frame: in the text columns, in `extra`, and
# in a checked column (`model`) whose check fails on it.
SENTINEL = "SENTINEL-7f3a do not leak this prompt"


def _entry(entry_id: str, expectation: str, **kwargs: Any) -> dict[str, Any]:
    return {
        "id": entry_id,
        "expectation": expectation,
        "kwargs": kwargs,
        "severity": "warning",
        "description": f"rule test {entry_id}",
    }


PAIR = "ExpectColumnPairValuesAToBeGreaterThanB"
BETWEEN = "ExpectColumnValuesToBeBetween"
ENTRIES = [
    _entry("nn-latency", "ExpectColumnValuesToNotBeNull", column="latency_ms"),
    _entry("unique-span", "ExpectColumnValuesToBeUnique", column="span_id"),
    _entry(
        "in-set-http",
        "ExpectColumnValuesToBeInSet",
        column="http_status",
        value_set=[200],
    ),
    _entry(
        "not-in-set-finish",
        "ExpectColumnValuesToNotBeInSet",
        column="finish_reason",
        value_set=["content_filter"],
    ),
    _entry(
        "between-strict",
        BETWEEN,
        column="tokens_in",
        min_value=0,
        max_value=100,
        strict_max=True,
    ),
    _entry(
        "regex-sha",
        "ExpectColumnValuesToMatchRegex",
        column="source_sha256",
        regex="^[0-9a-f]{64}$",
    ),
    _entry("pair-both", PAIR, column_A="tokens_out", column_B="tokens_in"),
    _entry(
        "pair-either",
        PAIR,
        column_A="tokens_out",
        column_B="tokens_in",
        ignore_row_if="either_value_is_missing",
    ),
    _entry(
        "pair-neither",
        PAIR,
        column_A="tokens_out",
        column_B="tokens_in",
        ignore_row_if="neither",
    ),
    _entry("input-chars", BETWEEN, column="input_chars", max_value=100),
    _entry(
        "retrieval-score", BETWEEN, column="retrieval_score", min_value=0, max_value=1
    ),
    _entry("policy-count", BETWEEN, column="policy_result_count", min_value=1),
    _entry(
        "mean-out", "ExpectColumnMeanToBeBetween", column="tokens_out", max_value=10
    ),
    _entry("max-in", "ExpectColumnMaxToBeBetween", column="tokens_in", max_value=1000),
    _entry(
        "min-latency", "ExpectColumnMinToBeBetween", column="latency_ms", min_value=5
    ),
    _entry(
        "model-share",
        "ExpectColumnProportionOfNonNullValuesToBeBetween",
        column="model",
        min_value=0.9,
    ),
    _entry("model-mostly", "ExpectColumnValuesToNotBeNull", column="model", mostly=0.5),
    _entry(
        "model-allowed",
        "ExpectColumnValuesToBeInSet",
        column="model",
        value_set=["gpt-4o"],
    ),
]


@pytest.fixture(scope="module")
def rows(make_record: RecordFactory) -> list[dict[str, Any]]:
    """Six records; the comments say which entries each one breaks."""
    long_prompt = messages_text([text_message("user", SENTINEL * 4)])
    leaked = messages_text([text_message("assistant", SENTINEL)])
    docs = [
        {"doc_id": "kb-1", "source": "kb", "doc_sha256": "0" * 64, "score": 0.4},
        {"doc_id": "kb-2", "source": "kb", "doc_sha256": "1" * 64, "score": 1.5},
    ]
    return [
        make_record(0, http_status=200),
        # NaN latency; 500; tokens_in at the strict maximum; tokens_out < in
        make_record(1, latency_ms=float("nan"), http_status=500, tokens_in=100),
        # null latency, http status and span; a filtered finish
        make_record(2, latency_ms=None, span_id=None, finish_reason="content_filter"),
        # span shared with row 0; a source hash that is not hex; one pair side
        make_record(3, span_id="span-0", source_sha256="NOT-A-HASH", tokens_out=None),
        # both pair sides missing; the sentinel as model and in a long prompt;
        # a retrieval score above 1; no policy results
        make_record(
            4,
            tokens_in=None,
            tokens_out=None,
            model=SENTINEL,
            input_text=long_prompt,
            retrieval=docs,
            policy_results=[],
        ),
        # tokens_out below tokens_in; no model; the sentinel in output and extra
        make_record(
            5,
            tokens_out=5,
            model=None,
            output_text=leaked,
            extra=json.dumps({"gen_ai.system_instructions": SENTINEL}),
        ),
    ]


@pytest.fixture(scope="module")
def suite_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rule-test suite written to a file."""
    path = tmp_path_factory.mktemp("suites") / "rules.json"
    document = {"suite": "rule-test", "version": "0.1.0", "expectations": ENTRIES}
    path.write_text(json.dumps(document))
    return path


@pytest.fixture(scope="module")
def results(rows: list[dict[str, Any]], suite_path: Path) -> dict[str, CheckResult]:
    """The rule-test suite's results on the crafted rows, by entry id."""
    found = run_quality(records_frame(rows), suite_path, reference_row_counts=[])
    return {r.check_id: r for r in found}


@pytest.mark.parametrize(
    ("entry_id", "unexpected", "offenders"),
    [
        ("nn-latency", 2, (1, 2)),
        ("unique-span", 2, (0, 3)),
        ("in-set-http", 1, (1,)),
        ("not-in-set-finish", 1, (2,)),
        ("between-strict", 1, (1,)),
        ("regex-sha", 1, (3,)),
        ("pair-both", 3, (1, 3, 5)),
        ("pair-either", 2, (1, 5)),
        ("pair-neither", 4, (1, 3, 4, 5)),
        ("input-chars", 1, (4,)),
        ("retrieval-score", 1, (4,)),
        ("policy-count", 1, (4,)),
        ("model-mostly", 1, (5,)),
        ("model-allowed", 1, (4,)),
    ],
)
def test_gx_count_and_named_records_agree(
    results: dict[str, CheckResult],
    rows: list[dict[str, Any]],
    entry_id: str,
    unexpected: int,
    offenders: tuple[int, ...],
) -> None:
    details = results[entry_id].details

    assert details["unexpected_count"] == unexpected
    assert details["record_ids"] == [rows[i]["record_id"] for i in offenders]


def test_mostly_lets_a_few_unexpected_rows_pass(
    results: dict[str, CheckResult],
) -> None:
    assert results["model-mostly"].passed
    assert not results["model-allowed"].passed


def test_exploded_tables_count_their_own_rows(results: dict[str, CheckResult]) -> None:
    score = results["retrieval-score"]

    assert score.details["table"] == "retrieval"
    assert score.details["element_count"] == 2
    assert score.summary == (
        "retrieval-score failed: 1 of 2 retrieved documents unexpected (50.00%)"
        " on `retrieval_score`"
    )


def test_aggregates_report_the_observed_number(
    results: dict[str, CheckResult],
) -> None:
    observed = {
        key: (results[key].passed, results[key].details["observed_value"])
        for key in ("mean-out", "max-in", "min-latency", "model-share")
    }

    assert observed == {
        "mean-out": (False, pytest.approx(16.25)),
        "max-in": (True, 100),
        "min-latency": (False, pytest.approx(4.583)),
        "model-share": (False, pytest.approx(5 / 6)),
    }
    assert results["mean-out"].summary == (
        "mean-out failed: observed 16.25 in `tokens_out`"
    )


def test_no_result_carries_a_value_from_the_records(
    results: dict[str, CheckResult],
) -> None:
    text = json.dumps([r.to_json() for r in results.values()])

    assert SENTINEL not in text
    assert "SENTINEL" not in text
    assert "NOT-A-HASH" not in text


def test_text_columns_never_reach_pandas(
    rows: list[dict[str, Any]], suite_path: Path
) -> None:
    suite = load_suite(suite_path)
    tables = build_tables(records_frame(rows), suite.columns)

    frames = {
        name: to_pandas(table, [c for c in suite.columns if c in table.columns])
        for name, table in tables.items()
    }

    every_column = {c for frame in frames.values() for c in frame.columns}
    assert not every_column & {"input_text", "output_text", "extra", "record_id"}
    assert "input_chars" in every_column
    cells = {str(v) for frame in frames.values() for v in frame.to_numpy().ravel()}
    content = {rows[4]["input_text"], rows[5]["output_text"], rows[5]["extra"]}
    assert cells.isdisjoint(content)
    # The only sentinel left is the one deliberately put in `model`.
    assert [c for c in cells if SENTINEL in c] == [SENTINEL]
    assert list(frames["records"]["input_chars"])[4] == len(rows[4]["input_text"])


def test_a_check_frame_of_only_the_read_columns_gives_the_same_results(
    rows: list[dict[str, Any]],
    suite_path: Path,
    results: dict[str, CheckResult],
) -> None:
    suite = load_suite(suite_path)
    slim = check_frame(records_frame(rows).select(sorted(suite.record_columns)))

    found = run_quality(slim, suite_path, reference_row_counts=[])

    assert "input_text" not in slim.columns
    assert slim["input_chars"].to_list()[4] == len(rows[4]["input_text"])
    assert {r.check_id: r for r in found} == results


def test_the_run_turns_gx_analytics_off(results: dict[str, CheckResult]) -> None:
    assert os.environ["GX_ANALYTICS_ENABLED"] == "false"


def test_every_supported_expectation_is_a_gx_class_with_a_rule() -> None:
    import great_expectations as gx

    for name, rule in EXPECTATIONS.items():
        assert hasattr(gx.expectations, name), name
        assert (name in RULES) == (rule.shape != "column_aggregate"), name
    assert set(RULES) <= set(EXPECTATIONS)


def test_no_log_line_carries_a_value_and_the_rules_agree_with_gx(
    rows: list[dict[str, Any]], suite_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A second GX run, so every logger (GX's too) is captured at DEBUG.
    with caplog.at_level(logging.DEBUG):
        run_quality(records_frame(rows), suite_path, reference_row_counts=[])

    assert "SENTINEL" not in caplog.text
    assert "NOT-A-HASH" not in caplog.text
    ours = [r for r in caplog.records if r.name.startswith("ledgerlens.")]
    assert [r.levelno for r in ours if r.levelno >= logging.WARNING] == []
    assert ours[-1].getMessage() == (
        "quality suite rule-test: 16 of 18 checks failed, 0 blocking"
    )
