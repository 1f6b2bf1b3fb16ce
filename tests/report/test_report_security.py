"""Log values cannot inject markup, and the renderer loads nothing it should not.

Values in the findings come, in the end, from production logs: a model name, a
chain id or a source path may hold anything. They must come out escaped, and
no URL anywhere in a template or a value may make WeasyPrint read the network
or a file outside the templates directory.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
import shutil
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pypdf
import pytest

from ledgerlens.report import default_templates_dir, render_report
from ledgerlens.report._fetcher import RefusedResource, TemplateFetcher
from ledgerlens.report._templates import TemplateSet

SCRIPT = "<script>alert(1)</script>"
SCRIPT_ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


@pytest.fixture
def listener() -> Iterator[socket.socket]:
    """A TCP socket listening on loopback that should never see a connection."""
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(8)
    server.setblocking(False)
    try:
        yield server
    finally:
        server.close()


def _connections(server: socket.socket) -> int:
    """How many connections are waiting to be accepted on ``server``."""
    count = 0
    while True:
        try:
            conn, _ = server.accept()
        except BlockingIOError:
            return count
        conn.close()
        count += 1


def test_hostile_values_come_out_escaped(
    audit_findings: dict[str, Any], tmp_path: Path
) -> None:
    img = '<img src="http://127.0.0.1:9/x">'
    audit_findings["checks"][0]["summary"] = SCRIPT
    audit_findings["lineage"]["models"] = {img: 7}
    audit_findings["integrity"]["chains"][0]["chain_id"] = SCRIPT
    audit_findings["counts"]["by_source"][0]["uri"] = img
    audit_findings["store"]["origin"] = f"acme{SCRIPT}"

    report = render_report(audit_findings, tmp_path / "r.pdf")

    assert SCRIPT not in report.html
    assert '<img src="http' not in report.html
    assert report.html.count(SCRIPT_ESCAPED) >= 4
    assert "&lt;img src=&#34;http://127.0.0.1:9/x&#34;&gt;" in report.html
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(report.pdf_path).pages)
    assert SCRIPT in text  # shown to the reader as text, not run as markup


def test_fetcher_serves_template_files_and_data_uris() -> None:
    templates = TemplateSet.open(None)
    fetcher = TemplateFetcher(templates)
    css_url = (templates.root / "report.css").as_uri()

    css = fetcher.fetch(css_url)
    data = fetcher.fetch("data:text/plain;base64,aGVsbG8=")

    assert css.read() == (default_templates_dir() / "report.css").read_bytes()
    assert css.content_type == "text/css"
    assert data.read() == b"hello"
    assert fetcher.refused == []


@pytest.mark.parametrize(
    "url",
    [
        "file:///etc/passwd",
        "file://localhost/etc/passwd",
        "file://otherhost/etc/passwd",
        "ftp://127.0.0.1/x",
        "https://example.invalid/x.css",
        "http://169.254.169.254/latest/meta-data/",
    ],
)
def test_fetcher_refuses_everything_else(
    url: str, caplog: pytest.LogCaptureFixture
) -> None:
    fetcher = TemplateFetcher(TemplateSet.open(None))

    with caplog.at_level(logging.WARNING), pytest.raises(RefusedResource):
        fetcher.fetch(url)

    assert fetcher.refused == [url]
    (record,) = [r for r in caplog.records if r.name.startswith("ledgerlens")]
    # The URL may carry log text, so the warning names only a hash of it.
    assert url not in record.getMessage()
    assert "refused" in record.getMessage()


def test_fetcher_refuses_paths_that_climb_out(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    shutil.copytree(default_templates_dir(), root)
    (tmp_path / "secret.txt").write_text("key material")
    (root / "link.txt").symlink_to(tmp_path / "secret.txt")
    fetcher = TemplateFetcher(TemplateSet.open(root))

    for url in (
        root.as_uri() + "/../secret.txt",
        root.as_uri() + "/%2e%2e/secret.txt",
        root.as_uri() + "/link.txt",
    ):
        with pytest.raises(RefusedResource):
            fetcher.fetch(url)

    assert len(fetcher.refused) == 3


def test_render_fetches_no_url_from_templates_or_values(
    audit_findings: dict[str, Any],
    listener: socket.socket,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = listener.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    templates = tmp_path / "templates"
    templates.mkdir()
    (templates / "audit.html.j2").write_text(
        "<!DOCTYPE html><html><head>"
        f'<link rel="stylesheet" href="{base}/remote.css">'
        f'<link rel="attachment" href="file:///etc/passwd">'
        "<style>"
        f"@import url({base}/imported.css);"
        "body { background: url(file:///etc/passwd); }"
        f"h1 {{ background: url({base}/bg.png); }}"
        f"@font-face {{ font-family: Remote; src: url({base}/font.ttf); }}"
        "p { font-family: Remote; }"
        "</style></head><body><h1>{{ f.date }}</h1><p>text</p>"
        f'<img src="{base}/pixel.png">'
        '<img src="file:///etc/passwd">'
        '<img src="{{ f.lineage.models | first }}">'
        f'<object data="{base}/object.svg"></object>'
        f'<img src="{_svg_linking_to(base + "/inside-svg.png")}">'
        "</body></html>"
    )
    audit_findings["lineage"]["models"] = {f"{base}/from-a-log.png": 1}

    with caplog.at_level(logging.WARNING):
        report = render_report(
            audit_findings, tmp_path / "r.pdf", templates_dir=templates
        )

    assert _connections(listener) == 0
    refused = {
        match[1]
        for record in caplog.records
        if (match := re.search(r"url sha256 ([0-9a-f]{16})", record.getMessage()))
    }
    expected = {
        f"{base}/remote.css",
        f"{base}/imported.css",
        f"{base}/bg.png",
        f"{base}/pixel.png",
        f"{base}/from-a-log.png",
        "file:///etc/passwd",
        f"{base}/font.ttf",
        f"{base}/object.svg",
        f"{base}/inside-svg.png",
    }
    assert refused == {_digest(url) for url in expected}
    pdf = pypdf.PdfReader(report.pdf_path)
    assert dict(pdf.attachments) == {}
    assert "2026-11-28" in pdf.pages[0].extract_text()
    template = templates / "audit.html.j2"
    assert report.templates == [
        {
            "name": "audit.html.j2",
            "origin": str(templates.resolve()),
            "sha256": hashlib.sha256(template.read_bytes()).hexdigest(),
        }
    ]


def _svg_linking_to(url: str) -> str:
    """A ``data:`` SVG image that itself links to ``url``."""
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg" '
        'xmlns:xlink="http://www.w3.org/1999/xlink" width="10" height="10">'
        f'<image xlink:href="{url}" width="10" height="10"/></svg>'
    )
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


def _digest(url: str) -> str:
    """The short hash the fetcher logs in place of a refused URL."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]
