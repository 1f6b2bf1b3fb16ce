"""Prefect flows around the engine: one task per stage, paths between tasks.

The engine knows nothing of Prefect; these flows add retries on I/O, schedules
(see ``flows/deployments.py``) and the UI. Each flow ends ``Completed`` whatever
the verdict: a failed audit is a result, returned as data, not a crashed run.

Telemetry is off before Prefect is imported: the temporary local server sends a
heartbeat unless told not to.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
os.environ.setdefault("PREFECT_LOGGING_EXTRA_LOGGERS", "ledgerlens")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")

from prefect import flow, task  # noqa: E402 - telemetry settings must come first
from prefect.cache_policies import NONE  # noqa: E402

from ledgerlens.engine import audit as engine  # noqa: E402
from ledgerlens.engine.spec import AuditSpec, new_run_id  # noqa: E402

__all__ = [
    "audit_day_before",
    "nightly_audit",
    "run_audit_flow",
    "scheduled_nightly_audit",
]


def _io_failure(task: Any, task_run: Any, state: Any) -> bool:
    """Retry only what may pass a second time: reading or writing files."""
    try:
        state.result()
    except OSError:
        return True
    except Exception:  # noqa: BLE001 - anything else is final
        return False
    return False


_Stage = Callable[..., dict[str, Any]]


def _io_task(name: str) -> Callable[[_Stage], _Stage]:
    """A task decorator that retries only I/O failures and caches nothing."""
    decorator: Callable[[_Stage], _Stage] = task(
        name=name,
        retries=2,
        retry_delay_seconds=10,
        retry_condition_fn=_io_failure,
        cache_policy=NONE,
    )
    return decorator


@_io_task("ingest")
def ingest_task(spec_json: dict[str, Any]) -> dict[str, Any]:
    """Read every source and write the day's frames to the work folder."""
    return engine.stage_ingest(AuditSpec.from_json(spec_json))


@task(name="check", cache_policy=NONE)
def check_task(spec_json: dict[str, Any], _after: Any) -> dict[str, Any]:
    """Quality suite and drift report."""
    return engine.stage_check(AuditSpec.from_json(spec_json))


@task(name="seal", cache_policy=NONE)
def seal_task(spec_json: dict[str, Any], _after: Any) -> dict[str, Any]:
    """Commit the day to the store (atomic; never retried blindly)."""
    return engine.stage_seal(AuditSpec.from_json(spec_json))


@_io_task("render")
def render_task(spec_json: dict[str, Any], _after: Any) -> dict[str, Any]:
    """findings.json and the PDF report."""
    return engine.stage_render(AuditSpec.from_json(spec_json))


@_io_task("sign")
def sign_task(spec_json: dict[str, Any], _after: Any) -> dict[str, Any]:
    """Sign checkpoint, report and evidence pack in one signer session."""
    outcome = engine.stage_sign(AuditSpec.from_json(spec_json))
    return {
        "verdict": outcome.verdict,
        "exit_code": outcome.exit_code,
        "out_dir": str(outcome.out_dir),
        "signed": outcome.signed,
        "reused_seal": outcome.reused_seal,
    }


@flow(name="ledgerlens-nightly-audit", log_prints=False)
def nightly_audit(spec_json: dict[str, Any]) -> dict[str, Any]:
    """Audit one day as five tasks; returns the verdict as data."""
    ingested = ingest_task(spec_json)
    checked = check_task(spec_json, ingested)
    sealed = seal_task(spec_json, checked)
    rendered = render_task(spec_json, sealed)
    return sign_task(spec_json, rendered)


def audit_day_before(now: datetime, grace_hours: int) -> date:
    """The day a run at ``now`` audits: the day before, once late logs had time."""
    return (now - timedelta(hours=grace_hours) - timedelta(days=1)).date()


@flow(name="ledgerlens-scheduled-audit")
def scheduled_nightly_audit(
    logs: str,
    store: str = "./ledgerlens-store",
    out: str = "./ledgerlens-out",
    signing_key: str | None = None,
    grace_hours: int = 2,
    day: str | None = None,
) -> dict[str, Any]:
    """The deployment's entry point: audit yesterday (or ``day``) with defaults."""
    target = (
        date.fromisoformat(day)
        if day
        else audit_day_before(datetime.now(UTC), grace_hours)
    )
    spec = AuditSpec(
        day=target,
        logs=logs,
        store=store,
        out=out,
        run_id=new_run_id(),
        signing_key=signing_key,
        no_sign=signing_key is None,
    )
    return nightly_audit(spec.to_json())


def run_audit_flow(spec: AuditSpec) -> engine.AuditOutcome:
    """Run the nightly flow for ``spec`` and return the engine's outcome."""
    result = nightly_audit(spec.to_json())
    out_dir = Path(result["out_dir"])
    return engine.AuditOutcome(
        verdict=result["verdict"],
        exit_code=result["exit_code"],
        out_dir=out_dir,
        findings_path=out_dir / "findings.json",
        report_path=out_dir / "audit-report.pdf",
        signed=result["signed"],
        reused_seal=result["reused_seal"],
    )


# --- promotion gate -------------------------------------------------------------
# Appended for the gate; the nightly flow above is unchanged. Same shape: one
# task per stage, the spec as JSON between them, the decision returned as data
# (a block or a hold ends the run Completed).

from ledgerlens.gate import run as gate_engine  # noqa: E402

__all__ += ["promotion_gate", "run_gate_flow"]


@_io_task("gate-load")
def gate_load_task(spec_json: dict[str, Any]) -> dict[str, Any]:
    """Read both sides' logs into record frames in the work folder."""
    return gate_engine.stage_load(gate_engine.GateSpec.from_json(spec_json))


@task(name="gate-evaluate", cache_policy=NONE)
def gate_evaluate_task(spec_json: dict[str, Any], _after: Any) -> dict[str, Any]:
    """Metrics, quality and drift; the decision record."""
    return gate_engine.stage_evaluate(gate_engine.GateSpec.from_json(spec_json))


@_io_task("gate-render")
def gate_render_task(spec_json: dict[str, Any], _after: Any) -> dict[str, Any]:
    """The PDF, Markdown summary and JUnit XML."""
    return gate_engine.stage_render(gate_engine.GateSpec.from_json(spec_json))


@_io_task("gate-sign")
def gate_sign_task(spec_json: dict[str, Any], _after: Any) -> dict[str, Any]:
    """Publish and sign the decision, report and evidence pack."""
    outcome = gate_engine.stage_sign(gate_engine.GateSpec.from_json(spec_json))
    return {
        "decision": outcome.decision,
        "exit_code": outcome.exit_code,
        "out_dir": str(outcome.out_dir),
        "signed": outcome.signed,
    }


@flow(name="ledgerlens-promotion-gate", log_prints=False)
def promotion_gate(spec_json: dict[str, Any]) -> dict[str, Any]:
    """Run the promotion gate as four tasks; returns the decision as data."""
    loaded = gate_load_task(spec_json)
    evaluated = gate_evaluate_task(spec_json, loaded)
    rendered = gate_render_task(spec_json, evaluated)
    return gate_sign_task(spec_json, rendered)


def run_gate_flow(spec: gate_engine.GateSpec) -> gate_engine.GateOutcome:
    """Run the gate flow for ``spec`` and return the engine's outcome."""
    result = promotion_gate(spec.to_json())
    out_dir = Path(result["out_dir"])
    return gate_engine.GateOutcome(
        decision=result["decision"],
        exit_code=result["exit_code"],
        out_dir=out_dir,
        decision_path=out_dir / gate_engine.DECISION_FILE,
        report_path=out_dir / gate_engine.REPORT_FILE,
        signed=result["signed"],
    )
