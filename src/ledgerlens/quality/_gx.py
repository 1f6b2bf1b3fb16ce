"""Run suite entries with Great Expectations 1.x and keep only numbers.

GX is imported here, lazily, so commands that never run quality checks do not
pay its import time; analytics are switched off before the import. Each table
gets an ephemeral context's pandas data source, a whole-dataframe batch and one
validation definition. From each result only counts, percentages and a numeric
observed value are kept: GX's value samples are asked for at size zero and then
dropped anyway, so no checked value leaves this module.
"""

from __future__ import annotations

import logging
import math
import numbers
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final

import polars as pl

from ledgerlens.errors import CheckError
from ledgerlens.quality._catalogue import TableName
from ledgerlens.quality._frames import to_pandas
from ledgerlens.quality._suite import SuiteEntry

__all__ = ["GxOutcome", "run_with_gx"]

logger = logging.getLogger(__name__)

_META_KEY: Final = "ledgerlens_id"
_RESULT_FORMAT: Final[Mapping[str, Any]] = {
    "result_format": "BASIC",
    "partial_unexpected_count": 0,
    "include_unexpected_rows": False,
}
_KEPT_METRICS: Final = (
    "element_count",
    "missing_count",
    "unexpected_count",
    "unexpected_percent",
    "observed_value",
)
_REMEDY: Final = "check the entry's kwargs against its column; -v shows GX's error"


@dataclass(frozen=True)
class GxOutcome:
    """What GX said about one entry: its verdict and numeric metrics only."""

    success: bool
    metrics: Mapping[str, int | float | None]


def run_with_gx(
    tables: Mapping[TableName, pl.DataFrame], entries: Sequence[SuiteEntry]
) -> dict[str, GxOutcome]:
    """Validate every entry on its table; the outcome of each, by entry id."""
    gx = _import_gx()
    context = gx.get_context(project_config=_context_config(), mode="ephemeral")
    source = context.data_sources.add_pandas(name="ledgerlens")

    by_table: dict[TableName, list[SuiteEntry]] = {}
    for entry in entries:
        assert entry.table is not None
        by_table.setdefault(entry.table, []).append(entry)

    # One validation per table and set of columns: GX is handed a pandas frame
    # of just the columns the expectations read, which on a large day is a
    # fraction of the whole table's (one Python object per string value).
    outcomes: dict[str, GxOutcome] = {}
    for table, table_entries in by_table.items():
        by_columns: dict[tuple[str, ...], list[SuiteEntry]] = {}
        for entry in table_entries:
            by_columns.setdefault(tuple(sorted(set(entry.columns))), []).append(entry)
        for number, group in enumerate(by_columns.values()):
            logger.debug("GX: %d expectations on table %s", len(group), table)
            name = f"{table}-{number}"
            run = _validate_table(gx, context, source, name, tables[table], group)
            outcomes.update(run)
    return outcomes


def _import_gx() -> Any:
    # Set unconditionally: ledgerlens promises an offline run whatever the
    # environment says.
    os.environ["GX_ANALYTICS_ENABLED"] = "false"
    import great_expectations as gx

    return gx


def _context_config() -> Any:
    """An in-memory context: no data docs site, no analytics, no progress bars.

    GX would otherwise draw tqdm bars on stderr for every validation, and the
    CLI owns stderr.
    """
    from great_expectations.data_context.types.base import (
        DataContextConfig,
        InMemoryStoreBackendDefaults,
        ProgressBarsConfig,
    )

    return DataContextConfig(
        store_backend_defaults=InMemoryStoreBackendDefaults(init_temp_docs_sites=False),
        analytics_enabled=False,
        progress_bars=ProgressBarsConfig(globally=False),
    )


def _validate_table(
    gx: Any,
    context: Any,
    source: Any,
    table: str,
    frame: pl.DataFrame,
    entries: list[SuiteEntry],
) -> dict[str, GxOutcome]:
    """Validate ``entries`` on their columns of ``frame``, as GX asset ``table``."""
    asset = source.add_dataframe_asset(name=table)
    batch = asset.add_batch_definition_whole_dataframe(f"{table}-whole-frame")
    suite = context.suites.add(gx.ExpectationSuite(name=f"ledgerlens-{table}"))
    for entry in entries:
        suite.add_expectation(_expectation(gx, entry))
    definition = context.validation_definitions.add(
        gx.ValidationDefinition(name=f"ledgerlens-{table}", data=batch, suite=suite)
    )

    columns = {c for e in entries for c in e.columns}
    result = definition.run(
        batch_parameters={"dataframe": to_pandas(frame, columns)},
        result_format=dict(_RESULT_FORMAT),
    )

    outcomes = {}
    for item in result.results:
        entry_id = item.expectation_config.meta[_META_KEY]
        _raise_if_failed_to_run(entry_id, item.exception_info)
        outcomes[entry_id] = GxOutcome(
            success=bool(item.success), metrics=_numbers_only(item.result)
        )
    return outcomes


def _expectation(gx: Any, entry: SuiteEntry) -> Any:
    expectation_class = getattr(gx.expectations, entry.expectation)
    kwargs = {
        k: list(v) if isinstance(v, tuple) else v for k, v in entry.kwargs.items()
    }
    try:
        return expectation_class(**kwargs, meta={_META_KEY: entry.id})
    except (TypeError, ValueError) as exc:
        logger.debug("GX rejected entry %s: %s", entry.id, exc)
        msg = f"quality entry `{entry.id}`: Great Expectations rejected its kwargs"
        raise CheckError(msg, remedy=_REMEDY) from None


def _exception_messages(info: Any) -> list[str]:
    """Messages of the exceptions GX caught, at either nesting it uses."""
    if not isinstance(info, Mapping):
        return []
    if info.get("raised_exception"):
        return [str(info.get("exception_message"))]
    return [
        str(v.get("exception_message"))
        for v in info.values()
        if isinstance(v, Mapping) and v.get("raised_exception")
    ]


def _raise_if_failed_to_run(entry_id: str, info: Any) -> None:
    messages = _exception_messages(info)
    if not messages:
        return

    # GX only ever sees non-text columns, so its messages hold no prompt or
    # response text; they still stay out of the one-line error.
    logger.debug("GX could not evaluate entry %s: %s", entry_id, "; ".join(messages))
    msg = f"quality entry `{entry_id}` could not be evaluated by Great Expectations"
    raise CheckError(msg, remedy=_REMEDY)


def _numbers_only(result: Mapping[str, Any]) -> dict[str, int | float | None]:
    kept: dict[str, int | float | None] = {}
    for key in _KEPT_METRICS:
        if key not in result:
            continue
        value = result[key]
        if isinstance(value, bool) or not isinstance(value, numbers.Real):
            kept[key] = None
        elif isinstance(value, numbers.Integral):
            kept[key] = int(value)
        else:
            number = float(value)
            kept[key] = number if math.isfinite(number) else None
    return kept
