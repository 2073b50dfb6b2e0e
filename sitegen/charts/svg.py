"""The plot area of a chart as SVG, written without a plotting library: a polyline per series,
dots on short series, red marks for NaN/±inf. Data only: no text, no scripts."""

from __future__ import annotations

import math

from sitegen.charts.layout import FEW_POINTS, FLAG_COLOR, ChartSpec, decimate, edge_markers

# (xlo, sx, n, sign) → (x values, "x0,%.1f x1,%.1f …"): the x texts of a polyline, kept for the next
# chart on the same x values and range (every metric of a run logged at the same steps, and
# most runs of a sweep), which then formats only its y values.
_X_FORMATS: dict[tuple, tuple[list[float], str]] = {}


def _points(xf: list[float], yf: list[float], xlo: float, sx: float, yhi: float, sy: float) -> str:
    """The polyline's points, "x,y x,y …" in pixels with one decimal, made by one %-format
    call (twice as fast as a join of f-strings)."""
    key = (xlo, sx, len(xf), math.copysign(1.0, xlo))  # -0.0 apart from 0.0
    kept = _X_FORMATS.get(key)
    if kept is None or kept[0] != xf:
        texts = ("%.1f " * len(xf) % tuple([(v - xlo) * sx for v in xf])).split(" ")
        if len(_X_FORMATS) >= 16:
            _X_FORMATS.clear()
        kept = _X_FORMATS[key] = (list(xf), ",%.1f ".join(texts[:-1]) + ",%.1f")  # no "%" in a number
    return kept[1] % tuple([(yhi - v) * sy for v in yf])


_FLAG_PATHS = {  # a mark centred on 0,0: ×, ▲, ▼
    "NaN": "m-4-4 8 8m0-8-8 8",
    "+inf": "m0-5 5 8h-10z",
    "-inf": "m0 5 5-8h-10z",
}


def svg_chart(spec: ChartSpec) -> bytes:
    """The plot area of ``spec`` as an SVG document (data only: no text, no scripts)."""
    w, h = spec.width, spec.height
    (xlo, xhi), (ylo, yhi) = spec.xlim, spec.ylim
    sx, sy = w / (xhi - xlo), h / (yhi - ylo)
    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="{w}" height="{h}">'
        '<g fill="none" stroke-width="2" stroke-linejoin="round" stroke-linecap="round">'
    ]
    for s in spec.series:
        xf, yf = decimate(s.steps, s.values, w)
        if len(xf) > 1:
            out.append(f'<polyline stroke="{s.color}" points="{_points(xf, yf, xlo, sx, yhi, sy)}"/>')
        if 0 < len(xf) <= FEW_POINTS:
            px, py = [(v - xlo) * sx for v in xf], [(yhi - v) * sy for v in yf]
            r = 2.5 if len(xf) > 1 else 3.5
            dots = "".join(
                f"M{a - r:.1f},{b:.1f}a{r},{r} 0 1 0 {2 * r},0a{r},{r} 0 1 0 {-2 * r},0" for a, b in zip(px, py)
            )
            out.append(f'<path fill="{s.color}" stroke="none" d="{dots}"/>')
        for xs, y, kind in edge_markers(spec, s):
            marks = "".join(f"M{a:.1f},{(yhi - y) * sy:.1f}{_FLAG_PATHS[kind]}" for a in ((v - xlo) * sx for v in xs))
            fill = "none" if kind == "NaN" else FLAG_COLOR
            out.append(f'<path stroke="{FLAG_COLOR}" stroke-width="2" fill="{fill}" d="{marks}"/>')
    out.append("</g></svg>\n")
    return "".join(out).encode("ascii")
