"""The store on disk: its descriptor file, its folders, and the seals in it.

::

    STORE/ledgerlens-store.json          format, origin, day_tz, leaf version
    STORE/records/date=D/part-<seq>.parquet
    STORE/quarantine/date=D/units-<seq>.jsonl
    STORE/seals/<seq>-<D>/               checkpoint, manifest, findings, leaves
    STORE/superseded/<seq>-<D>/          what a reseal replaced, kept
    STORE/staging/                       seals being built (never read)

A seal directory is the unit of commit: it appears by one ``rename`` and is never
written again. Everything else a seal names is checked against the sha256 its
manifest holds.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Final
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ledgerlens.errors import StartError, StoreError, UsageError

__all__ = [
    "DESCRIPTOR",
    "SealRef",
    "Store",
    "create_store",
    "open_store",
]

DESCRIPTOR: Final = "ledgerlens-store.json"
STORE_FORMAT: Final = "ledgerlens-store"
STORE_VERSION: Final = 1
LEAF_VERSION: Final = 1
_SEAL_NAME = re.compile(r"^(\d{6})-(\d{4}-\d{2}-\d{2})$")


@dataclass(frozen=True, order=True)
class SealRef:
    """One committed seal: its sequence number, its day, and its directory."""

    seq: int
    day: date
    path: Path

    @property
    def name(self) -> str:
        """The seal's directory name, ``<seq>-<D>``."""
        return self.path.name


@dataclass(frozen=True)
class Store:
    """An opened store: where it is and what its descriptor fixes."""

    root: Path
    origin: str
    day_tz: str
    leaf_version: int

    @property
    def zone(self) -> ZoneInfo:
        """The zone days are cut in."""
        return ZoneInfo(self.day_tz)

    @property
    def seals_dir(self) -> Path:
        """Folder of committed seals."""
        return self.root / "seals"

    def records_dir(self, day: date) -> Path:
        """Folder of the Parquet parts of one day."""
        return self.root / "records" / f"date={day.isoformat()}"

    def quarantine_dir(self, day: date) -> Path:
        """Folder of the quarantined and out-of-day units of one day."""
        return self.root / "quarantine" / f"date={day.isoformat()}"

    def seals(self) -> list[SealRef]:
        """Every committed seal, in seal order."""
        if not self.seals_dir.is_dir():
            return []
        found = []
        for entry in self.seals_dir.iterdir():
            match = _SEAL_NAME.match(entry.name)
            if match and entry.is_dir():
                found.append(
                    SealRef(int(match[1]), date.fromisoformat(match[2]), entry)
                )
        return sorted(found)

    def current_seals(self) -> dict[date, SealRef]:
        """The newest seal of each day (a reseal supersedes the older ones)."""
        current: dict[date, SealRef] = {}
        for seal in self.seals():
            current[seal.day] = seal
        return current

    def descriptor(self) -> dict[str, Any]:
        """The descriptor as written when the store was created."""
        return {
            "format": STORE_FORMAT,
            "version": STORE_VERSION,
            "origin": self.origin,
            "day_tz": self.day_tz,
            "leaf_version": self.leaf_version,
        }


def create_store(root: Path, *, origin: str, day_tz: str = "UTC") -> Store:
    """Create an empty store at ``root`` (which must not hold one already)."""
    _check_zone(day_tz)
    if not origin or "\n" in origin:
        msg = "the store origin must be one non-empty line"
        raise UsageError(msg, remedy="set `origin` in ledgerlens.toml or --origin")
    if (root / DESCRIPTOR).exists():
        msg = f"a store already exists at {root}"
        raise StoreError(msg, remedy="open it instead of creating it")

    root.mkdir(parents=True, exist_ok=True)
    store = Store(root, origin, day_tz, LEAF_VERSION)
    staging = root / f".{DESCRIPTOR}.tmp"
    staging.write_text(json.dumps(store.descriptor(), indent=2) + "\n")
    staging.replace(root / DESCRIPTOR)
    for folder in ("records", "quarantine", "seals", "superseded", "staging"):
        (root / folder).mkdir(exist_ok=True)
    return store


def open_store(root: Path) -> Store:
    """Open an existing store, checking its descriptor."""
    path = root / DESCRIPTOR
    if not path.is_file():
        msg = f"no ledgerlens store at {root}"
        raise StartError(msg, remedy="check --store, or run an audit to create one")
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError) as exc:
        msg = f"the store descriptor {path} cannot be read ({type(exc).__name__})"
        raise StoreError(msg, remedy="restore it from a backup") from exc

    if data.get("format") != STORE_FORMAT or data.get("version") != STORE_VERSION:
        msg = f"{path} is not a version {STORE_VERSION} ledgerlens store"
        raise StoreError(msg, remedy="use the ledgerlens version that wrote it")
    if data.get("leaf_version") != LEAF_VERSION:
        msg = f"{path} uses leaf version {data.get('leaf_version')!r}"
        raise StoreError(
            msg, remedy=f"this ledgerlens writes leaf version {LEAF_VERSION}"
        )
    _check_zone(str(data.get("day_tz")))
    return Store(root, str(data["origin"]), str(data["day_tz"]), LEAF_VERSION)


def _check_zone(name: str) -> None:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        msg = f"`{name}` is not a known time zone"
        raise UsageError(msg, remedy="use an IANA name such as UTC") from exc
