"""The one-sided tests and the multiplicity correction, on known numbers."""

from __future__ import annotations

import numpy as np
import pytest

from ledgerlens.gate._stats import (
    Margin,
    adjust,
    compare_mean,
    compare_proportion,
    compare_quantile,
)


def test_holm_adjusts_step_down_and_stays_monotone() -> None:
    # Sorted 0.01, 0.02, 0.04, 0.30 scaled by 4, 3, 2, 1, then made monotone.
    assert adjust([0.04, 0.01, 0.30, 0.02], "holm") == pytest.approx(
        [0.08, 0.04, 0.30, 0.06]
    )
    assert adjust([0.02, 0.02], "holm") == pytest.approx([0.04, 0.04])


def test_bonferroni_multiplies_and_caps_at_one() -> None:
    assert adjust([0.01, 0.4], "bonferroni") == pytest.approx([0.02, 0.8])
    assert adjust([0.6, 0.001], "bonferroni") == pytest.approx([1.0, 0.002])


def test_margin_limits() -> None:
    assert Margin("relative", 0.25).bound(200.0) == pytest.approx(250.0)
    assert Margin("absolute", 0.02).bound(0.03) == pytest.approx(0.05)


def test_zero_counts_keep_a_usable_variance() -> None:
    """No error on either side: within a 2-point margin, and clearly so."""
    zeros = np.zeros(1000)

    result = compare_proportion(
        zeros, zeros, Margin("absolute", 0.02), paired=False, ci_level=0.95
    )

    assert result.baseline == 0.0 and result.candidate == 0.0
    assert result.p_noninferior < 1e-6
    assert result.p_inferior > 0.999


def test_a_rate_far_beyond_its_margin_is_a_regression() -> None:
    baseline = np.r_[np.ones(10), np.zeros(990)]  # 1%
    candidate = np.r_[np.ones(100), np.zeros(900)]  # 10%

    result = compare_proportion(
        baseline, candidate, Margin("absolute", 0.02), paired=False, ci_level=0.95
    )

    assert result.difference == pytest.approx(0.09)
    assert result.p_inferior < 1e-6
    assert result.p_noninferior > 0.999
    assert result.ci_low > 0.02


def test_welch_matches_scipy_on_the_shifted_problem() -> None:
    """With an absolute margin, the test is Welch's t on (candidate - margin)."""
    from scipy import stats

    rng = np.random.default_rng(3)
    baseline, candidate = rng.normal(10, 2, 400), rng.normal(10.2, 3, 300)

    result = compare_mean(
        baseline, candidate, Margin("absolute", 0.5), paired=False, ci_level=0.95
    )

    reference = stats.ttest_ind(
        candidate - 0.5, baseline, equal_var=False, alternative="less"
    )
    assert result.p_noninferior == pytest.approx(reference.pvalue, rel=1e-9)


def test_bootstrap_is_seeded_and_pairs_resample_together() -> None:
    rng = np.random.default_rng(5)
    baseline = rng.lognormal(7, 0.5, 500)
    candidate = baseline * 1.02

    def run(seed: int, paired: bool) -> tuple[float, float, float]:
        r = compare_quantile(
            baseline,
            candidate,
            Margin("relative", 0.1),
            q=0.95,
            paired=paired,
            ci_level=0.95,
            resamples=400,
            seed=seed,
        )
        return r.p_noninferior, r.ci_low, r.ci_high

    assert run(1, paired=True) == run(1, paired=True)
    # Paired: every resample keeps the 2% ratio, so the interval is tight
    # around the true difference and far inside the 10% margin.
    p_value, low, high = run(1, paired=True)
    assert p_value == pytest.approx(1 / 401)
    assert 0 < low <= high
    assert high < 0.1 * float(np.quantile(baseline, 0.95))
    # Unpaired, the same data are far less certain.
    assert run(1, paired=False)[2] - run(1, paired=False)[1] > high - low
