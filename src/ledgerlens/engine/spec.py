"""What one audit run is asked to do, as a small serialisable value.

Flows pass this between tasks (never data frames). It holds no secret: an
identity token or key passphrase reaches the signing stage through the process
environment, so it never lands in Prefect's database.
"""

from __future__ import annotations

import dataclasses
import secrets
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

__all__ = ["AuditSpec", "new_run_id"]


def new_run_id(now: datetime | None = None) -> str:
    """A run id that sorts by time and is unique: ``run-<UTC time>-<random>``."""
    now = now or datetime.now(UTC)
    return f"run-{now.strftime('%Y%m%dT%H%M%SZ')}-{secrets.token_hex(4)}"


@dataclass(frozen=True)
class AuditSpec:
    """The inputs of one nightly audit of one day."""

    day: date
    logs: str
    store: str
    out: str
    run_id: str
    origin: str = "ledgerlens/default"
    day_tz: str = "UTC"
    reference_days: int = 7
    reference: str | None = None
    naive_tz: str | None = None
    format: str | None = None
    checks_dir: str | None = None
    templates_dir: str | None = None
    signing_key: str | None = None
    trust_config: str | None = None
    instance: str | None = None
    no_sign: bool = False
    reseal: bool = False
    strict: bool = False
    allow_empty: bool = False

    @property
    def out_dir(self) -> Path:
        """``OUT/D``: where this run's artefacts go."""
        return Path(self.out) / self.day.isoformat()

    @property
    def work_dir(self) -> Path:
        """Scratch space between stages, removed when the run ends."""
        return self.out_dir / f".work-{self.run_id}"

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe form (for Prefect parameters)."""
        data = dataclasses.asdict(self)
        data["day"] = self.day.isoformat()
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> AuditSpec:
        """Read the JSON-safe form back."""
        return cls(**{**data, "day": date.fromisoformat(data["day"])})
