"""``ledgerlens gate`` and ``ledgerlens rollback-target``: promotion in CI.

``gate`` compares a candidate's logs with a baseline's and exits 0 (promote),
1 (block) or 4 (hold); ``rollback-target`` names the last known-good model and
prompt template versions of a sealed store. The work is imported inside each
command so ``ledgerlens --help`` stays fast.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

import click

from ledgerlens._cli_support import guarded, settings_of, signing_flags
from ledgerlens.errors import UsageError

__all__ = ["COMMANDS", "gate", "rollback_target"]


@click.command()
@click.option("--baseline", required=True, help="Logs of the version in production.")
@click.option("--candidate", required=True, help="Logs of the version to promote.")
@click.option(
    "--policy",
    type=click.Path(dir_okay=False),
    help="Gate policy file [packaged checks/gate-policy.json].",
)
@click.option("--out", help="Output directory [current directory].")
@signing_flags
@click.option("--no-sign", is_flag=True, help="Produce the decision unsigned.")
@click.option(
    "--summary-md", type=click.Path(dir_okay=False), help="Write a Markdown summary."
)
@click.option("--junit", type=click.Path(dir_okay=False), help="Write JUnit XML.")
@click.option("--format", "fmt", help="Force one input format instead of detecting it.")
@click.option("--naive-tz", help="IANA zone for timestamps that carry none.")
@click.option(
    "--templates", type=click.Path(file_okay=False), help="Report templates folder."
)
@click.option("--orchestrate", is_flag=True, help="Run as the Prefect flow.")
@click.pass_context
@guarded
def gate(ctx: click.Context, /, **options: Any) -> None:
    """Decide whether a candidate may be promoted: exit 0 promote, 1 block, 4 hold."""
    from ledgerlens.engine.spec import new_run_id
    from ledgerlens.gate.run import GateSpec

    settings = settings_of(ctx).override(
        {
            k: options.get(k)
            for k in ("signing_key", "trust_config", "instance", "naive_tz")
        }
        | {"templates": options["templates"]}
    )
    signing_key = None if options["no_sign"] else settings.signing_key
    _check_signing(options, signing_key, settings.trust_config)
    if options["identity_token"]:
        # Through the environment, so the token never becomes a flow parameter.
        os.environ["LEDGERLENS_IDENTITY_TOKEN"] = options["identity_token"]

    spec = GateSpec(
        baseline=options["baseline"],
        candidate=options["candidate"],
        out=options["out"] or ".",
        run_id=new_run_id().replace("run-", "gate-", 1),
        policy=options["policy"],
        format=options["fmt"],
        naive_tz=settings.naive_tz,
        templates_dir=settings.templates,
        signing_key=signing_key,
        trust_config=settings.trust_config,
        instance=settings.instance,
        no_sign=options["no_sign"],
        summary_md=options["summary_md"],
        junit=options["junit"],
    )
    outcome = _run(spec, orchestrate=options["orchestrate"])
    _print_outcome(outcome)
    sys.exit(outcome.exit_code)


def _check_signing(
    options: dict[str, Any], signing_key: str | None, trust_config: str | None
) -> None:
    """Refuse contradictory or incomplete signing flags before any work."""
    if options["no_sign"] and (options["signing_key"] or options["identity_token"]):
        raise UsageError(
            "--no-sign contradicts the signing options given", remedy="drop one of them"
        )
    if options["signing_key"] and options["identity_token"]:
        raise UsageError(
            "both --signing-key and --identity-token were given",
            remedy="a decision is signed one way",
        )
    if options["identity_token"] and not (trust_config or options["instance"]):
        raise UsageError(
            "--identity-token needs --trust-config (or --instance)",
            remedy="name the Sigstore instance to sign with",
        )
    if not options["no_sign"] and not (
        signing_key or options["identity_token"] or trust_config or options["instance"]
    ):
        raise UsageError(
            "no way to sign the decision record",
            remedy="pass --signing-key KEY, --identity-token T --trust-config F, "
            "or --no-sign",
        )


def _run(spec: Any, *, orchestrate: bool) -> Any:
    if orchestrate or os.environ.get("PREFECT_API_URL"):
        from ledgerlens.flows import run_gate_flow

        return run_gate_flow(spec)
    from ledgerlens.gate.run import run_gate

    return run_gate(spec)


def _print_outcome(outcome: Any) -> None:
    record = json.loads(outcome.decision_path.read_text())
    click.echo(f"decision: {record['decision']}")
    for reason in record["reasons"]:
        if record["decision"] != "promote":
            click.echo(f"  {reason['summary']}")
    click.echo(
        f"record: {outcome.decision_path}" + ("" if outcome.signed else " (unsigned)")
    )
    click.echo(f"report: {outcome.report_path}")


@click.command("rollback-target")
@click.option("--store", help="Store directory [./ledgerlens-store].")
@click.option("--json", "as_json", is_flag=True, help="Print the answer as JSON.")
@click.pass_context
@guarded
def rollback_target(ctx: click.Context, store: str | None, as_json: bool) -> None:
    """Name the last known-good model and prompt template versions of a store."""
    from ledgerlens.gate.rollback import rollback_target as find_target
    from ledgerlens.store import open_store

    settings = settings_of(ctx).override({"store": store})
    answer = find_target(open_store(Path(settings.store)))
    if as_json:
        click.echo(json.dumps(answer.to_json(), indent=2, sort_keys=True))
    else:
        for target in (*answer.models, *answer.templates):
            _print_target(target)
    if not answer.found:
        click.echo(
            f"ledgerlens: no known-good version in {answer.days} sealed days "
            "(every version was seen on a failed day)",
            err=True,
        )
        sys.exit(1)


def _print_target(target: Any) -> None:
    label = "model" if target.kind == "model" else "prompt template"
    if target.version is None:
        click.echo(f"{label} {target.name}: no known-good version")
    else:
        days = ", ".join(d.day.isoformat() for d in target.evidence)
        click.echo(f"{label} {target.name}: {target.version} (passed on {days})")
        for day in target.evidence:
            signed = "signed" if day.checkpoint_signed else "unsigned"
            click.echo(
                f"  {day.day.isoformat()} {day.seal}: {day.records} records, "
                f"checkpoint tree size {day.tree_size} root {day.root[:16]}... "
                f"({signed})"
            )
    for version, failed in sorted(target.rejected.items()):
        click.echo(f"  not {version}: seen on failed day(s) {', '.join(failed)}")


COMMANDS = [gate, rollback_target]
