"""A chart's layout, shared by every image format: series (NaN and ±inf set apart as marks),
the x axis, limits, ticks, flag counts, and the decimation that keeps long series as cheap as
the chart is wide. Runs in the main process; the image is drawn by ``svg`` or ``png``.

The x axis (:func:`metric_series`) is the step, unless the steps cannot tell the points apart:
a metric logged without ``step=`` has every point at step 0 (MLflow's default), and one logged
several times per step stacks them. When **more than half of a chart's points share their step
with another point of the same series** (all 50 at step 0; 3 values per step), the points are
drawn against the **time since the series' first point** (MLflow's "Time (relative)"; labels in
s, min, h or d, by the span) in logged order — unless more than half of them share their
timestamp as well (logged in one batch), then against their **position in logged order**
(1, 2, …). Either way the chart says so: its axis label, and a note such as "all 50 points are
at step 0". A chart where at most half of the points share a step keeps the step axis: a few
repeated steps (a resumed run) draw as short vertical strokes, the rest as usual.
"""

from __future__ import annotations

import math
from collections import Counter
from dataclasses import dataclass, field

from sitegen.entities import INF_LIMIT

WIDTH_PX, HEIGHT_PX = 640, 220
FEW_POINTS = 40  # series this short get a marker on every point
FLAG_COLOR = "#ef4444"
PALETTE = ["#3b82f6", "#f97316", "#10b981", "#ef4444", "#8b5cf6", "#eab308", "#06b6d4", "#ec4899", "#84cc16", "#64748b"]


@dataclass(slots=True)
class Series:
    label: str
    steps: list[float]  # x values, sorted: steps, or times/positions (see the module's docstring)
    values: list[float]  # finite values only, the points drawn as a line
    color: str = PALETTE[0]
    # steps of the points that are drawn as marks instead: "NaN", "+inf", "-inf" → steps
    marks: dict[str, list[float]] = field(default_factory=dict)


@dataclass(slots=True)
class Tick:
    value: float
    frac: float  # 0..1 from the left (x) or bottom (y) of the plot area
    label: str
    pos: str = field(init=False)  # frac in percent, as the page writes it: "12.50"

    def __post_init__(self) -> None:
        self.pos = "%.2f" % (self.frac * 100)


@dataclass(slots=True)
class XAxis:
    kind: str = "step"  # "step", "time" (since the series' first point) or "order" (logged)
    label: str = "step"  # what the page says the x axis is
    unit: str = ""  # of "time": "s", "min", "h" or "d"
    note: str = ""  # why the axis is not the step, e.g. "all 50 points are at step 0"


@dataclass(slots=True)
class ChartSpec:
    out_path: str  # absolute path of the image to write (.svg or .png)
    series: list[Series]
    xlim: tuple[float, float]
    ylim: tuple[float, float]
    xticks: list[Tick] = field(default_factory=list)
    yticks: list[Tick] = field(default_factory=list)
    flags: dict[str, int] = field(default_factory=dict)  # "NaN"/"+inf"/"-inf" → count
    width: int = WIDTH_PX
    height: int = HEIGHT_PX
    x_axis: XAxis = field(default_factory=XAxis)


def make_series(label: str, steps, values, color: str = PALETTE[0]) -> Series:
    """A series sorted by step, its non-finite points split off as marks.

    Plain lists and built-ins that loop in C (sorted, min, max, map): a chart is laid out
    and drawn without numpy, whose import alone would cost more than most charts."""
    x = list(map(float, steps))
    y = list(map(float, values))
    if x != sorted(x):  # logged out of order: stable sort by step
        order = sorted(range(len(x)), key=x.__getitem__)
        x, y = [x[i] for i in order], [y[i] for i in order]
    # sum: NaN or ±inf when any value is (or when the sum overflows: then the slow way below)
    if y and math.isfinite(sum(y)) and -INF_LIMIT < min(y) and max(y) < INF_LIMIT:
        return Series(label, x, y, color)
    fx, fy, marks = [], [], {}
    for step, v in zip(x, y):
        if v != v:
            marks.setdefault("NaN", []).append(step)
        elif v >= INF_LIMIT:  # SQL stores keep +inf as DBL_MAX
            marks.setdefault("+inf", []).append(step)
        elif v <= -INF_LIMIT:
            marks.setdefault("-inf", []).append(step)
        else:
            fx.append(step)
            fy.append(v)
    return Series(label, fx, fy, color, {k: marks[k] for k in ("NaN", "+inf", "-inf") if k in marks})


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
        v = float(f"{k * step:.12g}")  # 1.4999999999999999e-05 → 1.5e-05
        ticks.append(0.0 if abs(v) < step * 1e-9 else v)
        k += 1
    return ticks


_TICKS: dict[tuple, list[tuple]] = {}  # (lo, hi, n, integer, signs) → (value, frac, label) of each tick


def _ticks(lo: float, hi: float, n: int, integer: bool) -> list[Tick]:
    """New Tick objects (callers change labels) from texts made once per range: the x axis of
    every chart on the same steps, the whole run and most of a sweep, shares them."""
    key = (lo, hi, n, integer, math.copysign(1.0, lo), math.copysign(1.0, hi))  # -0.0 apart from 0.0
    made = _TICKS.get(key)
    if made is None:
        span = (hi - lo) or 1.0
        made = [(v, (v - lo) / span, fmt_tick(v, span)) for v in nice_ticks(lo, hi, n, integer)]
        if len(_TICKS) >= 256:
            _TICKS.clear()
        _TICKS[key] = made
    return [Tick(*t) for t in made]


def _shared(xs) -> int:
    """How many of ``xs`` equal another of them."""
    if len(set(xs)) == len(xs):
        return 0
    return len(xs) - sum(1 for c in Counter(xs).values() if c == 1)


_TIME_UNITS = (("s", 1e3, 120e3), ("min", 60e3, 7_200e3), ("h", 3_600e3, 172_800e3), ("d", 86_400e3, math.inf))


def time_unit(span_ms: float) -> tuple[str, float]:
    """(unit, ms per unit) for labels of a time span: s below 2 min, min below 2 h, h below 2 d."""
    return next((name, ms) for name, ms, below in _TIME_UNITS if span_ms < below)


def choose_x_axis(columns: list[tuple]) -> XAxis:
    """The x axis for series given as (steps, timestamps) columns, by the rule of the module's
    docstring; its note counts the points."""
    total = sum(len(steps) for steps, _ in columns)
    shared = sum(_shared(steps) for steps, _ in columns)
    if total < 2 or 2 * shared <= total:
        return XAxis()
    distinct = {s for steps, _ in columns for s in set(steps)}
    if len(distinct) == 1:
        note = f"all {total} points are at step {next(iter(distinct))}"
    else:
        note = f"{total} points at only {len(distinct)} steps"
    if 2 * sum(_shared(times) for _, times in columns) > total:
        return XAxis("order", "point, in logged order", "", note + ", most at a shared time too: drawn in logged order")
    span = max(max(times) - min(times) for _, times in columns if len(times))
    unit = time_unit(span)[0]
    first = "first point" if len(columns) == 1 else "each run's first point"
    return XAxis("time", f"time since {first} ({unit})", unit, note + ": drawn against time")


def metric_series(items: list[tuple]) -> tuple[list[Series], XAxis]:
    """Series of a chart from (label, steps, timestamps in ms, values, color) in logged order,
    on the x axis :func:`choose_x_axis` picks."""
    axis = choose_x_axis([(steps, times) for _, steps, times, _, _ in items])
    out = []
    for label, steps, times, values, color in items:
        if axis.kind == "time":
            ms = next(m for u, m, _ in _TIME_UNITS if u == axis.unit)
            t0 = min(times)
            x = [(t - t0) / ms for t in times]
        elif axis.kind == "order":
            x = range(1, len(values) + 1)
        else:
            x = steps
        out.append(make_series(label, x, values, color))
    return out, axis


def layout(
    out_path: str,
    series: list[Series],
    width: int = WIDTH_PX,
    height: int = HEIGHT_PX,
    x_axis: XAxis | None = None,
) -> ChartSpec:
    """Limits, ticks and flag counts for a chart of ``series`` (runs in the main process)."""
    xs = [x for s in series for x in (s.steps, *s.marks.values()) if x]
    finite = [s.values for s in series if s.values]
    if xs:
        xlo, xhi = min(min(x) for x in xs), max(max(x) for x in xs)
    else:
        xlo, xhi = 0.0, 1.0
    if xhi - xlo < 1:
        pad = max(1.0, abs(xhi) * 1e-9)  # steps near 2**62 do not move by 1
        xlo, xhi = xlo - pad, xhi + pad
    if finite:
        ylo, yhi = min(min(f) for f in finite), max(max(f) for f in finite)
    else:
        ylo, yhi = 0.0, 1.0
    if yhi - ylo <= abs(yhi) * 1e-12:
        pad = abs(yhi) * 0.1 or 1.0
        ylo, yhi = ylo - pad, yhi + pad
    ypad, xpad = (yhi - ylo) * 0.08, (xhi - xlo) * 0.02
    ylo, yhi, xlo, xhi = ylo - ypad, yhi + ypad, xlo - xpad, xhi + xpad
    flags: dict[str, int] = {}
    for s in series:
        for name, steps in s.marks.items():
            flags[name] = flags.get(name, 0) + len(steps)
    x_axis = x_axis or XAxis()
    xticks = _ticks(xlo, xhi, 6, x_axis.kind != "time")
    if x_axis.unit:
        for t in xticks:
            t.label = f"{t.label} {x_axis.unit}" if t.value else "0"
    return ChartSpec(
        out_path,
        series,
        (xlo, xhi),
        (ylo, yhi),
        xticks=xticks,
        yticks=_ticks(ylo, yhi, 4, False),
        flags=flags,
        width=width,
        height=height,
        x_axis=x_axis,
    )


def decimate(x: list[float], y: list[float], buckets: int) -> tuple[list[float], list[float]]:
    """Keep first/min/max/last of each of ``buckets`` column groups (same drawn line)."""
    n = len(x)
    if n <= 4 * buckets:
        return x, y
    idx: list[int] = []
    for b in range(buckets):
        a, e = n * b // buckets, n * (b + 1) // buckets
        if e <= a:
            continue
        seg = y[a:e]
        idx.extend(sorted({a, a + seg.index(min(seg)), a + seg.index(max(seg)), e - 1}))
    return [x[i] for i in idx], [y[i] for i in idx]


def edge_markers(spec: ChartSpec, s: Series) -> list[tuple[list[float], float, str]]:
    """(steps, y, kind) of the points that cannot be drawn as values: NaN, +inf, -inf."""
    ylo, yhi = spec.ylim
    edge = (yhi - ylo) * 0.03
    at = {"NaN": ylo + edge, "+inf": yhi - edge, "-inf": ylo + edge}
    return [(steps, at[kind], kind) for kind, steps in s.marks.items()]
