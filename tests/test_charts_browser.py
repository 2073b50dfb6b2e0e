"""The run page's interactive metric charts (charts.js on uPlot) in real headless Chromium,
from file://, on a site built from a store written by real MLflow."""

import base64
import math
import re

import pytest
from conftest import js_errors

from sitegen import BuildOptions, build

pytestmark = pytest.mark.browser

T0 = 1_700_000_000_000
LONG = 3000  # points of train/loss: more than series.js keeps, so it comes decimated
NAN_STEP = 1234


@pytest.fixture(scope="module")
def run_page(tmp_path_factory):
    """A run with a 3,000-point metric holding one NaN, a metric logged 50 times without a
    step (field case 12) and a single-value metric; its page in the built site."""
    import mlflow
    from mlflow.entities import Metric

    root = tmp_path_factory.mktemp("charts-store")
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{root / 'mlflow.db'}")
    exp = client.create_experiment("charts", artifact_location=(root / "artifacts").as_uri())
    run = client.create_run(exp, run_name="long-run", start_time=T0)
    rid = run.info.run_id
    points = [
        Metric("train/loss", math.nan if s == NAN_STEP else 2.0 / (1 + s / 100), T0 + 1000 * s, s) for s in range(LONG)
    ]
    points += [Metric("loss", 1.0 - i * 0.02, T0 + 60_000 * i, 0) for i in range(50)]
    for i in range(0, len(points), 1000):
        client.log_batch(rid, metrics=points[i : i + 1000])
    client.log_metric(rid, "final", 0.5, timestamp=T0 + LONG * 1000, step=0)
    client.set_terminated(rid, end_time=T0 + LONG * 1000)
    out = root / "site"
    build(BuildOptions(store=f"sqlite:///{root / 'mlflow.db'}", out=str(out), jobs=1))
    page = out / "experiments" / exp / "runs" / rid / "index.html"
    assert (out / "static" / "vendor" / "uplot" / "uPlot.iife.min.js").is_file()
    return page


def _card(drv, key):
    from selenium.webdriver.common.by import By

    return drv.find_element(By.CSS_SELECTOR, f'.chart-card[data-metric="{key}"]')


def _state(drv, key):
    return drv.execute_script("return trackreport.runcharts.charts[arguments[0]].state()", key)


def _enhanced(drv, key):
    """The card of ``key`` scrolled into view and turned into an interactive chart."""
    from selenium.webdriver.support.ui import WebDriverWait

    card = _card(drv, key)
    drv.execute_script("arguments[0].scrollIntoView({block: 'center'})", card)
    WebDriverWait(drv, 10).until(
        lambda d: d.execute_script("return !!(trackreport.runcharts.charts[arguments[0]])", key)
    )
    return card


def test_run_page_charts(driver, run_page, tmp_path):
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    wait = WebDriverWait(driver, 10)
    js_errors(driver)
    driver.get(run_page.as_uri())

    # the long metric: a canvas replaces the build-time image, which stays for print
    card = _enhanced(driver, "train/loss")
    assert card.find_elements(By.CSS_SELECTOR, ".ichart canvas")
    assert not card.find_element(By.CSS_SELECTOR, "figure.chart").is_displayed()
    assert card.find_element(By.CSS_SELECTOR, "figure.chart img").get_attribute("src").endswith(".svg")
    st = _state(driver, "train/loss")
    assert st["x"] == "step" and st["xMode"] == "auto"
    assert st["full"] == [False] and 0 < st["points"][0] <= 1100  # decimated in series.js
    assert st["nonFinite"] == 1
    note = card.find_element(By.CSS_SELECTOR, ".ichart-note").text
    assert "1 NaN" in note and "of 3,000 points" in note

    # hover: the tooltip names the run, the step, the value and the wall time
    over = card.find_element(By.CSS_SELECTOR, ".u-over")
    w = over.size["width"]
    ActionChains(driver).move_to_element_with_offset(over, 0, 0).perform()  # the middle
    tip = card.find_element(By.CSS_SELECTOR, ".ichart-tip")
    wait.until(lambda d: tip.is_displayed() and "step" in tip.text)
    step = int(re.search(r"step (\d+)", tip.text).group(1))
    assert abs(step - LONG / 2) < LONG * 0.05, tip.text
    value = float(re.search(r"value ([\d.]+)", tip.text).group(1))
    assert value == pytest.approx(2.0 / (1 + step / 100), rel=1e-5)
    assert "long-run" in tip.text and "(+" in tip.text

    # the NaN's own point: the tooltip says NaN
    x_nan = driver.execute_script(
        "var u = trackreport.runcharts.charts['train/loss'].uplot(); return u.valToPos(arguments[0], 'x')", NAN_STEP
    )
    ActionChains(driver).move_to_element_with_offset(over, int(x_nan - w / 2), 0).perform()
    wait.until(lambda d: f"step {NAN_STEP}" in tip.text)
    assert "value NaN" in tip.text

    # log scale and the x axis: through the toolbar's labelled controls
    log = card.find_element(By.XPATH, ".//label[contains(., 'Log scale')]//input")
    log.click()
    wait.until(lambda d: _state(d, "train/loss")["logY"])
    assert driver.execute_script("return trackreport.runcharts.charts['train/loss'].uplot().scales.y.distr") == 3
    x_select = Select(card.find_element(By.XPATH, ".//label[contains(., 'X axis')]//select"))
    x_select.select_by_value("relative")
    wait.until(lambda d: _state(d, "train/loss")["x"] == "relative")
    assert _state(driver, "train/loss")["xRange"][1] == pytest.approx(LONG - 1, abs=1)  # seconds since start
    x_select.select_by_value("step")
    wait.until(lambda d: _state(d, "train/loss")["x"] == "step")

    # smoothing: the slider, keyboard only
    slider = card.find_element(By.CSS_SELECTOR, "input[type=range]")
    slider.send_keys(*["\ue014"] * 60)  # arrow right
    wait.until(lambda d: _state(d, "train/loss")["smoothing"] >= 0.6)
    assert _state(driver, "train/loss")["shown"] == 2  # raw (faint) and smoothed

    # drag-zoom: narrower range, full resolution loaded; reset restores the whole range
    start = _state(driver, "train/loss")["xRange"]
    over = card.find_element(By.CSS_SELECTOR, ".u-over")  # a new chart since the options changed
    ActionChains(driver).move_to_element_with_offset(over, int(-w * 0.3), 0).click_and_hold().move_by_offset(
        int(w * 0.1), 0
    ).release().perform()
    wait.until(lambda d: _state(d, "train/loss")["zoom"] is not None)
    wait.until(lambda d: _state(d, "train/loss")["full"] == [True])
    st = _state(driver, "train/loss")
    assert st["zoom"] and st["xRange"][1] - st["xRange"][0] < (start[1] - start[0]) / 3
    assert st["points"] == [LONG] and "of 3,000 points" not in st["note"]
    reset = card.find_element(By.XPATH, ".//button[normalize-space()='Reset zoom']")
    reset.click()
    wait.until(lambda d: _state(d, "train/loss")["zoom"] is None)
    assert _state(driver, "train/loss")["xRange"] == pytest.approx(start)
    over = card.find_element(By.CSS_SELECTOR, ".u-over")  # zoom again, then double-click resets too
    ActionChains(driver).move_to_element_with_offset(over, 0, 0).click_and_hold().move_by_offset(
        int(w * 0.2), 0
    ).release().perform()
    wait.until(lambda d: _state(d, "train/loss")["zoom"] is not None)
    ActionChains(driver).double_click(over).perform()
    wait.until(lambda d: _state(d, "train/loss")["zoom"] is None)
    assert _state(driver, "train/loss")["xRange"] == pytest.approx(start)

    # exports: axis labels, the legend and the NaN note in the SVG; a PNG blob
    svg = driver.execute_script("return trackreport.runcharts.charts['train/loss'].toSVG()")
    assert svg.startswith("<svg") and "Step</text>" in svg and "long-run</text>" in svg
    assert len(re.findall(r"<text[^>]*>[\d.,e−-]+</text>", svg)) >= 6  # tick labels of both axes
    assert "1 NaN" in svg
    png = driver.execute_async_script(
        "var done = arguments[0]; trackreport.runcharts.charts['train/loss'].toPNG(function (b) {"
        " var r = new FileReader(); r.onload = function () { done(r.result); }; r.readAsDataURL(b); });"
    )
    head = base64.b64decode(png.split(",", 1)[1])
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and int.from_bytes(head[16:20], "big") >= 400

    # the download buttons work from file:// under the page's CSP
    driver.execute_cdp_cmd("Browser.setDownloadBehavior", {"behavior": "allow", "downloadPath": str(tmp_path)})
    card.find_element(By.XPATH, ".//button[normalize-space()='SVG']").click()
    wait.until(lambda d: (tmp_path / "train_loss.svg").is_file() and (tmp_path / "train_loss.svg").stat().st_size)
    assert "long-run</text>" in (tmp_path / "train_loss.svg").read_text()

    # legend: toggling the run hides its series, and shows it again
    toggle = card.find_element(By.CSS_SELECTOR, ".ichart-legend button")
    assert toggle.get_attribute("aria-pressed") == "true"
    toggle.click()
    wait.until(lambda d: _state(d, "train/loss")["hidden"] == [True])
    assert _state(driver, "train/loss")["shown"] == 0
    assert card.find_element(By.CSS_SELECTOR, ".ichart-legend button").get_attribute("aria-pressed") == "false"
    card.find_element(By.CSS_SELECTOR, ".ichart-legend button").click()
    wait.until(lambda d: _state(d, "train/loss")["shown"] == 2)

    # the metric logged without steps: time since its first point by default (as the SVG), in the tooltip
    card = _enhanced(driver, "loss")
    st = _state(driver, "loss")
    assert st["x"] == "relative" and st["xMode"] == "auto" and st["points"] == [50]
    assert st["xRange"] == pytest.approx([0, 49 * 60])  # seconds since the first point
    assert "Auto (relative time)" in card.find_element(By.CSS_SELECTOR, "select").text
    assert _state(driver, "loss")["full"] == [True] and not card.find_element(By.CSS_SELECTOR, ".ichart-note").text
    over = card.find_element(By.CSS_SELECTOR, ".u-over")
    ActionChains(driver).move_to_element_with_offset(over, 1, 0).perform()
    tip = card.find_element(By.CSS_SELECTOR, ".ichart-tip")
    wait.until(lambda d: tip.is_displayed() and "step 0" in tip.text)

    # a single value stays the build's figure (no chart of one point)
    _card(driver, "final")
    assert driver.execute_script("return trackreport.runcharts.charts['final']") is None
    assert js_errors(driver) == []
    assert driver.execute_script("return window.__alerts") == []


def test_print_shows_the_build_time_charts(driver, run_page):
    from selenium.webdriver.common.by import By

    if not driver.current_url.startswith(run_page.as_uri()):
        driver.get(run_page.as_uri())
    card = _enhanced(driver, "train/loss")
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert card.find_element(By.CSS_SELECTOR, "figure.chart").is_displayed()
        assert not card.find_element(By.CSS_SELECTOR, ".ichart").is_displayed()
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    assert card.find_element(By.CSS_SELECTOR, ".ichart").is_displayed()


def test_api_for_several_runs_and_bars(driver, run_page):
    """What the compare page uses: runs with other steps on one chart, their legend, exports
    that are well-formed SVG with store text as text; bars for one value per run."""
    import xml.etree.ElementTree as ET

    if not driver.current_url.startswith(run_page.as_uri()):
        driver.get(run_page.as_uri())
    js_errors(driver)
    state = driver.execute_async_script(
        """
        var done = arguments[0];
        var box = document.createElement('div'); box.style.width = '640px'; box.id = 't-multi';
        document.querySelector('main').prepend(box);
        var s = [];
        for (var r = 0; r < 3; r++) {
          var st = [], ti = [], va = [];
          for (var i = 0; i < 100 * (r + 1); i++) {
            st.push(i * (r + 1)); ti.push(1.7e12 + 1000 * i);
            va.push(r === 1 && i === 7 ? '-Infinity' : r === 0 && i === 3 ? 0 : 1 / (i + 1));
          }
          s.push({label: 'run <b>' + r + '</b> & co', runId: 'r' + r, step: st, time: ti, value: va});
        }
        window.__multi = trackreport.charts.line(box, {title: 'val/loss', series: s, logY: true});
        window.__multi.setHidden(2, true);
        var bb = document.createElement('div'); bb.style.width = '640px'; bb.id = 't-bars';
        document.querySelector('main').prepend(bb);
        window.__bars = trackreport.charts.bars(bb, {title: 'accuracy', bars: [
          {label: 'a <i>x</i>', value: 0.9, runId: 'r0'}, {label: 'b', value: -0.25}, {label: 'c', value: 'NaN'}]});
        window.__multi.ready().then(function (h) {
          var st2 = h.state();
          st2.legend = Array.prototype.map.call(box.querySelectorAll('.ichart-legend button'),
            function (b) { return [b.textContent, b.getAttribute('aria-pressed')]; });
          st2.colors = [0, 1, 10].map(trackreport.charts.color);
          done(st2);
        });
        """
    )
    assert state["x"] == "step" and state["xRange"] == [0, 897] and state["points"] == [100, 200, 300]
    assert state["hidden"] == [False, False, True] and state["shown"] == 2
    assert [p for _t, p in state["legend"]] == ["true", "true", "false"]
    assert state["legend"][0][0] == "run <b>0</b> & co"  # text, not markup
    assert state["colors"][0] != state["colors"][1] and state["colors"][0] == state["colors"][2]
    assert "1 −∞" in state["note"] and "1 value ≤ 0 not drawn on the log scale" in state["note"]
    smoothed = driver.execute_script("return trackreport.charts.smooth([2, 2, 'x', NaN, 2, 4], 0.9)")
    assert smoothed[:2] == [2, 2] and smoothed[3] is None and 2 < smoothed[5] < 3  # debiased EMA
    svg = ET.fromstring(driver.execute_script("return window.__multi.toSVG()"))
    texts = ["".join(t.itertext()) for t in svg.iter("{http://www.w3.org/2000/svg}text")]
    assert "run <b>0</b> & co" in texts and "run <b>2</b> & co (hidden)" in texts and "val/loss" in texts
    assert "1,000" not in texts and any(t in ("0.01", "0.1", "1") for t in texts)  # log axis labels
    bars = ET.fromstring(driver.execute_script("return window.__bars.toSVG()"))
    ns = "{http://www.w3.org/2000/svg}"
    assert len(bars.findall(f".//{ns}g[@class='bar']/{ns}rect")) == 2  # NaN is not drawn as a bar
    texts = ["".join(t.itertext()) for t in bars.iter(f"{ns}text")]
    assert "a <i>x</i>" in texts and "NaN (not drawn)" in texts and "-0.25" in texts
    assert driver.execute_script("return document.querySelectorAll('#t-multi b, #t-bars i').length") == 0
    assert js_errors(driver) == []


def test_y_axis_of_huge_tiny_and_nearly_constant_values(driver, run_page):
    """uPlot alone gives -1e300 no y ticks, 1e-300 the range 0..100 (the line flat on the
    floor) and 1e12 + 1 the range 0..2e12: each chart's y range holds its values snugly and
    its y axis has distinct labels."""
    if not driver.current_url.startswith(run_page.as_uri()):
        driver.get(run_page.as_uri())
    js_errors(driver)
    cases = [[-1e300, 0.125], [1e300, 1.5e300], [1e-20, 3e-20], [1e-300, 5e-300]]
    cases += [[1e9, 1e9 + 1], [1e12, 1e12 + 1], [0.5, 2]]
    got = driver.execute_async_script(
        """
        var cases = arguments[0], done = arguments[1], out = [];
        (function next(k) {
          if (k === cases.length) return done(out);
          var box = document.createElement('div'); box.style.width = '640px';
          document.querySelector('main').prepend(box);
          var v = cases[k], st = [], ti = [], va = [];
          for (var i = 0; i < 20; i++) { st.push(i); ti.push(1.7e12 + i); va.push(v[i % 2]); }
          trackreport.charts.line(box, {title: 'm', series: [{label: 'a', step: st, time: ti, value: va}]}).ready()
            .then(function (h) {
              var u = h.uplot();
              out.push({labels: u.axes[1]._values, y: [u.scales.y.min, u.scales.y.max]});
              h.destroy(); box.remove(); next(k + 1);
            });
        })(0);
        """,
        cases,
    )
    for (lo, hi), chart in zip(cases, got, strict=True):
        labels = [s for s in chart["labels"] or [] if s]
        assert len(labels) >= 2 and len(set(labels)) == len(labels), (lo, hi, chart)
        ymin, ymax = chart["y"]
        assert ymin <= lo and hi <= ymax and ymax - ymin <= 2 * (hi - lo) + abs(hi) * 1e-12, (lo, hi, chart)
    assert js_errors(driver) == []
