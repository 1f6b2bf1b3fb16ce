"""Ways to damage a copy of a sealed store, and to forge seals in it."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path

import polars as pl

from ledgerlens.signing import KeySigner, load_private_key
from ledgerlens.store import open_store
from ledgerlens.store.layout import SealRef
from ledgerlens.store.reader import locate
from ledgerlens.store.seal import DayContents, seal_day

Edit = Callable[[pl.DataFrame], pl.DataFrame]


def seal_of(root: Path, name: str) -> SealRef:
    """The seal called ``name`` in the store at ``root``."""
    return next(s for s in open_store(root).seals() if s.name == name)


def part(root: Path, day: str, seq: int) -> Path:
    """The sealed records file of one seal."""
    return root / "records" / f"date={day}" / f"part-{seq:06d}.parquet"


def rewrite_parquet(path: Path, edit: Edit) -> pl.DataFrame:
    """Apply ``edit`` to a Parquet file in place; return the frame before."""
    before = pl.read_parquet(path)
    edit(before).write_parquet(path)
    return before


def contents_of(root: Path, name: str, edit: Edit | None = None) -> DayContents:
    """What a seal committed, read back (optionally with its records edited)."""
    store = open_store(root)
    seal = seal_of(root, name)
    manifest = json.loads((seal.path / "manifest.json").read_text())
    records = pl.read_parquet(locate(store, seal, "records"))
    units = locate(store, seal, "quarantine").read_text().splitlines()
    return DayContents(
        day=seal.day,
        records=edit(records) if edit else records,
        lineage=pl.read_parquet(seal.path / "lineage.parquet"),
        side_units=[json.loads(line) for line in units],
        findings=json.loads((seal.path / "findings.json").read_text()),
        inputs=manifest["inputs"],
        counts=manifest["counts"],
        chain_tips=json.loads((seal.path / "chain-tips.json").read_text()),
    )


def drop_seal(root: Path, name: str) -> None:
    """Remove a seal and the day files it names, as if it never happened."""
    store = open_store(root)
    seal = seal_of(root, name)
    for key in ("records", "quarantine"):
        locate(store, seal, key).unlink()
    shutil.rmtree(seal.path)


def seal_again(
    root: Path, contents: DayContents, key: Path, *, reseal: bool = False
) -> str:
    """Seal ``contents`` into the store, signed with the private ``key``."""
    signer = KeySigner(load_private_key(key, b""))
    result = seal_day(open_store(root), contents, reseal=reseal, sign=signer.sign_blob)
    return result.seal.name
