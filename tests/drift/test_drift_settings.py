"""Reading and validating drift settings files."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from ledgerlens.drift import FEATURE_KINDS, METHODS, ColumnSetting, load_settings
from ledgerlens.errors import CheckError

Mutation = Callable[[dict[str, Any]], Any]
WriteSettings = Callable[[Any], Path]


def test_shipped_settings_pin_every_column(shipped_settings: Path) -> None:
    settings = load_settings(shipped_settings)

    assert settings.version == "1.1.0"
    assert (settings.sample_size, settings.seed) == (5000, 20261204)
    assert settings.min_rows == 400
    assert [c.column for c in settings.columns] == list(FEATURE_KINDS)
    for column in settings.columns:
        expected = "wasserstein" if column.kind == "numeric" else "jensenshannon"
        assert column.method == expected
        assert column.score_kind == "distance"
    # The calibrated thresholds of docs/drift-calibration.md.
    assert {c.column: c.threshold for c in settings.columns} == {
        "latency_ms": 0.2,
        "tokens_in": 0.2,
        "tokens_out": 0.2,
        "input_chars": 0.2,
        "output_chars": 0.2,
        "model_version": 0.2,
        "status": 0.1,
        "finish_reason": 0.11,
        "policy_outcome": 0.09,
    }
    blocking = {c.column for c in settings.columns if c.severity == "blocking"}
    assert blocking == {"model_version", "policy_outcome"}


def test_settings_record_their_origin_and_hash(shipped_settings: Path) -> None:
    settings = load_settings(shipped_settings)

    assert settings.source == str(shipped_settings)
    assert settings.sha256 == hashlib.sha256(shipped_settings.read_bytes()).hexdigest()


def test_a_valid_edit_is_read_back(
    default_settings: dict[str, Any], write_settings: WriteSettings
) -> None:
    default_settings["sample"] = {"size": 250, "seed": 0}
    default_settings["columns"] = [
        {
            "column": "tokens_out",
            "kind": "numeric",
            "method": "ks",
            "threshold": 0.01,
            "severity": "blocking",
        },
    ]

    settings = load_settings(write_settings(default_settings))

    assert (settings.sample_size, settings.seed) == (250, 0)
    assert settings.min_rows == 1  # left out: no minimum, as in 1.0 files
    assert settings.columns == (
        ColumnSetting("tokens_out", "numeric", "ks", 0.01, "blocking"),
    )
    assert settings.columns[0].score_kind == "p_value"


def _set_column(key: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["columns"][0][key] = value

    return mutate


def _set_top(key: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data[key] = value

    return mutate


def _set_sample(key: str, value: Any) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["sample"][key] = value

    return mutate


def _drop_top(key: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        del data[key]

    return mutate


def _duplicate_column(data: dict[str, Any]) -> None:
    data["columns"].append(dict(data["columns"][0]))


def _drop_column_key(data: dict[str, Any]) -> None:
    del data["columns"][0]["severity"]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_set_column("column", "input_text"), "unknown column `input_text`"),
        (_set_column("column", "prompt"), "unknown column `prompt`"),
        (_set_column("method", "bogus"), "unknown method `bogus`"),
        (_set_column("method", None), "unknown method `None`"),
        (_set_column("method", "chisquare"), "does not apply to numeric"),
        (_set_column("method", "empirical_mmd"), "unknown method `empirical_mmd`"),
        (_set_column("severity", "fatal"), "unknown severity `fatal`"),
        (_set_column("kind", "categorical"), "is numeric, not `categorical`"),
        (_set_column("threshold", 0), "threshold must be a positive number"),
        (_set_column("threshold", -0.2), "threshold must be a positive number"),
        (_set_column("threshold", True), "threshold must be a positive number"),
        (_set_column("threshold", "0.1"), "threshold must be a positive number"),
        (_set_column("bins", 10), "unknown key `bins`"),
        (_drop_column_key, "lacks key `severity`"),
        (_duplicate_column, "listed twice"),
        (_set_top("columns", []), "columns must be a non-empty list"),
        (_set_top("extra", 1), "unknown key `extra`"),
        (_set_top("version", "2.0.0"), "format version 2.0.0 is not supported"),
        (_set_top("version", 1), "version must be a string"),
        (_drop_top("sample"), "lacks key `sample`"),
        (_set_sample("size", 0), "size must be a positive integer"),
        (_set_sample("size", 10.5), "size must be a positive integer"),
        (_set_sample("seed", -1), "seed must be an integer"),
        (_set_sample("seed", 2**64), "seed must be an integer"),
        (_set_sample("min_rows", 0), "min_rows must be an integer from 1"),
        (_set_sample("min_rows", 5001), "min_rows must be an integer from 1"),
        (_set_sample("min_rows", 400.0), "min_rows must be an integer from 1"),
        (_set_sample("min_rows", True), "min_rows must be an integer from 1"),
        (_set_sample("min_rows", "400"), "min_rows must be an integer from 1"),
        (_set_sample("max_rows", 10), "unknown key `max_rows`"),
        (_set_column("note", 3), "note must be a string"),
        (_set_top("sample", [5000, 1]), "sample must be a JSON object"),
        (lambda data: [data], "must be a JSON object"),
    ],
)
def test_invalid_settings_are_a_check_error(
    default_settings: dict[str, Any],
    write_settings: WriteSettings,
    mutate: Mutation,
    message: str,
) -> None:
    replaced = mutate(default_settings)
    path = write_settings(default_settings if replaced is None else replaced)

    with pytest.raises(CheckError) as caught:
        load_settings(path)

    assert message in caught.value.message
    assert str(path) in caught.value.message
    assert caught.value.remedy
    assert "\n" not in caught.value.one_line()
    assert caught.value.exit_code == 2


def test_p_value_threshold_must_be_below_one(
    default_settings: dict[str, Any], write_settings: WriteSettings
) -> None:
    default_settings["columns"][0].update(method="ks", threshold=1.0)

    with pytest.raises(CheckError, match="threshold must be between 0 and 1"):
        load_settings(write_settings(default_settings))


def test_invalid_json_is_a_check_error(write_settings: WriteSettings) -> None:
    with pytest.raises(CheckError, match="is not valid JSON"):
        load_settings(write_settings('{"version": "1.0.0",'))


def test_duplicate_json_keys_are_refused(
    shipped_settings: Path, write_settings: WriteSettings
) -> None:
    text = shipped_settings.read_text(encoding="utf-8")
    doubled = text.replace(
        '"version": "1.1.0",', '"version": "1.1.0", "version": "1.1.1",'
    )

    with pytest.raises(CheckError, match="duplicate key 'version'"):
        load_settings(write_settings(doubled))


def test_missing_file_is_a_check_error(tmp_path: Path) -> None:
    with pytest.raises(CheckError, match="cannot read drift settings"):
        load_settings(tmp_path / "absent.json")


def test_every_method_is_one_evidently_registers_for_its_kinds() -> None:
    from evidently.legacy.calculations.stattests.registry import (
        get_registered_stattest,
    )
    from evidently.legacy.core import ColumnType

    column_type = {
        "numeric": ColumnType.Numerical,
        "categorical": ColumnType.Categorical,
    }
    for name, info in METHODS.items():
        for kind in info.kinds:
            assert get_registered_stattest(name, column_type[kind]).name == name


def test_min_rows_up_to_the_sample_size_is_read_back(
    default_settings: dict[str, Any], write_settings: WriteSettings
) -> None:
    default_settings["sample"] = {"size": 800, "seed": 3, "min_rows": 800}
    default_settings["columns"][0]["note"] = "any text a reader needs"

    settings = load_settings(write_settings(default_settings))

    assert (settings.sample_size, settings.seed, settings.min_rows) == (800, 3, 800)
    assert settings.columns[0] == ColumnSetting(
        "latency_ms", "numeric", "wasserstein", 0.2, "warning"
    )
