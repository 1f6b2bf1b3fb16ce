"""Benchmark: the whole ``ledgerlens audit`` process on one large day.

Generates a day of N records (default 1,000,000) in canonical JSONL and in OTLP
JSON Lines (1,000 spans a line), then for each file:

* runs ``ledgerlens audit`` as a child process (start-up and imports included,
  unsigned, fresh store) and reads its wall time and peak resident memory;
* measures the floor on the same bytes in the same run: orjson parsing plus
  SHA-256 of every line;
* prints both and their ratio.

    .venv/bin/python bench/bench_audit.py [--records 1000000] [--work bench/out]

The format ``ledgerlens-jsonl-by-worker`` is the canonical day split into one
file per producer (worker), each in time order: the shape of a day written by
several processes. Read file after file, its records are not in leaf order, so
sealing has to sort them on disk rather than copy them.

Generated files are kept under --work and reused when their size matches.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import orjson

REPO = Path(__file__).resolve().parents[1]
DAY = date(2026, 11, 24)


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location(
        "fixture_generator", REPO / "data_fixtures" / "generate.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def generate(work: Path, fmt: str, records: int) -> Path:
    """Write (or reuse) the benchmark day in one format."""
    if fmt == "ledgerlens-jsonl-by-worker":
        return by_worker(work, generate(work, "ledgerlens-jsonl", records), records)
    folder = work / f"logs-{fmt}-{records}"
    stamp = folder / ".complete"
    if stamp.exists():
        return next(p for p in folder.iterdir() if not p.name.startswith("."))
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    module = _generator()
    path = folder / module.day_file_name(DAY, fmt)
    started = time.perf_counter()
    module.stream_day(path, day=DAY, records=records, seed=1, fmt=fmt,
                      spans_per_line=1000)
    print(f"generated {path.name}: {path.stat().st_size / 1e6:.0f} MB "
          f"in {time.perf_counter() - started:.0f} s", flush=True)
    stamp.touch()
    return path


def by_worker(work: Path, day: Path, records: int) -> Path:
    """Split a canonical day into one time-ordered file per producer chain."""
    folder = work / f"logs-ledgerlens-jsonl-by-worker-{records}"
    stamp = folder / ".complete"
    if stamp.exists():
        return folder
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    handles = {}
    with day.open("rb") as source:
        for line in source:
            worker = orjson.loads(line)["chain_id"].replace("/", "_")
            if worker not in handles:
                handles[worker] = (folder / f"{worker}.jsonl").open("wb")
            handles[worker].write(line)
    for handle in handles.values():
        handle.close()
    print(f"split {day.name} into {len(handles)} worker files", flush=True)
    stamp.touch()
    return folder


def floor_seconds(path: Path) -> float:
    """orjson parse and SHA-256 of every line of the file(s), in this process."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    started = time.perf_counter()
    for file in files:
        with file.open("rb") as handle:
            for line in handle:
                orjson.loads(line)
                hashlib.sha256(line).digest()
    return time.perf_counter() - started


def size_mb(path: Path) -> float:
    """Bytes of the file, or of the files in the folder, in MB."""
    files = sorted(path.glob("*.jsonl")) if path.is_dir() else [path]
    return sum(f.stat().st_size for f in files) / 1e6


def memory_cgroup(limit_mb: int) -> Path:
    """A cgroup (v1 memory controller or v2) capping memory at ``limit_mb``.

    The child joins it before it starts, so going over the cap kills it: a run
    that finishes under a cap smaller than its input read the day in bounded
    memory. Needs a writable cgroup filesystem (root in a container, say).
    """
    v1 = Path("/sys/fs/cgroup/memory")
    if v1.is_dir():
        group = v1 / "ledgerlens-bench"
        group.mkdir(exist_ok=True)
        (group / "memory.limit_in_bytes").write_text(str(limit_mb << 20))
        return group
    group = Path("/sys/fs/cgroup/ledgerlens-bench")
    group.mkdir(exist_ok=True)
    (group / "memory.max").write_text(str(limit_mb << 20))
    (group / "memory.swap.max").write_text("0")
    return group


def audit_process(
    path: Path, work: Path, cgroup: Path | None = None
) -> tuple[float, float, int]:
    """Wall seconds, peak RSS (MB) and exit code of one ``ledgerlens audit``."""
    store, out = work / "store", work / "out"
    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    command = [str(REPO / ".venv" / "bin" / "ledgerlens"), "audit", "--logs", str(path),
               "--date", DAY.isoformat(), "--store", str(store), "--out", str(out),
               "--no-sign"]
    log = work / "audit.log"
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    with log.open("w") as sink:
        def join_cgroup() -> None:
            if cgroup is not None:
                (cgroup / "cgroup.procs").write_text(str(os.getpid()))

        child = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT,
                                 env={**os.environ, "DO_NOT_TRACK": "1"},
                                 preexec_fn=join_cgroup)
        # wait4 gives this child's own peak RSS, not the maximum over all children.
        _, status, usage = os.wait4(child.pid, 0)
    elapsed = time.perf_counter() - started
    code = os.waitstatus_to_exitcode(status)
    if code not in (0, 1):
        print(log.read_text()[-2000:], file=sys.stderr)
    return elapsed, usage.ru_maxrss / 1024, code


def main() -> None:
    """Run the benchmark for both formats and print one JSON line each."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--work", type=Path, default=REPO / "bench" / "out")
    parser.add_argument("--formats", default="ledgerlens-jsonl,otlp-jsonl")
    parser.add_argument("--memory-limit-mb", type=int,
                        help="run each audit in a memory cgroup of this size")
    args = parser.parse_args()
    cgroup = memory_cgroup(args.memory_limit_mb) if args.memory_limit_mb else None

    for fmt in args.formats.split(","):
        path = generate(args.work, fmt, args.records)
        floor = floor_seconds(path)
        wall, peak_mb, code = audit_process(path, args.work / f"run-{fmt}", cgroup)
        print(json.dumps({
            "format": fmt,
            "records": args.records,
            "file_mb": round(size_mb(path), 1),
            "audit_wall_s": round(wall, 1),
            "audit_peak_rss_mb": round(peak_mb),
            "audit_exit": code,
            "memory_limit_mb": args.memory_limit_mb,
            "floor_s": round(floor, 1),
            "ratio_to_floor": round(wall / floor, 1),
            "records_per_s": round(args.records / wall),
        }), flush=True)


if __name__ == "__main__":
    main()
