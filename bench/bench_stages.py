"""Benchmark: each audit stage of one day in its own process, with its own peak.

    .venv/bin/python bench/bench_stages.py LOGS [--date 2026-11-24]
        [--stages ingest,check,seal,render] [--work DIR]

Without ``ingest`` in --stages, the later stages run again on the day already
ingested into --work (its store is made afresh).

Runs the stages in order, each in a fresh child process (so each peak RSS is
that stage's own, imports included), passing the day between them through the
run's work folder as ``ledgerlens audit`` does. Prints one JSON line per stage:
wall and CPU seconds and peak RSS. Use a day made by bench/bench_audit.py (it
keeps its files under --work).
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from ledgerlens.engine import audit
from ledgerlens.engine.spec import AuditSpec

STAGES = {
    "ingest": audit.stage_ingest,
    "check": audit.stage_check,
    "seal": audit.stage_seal,
    "render": audit.stage_render,
}


def child(stage: str, spec_json: str) -> None:
    """Run one stage in this process and print its figures as JSON."""
    spec = AuditSpec.from_json(json.loads(spec_json))
    started, cpu = time.perf_counter(), time.process_time()
    STAGES[stage](spec)
    print(json.dumps({
        "stage": stage,
        "wall_s": round(time.perf_counter() - started, 1),
        "cpu_s": round(time.process_time() - cpu, 1),
        "peak_rss_mb": round(
            resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        ),
    }), flush=True)


def main() -> None:
    """Run the chosen stages on LOGS with a fresh store, one process each."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("logs", nargs="?")
    parser.add_argument("--date", default="2026-11-24")
    parser.add_argument("--stages", default="ingest,check,seal,render")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--spec", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child, args.spec)
        return

    work = args.work or Path(tempfile.mkdtemp(prefix="ledgerlens-bench-"))
    stages = args.stages.split(",")
    shutil.rmtree(work / "store", ignore_errors=True)
    if "ingest" in stages:
        shutil.rmtree(work / "out", ignore_errors=True)
    spec = AuditSpec(day=date.fromisoformat(args.date), logs=args.logs,
                     store=str(work / "store"), out=str(work / "out"),
                     run_id="run-bench", no_sign=True)
    if "ingest" not in stages:
        # Later stages again on the ingested day kept in --work, fresh store.
        audit.open_or_create_store(spec)
    for stage in stages:
        subprocess.run(
            [sys.executable, __file__, "--child", stage,
             "--spec", json.dumps(spec.to_json())],
            check=True,
        )
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
