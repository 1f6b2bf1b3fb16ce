"""The metrics the gate compares, and how each is read from canonical records.

Every metric is "lower is better". A record contributes one value to a metric,
or none (null) when the metric does not apply to it. A failed call has a
latency, and it counts; it has no tokens or cost, so it is left out of those
means rather than counted as free (which would reward a candidate that fails
more). Rates are 0/1 per record.

Refusal, as the gate defines it: the caller got no answer for a safety reason,
that is ``finish_reason`` is one of the policy's refusal reasons (by default
``content_filter``) or any policy result has outcome ``block`` (a blocked
answer is replaced by a refusal).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

__all__ = ["METRICS", "MetricKind", "MetricSpec", "metric_values"]

MetricKind = Literal["quantile", "proportion", "mean"]


@dataclass(frozen=True)
class MetricSpec:
    """What one metric is: how it is tested, its unit, its percentile if any."""

    name: str
    kind: MetricKind
    unit: str
    description: str
    q: float | None = None


METRICS: Final[dict[str, MetricSpec]] = {
    spec.name: spec
    for spec in (
        MetricSpec("latency_p50", "quantile", "ms", "median latency", 0.50),
        MetricSpec("latency_p95", "quantile", "ms", "95th percentile latency", 0.95),
        MetricSpec("latency_p99", "quantile", "ms", "99th percentile latency", 0.99),
        MetricSpec("error_rate", "proportion", "share", "calls with status error"),
        MetricSpec(
            "refusal_rate",
            "proportion",
            "share",
            "calls refused (refusal finish reason or a policy block)",
        ),
        MetricSpec("policy_flag_rate", "proportion", "share", "calls a policy flagged"),
        MetricSpec(
            "policy_block_rate", "proportion", "share", "calls a policy blocked"
        ),
        MetricSpec(
            "tokens_per_request",
            "mean",
            "tokens",
            "input plus output tokens per answered call",
        ),
        MetricSpec("cost_per_request", "mean", "USD", "cost per answered call"),
    )
}


def metric_values(
    records: pl.DataFrame, name: str, refusal_reasons: Sequence[str]
) -> pl.Series:
    """One Float64 value per record for metric ``name`` (null: not applicable)."""
    return records.select(
        _expression(name, refusal_reasons).cast(pl.Float64).alias(name)
    ).to_series()


def _expression(name: str, refusal_reasons: Sequence[str]) -> pl.Expr:
    """The polars expression of one metric over canonical record columns."""
    if name.startswith("latency_"):
        latency = pl.col("latency_ms").cast(pl.Float64)
        return pl.when(latency.is_finite() & (latency >= 0)).then(latency)
    if name == "error_rate":
        return _flag(pl.col("status") == "error")
    if name == "refusal_rate":
        refused = pl.col("finish_reason").is_in(list(refusal_reasons))
        return _flag(refused | _any_policy("block"))
    if name == "policy_flag_rate":
        return _flag(_any_policy("flag"))
    if name == "policy_block_rate":
        return _flag(_any_policy("block"))
    if name == "tokens_per_request":
        return pl.col("tokens_in") + pl.col("tokens_out")
    if name == "cost_per_request":
        return pl.col("cost_usd")
    msg = f"unknown gate metric {name!r}"
    raise ValueError(msg)


def _flag(condition: pl.Expr) -> pl.Expr:
    """A 0/1 value for every record (a missing field counts as 0, not unknown)."""
    return condition.fill_null(False).cast(pl.Float64)


def _any_policy(outcome: str) -> pl.Expr:
    """True when any of the record's policy results has ``outcome``."""
    return (
        pl.col("policy_results")
        .list.eval(pl.element().struct.field("outcome") == outcome)
        .list.any()
        .fill_null(False)
    )
