"""Charts are reproducible SVG, carry no date, and colour what drifted."""

from __future__ import annotations

import base64
import subprocess
import sys

from ledgerlens.report import charts
from ledgerlens.report.charts import (
    DriftBar,
    drift_chart_svg,
    outcome_chart_svg,
    records_per_day_svg,
    svg_data_uri,
)

_RED = "#c0392b"
BARS = [
    DriftBar("latency_ms", 0.03, 0.1, drifted=False),
    DriftBar("model", 0.31, 0.1, drifted=True),
    DriftBar("cost_usd", None, 0.15, drifted=False),
]


def test_drift_chart_is_byte_reproducible() -> None:
    assert drift_chart_svg(BARS) == drift_chart_svg(BARS)


def test_charts_carry_no_date_and_no_external_reference() -> None:
    outcomes = {"accepted": 500, "quarantined": 5}
    days = [("2026-11-27", None, False), ("2026-11-28", 500, True)]
    for svg in (
        drift_chart_svg(BARS),
        outcome_chart_svg(outcomes),
        records_per_day_svg(days),
    ):
        assert svg.startswith("<?xml")
        assert "<dc:date>" not in svg
        # Only the DTD and namespaces name URLs; every link is to a local id.
        assert 'xlink:href="http' not in svg
        assert 'href="http' not in svg


def test_drifted_columns_are_red_and_others_are_not() -> None:
    calm = [DriftBar("latency_ms", 0.03, 0.1, drifted=False)]

    assert _RED in drift_chart_svg(BARS)
    assert _RED not in drift_chart_svg(calm)


def test_chart_changes_with_its_data() -> None:
    moved = [DriftBar("latency_ms", 0.05, 0.1, drifted=False), *BARS[1:]]

    assert drift_chart_svg(moved) != drift_chart_svg(BARS)


def test_empty_inputs_still_draw_a_chart() -> None:
    assert "<svg" in drift_chart_svg([])
    assert "<svg" in records_per_day_svg([])


def test_data_uri_round_trips() -> None:
    svg = outcome_chart_svg({"accepted": 1})

    uri = svg_data_uri(svg)

    prefix = "data:image/svg+xml;base64,"
    assert uri.startswith(prefix)
    assert base64.b64decode(uri[len(prefix) :]).decode("utf-8") == svg


def test_importing_the_report_package_loads_no_renderer() -> None:
    code = (
        "import sys, ledgerlens.report; "
        "print(sorted(m for m in ('matplotlib', 'weasyprint') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )

    assert out.stdout.strip() == "[]"


def test_all_lists_the_public_names() -> None:
    public = {
        name
        for name, value in vars(charts).items()
        if not name.startswith("_")
        and getattr(value, "__module__", None) == charts.__name__
    }

    assert public == set(charts.__all__)
