"""The rollback target: the last known-good versions in a sealed store.

A version is known-good when every sealed day it answered on passed its audit
(a version seen on one failed day is suspect, even if other apps caused the
failure: the store cannot tell, so neither do we). Among known-good versions
the target is the one seen most recently (then the one introduced last, then
the higher version). This is done per requested model (``model_version``
answers it) and per prompt template id (``prompt_template_version``), since a
store usually serves several. The evidence is every day the target was seen
on, with its seal and checkpoint.
"""

from __future__ import annotations

import logging
import re
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import polars as pl

from ledgerlens.integrity.checkpoint import Checkpoint
from ledgerlens.store import Store, locate, sealed_findings
from ledgerlens.store.layout import SealRef

__all__ = ["EvidenceDay", "RollbackTarget", "VersionTarget", "rollback_target"]

logger = logging.getLogger(__name__)

_COLUMNS = ("model", "model_version", "prompt_template_id", "prompt_template_version")


@dataclass(frozen=True)
class EvidenceDay:
    """One sealed day a target version answered on, with its checkpoint."""

    day: date
    seal: str
    verdict: str
    records: int
    tree_size: int
    root: str
    checkpoint_signed: bool

    def to_json(self) -> dict[str, Any]:
        """The day as printed with ``--json``."""
        return {
            "date": self.day.isoformat(),
            "seal": self.seal,
            "verdict": self.verdict,
            "records": self.records,
            "tree_size": self.tree_size,
            "root": self.root,
            "checkpoint_signed": self.checkpoint_signed,
        }


@dataclass(frozen=True)
class VersionTarget:
    """The known-good version of one model or one prompt template.

    ``version`` is None when every version of it was seen on a failed day;
    ``rejected`` lists those versions with the failed days that ruled them out.
    """

    kind: str
    name: str
    version: str | None
    evidence: tuple[EvidenceDay, ...] = ()
    rejected: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        """The target as printed with ``--json``."""
        return {
            "kind": self.kind,
            "name": self.name,
            "version": self.version,
            "evidence": [day.to_json() for day in self.evidence],
            "rejected": {k: list(v) for k, v in self.rejected.items()},
        }


@dataclass(frozen=True)
class RollbackTarget:
    """Targets for every model and prompt template the store's days hold."""

    models: tuple[VersionTarget, ...]
    templates: tuple[VersionTarget, ...]
    days: int

    @property
    def found(self) -> bool:
        """True when at least one model or template has a known-good version."""
        return any(t.version for t in (*self.models, *self.templates))

    def to_json(self) -> dict[str, Any]:
        """The whole answer as printed with ``--json``."""
        return {
            "days_sealed": self.days,
            "models": [t.to_json() for t in self.models],
            "prompt_templates": [t.to_json() for t in self.templates],
        }


@dataclass
class _Seen:
    """Where one version was seen: day -> records, and that day's verdict."""

    days: dict[date, int] = field(default_factory=dict)


def rollback_target(store: Store) -> RollbackTarget:
    """Find the last known-good model and prompt template versions of ``store``."""
    seals = store.current_seals()
    verdicts: dict[date, str] = {}
    models: dict[str, dict[str, _Seen]] = defaultdict(lambda: defaultdict(_Seen))
    templates: dict[str, dict[str, _Seen]] = defaultdict(lambda: defaultdict(_Seen))
    for day, seal in sorted(seals.items()):
        verdicts[day] = str(sealed_findings(seal).get("verdict", "unknown"))
        frame = _version_columns(store, seal)
        _tally(models, frame, "model", "model_version", day)
        _tally(templates, frame, "prompt_template_id", "prompt_template_version", day)

    return RollbackTarget(
        models=tuple(
            _target("model", name, versions, verdicts, seals)
            for name, versions in sorted(models.items())
        ),
        templates=tuple(
            _target("prompt_template", name, versions, verdicts, seals)
            for name, versions in sorted(templates.items())
        ),
        days=len(seals),
    )


def _version_columns(store: Store, seal: SealRef) -> pl.DataFrame:
    return pl.read_parquet(locate(store, seal, "records"), columns=list(_COLUMNS))


def _tally(
    table: dict[str, dict[str, _Seen]],
    frame: pl.DataFrame,
    name_column: str,
    version_column: str,
    day: date,
) -> None:
    counts = (
        frame.drop_nulls([name_column, version_column])
        .group_by(name_column, version_column)
        .len()
    )
    for name, version, count in counts.rows():
        table[name][version].days[day] = int(count)


def _target(
    kind: str,
    name: str,
    versions: Mapping[str, _Seen],
    verdicts: Mapping[date, str],
    seals: Mapping[date, SealRef],
) -> VersionTarget:
    rejected: dict[str, tuple[str, ...]] = {}
    good: list[tuple[date, date, tuple[Any, ...], str]] = []
    for version, seen in versions.items():
        failed = [d for d in sorted(seen.days) if verdicts[d] != "pass"]
        if failed:
            rejected[version] = tuple(d.isoformat() for d in failed)
        else:
            good.append((max(seen.days), min(seen.days), _natural(version), version))
    if not good:
        return VersionTarget(kind, name, None, (), rejected)

    # Newest: last seen latest, then introduced latest, then the higher version.
    *_, best = max(good)
    evidence = _evidence(versions[best].days, verdicts, seals)
    return VersionTarget(kind, name, best, evidence, rejected)


def _natural(version: str) -> tuple[Any, ...]:
    """A sort key that puts "10" after "9" and "v2.1" after "v2"."""
    parts = re.split(r"(\d+)", version)
    return tuple((0, int(p), "") if p.isdigit() else (1, 0, p) for p in parts if p)


def _evidence(
    days: Mapping[date, int],
    verdicts: Mapping[date, str],
    seals: Mapping[date, SealRef],
) -> tuple[EvidenceDay, ...]:
    return tuple(_evidence_day(d, days[d], verdicts[d], seals[d]) for d in sorted(days))


def _evidence_day(day: date, records: int, verdict: str, seal: SealRef) -> EvidenceDay:
    checkpoint = Checkpoint.parse((seal.path / "checkpoint.note").read_bytes())
    return EvidenceDay(
        day=day,
        seal=seal.name,
        verdict=verdict,
        records=records,
        tree_size=checkpoint.tree_size,
        root=checkpoint.root.hex(),
        checkpoint_signed=(seal.path / "checkpoint.note.sigstore.json").is_file(),
    )
