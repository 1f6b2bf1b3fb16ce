"""Fixtures for the report tests: fixed findings and reports rendered once."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from ledgerlens.report import RenderedReport, render_report

ASSETS = Path(__file__).parent / "assets"


def load_findings(name: str) -> dict[str, Any]:
    """A fresh copy of the findings stored as ``assets/<name>_findings.json``."""
    data: dict[str, Any] = json.loads((ASSETS / f"{name}_findings.json").read_text())
    return copy.deepcopy(data)


@pytest.fixture
def audit_findings() -> dict[str, Any]:
    """Nightly-audit findings with a failed blocking check and a broken chain."""
    return load_findings("audit")


@pytest.fixture
def range_findings() -> dict[str, Any]:
    """Range-report findings with failed, unverified and missing days."""
    return load_findings("range")


@pytest.fixture(scope="session")
def rendered_audit(tmp_path_factory: pytest.TempPathFactory) -> RenderedReport:
    """The audit findings rendered once (a render takes seconds)."""
    out = tmp_path_factory.mktemp("audit")
    return render_report(
        load_findings("audit"), out / "report.pdf", html_out=out / "report.html"
    )


@pytest.fixture(scope="session")
def rendered_range(tmp_path_factory: pytest.TempPathFactory) -> RenderedReport:
    """The range findings rendered once."""
    out = tmp_path_factory.mktemp("range")
    return render_report(load_findings("range"), out / "report.pdf")
