"""The quality suite file: the default suite's content and strict rejection."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from ledgerlens.errors import CheckError
from ledgerlens.quality import QualitySuite, load_suite
from ledgerlens.quality._catalogue import COLUMNS, CONTENT_COLUMNS
from ledgerlens.record import RECORD_SCHEMA, TEXT_COLUMNS


def _write(tmp_path: Path, document: Any, name: str = "suite.json") -> Path:
    path = tmp_path / name
    path.write_text(document if isinstance(document, str) else json.dumps(document))
    return path


def _suite(*entries: dict[str, Any], **top: Any) -> dict[str, Any]:
    return {"suite": "test", "version": "1.0.0", "expectations": list(entries), **top}


def _entry(
    expectation: str, severity: str = "warning", **kwargs: Any
) -> dict[str, Any]:
    return {
        "id": "e1",
        "expectation": expectation,
        "kwargs": kwargs,
        "severity": severity,
        "description": "a test entry",
    }


def test_default_suite_has_the_agreed_checks_and_severities(
    default_suite: Path,
) -> None:
    suite = load_suite(default_suite)

    assert (suite.name, suite.version) == ("ledgerlens-default", "1.1.0")
    assert {e.id: (e.expectation, e.severity) for e in suite.entries} == {
        "record-id-present": ("ExpectColumnValuesToNotBeNull", "blocking"),
        "ts-start-present": ("ExpectColumnValuesToNotBeNull", "blocking"),
        "ts-end-present": ("ExpectColumnValuesToNotBeNull", "warning"),
        "model-present": ("ExpectColumnValuesToNotBeNull", "blocking"),
        "provider-present": ("ExpectColumnValuesToNotBeNull", "blocking"),
        "status-present": ("ExpectColumnValuesToNotBeNull", "blocking"),
        "source-sha256-present": ("ExpectColumnValuesToNotBeNull", "blocking"),
        "record-id-unique": ("ExpectColumnValuesToBeUnique", "blocking"),
        "status-allowed": ("ExpectColumnValuesToBeInSet", "blocking"),
        "policy-outcome-allowed": ("ExpectColumnValuesToBeInSet", "blocking"),
        "ts-end-not-before-start": (
            "ExpectColumnPairValuesAToBeGreaterThanB",
            "warning",
        ),
        "latency-ms-range": ("ExpectColumnValuesToBeBetween", "warning"),
        "tokens-in-range": ("ExpectColumnValuesToBeBetween", "warning"),
        "tokens-out-range": ("ExpectColumnValuesToBeBetween", "warning"),
        "cost-usd-range": ("ExpectColumnValuesToBeBetween", "warning"),
        "no-data": ("ledgerlens:min_row_count", "blocking"),
        "volume-vs-reference": ("ledgerlens:reference_row_count", "warning"),
    }


def test_default_suite_thresholds_are_the_agreed_ones(default_suite: Path) -> None:
    kwargs = {e.id: dict(e.kwargs) for e in load_suite(default_suite).entries}

    assert kwargs["latency-ms-range"] == {
        "column": "latency_ms",
        "min_value": 0,
        "max_value": 600000,
    }
    assert kwargs["tokens-in-range"]["max_value"] == 2_000_000
    assert kwargs["tokens-out-range"]["max_value"] == 2_000_000
    assert kwargs["cost-usd-range"]["max_value"] == 100
    assert kwargs["status-allowed"]["value_set"] == ("ok", "error")
    assert kwargs["policy-outcome-allowed"]["value_set"] == ("pass", "flag", "block")
    assert kwargs["no-data"] == {"min_value": 1}
    assert kwargs["volume-vs-reference"] == {"min_fraction": 0.5}


def test_suite_records_the_sha256_of_the_bytes_read(tmp_path: Path) -> None:
    raw = json.dumps(_suite(_entry("ExpectColumnValuesToNotBeNull", column="model")))
    path = _write(tmp_path, raw)

    suite = load_suite(path)

    assert isinstance(suite, QualitySuite)
    assert suite.path == path
    assert suite.sha256 == hashlib.sha256(raw.encode()).hexdigest()


def test_entry_kwargs_cannot_be_changed_after_loading(default_suite: Path) -> None:
    entry = load_suite(default_suite).entries[0]

    with pytest.raises(TypeError):
        entry.kwargs["column"] = "model"  # type: ignore[index]


def test_no_content_column_is_checkable() -> None:
    assert set(TEXT_COLUMNS) <= set(CONTENT_COLUMNS)
    assert not set(CONTENT_COLUMNS) & set(COLUMNS)
    derived = set(COLUMNS) - set(RECORD_SCHEMA)
    assert derived == {
        "input_chars",
        "output_chars",
        "retrieval_count",
        "policy_result_count",
        "policy_name",
        "policy_version",
        "policy_outcome",
        "policy_category",
        "policy_score",
        "retrieval_doc_id",
        "retrieval_source",
        "retrieval_doc_sha256",
        "retrieval_score",
    }


ENTRY_PROBLEMS = [
    (
        _entry("ExpectColumnValuesToBeFoo", column="model"),
        "unknown or unsupported expectation `ExpectColumnValuesToBeFoo`",
    ),
    (
        _entry("ExpectColumnValueToNotBeNull", column="model"),
        "unknown or unsupported expectation `ExpectColumnValueToNotBeNull`;"
        " did you mean `ExpectColumnValuesToNotBeNull`?",
    ),
    (
        # A real GX expectation, but one ledgerlens has no row rule for.
        _entry("ExpectColumnValuesToBeDateutilParseable", column="model"),
        "unknown or unsupported expectation `ExpectColumnValuesToBeDateutilParseable`",
    ),
    (
        _entry("ExpectColumnValuesToNotBeNull", severity="fatal", column="model"),
        "severity must be `blocking` or `warning`, not 'fatal'",
    ),
    (
        _entry("ExpectColumnValuesToNotBeNull", column="input_text"),
        "column `input_text` may hold prompt or response text and is never"
        " checked; check a derived column such as `input_chars` instead",
    ),
    (
        _entry("ExpectColumnValuesToBeInSet", column="output_text", value_set=["x"]),
        "column `output_text` may hold prompt or response text and is never"
        " checked; check a derived column such as `input_chars` instead",
    ),
    (
        _entry(
            "ExpectColumnPairValuesAToBeGreaterThanB",
            column_A="input_chars",
            column_B="extra",
        ),
        "column `extra` may hold prompt or response text and is never"
        " checked; check a derived column such as `input_chars` instead",
    ),
    (
        _entry("ExpectColumnValuesToNotBeNull", column="policy_results"),
        "column `policy_results` is a list; check its derived columns"
        " (`policy_category`, `policy_name`, `policy_outcome`,"
        " `policy_result_count`, `policy_score`, `policy_version`)",
    ),
    (
        _entry("ExpectColumnValuesToNotBeNull", column="latency"),
        "unknown column `latency`",
    ),
    (
        _entry("ExpectColumnValuesToNotBeNull", column="latncy_ms"),
        "unknown column `latncy_ms`; did you mean `latency_ms`?",
    ),
    (
        _entry("ExpectColumnValuesToNotBeNull", column="model", mostly=1.5),
        "`mostly` must be a number in [0, 1]",
    ),
    (
        _entry("ExpectColumnValuesToNotBeNull", column="model", value_set=["a"]),
        "`ExpectColumnValuesToNotBeNull` takes no kwarg `value_set`",
    ),
    (
        _entry("ExpectColumnValuesToBeInSet", column="status"),
        "`ExpectColumnValuesToBeInSet` needs kwarg `value_set`",
    ),
    (
        _entry("ExpectColumnValuesToBeInSet", column="http_status", value_set=["200"]),
        "`value_set` of integer column `http_status` holds a str",
    ),
    (
        _entry("ExpectColumnValuesToBeBetween", column="model", min_value=0),
        "`ExpectColumnValuesToBeBetween` cannot check string column `model`",
    ),
    (
        _entry("ExpectColumnValuesToBeBetween", column="cost_usd"),
        "give `min_value`, `max_value` or both",
    ),
    (
        _entry(
            "ExpectColumnValuesToBeBetween", column="cost_usd", min_value=5, max_value=1
        ),
        "`min_value` is greater than `max_value`",
    ),
    (
        _entry("ExpectColumnValuesToBeBetween", column="cost_usd", min_value="0"),
        "`min_value` must be a number or null",
    ),
    (
        _entry("ExpectColumnValuesToMatchRegex", column="model", regex="(?<=gpt)-4"),
        "`regex` is not a pattern both Python and polars accept",
    ),
    (
        _entry(
            "ExpectColumnPairValuesAToBeGreaterThanB",
            column_A="ts_end",
            column_B="policy_score",
        ),
        "columns `ts_end` and `policy_score` are in different tables",
    ),
    (
        _entry(
            "ExpectColumnPairValuesAToBeGreaterThanB",
            column_A="ts_end",
            column_B="latency_ms",
        ),
        "columns `ts_end` and `latency_ms` are not comparable",
    ),
    (
        _entry(
            "ExpectColumnPairValuesAToBeGreaterThanB",
            column_A="ts_end",
            column_B="ts_start",
            ignore_row_if="never",
        ),
        "`ignore_row_if` must be one of both_values_are_missing,"
        " either_value_is_missing, neither",
    ),
    (
        _entry("ledgerlens:min_row_count", min_value=0),
        "`min_value` must be a whole number of rows, at least 1",
    ),
    (
        _entry("ledgerlens:reference_row_count", min_fraction=0),
        "`min_fraction` must be a number in (0, 1]",
    ),
    (
        _entry("ledgerlens:reference_row_count"),
        "`ledgerlens:reference_row_count` needs kwarg `min_fraction`",
    ),
    (
        {**_entry("ExpectColumnValuesToNotBeNull", column="model"), "meta": {}},
        "unknown key `meta`",
    ),
    (
        {
            k: v
            for k, v in _entry("ExpectColumnValuesToNotBeNull", column="model").items()
            if k != "description"
        },
        "missing key `description`",
    ),
]


@pytest.mark.parametrize(("entry", "problem"), ENTRY_PROBLEMS)
def test_a_bad_entry_is_rejected_naming_file_and_entry(
    tmp_path: Path, entry: dict[str, Any], problem: str
) -> None:
    ok = _entry("ExpectColumnValuesToNotBeNull", column="model") | {"id": "fine"}
    path = _write(tmp_path, _suite(ok, entry))

    with pytest.raises(CheckError) as caught:
        load_suite(path)

    assert caught.value.message == f"{path}: entry #2 `e1`: {problem}"
    assert caught.value.exit_code == 2
    assert "\n" not in caught.value.one_line()
    assert caught.value.remedy is not None


def test_an_entry_without_a_valid_id_is_named_by_position(tmp_path: Path) -> None:
    entry = _entry("ExpectColumnValuesToNotBeNull", column="model") | {"id": "Bad Id"}
    path = _write(tmp_path, _suite(entry))

    with pytest.raises(CheckError) as caught:
        load_suite(path)

    assert caught.value.message == (
        f"{path}: entry #1: `id` must be 1-64 characters of a-z, 0-9, `.`, `_`, `-`"
    )


def test_a_duplicate_entry_id_is_rejected(tmp_path: Path) -> None:
    entry = _entry("ExpectColumnValuesToNotBeNull", column="model")
    path = _write(tmp_path, _suite(entry, entry))

    with pytest.raises(CheckError) as caught:
        load_suite(path)

    assert caught.value.message == f"{path}: entry #2 `e1`: duplicate id"


FILE_PROBLEMS = [
    ("{not json", "not valid JSON (line 1, column 2)"),
    ('{"suite": "a", "suite": "b"}', "key `suite` appears twice in one object"),
    ("[]", "the suite must be a JSON object"),
    (
        json.dumps(
            _suite(_entry("ExpectColumnValuesToNotBeNull", column="model"))[
                "expectations"
            ][0]
        ),
        "unknown top-level key `expectation`",
    ),
    (
        json.dumps({"suite": "x", "version": "1.0.0"}),
        "missing top-level key `expectations`",
    ),
    (json.dumps(_suite()), "`expectations` must be a non-empty list"),
    (
        json.dumps(
            _suite(_entry("ExpectColumnValuesToNotBeNull", column="model"))
            | {"version": "1.0"}
        ),
        '`version` must be MAJOR.MINOR.PATCH, e.g. "1.0.0"',
    ),
]


@pytest.mark.parametrize(("text", "problem"), FILE_PROBLEMS)
def test_a_bad_file_is_rejected_naming_the_file(
    tmp_path: Path, text: str, problem: str
) -> None:
    path = _write(tmp_path, text)

    with pytest.raises(CheckError) as caught:
        load_suite(path)

    assert caught.value.message == f"{path}: {problem}"


def test_a_missing_file_is_a_check_error(tmp_path: Path) -> None:
    path = tmp_path / "absent.json"

    with pytest.raises(CheckError) as caught:
        load_suite(path)

    assert caught.value.message == (
        f"{path}: cannot read the quality suite (No such file or directory)"
    )
    assert caught.value.exit_code == 2
