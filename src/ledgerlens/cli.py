"""The ``ledgerlens`` command line: the single place user errors are caught.

Results go to stdout; logs, progress and the one-line error go to stderr. Exit
codes (README): 0 pass / verified, 1 blocking findings or a failed verification,
2 usage or configuration error, 3 the work could not start, 4 hold (gate),
70 an internal error (a bug: please report it with the ``-v`` traceback).
"""

from __future__ import annotations

import importlib
import os
import pkgutil
import sys
from pathlib import Path
from typing import Any

import click

from ledgerlens import __version__
from ledgerlens._cli_support import (
    configure_logging,
    guarded,
    parse_day,
    settings_of,
    signing_flags,
    verify_options,
)
from ledgerlens.errors import UsageError

__all__ = ["main"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="ledgerlens")
@click.option("-v", "--verbose", count=True, help="More detail on stderr (-vv: debug).")
@click.option("--config", type=click.Path(dir_okay=False), help="Settings file.")
@click.option("--profile", help="Profile of the settings file to use.")
@click.pass_context
def main(
    ctx: click.Context, verbose: int, config: str | None, profile: str | None
) -> None:
    """Audit production LLM traffic: sealed logs, checks, signed reports."""
    configure_logging(verbose)
    ctx.obj = {"config": config, "profile": profile}


# --- audit --------------------------------------------------------------------


@main.command()
@click.option(
    "--logs", help="File, directory, glob or s3://bucket/prefix of the day's logs."
)
@click.option(
    "--date", "day", required=True, help="Day to audit (YYYY-MM-DD or yesterday)."
)
@click.option("--store", help="Store directory [./ledgerlens-store].")
@click.option(
    "--out", help="Output directory; artefacts go to OUT/DATE [./ledgerlens-out]."
)
@click.option(
    "--reference-days", type=int, help="Passing sealed days to compare with [7]."
)
@click.option("--reference", help="Logs to use as the drift reference instead.")
@signing_flags
@click.option("--no-sign", is_flag=True, help="Dry run: produce everything unsigned.")
@click.option(
    "--reseal", is_flag=True, help="Append a seal that supersedes the day's seal."
)
@click.option("--strict", is_flag=True, help="Quarantined units fail the verdict.")
@click.option(
    "--allow-empty", is_flag=True, help="Declare that no traffic is expected."
)
@click.option("--naive-tz", help="IANA zone for timestamps that carry none.")
@click.option("--format", "fmt", help="Force one input format instead of detecting it.")
@click.option("--checks", type=click.Path(file_okay=False), help="Check suites folder.")
@click.option(
    "--templates", type=click.Path(file_okay=False), help="Report templates folder."
)
@click.option("--origin", help="Log origin for a new store.")
@click.option("--day-tz", help="Zone days are cut in, for a new store [UTC].")
@click.option("--orchestrate", is_flag=True, help="Run as the Prefect flow.")
@click.pass_context
@guarded
def audit(ctx: click.Context, /, **options: Any) -> None:
    """Audit one day: ingest, check, seal, report, sign."""
    from ledgerlens.engine.spec import AuditSpec, new_run_id

    settings = settings_of(ctx).override(
        {
            k: options.get(k)
            for k in (
                "logs",
                "store",
                "out",
                "reference_days",
                "naive_tz",
                "signing_key",
                "trust_config",
                "instance",
                "origin",
                "day_tz",
            )
        }
        | {"checks": options["checks"], "templates": options["templates"]}
    )
    if not settings.logs:
        raise UsageError("no logs to audit", remedy="pass --logs PATH or set `logs`")
    if options["no_sign"] and (options["signing_key"] or options["identity_token"]):
        raise UsageError(
            "--no-sign contradicts the signing options given", remedy="drop one of them"
        )
    if options["identity_token"]:
        # Through the environment, so the token never becomes a flow parameter.
        os.environ["LEDGERLENS_IDENTITY_TOKEN"] = options["identity_token"]

    spec = AuditSpec(
        day=parse_day(options["day"]),
        logs=settings.logs,
        store=settings.store,
        out=settings.out,
        run_id=new_run_id(),
        origin=settings.origin,
        day_tz=settings.day_tz,
        reference_days=settings.reference_days,
        reference=options["reference"],
        naive_tz=settings.naive_tz,
        format=options["fmt"],
        checks_dir=settings.checks,
        templates_dir=settings.templates,
        signing_key=None if options["no_sign"] else settings.signing_key,
        trust_config=settings.trust_config,
        instance=settings.instance,
        no_sign=options["no_sign"],
        reseal=options["reseal"],
        strict=options["strict"],
        allow_empty=options["allow_empty"],
    )
    if spec.reference_days < 1:
        raise UsageError("--reference-days must be at least 1", remedy="use 7")
    _check_signing_first(spec)
    outcome = _run_audit(spec, orchestrate=options["orchestrate"])
    _print_outcome(outcome)
    sys.exit(outcome.exit_code)


def _check_signing_first(spec: Any) -> None:
    """A wrong passphrase or a missing identity must stop the run before it seals."""
    from ledgerlens.engine.publish import signing_options
    from ledgerlens.signing import check_signing

    check_signing(
        signing_options(
            signing_key=spec.signing_key,
            trust_config=spec.trust_config,
            instance=spec.instance,
            no_sign=spec.no_sign,
        )
    )


def _run_audit(spec: Any, *, orchestrate: bool) -> Any:
    if orchestrate or os.environ.get("PREFECT_API_URL"):
        from ledgerlens.flows import run_audit_flow

        return run_audit_flow(spec)
    from ledgerlens.engine.audit import run_audit
    from ledgerlens.progress import NullProgress, RichProgress

    if not sys.stderr.isatty():  # bars only for a person watching a terminal
        return run_audit(spec, NullProgress())
    bars = RichProgress()
    with bars.running():
        return run_audit(spec, bars)


def _describe_predicate(predicate: Any) -> str:
    """What a signed pack says it covers: kind, day or range, verdict, seal."""
    keys = ("kind", "date", "from", "to", "verdict", "decision", "seal", "root")
    parts = [f"{k} {predicate[k]}" for k in keys if predicate.get(k) is not None]
    return "covers: " + ", ".join(parts) if parts else ""


def _print_outcome(outcome: Any) -> None:
    import json

    findings = json.loads(outcome.findings_path.read_text())
    counts = findings["counts"]
    integrity = findings["integrity"]
    failed = [
        c for c in findings["checks"] if c["severity"] == "blocking" and not c["passed"]
    ]
    click.echo(f"verdict: {outcome.verdict}")
    click.echo(
        "units: "
        + ", ".join(
            f"{k} {counts[k]}"
            for k in (
                "read",
                "accepted",
                "merged",
                "duplicate",
                "lineage_only",
                "out_of_day",
                "quarantined",
            )
        )
    )
    click.echo(
        f"sealed: {integrity['seal']} ({integrity['records']} records, "
        f"tree size {integrity['tree_size']}, root {integrity['root'][:16]}...)"
        + (" [existing seal reused]" if outcome.reused_seal else "")
    )
    for check in failed:
        summary = check["summary"]
        if not summary.startswith(check["check_id"]):
            summary = f"{check['check_id']}: {summary}"
        click.echo(f"blocking: {summary}")
    click.echo(
        f"report: {outcome.report_path}" + ("" if outcome.signed else " (unsigned)")
    )


# --- keys and verification -----------------------------------------------------


@main.command()
@click.option(
    "--out",
    "out_dir",
    required=True,
    type=click.Path(file_okay=False),
    help="Folder for ledgerlens-signing.key and .pub.",
)
@guarded
def keygen(out_dir: str) -> None:
    """Create a managed ECDSA P-256 signing key pair."""
    from ledgerlens.signing import keygen as make_keys
    from ledgerlens.signing import password_from_env_or_prompt

    paths = make_keys(Path(out_dir), password_from_env_or_prompt(confirm=True))
    click.echo(f"private key: {paths.private_key}")
    click.echo(f"public key:  {paths.public_key}")


@main.command()
@click.argument("target", type=click.Path())
@click.option("--key", type=click.Path(dir_okay=False), help="Public key (.pub).")
@click.option("--cert-identity", help="Expected signer identity (keyless).")
@click.option("--cert-oidc-issuer", help="Expected OIDC issuer (keyless).")
@click.option(
    "--trust-config", type=click.Path(dir_okay=False), help="Trust config on disk."
)
@click.option("--instance", type=click.Choice(["staging", "production"]))
@guarded
def verify(
    target: str,
    key: str | None,
    cert_identity: str | None,
    cert_oidc_issuer: str | None,
    trust_config: str | None,
    instance: str | None,
) -> None:
    """Verify a signed file or an evidence pack folder, offline.

    A folder (or an ``evidence.intoto.sigstore.json``) is checked as an evidence
    pack: the signature first, then every artefact it lists (ok, changed,
    missing). A file is checked against ``FILE.sigstore.json`` beside it.
    """
    from ledgerlens.signing import PACK_FILE, verify_file, verify_pack

    options = verify_options(
        key, cert_identity, cert_oidc_issuer, trust_config, instance
    )
    path = Path(target)
    if not path.exists():
        raise UsageError(f"{path} does not exist", remedy="check the path")
    if path.is_dir() or path.name == PACK_FILE:
        pack = verify_pack(path, options)
        click.echo(f"evidence pack signed by {pack.signer}")
        described = _describe_predicate(pack.predicate)
        if described:
            click.echo(described)
        for subject in pack.subjects:
            click.echo(f"{subject.state:9} {subject.name}")
        failed = [s.name for s in pack.problems]
        if failed:
            click.echo(
                f"ledgerlens: evidence pack does not verify: "
                f"{', '.join(failed)} changed or missing",
                err=True,
            )
            sys.exit(1)
        click.echo("verified")
        return
    signer = verify_file(path, options)
    click.echo(f"verified: {path.name} signed by {signer}")


# --- regulatory report and store verification ------------------------------------


@main.command()
@click.option("--from", "first", required=True, help="First day (YYYY-MM-DD).")
@click.option("--to", "last", required=True, help="Last day (YYYY-MM-DD).")
@click.option("--store", help="Store directory [./ledgerlens-store].")
@click.option("--out", help="Output directory [./ledgerlens-out].")
@signing_flags
@click.option("--no-sign", is_flag=True, help="Produce the report unsigned.")
@click.option(
    "--key",
    "verify_key",
    type=click.Path(dir_okay=False),
    help="Public key the checkpoints must verify with.",
)
@click.option("--cert-identity", help="Identity the checkpoints must be signed by.")
@click.option("--cert-oidc-issuer", help="OIDC issuer of that identity.")
@click.option(
    "--templates", type=click.Path(file_okay=False), help="Report templates folder."
)
@click.pass_context
@guarded
def report(ctx: click.Context, /, **options: Any) -> None:
    """Signed report over sealed days, each re-verified first."""
    from ledgerlens.engine.range_report import RangeSpec, run_range_report

    settings = settings_of(ctx).override(
        {
            k: options.get(k)
            for k in (
                "store",
                "out",
                "signing_key",
                "trust_config",
                "instance",
                "cert_identity",
                "cert_oidc_issuer",
            )
        }
        | {"templates": options["templates"]}
    )
    if options["identity_token"]:
        os.environ["LEDGERLENS_IDENTITY_TOKEN"] = options["identity_token"]
    verify_key = options["verify_key"]
    if verify_key is None and settings.signing_key and not options["no_sign"]:
        public = Path(settings.signing_key).with_suffix(".pub")
        verify_key = str(public) if public.is_file() else None
    spec = RangeSpec(
        first=parse_day(options["first"]),
        last=parse_day(options["last"]),
        store=settings.store,
        out=settings.out,
        templates_dir=settings.templates,
        signing_key=None if options["no_sign"] else settings.signing_key,
        trust_config=settings.trust_config,
        instance=settings.instance,
        no_sign=options["no_sign"],
        verify_key=verify_key,
        cert_identity=settings.cert_identity,
        cert_oidc_issuer=settings.cert_oidc_issuer,
    )
    _check_signing_first(spec)
    outcome = run_range_report(spec)
    click.echo(f"verdict: {outcome.verdict}")
    click.echo(
        f"days: {outcome.days} sealed"
        + (f"; no seal for {', '.join(outcome.missing)}" if outcome.missing else "")
    )
    click.echo(
        f"report: {outcome.report_path}" + ("" if outcome.signed else " (unsigned)")
    )
    sys.exit(outcome.exit_code)


def _register_command_modules() -> None:
    """Add the commands of every module in ``ledgerlens.commands``.

    Each such module exposes ``COMMANDS``, a list of click commands; a new
    command family is one new module there, and this file does not change.
    """
    import ledgerlens.commands as family

    for info in sorted(pkgutil.iter_modules(family.__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{family.__name__}.{info.name}")
        for command in module.COMMANDS:
            main.add_command(command)


_register_command_modules()
