"""A real headless Chromium opens the site from file:// and uses it as a person would."""

import shutil

import pytest
from conftest import js_errors as _js_errors

pytestmark = pytest.mark.browser


def _visible_top_names(drv):
    from selenium.webdriver.common.by import By

    rows = drv.find_elements(By.CSS_SELECTOR, "#runs-table tbody.group tr.top")
    return [r.find_element(By.CSS_SELECTOR, "td.runname a").text for r in rows if r.is_displayed()]


def test_experiment_page_sort_filter_and_run_page(driver, built_sites):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select, WebDriverWait

    site, _ = built_sites["3.17.2-file"]
    page = next(p for p in site.glob("experiments/*/index.html") if "<title>sweep ·" in p.read_text())
    driver.get(page.as_uri())
    wait = WebDriverWait(driver, 10)
    wait.until(lambda d: d.find_element(By.ID, "run-count").text == "10 runs")

    # sort by run name, both directions; children stay under their parent
    header = driver.find_element(By.XPATH, "//table[@id='runs-table']//th[normalize-space()='Run']")
    header.click()
    assert header.get_attribute("aria-sort") == "ascending"
    names = _visible_top_names(driver)
    assert names == sorted(names, key=str.lower) and len(names) == 6
    header.click()
    assert _visible_top_names(driver) == sorted(names, key=str.lower, reverse=True)
    parent_group = driver.find_element(By.XPATH, "//tbody[.//a[text()='sweep-parent']]")
    assert len(parent_group.find_elements(By.CSS_SELECTOR, "tr.child")) == 4

    # sort by a metric: the children of the sweep are ordered by it, numerically
    metric = driver.find_element(By.XPATH, "//th[contains(., 'final_score')]")
    metric.click()
    values = [
        float(td.get_attribute("data-v"))
        for td in parent_group.find_elements(
            By.XPATH,
            ".//tr[contains(@class,'child')]/td[count(//th[contains(., 'final_score')]/preceding-sibling::th)+1]",
        )
    ]
    assert len(values) == 4 and values == sorted(values)

    # filter by text, then by status
    box = driver.find_element(By.ID, "run-filter")
    box.send_keys("killed")
    wait.until(lambda d: d.find_element(By.ID, "run-count").text == "1 of 10 runs")
    assert _visible_top_names(driver) == ["killed-run"]
    box.clear()
    box.send_keys(" ")
    Select(driver.find_element(By.ID, "status-filter")).select_by_value("failed")
    wait.until(lambda d: d.find_element(By.ID, "run-count").text == "1 of 10 runs")
    assert _visible_top_names(driver) == ["failed-run"]
    Select(driver.find_element(By.ID, "status-filter")).select_by_value("")

    # open a run page through its link
    box.clear()
    box.send_keys("edge")
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
    cell = driver.find_element(By.CSS_SELECTOR, "[data-elapsed-since]")
    assert cell.text == "at least 19 min 00 s (no end recorded)"
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
