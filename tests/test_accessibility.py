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
    rows = "".join(f"{s},{1 / (s + 1):.6f},{s * 0.001:.6f}\n" for s in range(120))
    client.log_text(parent, "step,loss,learning_rate\n" + rows, "evaluation/a_big_table.csv")  # > 2 KB: folded
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
        if i == 1:  # a run with many long names: a tall table, names that must wrap at their word boundaries
            client.log_batch(
                rid,
                metrics=[Metric("system/cpu_utilization_percentage", 50.0 + s, T0 + 1000 * s, s) for s in range(5)],
                params=[Param(f"model.encoder_layer_{k}/attention.dropout_probability", "0.1") for k in range(40)],
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


def _audit(drv, what, found, combos=None):
    """Run axe at desktop and phone width, in the light and the dark theme (or only the
    ``combos`` given, {width: (theme, ...)}); add what it finds to ``found``. The window gets
    its fixture's size back."""
    size = drv.get_window_size()
    combos = combos or {width: ("light", "dark") for width in WIDTHS}
    try:
        for width, themes in combos.items():
            drv.set_window_size(width, size["height"])
            frames = "var done = arguments[0]; requestAnimationFrame(function () { requestAnimationFrame(done); });"
            drv.execute_async_script(frames)  # the page has laid out (and its resize handlers ran)
            for theme in themes:
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


# ---- the sample store and the corpus sites; layout, status, theme, print, keyboard walk ----

REPO = Path(__file__).resolve().parent.parent
CORPUS_SITES = ("1.30.1-file", "3.17.2-file", "3.17.2-sqlite", "3.17.2-server")


@pytest.fixture(scope="module")
def sample_site(tmp_path_factory):
    """The repository's sample_mlruns/ built (what the README's screenshots show)."""
    out = tmp_path_factory.mktemp("a11y-sample") / "site"
    build(BuildOptions(store=str(REPO / "sample_mlruns"), out=str(out), jobs=2, title="Sample lab"))
    return out


def _richest(pages):
    """The page of a kind that holds the most (the largest file): what an audit should see."""
    return max(pages, key=lambda p: p.stat().st_size)


def test_sample_and_corpus_sites_have_no_serious_violation(driver, sample_site, built_sites):
    """Every page kind of the sample site and of each corpus site (MLflow 1.30 and 3.17; file,
    SQLite and server stores), once per site: index, the largest experiment page, its compare
    page with three runs, the richest run page. The sample site light and dark at 1400 and
    390 px; each corpus site (the same templates on other data) in one of those four, in turn,
    to keep the suite's budget."""
    found = []
    sites = {"sample": sample_site} | {name: built_sites[name][0] for name in CORPUS_SITES}
    turns = iter([{1400: ("light",)}, {390: ("dark",)}, {1400: ("dark",)}, {390: ("light",)}])
    for name, site in sites.items():
        combos = None if name == "sample" else next(turns)
        _open(driver, (site / "index.html").as_uri(), "main")
        _audit(driver, f"{name}: index", found, combos)
        exp = _richest(site.glob("experiments/*/index.html"))
        _open(driver, exp.as_uri(), "#runs-app tr[data-run-id]")
        _audit(driver, f"{name}: experiment", found, combos)
        ids = driver.execute_script("return trackreport.runsTable.viewIds()")[:3]
        compare = f"{(exp.parent / 'compare.html').as_uri()}#runs={','.join(ids)}"
        _open(driver, compare, "#compare-app[data-state=ready]")
        _audit(driver, f"{name}: compare", found, combos)
        _open(driver, _richest(site.glob("experiments/*/runs/*/index.html")).as_uri(), "main")
        _audit(driver, f"{name}: run", found, combos)
    _assert_clean(driver, found)


def _rgb(css):
    """'rgb(r, g, b)' or 'rgba(r, g, b, a)' → (r, g, b)."""
    return tuple(int(float(x)) for x in css[css.index("(") + 1 : -1].split(",")[:3])


def _contrast(a, b):
    def lum(c):
        ch = [v / 255 for v in c]
        ch = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in ch]
        return 0.2126 * ch[0] + 0.7152 * ch[1] + 0.0722 * ch[2]

    hi, lo = sorted((lum(a), lum(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


STATUSES = ("FINISHED", "RUNNING", "FAILED", "KILLED", "SCHEDULED")
BADGES = (  # each badge as its symbol (CSS content, with its empty alternative text) and its word
    "return Array.prototype.map.call(document.querySelectorAll(arguments[0]), function (b) {"
    "  return getComputedStyle(b, '::before').content + b.textContent; })"
)


def test_status_badges_told_apart_by_colour_symbol_and_word(driver, site):
    """The five run statuses, as the templates, the runs table and the compare page draw them:
    five different colour pairs in each theme (FAILED is not KILLED), each with a symbol before
    its word (hidden from screen readers, who hear the word), text contrast AA (4.5:1)."""
    pages, ids, _model = site
    chosen = ",".join(ids[k] for k in ("child-0", "broken", "stopped"))
    _open(driver, f"{pages['compare'].as_uri()}#runs={chosen}", "#compare-app[data-state=ready]")
    drawn = set(driver.execute_script(BADGES, "#compare-app .badge[class*=status-]"))
    assert drawn == {'"✓\u00a0" / ""FINISHED', '"✕\u00a0" / ""FAILED', '"■\u00a0" / ""KILLED'}, drawn
    _open(driver, pages["experiment"].as_uri(), "#runs-app tr[data-run-id]")
    grid = set(driver.execute_script(BADGES, "#rt-grid .badge[class*=status-]"))
    assert {'"✕\u00a0" / ""failed', '"■\u00a0" / ""killed', '"✓\u00a0" / ""finished'} <= grid, grid
    for theme in ("light", "dark"):
        driver.execute_script("document.documentElement.setAttribute('data-theme', arguments[0])", theme)
        look = driver.execute_script(
            "var out = {}, box = document.getElementById('rt-grid').parentNode;"
            " arguments[0].forEach(function (s) {"
            "   var b = box.appendChild(document.createElement('span'));"
            "   b.className = 'badge status-' + s.toLowerCase(); b.textContent = s.toLowerCase();"
            "   var cs = getComputedStyle(b), before = getComputedStyle(b, '::before');"
            "   var bg = cs.backgroundColor, el = b;"
            "   while (/rgba\\(0, 0, 0, 0\\)|transparent/.test(bg) && el.parentElement) {"
            "     el = el.parentElement; bg = getComputedStyle(el).backgroundColor; }"
            "   out[s] = {fg: cs.color, bg: bg, symbol: before.content, dot: before.backgroundColor}; b.remove(); });"
            " return out;",
            list(STATUSES),
        )
        pairs = {s: (look[s]["fg"], look[s]["bg"]) for s in STATUSES}
        assert len(set(pairs.values())) == len(STATUSES), (theme, pairs)
        for s in STATUSES:
            drawn = look[s]["symbol"] not in ("none", "normal", '""') or look[s]["dot"] != "rgba(0, 0, 0, 0)"
            assert drawn, (theme, s, look[s])  # a symbol, or (running) a pulsing dot
            ratio = _contrast(_rgb(look[s]["fg"]), _rgb(look[s]["bg"]))
            assert ratio >= 4.5, (theme, s, look[s], ratio)
    driver.execute_script("document.documentElement.removeAttribute('data-theme')")
    # the symbol is not read: the accessible name is the word alone
    name = driver.execute_script(
        "var b = document.querySelector('#rt-grid .badge.status-killed');"
        " return getComputedStyle(b, '::before').content"
    )
    assert name.endswith('/ ""'), name


def test_theme_toggle_tells_its_state(driver, site):
    """The toggle is a pressed/not-pressed "Dark theme" button: its state follows the page's
    theme (the system's until chosen), and Enter or Space on it switches and says so."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys

    pages, _ids, _model = site
    for prefers, pressed in (("light", "false"), ("dark", "true")):
        driver.execute_cdp_cmd(
            "Emulation.setEmulatedMedia", {"features": [{"name": "prefers-color-scheme", "value": prefers}]}
        )
        _open(driver, pages["index"].as_uri(), "main")
        driver.execute_script("localStorage.removeItem('trackreport-theme')")
        _open(driver, pages["index"].as_uri(), "main")
        toggle = driver.find_element(By.ID, "theme-toggle")
        assert toggle.get_attribute("aria-label") == "Dark theme"
        assert toggle.get_attribute("aria-pressed") == pressed, prefers
        background = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
        driver.execute_script("arguments[0].focus()", toggle)
        _keys(driver, Keys.ENTER)
        flipped = "false" if pressed == "true" else "true"
        assert toggle.get_attribute("aria-pressed") == flipped
        assert toggle.get_attribute("title") == "Dark theme: " + ("on" if flipped == "true" else "off")
        assert driver.execute_script("return getComputedStyle(document.body).backgroundColor") != background
        _keys(driver, Keys.SPACE)
        assert toggle.get_attribute("aria-pressed") == pressed
        assert driver.execute_script("return getComputedStyle(document.body).backgroundColor") == background
        # remembered: the next page starts in the chosen theme and says so
        _keys(driver, Keys.ENTER)
        _open(driver, pages["experiment"].as_uri(), "main")
        assert driver.find_element(By.ID, "theme-toggle").get_attribute("aria-pressed") == flipped
    driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
    driver.execute_script("localStorage.removeItem('trackreport-theme')")


def _scroll_and_measure(drv, wrap_css):
    """Scroll a table's wrapper down and right; where its first header cell and first key cell
    are then, relative to the wrapper (pinned: 0 and 0), and how far it scrolled."""
    return drv.execute_script(
        "var w = document.querySelector(arguments[0]), head = w.querySelector('thead th'),"
        "    key = w.querySelector('tbody .key');"
        " w.scrollTop = 200; w.scrollLeft = 300;"
        " var box = w.getBoundingClientRect();"
        " return {down: w.scrollTop, right: w.scrollLeft,"
        "   headTop: Math.round(head.getBoundingClientRect().top - box.top - w.clientTop),"
        "   keyLeft: Math.round(key.getBoundingClientRect().left - box.left - w.clientLeft)};",
        wrap_css,
    )


def test_wide_screens_and_pinned_names(driver, site):
    """At 1920 px the experiment, compare and run pages use the screen (no cap below it) while
    prose keeps a readable measure; the run page's tall params table and the compare page's
    params table scroll in place with their header row and name column in view."""
    pages, ids, _model = site
    size = driver.get_window_size()
    try:
        driver.set_window_size(1920, 900)
        for kind in ("experiment", "run"):
            _open(driver, pages[kind].as_uri(), "main")
            width = driver.execute_script("return [document.querySelector('main').offsetWidth, innerWidth]")
            assert width[0] >= width[1] - 20, (kind, width)  # nothing but a scrollbar beside it
        _open(driver, pages["index"].as_uri(), "main")  # no wide table: the page keeps its measure
        assert driver.execute_script("return document.querySelector('main').offsetWidth") <= 1300
        _open(driver, pages["parent run"].as_uri(), "main")
        prose = driver.execute_script("return document.querySelector('.prose > p').offsetWidth")
        assert 0 < prose < 1000, prose  # 90ch of a 15 px face, on a 1920 px page
        # the run page's 43 params: the table scrolls in its card, header and names pinned
        _open(driver, pages["run"].as_uri(), "main")
        driver.set_window_size(390, 800)
        got = _scroll_and_measure(driver, '.table-wrap.pin[aria-label="Parameters"]')
        assert got["down"] > 0 and got["headTop"] == 0 and got["keyLeft"] == 0, got
        chosen = ",".join(ids[k] for k in ("child-0", "child-1", "child-2"))
        _open(driver, f"{pages['compare'].as_uri()}#runs={chosen}", "#compare-app[data-state=ready]")
        got = _scroll_and_measure(driver, '.table-wrap.pin[data-table="Params"]')
        assert got["down"] > 0 and got["right"] > 0 and got["headTop"] == 0 and got["keyLeft"] == 0, got
    finally:
        driver.set_window_size(size["width"], size["height"])


def _lines_per_key(drv, css):
    """For each cell matching css: (its text, its lines, the parts its <wbr>s make)."""
    return drv.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll(arguments[0]), function (c) {"
        "  var r = document.createRange(); r.selectNodeContents(c);"
        "  var tops = new Set(Array.prototype.map.call(r.getClientRects(),"
        "    function (x) { return Math.round(x.top); }));"
        "  return [c.textContent, tops.size, c.querySelectorAll('wbr').length + 1]; });",
        css,
    )


def test_names_wrap_at_word_boundaries_on_a_phone(driver, site):
    """At 390 px a long param or metric name breaks only where a '/', '_' or '.' allows it
    (never inside a word, never one letter per line): on the run page (params, metrics,
    chart titles) and on the compare page (params)."""
    pages, ids, _model = site
    size = driver.get_window_size()
    try:
        driver.set_window_size(390, 800)
        _open(driver, pages["run"].as_uri(), "main")
        cells = _lines_per_key(driver, "th.key, .chart-card h3")
        long = [c for c in cells if "attention" in c[0] or "cpu_utilization" in c[0]]
        assert len(long) >= 40 and any(lines > 1 for _t, lines, _p in long), long[:3]  # they do wrap
        assert all(lines <= parts for _t, lines, parts in cells), [c for c in cells if c[1] > c[2]]
        chosen = ",".join(ids[k] for k in ("child-0", "child-1", "child-2"))
        _open(driver, f"{pages['compare'].as_uri()}#runs={chosen}", "#compare-app[data-state=ready]")
        cells = _lines_per_key(driver, "#compare-app th.key")
        assert any("attention" in t for t, _l, _p in cells)
        assert all(lines <= parts for _t, lines, parts in cells), [c for c in cells if c[1] > c[2]]
        # the experiment page's logged models become cards: no empty cell takes a line
        _open(driver, pages["experiment"].as_uri(), "main")
        blank = driver.execute_script(
            "return Array.prototype.filter.call(document.querySelectorAll('table.cards td'), function (td) {"
            "  return !td.textContent.trim() && td.getBoundingClientRect().height > 0; }).length"
        )
        assert blank == 0
        shape = driver.execute_script("return getComputedStyle(document.querySelector('table.cards tr')).display")
        assert shape == "block"
    finally:
        driver.set_window_size(size["width"], size["height"])


def test_run_page_folds_previews(site):
    """The first short preview is open, the 3 KB CSV and the rest folded, each with its size."""
    from html.parser import HTMLParser

    pages, _ids, _model = site

    class Details(HTMLParser):
        def __init__(self):
            super().__init__()
            self.found, self.inside = [], False

        def handle_starttag(self, tag, attrs):
            if tag == "details" and ("class", "preview") in attrs:
                self.found.append([dict(attrs).__contains__("open"), ""])
            self.inside = self.inside or tag == "summary" and bool(self.found)

        def handle_endtag(self, tag):
            self.inside = self.inside and tag != "summary"

        def handle_data(self, data):
            if self.inside:
                self.found[-1][1] += data

    parser = Details()
    parser.feed(pages["parent run"].read_text(encoding="utf-8"))
    summaries = {text.split()[0]: (opened, text) for opened, text in parser.found}
    assert set(summaries) == {"evaluation/a_big_table.csv", "notes/readme.txt", "tables/loss.csv"}, summaries
    assert [k for k, (opened, _t) in summaries.items() if opened] == ["notes/readme.txt"]
    assert all(t.rstrip().endswith((" B", " KB")) for _o, t in summaries.values()), summaries


def test_print_shows_tables_and_charts_not_controls(driver, site):
    """In print media the run and experiment pages keep their tables and SVG charts and drop
    the top bar, the theme toggle, toolbars and buttons; the experiment page's virtual runs
    table prints every run of its view (beforeprint)."""
    from selenium.webdriver.support.ui import WebDriverWait

    pages, _ids, _model = site
    shown = (
        "return Array.prototype.map.call(document.querySelectorAll(arguments[0]), function (e) {"
        "  return e.getClientRects().length > 0 && getComputedStyle(e).visibility !== 'hidden'; })"
    )
    try:
        _open(driver, pages["run"].as_uri(), ".chart-card[data-metric]")
        card = driver.find_element(By_CSS(), '.chart-card[data-metric="val/loss"]')
        driver.execute_script("arguments[0].scrollIntoView({block: 'center'})", card)
        WebDriverWait(driver, 10).until(lambda d: d.find_elements(By_CSS(), ".chart-card.enhanced"))
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        for css in ("#theme-toggle", ".topbar", ".ichart-toolbar", ".ichart", "button", ".skip"):
            assert not any(driver.execute_script(shown, css)), css
        charts = driver.execute_script(shown, ".chart-card figure.chart img")
        assert charts and all(charts)
        assert all(driver.execute_script(shown, "table.kv, table.metrics"))
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
        _open(driver, pages["experiment"].as_uri(), "#runs-app tr[data-run-id]")
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
        driver.execute_script("window.dispatchEvent(new Event('beforeprint'))")
        for css in ("#theme-toggle", ".rt-toolbar", ".rt-check", "button"):
            assert not any(driver.execute_script(shown, css)), css
        rows = driver.execute_script("return document.querySelectorAll('#rt-grid tr.rt-row').length")
        assert rows == len(driver.execute_script("return trackreport.runsTable.viewIds()"))
        assert not any(driver.execute_script(shown, "#rt-grid .rt-spacer"))
        assert all(driver.execute_script(shown, "#compare .chart-card"))
    finally:
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})


def By_CSS():  # noqa: N802 - selenium's By.CSS_SELECTOR, imported late like everywhere here
    from selenium.webdriver.common.by import By

    return By.CSS_SELECTOR


def _focus_visible(drv):
    """Whether the focused element (in a grid: its active cell) shows a focus ring of 2 px or more."""
    return drv.execute_script(
        "var a = document.activeElement, d = a.getAttribute('aria-activedescendant');"
        " var t = d ? document.getElementById(d) || a : a, cs = getComputedStyle(t);"
        " return cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) >= 2"
        "   || /(^|,)\\s*rgb[^)]*\\)\\s0px 0px 0px [2-9]/.test(cs.boxShadow)"
        "   || getComputedStyle(a.parentElement).boxShadow.indexOf('0px 0px 0px 2px') >= 0;"
    )


def grid_cell(drv):
    return drv.find_element(By_CSS(), "#rt-grid").get_attribute("aria-activedescendant") or ""


def test_keyboard_walk_from_the_index_to_an_artifact_and_back(driver, sample_site):
    """On the sample site with Tab, Enter and arrows only (keys sent to whatever has the
    focus): index → the sweep's experiment page → the runs grid → arrows to a run, Enter →
    its run page → Tab to an artifact, Enter → the file; back (the browser's Back), then
    Shift+Tab to the breadcrumb and Enter → the index again. Every stop shows its focus."""
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, 10)
    _open(driver, (sample_site / "index.html").as_uri(), "main")

    def tab_checked(want, shift=False, limit=40):
        stops = _tab_to(driver, want, shift=shift, limit=limit)
        assert _focus_visible(driver), (want, stops[-1])
        return stops

    tab_checked("mnist-cnn-sweep")
    _keys(driver, Keys.ENTER)
    wait.until(lambda d: d.find_elements(By_CSS(), "#runs-app tr[data-run-id]"))
    assert driver.title.startswith("mnist-cnn-sweep")
    stops = tab_checked("rt-grid", limit=60)
    assert stops[0] == "Skip to content"
    view = driver.execute_script("return trackreport.runsTable.viewIds()")
    exp_dir = Path(driver.current_url.replace("file://", "")).parent
    # the first run in the view with artifacts (the sweep's parent has none): arrows down to it
    pages = [exp_dir / "runs" / r / "index.html" for r in view]
    k = next(i for i, p in enumerate(pages) if 'class="grid artifacts"' in p.read_text(encoding="utf-8"))
    assert k > 0 and grid_cell(driver).startswith("rt-c-0-")  # the first run's row
    _keys(driver, *[Keys.ARROW_DOWN] * k)
    wait.until(lambda d: grid_cell(d).startswith(f"rt-c-{k}-"))
    assert _focus_visible(driver)
    _keys(driver, Keys.ENTER)
    first = {1: view[k]}
    wait.until(lambda d: d.current_url.endswith(f"runs/{first[1]}/index.html"))
    _open(driver, driver.current_url, "main")
    artifact = driver.execute_script(  # one the browser shows (a CSV would be downloaded)
        "return Array.prototype.map.call(document.querySelectorAll('table.artifacts a'), function (a) {"
        "  return a.textContent; }).filter(function (t) { return /\\.(json|png|txt)$/.test(t); })[0]"
    )
    tab_checked(artifact, limit=80)
    _keys(driver, Keys.ENTER)
    wait.until(lambda d: "/artifacts/" in d.current_url)
    assert driver.current_url.endswith(artifact)
    driver.back()  # the browser's Back (its key, Alt+Left, belongs to the browser, not the page)
    wait.until(lambda d: d.current_url.endswith(f"runs/{first[1]}/index.html"))
    _open(driver, driver.current_url, "main")
    tab_checked("Sample lab")  # the breadcrumb's first link
    _keys(driver, Keys.ENTER)
    wait.until(lambda d: d.current_url.endswith("/index.html") and "/experiments/" not in d.current_url)
    errors = js_errors(driver)
    assert errors == [], [e["message"] for e in errors]
