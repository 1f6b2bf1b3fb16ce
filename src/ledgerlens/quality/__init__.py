"""Data-quality checks on a day's records, with Great Expectations 1.x.

A quality suite is a versioned JSON file of ours (``checks/quality.json`` is the
default) listing expectations, each with a severity. :func:`run_quality` runs it
on a record frame and returns one :class:`~ledgerlens.findings.CheckResult` per
entry. Text columns never reach Great Expectations, and results carry counts,
percentages and record ids, never values. Great Expectations is imported only
when a suite runs, so importing this package is cheap.
"""

from __future__ import annotations

from ledgerlens.quality._run import run_quality
from ledgerlens.quality._suite import QualitySuite, SuiteEntry, load_suite

__all__ = ["QualitySuite", "SuiteEntry", "load_suite", "run_quality"]
