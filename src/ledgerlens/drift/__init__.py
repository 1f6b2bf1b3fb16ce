"""Drift checks: one day's records against a reference, column by column.

:func:`features` turns canonical records into the drift columns (numbers and
labels, never text); :func:`load_settings` reads the pinned method, threshold
and severity of each column; :func:`run_drift` samples both sides with a fixed
seed, measures drift with Evidently and returns one check result per column.
"""

from __future__ import annotations

from ledgerlens.drift.derive import (
    FEATURE_COLUMNS,
    FEATURE_KINDS,
    FEATURE_SCHEMA,
    NO_POLICY,
    SOURCE_COLUMNS,
    FeatureKind,
    features,
)
from ledgerlens.drift.evidently_runner import MISSING_LABEL, DriftOutcome, run_drift
from ledgerlens.drift.settings import (
    METHODS,
    ColumnSetting,
    DriftSettings,
    MethodInfo,
    ScoreKind,
    load_settings,
)

__all__ = [
    "FEATURE_COLUMNS",
    "FEATURE_KINDS",
    "FEATURE_SCHEMA",
    "METHODS",
    "MISSING_LABEL",
    "NO_POLICY",
    "SOURCE_COLUMNS",
    "ColumnSetting",
    "DriftOutcome",
    "DriftSettings",
    "FeatureKind",
    "MethodInfo",
    "ScoreKind",
    "features",
    "load_settings",
    "run_drift",
]
