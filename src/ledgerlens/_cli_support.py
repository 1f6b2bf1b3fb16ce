"""What every ``ledgerlens`` command shares: logging, the error guard, settings.

Command modules (``ledgerlens.cli`` and ``ledgerlens.commands.*``) import these;
the guard is the single place a user error becomes one line and an exit code.
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import wraps
from pathlib import Path
from typing import Any, TypeVar

import click

from ledgerlens.errors import LedgerlensError, UsageError

__all__ = [
    "EXIT_INTERNAL",
    "signing_flags",
    "configure_logging",
    "guarded",
    "parse_day",
    "settings_of",
    "verify_options",
]

logger = logging.getLogger("ledgerlens")
F = TypeVar("F", bound=Callable[..., Any])
EXIT_INTERNAL = 70


def configure_logging(verbose: int) -> None:
    """Send the package's log lines to stderr through rich, at the asked level."""
    from rich.console import Console
    from rich.logging import RichHandler

    env_level = os.environ.get("LEDGERLENS_LOG_LEVEL", "").upper()
    level = {0: logging.WARNING, 1: logging.INFO}.get(verbose, logging.DEBUG)
    if env_level and verbose == 0:
        level = logging.getLevelName(env_level) if env_level.isalpha() else level
    handler = RichHandler(
        console=Console(stderr=True),
        show_path=verbose > 1,
        rich_tracebacks=verbose > 0,
        markup=False,
    )
    handler.setFormatter(logging.Formatter("%(message)s"))
    package = logging.getLogger("ledgerlens")
    package.handlers[:] = [handler]
    package.setLevel(level)
    package.propagate = False
    # WeasyPrint logs the URLs it refuses; a URL could carry logged content.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)


def guarded(func: F) -> F:
    """Turn ledgerlens errors into one line on stderr and their exit code."""

    @wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        ctx = click.get_current_context()
        verbose = ctx.find_root().params.get("verbose", 0)
        try:
            return func(*args, **kwargs)
        except LedgerlensError as exc:
            if verbose:
                logger.exception("details")
            click.echo(f"ledgerlens: {exc.one_line()}", err=True)
            sys.exit(exc.exit_code)
        except OSError as exc:
            # A folder that cannot be written, a disk that is full: the work
            # could not be done, which is no bug in ledgerlens.
            if verbose:
                logger.exception("details")
            where = f" {exc.filename}" if exc.filename else ""
            click.echo(
                f"ledgerlens: cannot use{where}: {exc.strerror or exc} "
                "(check the path, its permissions and free space)",
                err=True,
            )
            sys.exit(3)
        except KeyboardInterrupt:
            click.echo("ledgerlens: interrupted; nothing was sealed half-way", err=True)
            sys.exit(130)
        except Exception as exc:  # noqa: BLE001 - the single catch point
            if verbose:
                logger.exception("internal error")
            click.echo(
                f"ledgerlens: internal error ({type(exc).__name__}); "
                "rerun with -v for the traceback and report it",
                err=True,
            )
            sys.exit(EXIT_INTERNAL)

    return wrapper  # type: ignore[return-value]


def parse_day(value: str) -> date:
    """A day from ``YYYY-MM-DD`` or ``yesterday`` (UTC)."""
    if value == "yesterday":
        return (datetime.now(UTC) - timedelta(days=1)).date()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        msg = f"`{value}` is not a date"
        raise UsageError(msg, remedy="write it as YYYY-MM-DD") from exc


def settings_of(ctx: click.Context) -> Any:
    """The settings for this invocation: config file, profile, environment."""
    from ledgerlens.config import load_settings

    root = ctx.find_root().obj
    return load_settings(root["config"], root["profile"])


def verify_options(
    key: str | None,
    identity: str | None,
    issuer: str | None,
    trust_config: str | None,
    instance: str | None,
) -> Any:
    """Verification options from the shared flags, refusing contradictions."""
    from ledgerlens.signing import VerifyOptions

    if key and (identity or issuer):
        raise UsageError(
            "give either --key or --cert-identity/--cert-oidc-issuer",
            remedy="a bundle is signed one way",
        )
    if not key and not (identity and issuer):
        raise UsageError(
            "no key and no expected identity",
            remedy="pass --key PUB, or --cert-identity and --cert-oidc-issuer",
        )
    return VerifyOptions(
        key_path=Path(key) if key else None,
        cert_identity=identity,
        cert_oidc_issuer=issuer,
        trust_config=Path(trust_config) if trust_config else None,
        instance=instance,
    )


def signing_flags(func: F) -> F:
    """The signing options every command that signs takes, in one place."""
    flags = [
        click.option(
            "--signing-key",
            type=click.Path(dir_okay=False),
            help="Managed private key.",
        ),
        click.option("--identity-token", help="OIDC token for keyless signing."),
        click.option(
            "--trust-config",
            type=click.Path(dir_okay=False),
            help="Sigstore client trust config.",
        ),
        click.option(
            "--instance",
            type=click.Choice(["staging", "production"]),
            help="Public Sigstore instance, used only when named.",
        ),
    ]
    for flag in reversed(flags):
        func = flag(func)
    return func
