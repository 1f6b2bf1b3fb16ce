"""The Prefect deployment definition and the scheduled day, without a server."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from ledgerlens.flows import audit_day_before

REPO = Path(__file__).resolve().parents[1]


def _deployments_module():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "ledgerlens_deployments", REPO / "flows" / "deployments.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_nightly_deployment_runs_the_package_flow_on_its_cron() -> None:
    module = _deployments_module()
    args = module.parse_args(
        [
            "--logs",
            "/data/logs",
            "--store",
            "/data/store",
            "--cron",
            "15 3 * * *",
            "--grace-hours",
            "4",
        ]
    )

    deployment = module.build_deployment(args)

    assert deployment.name == "ledgerlens-nightly"
    assert [s.schedule.cron for s in deployment.schedules] == ["15 3 * * *"]
    assert deployment.parameters == {
        "logs": "/data/logs",
        "store": "/data/store",
        "out": "./ledgerlens-out",
        "signing_key": None,
        "grace_hours": 4,
    }
    assert deployment.entrypoint.endswith("ledgerlens/flows.py:scheduled_nightly_audit")


def test_a_run_audits_the_day_before_once_the_grace_period_is_over() -> None:
    assert audit_day_before(datetime(2026, 11, 29, 2, 30, tzinfo=UTC), 2) == date(
        2026, 11, 28
    )
    # At 01:00 with a 2-hour grace, late logs of the 28th may still arrive:
    # the run audits the 27th.
    assert audit_day_before(datetime(2026, 11, 29, 1, 0, tzinfo=UTC), 2) == date(
        2026, 11, 27
    )
