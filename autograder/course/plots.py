"""Lesson plots: readable at a glance, with units, and alternative text that survives export.

    from autograder.course import plots

    fig, ax = plt.subplots(figsize=(6, 3))
    plots.bars(ax, labels, seconds, kind="duration", label="load time")   # unit on the axis,
    plots.show(fig, alt="Bar chart: load time by protocol, ...")          # values on the bars

- `bars` draws one bar per label from raw values (bytes, seconds...): the axis says the unit
  ("load time (ms)"), each bar carries its value, labels stay horizontal unless they are long,
  and the axis turns logarithmic when the values span more than two orders of magnitude.
- `legend_outside(ax)` puts a legend beside the plot, where it cannot cover data.
- `show(fig, alt)` displays the figure and closes it. It refuses a figure whose legend covers a
  bar, a line point or a value label, and it needs `alt`: a sentence saying what the figure
  shows (what a screen reader reads, and what plain-text views print).

The figure is sent as PNG and as an HTML `<img alt="...">`: JupyterLab and nbconvert's HTML both
prefer the HTML one, so the alternative text reaches the page, and the PNG keeps the `alt` in
its metadata (IPython's convention) for tools that read that.
"""

from __future__ import annotations

import base64
import html
import io
from collections.abc import Sequence
from typing import Any

import numpy as np

from autograder.common import units
from autograder.course.tables import UNIT_KINDS, spans_orders

__all__ = ["bars", "legend_outside", "scaled", "show", "spans_orders"]

DPI = 100
LONG_LABEL = 8  # characters: longer tick labels are slanted so they do not overlap
BAR_COLOR = "#4c72b0"


def scaled(values: Sequence[float], kind: str) -> tuple[np.ndarray, str]:
    """Values of a size, duration or rate in one readable unit, and that unit."""
    factor, unit = units.column_unit(kind, values)
    return np.array([np.nan if units.missing(v) else float(v) / factor for v in values]), unit


def bars(ax: Any, labels: Sequence[Any], values: Sequence[float], *, kind: str = "number",
         label: str = "", colors: Sequence[str] | str | None = None,
         log: bool | None = None) -> None:
    """One bar per label, with its value written on it; `kind` as in tables (size, duration...).

    `log=None` chooses a logarithmic axis when the values span more than two orders of
    magnitude, so a 0.02 ms bar stays visible next to 4 ms.
    """
    if kind in UNIT_KINDS:
        heights, unit = scaled(values, kind)
        axis_label = f"{label} ({unit})" if label else unit
        texts = [units.DASH if np.isnan(h) else units.number(h) for h in heights]
    else:
        heights = np.array([np.nan if units.missing(v) else float(v) for v in values])
        axis_label = label
        fmt = {"ratio": units.ratio, "percent": units.percent, "count": units.count}.get(
            kind, units.number)
        texts = [units.DASH if units.missing(v) else fmt(v) for v in values]
    names = [str(name) for name in labels]
    drawn = ax.bar(names, np.nan_to_num(heights), color=colors or BAR_COLOR)
    ax.bar_label(drawn, labels=texts, padding=2, fontsize="small")
    if log if log is not None else spans_orders(values):
        ax.set_yscale("log")
    ax.set_ylabel(axis_label)
    ax.margins(y=0.15)  # room above the tallest bar for its value
    if any(len(name) > LONG_LABEL for name in names):
        ax.tick_params(axis="x", labelrotation=30)
        for tick in ax.get_xticklabels():
            tick.set_horizontalalignment("right")
    else:
        ax.tick_params(axis="x", labelrotation=0)


def legend_outside(ax: Any, **kwargs: Any) -> Any:
    """A legend to the right of the axes, outside the data area."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0, **kwargs)


def show(fig: Any, alt: str) -> None:
    """Display `fig` with alternative text `alt`, then close it (so it is not shown twice)."""
    import matplotlib.pyplot as plt
    from IPython.display import display

    alt = " ".join(str(alt).split())
    if len(alt) < 20:
        plt.close(fig)
        raise ValueError("show() needs alt: a sentence (20 characters or more) saying what the "
                         "figure shows, for screen readers and text-only views")
    covered = _legend_problems(fig)
    if covered:
        plt.close(fig)
        raise ValueError(f"the legend covers {covered[0]}: put it outside (plots.legend_outside)")
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    png = base64.b64encode(buffer.getvalue()).decode("ascii")
    tag = (f'<img src="data:image/png;base64,{png}" alt="{html.escape(alt)}" '
           f'style="max-width: 100%"/>')
    display({"image/png": png, "text/html": tag, "text/plain": f"[Figure] {alt}"},
            raw=True, metadata={"image/png": {"alt": alt}})


def _legend_problems(fig: Any) -> list[str]:
    """What each legend of `fig` covers: bars, line points, scatter points or value labels."""
    renderer = fig.canvas.get_renderer()
    fig.canvas.draw()  # lay the figure out as it will be saved
    legends = [(legend, fig.axes) for legend in fig.legends]
    legends += [(ax.get_legend(), [ax]) for ax in fig.axes if ax.get_legend() is not None]
    problems = []
    for legend, axes in legends:
        box = legend.get_window_extent(renderer)
        for ax in axes:
            name = f"data in the plot {ax.get_title()!r}" if ax.get_title() else "data"
            areas = [patch.get_window_extent(renderer) for patch in ax.patches]
            areas += [text.get_window_extent(renderer) for text in ax.texts]
            if any(area.width > 0 and area.height > 0 and box.overlaps(area) for area in areas):
                problems.append(name)
                continue
            points = [line.get_xydata() for line in ax.lines]
            points += [collection.get_offsets() for collection in ax.collections]
            for xy in points:
                shown = ax.transData.transform(np.asarray(xy, dtype=float).reshape(-1, 2))
                if len(shown) and box.count_contains(shown):
                    problems.append(name)
                    break
    return problems
