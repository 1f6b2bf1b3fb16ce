"""Errors ledgerlens raises for its users, one base class per layer.

Every error carries the exit code the CLI returns for it and a remedy sentence.
The CLI is the single place that catches them (``ledgerlens.cli``); the message
is one line, written for the person at the terminal, and holds no prompt or
response text.

Hierarchy::

    LedgerlensError            exit 1 unless a subclass says otherwise
    ├── UsageError             exit 2: bad flags, bad configuration
    ├── StartError             exit 3: no readable input, no store
    ├── IngestError            a source could not be read at all
    ├── StoreError             the store is locked, corrupt or of another format
    ├── IntegrityError         a proof, chain or checkpoint does not verify
    ├── SigningError           signing could not be done (no identity, no key)
    ├── VerificationError      a signature or bundle does not verify
    ├── CheckError             a check suite could not run
    └── ReportError            the report could not be rendered
"""

from __future__ import annotations

__all__ = [
    "CheckError",
    "IngestError",
    "IntegrityError",
    "LedgerlensError",
    "ReportError",
    "SigningError",
    "StartError",
    "StoreError",
    "UsageError",
    "VerificationError",
]


class LedgerlensError(Exception):
    """Base class of every error ledgerlens reports to a user.

    ``remedy`` says what to do about it; the CLI prints it after the message.
    """

    exit_code: int = 1

    def __init__(self, message: str, *, remedy: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.remedy = remedy

    def one_line(self) -> str:
        """The message and its remedy as one line for stderr."""
        if self.remedy:
            return f"{self.message} ({self.remedy})"
        return self.message


class UsageError(LedgerlensError):
    """Bad flags or configuration: exit 2."""

    exit_code = 2


class StartError(LedgerlensError):
    """The work could not start (no readable input, no store): exit 3."""

    exit_code = 3


class IngestError(LedgerlensError):
    """A source could not be read at all (a unit that fails is quarantined)."""

    exit_code = 3


class StoreError(LedgerlensError):
    """The store is locked, of an unknown format, or cannot be written."""

    exit_code = 3


class IntegrityError(LedgerlensError):
    """A Merkle proof, producer chain or checkpoint does not verify."""


class SigningError(LedgerlensError):
    """Signing could not be done: no identity, no key, wrong passphrase."""

    exit_code = 2


class VerificationError(LedgerlensError):
    """A signature, bundle or evidence pack does not verify."""


class CheckError(LedgerlensError):
    """A quality or drift suite could not run (bad suite file, library failure)."""

    exit_code = 2


class ReportError(LedgerlensError):
    """The governance report could not be rendered."""
