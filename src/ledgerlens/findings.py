"""Check results and the verdict, shared by every check and by the report.

A check result never holds prompt or response text: only numbers, column names,
method names and record ids.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, Final, Literal

__all__ = [
    "SEVERITIES",
    "CheckKind",
    "CheckResult",
    "Severity",
    "verdict_of",
]

Severity = Literal["blocking", "warning"]
SEVERITIES: Final[tuple[str, ...]] = ("blocking", "warning")
CheckKind = Literal["ingest", "volume", "quality", "drift", "integrity"]


@dataclass(frozen=True)
class CheckResult:
    """The outcome of one check on one day.

    ``details`` holds only JSON-safe numbers, strings naming columns, methods or
    thresholds, and record ids; ``summary`` is one line a reader can act on.
    """

    check_id: str
    kind: CheckKind
    severity: Severity
    passed: bool
    summary: str
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The result as written into ``findings.json``."""
        return {
            "check_id": self.check_id,
            "kind": self.kind,
            "severity": self.severity,
            "passed": self.passed,
            "summary": self.summary,
            "details": dict(self.details),
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CheckResult:
        """Read a result back from ``findings.json``."""
        return cls(
            check_id=data["check_id"],
            kind=data["kind"],
            severity=data["severity"],
            passed=bool(data["passed"]),
            summary=data["summary"],
            details=dict(data.get("details", {})),
        )

    @property
    def blocking_failure(self) -> bool:
        """True when this result alone fails the verdict."""
        return self.severity == "blocking" and not self.passed


def verdict_of(results: Iterable[CheckResult]) -> Literal["pass", "fail"]:
    """``fail`` iff any blocking check failed."""
    return "fail" if any(r.blocking_failure for r in results) else "pass"
