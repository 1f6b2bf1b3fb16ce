"""The day's records as the checks read them: only the columns they use, text
as its length, and the lineage summary counted without loading the day.

Quality and drift never read prompt or response text, only its length, and
never ``extra``. Polars' streaming engine reads just those columns from the
Parquet file and drops each text once measured, so a day's check input costs a
few hundred bytes a record however large its prompts are. The lineage tallies
are streamed aggregations over the file.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import polars as pl

from ledgerlens.record import RECORD_SCHEMA, check_selection

__all__ = ["check_columns", "drift_columns", "lineage_summary", "read_for_checks"]


def check_columns(suite_path: Path) -> list[str]:
    """The record columns the suite at ``suite_path`` and drift read."""
    from ledgerlens.quality import load_suite

    wanted = {*load_suite(suite_path).record_columns, *drift_columns()}
    return [name for name in RECORD_SCHEMA if name in wanted]


def drift_columns() -> list[str]:
    """The record columns drift reads (all a reference day needs)."""
    from ledgerlens.drift import SOURCE_COLUMNS

    return [name for name in RECORD_SCHEMA if name in SOURCE_COLUMNS]


def read_for_checks(path: Path, columns: Iterable[str]) -> pl.DataFrame:
    """The ``columns`` of a records Parquet file, each text as its length."""
    selected = check_selection(columns)
    return pl.scan_parquet(path).select(selected).collect(engine="streaming")


def lineage_summary(path: Path) -> dict[str, dict[str, int]]:
    """How many records name each provider, model, version, template, source.

    Each tally runs as a streamed aggregation over the file; nulls are not
    counted; entries are ordered by count, then name.
    """
    template_id, version = (
        pl.col("prompt_template_id"),
        pl.col("prompt_template_version"),
    )
    template = (
        pl.when(version.is_null())
        .then(template_id)
        .otherwise(pl.concat_str([template_id, pl.lit("@"), version]))
    )
    values = {
        "providers": pl.col("provider"),
        "models": pl.col("model"),
        "model_versions": pl.col("model_version"),
        "prompt_templates": template,
        "retrieval_sources": pl.col("retrieval").explode().struct.field("source"),
    }
    scan = pl.scan_parquet(path)
    return {name: _tally(scan, value) for name, value in values.items()}


def _tally(scan: pl.LazyFrame, value: pl.Expr) -> dict[str, int]:
    counts = (
        scan.select(value.alias("value"))
        .drop_nulls()
        .group_by("value")
        .len()
        .collect(engine="streaming")
    )
    ordered = sorted(counts.rows(), key=lambda row: (-row[1], row[0]))
    return {str(name): int(count) for name, count in ordered}
