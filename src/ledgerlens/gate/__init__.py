"""The promotion gate: is a candidate model or prompt version fit to promote?

:func:`run_gate` compares a candidate's LLM call logs with a baseline's, metric
by metric, by one-sided non-inferiority tests against the margins of a
versioned policy (:func:`load_policy`), and writes a signed decision record:
``promote`` (exit 0), ``block`` (exit 1) or ``hold`` (exit 4). The statistics
are in :mod:`ledgerlens.gate.evaluate`; :func:`rollback_target` names the last
known-good model and prompt template versions of a sealed store.
"""

from __future__ import annotations

from ledgerlens.gate.evaluate import (
    Decision,
    MetricOutcome,
    MetricStatus,
    Pairing,
    decide,
    evaluate_metrics,
    pair_items,
)
from ledgerlens.gate.outputs import junit_xml, markdown_summary
from ledgerlens.gate.policy import (
    GatePolicy,
    MetricPolicy,
    default_policy_path,
    load_policy,
)
from ledgerlens.gate.rollback import RollbackTarget, rollback_target
from ledgerlens.gate.run import GateOutcome, GateSpec, run_gate

__all__ = [
    "Decision",
    "GateOutcome",
    "GatePolicy",
    "GateSpec",
    "MetricOutcome",
    "MetricPolicy",
    "MetricStatus",
    "Pairing",
    "RollbackTarget",
    "decide",
    "default_policy_path",
    "evaluate_metrics",
    "junit_xml",
    "load_policy",
    "markdown_summary",
    "pair_items",
    "rollback_target",
    "run_gate",
]
