"""Reading what a store has sealed: files of a seal, reference windows, chain tips."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from ledgerlens.store.layout import SealRef, Store

__all__ = [
    "chain_tips_before",
    "locate",
    "read_records",
    "reference_seals",
    "sealed_findings",
]


def locate(store: Store, seal: SealRef, key: str) -> Path:
    """Where the file a seal names under ``key`` is now.

    Files of a current seal live where ``files.json`` says; those of a superseded
    seal were moved, unchanged, to ``STORE/superseded/<seal>/``.
    """
    entry = json.loads((seal.path / "files.json").read_text())[key]
    relative = Path(entry["path"])
    if relative.parts[0] not in ("records", "quarantine"):
        return seal.path / relative
    in_place = store.root / relative
    if in_place.exists():
        return in_place
    return store.root / "superseded" / seal.name / relative.name


def read_records(store: Store, seal: SealRef) -> pl.DataFrame:
    """The accepted records a seal committed."""
    return pl.read_parquet(locate(store, seal, "records"))


def sealed_findings(seal: SealRef) -> dict[str, Any]:
    """The findings a seal committed (before its integrity section was known)."""
    data: dict[str, Any] = json.loads((seal.path / "findings.json").read_text())
    return data


def reference_seals(store: Store, day: date, count: int) -> list[SealRef]:
    """The ``count`` most recent passing days sealed before ``day``, newest first."""
    chosen = []
    for seal_day, seal in sorted(store.current_seals().items(), reverse=True):
        if seal_day >= day:
            continue
        if sealed_findings(seal).get("verdict") == "pass":
            chosen.append(seal)
        if len(chosen) == count:
            break
    return chosen


def chain_tips_before(store: Store, day: date) -> dict[str, Any]:
    """Producer chain tips after the latest day sealed before ``day``."""
    earlier = [s for d, s in store.current_seals().items() if d < day]
    if not earlier:
        return {}
    latest = max(earlier, key=lambda s: s.day)
    tips: dict[str, Any] = json.loads((latest.path / "chain-tips.json").read_text())
    return tips
