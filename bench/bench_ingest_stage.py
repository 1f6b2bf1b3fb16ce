"""Benchmark: the ingest stage alone on one day, in this process.

    .venv/bin/python bench/bench_ingest_stage.py LOGS [--date 2026-11-24]

Prints wall and CPU seconds and the process's peak RSS. Use a day made by
bench/bench_audit.py (it keeps its files under --work).
"""

from __future__ import annotations

import argparse
import resource
import shutil
import tempfile
import time
from datetime import date
from pathlib import Path

from ledgerlens.engine import audit
from ledgerlens.engine.spec import AuditSpec


def main() -> None:
    """Run stage_ingest on LOGS with a fresh store and print the figures."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("logs")
    parser.add_argument("--date", default="2026-11-24")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="ledgerlens-bench-"))
    spec = AuditSpec(day=date.fromisoformat(args.date), logs=args.logs,
                     store=str(work / "store"), out=str(work / "out"),
                     run_id="run-bench", no_sign=True)
    started, cpu = time.perf_counter(), time.process_time()
    summary = audit.stage_ingest(spec)
    wall, used = time.perf_counter() - started, time.process_time() - cpu
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"ingest wall {wall:.0f} s, cpu {used:.0f} s, peak rss {peak:.0f} MB, "
          f"counts {summary['counts']}")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
