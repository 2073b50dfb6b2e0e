"""axe-core (tests/vendor/axe-core, scripts/vendor.py) in real headless Chromium from file://
on every page kind of a site built from a store written by real MLflow: index, experiment page
(interactive runs table, column chooser open), compare page, run page (interactive charts and
their toolbars), logged model, registered models — in the light and the dark theme, at
desktop and phone width. No
violation of impact "serious" or "critical" is allowed; the moderate and minor ones are shown
in the failure message. Then the experiment page used with the keyboard only."""

import math
from pathlib import Path

import pytest
from conftest import js_errors

from sitegen import BuildOptions, build

pytestmark = pytest.mark.browser

AXE = Path(__file__).parent / "vendor" / "axe-core" / "axe.min.js"
T0 = 1_700_000_000_000
BLOCKING = ("serious", "critical")
WIDTHS = (1400, 390)  # desktop and phone (the look-and-accessibility issue)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """An experiment with a described parent run and four children (params, a 20-step
    val/loss, a NaN, tags), single runs FAILED and KILLED, a text and a CSV artifact, a
    logged model and a registered model version; the built site (SQLite: the registry)."""
    import mlflow
    from mlflow.entities import Metric, Param, RunTag

    root = tmp_path_factory.mktemp("a11y-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = mlflow.MlflowClient(tracking_uri=uri, registry_uri=uri)
    exp = client.create_experiment("a11y sweep", artifact_location=(root / "artifacts").as_uri())
    client.set_experiment_tag(exp, "mlflow.note.content", "A **sweep** over the learning rate.")
    client.set_experiment_tag(exp, "team", "vision")
    ids = {}
    parent = client.create_run(exp, run_name="sweep", start_time=T0).info.run_id
    ids["sweep"] = parent
    client.log_batch(parent, params=[Param("optimizer", "adam")], tags=[RunTag("mlflow.note.content", "The *parent*.")])
    client.log_text(parent, "a\nb\n", "notes/readme.txt")
    client.log_text(parent, "step,loss\n0,0.9\n1,0.5\n", "tables/loss.csv")
    for i, lr in enumerate(["0.1", "0.01", "0.001", "0.0001"]):
        rid = client.create_run(
            exp, run_name=f"child-{i}", start_time=T0 + (i + 1) * 1000, tags={"mlflow.parentRunId": parent}
        ).info.run_id
        ids[f"child-{i}"] = rid
        final = math.nan if i == 2 else 0.2 * (i + 1)
        points = [Metric("val/loss", 1.0 / (1 + s) + i * 0.01, T0 + 1000 * s, s) for s in range(20)]
        points += [Metric("val/loss", final, T0 + 30_000, 20), Metric("accuracy", 0.7 + i * 0.05, T0 + 30_000, 0)]
        client.log_batch(
            rid,
            metrics=points,
            params=[Param("lr", lr), Param("batch size", str(32 * (i + 1))), Param("optimizer", "adam")],
            tags=[RunTag("stage", "tune")],
        )
        client.set_terminated(rid, end_time=T0 + 40_000)
    for name, status in (("broken", "FAILED"), ("stopped", "KILLED")):
        rid = client.create_run(exp, run_name=name, start_time=T0 + 10_000).info.run_id
        ids[name] = rid
        client.log_metric(rid, "val/loss", 2.0, timestamp=T0 + 11_000)
        client.set_terminated(rid, status, end_time=T0 + 12_000)
    client.set_terminated(parent, end_time=T0 + 50_000)
    model = client.create_logged_model(exp, name="classifier", source_run_id=ids["child-1"], params={"lr": "0.01"})
    client.create_registered_model("digits", description="Digit **classifier**")
    client.create_model_version("digits", f"runs:/{ids['child-1']}/model", run_id=ids["child-1"])
    out = root / "site"
    build(BuildOptions(store=uri, out=str(out), jobs=1))
    edir = out / "experiments" / exp
    pages = {
        "index": out / "index.html",
        "experiment": edir / "index.html",
        "compare": edir / "compare.html",
        "run": edir / "runs" / ids["child-1"] / "index.html",
        "parent run": edir / "runs" / ids["sweep"] / "index.html",
        "logged model": next(edir.glob("models/*/index.html")),
        "registered models": out / "models" / "index.html",
        "registered model": next(out.glob("models/*/index.html")),
    }
    assert all(p.is_file() for p in pages.values()), pages
    return pages, ids, model.model_id


@pytest.fixture(autouse=True)
def _console_of_this_test(driver):
    """Each test answers for the console errors of its own pages only."""
    js_errors(driver)


def _run_axe(drv):
    """axe-core's violations on the page as it is now: [{id, impact, help, nodes: [...]}].
    ``preload: false``: axe would fetch the stylesheets again for its CSSOM rules
    (css-orientation-lock), which file:// refuses (a console error, not a finding)."""
    if not drv.execute_script("return !!window.axe"):
        drv.execute_script(AXE.read_text(encoding="utf-8"))
    result = drv.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        " axe.run(document, {resultTypes: ['violations'], preload: false}).then(function (r) {"
        "   done(r.violations.map(function (v) { return {id: v.id, impact: v.impact, help: v.help,"
        "     nodes: v.nodes.map(function (n) { return n.target.join(' ') + ': ' + n.failureSummary; })}; }));"
        " }, function (e) { done({error: String(e)}); });"
    )
    assert not isinstance(result, dict), result
    return result


def _audit(drv, what, found):
    """Run axe at desktop and phone width, in the light and the dark theme; add what it finds
    to ``found``. The window gets its fixture's size back."""
    size = drv.get_window_size()
    try:
        for width in WIDTHS:
            drv.set_window_size(width, size["height"])
            frames = "var done = arguments[0]; requestAnimationFrame(function () { requestAnimationFrame(done); });"
            drv.execute_async_script(frames)  # the page has laid out (and its resize handlers ran)
            for theme in ("light", "dark"):
                drv.execute_script("document.documentElement.setAttribute('data-theme', arguments[0])", theme)
                for v in _run_axe(drv):
                    found.append(dict(v, where=f"{what} ({width} px, {theme})"))
    finally:
        drv.execute_script("document.documentElement.removeAttribute('data-theme')")
        drv.set_window_size(size["width"], size["height"])


def _report(found):
    lines = []
    for v in sorted(found, key=lambda v: (v["impact"] not in BLOCKING, v["where"], v["id"])):
        lines.append(f"[{v['impact']}] {v['where']}: {v['id']} — {v['help']}")
        lines += [f"      {n}" for n in v["nodes"][:6]]
        if len(v["nodes"]) > 6:
            lines.append(f"      … and {len(v['nodes']) - 6} more")
    return "\n".join(lines)


def _assert_clean(drv, found):
    """No serious or critical violation (all of them told if any), no JavaScript error."""
    blocking = [v for v in found if v["impact"] in BLOCKING]
    assert blocking == [], "axe-core found:\n" + _report(found)
    errors = js_errors(drv)
    assert errors == [], [e["message"] for e in errors]


def _open(drv, url, ready_css):
    from selenium.webdriver.support.ui import WebDriverWait

    drv.get("about:blank")
    drv.get(url)
    WebDriverWait(drv, 15).until(lambda d: d.execute_script("return !!document.querySelector(arguments[0])", ready_css))


def test_axe_runs_under_the_pages_csp(driver, site):
    """WebDriver's injected script runs although the page's CSP blocks inline script, and
    axe-core finds a violation put there on purpose."""
    pages, _ids, _model = site
    _open(driver, pages["index"].as_uri(), "main")
    csp = driver.execute_script(
        "var m = document.querySelector('meta[http-equiv=\"Content-Security-Policy\"]'); return m && m.content"
    )
    assert csp and "script-src 'self' file:" in csp and "unsafe-inline" not in csp.split("style-src")[0]
    blocked = driver.execute_async_script(
        "var done = arguments[arguments.length - 1];"
        " document.addEventListener('securitypolicyviolation', function (e) { done(e.violatedDirective); });"
        " var s = document.createElement('script'); s.textContent = 'window.__inline = 1';"
        " document.head.appendChild(s);"
    )
    assert blocked.startswith("script-src") and driver.execute_script("return window.__inline") is None
    js_errors(driver)  # the refused inline script's console report
    # axe runs there and finds what it should: an image without a text alternative, added
    assert "image-alt" not in {v["id"] for v in _run_axe(driver)}
    driver.execute_script("document.querySelector('main').appendChild(document.createElement('img')).src = 'data:,'")
    found = {v["id"]: v["impact"] for v in _run_axe(driver)}
    assert found.get("image-alt") == "critical", found
    assert (
        driver.execute_script("return typeof axe.run === 'function' && axe.version")
        == AXE.read_text(encoding="utf-8").split("axe v", 1)[1].split()[0]
    )


def test_static_pages_have_no_serious_violation(driver, site):
    pages, _ids, _model = site
    found = []
    for kind in ("index", "logged model", "registered models", "registered model"):
        _open(driver, pages[kind].as_uri(), "main")
        _audit(driver, kind, found)
    _assert_clean(driver, found)


def test_experiment_page_table_and_chooser(driver, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    pages, ids, _model = site
    found = []
    _open(driver, pages["experiment"].as_uri(), "#runs-app tr[data-run-id]")
    # nested (a parent and its children), a NaN, FAILED and KILLED badges: all in the audit
    assert driver.find_elements(By.CSS_SELECTOR, f'#rt-grid tr.rt-child[data-run-id="{ids["child-2"]}"]')
    assert driver.find_elements(By.CSS_SELECTOR, "#rt-grid .badge.status-failed, #rt-grid .badge.status-killed")
    _audit(driver, "experiment", found)
    driver.find_element(By.ID, "rt-columns").click()
    opened = "var c = document.getElementById('rt-chooser'); return !!(c && c.open)"
    WebDriverWait(driver, 5).until(lambda d: d.execute_script(opened))
    _audit(driver, "experiment, column chooser open", found)
    _assert_clean(driver, found)


def test_compare_page(driver, site):
    pages, ids, _model = site
    found = []
    chosen = ",".join(ids[k] for k in ("child-0", "child-1", "child-2"))
    _open(driver, f"{pages['compare'].as_uri()}#runs={chosen}", "#compare-app[data-state=ready]")
    _audit(driver, "compare", found)
    _assert_clean(driver, found)


def test_run_pages_with_interactive_charts(driver, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    pages, _ids, _model = site
    found = []
    _open(driver, pages["run"].as_uri(), ".chart-card[data-metric]")
    card = driver.find_element(By.CSS_SELECTOR, '.chart-card[data-metric="val/loss"]')
    driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", card)
    WebDriverWait(driver, 10).until(lambda d: card.find_elements(By.CSS_SELECTOR, ".ichart-toolbar select"))
    _audit(driver, "run", found)
    _open(driver, pages["parent run"].as_uri(), "main")
    _audit(driver, "parent run", found)
    _assert_clean(driver, found)


def _active(drv):
    """The focused element's id, else its text (what a keyboard user is on)."""
    return drv.execute_script(
        "var a = document.activeElement; return a.id || (a.textContent || '').trim() || a.tagName"
    )


def _tab_to(drv, want, shift=False, limit=30):
    """Tab (or Shift+Tab) from the focused element until ``want`` (an id or a text) has the
    focus; the stops passed on the way."""
    from selenium.webdriver.common.action_chains import ActionChains
    from selenium.webdriver.common.keys import Keys

    stops = []
    for _ in range(limit):
        chain = ActionChains(drv)
        if shift:
            chain.key_down(Keys.SHIFT).send_keys(Keys.TAB).key_up(Keys.SHIFT)
        else:
            chain.send_keys(Keys.TAB)
        chain.perform()
        stops.append(_active(drv))
        if stops[-1] == want:
            return stops
    raise AssertionError(f"{want!r} not reached with the keyboard; stops: {stops}")


def _keys(drv, *keys):
    """Keys typed into whatever has the focus (nothing is clicked or found first)."""
    from selenium.webdriver.common.action_chains import ActionChains

    ActionChains(drv).send_keys(*keys).perform()


def test_experiment_page_with_the_keyboard_only(driver, site):
    """From the top of the page: Tab to the filter, an MLflow filter and Enter, flat view,
    Tab to the grid (one tab stop), arrows and Space select three runs, the Compare link
    holds them; Shift+Tab back to Columns…, the chooser searched and a column ticked with
    keys; Enter on Compare opens the compare page with the three runs."""
    import mlflow
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    pages, ids, _model = site
    wait = WebDriverWait(driver, 10)
    view = lambda d: d.execute_script("return trackreport.runsTable.viewIds()")  # noqa: E731
    _open(driver, pages["experiment"].as_uri(), "#runs-app tr[data-run-id]")
    exp_id = pages["experiment"].parent.name

    stops = _tab_to(driver, "rt-filter")
    assert stops[0] == "Skip to content" and len(stops) <= 12, stops  # past the best runs' links
    expr = "metrics.accuracy > 0.72 and params.`batch size` != '64'"
    _keys(driver, expr, Keys.ENTER)
    client = mlflow.MlflowClient(tracking_uri=f"sqlite:///{pages['index'].parent.parent / 'mlflow.db'}")
    want = [r.info.run_id for r in client.search_runs([exp_id], filter_string=expr)]
    assert sorted(want) == sorted([ids["child-2"], ids["child-3"]])
    # nested: the matching children come with their parent, for context
    wait.until(lambda d: sorted(view(d)) == sorted(want + [ids["sweep"]]))
    _tab_to(driver, "rt-nested")
    assert driver.switch_to.active_element.get_attribute("aria-pressed") == "true"
    _keys(driver, Keys.SPACE)  # flat: exactly MLflow's answer, in its order
    wait.until(lambda d: view(d) == want)
    assert driver.switch_to.active_element.get_attribute("aria-pressed") == "false"

    # the filter cleared; the grid is one tab stop past the toolbar; arrows move its active cell
    _tab_to(driver, "rt-filter", shift=True)
    _keys(driver, Keys.CONTROL, "a", Keys.BACKSPACE)
    _keys(driver, Keys.ENTER)
    every = [r.info.run_id for r in client.search_runs([exp_id])]
    wait.until(lambda d: view(d) == every)
    stops = _tab_to(driver, "rt-grid")
    assert "rt-compare" not in stops  # nothing selected yet: the link is not a tab stop
    grid = driver.find_element(By.ID, "rt-grid")
    before = grid.get_attribute("aria-activedescendant")
    _keys(driver, Keys.ARROW_DOWN)
    wait.until(lambda d: grid.get_attribute("aria-activedescendant") != before)
    assert grid.get_attribute("aria-activedescendant").startswith("rt-c-0-")
    _keys(driver, Keys.SPACE, Keys.ARROW_DOWN, Keys.ARROW_DOWN, Keys.SPACE, Keys.ARROW_DOWN, Keys.SPACE)
    chosen = [every[0], every[2], every[3]]
    link = driver.find_element(By.ID, "rt-compare")
    wait.until(lambda d: link.text == "Compare (3)")
    assert link.get_attribute("href").endswith(f"compare.html#runs={','.join(chosen)}")
    assert grid.get_attribute("aria-activedescendant").startswith("rt-c-3-")
    assert _active(driver) == "rt-grid"
    _keys(driver, Keys.TAB)
    assert not driver.execute_script("return document.getElementById('rt-grid').contains(document.activeElement)")

    # back to Columns… (Shift+Tab), the chooser: search, Tab to the match, Space, Escape
    _tab_to(driver, "rt-grid", shift=True)
    _tab_to(driver, "rt-columns", shift=True)
    _keys(driver, Keys.ENTER)
    wait.until(lambda d: _active(d) == "rt-chooser-search")
    assert driver.execute_script("return document.getElementById('rt-chooser').open")
    _keys(driver, "tags stage")
    _keys(driver, Keys.TAB)
    box = driver.switch_to.active_element
    assert box.get_attribute("value") == "tags.`stage`" and not box.is_selected()
    _keys(driver, Keys.SPACE)
    assert box.is_selected()
    _keys(driver, Keys.ESCAPE)
    wait.until(lambda d: not d.find_elements(By.ID, "rt-chooser"))
    assert _active(driver) == "rt-columns"
    assert "tags.`stage`" in driver.execute_script("return trackreport.runsTable.columns()")
    assert driver.find_elements(By.XPATH, "//table[@id='rt-grid']//th[.//span[text()='stage']]")

    # Compare, reached and followed with the keyboard
    _tab_to(driver, "rt-compare")
    _keys(driver, Keys.ENTER)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#compare-app[data-state=ready]"))
    rows = driver.find_elements(By.CSS_SELECTOR, "#cmp-runs tbody tr")
    assert [r.get_attribute("data-run-id") for r in rows] == chosen
    errors = js_errors(driver)
    assert errors == [], [e["message"] for e in errors]
