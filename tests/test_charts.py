"""The chart renderers: what the SVG plot area holds, the PNG option, decimation."""

from __future__ import annotations

import math
import random
import re
import xml.etree.ElementTree as ET

import pytest

from sitegen import BuildOptions, build
from sitegen.charts import decimate, layout, make_series, render_chart, svg_chart

NS = "{http://www.w3.org/2000/svg}"


def _points(svg: bytes) -> list[list[tuple[float, float]]]:
    root = ET.fromstring(svg)
    return [
        [tuple(map(float, p.split(","))) for p in line.get("points").split()] for line in root.iter(f"{NS}polyline")
    ]


def test_svg_maps_values_into_the_plot_area(tmp_path):
    s = make_series("loss", [0, 1, 2, 3] * 25, list(range(100)))
    spec = layout(str(tmp_path / "c.svg"), [s])
    doc = svg_chart(spec)
    root = ET.fromstring(doc)
    assert root.get("viewBox") == f"0 0 {spec.width} {spec.height}"
    (line,) = _points(doc)
    xs, ys = zip(*line)
    assert all(0 < x < spec.width for x in xs) and all(0 < y < spec.height for y in ys)
    # step order, and a larger value is drawn higher (smaller y)
    assert list(xs) == sorted(xs)
    lo_y = (spec.ylim[1] - 0) / (spec.ylim[1] - spec.ylim[0]) * spec.height
    assert any(abs(y - lo_y) < 0.1 for y in ys)


def test_svg_holds_no_text_from_the_store(tmp_path):
    evil = "<script>alert(1)</script>"
    spec = layout(str(tmp_path / "c.svg"), [make_series(evil, [1, 2], [3.0, 4.0])])
    doc = svg_chart(spec).decode()
    assert "script" not in doc and "alert" not in doc and "<text" not in doc


def test_non_finite_values_are_marked_not_joined(tmp_path):
    s = make_series("m", [0, 1, 2, 3, 4], [1.0, math.nan, 2.0, math.inf, -math.inf])
    spec = layout(str(tmp_path / "c.svg"), [s])
    assert spec.flags == {"NaN": 1, "+inf": 1, "-inf": 1}
    doc = svg_chart(spec).decode()
    (line,) = _points(doc.encode())
    assert len(line) == 2  # only the two finite points are joined
    assert doc.count("m-4-4 8 8") == 1 and doc.count("m0-5 5 8h-10z") == 1 and doc.count("m0 5 5-8h-10z") == 1


def test_single_point_is_a_dot(tmp_path):
    spec = layout(str(tmp_path / "c.svg"), [make_series("m", [7], [0.5])])
    doc = svg_chart(spec).decode()
    assert "<polyline" not in doc and 'fill="#3b82f6"' in doc


def test_long_series_reduced_but_extremes_kept():
    rng = random.Random(1)
    y = [rng.gauss(0, 1) for _ in range(200_000)]
    y[123_457] = 50.0
    y[7] = -40.0
    x = [float(i) for i in range(len(y))]
    xd, yd = decimate(x, y, 640)
    assert len(xd) <= 4 * 640
    assert max(yd) == 50.0 and min(yd) == -40.0 and xd[0] == 0 and xd[-1] == len(y) - 1
    assert all(a < b for a, b in zip(xd, xd[1:]))


def test_out_of_order_steps_and_sql_infinities():
    s = make_series("m", [3, 1, 2, 2], [30.0, 10.0, 1.7976931348623157e308, 20.0])
    assert s.steps == [1.0, 2.0, 3.0] and s.values == [10.0, 20.0, 30.0]
    assert s.marks == {"+inf": [2.0]}


def test_svg_size_bounded_for_huge_histories(tmp_path):
    n = 300_000
    spec = layout(str(tmp_path / "c.svg"), [make_series("m", range(n), [math.sin(i / 1e3) for i in range(n)])])
    assert len(svg_chart(spec)) < 64_000


def test_png_format_drawn_by_matplotlib(tmp_path):
    pytest.importorskip("matplotlib")
    spec = layout(str(tmp_path / "c.png"), [make_series("m", [0, 1, 2], [1.0, 3.0, 2.0])])
    render_chart(spec)
    data = (tmp_path / "c.png").read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n") and len(data) > 200


def test_build_with_png_charts(corpus_copy, tmp_path):
    from conftest import store_uri

    out = tmp_path / "site"
    build(BuildOptions(store=store_uri(corpus_copy, "3.17.2-file"), out=str(out), chart_format="png"))
    pngs = list(out.glob("experiments/*/runs/*/charts/*.png"))
    assert pngs and not list(out.rglob("charts/*.svg"))
    html = "".join(p.read_text(encoding="utf-8") for p in out.glob("experiments/*/runs/*/index.html"))
    assert re.search(r'src="charts/[^"]+\.png"', html) and not re.search(r'src="charts/[^"]+\.svg"', html)
    # switching the format back redoes every chart
    build(BuildOptions(store=store_uri(corpus_copy, "3.17.2-file"), out=str(out)))
    assert not list(out.rglob("charts/*.png")) and list(out.rglob("charts/*.svg"))
