"""Charts for the governance report, drawn as byte-reproducible SVG.

Charts are drawn with matplotlib's object API and its SVG canvas, so no GUI
backend and no pyplot global state are involved. matplotlib is imported only
when a chart is drawn: commands that never render a report do not pay for it.

The same inputs always give the same bytes: element ids come from a fixed
``svg.hashsalt``, the date metadata is dropped, and text is drawn as paths with
the DejaVu font that matplotlib ships, so the host's fonts do not matter.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

__all__ = [
    "DriftBar",
    "drift_chart_svg",
    "outcome_chart_svg",
    "records_per_day_svg",
    "svg_data_uri",
]


_INK = "#2b3445"
_OK = "#5b7db1"
_BAD = "#c0392b"
_GRID = "#d5dbe5"
_WIDTH_IN = 6.6


@dataclass(frozen=True)
class DriftBar:
    """One column's drift result as the chart needs it.

    ``score`` is None when the column could not be scored (for example, no rows).
    """

    column: str
    score: float | None
    threshold: float
    drifted: bool


def drift_chart_svg(bars: Sequence[DriftBar]) -> str:
    """Draw each column's drift score as a bar with its threshold as a tick.

    Bars of drifted columns are red. Methods differ in direction (a distance
    drifts above its threshold, a p-value below), so colour follows the
    ``drifted`` flag of the findings rather than a comparison made here.
    """
    with _style():
        fig, ax = _figure(rows=max(len(bars), 1))
        if bars:
            _draw_drift(ax, list(reversed(bars)))
        else:
            _empty(ax, "no drift columns configured")
        return _to_svg(fig)


def outcome_chart_svg(outcomes: Mapping[str, int]) -> str:
    """Draw the count of source units per outcome as horizontal bars."""
    with _style():
        fig, ax = _figure(rows=max(len(outcomes), 1), width=3.6)
        labels = list(reversed(list(outcomes)))
        values = [outcomes[label] for label in labels]
        colours = [_BAD if label == "quarantined" else _OK for label in labels]
        positions = list(range(len(labels)))
        ax.barh(positions, values, height=0.55, color=colours, zorder=2)

        for pos, value in zip(positions, values, strict=True):
            _label(ax, f"{value:,}", value, pos)

        ax.set_xlim(0, max([*values, 1]) * 1.18)
        ax.set_yticks(positions, [label.replace("_", " ") for label in labels])
        ax.set_xlabel("source units")
        return _to_svg(fig)


def records_per_day_svg(days: Sequence[tuple[str, int | None, bool]]) -> str:
    """Draw records sealed per day: red for a failed audit, a grey x if missing.

    ``days`` holds ``(date, records, passed)`` in calendar order, with
    ``records`` None for a day that has no seal.
    """
    with _style():
        fig, ax = _figure(rows=5)
        if not days:
            _empty(ax, "no days in range")
            return _to_svg(fig)

        positions = list(range(len(days)))
        values = [records or 0 for _, records, _ in days]
        colours = [_OK if passed else _BAD for _, _, passed in days]
        ax.bar(positions, values, width=0.7, color=colours, zorder=2)
        missing = [pos for pos, (_, records, _) in enumerate(days) if records is None]
        ax.scatter(
            missing,
            [0] * len(missing),
            marker="x",
            color="#8a94a6",
            zorder=3,
            clip_on=False,
        )

        # Label about a dozen days at most, so that long ranges stay legible.
        ticks = positions[:: max(1, len(days) // 12)]
        ax.set_xticks(ticks, [days[i][0] for i in ticks], rotation=30, ha="right")
        ax.set_ylabel("records sealed")
        ax.set_ylim(0, max([*values, 1]) * 1.1)
        ax.grid(axis="y", color=_GRID, linewidth=0.5, zorder=0)
        return _to_svg(fig)


def svg_data_uri(svg: str) -> str:
    """Return an SVG document as a base64 ``data:`` URI for an ``<img src>``."""
    encoded = base64.b64encode(svg.encode("utf-8")).decode("ascii")
    return f"data:image/svg+xml;base64,{encoded}"


def _draw_drift(ax: Axes, bars: Sequence[DriftBar]) -> None:
    """Draw drift bars bottom-up, each with its threshold tick and score."""
    positions = list(range(len(bars)))
    scores = [bar.score or 0.0 for bar in bars]
    thresholds = [bar.threshold for bar in bars]
    colours = [_BAD if bar.drifted else _OK for bar in bars]
    ax.barh(positions, scores, height=0.55, color=colours, zorder=2)
    ax.scatter(
        thresholds,
        positions,
        marker="|",
        s=260,
        linewidths=1.6,
        color=_INK,
        zorder=3,
    )

    for pos, bar in zip(positions, bars, strict=True):
        text = "not scored" if bar.score is None else f"{bar.score:.4g}"
        _label(ax, text, bar.score or 0.0, pos)

    ax.set_xlim(0, max([*scores, *thresholds, 1e-9]) * 1.25)
    ax.set_yticks(positions, [bar.column for bar in bars])
    ax.set_xlabel("drift score (black tick: the column's threshold)")
    ax.grid(axis="x", color=_GRID, linewidth=0.5, zorder=0)


@contextmanager
def _style() -> Iterator[None]:
    """Apply the report's chart style while a figure is built and saved.

    rcParams are read when artists are created, not only when saved, so the
    whole drawing has to happen inside this context.
    """
    import matplotlib

    # A fixed salt makes the ids matplotlib derives for clip paths and glyphs
    # repeat; text as paths keeps the host's fonts out of the picture.
    with matplotlib.rc_context(
        {
            "svg.hashsalt": "ledgerlens-report",
            "svg.fonttype": "path",
            "font.family": "DejaVu Sans",
            "font.size": 8.0,
            "axes.spines.top": False,
            "axes.spines.right": False,
            "axes.edgecolor": "#8a94a6",
            "axes.labelcolor": _INK,
            "xtick.color": _INK,
            "ytick.color": _INK,
        }
    ):
        yield


def _figure(*, rows: int, width: float = _WIDTH_IN) -> tuple[Figure, Axes]:
    """A new figure sized for ``rows`` bars, outside pyplot's global state."""
    from matplotlib.figure import Figure

    height = min(0.8 + 0.28 * rows, 9.0)
    fig = Figure(figsize=(width, height), dpi=72, layout="constrained")
    return fig, fig.add_subplot()


def _label(ax: Axes, text: str, x: float, y: float) -> None:
    """Write a value just right of the end of a horizontal bar."""
    ax.annotate(
        text,
        (x, y),
        xytext=(4, 0),
        textcoords="offset points",
        va="center",
        color=_INK,
    )


def _empty(ax: Axes, message: str) -> None:
    """Leave a frameless axes that says why there is nothing to draw."""
    ax.set_axis_off()
    ax.text(0.5, 0.5, message, ha="center", va="center", color=_INK)


def _to_svg(fig: Figure) -> str:
    """Serialise a figure to SVG text with no date metadata."""
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", metadata={"Date": None})
    return buffer.getvalue()
