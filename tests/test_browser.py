"""A real headless Chromium opens the site from file:// and uses it as a person would."""

import re
import shutil
from pathlib import Path

import pytest
from conftest import js_errors as _js_errors

pytestmark = pytest.mark.browser


def _visible_top_names(drv):
    """Names of the top-level runs in the runs table's view (runs-table.js), in order."""
    return drv.execute_script(
        "var p = trackreport.get('runs'), byId = {}; p.runs.forEach(function (r) { byId[r.run_id] = r; });"
        " return trackreport.runsTable.viewIds().filter(function (i) { return !byId[byId[i].parent_run_id]; })"
        ".map(function (i) { return byId[i].run_name; })"
    )


def test_experiment_page_sort_filter_and_run_page(driver, built_sites):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    site, _ = built_sites["3.17.2-file"]
    page = next(p for p in site.glob("experiments/*/index.html") if "<title>sweep ·" in p.read_text())
    driver.get(page.as_uri())
    wait = WebDriverWait(driver, 10)
    wait.until(lambda d: d.find_element(By.ID, "rt-count").text == "10 runs")
    assert driver.find_elements(By.ID, "runs-table") == []  # the static table gave way

    # sort by run name, both directions; children stay under their parent (nested view)
    name = "//table[@id='rt-grid']//th[normalize-space()='Run name']"
    driver.find_element(By.XPATH, name).click()
    wait.until(lambda d: d.find_element(By.XPATH, name).get_attribute("aria-sort") == "ascending")
    # a group stands where its best member does: sweep-parent where its first child by name is
    kids = driver.execute_script(
        "var p = trackreport.get('runs'), by = {}; p.runs.forEach(function (r) { by[r.run_id] = r; });"
        " return p.runs.filter(function (r) { var q = by[r.parent_run_id]; return q && q.run_name === 'sweep-parent' })"
        ".map(function (r) { return r.run_name; })"
    )
    best = {"sweep-parent": min(kids + ["sweep-parent"])}
    names = _visible_top_names(driver)
    assert names == sorted(names, key=lambda n: best.get(n, n)) and len(names) == 6
    assert names != sorted(names)  # the sweep is not ordered by its own name alone
    driver.find_element(By.XPATH, name).click()
    best["sweep-parent"] = "sweep-parent"  # descending: the parent's own name is the greatest
    wait.until(lambda d: _visible_top_names(d) == sorted(names, key=lambda n: best.get(n, n), reverse=True))
    parent = driver.find_element(By.XPATH, "//tr[.//a[text()='sweep-parent']]")
    after = "/following-sibling::tr[position() <= 4][contains(@class,'rt-child')]"
    children = driver.find_elements(By.XPATH, "//tr[.//a[text()='sweep-parent']]" + after)
    assert len(children) == 4 and parent.get_attribute("data-run-id")

    # sort by a metric: the children of the sweep are ordered by it, numerically
    metric = "//th[.//span[text()='final_score']]"
    driver.find_element(By.XPATH, metric).click()
    wait.until(lambda d: d.find_element(By.XPATH, metric).get_attribute("aria-sort") == "descending")
    driver.find_element(By.XPATH, metric).click()
    wait.until(lambda d: d.find_element(By.XPATH, metric).get_attribute("aria-sort") == "ascending")
    col = driver.find_element(By.XPATH, metric).get_attribute("aria-colindex")
    values = [
        float(td.get_attribute("title"))
        for td in driver.find_elements(By.XPATH, f"//tr[contains(@class,'rt-child')]/td[@aria-colindex='{col}']")
    ]
    assert len(values) == 4 and values == sorted(values)

    # filter by run name, then by status
    box = driver.find_element(By.ID, "rt-filter")
    box.send_keys("killed")
    wait.until(lambda d: d.find_element(By.ID, "rt-count").text == "1 of 10 runs")
    assert _visible_top_names(driver) == ["killed-run"]
    box.clear()
    box.send_keys(" ")
    driver.find_element(By.CSS_SELECTOR, "#runs-app .chip[data-status='FAILED']").click()
    wait.until(lambda d: d.find_element(By.ID, "rt-count").text.startswith("1 of 10 runs"))
    assert _visible_top_names(driver) == ["failed-run"]
    driver.find_element(By.CSS_SELECTOR, "#runs-app .chip[data-status='']").click()

    # open a run page through its link
    box.clear()
    box.send_keys("edge")
    wait.until(lambda d: _visible_top_names(d) == ["edge-values"])
    driver.find_element(By.LINK_TEXT, "edge-values").click()
    wait.until(lambda d: d.title.startswith("edge-values"))
    body = driver.find_element(By.TAG_NAME, "body").text
    assert "<img src=x onerror=alert(1)>" in body  # shown as text, not as an element
    assert driver.find_elements(By.CSS_SELECTOR, "img[src='x']") == []
    imgs = driver.find_elements(By.CSS_SELECTOR, ".chart img, .gallery img")
    assert imgs and all(driver.execute_script("return arguments[0].naturalWidth", i) > 0 for i in imgs)
    assert driver.execute_script("return window.__alerts") == []
    assert _js_errors(driver) == []


def test_no_store_script_runs_anywhere(driver, built_sites):
    """Pages whose store content holds <script>, onerror= and an HTML artifact with a script."""
    from selenium.webdriver.common.by import By

    site, _ = built_sites["3.17.2-sqlite"]
    for needle in ("<title>sweep-parent", "<title>edge-values"):
        page = next(p for p in site.glob("experiments/*/runs/*/index.html") if needle in p.read_text())
        driver.get(page.as_uri())
        assert driver.execute_script("return document.readyState") == "complete"
        for frame in driver.find_elements(By.TAG_NAME, "iframe"):
            assert "allow-scripts" not in (frame.get_attribute("sandbox") or "")
            driver.switch_to.frame(frame)
            assert driver.execute_script("return document.querySelector('h1').textContent") == "report"
            assert driver.execute_script("return window.__alerts || []") == []  # its script never ran
            driver.switch_to.default_content()
        assert driver.execute_script("return window.__alerts") == []
        assert _js_errors(driver) == []


def test_dark_mode_toggle(driver, built_sites):
    from selenium.webdriver.common.by import By

    site, _ = built_sites["3.17.2-file"]
    driver.get((site / "index.html").as_uri())
    before = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    driver.find_element(By.ID, "theme-toggle").click()
    after = driver.execute_script("return getComputedStyle(document.body).backgroundColor")
    assert before != after
    driver.find_element(By.ID, "theme-toggle").click()
    assert driver.execute_script("return getComputedStyle(document.body).backgroundColor") == before


def test_published_branch_under_a_pages_subpath(driver, corpus_copy, tmp_path):
    """Publish to a bare repository, serve a clone of gh-pages at /<repo>/ (as GitHub Pages
    does for project sites) and walk index → experiment → run → image with no failed request."""
    import shutil
    import subprocess
    import threading
    from functools import partial
    from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from sitegen import BuildOptions, build
    from sitegen.publish import publish

    if shutil.which("git") is None:
        pytest.skip("git not installed")

    def git(cwd, *args):
        subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)

    remote, work = tmp_path / "results.git", tmp_path / "work"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    git(tmp_path, "init", "-q", str(work))
    git(work, "remote", "add", "origin", str(remote))
    site = tmp_path / "site"
    build(BuildOptions(store=f"sqlite:///{corpus_copy / '3.17.2' / 'server' / 'mlflow.db'}", out=str(site), jobs=1))
    publish(site, repo=work)
    www = tmp_path / "www"
    git(tmp_path, "clone", "-q", "-b", "gh-pages", str(remote), str(www / "results"))

    failed = []

    class Handler(SimpleHTTPRequestHandler):
        def log_message(self, fmt, *args):
            pass

        def send_response(self, code, message=None):
            if code >= 400:
                failed.append((code, self.path))
            super().send_response(code, message)

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(www)))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        base = f"http://127.0.0.1:{httpd.server_address[1]}/results/"
        wait = WebDriverWait(driver, 10)
        driver.get(base + "index.html")
        driver.find_element(By.LINK_TEXT, "sweep").click()
        wait.until(lambda d: d.title.startswith("sweep"))
        driver.find_element(By.LINK_TEXT, "edge-values").click()
        wait.until(lambda d: d.title.startswith("edge-values"))
        assert driver.current_url.startswith(base + "experiments/")
        imgs = driver.find_elements(By.CSS_SELECTOR, "img")
        assert imgs and all(
            driver.execute_script("return arguments[0].complete && arguments[0].naturalWidth > 0", i) for i in imgs
        )
        assert failed == []  # every page, stylesheet, script, chart and image loaded
        driver.find_element(By.CSS_SELECTOR, ".gallery a").click()
        wait.until(lambda d: d.current_url.endswith("/artifacts/plot.png"))
        assert driver.execute_script("return document.images.length && document.images[0].naturalWidth") == 1
    finally:
        httpd.shutdown()
        httpd.server_close()
    # a bare image has no <link rel=icon>, so the browser asks the server root for one
    assert [f for f in failed if f[1] != "/favicon.ico"] == []


def test_running_run_silent_for_a_day_is_not_ticking_in_the_browser(driver, tmp_path):
    """Live at build time (the store's newest activity), but its last point is months before
    the reader's clock: the page says so instead of counting "running for 4800 h"."""
    import re
    from pathlib import Path

    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from sitegen import BuildOptions, build

    store = tmp_path / "mlruns"
    shutil.copytree(Path(__file__).parent / "field_cases" / "15-crashed-run-shown-as-live" / "mlruns", store)
    for meta in store.glob("*/*/meta.yaml"):
        if "killed-by-oom" not in meta.read_text():
            shutil.rmtree(meta.parent)
    for meta in store.glob("*/meta.yaml"):
        meta.write_text(re.sub(r"(creation_time|last_update_time): \d+", r"\1: 1778800573000", meta.read_text()))
    site = tmp_path / "site"
    build(BuildOptions(store=str(store), out=str(site), jobs=1))
    page = next(site.glob("experiments/*/runs/*/index.html"))
    assert 'class="muted live"' in page.read_text()  # live as far as the store can tell
    _js_errors(driver)  # the log so far belongs to earlier tests
    driver.get(page.as_uri())
    wait = WebDriverWait(driver, 10)
    live = driver.find_element(By.CSS_SELECTOR, ".live")
    wait.until(lambda d: live.text.startswith("no activity for "))
    assert re.fullmatch(r"no activity for \d+ d \d\d h: not live", live.text), live.text
    duration = driver.find_element(By.CSS_SELECTOR, "[data-elapsed-since]")
    assert duration.text == "at least 19 min 00 s (no end recorded)"
    exp_page = site / "experiments" / "873416438277512860" / "index.html"
    driver.get(exp_page.as_uri())
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs-app tr[data-run-id]"))
    cells = driver.find_elements(By.XPATH, "//tr[@data-run-id]/td[contains(., 'no end recorded')]")
    assert [c.text for c in cells] == ["at least 19 min 00 s (no end recorded)"]
    assert _js_errors(driver) == []


def test_every_page_carries_a_csp_and_nothing_violates_it(driver, built_sites, tmp_path):
    """Every page of the corpus sites, from file:// and over http: the policy is there, the
    theme's script runs under it (times are localised, the toggle works) and the browser
    reports no violation; an inline script added to a page is refused."""
    import re

    from sitecheck import tags_of

    from sitegen.preview import PreviewServer
    from sitegen.render.pages import CSP

    site, _ = built_sites["3.17.2-file"]
    pages = sorted(p for p in site.rglob("*.html") if "artifacts" not in p.relative_to(site).parts)
    assert len(pages) > 10
    for p in pages:
        metas = [a for tag, a in tags_of(p) if tag == "meta" and a.get("http-equiv") == "Content-Security-Policy"]
        assert [m["content"] for m in metas] == [CSP], p
    _js_errors(driver)
    server = PreviewServer(site, 0).start()
    try:
        for p in pages:
            for url in (p.as_uri(), server.url + p.relative_to(site).as_posix()):
                driver.get(url)
                driver.execute_script("window.__violations = window.__violations || [];")
                ran = driver.execute_script(
                    "return !!document.getElementById('theme-toggle') && "
                    "Array.prototype.every.call(document.querySelectorAll('time[datetime]'),"
                    " function (t) { return !/UTC$/.test(t.textContent); })"
                )
                assert ran, f"{url}: the theme's script did not run"
        errors = [e["message"] for e in _js_errors(driver) if "favicon" not in e["message"]]
        assert not [e for e in errors if re.search("Content Security Policy|Refused to", e)], errors
    finally:
        server.stop()
    # the policy does refuse an inline script (a store could never add one: text is escaped)
    page = tmp_path / "inline.html"
    page.write_text(pages[0].read_text().replace("</body>", "<script>window.__inline = 1;</script></body>"))
    driver.get(page.as_uri())
    assert driver.execute_script("return window.__inline") is None
    assert any("Content Security Policy" in e["message"] for e in _js_errors(driver))  # and says so


def test_times_no_date_can_hold_do_not_break_the_pages(driver, tmp_path):
    """A damaged store's start_time of 10^20 ms (or year 0) is shown as the number recorded;
    the table, the CSV of the view and the compare page still work."""
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    from sitegen import BuildOptions, build

    store = tmp_path / "mlruns"
    shutil.copytree(Path(__file__).parent.parent / "sample_mlruns", store)
    metas = sorted(store.glob("797398129669635066/*/meta.yaml"))
    for meta, when in zip(metas, (10**20, -62135596801000)):
        meta.write_text(re.sub(r"start_time: \d+", f"start_time: {when}", meta.read_text()))
    site = tmp_path / "site"
    build(BuildOptions(store=str(store), out=str(site), jobs=1))
    exp = site / "experiments" / "797398129669635066"
    assert "100000000000000000000" in (exp / "runs.csv").read_text()
    _js_errors(driver)
    driver.get((exp / "index.html").as_uri() + "#nested=false&columns=created")
    wait = WebDriverWait(driver, 10)
    wait.until(lambda d: d.find_elements(By.CSS_SELECTOR, "#runs-app tr[data-run-id]"))
    assert "100000000000000000000" in driver.find_element(By.ID, "runs-app").text
    assert "100000000000000000000" in driver.execute_script("return trackreport.runsTable.csv()")
    ids = [m.parent.name for m in metas[:2]]
    driver.get((exp / "compare.html").as_uri() + "#runs=" + ",".join(ids))
    wait.until(lambda d: d.execute_script("return document.getElementById('compare-app').dataset.state") == "ready")
    assert _js_errors(driver) == []
