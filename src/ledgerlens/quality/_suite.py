"""The quality suite file: ledgerlens's own versioned JSON format, read strictly.

A suite file looks like::

    {"suite": "ledgerlens-default", "version": "1.0.0", "description": "...",
     "expectations": [
        {"id": "status-allowed", "expectation": "ExpectColumnValuesToBeInSet",
         "kwargs": {"column": "status", "value_set": ["ok", "error"]},
         "severity": "blocking", "description": "..."}]}

``expectation`` is a Great Expectations 1.x class name from the supported list
(:data:`ledgerlens.quality._catalogue.EXPECTATIONS`) or one of the checks
ledgerlens runs itself (``ledgerlens:min_row_count``,
``ledgerlens:reference_row_count``). Every problem is reported as one
:class:`~ledgerlens.errors.CheckError` line naming the file and the entry.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from types import MappingProxyType
from typing import Any, Final

import polars as pl

from ledgerlens.errors import CheckError
from ledgerlens.findings import SEVERITIES, Severity
from ledgerlens.quality._catalogue import (
    BUILTIN_EXPECTATIONS,
    COLUMNS,
    CONTENT_COLUMNS,
    EXPECTATIONS,
    MIN_ROW_COUNT,
    NESTED_COLUMNS,
    REFERENCE_ROW_COUNT,
    CheckableColumn,
    ExpectationRule,
    TableName,
)

__all__ = ["QualitySuite", "SuiteEntry", "load_suite"]

_TOP_KEYS: Final = frozenset({"suite", "version", "expectations", "description"})
_TOP_REQUIRED: Final = frozenset({"suite", "version", "expectations"})
_ENTRY_KEYS: Final = frozenset(
    {"id", "expectation", "kwargs", "severity", "description"}
)
_ID_PATTERN: Final = re.compile(r"[a-z0-9][a-z0-9_.-]{0,63}")
_VERSION_PATTERN: Final = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)){2}")
_IGNORE_ROW_IF: Final = (
    "both_values_are_missing",
    "either_value_is_missing",
    "neither",
)
_REMEDY: Final = "fix the suite file; the format is described in docs/spec.md"


@dataclass(frozen=True)
class SuiteEntry:
    """One check of a quality suite, as validated from the file.

    ``kwargs`` is read-only; lists from the file are held as tuples.
    """

    id: str
    expectation: str
    kwargs: Mapping[str, Any]
    severity: Severity
    description: str

    @property
    def is_builtin(self) -> bool:
        """True for the checks ledgerlens evaluates itself, outside GX."""
        return self.expectation in BUILTIN_EXPECTATIONS

    @property
    def rule(self) -> ExpectationRule:
        """The catalogue rule this entry was validated against."""
        return (
            EXPECTATIONS.get(self.expectation) or BUILTIN_EXPECTATIONS[self.expectation]
        )

    @property
    def columns(self) -> tuple[str, ...]:
        """The columns the entry names, in kwarg order (empty for builtins)."""
        names = ("column", "column_A", "column_B")
        return tuple(self.kwargs[n] for n in names if n in self.kwargs)

    @property
    def table(self) -> TableName | None:
        """The table the entry runs on, or ``None`` for a builtin."""
        return COLUMNS[self.columns[0]].table if self.columns else None


@dataclass(frozen=True)
class QualitySuite:
    """A validated quality suite and where it came from.

    ``sha256`` is of the exact bytes read, so a report can name the file used.
    """

    name: str
    version: str
    description: str
    entries: tuple[SuiteEntry, ...]
    path: Path
    sha256: str

    @property
    def columns(self) -> frozenset[str]:
        """Every column some entry names."""
        return frozenset(c for e in self.entries for c in e.columns)

    @property
    def record_columns(self) -> frozenset[str]:
        """The record columns the suite reads: ``record_id`` and each source."""
        sources = (COLUMNS[c].derived_from or c for c in self.columns)
        return frozenset({"record_id", *sources})


class _Problem(Exception):
    """A problem in one place of the file; :func:`load_suite` adds the place."""


def load_suite(path: Path) -> QualitySuite:
    """Read and validate a quality suite file.

    Raises :class:`~ledgerlens.errors.CheckError` with a one-line message
    naming the file (and the entry, where there is one) on any problem.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        msg = f"{path}: cannot read the quality suite ({exc.strerror})"
        raise CheckError(msg, remedy="check the path given for the suite") from None

    document = _parse(path, raw)
    name, version, description, items = _top_level(path, document)

    entries: list[SuiteEntry] = []
    for index, item in enumerate(items):
        entries.append(_entry(path, index, item))

    _reject_duplicate_ids(path, entries)
    return QualitySuite(
        name=name,
        version=version,
        description=description,
        entries=tuple(entries),
        path=path,
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def _fail(path: Path, problem: str) -> CheckError:
    return CheckError(f"{path}: {problem}", remedy=_REMEDY)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [k for k, _ in pairs]
    for key in keys:
        if keys.count(key) > 1:
            raise _Problem(f"key `{key}` appears twice in one object")
    return dict(pairs)


def _parse(path: Path, raw: bytes) -> Any:
    try:
        return json.loads(raw, object_pairs_hook=_no_duplicate_keys)
    except _Problem as exc:
        raise _fail(path, str(exc)) from None
    except UnicodeDecodeError:
        raise _fail(path, "not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        problem = f"not valid JSON (line {exc.lineno}, column {exc.colno})"
        raise _fail(path, problem) from None


def _top_level(path: Path, document: Any) -> tuple[str, str, str, list[Any]]:
    if not isinstance(document, dict):
        raise _fail(path, "the suite must be a JSON object")
    unknown = sorted(set(document) - _TOP_KEYS)
    if unknown:
        raise _fail(path, f"unknown top-level key `{unknown[0]}`")
    missing = sorted(_TOP_REQUIRED - set(document))
    if missing:
        raise _fail(path, f"missing top-level key `{missing[0]}`")

    name, version = document["suite"], document["version"]
    description = document.get("description", "")
    items = document["expectations"]
    if not isinstance(name, str) or not _ID_PATTERN.fullmatch(name):
        raise _fail(path, "`suite` must be a name of a-z, 0-9, `.`, `_`, `-`")
    if not isinstance(version, str) or not _VERSION_PATTERN.fullmatch(version):
        raise _fail(path, '`version` must be MAJOR.MINOR.PATCH, e.g. "1.0.0"')
    if not isinstance(description, str):
        raise _fail(path, "`description` must be a string")
    if not isinstance(items, list) or not items:
        raise _fail(path, "`expectations` must be a non-empty list")
    return name, version, description, items


def _entry(path: Path, index: int, item: Any) -> SuiteEntry:
    label = f"entry #{index + 1}"
    try:
        if not isinstance(item, dict):
            raise _Problem("must be a JSON object")
        entry_id = item.get("id")
        if not isinstance(entry_id, str) or not _ID_PATTERN.fullmatch(entry_id):
            raise _Problem("`id` must be 1-64 characters of a-z, 0-9, `.`, `_`, `-`")
        label = f"entry #{index + 1} `{entry_id}`"
        return _checked_entry(entry_id, item)
    except _Problem as exc:
        raise _fail(path, f"{label}: {exc}") from None


def _checked_entry(entry_id: str, item: dict[str, Any]) -> SuiteEntry:
    unknown = sorted(set(item) - _ENTRY_KEYS)
    if unknown:
        raise _Problem(f"unknown key `{unknown[0]}`")
    missing = sorted(_ENTRY_KEYS - set(item))
    if missing:
        raise _Problem(f"missing key `{missing[0]}`")

    severity, description = item["severity"], item["description"]
    if severity not in SEVERITIES:
        raise _Problem(f"severity must be `blocking` or `warning`, not {severity!r}")
    if not isinstance(description, str) or not description.strip():
        raise _Problem("`description` must be a non-empty string")

    expectation = item["expectation"]
    rule = _rule_for(expectation)
    kwargs = item["kwargs"]
    if not isinstance(kwargs, dict):
        raise _Problem("`kwargs` must be a JSON object")
    _check_kwargs(expectation, rule, kwargs)

    return SuiteEntry(
        id=entry_id,
        expectation=expectation,
        kwargs=MappingProxyType({k: _frozen(v) for k, v in kwargs.items()}),
        severity=severity,
        description=description,
    )


def _rule_for(expectation: Any) -> ExpectationRule:
    if not isinstance(expectation, str):
        raise _Problem("`expectation` must be a string")
    rule = EXPECTATIONS.get(expectation) or BUILTIN_EXPECTATIONS.get(expectation)
    if rule is None:
        known = [*EXPECTATIONS, *BUILTIN_EXPECTATIONS]
        raise _Problem(
            f"unknown or unsupported expectation `{expectation}`"
            + _did_you_mean(expectation, known)
        )
    return rule


def _did_you_mean(name: str, known: list[str]) -> str:
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.85)
    return f"; did you mean `{close[0]}`?" if close else ""


def _frozen(value: Any) -> Any:
    return tuple(value) if isinstance(value, list) else value


def _check_kwargs(
    expectation: str, rule: ExpectationRule, kwargs: dict[str, Any]
) -> None:
    unknown = sorted(set(kwargs) - rule.allowed)
    if unknown:
        raise _Problem(f"`{expectation}` takes no kwarg `{unknown[0]}`")
    missing = sorted(rule.required - set(kwargs))
    if missing:
        raise _Problem(f"`{expectation}` needs kwarg `{missing[0]}`")

    names = ("column", "column_A", "column_B")
    columns = [_column(kwargs[n]) for n in names if n in kwargs]
    for column in columns:
        if column.kind not in rule.column_kinds:
            raise _Problem(
                f"`{expectation}` cannot check {column.kind} column `{column.name}`"
            )
    if len(columns) == 2:
        _check_pair(columns[0], columns[1], kwargs)
    for name, value in kwargs.items():
        _check_value(name, value, columns[0] if columns else None)

    if expectation == MIN_ROW_COUNT:
        _check_min_rows(kwargs["min_value"])
    elif expectation == REFERENCE_ROW_COUNT:
        _check_fraction("min_fraction", kwargs["min_fraction"], allow_zero=False)
    elif "min_value" in rule.allowed:
        _check_range(kwargs)


def _column(name: Any) -> CheckableColumn:
    if not isinstance(name, str):
        raise _Problem("a column must be named by a string")
    if name in CONTENT_COLUMNS:
        raise _Problem(
            f"column `{name}` may hold prompt or response text and is never"
            " checked; check a derived column such as `input_chars` instead"
        )
    if name in NESTED_COLUMNS:
        derived = sorted(c.name for c in COLUMNS.values() if c.derived_from == name)
        raise _Problem(
            f"column `{name}` is a list; check its derived columns"
            f" ({', '.join(f'`{d}`' for d in derived)})"
        )
    column = COLUMNS.get(name)
    if column is None:
        raise _Problem(f"unknown column `{name}`" + _did_you_mean(name, [*COLUMNS]))
    return column


def _check_pair(a: CheckableColumn, b: CheckableColumn, kwargs: dict[str, Any]) -> None:
    if a.name == b.name:
        raise _Problem("`column_A` and `column_B` must differ")
    if a.table != b.table:
        raise _Problem(f"columns `{a.name}` and `{b.name}` are in different tables")
    numeric = {"integer", "float"}
    if a.kind != b.kind and not {a.kind, b.kind} <= numeric:
        raise _Problem(f"columns `{a.name}` and `{b.name}` are not comparable")
    if kwargs.get("ignore_row_if", _IGNORE_ROW_IF[0]) not in _IGNORE_ROW_IF:
        raise _Problem(f"`ignore_row_if` must be one of {', '.join(_IGNORE_ROW_IF)}")


def _check_value(name: str, value: Any, column: CheckableColumn | None) -> None:
    if name in ("strict_min", "strict_max", "or_equal") and not isinstance(value, bool):
        raise _Problem(f"`{name}` must be true or false")
    if name == "mostly":
        _check_fraction(name, value, allow_zero=True)
    if name == "value_set":
        assert column is not None
        _check_value_set(value, column)
    if name == "regex":
        _check_regex(value)


def _is_number(value: Any) -> bool:
    return (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
    )


def _check_fraction(name: str, value: Any, *, allow_zero: bool) -> None:
    in_range = _is_number(value) and (value >= 0 if allow_zero else value > 0)
    if not in_range or value > 1:
        bounds = "[0, 1]" if allow_zero else "(0, 1]"
        raise _Problem(f"`{name}` must be a number in {bounds}")


def _check_min_rows(value: Any) -> None:
    if not isinstance(value, int) or isinstance(value, bool) or value < 1:
        raise _Problem("`min_value` must be a whole number of rows, at least 1")


def _check_range(kwargs: dict[str, Any]) -> None:
    low, high = kwargs.get("min_value"), kwargs.get("max_value")
    for name, value in (("min_value", low), ("max_value", high)):
        if value is not None and not _is_number(value):
            raise _Problem(f"`{name}` must be a number or null")
    if low is None and high is None:
        raise _Problem("give `min_value`, `max_value` or both")
    if low is not None and high is not None and low > high:
        raise _Problem("`min_value` is greater than `max_value`")


def _check_value_set(value: Any, column: CheckableColumn) -> None:
    wanted: type = str if column.kind == "string" else int
    if not isinstance(value, list) or not value:
        raise _Problem("`value_set` must be a non-empty list")
    for item in value:
        if not isinstance(item, wanted) or isinstance(item, bool):
            raise _Problem(
                f"`value_set` of {column.kind} column `{column.name}` holds"
                f" a {type(item).__name__}"
            )


def _check_regex(value: Any) -> None:
    if not isinstance(value, str) or not value:
        raise _Problem("`regex` must be a non-empty string")

    # GX applies the pattern with Python's `re`; ledgerlens names the offending
    # rows with polars (Rust regex). Accept only what both engines read.
    try:
        re.compile(value)
        pl.Series([""]).str.contains(value)
    except (re.error, pl.exceptions.PolarsError):
        msg = "`regex` is not a pattern both Python and polars accept"
        raise _Problem(msg) from None


def _reject_duplicate_ids(path: Path, entries: list[SuiteEntry]) -> None:
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        if entry.id in seen:
            raise _fail(path, f"entry #{index + 1} `{entry.id}`: duplicate id")
        seen.add(entry.id)
