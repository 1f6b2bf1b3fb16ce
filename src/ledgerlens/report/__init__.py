"""The governance report: a run's findings rendered as a reproducible PDF.

``render_report`` turns the findings of a nightly audit or a range report into
HTML (Jinja2, every value escaped) and then into an A4 PDF (WeasyPrint, allowed
to load only the files of the templates directory). It returns the sha256 of
every template file it used, for the provenance that is signed with the report.
"""

from __future__ import annotations

from ledgerlens.report._templates import default_templates_dir
from ledgerlens.report.render import TEMPLATE_BY_KIND, RenderedReport, render_report

__all__ = [
    "TEMPLATE_BY_KIND",
    "RenderedReport",
    "default_templates_dir",
    "render_report",
]
