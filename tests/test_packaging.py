"""The wheel carries every sub-package, the check suites and the templates."""

from __future__ import annotations

import tomllib
from pathlib import Path

from ledgerlens._resources import packaged_dir

REPO = Path(__file__).resolve().parents[1]


def _setuptools() -> dict:
    return tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]


def test_every_sub_package_is_listed_for_the_wheel() -> None:
    source = REPO / "src" / "ledgerlens"
    on_disk = {
        "ledgerlens." + ".".join(p.parent.relative_to(source).parts)
        for p in source.rglob("__init__.py")
        if p.parent != source
    }

    listed = set(_setuptools()["packages"])

    assert on_disk <= listed, sorted(on_disk - listed)


def test_checks_and_templates_ship_as_packages() -> None:
    config = _setuptools()

    assert config["package-dir"]["ledgerlens.checks"] == "checks"
    assert config["package-dir"]["ledgerlens.report_templates"] == "report_templates"
    assert "*.json" in config["package-data"]["ledgerlens.checks"]
    assert "*.j2" in config["package-data"]["ledgerlens.report_templates"]


def test_the_packaged_folders_hold_the_default_files() -> None:
    checks = packaged_dir("checks")
    templates = packaged_dir("report_templates")

    assert {"quality.json", "drift.json"} <= {p.name for p in checks.iterdir()}
    assert {"audit.html.j2", "range.html.j2", "report.css"} <= {
        p.name for p in templates.iterdir()
    }
