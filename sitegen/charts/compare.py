"""An experiment's comparison charts: which metrics and runs they compare, and which of the
last build's charts still hold, so that the histories behind them need not be read again.

A chart compares one metric across the experiment's latest runs that logged it. Its key is
made of the metric and the compared runs' fingerprints, in order (the order picks the
colours). When the key matches the last build's and the image is still in the site, the
image is kept and its layout (ticks, limits, colours, flag counts: what the page shows around
the image) comes from the manifest; only the charts of changed runs are read and drawn.
"""

from __future__ import annotations

import math
import os
from dataclasses import dataclass
from pathlib import Path

from sitegen import charts
from sitegen.digests import digest
from sitegen.entities import INF_LIMIT, Experiment, Run
from sitegen.render.urls import chart_name

MAX_COMPARE_METRICS = 12
MAX_COMPARE_RUNS = 10


@dataclass(slots=True)
class Comparison:
    key: str  # the metric
    runs: list[Run]  # compared runs, latest first
    chart_key: str  # what the chart is made of
    file: str  # the image's file name in the experiment's charts/
    spec: charts.ChartSpec | None = None
    kept: bool = False  # the last build's image and layout still hold
    bars: list[dict] | None = None  # a metric each run logged once: bars, no image (see single_values)

    def context(self) -> dict:
        """What the experiment template gets for one chart."""
        return {"key": self.key, "src": f"charts/{self.file}", "spec": self.spec, "runs": self.runs, "bars": self.bars}


def single_values(key: str, runs: list[Run]) -> list[dict] | None:
    """Bars for a metric every compared run logged exactly once (a final score: dots stacked at
    one step say nothing), else None. Each bar: run, value, its length in % of the longest
    finite value's distance from zero, and whether the value is NaN or infinite (no bar)."""
    if any(r.metrics[key].count != 1 for r in runs):
        return None
    values = [r.metrics[key].latest.value for r in runs]
    finite = [abs(v) for v in values if math.isfinite(v) and abs(v) < INF_LIMIT]
    top = max(finite, default=0.0) or 1.0
    bars = []
    for r, v in zip(runs, values):
        ok = math.isfinite(v) and abs(v) < INF_LIMIT
        bars.append({"run": r, "value": v, "pct": round(100 * abs(v) / top, 2) if ok else 0, "flag": not ok})
    return bars


def chartable(exp: Experiment) -> list[str]:
    """Metrics logged by two runs or more, in the order the page charts them: those with a
    history (more than one point in some run) first, then by how many runs logged them, then
    by name."""
    counts: dict[str, list[int]] = {}
    for r in exp.runs:
        for k, h in r.metrics.items():
            if len(h):
                c = counts.setdefault(k, [0, 0])
                c[0] += 1
                c[1] = max(c[1], h.count)
    ranked = sorted(counts.items(), key=lambda kv: (kv[1][1] <= 1, -kv[1][0], kv[0]))
    return [k for k, (runs, _points) in ranked if runs >= 2]


def compared_runs(exp: Experiment) -> list[tuple[str, list[Run]]]:
    """The first MAX_COMPARE_METRICS of :func:`chartable`, each with the latest runs that
    logged it (at most MAX_COMPARE_RUNS)."""
    latest_first = sorted(exp.runs, key=lambda r: (-(r.start_time or 0), r.run_id))
    return [
        (key, [r for r in latest_first if key in r.metrics and len(r.metrics[key])][:MAX_COMPARE_RUNS])
        for key in chartable(exp)[:MAX_COMPARE_METRICS]
    ]


def plan(exp: Experiment, fmt: str, previous: dict | None, charts_dir: Path | None) -> list[Comparison]:
    """The experiment's comparison charts; those whose key and image are unchanged since the
    last build (``previous``: its manifest entry for the experiment; ``charts_dir``: the
    site's folder of these images) are marked kept, with their layout restored."""
    out = []
    for key, runs in compared_runs(exp):
        ck = digest(key, fmt, [(r.run_id, r.fingerprint) for r in runs])
        c = Comparison(key, runs, ck, chart_name(key, fmt))
        c.bars = single_values(key, runs)
        if c.bars is not None:  # nothing to draw or read
            c.kept = True
            out.append(c)
            continue
        old = (previous or {}).get(key)
        if (
            old
            and old.get("key") == ck
            and all(r.fingerprint for r in runs)
            and charts_dir is not None
            and os.path.isfile(charts_dir / c.file)
        ):
            try:
                c.spec = _spec_from(old["layout"], str(charts_dir / c.file), runs)
                c.kept = True
            except (KeyError, TypeError, ValueError, IndexError):
                c.spec = None  # an entry from elsewhere: draw the chart again
        out.append(c)
    return out


def runs_to_read(comparisons: list[Comparison]) -> list[Run]:
    """Runs whose full histories the charts that must be drawn need."""
    return [r for c in comparisons if not c.kept for r in c.runs]


def lay_out(comparisons: list[Comparison], charts_dir: Path) -> list[charts.ChartSpec]:
    """Lay out the charts to draw (their runs' histories read by now); return their specs."""
    todo = []
    for c in comparisons:
        if c.kept:
            continue
        series, axis = charts.metric_series(
            [
                (r.display_name, h.steps, h.timestamps, h.values, charts.PALETTE[i % len(charts.PALETTE)])
                for i, r in enumerate(c.runs)
                for h in (r.metrics[c.key],)
            ]
        )
        c.spec = charts.layout(str(charts_dir / c.file), series, x_axis=axis)
        todo.append(c.spec)
    return todo


def manifest_entry(comparisons: list[Comparison]) -> dict:
    """What the next build needs to keep these charts: their keys and layouts."""
    return {c.key: {"key": c.chart_key, "layout": _layout_of(c.spec)} for c in comparisons if c.spec}


def _layout_of(s: charts.ChartSpec) -> dict:
    return {
        "xlim": list(s.xlim),
        "ylim": list(s.ylim),
        "xticks": [[t.value, t.frac, t.label] for t in s.xticks],
        "yticks": [[t.value, t.frac, t.label] for t in s.yticks],
        "flags": s.flags,
        "size": [s.width, s.height],
        "colors": [x.color for x in s.series],
        "x_axis": [s.x_axis.kind, s.x_axis.label, s.x_axis.unit, s.x_axis.note],
    }


def _spec_from(d: dict, out_path: str, runs: list[Run]) -> charts.ChartSpec:
    colors = d["colors"]
    if len(colors) != len(runs):
        raise ValueError("another set of runs")
    series = [charts.Series(r.display_name, [], [], color) for r, color in zip(runs, colors)]
    width, height = d["size"]
    return charts.ChartSpec(
        out_path,
        series,
        tuple(d["xlim"]),
        tuple(d["ylim"]),
        xticks=[charts.Tick(*t) for t in d["xticks"]],
        yticks=[charts.Tick(*t) for t in d["yticks"]],
        flags=dict(d["flags"]),
        width=int(width),
        height=int(height),
        x_axis=charts.XAxis(*d.get("x_axis", ())),
    )
