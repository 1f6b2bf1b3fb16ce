"""The gate's outputs for people and for CI: a Markdown summary and JUnit XML.

Both are made from the decision record alone (``gate-decision.json``), so they
can never say something the signed record does not.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Mapping
from typing import Any, Final

__all__ = ["display", "junit_xml", "markdown_summary"]

_STATUS_WORDS: Final = {
    "non_inferior": "pass",
    "regression": "REGRESSION",
    "inconclusive": "inconclusive",
    "insufficient": "too few values",
}


def display(value: float | None, unit: str) -> str:
    """A metric value for a reader: rates in percent, ms and tokens rounded."""
    if value is None:
        return "\u2014"
    if unit == "share":
        return f"{value * 100:.2f}%"
    if unit == "ms":
        return f"{value:,.0f} ms"
    if unit == "USD":
        return f"${value:.6f}"
    return f"{value:,.1f}"


def _difference(value: float | None, unit: str) -> str:
    if value is None:
        return "\u2014"
    if unit == "share":
        return f"{value * 100:+.2f} pt"
    if unit == "ms":
        return f"{value:+,.0f} ms"
    if unit == "USD":
        return f"{value:+.6f}"
    return f"{value:+,.1f}"


def _interval(reason: Mapping[str, Any]) -> str:
    ci = reason.get("ci")
    if not ci:
        return "\u2014"
    unit = reason["unit"]
    low, high = _difference(ci["low"], unit), _difference(ci["high"], unit)
    return f"[{low}, {high}]"


def _p(value: float | None) -> str:
    if value is None:
        return "\u2014"
    return "<0.0001" if value < 0.0001 else f"{value:.4f}"


def markdown_summary(decision: Mapping[str, Any]) -> str:
    """A Markdown summary fit for a CI job summary (GitHub ``$GITHUB_STEP_SUMMARY``)."""
    policy = decision["policy"]
    inputs = decision["inputs"]
    lines = [
        f"## ledgerlens gate: {decision['decision'].upper()}",
        "",
        f"Candidate `{inputs['candidate']['path']}` "
        f"({inputs['candidate']['records']} records) against baseline "
        f"`{inputs['baseline']['path']}` ({inputs['baseline']['records']} records); "
        f"{decision['pairing']['design']} comparison; policy `{policy['name']}` "
        f"{policy['version']}; alpha {decision['alpha']} "
        f"(bounds at {1 - decision['alpha']:.0%} each side), "
        f"{decision['correction']} correction.",
        "",
        "| metric | severity | result | baseline | candidate | limit "
        f"| difference, {1 - decision['alpha']:.0%} bounds | p-value |",
        "|---|---|---|---:|---:|---:|---|---:|",
    ]
    for reason in decision["metrics"]:
        unit = reason["unit"]
        lines.append(
            f"| {reason['metric']} | {reason['severity']} "
            f"| {_STATUS_WORDS[reason['status']]} "
            f"| {display(reason['baseline'], unit)} "
            f"| {display(reason['candidate'], unit)} "
            f"| {display(reason['margin']['limit'], unit)} "
            f"| {_interval(reason)} | {_p(reason['p_value'])} |"
        )
    lines += ["", "**Why:**", ""]
    lines += [f"- {reason['summary']}" for reason in decision["reasons"]]
    lines += _drift_lines(decision) + _quality_lines(decision)
    lines += [
        "",
        f"Decision record: `gate-decision.json` "
        f"(sha256 of baseline `{inputs['baseline']['sha256'][:16]}`, candidate "
        f"`{inputs['candidate']['sha256'][:16]}`, policy "
        f"`{policy['sha256'][:16]}`).",
        "",
    ]
    return "\n".join(lines)


def _drift_lines(decision: Mapping[str, Any]) -> list[str]:
    drifted = [c for c in decision["drift"]["columns"] if c["drifted"]]
    if not drifted:
        return ["", "Drift: no column drifted."]
    items = ", ".join(
        f"{c['column']} ({c['method']} {c['score']:.3g} > {c['threshold']:g}"
        f"{', blocking' if c['blocking'] else ''})"
        for c in drifted
    )
    return ["", f"Drift: {items}."]


def _quality_lines(decision: Mapping[str, Any]) -> list[str]:
    failed = [
        f"{side} {check['check_id']} ({check['severity']})"
        for side in ("baseline", "candidate")
        for check in decision["quality"][side]
        if not check["passed"]
    ]
    if not failed:
        return ["", "Data quality: every check passed on both sides."]
    return ["", "Data quality failures: " + ", ".join(failed) + "."]


def junit_xml(decision: Mapping[str, Any]) -> str:
    """JUnit XML with one test case per metric (and per blocking drift column).

    A regression or an inconclusive blocking metric is a failure; a metric with
    too few values is skipped; a warning-severity metric never fails, its
    result is written to the case's output instead.
    """
    cases = [_metric_case(reason) for reason in decision["metrics"]]
    cases += [
        _drift_case(column)
        for column in decision["drift"]["columns"]
        if column["blocking"]
    ]
    failures = sum(1 for case in cases if case.find("failure") is not None)
    skipped = sum(1 for case in cases if case.find("skipped") is not None)
    counts = {
        "tests": str(len(cases)),
        "failures": str(failures),
        "errors": "0",
        "skipped": str(skipped),
    }
    root = ET.Element("testsuites", {"name": "ledgerlens gate", **counts})
    suite = ET.SubElement(
        root,
        "testsuite",
        {"name": f"ledgerlens-gate.{decision['policy']['name']}", **counts},
    )
    suite.extend(cases)
    ET.indent(root)
    body = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + body + "\n"


def _metric_case(reason: Mapping[str, Any]) -> ET.Element:
    case = ET.Element(
        "testcase", {"classname": "ledgerlens.gate", "name": reason["metric"]}
    )
    status = reason["status"]
    detail = (
        f"{reason['summary']}; p-value {_p(reason['p_value'])}, regression p-value "
        f"(adjusted) {_p(reason['p_regression_adjusted'])}"
    )
    if reason["severity"] == "warning":
        if status != "non_inferior":
            ET.SubElement(case, "system-out").text = f"warning only: {detail}"
    elif status == "insufficient":
        ET.SubElement(case, "skipped", {"message": reason["summary"]})
    elif status != "non_inferior":
        failure = ET.SubElement(
            case, "failure", {"type": status, "message": reason["summary"]}
        )
        failure.text = detail
    return case


def _drift_case(column: Mapping[str, Any]) -> ET.Element:
    name = f"drift.{column['column']}"
    case = ET.Element("testcase", {"classname": "ledgerlens.gate", "name": name})
    if column["drifted"]:
        message = (
            f"{column['column']} drifted: {column['method']} {column['score']:.3g} "
            f"> {column['threshold']:g}"
        )
        ET.SubElement(case, "failure", {"type": "drift", "message": message})
    return case
