"""The drift columns: numbers and labels derived from canonical records.

Drift is measured on these columns only. Prompt and response text enters
:func:`features` and leaves it as two character counts, so nothing downstream
(Evidently, its HTML report, findings) can hold a byte of it.
"""

from __future__ import annotations

import logging
from typing import Final, Literal

import polars as pl

from ledgerlens.errors import CheckError
from ledgerlens.record import TEXT_LENGTHS, text_length

__all__ = [
    "SOURCE_COLUMNS",
    "FEATURE_COLUMNS",
    "FEATURE_KINDS",
    "FEATURE_SCHEMA",
    "NO_POLICY",
    "FeatureKind",
    "features",
]

logger = logging.getLogger(__name__)

FeatureKind = Literal["numeric", "categorical"]

FEATURE_SCHEMA: Final[dict[str, pl.DataType]] = {
    "latency_ms": pl.Float64(),
    "tokens_in": pl.Int64(),
    "tokens_out": pl.Int64(),
    "input_chars": pl.Int64(),
    "output_chars": pl.Int64(),
    "model_version": pl.Utf8(),
    "status": pl.Utf8(),
    "finish_reason": pl.Utf8(),
    "policy_outcome": pl.Utf8(),
}
FEATURE_COLUMNS: Final[tuple[str, ...]] = tuple(FEATURE_SCHEMA)
FEATURE_KINDS: Final[dict[str, FeatureKind]] = {
    "latency_ms": "numeric",
    "tokens_in": "numeric",
    "tokens_out": "numeric",
    "input_chars": "numeric",
    "output_chars": "numeric",
    "model_version": "categorical",
    "status": "categorical",
    "finish_reason": "categorical",
    "policy_outcome": "categorical",
}

NO_POLICY: Final = "none"
"""``policy_outcome`` of a record that no policy looked at."""

# Worse outcomes rank higher; an outcome outside the schema's vocabulary ranks
# below ``pass`` so it is still visible (as ``unknown``) without hiding a block.
_OUTCOME_RANK: Final[dict[str, int]] = {"pass": 1, "flag": 2, "block": 3}
_RANK_OUTCOME: Final[dict[int, str]] = {0: "unknown", 1: "pass", 2: "flag", 3: "block"}

SOURCE_COLUMNS: Final[tuple[str, ...]] = (
    "latency_ms",
    "tokens_in",
    "tokens_out",
    "input_text",
    "output_text",
    "model_version",
    "status",
    "finish_reason",
    "policy_results",
)


def features(records: pl.DataFrame) -> pl.DataFrame:
    """Derive the drift columns from a frame of canonical records.

    ``records`` has (at least) the record columns drift reads,
    :data:`SOURCE_COLUMNS`; a text column may be given as its length (see
    :func:`ledgerlens.record.check_frame`). The result has the
    columns of :data:`FEATURE_SCHEMA`, one row per record, in the same order:
    a non-finite latency becomes null, text becomes its length in characters,
    and ``policy_outcome`` is the worst outcome of ``policy_results``
    (``block`` > ``flag`` > ``pass``), or ``"none"`` when no policy ran.
    """
    missing = [
        name
        for name in SOURCE_COLUMNS
        if name not in records.columns and TEXT_LENGTHS.get(name) not in records.columns
    ]
    if missing:
        msg = f"drift needs record columns that are missing: {', '.join(missing)}"
        raise CheckError(
            msg, remedy="pass a frame with ledgerlens.record.RECORD_SCHEMA"
        )

    latency = pl.col("latency_ms").cast(pl.Float64)
    derived = records.select(
        pl.when(latency.is_finite()).then(latency).alias("latency_ms"),
        pl.col("tokens_in").cast(pl.Int64),
        pl.col("tokens_out").cast(pl.Int64),
        text_length("input_text", records),
        text_length("output_text", records),
        pl.col("model_version").cast(pl.Utf8),
        pl.col("status").cast(pl.Utf8),
        pl.col("finish_reason").cast(pl.Utf8),
        _worst_policy_outcome().alias("policy_outcome"),
    )
    logger.debug("derived drift columns for %d records", derived.height)
    return derived


def _worst_policy_outcome() -> pl.Expr:
    """Expression: the worst non-null outcome of each record's policy results."""
    rank = (
        pl.col("policy_results")
        .list.eval(
            pl.element()
            .struct.field("outcome")
            .drop_nulls()
            .replace_strict(_OUTCOME_RANK, default=0, return_dtype=pl.Int8)
        )
        .list.max()
    )
    return rank.replace_strict(
        _RANK_OUTCOME, default=None, return_dtype=pl.Utf8
    ).fill_null(NO_POLICY)
