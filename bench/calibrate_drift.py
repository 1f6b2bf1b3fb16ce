"""Calibrate the drift settings on generated days: false drift and detection.

For each scenario (a current day of some size against a reference of some
number of days of the same size) this script draws many trials from pools of
generated days, runs :func:`ledgerlens.drift.run_drift` on each, and prints per
column how often the column drifted: on same-distribution days that is the
false-drift rate, on the generator's drift day the detection rate. It also
prints score quantiles, the measurements the thresholds are chosen from.

Scores do not depend on thresholds, so every trial runs with the settings
file's methods and thresholds but ``min_rows`` lowered to 1; the minimum is
then applied when the rates are counted, exactly as ``run_drift`` applies it.

Usage (from the repository root)::

    .venv/bin/python bench/calibrate_drift.py [--pool 30] [--work DIR]

Generated days and their records are cached under ``--work`` (Parquet), and so
are the scores, keyed by what they depend on (pool, sample size and seed,
method per column): after a threshold edit a second run only counts again.
Everything is seeded: the same arguments print the same tables.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import logging
import math
import random
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from types import ModuleType
from typing import Any, Final

import polars as pl

from ledgerlens.drift import DriftSettings, load_settings, run_drift
from ledgerlens.ingest import IngestOptions, discover_sources, read_units
from ledgerlens.record import records_frame

REPO: Final = Path(__file__).resolve().parents[1]
DEFAULT_SETTINGS: Final = REPO / "checks" / "drift.json"
SAME_SIZES: Final = (100, 200, 300, 400, 1000, 5000)
REFERENCE_DAYS: Final = (1, 3, 7)
# (records a day, reference days): 400 against 5 days is the nightly case the
# settings must catch; the others show how detection moves with size.
DRIFT_CASES: Final = ((300, 1), (400, 5), (1000, 5))
FIRST_DAY: Final = date(2025, 1, 1)
GENERATOR_SEED: Final = 97
TRIAL_SEED: Final = 20261204
QUANTILES: Final = (0.5, 0.95, 0.99, 1.0)


@dataclass(frozen=True)
class Scenario:
    """Current days of ``size`` records against ``reference_days`` such days."""

    kind: str
    size: int
    reference_days: int

    @property
    def label(self) -> str:
        """How the scenario is named in the tables."""
        return f"{self.kind} {self.size} vs {self.reference_days}x{self.size}"


@dataclass(frozen=True)
class Trial:
    """One comparison: the scores per column and the row counts."""

    scenario: Scenario
    scores: dict[str, float | None]
    current_rows: int
    reference_rows: int


def _generator() -> ModuleType:
    """The fixture generator, loaded by path (``data_fixtures`` is no package)."""
    spec = importlib.util.spec_from_file_location(
        "ledgerlens_fixture_generator", REPO / "data_fixtures" / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


class DayPool:
    """Generated days, ingested once and cached as Parquet record files."""

    def __init__(self, work: Path, generator: ModuleType) -> None:
        self._work = work
        self._generator = generator

    def day(self, size: int, index: int, *, drifted: bool) -> pl.DataFrame:
        """Records of pool day ``index`` of ``size`` records (drifted or not)."""
        stem = f"{'drift' if drifted else 'same'}-{size}-{index:03d}"
        parquet = self._work / "records" / f"{stem}.parquet"
        if not parquet.exists():
            parquet.parent.mkdir(parents=True, exist_ok=True)
            _ingest(self._write(stem, size, index, drifted)).write_parquet(parquet)
        return pl.read_parquet(parquet)

    def _write(self, stem: str, size: int, index: int, drifted: bool) -> Path:
        # Distinct dates give independent days: the generator seeds each day
        # from (seed, date). Drift days get dates of their own.
        offset = index + (5000 if drifted else 0) + size * 10
        path = self._work / "logs" / f"{stem}.jsonl"
        self._generator.stream_day(
            path,
            day=FIRST_DAY + timedelta(days=offset),
            records=size,
            seed=GENERATOR_SEED,
            drifted=drifted,
        )
        return path


def _ingest(path: Path) -> pl.DataFrame:
    """The accepted records of one generated file, through ledgerlens.ingest."""
    options = IngestOptions(format="ledgerlens-jsonl")
    rows = [
        unit.record
        for source in discover_sources(path)
        for unit in read_units(source, options)
        if unit.outcome == "accepted" and unit.record is not None
    ]
    return records_frame(rows)


def _scenarios() -> list[Scenario]:
    same = [Scenario("same", s, k) for s in SAME_SIZES for k in REFERENCE_DAYS]
    return same + [Scenario("drift", s, k) for s, k in DRIFT_CASES]


def _measuring_settings(settings_path: Path, work: Path) -> Path:
    """A copy of the settings with ``min_rows`` 1, so every trial is scored."""
    data: dict[str, Any] = json.loads(settings_path.read_text(encoding="utf-8"))
    data["sample"]["min_rows"] = 1
    path = work / "drift-measure.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def _run_trials(
    pool: DayPool, scenario: Scenario, trials: int, settings_path: Path
) -> list[Trial]:
    """``trials`` comparisons; each draws its reference days from the pool."""
    rng = random.Random(f"{TRIAL_SEED}/{scenario.label}")
    results = []
    for index in range(trials):
        current = pool.day(scenario.size, index, drifted=scenario.kind == "drift")
        others = [i for i in range(trials) if scenario.kind == "drift" or i != index]
        chosen = rng.sample(others, scenario.reference_days)
        reference = pl.concat(
            [pool.day(scenario.size, i, drifted=False) for i in chosen]
        )

        outcome = run_drift(current, reference, settings_path)
        scores = {row["column"]: row["score"] for row in outcome.columns}
        results.append(Trial(scenario, scores, current.height, reference.height))
    return results


def _scores_file(work: Path, settings: DriftSettings, pool: int) -> Path:
    """Where the scores of this pool and these methods are cached."""
    key = json.dumps(
        [pool, settings.sample_size, settings.seed]
        + [[c.column, c.method] for c in settings.columns]
    )
    return work / f"scores-{hashlib.sha256(key.encode()).hexdigest()[:16]}.json"


def _cached_trials(
    work: Path, settings: DriftSettings, pool: int
) -> list[Trial] | None:
    path = _scores_file(work, settings, pool)
    if not path.exists():
        return None
    return [
        Trial(Scenario(*item["scenario"]), item["scores"], *item["rows"])
        for item in json.loads(path.read_text(encoding="utf-8"))
    ]


def _save_trials(
    work: Path, settings: DriftSettings, pool: int, trials: Sequence[Trial]
) -> None:
    data = [
        {
            "scenario": [t.scenario.kind, t.scenario.size, t.scenario.reference_days],
            "scores": t.scores,
            "rows": [t.current_rows, t.reference_rows],
        }
        for t in trials
    ]
    _scores_file(work, settings, pool).write_text(json.dumps(data), encoding="utf-8")


def _drifted(score: float | None, threshold: float, score_kind: str) -> bool:
    if score is None:
        return False
    return score >= threshold if score_kind == "distance" else score <= threshold


def _rate_table(
    trials: Sequence[Trial], settings: DriftSettings, min_rows: int
) -> list[str]:
    """Markdown rows: per scenario, the share of trials each column drifted.

    A trial counts only where both sides have at least ``min_rows`` rows.
    """
    columns = settings.columns
    header = "| scenario | trials | measured | " + " | ".join(
        f"{c.column} ({c.severity[0]})" for c in columns
    )
    lines = [header + " |", "|---" * (len(columns) + 3) + "|"]
    for scenario in _scenarios():
        group = [t for t in trials if t.scenario == scenario]
        if not group:
            continue
        measured = [
            t for t in group if min(t.current_rows, t.reference_rows) >= min_rows
        ]
        cells = [
            _percent(
                sum(
                    _drifted(t.scores[c.column], c.threshold, c.score_kind)
                    for t in measured
                ),
                len(measured),
            )
            for c in columns
        ]
        lines.append(
            f"| {scenario.label} | {len(group)} | {len(measured)} | "
            + " | ".join(cells)
            + " |"
        )
    return lines


def _percent(count: int, total: int) -> str:
    return "–" if total == 0 else f"{100 * count / total:.0f}%"


def _quantile_table(trials: Sequence[Trial], settings: DriftSettings) -> list[str]:
    """Markdown rows: per column and scenario, score quantiles (p50/p95/p99/max)."""
    lines = [
        "| column | threshold | scenario | p50 | p95 | p99 | max | min |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for column in settings.columns:
        for scenario in _scenarios():
            values = [
                t.scores[column.column]
                for t in trials
                if t.scenario == scenario and t.scores[column.column] is not None
            ]
            if not values:
                continue
            ordered = sorted(v for v in values if v is not None)
            cells = [f"{_quantile(ordered, q):.3f}" for q in QUANTILES]
            lines.append(
                f"| {column.column} | {column.threshold:g} | {scenario.label} | "
                + " | ".join(cells)
                + f" | {ordered[0]:.3f} |"
            )
    return lines


def _quantile(ordered: Sequence[float], q: float) -> float:
    """The smallest value with at least a share ``q`` of values at or below it."""
    return ordered[max(0, math.ceil(q * len(ordered)) - 1)]


def main(argv: Sequence[str] | None = None) -> int:
    """Run the calibration and print both tables as Markdown."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pool", type=int, default=30, help="days per pool")
    parser.add_argument("--settings", type=Path, default=DEFAULT_SETTINGS)
    parser.add_argument("--work", type=Path, default=None, help="cache directory")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)

    work = args.work or Path(tempfile.mkdtemp(prefix="ledgerlens-calibrate-"))
    work.mkdir(parents=True, exist_ok=True)
    settings = load_settings(args.settings)
    measuring = _measuring_settings(args.settings, work)
    pool = DayPool(work, _generator())

    started = time.monotonic()
    trials = _cached_trials(work, settings, args.pool)
    if trials is None:
        trials = []
        for scenario in _scenarios():
            trials += _run_trials(pool, scenario, args.pool, measuring)
            print(f"# measured {scenario.label}", file=sys.stderr)
        _save_trials(work, settings, args.pool, trials)
    elapsed = time.monotonic() - started

    print(
        f"settings: {args.settings.name} {settings.version} (sha256 "
        f"{settings.sha256[:12]}), min_rows {settings.min_rows}, "
        f"sample {settings.sample_size}, pool {args.pool} days per size"
    )
    print(
        "\nDrifted share per column ((b) blocking, (w) warning), counted only "
        "where both sides reach min_rows:\n"
    )
    print("\n".join(_rate_table(trials, settings, settings.min_rows)))
    print("\nThe same thresholds with no minimum (min_rows 1), for comparison:\n")
    print("\n".join(_rate_table(trials, settings, 1)))
    print("\nScore quantiles over all trials (min_rows not applied):\n")
    print("\n".join(_quantile_table(trials, settings)))
    print(f"\n{len(trials)} trials in {elapsed:.0f} s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
