"""Which templates are used, and that exactly their bytes are hashed."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pytest

import ledgerlens.report._templates as module
from ledgerlens.errors import ReportError
from ledgerlens.report import default_templates_dir
from ledgerlens.report._templates import TemplateSet

REPO_TEMPLATES = Path(__file__).resolve().parents[2] / "report_templates"


def test_default_is_the_repository_copy_in_a_source_checkout() -> None:
    assert default_templates_dir() == REPO_TEMPLATES
    assert (REPO_TEMPLATES / "audit.html.j2").is_file()
    assert (REPO_TEMPLATES / "range.html.j2").is_file()


def test_no_templates_anywhere_is_a_report_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # An installation without its templates cannot be built inside a unit test,
    # so the lookup of the shipped folder is pointed at an empty one.
    monkeypatch.setattr(module, "packaged_dir", lambda name: tmp_path)

    with pytest.raises(ReportError, match="packaged report templates are missing"):
        default_templates_dir()


def test_set_hashes_what_it_read_even_if_the_file_changes(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    shutil.copytree(REPO_TEMPLATES, root)
    original = (root / "report.css").read_bytes()
    templates = TemplateSet.open(root)

    (root / "report.css").write_text("body { color: red }")
    served = templates.read("report.css")

    assert served == original
    assert templates.provenance(used_only=True) == [
        {
            "name": "report.css",
            "origin": str(root.resolve()),
            "sha256": hashlib.sha256(original).hexdigest(),
        }
    ]


def test_set_skips_hidden_files_and_links_out(tmp_path: Path) -> None:
    root = tmp_path / "templates"
    root.mkdir()
    (root / "audit.html.j2").write_text("x")
    (root / ".swap").write_text("x")
    (root / "__pycache__").mkdir()
    (root / "__pycache__" / "c.pyc").write_bytes(b"x")
    (tmp_path / "key.pem").write_text("secret")
    (root / "key.pem").symlink_to(tmp_path / "key.pem")
    (root / "fonts").mkdir()
    (root / "fonts" / "a.ttf").write_bytes(b"font")

    templates = TemplateSet.open(root)

    assert templates.names() == ["audit.html.j2", "fonts/a.ttf"]
    assert templates.read("key.pem") is None


def test_default_origin_is_packaged_even_when_named_explicitly() -> None:
    assert TemplateSet.open(None).origin == "packaged"
    assert TemplateSet.open(REPO_TEMPLATES).origin == "packaged"


def test_provenance_of_all_files_lists_every_template() -> None:
    provenance = TemplateSet.open(None).provenance(used_only=False)

    names = [item["name"] for item in provenance]

    assert names == [
        "audit.html.j2",
        "base.html.j2",
        "gate.html.j2",
        "macros.html.j2",
        "range.html.j2",
        "report.css",
    ]


def test_explicit_directory_works_without_packaged_templates(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # As above: an installation whose shipped templates are missing.
    monkeypatch.setattr(module, "packaged_dir", lambda name: tmp_path / "none")
    own = tmp_path / "own"
    own.mkdir()
    (own / "audit.html.j2").write_text("<p>{{ f.date }}</p>")

    templates = TemplateSet.open(own)

    assert templates.origin == str(own.resolve())
    assert templates.names() == ["audit.html.j2"]
