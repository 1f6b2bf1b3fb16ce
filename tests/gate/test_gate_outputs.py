"""The Markdown summary and JUnit XML, byte for byte, from one decision record."""

from __future__ import annotations

from typing import Any

from ledgerlens.gate import junit_xml, markdown_summary


def _metric(metric: str, unit: str, status: str, **values: Any) -> dict[str, Any]:
    summaries = {
        "latency_p50": "latency_p50: candidate 2,400 ms vs baseline 1,500 ms, "
        "limit 1,725 ms: worse than the margin allows",
        "error_rate": "error_rate: candidate 2.00% vs baseline 2.10%, "
        "limit 4.10%: within the margin",
        "latency_p99": "latency_p99: too few values to test (60 baseline, "
        "60 candidate; 2000 needed)",
    }
    return {
        "metric": metric,
        "kind": "metric",
        "unit": unit,
        "severity": values.get("severity", "blocking"),
        "status": status,
        "baseline": values.get("baseline"),
        "candidate": values.get("candidate"),
        "margin": {"kind": "relative", "value": 0.15, "limit": values.get("limit")},
        "ci": values.get("ci"),
        "p_value": values.get("p"),
        "p_regression_adjusted": values.get("p_reg"),
        "summary": summaries[metric],
    }


def _decision() -> dict[str, Any]:
    p50 = _metric(
        "latency_p50",
        "ms",
        "regression",
        baseline=1500.0,
        candidate=2400.0,
        limit=1725.0,
        ci={"low": 820.0, "high": 980.5},
        p=1.0,
        p_reg=0.0004,
    )
    errors = _metric(
        "error_rate",
        "share",
        "non_inferior",
        baseline=0.021,
        candidate=0.02,
        limit=0.041,
        ci={"low": -0.007, "high": 0.005},
        p=0.00001,
        p_reg=1.0,
    )
    p99 = _metric("latency_p99", "ms", "insufficient", severity="warning")
    return {
        "decision": "block",
        "alpha": 0.05,
        "correction": "holm",
        "policy": {"name": "team-gate", "version": "2.0.1", "sha256": "ab" * 32},
        "pairing": {"design": "unpaired", "key": None, "pairs": 0},
        "inputs": {
            "baseline": {"path": "logs/v1", "records": 3000, "sha256": "11" * 32},
            "candidate": {"path": "logs/v2", "records": 2990, "sha256": "22" * 32},
        },
        "metrics": [p50, errors, p99],
        "reasons": [p50],
        "drift": {
            "columns": [
                {
                    "column": "model_version",
                    "method": "jensenshannon",
                    "score": 0.4321,
                    "threshold": 0.1,
                    "drifted": True,
                    "blocking": True,
                },
                {
                    "column": "status",
                    "method": "jensenshannon",
                    "score": 0.01,
                    "threshold": 0.1,
                    "drifted": False,
                    "blocking": False,
                },
            ]
        },
        "quality": {
            "baseline": [
                {"check_id": "no-data", "severity": "blocking", "passed": True}
            ],
            "candidate": [
                {"check_id": "latency-ms-range", "severity": "warning", "passed": False}
            ],
        },
    }


EXPECTED_MARKDOWN = """\
## ledgerlens gate: BLOCK

Candidate `logs/v2` (2990 records) against baseline `logs/v1` (3000 records); \
unpaired comparison; policy `team-gate` 2.0.1; alpha 0.05 (bounds at 95% each \
side), holm correction.

| metric | severity | result | baseline | candidate | limit \
| difference, 95% bounds | p-value |
|---|---|---|---:|---:|---:|---|---:|
| latency_p50 | blocking | REGRESSION | 1,500 ms | 2,400 ms | 1,725 ms \
| [+820 ms, +980 ms] | 1.0000 |
| error_rate | blocking | pass | 2.10% | 2.00% | 4.10% | [-0.70 pt, +0.50 pt] \
| <0.0001 |
| latency_p99 | warning | too few values | \u2014 | \u2014 | \u2014 | \u2014 | \u2014 |

**Why:**

- latency_p50: candidate 2,400 ms vs baseline 1,500 ms, limit 1,725 ms: worse \
than the margin allows

Drift: model_version (jensenshannon 0.432 > 0.1, blocking).

Data quality failures: candidate latency-ms-range (warning).

Decision record: `gate-decision.json` (sha256 of baseline `1111111111111111`, \
candidate `2222222222222222`, policy `abababababababab`).
"""

EXPECTED_JUNIT = """\
<?xml version="1.0" encoding="UTF-8"?>
<testsuites name="ledgerlens gate" tests="4" failures="2" errors="0" skipped="0">
  <testsuite name="ledgerlens-gate.team-gate" tests="4" failures="2" errors="0" \
skipped="0">
    <testcase classname="ledgerlens.gate" name="latency_p50">
      <failure type="regression" message="latency_p50: candidate 2,400 ms vs \
baseline 1,500 ms, limit 1,725 ms: worse than the margin allows">latency_p50: \
candidate 2,400 ms vs baseline 1,500 ms, limit 1,725 ms: worse than the margin \
allows; p-value 1.0000, regression p-value (adjusted) 0.0004</failure>
    </testcase>
    <testcase classname="ledgerlens.gate" name="error_rate" />
    <testcase classname="ledgerlens.gate" name="latency_p99">
      <system-out>warning only: latency_p99: too few values to test (60 \
baseline, 60 candidate; 2000 needed); p-value \u2014, regression p-value \
(adjusted) \u2014</system-out>
    </testcase>
    <testcase classname="ledgerlens.gate" name="drift.model_version">
      <failure type="drift" message="model_version drifted: jensenshannon \
0.432 &gt; 0.1" />
    </testcase>
  </testsuite>
</testsuites>
"""


def test_markdown_summary_exact() -> None:
    assert markdown_summary(_decision()) == EXPECTED_MARKDOWN


def test_junit_exact() -> None:
    assert junit_xml(_decision()) == EXPECTED_JUNIT


def test_junit_skips_an_untestable_blocking_metric() -> None:
    decision = _decision()
    decision["metrics"][2]["severity"] = "blocking"

    xml = junit_xml(decision)

    assert 'skipped="1"' in xml
    assert (
        '<skipped message="latency_p99: too few values to test (60 baseline, '
        '60 candidate; 2000 needed)" />' in xml
    )
