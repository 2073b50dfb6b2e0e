"""Metric charts: limits and ticks laid out here, set as HTML text and grid lines around an
image of the plot area that holds only the data.

The image is SVG by default, written by this module: sharp at any zoom and in print,
small, and about 0.3 ms a chart, with no plotting library to import (matplotlib's import
alone costs 0.4-0.7 s, more than a whole incremental build). ``--chart-format png`` draws
the same plot area with matplotlib instead (:mod:`sitegen.charts.png`); the layout both
share is :mod:`sitegen.charts.layout`, the SVG writer :mod:`sitegen.charts.svg`.

Labels and grid lines set as HTML stay sharp, selectable and follow the page's
light/dark colours. Series longer than the chart is wide are reduced to first/min/max/last
of each pixel column, which draws the same picture. A metric whose points mostly share a step
(logged without ``step=``) is drawn against time instead (the rule: :mod:`sitegen.charts.layout`).
NaN and ±inf values are never dropped silently: they are drawn as red marks along the bottom
(NaN, -inf) and top (+inf) edge and counted in the caption. The image holds no text from the
store: only numbers and colours.
"""

from __future__ import annotations

from concurrent.futures import Executor, Future

from sitegen.charts.layout import (  # noqa: F401
    FEW_POINTS,
    FLAG_COLOR,
    HEIGHT_PX,
    PALETTE,
    WIDTH_PX,
    ChartSpec,
    Series,
    Tick,
    XAxis,
    choose_x_axis,
    decimate,
    edge_markers,
    fmt_tick,
    layout,
    make_series,
    metric_series,
    nice_ticks,
)
from sitegen.charts.svg import svg_chart
from sitegen.writer import write_file


def render_chart(spec: ChartSpec) -> str:
    """Write the plot area of one chart to ``spec.out_path`` (its suffix picks SVG or PNG)."""
    if spec.out_path.endswith(".png"):
        from sitegen.charts.png import render_png

        return render_png(spec)
    # An identical chart from the previous build is left alone (mtime included).
    write_file(spec.out_path, svg_chart(spec))
    return spec.out_path


def _render_many(specs: list[ChartSpec]) -> int:
    for spec in specs:
        render_chart(spec)
    return len(specs)


def submit_charts(pool: Executor | None, specs: list[ChartSpec], batch: int = 16) -> list[Future]:
    """Queue charts in batches (one task per batch keeps inter-process traffic low)."""
    futures: list[Future] = []
    if pool is None:
        f: Future = Future()
        f.set_result(_render_many(specs))
        return [f]
    for i in range(0, len(specs), batch):
        futures.append(pool.submit(_render_many, specs[i : i + batch]))
    return futures
