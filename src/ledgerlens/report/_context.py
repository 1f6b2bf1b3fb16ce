"""What the templates are given: the findings, plus views derived from them.

Templates only lay out. Everything that takes a decision (which checks failed,
what order rows come in, how many rows fit before "and N more") is made here,
in Python, where it is typed and tested. The findings hold no prompt or
response text, and nothing here adds any: rows point at record ids.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final

from ledgerlens.errors import ReportError
from ledgerlens.findings import CheckResult, verdict_of
from ledgerlens.report.charts import (
    DriftBar,
    drift_chart_svg,
    outcome_chart_svg,
    records_per_day_svg,
    svg_data_uri,
)

__all__ = [
    "OUTCOMES",
    "audit_view",
    "format_number",
    "gate_view",
    "pdf_timestamp",
    "range_view",
]

logger = logging.getLogger(__name__)

OUTCOMES = (
    "accepted",
    "merged",
    "duplicate",
    "lineage_only",
    "out_of_day",
    "quarantined",
)
_KIND_ORDER = ("ingest", "volume", "quality", "drift", "integrity")
_LINEAGE = (
    ("providers", "Providers"),
    ("models", "Models requested"),
    ("model_versions", "Model versions answered"),
    ("prompt_templates", "Prompt template versions"),
    ("retrieval_sources", "Retrieval sources"),
)
# Past these, a table shows the largest rows and says how many were left out;
# findings.json keeps them all.
_MAX_LINEAGE_ROWS = 40
_MAX_PROBLEMS = 25
_MAX_RECORD_IDS = 6
_MAX_DETAIL_TEXT = 80


def audit_view(findings: Mapping[str, Any]) -> dict[str, Any]:
    """The derived views for a nightly-audit report."""
    counts = findings["counts"]
    _check_verdict(findings)
    checks = [_check_row(check) for check in _by_kind(findings["checks"])]
    outcomes = {name: int(counts[name]) for name in OUTCOMES}
    return {
        "verdict": _verdict(findings),
        "blocking_failures": [c for c in checks if c["blocking_failure"]],
        "warning_failures": [
            c for c in checks if not c["passed"] and not c["blocking_failure"]
        ],
        "checks": checks,
        "outcomes": list(outcomes.items()),
        "outcome_chart": svg_data_uri(outcome_chart_svg(outcomes)),
        "quarantine_reasons": _ranked(counts["quarantine_reasons"]),
        "drift_chart": svg_data_uri(drift_chart_svg(_drift_bars(findings))),
        "drifted": [c["column"] for c in findings["drift"]["columns"] if c["drifted"]],
        "chains": [_chain_row(chain) for chain in findings["integrity"]["chains"]],
        "lineage": _lineage_sections(findings["lineage"]),
    }


def range_view(findings: Mapping[str, Any]) -> dict[str, Any]:
    """The derived views for a regulatory (date range) report."""
    days = sorted(findings["days"], key=lambda day: str(day["date"]))
    failed = [day for day in days if day["verdict"] != "pass"]
    unverified = [day for day in days if not day["reverified"]]
    bars: list[tuple[str, int | None, bool]] = [
        (str(d["date"]), int(d["records"]), d["verdict"] == "pass") for d in days
    ]
    bars += [(str(date), None, False) for date in findings["missing_days"]]
    return {
        "verdict": _verdict(findings),
        "days": days,
        "failed_days": failed,
        "unverified_days": unverified,
        "records": sum(int(day["records"]) for day in days),
        "records_chart": svg_data_uri(records_per_day_svg(sorted(bars))),
        "totals": _scalar_items(findings["totals"]),
        "quarantine_reasons": _ranked(
            findings["totals"].get("quarantine_reasons") or {}
        ),
        "lineage": _lineage_sections(findings["lineage"]),
    }


def gate_view(findings: Mapping[str, Any]) -> dict[str, Any]:
    """The derived views for a promotion-gate report.

    ``verdict`` is the decision word (promote, block, hold), which the gate
    template styles itself; metric values are formatted by their unit here.
    """
    from ledgerlens.gate.outputs import display

    decision = findings["decision"]
    if decision not in ("promote", "block", "hold"):
        msg = f"gate findings carry an unknown decision {decision!r}"
        raise ReportError(msg, remedy="regenerate the decision record")
    rows = [
        {
            **row,
            "baseline_text": display(row["baseline"], row["unit"]),
            "candidate_text": display(row["candidate"], row["unit"]),
            "limit_text": display(row["margin"]["limit"], row["unit"]),
            "margin_text": _margin_text(row),
        }
        for row in findings["metrics"]
    ]
    return {
        "verdict": decision,
        "metrics": rows,
        "drifted": [c for c in findings["drift"]["columns"] if c["drifted"]],
        "quality_failures": [
            (side, check)
            for side in ("baseline", "candidate")
            for check in findings["quality"][side]
            if not check["passed"]
        ],
    }


def _margin_text(row: Mapping[str, Any]) -> str:
    """A metric's margin as a reader says it: "+15%" or "+2.00 pt"."""
    margin = row["margin"]
    if margin["kind"] == "relative":
        return f"+{margin['value'] * 100:g}%"
    if row["unit"] == "share":
        return f"+{margin['value'] * 100:.2f} pt"
    return f"+{margin['value']:g} {row['unit']}"


def format_number(value: Any, digits: int | None = None) -> str:
    """A number for a table cell: thousands separated, a dash for None.

    ``digits`` fixes the decimals of a float; without it floats keep up to four
    significant digits, which suits drift scores and latencies alike.
    """
    if value is None:
        return "\u2014"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:,.{digits}f}" if digits is not None else f"{value:,.4g}"
    return str(value)


def pdf_timestamp(generated_at: str) -> str:
    """``generated_at`` as the second-precision UTC W3C date WeasyPrint reads.

    The PDF's creation and modification dates come from the findings, not from
    the clock, so the same findings give the same bytes.
    """
    try:
        moment = datetime.fromisoformat(generated_at.replace("Z", "+00:00"))
    except ValueError as exc:
        msg = f"findings `generated_at` is not an RFC 3339 time: {generated_at!r}"
        raise ReportError(msg, remedy="regenerate the findings") from exc
    if moment.tzinfo is None:
        msg = "findings `generated_at` has no UTC offset"
        raise ReportError(msg, remedy="regenerate the findings")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _verdict(findings: Mapping[str, Any]) -> str:
    """The run's verdict, which must be one of the two the design allows."""
    verdict = findings["verdict"]
    if verdict not in ("pass", "fail"):
        msg = f"findings carry an unknown verdict {verdict!r}"
        raise ReportError(msg, remedy="regenerate the findings")
    return str(verdict)


def _check_verdict(findings: Mapping[str, Any]) -> None:
    """Refuse a nightly verdict that its own checks contradict.

    A signed report must not show PASS above a failed blocking check; the
    verdict fails if and only if a blocking check fails.
    """
    results = [CheckResult.from_json(check) for check in findings["checks"]]
    if verdict_of(results) != _verdict(findings):
        msg = f"findings verdict {findings['verdict']!r} contradicts their checks"
        raise ReportError(msg, remedy="regenerate the findings")


def _by_kind(checks: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    """Checks grouped in pipeline order; within a kind, as the run wrote them."""

    def rank(check: Mapping[str, Any]) -> int:
        kind = check["kind"]
        return _KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER)

    return sorted(checks, key=rank)


# Suite identity and prose repeat on every quality row; the provenance appendix
# and findings.json carry them once.
_SAME_ON_EVERY_ROW: Final = frozenset(
    {"suite", "suite_version", "suite_sha256", "description", "expectation"}
)


def _check_row(check: Mapping[str, Any]) -> dict[str, Any]:
    """One check as a table row: ids and numbers only, long lists cut short."""
    details = {
        key: value
        for key, value in check.get("details", {}).items()
        if key not in _SAME_ON_EVERY_ROW
    }
    record_ids = [str(rid) for rid in details.pop("record_ids", None) or []]
    unexpected = details.pop("unexpected_count", None)
    scalars = [(key, _short(value)) for key, value in _scalar_items(details)]
    scalars.sort()
    return {
        "check_id": check["check_id"],
        "kind": check["kind"],
        "severity": check["severity"],
        "passed": bool(check["passed"]),
        "blocking_failure": check["severity"] == "blocking" and not check["passed"],
        "summary": check["summary"],
        "unexpected": unexpected,
        "record_ids": record_ids[:_MAX_RECORD_IDS],
        "more_record_ids": max(0, len(record_ids) - _MAX_RECORD_IDS),
        "details": scalars,
    }


def _short(value: Any) -> str:
    """A detail value for a cell, cut so one odd value cannot break the layout."""
    text = format_number(value)
    if len(text) > _MAX_DETAIL_TEXT:
        return text[: _MAX_DETAIL_TEXT - 1] + "\u2026"
    return text


def _drift_bars(findings: Mapping[str, Any]) -> list[DriftBar]:
    """The drift columns as chart bars, in the order the run checked them."""
    return [
        DriftBar(
            column=str(col["column"]),
            score=None if col["score"] is None else float(col["score"]),
            threshold=float(col["threshold"]),
            drifted=bool(col["drifted"]),
        )
        for col in findings["drift"]["columns"]
    ]


def _chain_row(chain: Mapping[str, Any]) -> dict[str, Any]:
    """A producer chain with at most a page's worth of its problems."""
    problems = list(chain["problems"])
    shown = problems[:_MAX_PROBLEMS]
    return {
        **chain,
        "problems": shown,
        "more_problems": chain.get("problem_count", len(problems)) - len(shown),
    }


def _lineage_sections(lineage: Mapping[str, Any]) -> list[dict[str, Any]]:
    """One titled table per lineage dimension, largest counts first."""
    sections = []
    for key, title in _LINEAGE:
        rows = _ranked(lineage.get(key, {}))
        shown = rows[:_MAX_LINEAGE_ROWS]
        sections.append(
            {
                "key": key,
                "title": title,
                "rows": shown,
                "more_rows": len(rows) - len(shown),
                "more_count": sum(count for _, count in rows[len(shown) :]),
            }
        )
    return sections


def _scalar_items(mapping: Mapping[str, Any]) -> list[tuple[str, Any]]:
    """The entries of ``mapping`` that fit one table cell, in their order."""
    return [
        (str(key), value)
        for key, value in mapping.items()
        if isinstance(value, str | int | float | bool) or value is None
    ]


def _ranked(counts: Mapping[str, Any]) -> list[tuple[str, int]]:
    """``(name, count)`` pairs, largest count first, then by name."""
    pairs = [(str(name), int(count)) for name, count in counts.items()]
    return sorted(pairs, key=lambda pair: (-pair[1], pair[0]))
