"""Sealing: the log grows by each day, nothing sealed is rewritten, crashes leave
no half-sealed day."""

from __future__ import annotations

import json
import os
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from ledgerlens.errors import StoreError
from ledgerlens.integrity.checkpoint import Checkpoint
from ledgerlens.integrity.leaf import leaf_hashes, manifest_leaf_bytes
from ledgerlens.integrity.merkle import leaf_hash, root_of
from ledgerlens.record import commit_text, empty_frame, messages_text, records_frame
from ledgerlens.store import (
    AlreadySealed,
    DayContents,
    create_store,
    open_store,
    seal_day,
    store_lock,
)
from ledgerlens.store.reader import read_records


def _records(day: date, count: int) -> pl.DataFrame:
    rows = []
    for index in range(count):
        start = datetime(day.year, day.month, day.day, 1, tzinfo=UTC) + timedelta(
            minutes=count - index  # written out of order on purpose
        )
        text = messages_text(
            [
                {
                    "role": "user",
                    "parts": [{"type": "text", "content": f"question {index}"}],
                }
            ]
        )
        sha, salt, commitment = commit_text(text)
        rows.append(
            {
                "record_id": f"r-{day.isoformat()}-{index:03d}",
                "ts_start": start,
                "ts_end": start + timedelta(milliseconds=120),
                "latency_ms": 120.0,
                "model": "m",
                "provider": "p",
                "status": "ok",
                "input_text": text,
                "input_sha256": sha,
                "input_salt": salt,
                "input_commitment": commitment,
                "source_sha256": "ab" * 32,
                "tokens_in": index,
                "retrieval": [],
                "policy_results": [],
            }
        )
    return records_frame(rows)


def _contents(day: date, count: int) -> DayContents:
    return DayContents(
        day=day,
        records=_records(day, count),
        lineage=empty_frame(),
        side_units=[],
        findings={"verdict": "pass", "date": day.isoformat()},
        inputs=[{"uri": "file:///x", "sha256": "cd" * 32, "bytes": 1}],
        counts={"read": count, "accepted": count},
        chain_tips={},
    )


@pytest.fixture
def store(tmp_path: Path):  # type: ignore[no-untyped-def]
    return create_store(tmp_path / "store", origin="ledgerlens/test")


def test_a_day_is_its_records_in_leaf_order_plus_a_manifest(store) -> None:  # type: ignore[no-untyped-def]
    result = seal_day(store, _contents(date(2026, 11, 23), 5))

    sealed = read_records(store, result.seal)
    assert sealed["ts_start"].is_sorted()
    leaves = (result.seal.path / "leaves.bin").read_bytes()
    manifest = json.loads((result.seal.path / "manifest.json").read_text())
    expected = leaf_hashes(sealed.iter_rows(named=True))
    expected.append(leaf_hash(manifest_leaf_bytes(manifest)))
    assert leaves == b"".join(expected)
    assert result.checkpoint.tree_size == 6
    assert result.checkpoint.root == root_of(expected)
    assert manifest["leaf_range"] == [0, 5]


def test_a_day_given_as_files_seals_exactly_as_the_same_day_in_memory(
    tmp_path: Path,
) -> None:
    day = date(2026, 11, 23)
    in_memory = _contents(day, 40)
    work = tmp_path / "work"
    work.mkdir()
    in_memory.records.write_parquet(work / "records.parquet")
    empty_frame().write_parquet(work / "lineage.parquet")
    (work / "side.jsonl").write_bytes(b'{"outcome": "quarantined", "b": 1}\n')
    from_files = DayContents(
        **{
            **in_memory.__dict__,
            "records": work / "records.parquet",
            "lineage": work / "lineage.parquet",
            "side_units": work / "side.jsonl",
        }
    )
    frame_store = create_store(tmp_path / "a", origin="ledgerlens/test")
    file_store = create_store(tmp_path / "b", origin="ledgerlens/test")

    by_frame = seal_day(frame_store, in_memory)
    by_file = seal_day(file_store, from_files)

    assert by_file.checkpoint.root != by_frame.checkpoint.root  # other side units
    leaves = (by_file.seal.path / "leaves.bin").read_bytes()
    assert leaves[:-32] == (by_frame.seal.path / "leaves.bin").read_bytes()[:-32]
    assert read_records(file_store, by_file.seal).equals(
        read_records(frame_store, by_frame.seal)
    )
    quarantine = file_store.root / "quarantine/date=2026-11-23/units-000001.jsonl"
    assert quarantine.read_bytes() == b'{"b":1,"outcome":"quarantined"}\n'


def test_the_second_day_extends_the_same_log(store) -> None:  # type: ignore[no-untyped-def]
    first = seal_day(store, _contents(date(2026, 11, 23), 3))
    second = seal_day(store, _contents(date(2026, 11, 24), 4))

    all_leaves = (first.seal.path / "leaves.bin").read_bytes() + (
        second.seal.path / "leaves.bin"
    ).read_bytes()
    hashes = [all_leaves[i : i + 32] for i in range(0, len(all_leaves), 32)]
    assert second.checkpoint.tree_size == 9
    assert second.checkpoint.root == root_of(hashes)
    assert second.checkpoint.prev_size == 4
    assert second.checkpoint.prev_root == first.checkpoint.root
    parsed = Checkpoint.parse((second.seal.path / "checkpoint.note").read_bytes())
    assert parsed == second.checkpoint


def test_an_empty_day_is_sealed_too(store) -> None:  # type: ignore[no-untyped-def]
    result = seal_day(store, _contents(date(2026, 11, 23), 0))

    assert result.records == 0
    assert result.checkpoint.tree_size == 1


def test_a_sealed_day_is_not_sealed_again_without_reseal(store) -> None:  # type: ignore[no-untyped-def]
    first = seal_day(store, _contents(date(2026, 11, 23), 2))
    other = _contents(date(2026, 11, 23), 2)
    other = DayContents(
        **{
            **other.__dict__,
            "inputs": [{"uri": "file:///y", "sha256": "ef" * 32, "bytes": 1}],
        }
    )

    # The same inputs again (a concurrent run that waited for the lock): reused.
    with pytest.raises(AlreadySealed) as same:
        seal_day(store, _contents(date(2026, 11, 23), 2))
    with pytest.raises(StoreError, match=r"already sealed \(000001-2026-11-23\)"):
        seal_day(store, other)

    assert same.value.seal == first.seal
    assert len(store.seals()) == 1


def test_a_reseal_supersedes_and_keeps_the_old_files(store) -> None:  # type: ignore[no-untyped-def]
    old = seal_day(store, _contents(date(2026, 11, 23), 2))
    old_part = store.root / "records" / "date=2026-11-23" / "part-000001.parquet"
    old_bytes = old_part.read_bytes()

    new = seal_day(store, _contents(date(2026, 11, 23), 3), reseal=True)

    kept = store.root / "superseded" / old.seal.name / "part-000001.parquet"
    assert kept.read_bytes() == old_bytes
    assert not old_part.exists()
    assert store.current_seals()[date(2026, 11, 23)] == new.seal
    assert json.loads((new.seal.path / "manifest.json").read_text())["supersedes"] == (
        old.seal.name
    )
    assert new.checkpoint.tree_size == 3 + 4


def test_files_no_seal_names_move_to_orphans(store) -> None:  # type: ignore[no-untyped-def]
    # What a crash between placing the Parquet and the commit rename leaves behind.
    stray = store.root / "records" / "date=2026-11-23" / "part-000001.parquet"
    stray.parent.mkdir(parents=True)
    stray.write_bytes(b"half written")

    result = seal_day(store, _contents(date(2026, 11, 24), 1))

    assert result.seal.seq == 1
    assert (
        store.root / "orphans" / "date=2026-11-23-part-000001.parquet"
    ).read_bytes() == b"half written"


def test_a_held_lock_names_its_holder(store) -> None:  # type: ignore[no-untyped-def]
    with store_lock(store.root), pytest.raises(StoreError, match=f"pid {os.getpid()}"):
        seal_day(store, _contents(date(2026, 11, 23), 1))


def test_the_descriptor_fixes_origin_and_zone(store) -> None:  # type: ignore[no-untyped-def]
    reopened = open_store(store.root)

    assert (reopened.origin, reopened.day_tz, reopened.leaf_version) == (
        "ledgerlens/test",
        "UTC",
        1,
    )
