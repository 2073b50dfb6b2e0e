"""Metric charts: the plot area drawn by matplotlib (Agg) in parallel workers, the axes
labels laid out here and set as HTML text around the image by the theme.

Why split it: in matplotlib most of a small chart's cost is laying out and rasterising
tick labels (about 25 ms of 35 ms here). Drawing only the data takes about 5 ms, and
labels and grid lines set as HTML stay sharp, selectable and follow the page's
light/dark colours. Limits and ticks are computed in the main process (cheap numpy),
so pages can be rendered while the workers draw.

Each worker reuses one figure; series longer than the chart is wide are reduced to
first/min/max/last of each pixel column, which draws the same picture. NaN and ±inf
values are never dropped silently: they are drawn as markers along the bottom (NaN)
and top/bottom edge (±inf) and counted in the caption.
"""
from __future__ import annotations

import math
import struct
import zlib
from concurrent.futures import Executor, Future
from dataclasses import dataclass, field

import numpy as np

from .write import write_file

WIDTH_PX, HEIGHT_PX, DPI = 640, 220, 100
PALETTE = ["#3b82f6", "#f97316", "#10b981", "#ef4444", "#8b5cf6", "#eab308", "#06b6d4",
           "#ec4899", "#84cc16", "#64748b"]
# SQL stores clamp ±inf to ±DBL_MAX; draw those as infinities too.
INF_LIMIT = 1.7976931348623157e308


@dataclass(slots=True)
class Series:
    label: str
    steps: np.ndarray          # float64, sorted by step
    values: np.ndarray         # float64; NaN / ±inf kept
    color: str = PALETTE[0]


@dataclass(slots=True)
class Tick:
    value: float
    frac: float                # 0..1 from the left (x) or bottom (y) of the plot area
    label: str


@dataclass(slots=True)
class ChartSpec:
    out_path: str              # absolute path of the PNG to write
    series: list[Series]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    xticks: list[Tick] = field(default_factory=list)
    yticks: list[Tick] = field(default_factory=list)
    flags: dict[str, int] = field(default_factory=dict)   # "NaN"/"+inf"/"-inf" → count
    width: int = WIDTH_PX
    height: int = HEIGHT_PX


def make_series(label: str, steps, values, color: str = PALETTE[0]) -> Series:
    x = np.asarray(steps, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    order = np.argsort(x, kind="stable")
    x, y = x[order], y[order]
    big = np.abs(y) >= INF_LIMIT
    if big.any():
        y = np.where(big, np.sign(y) * np.inf, y)
    return Series(label, x, y, color)


def fmt_tick(v: float, span: float) -> str:
    if v == 0:
        return "0"
    a = abs(v)
    if a >= 1e6 or a < 1e-3:
        return f"{v:.3g}"
    decimals = max(0, min(6, -int(math.floor(math.log10(span))) + 1)) if span > 0 else 3
    text = f"{v:,.{decimals}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def nice_ticks(lo: float, hi: float, n: int, integer: bool = False) -> list[float]:
    """At most ``n``+1 round tick values inside [lo, hi] (steps of 1, 2, 2.5 or 5 × 10^k)."""
    span = hi - lo
    if not (math.isfinite(span) and span > 0):
        return [lo]
    raw = span / max(1, n)
    mag = 10.0 ** math.floor(math.log10(raw))
    step = next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)
    if integer:
        step = max(1.0, math.ceil(step))
    first = math.ceil(lo / step - 1e-9)
    ticks = []
    k = first
    while k * step <= hi + step * 1e-9 and len(ticks) <= n + 1:
        v = float(f"{k * step:.12g}")       # 1.4999999999999999e-05 → 1.5e-05
        ticks.append(0.0 if abs(v) < step * 1e-9 else v)
        k += 1
    return ticks


def _ticks(lo: float, hi: float, n: int, integer: bool) -> list[Tick]:
    span = (hi - lo) or 1.0
    return [Tick(v, (v - lo) / span, fmt_tick(v, span)) for v in nice_ticks(lo, hi, n, integer)]


def layout(out_path: str, series: list[Series], width: int = WIDTH_PX,
           height: int = HEIGHT_PX) -> ChartSpec:
    """Limits, ticks and flag counts for a chart of ``series`` (runs in the main process)."""
    xs = [s.steps for s in series if len(s.steps)]
    finite = [s.values[np.isfinite(s.values)] for s in series]
    finite = [f for f in finite if len(f)]
    if xs:
        xlo, xhi = min(float(x[0]) for x in xs), max(float(x[-1]) for x in xs)
    else:
        xlo, xhi = 0.0, 1.0
    if xhi - xlo < 1:
        xlo, xhi = xlo - 1, xhi + 1
    if finite:
        ylo, yhi = min(float(f.min()) for f in finite), max(float(f.max()) for f in finite)
    else:
        ylo, yhi = 0.0, 1.0
    if yhi - ylo <= abs(yhi) * 1e-12:
        pad = abs(yhi) * 0.1 or 1.0
        ylo, yhi = ylo - pad, yhi + pad
    ypad, xpad = (yhi - ylo) * 0.08, (xhi - xlo) * 0.02
    ylo, yhi, xlo, xhi = ylo - ypad, yhi + ypad, xlo - xpad, xhi + xpad
    flags: dict[str, int] = {}
    for s in series:
        for name, mask in (("NaN", np.isnan(s.values)), ("+inf", np.isposinf(s.values)),
                           ("-inf", np.isneginf(s.values))):
            c = int(mask.sum())
            if c:
                flags[name] = flags.get(name, 0) + c
    return ChartSpec(out_path, series, (xlo, xhi), (ylo, yhi),
                     xticks=_ticks(xlo, xhi, 6, True), yticks=_ticks(ylo, yhi, 4, False),
                     flags=flags, width=width, height=height)


def decimate(x: np.ndarray, y: np.ndarray, buckets: int) -> tuple[np.ndarray, np.ndarray]:
    """Keep first/min/max/last of each of ``buckets`` column groups (same drawn line)."""
    n = len(x)
    if n <= 4 * buckets:
        return x, y
    edges = np.linspace(0, n, buckets + 1, dtype=np.int64)
    starts, ends = edges[:-1], edges[1:] - 1
    mins = np.minimum.reduceat(y, starts)
    maxs = np.maximum.reduceat(y, starts)
    # index of min / max inside each bucket
    idx = []
    for a, b, lo, hi in zip(starts, ends, mins, maxs):
        seg = y[a:b + 1]
        i_lo, i_hi = a + int(np.argmax(seg == lo)), a + int(np.argmax(seg == hi))
        idx.extend(sorted({int(a), i_lo, i_hi, int(b)}))
    idx = np.asarray(idx, dtype=np.int64)
    return x[idx], y[idx]


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


def render_chart(spec: ChartSpec) -> str:
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
        line.set(**{"linestyle": "-", "marker": "None", "markersize": 0, "alpha": 1.0,
                    "markeredgewidth": 1.0, **style})

    # Grid lines are drawn by the page (HTML/CSS), like the tick labels: fewer pixels here.
    edge = (yhi - ylo) * 0.03
    for s in spec.series:
        finite = np.isfinite(s.values)
        xf, yf = decimate(s.steps[finite], s.values[finite], spec.width)
        few = len(xf) <= 40
        draw(xf, yf, color=s.color, linewidth=1.6, marker="o" if few else "None",
             markersize=5 if len(xf) == 1 else 3, markerfacecolor=s.color, markeredgecolor=s.color)
        for mask, y, marker in ((np.isnan(s.values), ylo + edge, "x"),
                                (np.isposinf(s.values), yhi - edge, "^"),
                                (np.isneginf(s.values), ylo + edge, "v")):
            if mask.any():
                xs = s.steps[mask]
                draw(xs, np.full(len(xs), y), linestyle="None", marker=marker, color="#ef4444",
                     markerfacecolor="#ef4444", markeredgecolor="#ef4444", markersize=8,
                     markeredgewidth=2, linewidth=0)
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
    raw = np.zeros((h, w * 4 + 1), dtype=np.uint8)   # each row: filter byte 0, then pixels
    raw[:, 1:] = rgba.reshape(h, -1)

    def chunk(kind: bytes, body: bytes) -> bytes:
        return (struct.pack(">I", len(body)) + kind + body
                + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF))

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw.tobytes(), level)) + chunk(b"IEND", b""))


def _render_many(specs: list[ChartSpec]) -> int:
    for spec in specs:
        render_chart(spec)
    return len(specs)


def _warm() -> None:
    _figure(WIDTH_PX, HEIGHT_PX)


def submit_charts(pool: Executor | None, specs: list[ChartSpec], batch: int = 16) -> list[Future]:
    """Queue charts in batches (one task per batch keeps inter-process traffic low)."""
    futures: list[Future] = []
    if pool is None:
        f: Future = Future()
        f.set_result(_render_many(specs))
        return [f]
    for i in range(0, len(specs), batch):
        futures.append(pool.submit(_render_many, specs[i:i + batch]))
    return futures
