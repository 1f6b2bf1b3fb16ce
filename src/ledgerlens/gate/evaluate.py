"""The gate's decision: every metric tested, then promote, block or hold.

Per metric (each side needs at least the policy's ``min_samples`` values):

* ``non_inferior``: the one-sided test of H0 "worse than the margin" rejects
  at ``alpha``. Promotion needs this for every blocking metric; since all of
  them must hold at once, this is an intersection-union test and its overall
  error stays at ``alpha`` without any correction (Berger, 1982).
* ``regression``: the opposite one-sided test (H0 "within the margin") rejects
  after Holm's correction over every metric tested. Blocking names a metric as
  regressed, and the gate makes one such claim per metric, so the family-wise
  error is what must be bounded: Holm keeps it at ``alpha`` under any
  dependence between the metrics (latency percentiles are strongly dependent)
  and rejects at least as much as Bonferroni. Two samples of one distribution
  are therefore blocked with probability at most ``alpha`` all metrics taken
  together, not ``alpha`` per metric.
* ``inconclusive``: neither; ``insufficient``: too few values to test.

Decision: ``block`` if a blocking metric regressed or a blocking drift column
drifted; else ``hold`` if a blocking metric is insufficient or inconclusive,
or a blocking data-quality check failed on either side (the evidence is not
fit to decide on); else ``promote``. Below the minimum sample the decision is
never ``promote``.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import orjson
import polars as pl

from ledgerlens.gate._metrics import METRICS, metric_values
from ledgerlens.gate._stats import (
    FloatArray,
    TestResult,
    adjust,
    compare_mean,
    compare_proportion,
    compare_quantile,
)
from ledgerlens.gate.outputs import display
from ledgerlens.gate.policy import GatePolicy, MetricPolicy

__all__ = [
    "Decision",
    "MetricOutcome",
    "MetricStatus",
    "Pairing",
    "decide",
    "evaluate_metrics",
    "pair_items",
]

logger = logging.getLogger(__name__)

Decision = Literal["promote", "block", "hold"]
MetricStatus = Literal["non_inferior", "regression", "inconclusive", "insufficient"]
EXIT_CODES: dict[str, int] = {"promote": 0, "block": 1, "hold": 4}


@dataclass(frozen=True)
class Pairing:
    """How the two sides were matched: on which key, and how many pairs.

    ``key`` is ``None`` for an unpaired comparison. ``baseline_rows`` and
    ``candidate_rows`` are row indices of the matched records, in pair order.
    """

    key: str | None
    pairs: int
    baseline_rows: tuple[int, ...] = ()
    candidate_rows: tuple[int, ...] = ()

    def to_json(self) -> dict[str, Any]:
        """The pairing as recorded in the decision (without the row indices)."""
        return {
            "design": "paired" if self.key else "unpaired",
            "key": self.key,
            "pairs": self.pairs,
        }


@dataclass(frozen=True)
class MetricOutcome:
    """One metric's comparison, as the decision record reports it."""

    policy: MetricPolicy
    status: MetricStatus
    n_baseline: int
    n_candidate: int
    design: str
    result: TestResult | None
    p_regression_adjusted: float | None

    @property
    def blocking(self) -> bool:
        """True when this metric can decide the gate."""
        return self.policy.severity == "blocking"

    def to_json(self) -> dict[str, Any]:
        """The metric as one reason of ``gate-decision.json``."""
        spec = METRICS[self.policy.metric]
        r = self.result
        margin = self.policy.margin
        return {
            "metric": self.policy.metric,
            "kind": "metric",
            "unit": spec.unit,
            "severity": self.policy.severity,
            "status": self.status,
            "design": self.design,
            "n_baseline": self.n_baseline,
            "n_candidate": self.n_candidate,
            "min_samples": self.policy.min_samples,
            "baseline": _num(r.baseline) if r else None,
            "candidate": _num(r.candidate) if r else None,
            "difference": _num(r.difference) if r else None,
            "margin": {
                "kind": margin.kind,
                "value": margin.value,
                "limit": _num(margin.bound(r.baseline)) if r else None,
            },
            "ci": (
                {
                    "of": "candidate - baseline",
                    "level": r.ci_level,
                    "low": _num(r.ci_low),
                    "high": _num(r.ci_high),
                }
                if r
                else None
            ),
            "p_value": _num(r.p_noninferior) if r else None,
            "p_regression": _num(r.p_inferior) if r else None,
            "p_regression_adjusted": _num(self.p_regression_adjusted),
            "summary": self.summary(),
        }

    def summary(self) -> str:
        """One line a reader can act on."""
        name, r = self.policy.metric, self.result
        if r is None:
            return (
                f"{name}: too few values to test ({self.n_baseline} baseline, "
                f"{self.n_candidate} candidate; {self.policy.min_samples} needed)"
            )
        unit = METRICS[name].unit
        limit = display(self.policy.margin.bound(r.baseline), unit)
        verb = {
            "non_inferior": "within the margin",
            "regression": "worse than the margin allows",
            "inconclusive": "not shown within the margin",
        }[self.status]
        return (
            f"{name}: candidate {display(r.candidate, unit)} vs baseline "
            f"{display(r.baseline, unit)}, limit {limit}: {verb}"
        )


def pair_items(
    baseline: pl.DataFrame, candidate: pl.DataFrame, policy: GatePolicy
) -> Pairing:
    """Match records answering the same item, when enough of them do.

    Keys are tried in order: each of the policy's ``extra`` item keys, then
    ``input_sha256`` (when the policy allows it). A key counts only where it is
    unique on its side (a repeated prompt cannot be matched one to one); the
    first key whose matches cover ``min_fraction`` of the smaller side wins.
    """
    candidates: list[tuple[str, list[Any], list[Any]]] = [
        (f"extra.{key}", _extra_values(baseline, key), _extra_values(candidate, key))
        for key in policy.item_keys
    ]
    if policy.pair_fallback:
        column = policy.pair_fallback
        candidates.append(
            (column, baseline[column].to_list(), candidate[column].to_list())
        )

    smaller = min(baseline.height, candidate.height)
    for name, left, right in candidates:
        rows_b, rows_c = _matched_rows(left, right)
        if len(rows_b) >= 2 and len(rows_b) >= policy.pair_min_fraction * smaller:
            logger.info("gate: paired design on %s, %d pairs", name, len(rows_b))
            return Pairing(name, len(rows_b), tuple(rows_b), tuple(rows_c))
    return Pairing(None, 0)


def evaluate_metrics(
    baseline: pl.DataFrame,
    candidate: pl.DataFrame,
    policy: GatePolicy,
    pairing: Pairing,
) -> list[MetricOutcome]:
    """Test every metric of the policy and apply the multiplicity correction."""
    tested: list[tuple[MetricPolicy, int, int, TestResult | None]] = []
    for metric in policy.metrics:
        values_b, values_c = _values(baseline, candidate, metric, policy, pairing)
        enough = min(len(values_b), len(values_c)) >= metric.min_samples
        result = _test(values_b, values_c, metric, policy, pairing) if enough else None
        tested.append((metric, len(values_b), len(values_c), result))

    p_inferior = [r.p_inferior for _, _, _, r in tested if r is not None]
    adjusted = iter(adjust(p_inferior, policy.correction))
    design = "paired" if pairing.key else "unpaired"
    outcomes = []
    for metric, n_b, n_c, result in tested:
        p_adj = next(adjusted) if result is not None else None
        status = _status(result, p_adj, policy.alpha)
        outcomes.append(MetricOutcome(metric, status, n_b, n_c, design, result, p_adj))
    return outcomes


def decide(
    metrics: Sequence[MetricOutcome],
    *,
    drift_blocked: Sequence[str],
    quality_failed: Sequence[str],
) -> Decision:
    """Combine the metric statuses, blocking drift and quality into the decision."""
    blocking = [m for m in metrics if m.blocking]
    if drift_blocked or any(m.status == "regression" for m in blocking):
        return "block"
    if quality_failed or any(m.status != "non_inferior" for m in blocking):
        return "hold"
    return "promote"


def _status(
    result: TestResult | None, p_adjusted: float | None, alpha: float
) -> MetricStatus:
    if result is None or p_adjusted is None:
        return "insufficient"
    if result.p_noninferior < alpha:
        return "non_inferior"
    if p_adjusted < alpha:
        return "regression"
    return "inconclusive"


def _values(
    baseline: pl.DataFrame,
    candidate: pl.DataFrame,
    metric: MetricPolicy,
    policy: GatePolicy,
    pairing: Pairing,
) -> tuple[FloatArray, FloatArray]:
    """The metric's values on each side, nulls dropped (pairwise when paired)."""
    reasons = policy.refusal_finish_reasons
    series_b = metric_values(baseline, metric.metric, reasons)
    series_c = metric_values(candidate, metric.metric, reasons)
    if not pairing.key:
        return _array(series_b.drop_nulls()), _array(series_c.drop_nulls())

    left = series_b.gather(list(pairing.baseline_rows))
    right = series_c.gather(list(pairing.candidate_rows))
    keep = left.is_not_null() & right.is_not_null()
    return _array(left.filter(keep)), _array(right.filter(keep))


def _test(
    values_b: FloatArray,
    values_c: FloatArray,
    metric: MetricPolicy,
    policy: GatePolicy,
    pairing: Pairing,
) -> TestResult:
    spec = METRICS[metric.metric]
    level = 1.0 - policy.alpha
    paired = pairing.key is not None
    if spec.kind == "proportion":
        return compare_proportion(
            values_b, values_c, metric.margin, paired=paired, ci_level=level
        )
    if spec.kind == "mean":
        return compare_mean(
            values_b, values_c, metric.margin, paired=paired, ci_level=level
        )
    assert spec.q is not None
    return compare_quantile(
        values_b,
        values_c,
        metric.margin,
        q=spec.q,
        paired=paired,
        ci_level=level,
        resamples=policy.resamples,
        seed=_metric_seed(policy.seed, metric.metric),
    )


def _metric_seed(seed: int, name: str) -> int:
    """A seed per metric, so adding a metric does not change the others' draws."""
    digest = hashlib.sha256(f"ledgerlens.gate/{seed}/{name}".encode()).digest()
    return int.from_bytes(digest[:8], "big")


def _extra_values(frame: pl.DataFrame, key: str) -> list[Any]:
    """The value of ``extra[key]`` per record (None where absent), as text."""
    values: list[Any] = []
    for text in frame["extra"].to_list():
        value = orjson.loads(text).get(key) if text else None
        values.append(None if value is None else str(value))
    return values


def _matched_rows(left: list[Any], right: list[Any]) -> tuple[list[int], list[int]]:
    """Row pairs whose key is present and unique on both sides, in baseline order."""
    unique_b = _unique_positions(left)
    unique_c = _unique_positions(right)
    rows_b, rows_c = [], []
    for key, row in unique_b.items():
        if key in unique_c:
            rows_b.append(row)
            rows_c.append(unique_c[key])
    return rows_b, rows_c


def _unique_positions(keys: list[Any]) -> dict[Any, int]:
    positions: dict[Any, int] = {}
    repeated: set[Any] = set()
    for row, key in enumerate(keys):
        if key is None:
            continue
        if key in positions:
            repeated.add(key)
        positions[key] = row
    return {k: v for k, v in positions.items() if k not in repeated}


def _array(series: pl.Series) -> FloatArray:
    return np.asarray(series.to_numpy(), dtype=np.float64)


def _num(value: float | None) -> float | None:
    """A float for JSON: rounded to 9 significant digits, None for NaN."""
    if value is None or not np.isfinite(value):
        return None
    return float(f"{value:.9g}")
