"""Serve ledgerlens's nightly audit as a Prefect deployment with a schedule.

    python flows/deployments.py --logs DIR --store DIR --signing-key KEY \
        --cron "30 2 * * *"

The flow itself lives in the package (``ledgerlens.flows``); this file only
names the deployment, its schedule and its parameters. With a Prefect server
(``PREFECT_API_URL``) the deployment appears in its UI; without one, ``serve``
starts a temporary local API.
"""

from __future__ import annotations

import argparse
from typing import Any

from ledgerlens.flows import scheduled_nightly_audit


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """The deployment's parameters from the command line."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--logs", required=True, help="folder of the current logs")
    parser.add_argument("--store", default="./ledgerlens-store")
    parser.add_argument("--out", default="./ledgerlens-out")
    parser.add_argument("--signing-key", default=None)
    parser.add_argument("--grace-hours", type=int, default=2)
    parser.add_argument("--cron", default="30 2 * * *", help="schedule (UTC)")
    return parser.parse_args(argv)


def build_deployment(args: argparse.Namespace) -> Any:
    """The nightly deployment: the package's flow, a cron schedule, parameters."""
    return scheduled_nightly_audit.to_deployment(
        name="ledgerlens-nightly",
        cron=args.cron,
        parameters={
            "logs": args.logs,
            "store": args.store,
            "out": args.out,
            "signing_key": args.signing_key,
            "grace_hours": args.grace_hours,
        },
        description="Audit yesterday's LLM call logs, seal them, sign the report.",
        tags=["ledgerlens", "audit"],
    )


def main() -> None:
    """Serve the nightly deployment until interrupted."""
    from prefect import serve

    serve(build_deployment(parse_args()))


if __name__ == "__main__":
    main()
