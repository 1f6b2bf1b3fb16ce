"""The rendered report: exact HTML, PDF text, reproducible bytes, provenance.

The expected HTML lives in ``assets/*_expected.html``. After an intended change
to the templates or the charts, regenerate it with::

    LEDGERLENS_UPDATE_GOLDEN=1 .venv/bin/pytest tests/report

and review the diff before committing it.
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path
from typing import Any

import pypdf
import pytest

from ledgerlens.report import RenderedReport, default_templates_dir, render_report

ASSETS = Path(__file__).parent / "assets"
ROOT = "4f2a9c0d7b1e83a65c4d2f1e0b9a8c7d6e5f4a3b2c1d0e9f8a7b6c5d4e3f2a1b"
_DATA_URI = re.compile(r"data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)")


def _golden_form(html: str) -> str:
    """The HTML with each chart's base64 replaced by the sha256 of its bytes.

    The chart bytes stay pinned exactly, while the stored file stays small
    enough to review as a diff.
    """

    def digest(match: re.Match[str]) -> str:
        chart_hash = hashlib.sha256(match[1].encode()).hexdigest()
        return f"data:image/svg+xml;sha256={chart_hash}"

    return _DATA_URI.sub(digest, html)


def _check_golden(name: str, html: str) -> None:
    """Compare with ``assets/<name>``, or rewrite it when asked to."""
    path = ASSETS / name
    actual = _golden_form(html)
    if os.environ.get("LEDGERLENS_UPDATE_GOLDEN") == "1":
        path.write_text(actual, encoding="utf-8")
    assert actual == path.read_text(encoding="utf-8")


def _pdf_text(path: Path) -> str:
    """All text pypdf extracts from the PDF, pages joined."""
    return "\n".join(page.extract_text() for page in pypdf.PdfReader(path).pages)


def test_audit_html_matches_expected_output(rendered_audit: RenderedReport) -> None:
    _check_golden("audit_expected.html", rendered_audit.html)


def test_range_html_matches_expected_output(rendered_range: RenderedReport) -> None:
    _check_golden("range_expected.html", rendered_range.html)


def test_html_out_holds_the_returned_html(rendered_audit: RenderedReport) -> None:
    html_out = rendered_audit.pdf_path.with_name("report.html")
    assert html_out.read_text(encoding="utf-8") == rendered_audit.html


def test_audit_pdf_text_shows_verdict_root_and_failures(
    rendered_audit: RenderedReport,
) -> None:
    text = _pdf_text(rendered_audit.pdf_path)

    assert "FAIL 2 blocking checks failed" in text
    assert ROOT in text
    assert "quality.latency_non_negative" in text
    assert "r-00017" in text
    assert "Page 1 of" in text


def test_range_pdf_text_shows_days_and_missing_days(
    rendered_range: RenderedReport,
) -> None:
    text = _pdf_text(rendered_range.pdf_path)

    assert "5 sealed days, 2 failed their audit, 1 did not re-verify, 2 missing" in text
    assert "2026-11-24, 2026-11-27" in text
    assert "volume.no_data" in text
    assert "4f2a9c0d7b1e83a6" in text
    assert "superseded seal kept without its checkpoint" in text


def test_same_findings_give_identical_pdf_bytes(
    rendered_audit: RenderedReport, audit_findings: dict[str, Any], tmp_path: Path
) -> None:
    again = render_report(audit_findings, tmp_path / "again.pdf")

    first = rendered_audit.pdf_path.read_bytes()
    assert again.pdf_path.read_bytes() == first
    assert again.pdf_sha256 == hashlib.sha256(first).hexdigest()
    assert again.html == rendered_audit.html


def test_pdf_dates_come_from_generated_at(rendered_audit: RenderedReport) -> None:
    metadata = pypdf.PdfReader(rendered_audit.pdf_path).metadata

    assert metadata is not None
    assert str(metadata["/CreationDate"]) == "D:20261129020000Z"
    assert str(metadata["/ModDate"]) == "D:20261129020000Z"
    assert str(metadata["/Title"]) == "ledgerlens audit 2026-11-28: FAIL"


def test_templates_used_are_listed_with_their_hashes(
    rendered_audit: RenderedReport,
) -> None:
    packaged = default_templates_dir()
    expected = [
        {
            "name": name,
            "origin": "packaged",
            "sha256": hashlib.sha256((packaged / name).read_bytes()).hexdigest(),
        }
        for name in ("audit.html.j2", "base.html.j2", "macros.html.j2", "report.css")
    ]

    assert rendered_audit.templates == expected


def test_range_report_uses_the_range_template(rendered_range: RenderedReport) -> None:
    names = [item["name"] for item in rendered_range.templates]

    assert names == ["base.html.j2", "macros.html.j2", "range.html.j2", "report.css"]


def test_pdf_sha256_is_the_hash_of_the_written_file(
    rendered_audit: RenderedReport,
) -> None:
    data = rendered_audit.pdf_path.read_bytes()

    assert data.startswith(b"%PDF-")
    assert rendered_audit.pdf_sha256 == hashlib.sha256(data).hexdigest()


def test_passing_verdict_renders_pass(
    audit_findings: dict[str, Any], tmp_path: Path
) -> None:
    audit_findings["verdict"] = "pass"
    audit_findings["checks"] = [c for c in audit_findings["checks"] if c["passed"]]

    report = render_report(audit_findings, tmp_path / "pass.pdf")

    text = _pdf_text(report.pdf_path)
    assert "PASS No blocking check failed." in text
    assert "Blocking failures\nNone." in text
    assert 'class="badge badge-pass"' in report.html


@pytest.mark.parametrize("kind", ["nightly-audit", "range-report"])
def test_empty_lists_render_placeholders(
    kind: str,
    audit_findings: dict[str, Any],
    range_findings: dict[str, Any],
    tmp_path: Path,
) -> None:
    findings = audit_findings if kind == "nightly-audit" else range_findings
    for key in ("providers", "models", "model_versions", "prompt_templates"):
        findings["lineage"][key] = {}
    if kind == "nightly-audit":
        findings["verdict"] = "pass"
        findings["checks"] = []
        findings["drift"]["columns"] = []
        findings["integrity"]["chains"] = []
    else:
        findings["days"] = []

    report = render_report(findings, tmp_path / "empty.pdf")

    assert report.html.count('class="empty">none recorded</td>') == 4
    placeholder = "no checks ran" if kind == "nightly-audit" else "no sealed days"
    assert placeholder in report.html


def test_thousands_of_source_files_are_summed_up_not_listed(
    audit_findings: dict[str, Any], tmp_path: Path
) -> None:
    """Regression: 5,000 one-record files made a 408-page report."""
    row = dict(audit_findings["counts"]["by_source"][0])
    entry = dict(audit_findings["provenance"]["inputs"][0])
    audit_findings["counts"]["by_source"] = [
        {**row, "uri": f"file:///logs/{n}.jsonl"} for n in range(250)
    ]
    audit_findings["provenance"]["inputs"] = [
        {**entry, "uri": f"file:///logs/{n}.jsonl"} for n in range(250)
    ]

    html = render_report(audit_findings, tmp_path / "r.pdf").html

    assert "file:///logs/99.jsonl" in html
    assert "file:///logs/100.jsonl" not in html
    assert "and 150 more source files" in html
    assert "and 150 more input files" in html
