"""The compare page (compare.js, parcoords.js, scatter.js) in real headless Chromium, from
file://, on a site built from a store written by real MLflow."""

import math

import pytest
from conftest import js_errors

from sitegen import BuildOptions, build

pytestmark = pytest.mark.browser

T0 = 1_700_000_000_000
LONG = 1200
HOSTILE = "γ <b>bold</b>"
# name, params, final loss scale, val/acc (NaN for gamma)
SAME = {"seed": "1", "data/dir": "/d"}
OTHER = {"lr": "1", "optimizer": "sgd", "model/depth": "2", "seed": "2", "batch": "64", "data/dir": "/e"}
RUNS = [
    ("alpha", {"lr": "0.1", "optimizer": "adam", "model/depth": "4", "größe": "klein", **SAME}, 0.9, 0.8),
    ("beta", {"lr": "0.01", "optimizer": "adam", "model/depth": "4", "größe": "groß", **SAME}, 0.5, 0.85),
    (HOSTILE, {"lr": "0.001", "optimizer": "sgd", "model/depth": "8", **SAME}, 0.7, math.nan),
    ("delta", OTHER, 0.3, 0.6),
]
METRICS = {"metrics.train/loss", "metrics.val/acc", "metrics.τ score"}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Four runs: differing and equal params (unicode, '/' in keys, one missing), a 50-step
    train/loss, single-value val/acc (NaN in one run) and τ score; the built compare page."""
    import mlflow
    from mlflow.entities import Metric, Param

    root = tmp_path_factory.mktemp("compare-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = mlflow.MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("compare", artifact_location=(root / "artifacts").as_uri())
    ids = []
    for i, (name, params, scale, acc) in enumerate(RUNS):
        rid = client.create_run(exp, run_name=name, start_time=T0 + i * 1000).info.run_id
        metrics = [Metric("train/loss", scale / (1 + s), T0 + 1000 * s, s) for s in range(50)]
        metrics += [Metric("val/acc", acc, T0 + 60_000, 0), Metric("τ score", scale * 2, T0 + 60_000, 0)]
        client.log_batch(rid, metrics=metrics, params=[Param(k, v) for k, v in params.items()])
        if i == 0:  # more points than series.js keeps: decimated, full resolution on zoom
            client.log_batch(rid, metrics=[Metric("system/gpu", s % 7, T0 + 10 * s, s) for s in range(LONG)])
        client.set_terminated(rid, end_time=T0 + 100_000)
        ids.append(rid)
    out = root / "site"
    build(BuildOptions(store=uri, out=str(out), jobs=1))
    page = out / "experiments" / exp / "compare.html"
    assert page.is_file()
    return page, ids, client


def _differing(client, ids):
    """Param keys whose values differ across the runs (a run lacking the key counts), from MLflow."""
    params = [client.get_run(i).data.params for i in ids]
    keys = set().union(*params)
    return {k for k in keys if len({p.get(k) for p in params}) > 1}, keys


def _q(drv, css):
    from selenium.webdriver.common.by import By

    return drv.find_elements(By.CSS_SELECTOR, css)


def _open(drv, url):
    from selenium.webdriver.support.ui import WebDriverWait

    drv.get("about:blank")  # a new document, not a fragment change of the current one
    drv.get(url)
    WebDriverWait(drv, 15).until(lambda d: _q(d, "#compare-app[data-state=ready], #compare-app[data-state=empty]"))


def _wait(drv, cond):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(drv, 10).until(cond)


def _click(drv, css):
    """Click as a person would, the element scrolled clear of the sticky top bar."""
    el = drv.find_element("css selector", css)
    drv.execute_script("arguments[0].scrollIntoView({block: 'center'})", el)
    el.click()


def _hash(drv, value):
    drv.execute_script("location.hash = arguments[0]", value)


def test_compare_three_runs(driver, site):
    page, ids, client = site
    a, b, c, d = ids
    chosen = [a, b, c]
    _open(driver, f"{page.as_uri()}#runs={a},{b},{c}")

    # header: the runs in the fragment's order, linked to their pages, store text as text
    rows = _q(driver, "#cmp-runs tbody tr")
    assert [r.get_attribute("data-run-id") for r in rows] == chosen
    links = _q(driver, "#cmp-runs tbody tr a")
    assert [x.text for x in links] == ["alpha", "beta", HOSTILE]
    assert all(x.get_attribute("href").endswith(f"/runs/{i}/index.html") for x, i in zip(links, chosen))
    assert _q(driver, "#compare-app b") == []

    # params side by side: one column per run, data-differs exactly where MLflow's values differ
    assert [th.get_attribute("data-run-id") for th in _q(driver, "#cmp-params thead th.cmp-run-col")] == chosen
    differing, keys = _differing(client, chosen)
    prows = _q(driver, "#cmp-params tbody tr[data-key]")
    assert {r.get_attribute("data-key") for r in prows} == keys  # 'batch' (delta's only) is not there
    marked = {r.get_attribute("data-key") for r in prows if r.get_attribute("data-differs") is not None}
    assert marked == differing == {"lr", "optimizer", "model/depth", "größe"}
    row = next(r for r in prows if r.get_attribute("data-key") == "größe")
    assert [td.text for td in row.find_elements("css selector", "td")] == ["klein", "groß", "—"]

    # differences only: the same rows hide, and the toggle lives in the URL
    assert all(r.is_displayed() for r in prows)
    _click(driver, "#cmp-diff-only")
    _wait(driver, lambda d: "diffOnly=true" in d.current_url)
    _wait(driver, lambda d: not any(r.is_displayed() for r in prows if r.get_attribute("data-differs") is None))
    assert {r.get_attribute("data-key") for r in prows if r.is_displayed()} == differing

    # metrics table: latest/min/max/last step; the lowest final train/loss marked best
    loss = "#cmp-metrics tbody[data-metric='train/loss']"
    latest = [td.text for td in _q(driver, loss + " tr[data-stat=latest] td")]
    assert latest[0].startswith("0.018") and latest[2].startswith("0.014")
    best = _q(driver, loss + " tr[data-stat=latest] td.best")
    assert len(best) == 1 and best[0].text.startswith("0.01")  # beta: 0.5/50
    assert [td.text for td in _q(driver, loss + " tr[data-stat=last_step] td")] == ["49", "49", "49"]
    assert [td.text for td in _q(driver, loss + " tr[data-stat=max] td")] == ["0.9", "0.5", "0.7"]
    acc = [td.text for td in _q(driver, "#cmp-metrics tbody[data-metric='val/acc'] tr[data-stat=latest] td")]
    assert acc[2] == "NaN" and "0.85" in acc[1]

    # overlaid histories: the metric with a history is charted by default, one series per run
    cards = _q(driver, "#cmp-charts .cmp-chart")
    assert [x.get_attribute("data-metric") for x in cards] == ["train/loss"]
    legend = _q(driver, "#cmp-charts .cmp-chart[data-metric='train/loss'] .ichart-legend li")
    assert [x.text for x in legend] == ["alpha", "beta", HOSTILE]
    state = driver.execute_script("return trackreport.compare.charts['train/loss'].state()")
    assert state["hidden"] == [False] * 3 and state["x"] == "step"
    # a single-value metric added from the picker is a bar chart (NaN marked, not dropped)
    _click(driver, "#cmp-charts details.cmp-picker summary")
    _click(driver, "#cmp-charts input[value='val/acc']")
    _wait(driver, lambda d: _q(d, "#cmp-charts .cmp-chart[data-metric='val/acc'] svg g.bar"))
    bars = _q(driver, "#cmp-charts .cmp-chart[data-metric='val/acc'] svg g.bar")
    assert [x.get_attribute("data-run-id") for x in bars] == chosen
    assert "not drawn" in bars[2].text
    assert "metrics=train/loss,val/acc" in driver.current_url
    assert driver.switch_to.active_element.get_attribute("value") == "val/acc"  # the picker kept focus

    # parallel coordinates: a line per run, an axis per default dimension (differing params, metrics)
    lines = _q(driver, "#cmp-parcoords path.pc-line")
    assert [x.get_attribute("data-run-id") for x in lines] == chosen
    axes = [x.get_attribute("data-dim") for x in _q(driver, "#cmp-parcoords g.pc-axis")]
    assert set(axes) == {f"params.{k}" for k in differing} | METRICS
    assert _q(driver, "#cmp-parcoords svg[role=img][aria-label]")
    kinds = {x.get_attribute("data-dim"): x.get_attribute("data-kind") for x in _q(driver, "#cmp-parcoords g.pc-axis")}
    assert kinds["params.optimizer"] == "categorical" and kinds["params.lr"] == "log"
    grosse = _q(driver, "#cmp-parcoords g.pc-axis[data-dim='params.größe'] .pc-special")
    assert [x.text for x in grosse] == ["missing"]
    # chosen axes and colouring from the fragment
    view = "diffOnly=true&metrics=train/loss,val/acc&axes=params.lr,metrics.val/acc&colorBy=params.lr"
    _hash(driver, f"runs={a},{b},{c}&{view}")
    _wait(driver, lambda d: len(_q(d, "#cmp-parcoords g.pc-axis")) == 2)
    nan = _q(driver, "#cmp-parcoords g.pc-axis[data-dim='metrics.val/acc'] .pc-special")
    assert [x.text for x in nan] == ["NaN"]
    assert len({x.get_attribute("stroke") for x in _q(driver, "#cmp-parcoords path.pc-line")}) == 3

    # scatter: one point per run, in the run's colour; axes from the fragment
    points = _q(driver, "#cmp-scatter circle.sc-point")
    assert [x.get_attribute("data-run-id") for x in points] == chosen
    _hash(driver, driver.execute_script("return location.hash.slice(1)") + "&x=params.optimizer&y=metrics.τ%20score")
    _wait(driver, lambda d: _q(d, "#cmp-scatter g.sc-x[data-kind=categorical]"))
    assert driver.find_element("css selector", "#cmp-sc-y").get_attribute("value") == "metrics.τ score"
    assert len(_q(driver, "#cmp-scatter circle.sc-point")) == 3

    # reload: the URL alone gives the same view
    url = driver.current_url
    driver.refresh()
    _wait(driver, lambda d: _q(d, "#compare-app[data-state=ready]"))
    assert driver.current_url == url
    assert driver.find_element("css selector", "#cmp-diff-only").is_selected()
    axes = [x.get_attribute("data-dim") for x in _q(driver, "#cmp-parcoords g.pc-axis")]
    assert axes == ["params.lr", "metrics.val/acc"]
    assert [x.get_attribute("data-metric") for x in _q(driver, "#cmp-charts .cmp-chart")] == ["train/loss", "val/acc"]
    assert len(_q(driver, "#cmp-scatter circle.sc-point")) == 3
    assert _q(driver, "#cmp-scatter g.sc-x[data-kind=categorical]")

    # changing the fragment changes the view: two runs, then another pair
    _hash(driver, f"runs={a},{d}")
    _wait(driver, lambda d_: len(_q(d_, "#cmp-params thead th.cmp-run-col")) == 2)
    _wait(driver, lambda d_: _q(d_, "#compare-app[data-state=ready]"))
    assert len(_q(driver, "#cmp-parcoords path.pc-line")) == 2
    assert len(_q(driver, "#cmp-scatter circle.sc-point")) == 2
    assert len(_q(driver, "#cmp-charts .ichart-legend li")) == 2
    marked = {r.get_attribute("data-key") for r in _q(driver, "#cmp-params tr[data-differs]")}
    assert marked == _differing(client, [a, d])[0]
    assert js_errors(driver) == []


def test_compare_notes(driver, site):
    page, ids, _ = site
    # unknown ids are named; the known ones are still compared
    _open(driver, f"{page.as_uri()}#runs={ids[0]},nosuchrun,0123abc")
    note = driver.find_element("css selector", ".cmp-note[data-unknown]")
    assert "nosuchrun" in note.text and "0123abc" in note.text
    assert len(_q(driver, "#cmp-params thead th.cmp-run-col")) == 1
    # the remove button takes a run out through the fragment
    _click(driver, "#cmp-runs button.cmp-remove")
    _wait(driver, lambda d: _q(d, "#compare-app[data-state=empty]"))
    assert "nosuchrun" in driver.current_url and ids[0] not in driver.current_url
    # no runs at all: how to choose them, with a link to the experiment page
    _open(driver, page.as_uri())
    text = driver.find_element("id", "compare-app").text
    assert "No runs chosen" in text and "experiment page" in text
    link = driver.find_element("css selector", ".cmp-note a")
    assert link.get_attribute("href") == page.with_name("index.html").as_uri()
    assert all(not s.is_displayed() for s in _q(driver, "#compare-app section"))
    assert driver.execute_script("return window.__alerts") == []
    assert js_errors(driver) == []


def test_compare_decimated_history_loads_on_zoom(driver, site):
    """A system metric is not charted by default; chosen, its decimated series gives way to the
    run's full-resolution history file (runs/<run_id>/history/…) when the chart is zoomed."""
    page, ids, _ = site
    _open(driver, f"{page.as_uri()}#runs={ids[0]},{ids[1]}")
    assert [x.get_attribute("data-metric") for x in _q(driver, "#cmp-charts .cmp-chart")] == ["train/loss"]
    steps = _q(driver, "#cmp-metrics tbody[data-metric='system/gpu'] tr[data-stat=last_step] td")
    assert [x.text for x in steps] == [str(LONG - 1), "—"]
    _hash(driver, f"runs={ids[0]},{ids[1]}&metrics=system/gpu")
    _wait(driver, lambda d: d.execute_script("return !!trackreport.compare.charts['system/gpu']"))
    state = "return trackreport.compare.charts['system/gpu'].state()"
    assert driver.execute_script(state)["points"][0] < LONG
    driver.execute_script("trackreport.compare.charts['system/gpu'].uplot().setScale('x', {min: 100, max: 200})")
    _wait(driver, lambda d: d.execute_script(state)["full"] == [True])
    assert driver.execute_script(state)["points"] == [LONG]
    assert [x.text for x in _q(driver, "#cmp-charts .cmp-chart p.cmp-missing")] == ["Not logged by: beta"]
    assert js_errors(driver) == []


def test_a_long_run_name_heads_its_column_in_three_lines(driver, site):
    """A 600-character run name (the runs table shows it whole) is cut to three lines where it
    heads a column of the params, metrics and tags tables, not one word per line all the way down."""
    page, ids, _client = site
    _open(driver, f"{page.as_uri()}#runs={ids[0]},{ids[1]}")
    heights = driver.execute_script(
        """
        return Array.prototype.map.call(document.querySelectorAll('th.cmp-run-col a'), function (a) {
          a.textContent = 'very-long-name '.repeat(40);
          var px = parseFloat(getComputedStyle(a).fontSize);
          return [a.getBoundingClientRect().height, px];
        });
        """
    )
    assert len(heights) >= 4  # params and metrics tables, two runs each
    assert all(h <= 3 * 1.7 * px for h, px in heights), heights
    assert js_errors(driver) == []
