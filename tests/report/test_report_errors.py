"""Findings or templates that do not fit give one ReportError, never a crash."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import ledgerlens.report
from ledgerlens.errors import ReportError
from ledgerlens.report import default_templates_dir, render_report


def test_unknown_kind_is_refused(
    audit_findings: dict[str, Any], tmp_path: Path
) -> None:
    audit_findings["kind"] = "gate-decision"

    with pytest.raises(ReportError, match="kind 'gate-decision'") as caught:
        render_report(audit_findings, tmp_path / "r.pdf")

    assert caught.value.exit_code == 1
    assert caught.value.remedy == "render a nightly-audit or range-report"
    assert not (tmp_path / "r.pdf").exists()


def test_other_findings_format_is_refused(
    audit_findings: dict[str, Any], tmp_path: Path
) -> None:
    audit_findings["ledgerlens_findings"] = 2

    with pytest.raises(ReportError, match="format version 1"):
        render_report(audit_findings, tmp_path / "r.pdf")


def test_missing_section_names_the_key(
    audit_findings: dict[str, Any], tmp_path: Path
) -> None:
    del audit_findings["integrity"]

    with pytest.raises(ReportError, match="missing `integrity`"):
        render_report(audit_findings, tmp_path / "r.pdf")


def test_missing_field_used_only_by_the_template_is_an_error(
    audit_findings: dict[str, Any], tmp_path: Path
) -> None:
    del audit_findings["latency_ms"]["p95"]

    with pytest.raises(ReportError, match="p95"):
        render_report(audit_findings, tmp_path / "r.pdf")


def test_unknown_verdict_is_refused(
    audit_findings: dict[str, Any], tmp_path: Path
) -> None:
    audit_findings["verdict"] = "maybe"

    with pytest.raises(ReportError, match="unknown verdict 'maybe'"):
        render_report(audit_findings, tmp_path / "r.pdf")


@pytest.mark.parametrize("verdict", ["pass", "fail"])
def test_verdict_contradicting_the_checks_is_refused(
    verdict: str, audit_findings: dict[str, Any], tmp_path: Path
) -> None:
    audit_findings["verdict"] = verdict
    if verdict == "fail":
        audit_findings["checks"] = [c for c in audit_findings["checks"] if c["passed"]]

    with pytest.raises(ReportError, match=f"verdict '{verdict}' contradicts"):
        render_report(audit_findings, tmp_path / "r.pdf")


def test_bad_value_is_not_quoted_in_the_error(
    audit_findings: dict[str, Any], tmp_path: Path
) -> None:
    secret = "patient asked about their diagnosis"
    audit_findings["counts"]["accepted"] = secret

    with pytest.raises(ReportError) as caught:
        render_report(audit_findings, tmp_path / "r.pdf")

    assert secret not in caught.value.one_line()
    assert "wrong form" in caught.value.message


def test_generated_at_without_offset_is_refused(
    audit_findings: dict[str, Any], tmp_path: Path
) -> None:
    audit_findings["generated_at"] = "2026-11-29T02:00:00"

    with pytest.raises(ReportError, match="no UTC offset"):
        render_report(audit_findings, tmp_path / "r.pdf")


def test_missing_templates_directory(
    audit_findings: dict[str, Any], tmp_path: Path
) -> None:
    with pytest.raises(ReportError, match="does not exist") as caught:
        render_report(
            audit_findings, tmp_path / "r.pdf", templates_dir=tmp_path / "nowhere"
        )

    assert caught.value.remedy == "pass an existing directory to --templates"


def test_template_syntax_error_names_file_and_line(
    audit_findings: dict[str, Any], tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "audit.html.j2").write_text("<p>\n{% if f.date %}\n</p>\n")

    with pytest.raises(ReportError, match=r"`audit.html.j2` line \d"):
        render_report(audit_findings, tmp_path / "r.pdf", templates_dir=templates)


def test_template_missing_from_directory(
    range_findings: dict[str, Any], tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "audit.html.j2").write_text("<p>{{ f.date }}</p>")

    with pytest.raises(ReportError, match="`range.html.j2` is missing"):
        render_report(range_findings, tmp_path / "r.pdf", templates_dir=templates)


def test_unwritable_output_keeps_no_partial_file(
    audit_findings: dict[str, Any], tmp_path: Path
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")

    with pytest.raises(ReportError, match="cannot write the report"):
        render_report(audit_findings, blocker / "r.pdf")

    assert blocker.read_text() == "not a directory"


def test_error_class_is_the_report_layer() -> None:
    assert ReportError.exit_code == 1
    assert default_templates_dir().name == "report_templates"


def test_all_lists_the_public_names() -> None:
    public = {n for n in vars(ledgerlens.report) if not n.startswith("_")}
    modules = {"charts", "render", "annotations"}

    assert public - modules == set(ledgerlens.report.__all__)


def test_template_breaking_out_of_the_sandbox_is_a_report_error(
    audit_findings: dict[str, Any], tmp_path: Path
) -> None:
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "audit.html.j2").write_text(
        "{{ f.date.__class__.__mro__[1].__subclasses__() }}"
    )

    with pytest.raises(ReportError, match="a report template failed: .*unsafe"):
        render_report(audit_findings, tmp_path / "r.pdf", templates_dir=templates)
