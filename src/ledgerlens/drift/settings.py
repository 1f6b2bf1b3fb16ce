"""Drift settings: the sample and, per column, a pinned method and threshold.

The file (``checks/drift.json`` by default) looks like::

    {"version": "1.1.0",
     "sample": {"size": 5000, "seed": 20261204, "min_rows": 300},
     "columns": [{"column": "latency_ms", "kind": "numeric",
                  "method": "wasserstein", "threshold": 0.25,
                  "severity": "warning", "note": "why this threshold"}, ...]}

Every column names its method as Evidently names it, so Evidently never picks
one by sample size. ``sample.min_rows`` is the fewest rows each side needs
before drift is measured at all: below it sampling noise alone crosses the
thresholds (``docs/drift-calibration.md``). It may be left out, as in 1.0
files, and then means no minimum (1). A column's ``note`` says why its
threshold was chosen; it is kept for the reader and changes nothing.

Apart from that one documented default, the file is read strictly: an unknown
key, column, method or severity is a :class:`~ledgerlens.errors.CheckError`,
never a silent default. Reading it does not import Evidently.
"""

from __future__ import annotations

import hashlib
import json
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from ledgerlens.drift.derive import FEATURE_KINDS, FeatureKind
from ledgerlens.errors import CheckError
from ledgerlens.findings import SEVERITIES, Severity

__all__ = [
    "METHODS",
    "SETTINGS_FORMAT_MAJOR",
    "ColumnSetting",
    "DriftSettings",
    "MethodInfo",
    "ScoreKind",
    "load_settings",
]

ScoreKind = Literal["distance", "p_value"]
SETTINGS_FORMAT_MAJOR: Final = 1


@dataclass(frozen=True)
class MethodInfo:
    """What ledgerlens knows about one of Evidently's drift methods.

    ``score_kind`` says how to read the score: a distance drifts when it
    reaches the threshold, a p-value when it falls below it.
    """

    kinds: frozenset[FeatureKind]
    score_kind: ScoreKind


_NUM: Final[frozenset[FeatureKind]] = frozenset({"numeric"})
_CAT: Final[frozenset[FeatureKind]] = frozenset({"categorical"})
_BOTH: Final[frozenset[FeatureKind]] = frozenset({"numeric", "categorical"})

# Evidently's method names. Left out on purpose: permutation tests (their
# scores are random) and tests that only accept two categories.
METHODS: Final[Mapping[str, MethodInfo]] = {
    "wasserstein": MethodInfo(_NUM, "distance"),
    "ed": MethodInfo(_NUM, "distance"),
    "jensenshannon": MethodInfo(_BOTH, "distance"),
    "psi": MethodInfo(_BOTH, "distance"),
    "kl_div": MethodInfo(_BOTH, "distance"),
    "hellinger": MethodInfo(_BOTH, "distance"),
    "ks": MethodInfo(_NUM, "p_value"),
    "anderson": MethodInfo(_NUM, "p_value"),
    "cramer_von_mises": MethodInfo(_NUM, "p_value"),
    "mannw": MethodInfo(_NUM, "p_value"),
    "t_test": MethodInfo(_NUM, "p_value"),
    "chisquare": MethodInfo(_CAT, "p_value"),
    "g_test": MethodInfo(_CAT, "p_value"),
}

_TOP_KEYS: Final = frozenset({"version", "sample", "columns", "description"})
_SAMPLE_KEYS: Final = frozenset({"size", "seed"})
_SAMPLE_OPTIONAL: Final = frozenset({"min_rows"})
_COLUMN_KEYS: Final = frozenset({"column", "kind", "method", "threshold", "severity"})
_COLUMN_OPTIONAL: Final = frozenset({"note"})
_VERSION: Final = re.compile(r"(\d+)\.(\d+)\.(\d+)")
_MAX_SEED: Final = 2**64 - 1


@dataclass(frozen=True)
class ColumnSetting:
    """How one drift column is tested and how much its drift matters."""

    column: str
    kind: FeatureKind
    method: str
    threshold: float
    severity: Severity

    @property
    def score_kind(self) -> ScoreKind:
        """Whether this column's score is a distance or a p-value."""
        return METHODS[self.method].score_kind


@dataclass(frozen=True)
class DriftSettings:
    """A validated drift settings file, with its origin for the report.

    ``min_rows`` is the fewest rows each side must have for drift to be
    measured; with fewer, every column is reported as not measured.
    """

    version: str
    sample_size: int
    seed: int
    min_rows: int
    columns: tuple[ColumnSetting, ...]
    source: str
    sha256: str


def load_settings(path: Path) -> DriftSettings:
    """Read and validate a drift settings file.

    Raises :class:`~ledgerlens.errors.CheckError` naming the file and the first
    problem found.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        msg = f"cannot read drift settings `{path}`: {exc.strerror or exc}"
        raise CheckError(msg, remedy="check the path given with --checks") from exc

    try:
        data = json.loads(raw, object_pairs_hook=_no_duplicate_keys)
    except (ValueError, UnicodeDecodeError) as exc:
        msg = f"drift settings `{path}` is not valid JSON: {exc}"
        raise CheckError(msg, remedy="fix the file's JSON syntax") from exc

    where = f"drift settings `{path}`"
    top = _object(data, where, required=_TOP_KEYS - {"description"}, allowed=_TOP_KEYS)
    version = _version(top["version"], where)
    size, seed, min_rows = _sample(top["sample"], f"{where}: sample")
    columns = _columns(top["columns"], where)
    return DriftSettings(
        version=version,
        sample_size=size,
        seed=seed,
        min_rows=min_rows,
        columns=columns,
        source=str(path),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


def _fail(message: str, remedy: str) -> CheckError:
    return CheckError(message, remedy=remedy)


def _no_duplicate_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    keys = [key for key, _ in pairs]
    duplicates = sorted({key for key in keys if keys.count(key) > 1})
    if duplicates:
        msg = f"duplicate key {duplicates[0]!r}"
        raise ValueError(msg)
    return dict(pairs)


def _object(
    value: Any, where: str, *, required: frozenset[str], allowed: frozenset[str]
) -> dict[str, Any]:
    """Check that ``value`` is an object with exactly the keys allowed."""
    if not isinstance(value, dict):
        raise _fail(f"{where} must be a JSON object", "see docs/spec.md")
    unknown = sorted(set(value) - allowed)
    if unknown:
        raise _fail(
            f"{where} has unknown key `{unknown[0]}`",
            f"allowed keys: {', '.join(sorted(allowed))}",
        )
    missing = sorted(required - set(value))
    if missing:
        raise _fail(f"{where} lacks key `{missing[0]}`", "add it; see docs/spec.md")
    return value


def _version(value: Any, where: str) -> str:
    match = _VERSION.fullmatch(value) if isinstance(value, str) else None
    if match is None:
        raise _fail(f"{where}: version must be a string like 1.0.0", "fix `version`")
    if int(match.group(1)) != SETTINGS_FORMAT_MAJOR:
        raise _fail(
            f"{where}: format version {value} is not supported",
            f"use a {SETTINGS_FORMAT_MAJOR}.x.y settings file",
        )
    return str(value)


def _sample(value: Any, where: str) -> tuple[int, int, int]:
    allowed = _SAMPLE_KEYS | _SAMPLE_OPTIONAL
    sample = _object(value, where, required=_SAMPLE_KEYS, allowed=allowed)
    size, seed = sample["size"], sample["seed"]
    if not _is_int(size) or size < 1:
        raise _fail(f"{where}: size must be a positive integer", "fix `sample.size`")
    if not _is_int(seed) or not 0 <= seed <= _MAX_SEED:
        raise _fail(
            f"{where}: seed must be an integer from 0 to 2**64-1", "fix `sample.seed`"
        )

    # A minimum above the sample size could never be met by what is compared.
    min_rows = sample.get("min_rows", 1)
    if not _is_int(min_rows) or not 1 <= min_rows <= size:
        raise _fail(
            f"{where}: min_rows must be an integer from 1 to the sample size",
            "fix `sample.min_rows`",
        )
    return int(size), int(seed), int(min_rows)


def _columns(value: Any, where: str) -> tuple[ColumnSetting, ...]:
    if not isinstance(value, list) or not value:
        raise _fail(f"{where}: columns must be a non-empty list", "list the columns")
    settings = tuple(
        _column(item, f"{where}: columns[{i}]") for i, item in enumerate(value)
    )
    seen: set[str] = set()
    for setting in settings:
        if setting.column in seen:
            raise _fail(
                f"{where}: column `{setting.column}` is listed twice",
                "keep one entry per column",
            )
        seen.add(setting.column)
    return settings


def _column(value: Any, where: str) -> ColumnSetting:
    allowed = _COLUMN_KEYS | _COLUMN_OPTIONAL
    item = _object(value, where, required=_COLUMN_KEYS, allowed=allowed)
    column, kind, method = item["column"], item["kind"], item["method"]
    if not isinstance(item.get("note", ""), str):
        raise _fail(f"{where}: note must be a string", "fix `note`")
    if column not in FEATURE_KINDS:
        raise _fail(
            f"{where}: unknown column `{column}`",
            f"drift columns are: {', '.join(FEATURE_KINDS)}",
        )
    if kind != FEATURE_KINDS[column]:
        raise _fail(
            f"{where}: column `{column}` is {FEATURE_KINDS[column]}, not `{kind}`",
            f"set kind to {FEATURE_KINDS[column]}",
        )
    if not isinstance(method, str) or method not in METHODS:
        raise _fail(
            f"{where}: unknown method `{method}`",
            f"use one of: {', '.join(sorted(METHODS))}",
        )
    if kind not in METHODS[method].kinds:
        usable = sorted(m for m, info in METHODS.items() if kind in info.kinds)
        raise _fail(
            f"{where}: method `{method}` does not apply to {kind} columns",
            f"use one of: {', '.join(usable)}",
        )
    threshold = _threshold(item["threshold"], METHODS[method].score_kind, where)
    severity = item["severity"]
    if severity not in SEVERITIES:
        raise _fail(
            f"{where}: unknown severity `{severity}`",
            f"use one of: {', '.join(SEVERITIES)}",
        )
    return ColumnSetting(column, FEATURE_KINDS[column], method, threshold, severity)


def _threshold(value: Any, score_kind: ScoreKind, where: str) -> float:
    number = float(value) if _is_number(value) else math.nan
    valid = 0.0 < number < 1.0 if score_kind == "p_value" else 0.0 < number < math.inf
    if not valid:
        bound = "between 0 and 1" if score_kind == "p_value" else "a positive number"
        raise _fail(f"{where}: threshold must be {bound}", "fix `threshold`")
    return number


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)
