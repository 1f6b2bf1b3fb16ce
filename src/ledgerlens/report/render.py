"""Render a run's findings into the governance report: HTML, then PDF.

The report is made from the findings alone (the dict written to
``findings.json``); it never sees records, so it cannot show prompt or response
text. Jinja2 escapes every value, and WeasyPrint may load nothing but the files
of the templates directory and our own ``data:`` charts.

The PDF is reproducible: the same findings and templates give the same bytes,
because its dates are taken from ``findings["generated_at"]`` (through the
``dcterms`` meta tags), charts are drawn deterministically, and neither font
subsetter WeasyPrint may use (HarfBuzz, fontTools) stamps the current time.
"""

from __future__ import annotations

import hashlib
import logging
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jinja2
import jinja2.sandbox

from ledgerlens.errors import ReportError
from ledgerlens.report._context import (
    audit_view,
    format_number,
    gate_view,
    pdf_timestamp,
    range_view,
)
from ledgerlens.report._templates import TemplateSet

__all__ = ["TEMPLATE_BY_KIND", "RenderedReport", "render_report"]

logger = logging.getLogger(__name__)

TEMPLATE_BY_KIND: Mapping[str, str] = {
    "nightly-audit": "audit.html.j2",
    "range-report": "range.html.j2",
    "promotion-gate": "gate.html.j2",
}
_VIEW_BY_KIND = {
    "nightly-audit": audit_view,
    "range-report": range_view,
    "promotion-gate": gate_view,
}
_FINDINGS_VERSION = 1


@dataclass(frozen=True)
class RenderedReport:
    """A rendered report: where the PDF is, its hash, and what made it.

    ``templates`` lists ``{"name", "origin", "sha256"}`` for every template and
    stylesheet the rendering actually used, for the signed provenance.
    """

    pdf_path: Path
    pdf_sha256: str
    html: str
    templates: list[dict[str, str]]


def render_report(
    findings: Mapping[str, Any],
    out_pdf: Path,
    *,
    templates_dir: Path | None = None,
    html_out: Path | None = None,
) -> RenderedReport:
    """Render ``findings`` to a PDF at ``out_pdf`` (and the HTML to ``html_out``).

    The template is chosen by ``findings["kind"]``; ``templates_dir`` overrides
    the packaged templates. Raises ReportError when the findings do not fit the
    templates or the PDF cannot be written.
    """
    template_name = _template_for(findings)
    templates = TemplateSet.open(templates_dir)
    html = _render_html(findings, templates, template_name)
    pdf = _render_pdf(html, templates)

    _write_atomically(out_pdf, pdf)
    if html_out is not None:
        _write_atomically(html_out, html.encode("utf-8"))
    logger.info("rendered %s report %s (%d bytes)", findings["kind"], out_pdf, len(pdf))
    return RenderedReport(
        pdf_path=out_pdf,
        pdf_sha256=hashlib.sha256(pdf).hexdigest(),
        html=html,
        templates=templates.provenance(used_only=True),
    )


def _template_for(findings: Mapping[str, Any]) -> str:
    """The template name for the findings' kind, after a format check."""
    if findings.get("ledgerlens_findings") != _FINDINGS_VERSION:
        msg = "the findings are not ledgerlens findings of format version 1"
        raise ReportError(msg, remedy="render findings.json written by this version")
    kind = findings.get("kind")
    if kind not in TEMPLATE_BY_KIND:
        msg = f"no report template for findings of kind {kind!r}"
        raise ReportError(msg, remedy="render a nightly-audit or range-report")
    return TEMPLATE_BY_KIND[str(kind)]


def _render_html(
    findings: Mapping[str, Any], templates: TemplateSet, template_name: str
) -> str:
    """Fill the template with the findings and the views derived from them."""
    env = _environment(templates)
    try:
        template = env.get_template(template_name)
        view = _VIEW_BY_KIND[str(findings["kind"])](findings)
        return template.render(
            f=findings,
            v=view,
            pdf_date=pdf_timestamp(str(findings["generated_at"])),
            template_files=templates.provenance(used_only=False),
        )
    except jinja2.TemplateNotFound as exc:
        msg = f"report template `{exc.name}` is missing from {templates.origin}"
        raise ReportError(msg, remedy="restore it or pass --templates DIR") from exc
    except jinja2.TemplateSyntaxError as exc:
        msg = f"report template `{exc.name}` line {exc.lineno}: {exc.message}"
        raise ReportError(msg, remedy="fix the template") from exc
    except (jinja2.UndefinedError, KeyError, TypeError, ValueError) as exc:
        msg = f"the findings do not fit the report ({_reason(exc)})"
        raise ReportError(msg, remedy="render a complete findings.json") from exc
    except jinja2.TemplateError as exc:  # e.g. the sandbox refused an operation
        msg = f"a report template failed: {exc.message}"
        raise ReportError(msg, remedy="fix the template") from exc


def _environment(templates: TemplateSet) -> jinja2.Environment:
    """A sandboxed Jinja2 environment that escapes every value it prints.

    ``autoescape=True`` rather than ``select_autoescape``: the latter decides by
    file extension and leaves ``*.html.j2`` unescaped. StrictUndefined makes a
    missing finding an error instead of an empty cell.
    """
    env = jinja2.sandbox.ImmutableSandboxedEnvironment(
        loader=templates.jinja_loader(),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
        auto_reload=False,
    )
    env.filters["num"] = format_number
    return env


def _render_pdf(html: str, templates: TemplateSet) -> bytes:
    """Lay the HTML out as an A4 PDF, loading resources only from ``templates``."""
    # Imported here: WeasyPrint loads pango and friends, which only a render needs.
    import weasyprint

    from ledgerlens.report._fetcher import TemplateFetcher

    fetcher = TemplateFetcher(templates)
    document = weasyprint.HTML(
        string=html, base_url=templates.root.as_uri() + "/", url_fetcher=fetcher
    )
    try:
        pdf = document.write_pdf(pdf_tags=True)
    except Exception as exc:  # WeasyPrint raises many kinds; the user needs one.
        msg = f"the PDF could not be laid out ({type(exc).__name__})"
        raise ReportError(msg, remedy="check the templates; rerun with -v") from exc
    if not isinstance(pdf, bytes):
        raise ReportError("the PDF renderer returned no bytes", remedy="rerun with -v")
    return pdf


def _write_atomically(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and a rename.

    A reader never sees half a report, and a failed render leaves the previous
    file in place.
    """
    temporary: Path | None = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
        temporary = Path(name)
        with os.fdopen(handle, "wb") as stream:
            stream.write(data)
            stream.flush()
            os.fsync(stream.fileno())
        os.replace(temporary, path)
    except OSError as exc:
        if temporary is not None:
            temporary.unlink(missing_ok=True)
        msg = f"cannot write the report to `{path}`: {exc.strerror or exc}"
        raise ReportError(msg, remedy="choose a writable output directory") from exc


def _reason(exc: Exception) -> str:
    """Why the findings did not fit, naming a key or a type but never a value.

    A ValueError's text quotes the offending value, which might come from a
    log, so only its class is given.
    """
    if isinstance(exc, KeyError):
        return f"missing `{exc.args[0]}`" if exc.args else "a missing key"
    if isinstance(exc, ValueError):
        return "a field has a value of the wrong form"
    return str(exc).splitlines()[0][:120]
