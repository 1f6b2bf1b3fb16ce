"""One-sided tests of one metric against a margin, and the multiplicity step.

Every metric here is "lower is better" (latency, error rate, cost...). With
``theta_b`` the baseline value and ``theta_c`` the candidate's, the margin
turns the comparison into one quantity ``D`` that is negative exactly when the
candidate is within the margin:

* absolute margin ``a``: ``D = theta_c - theta_b - a``;
* relative margin ``r``: ``D = theta_c - (1 + r) * theta_b``.

Two one-sided p-values come from the same estimate of ``D`` and its
uncertainty:

* ``p_noninferior`` tests H0 ``D >= 0`` (the candidate is worse than the
  margin allows). A small value shows non-inferiority.
* ``p_inferior`` tests H0 ``D <= 0`` (the candidate is within the margin). A
  small value shows a regression beyond the margin.

Proportions use the Agresti-Caffo adjustment (one success and one failure
added per side) so a zero count does not give a zero variance; means use
Welch's t (or a one-sample t on paired differences); percentiles use a seeded
bootstrap (pairs resampled together when the design is paired).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np
import numpy.typing as npt
from scipy import stats

__all__ = [
    "Correction",
    "Margin",
    "TestResult",
    "adjust",
    "compare_mean",
    "compare_proportion",
    "compare_quantile",
]

Correction = Literal["holm", "bonferroni"]
FloatArray = npt.NDArray[np.float64]


@dataclass(frozen=True)
class Margin:
    """How much worse the candidate may be: ``kind`` absolute or relative."""

    kind: Literal["absolute", "relative"]
    value: float

    def bound(self, baseline: float) -> float:
        """The largest candidate value still within the margin of ``baseline``."""
        if self.kind == "absolute":
            return baseline + self.value
        return baseline * (1.0 + self.value)

    @property
    def factor(self) -> float:
        """The multiplier of the baseline in ``D`` (1 for an absolute margin)."""
        return 1.0 if self.kind == "absolute" else 1.0 + self.value

    @property
    def shift(self) -> float:
        """The constant subtracted in ``D`` (0 for a relative margin)."""
        return self.value if self.kind == "absolute" else 0.0


@dataclass(frozen=True)
class TestResult:
    """The estimate of ``D`` and its one-sided p-values for one metric.

    ``baseline`` and ``candidate`` are the point estimates of the metric;
    ``ci_low`` / ``ci_high`` bound ``candidate - baseline`` at ``ci_level``
    (two one-sided bounds, each at that level).
    """

    baseline: float
    candidate: float
    d: float
    p_noninferior: float
    p_inferior: float
    ci_low: float
    ci_high: float
    ci_level: float

    @property
    def difference(self) -> float:
        """``candidate - baseline``."""
        return self.candidate - self.baseline


def compare_proportion(
    baseline: FloatArray,
    candidate: FloatArray,
    margin: Margin,
    *,
    paired: bool,
    ci_level: float,
) -> TestResult:
    """Compare two rates of 0/1 outcomes (arrays of 0.0 and 1.0)."""
    if paired:
        return _paired_mean(baseline, candidate, margin, ci_level)

    n_b, n_c = len(baseline), len(candidate)
    # Agresti-Caffo: the adjusted rates keep a usable variance at 0 and 1.
    p_b = (float(baseline.sum()) + 1.0) / (n_b + 2.0)
    p_c = (float(candidate.sum()) + 1.0) / (n_c + 2.0)
    d = p_c - margin.factor * p_b - margin.shift
    variance = p_c * (1 - p_c) / (n_c + 2.0) + margin.factor**2 * p_b * (1 - p_b) / (
        n_b + 2.0
    )
    se = math.sqrt(variance)
    p_ni, p_inf = _normal_pvalues(d, se)
    z = float(stats.norm.ppf(ci_level))
    diff = p_c - p_b
    return TestResult(
        baseline=float(baseline.mean()),
        candidate=float(candidate.mean()),
        d=d,
        p_noninferior=p_ni,
        p_inferior=p_inf,
        ci_low=diff - z * _diff_se(p_b, p_c, n_b, n_c),
        ci_high=diff + z * _diff_se(p_b, p_c, n_b, n_c),
        ci_level=ci_level,
    )


def compare_mean(
    baseline: FloatArray,
    candidate: FloatArray,
    margin: Margin,
    *,
    paired: bool,
    ci_level: float,
) -> TestResult:
    """Compare two means with Welch's t (or a paired t)."""
    if paired:
        return _paired_mean(baseline, candidate, margin, ci_level)

    n_b, n_c = len(baseline), len(candidate)
    m_b, m_c = float(baseline.mean()), float(candidate.mean())
    v_b = float(baseline.var(ddof=1)) / n_b
    v_c = float(candidate.var(ddof=1)) / n_c
    d = m_c - margin.factor * m_b - margin.shift
    se_d = math.sqrt(v_c + margin.factor**2 * v_b)
    p_ni, p_inf = _t_pvalues(d, se_d, _welch_df(v_c, margin.factor**2 * v_b, n_c, n_b))
    se_diff = math.sqrt(v_c + v_b)
    t = _t_quantile(ci_level, _welch_df(v_c, v_b, n_c, n_b))
    return TestResult(
        baseline=m_b,
        candidate=m_c,
        d=d,
        p_noninferior=p_ni,
        p_inferior=p_inf,
        ci_low=m_c - m_b - t * se_diff,
        ci_high=m_c - m_b + t * se_diff,
        ci_level=ci_level,
    )


def compare_quantile(
    baseline: FloatArray,
    candidate: FloatArray,
    margin: Margin,
    *,
    q: float,
    paired: bool,
    ci_level: float,
    resamples: int,
    seed: int,
) -> TestResult:
    """Compare two percentiles with a seeded percentile bootstrap.

    The p-values are the bootstrap shares of ``D`` on the wrong side of zero
    (with the usual +1 so that no p-value is exactly zero).
    """
    rng = np.random.default_rng(seed)
    q_b = float(np.quantile(baseline, q))
    q_c = float(np.quantile(candidate, q))
    boot_b, boot_c = _bootstrap_quantiles(
        baseline, candidate, q, paired, resamples, rng
    )

    d_star = boot_c - margin.factor * boot_b - margin.shift
    p_ni = (1.0 + float(np.count_nonzero(d_star >= 0.0))) / (resamples + 1.0)
    p_inf = (1.0 + float(np.count_nonzero(d_star <= 0.0))) / (resamples + 1.0)
    diff_star = boot_c - boot_b
    return TestResult(
        baseline=q_b,
        candidate=q_c,
        d=q_c - margin.factor * q_b - margin.shift,
        p_noninferior=min(p_ni, 1.0),
        p_inferior=min(p_inf, 1.0),
        ci_low=float(np.quantile(diff_star, 1.0 - ci_level)),
        ci_high=float(np.quantile(diff_star, ci_level)),
        ci_level=ci_level,
    )


def adjust(p_values: Sequence[float], method: Correction) -> list[float]:
    """Family-wise adjusted p-values (Holm's step-down, or Bonferroni)."""
    m = len(p_values)
    if method == "bonferroni":
        return [min(1.0, p * m) for p in p_values]

    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        # Holm: the k-th smallest is scaled by (m - k); monotone by construction.
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def _bootstrap_quantiles(
    baseline: FloatArray,
    candidate: FloatArray,
    q: float,
    paired: bool,
    resamples: int,
    rng: np.random.Generator,
) -> tuple[FloatArray, FloatArray]:
    """Bootstrap replicates of each side's percentile, in chunks to bound memory."""
    out_b = np.empty(resamples)
    out_c = np.empty(resamples)
    chunk = max(1, 2_000_000 // max(len(baseline), len(candidate), 1))
    for start in range(0, resamples, chunk):
        size = min(chunk, resamples - start)
        rows_b = rng.integers(0, len(baseline), size=(size, len(baseline)))
        # Paired: the same items drawn on both sides keep their link.
        rows_c = (
            rows_b
            if paired
            else rng.integers(0, len(candidate), size=(size, len(candidate)))
        )
        out_b[start : start + size] = np.quantile(baseline[rows_b], q, axis=1)
        out_c[start : start + size] = np.quantile(candidate[rows_c], q, axis=1)
    return out_b, out_c


def _paired_mean(
    baseline: FloatArray, candidate: FloatArray, margin: Margin, ci_level: float
) -> TestResult:
    """One-sample t on per-item differences (proportions and means alike)."""
    n = len(baseline)
    d_items = candidate - margin.factor * baseline - margin.shift
    diff_items = candidate - baseline
    d = float(d_items.mean())
    se_d = float(d_items.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    p_ni, p_inf = _t_pvalues(d, se_d, n - 1)
    se_diff = float(diff_items.std(ddof=1)) / math.sqrt(n) if n > 1 else 0.0
    t = _t_quantile(ci_level, n - 1)
    mean_diff = float(diff_items.mean())
    return TestResult(
        baseline=float(baseline.mean()),
        candidate=float(candidate.mean()),
        d=d,
        p_noninferior=p_ni,
        p_inferior=p_inf,
        ci_low=mean_diff - t * se_diff,
        ci_high=mean_diff + t * se_diff,
        ci_level=ci_level,
    )


def _diff_se(p_b: float, p_c: float, n_b: int, n_c: int) -> float:
    return math.sqrt(p_c * (1 - p_c) / (n_c + 2.0) + p_b * (1 - p_b) / (n_b + 2.0))


def _normal_pvalues(d: float, se: float) -> tuple[float, float]:
    """``(P[D >= 0 | H0], P[D <= 0 | H0])`` under a normal approximation."""
    if se == 0.0:
        return _degenerate(d)
    z = d / se
    return float(stats.norm.cdf(z)), float(stats.norm.sf(z))


def _t_pvalues(d: float, se: float, df: float) -> tuple[float, float]:
    """As :func:`_normal_pvalues`, with Student's t on ``df`` degrees of freedom."""
    if se == 0.0 or df <= 0:
        return _degenerate(d)
    t = d / se
    return float(stats.t.cdf(t, df)), float(stats.t.sf(t, df))


def _degenerate(d: float) -> tuple[float, float]:
    """No spread at all: the sign of ``D`` settles both tests."""
    if d < 0:
        return 0.0, 1.0
    if d > 0:
        return 1.0, 0.0
    return 1.0, 1.0


def _welch_df(v_1: float, v_2: float, n_1: int, n_2: int) -> float:
    """Welch-Satterthwaite degrees of freedom from the two squared errors."""
    denominator = 0.0
    if n_1 > 1:
        denominator += v_1**2 / (n_1 - 1)
    if n_2 > 1:
        denominator += v_2**2 / (n_2 - 1)
    if denominator == 0.0:
        return float(max(n_1 + n_2 - 2, 1))
    return (v_1 + v_2) ** 2 / denominator


def _t_quantile(level: float, df: float) -> float:
    if df <= 0:
        return float(stats.norm.ppf(level))
    return float(stats.t.ppf(level, df))
