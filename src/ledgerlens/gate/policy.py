"""The gate policy: a versioned JSON file of margins, sample floors and settings.

``checks/gate-policy.json`` is the default; ``--policy FILE`` replaces it. The
file is read strictly: an unknown key, a metric named twice or a margin without
a number is a :class:`~ledgerlens.errors.CheckError` naming the file and the
entry, never a silent default. The format is described in ``docs/gate.md``.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from ledgerlens._resources import packaged_dir
from ledgerlens.errors import CheckError
from ledgerlens.findings import SEVERITIES, Severity
from ledgerlens.gate._metrics import METRICS
from ledgerlens.gate._stats import Correction, Margin

__all__ = ["GatePolicy", "MetricPolicy", "default_policy_path", "load_policy"]

_TOP_KEYS: Final = frozenset(
    {
        "policy",
        "version",
        "description",
        "alpha",
        "correction",
        "bootstrap",
        "pairing",
        "refusal_finish_reasons",
        "metrics",
        "drift",
        "quality_suite",
    }
)
_METRIC_KEYS: Final = frozenset(
    {"metric", "margin", "min_samples", "severity", "description"}
)
_VERSION: Final = re.compile(r"(0|[1-9][0-9]*)(\.(0|[1-9][0-9]*)){2}")
_REMEDY: Final = "fix the policy file; its format is in docs/gate.md"


@dataclass(frozen=True)
class MetricPolicy:
    """One metric's margin, minimum sample per side, and severity."""

    metric: str
    margin: Margin
    min_samples: int
    severity: Severity
    description: str


@dataclass(frozen=True)
class GatePolicy:
    """A whole gate policy as validated from its file.

    ``source`` is ``packaged`` or the file's absolute path; ``sha256`` is the
    hash of the file's bytes, recorded in every decision it made.
    """

    name: str
    version: str
    alpha: float
    correction: Correction
    resamples: int
    seed: int
    item_keys: tuple[str, ...]
    pair_fallback: str | None
    pair_min_fraction: float
    refusal_finish_reasons: tuple[str, ...]
    metrics: tuple[MetricPolicy, ...]
    drift_settings: Path
    drift_blocking: tuple[str, ...]
    quality_suite: Path
    path: Path
    source: str
    sha256: str


def default_policy_path() -> Path:
    """The packaged ``gate-policy.json``."""
    return packaged_dir("checks") / "gate-policy.json"


def load_policy(path: Path | None = None) -> GatePolicy:
    """Read and validate a policy file (the packaged one when ``path`` is None)."""
    packaged = path is None
    path = default_policy_path() if path is None else Path(path)
    try:
        raw = path.read_bytes()
        data = json.loads(raw)
    except OSError as exc:
        msg = f"cannot read the gate policy {path} ({exc.strerror or exc})"
        raise CheckError(msg, remedy="check --policy") from exc
    except ValueError as exc:
        msg = f"the gate policy {path} is not valid JSON"
        raise CheckError(msg, remedy=_REMEDY) from exc
    if not isinstance(data, dict):
        raise CheckError(f"the gate policy {path} is not a JSON object", remedy=_REMEDY)

    reader = _Reader(path, data)
    return reader.policy(
        source="packaged" if packaged else str(path.resolve()),
        sha256=hashlib.sha256(raw).hexdigest(),
    )


class _Reader:
    """Validates one policy file, naming the file and the entry in every error."""

    def __init__(self, path: Path, data: Mapping[str, Any]) -> None:
        self.path = path
        self.data = data

    def fail(self, where: str, problem: str) -> CheckError:
        return CheckError(
            f"gate policy {self.path}: {where}: {problem}", remedy=_REMEDY
        )

    def policy(self, *, source: str, sha256: str) -> GatePolicy:
        data = self.data
        unknown = sorted(set(data) - _TOP_KEYS)
        if unknown:
            raise self.fail("top level", f"unknown keys {unknown}")
        for key in ("policy", "version", "metrics"):
            if key not in data:
                raise self.fail("top level", f"`{key}` is required")
        version = str(data["version"])
        if not _VERSION.fullmatch(version):
            raise self.fail("version", "must be MAJOR.MINOR.PATCH")

        bootstrap = self.mapping("bootstrap", {"resamples", "seed"})
        pairing = self.mapping("pairing", {"item_keys", "fallback", "min_fraction"})
        drift = self.mapping("drift", {"settings", "blocking_columns"})
        return GatePolicy(
            name=self.text(data["policy"], "policy"),
            version=version,
            alpha=self.number(data.get("alpha", 0.05), "alpha", 0.0, 0.5),
            correction=self.correction(data.get("correction", "holm")),
            resamples=self.integer(bootstrap.get("resamples", 2000), "resamples", 200),
            seed=self.integer(bootstrap.get("seed", 0), "bootstrap.seed", 0),
            item_keys=self.texts(pairing.get("item_keys", []), "pairing.item_keys"),
            pair_fallback=self.fallback(pairing.get("fallback", "input_sha256")),
            pair_min_fraction=self.number(
                pairing.get("min_fraction", 0.8), "pairing.min_fraction", 0.0, 1.0
            ),
            refusal_finish_reasons=self.texts(
                data.get("refusal_finish_reasons", ["content_filter"]),
                "refusal_finish_reasons",
            ),
            metrics=self.metrics(data["metrics"]),
            drift_settings=self.beside(drift.get("settings", "drift.json")),
            drift_blocking=self.texts(
                drift.get("blocking_columns", []), "drift.blocking_columns"
            ),
            quality_suite=self.beside(data.get("quality_suite", "gate-quality.json")),
            path=self.path,
            source=source,
            sha256=sha256,
        )

    def metrics(self, entries: Any) -> tuple[MetricPolicy, ...]:
        if not isinstance(entries, list) or not entries:
            raise self.fail("metrics", "must be a non-empty list")
        seen: set[str] = set()
        result = []
        for index, entry in enumerate(entries):
            metric = self.metric(entry, f"metrics[{index}]")
            if metric.metric in seen:
                raise self.fail(f"metrics[{index}]", f"{metric.metric} listed twice")
            seen.add(metric.metric)
            result.append(metric)
        return tuple(result)

    def metric(self, entry: Any, where: str) -> MetricPolicy:
        if not isinstance(entry, dict):
            raise self.fail(where, "must be an object")
        unknown = sorted(set(entry) - _METRIC_KEYS)
        if unknown:
            raise self.fail(where, f"unknown keys {unknown}")
        name = entry.get("metric")
        if name not in METRICS:
            raise self.fail(where, f"unknown metric {name!r}; known: {sorted(METRICS)}")
        severity = entry.get("severity", "blocking")
        if severity not in SEVERITIES:
            raise self.fail(where, "severity must be blocking or warning")
        return MetricPolicy(
            metric=str(name),
            margin=self.margin(entry.get("margin"), f"{where}.margin"),
            min_samples=self.integer(
                entry.get("min_samples", 100), f"{where}.min_samples", 2
            ),
            severity=severity,
            description=str(entry.get("description", METRICS[str(name)].description)),
        )

    def margin(self, value: Any, where: str) -> Margin:
        if not isinstance(value, dict) or len(value) != 1:
            raise self.fail(where, 'must be {"relative": R} or {"absolute": A}')
        ((kind, amount),) = value.items()
        if kind not in ("relative", "absolute"):
            raise self.fail(where, 'must be {"relative": R} or {"absolute": A}')
        return Margin(kind, self.number(amount, where, 0.0, float("inf")))

    def mapping(self, key: str, allowed: set[str]) -> Mapping[str, Any]:
        value = self.data.get(key, {})
        if not isinstance(value, dict):
            raise self.fail(key, "must be an object")
        unknown = sorted(set(value) - allowed)
        if unknown:
            raise self.fail(key, f"unknown keys {unknown}")
        return value

    def number(self, value: Any, where: str, low: float, high: float) -> float:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise self.fail(where, "must be a number")
        if not low <= float(value) <= high or (where == "alpha" and value == 0):
            raise self.fail(where, f"must be between {low} and {high}")
        return float(value)

    def integer(self, value: Any, where: str, low: int) -> int:
        if isinstance(value, bool) or not isinstance(value, int) or value < low:
            raise self.fail(where, f"must be an integer of at least {low}")
        return value

    def text(self, value: Any, where: str) -> str:
        if not isinstance(value, str) or not value.strip():
            raise self.fail(where, "must be a non-empty string")
        return value

    def texts(self, value: Any, where: str) -> tuple[str, ...]:
        if not isinstance(value, list):
            raise self.fail(where, "must be a list of strings")
        return tuple(self.text(item, where) for item in value)

    def correction(self, value: Any) -> Correction:
        if value == "holm":
            return "holm"
        if value == "bonferroni":
            return "bonferroni"
        raise self.fail("correction", "must be holm or bonferroni")

    def fallback(self, value: Any) -> str | None:
        if value is None or value == "input_sha256":
            return None if value is None else "input_sha256"
        raise self.fail("pairing.fallback", "must be input_sha256 or null")

    def beside(self, name: Any) -> Path:
        """A file named by the policy: beside the policy, else the packaged one."""
        file_name = self.text(name, "file name")
        here = self.path.parent / file_name
        return here if here.is_file() else packaged_dir("checks") / file_name
