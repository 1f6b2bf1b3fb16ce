"""The day's records as the checks read them: only the columns they use, text
as its length.

Quality, drift, lineage and latency never read prompt or response text, only
its length, and never ``extra``. Reading just the columns they use, batch by
batch, keeps a day's check input at a few hundred bytes a record however large
its prompts are.
"""

from __future__ import annotations

from pathlib import Path
from typing import Final

import polars as pl

from ledgerlens.record import RECORD_SCHEMA, check_frame, empty_frame
from ledgerlens.store.reader import record_batches

__all__ = ["LINEAGE_COLUMNS", "check_columns", "read_for_checks"]

LINEAGE_COLUMNS: Final[tuple[str, ...]] = (
    "provider",
    "model",
    "model_version",
    "prompt_template_id",
    "prompt_template_version",
    "retrieval",
    "latency_ms",
)
"""Record columns the lineage and latency summaries read."""


def check_columns(suite_path: Path) -> list[str]:
    """The record columns a run of the suite at ``suite_path`` and drift read."""
    from ledgerlens.drift import SOURCE_COLUMNS
    from ledgerlens.quality import load_suite

    wanted = {
        *load_suite(suite_path).record_columns,
        *SOURCE_COLUMNS,
        *LINEAGE_COLUMNS,
    }
    return [name for name in RECORD_SCHEMA if name in wanted]


def read_for_checks(path: Path, columns: list[str]) -> pl.DataFrame:
    """The ``columns`` of a records Parquet file as a check frame, read in batches."""
    frames = [check_frame(batch) for batch in record_batches(path, columns=columns)]
    if not frames:
        return check_frame(empty_frame().select(columns))
    return pl.concat(frames, how="vertical", rechunk=True)
