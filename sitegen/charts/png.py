"""PNG charts: the plot area drawn by matplotlib (Agg), for ``--chart-format png``.

Raster images for people who paste charts into slides and documents. The default SVG
renderer (``charts.svg_chart``) needs no matplotlib, which is what keeps an incremental
build in a fresh process fast: importing matplotlib alone takes 0.4-0.7 s.

Each worker reuses one figure; drawing only the data takes about 5 ms a chart (labels and
grid are HTML, laid out by :mod:`sitegen.charts`).
"""

from __future__ import annotations

import struct
import zlib

import numpy as np

from sitegen.charts.layout import FEW_POINTS, FLAG_COLOR, HEIGHT_PX, WIDTH_PX, ChartSpec, decimate, edge_markers
from sitegen.writer import write_file

DPI = 100
_MARKERS = {"NaN": "x", "+inf": "^", "-inf": "v"}

_state: dict = {}


def _figure(width: int, height: int):
    key = (width, height)
    if _state.get("key") != key:
        # Figure + Agg canvas directly: pyplot (and its backend machinery) is not needed and
        # importing it would double the start-up cost of a worker.
        from matplotlib.backends.backend_agg import FigureCanvasAgg
        from matplotlib.figure import Figure

        fig = Figure(figsize=(width / DPI, height / DPI), dpi=DPI)
        FigureCanvasAgg(fig)
        fig.patch.set_alpha(0)
        ax = fig.add_axes((0, 0, 1, 1))
        ax.axis("off")
        ax.set_autoscale_on(False)
        _state.update(key=key, fig=fig, ax=ax, pool=[])
    return _state["fig"], _state["ax"]


def _line(ax, i: int):
    """The i-th reusable Line2D of the figure: creating artists costs more than drawing them."""
    from matplotlib.lines import Line2D

    pool = _state["pool"]
    while len(pool) <= i:
        line = Line2D([], [])
        ax.add_line(line)
        pool.append(line)
    line = pool[i]
    line.set_visible(True)
    return line


def render_png(spec: ChartSpec) -> str:
    """Draw the plot area of one chart to ``spec.out_path`` (PNG, transparent)."""
    fig, ax = _figure(spec.width, spec.height)
    ax.set_xlim(*spec.xlim)
    ax.set_ylim(*spec.ylim)
    ylo, yhi = spec.ylim
    used = 0

    def draw(x, y, **style):
        nonlocal used
        line = _line(ax, used)
        used += 1
        line.set_data(x, y)
        line.set(**{"linestyle": "-", "marker": "None", "markersize": 0, "alpha": 1.0, "markeredgewidth": 1.0, **style})

    # Grid lines are drawn by the page (HTML/CSS), like the tick labels: fewer pixels here.
    for s in spec.series:
        xf, yf = decimate(s.steps, s.values, spec.width)
        few = len(xf) <= FEW_POINTS
        draw(
            xf,
            yf,
            color=s.color,
            linewidth=1.6,
            marker="o" if few else "None",
            markersize=5 if len(xf) == 1 else 3,
            markerfacecolor=s.color,
            markeredgecolor=s.color,
        )
        for xs, y, kind in edge_markers(spec, s):
            draw(
                xs,
                np.full(len(xs), y),
                linestyle="None",
                marker=_MARKERS[kind],
                color=FLAG_COLOR,
                markerfacecolor=FLAG_COLOR,
                markeredgecolor=FLAG_COLOR,
                markersize=8,
                markeredgewidth=2,
                linewidth=0,
            )
    for line in _state["pool"][used:]:
        line.set_visible(False)
    fig.canvas.draw()
    # An identical chart from the previous build is left alone (mtime included).
    write_file(spec.out_path, encode_png(np.asarray(fig.canvas.buffer_rgba())))
    return spec.out_path


def encode_png(rgba: np.ndarray, level: int = 3) -> bytes:
    """A minimal RGBA PNG encoder: no row filters, fast zlib.

    Charts are mostly transparent, so filtering buys little; this takes about 2.5 ms per
    chart where Pillow's adaptive filtering takes 7.5 ms for a file of the same size.
    """
    h, w, _ = rgba.shape
    raw = np.zeros((h, w * 4 + 1), dtype=np.uint8)  # each row: filter byte 0, then pixels
    raw[:, 1:] = rgba.reshape(h, -1)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw.tobytes(), level))
        + chunk(b"IEND", b"")
    )


def warm() -> None:
    _figure(WIDTH_PX, HEIGHT_PX)
