"""Integrity benchmark: seal and re-verify one day, against plain SHA-256.

Run: ``.venv/bin/python bench/bench_integrity.py --records 1000000``

It builds a day of N records shaped like a generated day (ids, times,
latency, tokens, cost, salted text commitments, chain fields; no text), then
times in one process:

* ``sha256``: ``hashlib.sha256`` over the same v1 leaf bytes, prepared
  beforehand, so only hashing is timed (the floor);
* ``hash+merkle``: RFC 9162 leaf hashes of the same prepared bytes and the
  Merkle append (``CompactRange.extend``);
* ``leaves``: v1 leaf bytes from the records plus their leaf hashes and the
  Merkle append (``leaf_hashes`` + ``CompactRange.extend``): the integrity
  work of sealing;
* ``seal``: the whole ``seal_day`` (sort, leaves, Parquet write, fsync,
  checkpoint, commit) into a fresh store, unsigned;
* ``verify-store``: ``verify_store`` on that store (Parquet read, leaf
  recomputation, comparison, file hashes, log rebuild, checkpoint).

It prints records per second and each figure as a fraction of the sha256
speed (1.0 = as fast as hashing the leaf bytes alone). Then it times whole
runs of the light commands in fresh processes (start-up included):
``check-proof`` of one record of that day and ``verify-chain`` of the clean
tampered-fixture file. Their budget is one second each.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import polars as pl

from ledgerlens.integrity.leaf import leaf_bytes_v1, leaf_hashes
from ledgerlens.integrity.merkle import CompactRange, LeafHashes, leaf_hash
from ledgerlens.record import RECORD_SCHEMA
from ledgerlens.store import create_store
from ledgerlens.store.seal import DayContents, seal_day
from ledgerlens.verification import verify_store

_DAY = date(2026, 11, 23)
_CHUNK = 1 << 17  # a multiple of the Merkle block, so appends stay bulk


def _records(count: int) -> pl.DataFrame:
    """A day of ``count`` records in store columns (nulls where a day has none)."""
    i = pl.col("i")
    hex64 = pl.format("{}", i).str.pad_start(64, "0")
    start = pl.lit(_DAY).cast(pl.Datetime("us", "UTC"))
    columns = {
        "record_id": pl.format("support-assistant-20261123-{}", i),
        "trace_id": pl.format("{}", i).str.pad_start(32, "0"),
        "ts_start": start + pl.duration(microseconds=i * 86_000),
        "ts_end": start + pl.duration(microseconds=i * 86_000 + 900_000),
        "latency_ms": 900.0 + (i % 97).cast(pl.Float64),
        "app": pl.lit("support-assistant"),
        "model": pl.lit("gpt-4o-mini"),
        "tokens_in": 300 + i % 50,
        "tokens_out": 120 + i % 30,
        "cost_usd": 0.000123 * (i % 7 + 1).cast(pl.Float64),
        "input_commitment": hex64,
        "output_commitment": hex64.str.replace("^0", "1"),
        "chain_id": pl.lit("support-assistant/pod-a"),
        "chain_seq": i,
        "chain_hash": hex64.str.replace("^0", "2"),
    }
    frame = pl.DataFrame({"i": range(count)}).select(
        (columns[name] if name in columns else pl.lit(None)).cast(dtype).alias(name)
        for name, dtype in RECORD_SCHEMA.items()
    )
    return frame


def _timed(work: Callable[[], Any]) -> tuple[float, Any]:
    began = time.perf_counter()
    result = work()
    return time.perf_counter() - began, result


def _floor_and_merkle(frame: pl.DataFrame) -> tuple[float, float, int]:
    """Seconds to SHA-256 every leaf's bytes; seconds for leaf hashes plus the
    Merkle append over the same prepared bytes; and the bytes' total size."""
    floor, merkle, size = 0.0, 0.0, 0
    log = CompactRange()
    for offset in range(0, frame.height, _CHUNK):
        rows = frame[offset : offset + _CHUNK].iter_rows(named=True)
        data = [leaf_bytes_v1(r) for r in rows]
        size += sum(map(len, data))
        began = time.perf_counter()
        for item in data:
            hashlib.sha256(item).digest()
        floor += time.perf_counter() - began
        began = time.perf_counter()
        log.extend(LeafHashes(b"".join([leaf_hash(item) for item in data])))
        merkle += time.perf_counter() - began
    return floor, merkle, size


def _leaves(frame: pl.DataFrame) -> int:
    log = CompactRange()
    log.extend(LeafHashes(b"".join(leaf_hashes(frame.iter_rows(named=True)))))
    return log.size


def _seal(root: Path, frame: pl.DataFrame) -> Any:
    from cryptography.hazmat.primitives.asymmetric import ec

    from ledgerlens.signing import KeySigner
    from ledgerlens.signing.keys import public_key_pem

    key = ec.generate_private_key(ec.SECP256R1())
    (root / "bench.pub").write_bytes(public_key_pem(key.public_key()))
    store = create_store(root / "store", origin="bench/integrity")
    contents = DayContents(
        day=_DAY,
        records=frame,
        lineage=pl.DataFrame(),
        side_units=[],
        findings={"kind": "bench"},
        inputs=[],
        counts={"read": frame.height, "accepted": frame.height},
        chain_tips={},
    )
    seal_day(store, contents, sign=KeySigner(key).sign_blob)
    return store


def _command_seconds(*args: str) -> float:
    began = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "ledgerlens", *args],
        check=True,
        capture_output=True,
    )
    return time.perf_counter() - began


def _light_commands(root: Path, frame: pl.DataFrame) -> list[tuple[str, float]]:
    proof = root / "proof.json"
    record_id = str(frame["record_id"][frame.height // 2])
    store = str(root / "store")
    prove = _command_seconds(
        "prove", "--store", store, "--record-id", record_id, "--out", str(proof)
    )
    check = _command_seconds(
        "check-proof", str(proof), "--key", str(root / "bench.pub")
    )
    fixture = Path(__file__).parents[1] / "data_fixtures/tampered/original.jsonl"
    chain = _command_seconds("verify-chain", str(fixture))
    return [("prove", prove), ("check-proof", check), ("verify-chain", chain)]


def main() -> None:
    """Run the benchmark and print one line per measurement."""
    parser = argparse.ArgumentParser(description="seal and verify-store timings")
    parser.add_argument("--records", type=int, default=1_000_000)
    count = parser.parse_args().records
    frame = _records(count)

    floor, merkle, size = _floor_and_merkle(frame)
    rows = [("sha256", floor), ("hash+merkle", merkle)]
    rows.append(("leaves", _timed(lambda: _leaves(frame))[0]))
    with tempfile.TemporaryDirectory() as tmp:
        sealed, store = _timed(lambda: _seal(Path(tmp), frame))
        rows.append(("seal", sealed))
        verified, report = _timed(lambda: verify_store(store))
        assert report.ok, report
        rows.append(("verify-store", verified))
        commands = _light_commands(Path(tmp), frame)

    print(f"records: {count:,}; leaf bytes: {size / count:.0f} B on average")
    for name, took in rows:
        print(
            f"{name:13} {took:7.2f} s {count / took:12,.0f} records/s "
            f"{floor / took:6.3f} of sha256 speed"
        )
    for name, took in commands:
        print(f"{name:13} {took:7.2f} s for the whole command, start-up included")


if __name__ == "__main__":
    main()
