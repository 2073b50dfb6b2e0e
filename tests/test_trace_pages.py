"""The trace pages (trace-list.js, trace-search.js, trace-view.js, trace-values.js) in real
headless Chromium, from file://, under the site's CSP, on traces written with MLflow's own
tracing API into a SQLite store: the list (every trace, MLflow's trace filter compared with
MlflowClient.search_traces, sort, state chips, the view in the URL fragment, keyboard) and a
trace page (span tree and waterfall, span details, exceptions, chat messages, assessments,
hostile trace content shown as text and never run)."""

import os
from urllib.parse import quote

import pytest
from conftest import forget_experiment, js_errors

pytestmark = pytest.mark.browser

HOSTILE = "<script>window.__pwned=1</script><img src=x onerror=window.__pwned=2>"
LONG = "line of a long answer\n" * 400  # folded, never cut
T0 = 1_700_000_000_000_000_000  # ns
MS = 1_000_000


def _write_traces(uri: str) -> tuple[str, dict]:
    """Traces of several shapes, written with MLflow's tracing API; returns the experiment id and
    {label: trace_id}."""
    import mlflow
    from mlflow import MlflowClient
    from mlflow.entities import AssessmentSource, SpanType

    before = mlflow.get_tracking_uri()
    os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"
    mlflow.set_tracking_uri(uri)
    try:
        client = MlflowClient(uri)
        exp = client.create_experiment("agents")
        mlflow.set_experiment(experiment_id=exp)
        ids = {}

        @mlflow.trace(span_type=SpanType.TOOL)
        def lookup(city):
            return {"result": f"{city} is a capital"}

        @mlflow.trace(span_type=SpanType.CHAIN)
        def agent(question):
            with mlflow.start_span("retrieve", span_type=SpanType.RETRIEVER) as s:
                s.set_inputs({"query": question})
                s.set_outputs([{"page_content": "Paris is the capital of France.", "metadata": {"doc": 1}}])
            with mlflow.start_span("chat", span_type=SpanType.LLM) as s:
                s.set_inputs(
                    {
                        "model": "gpt-x",
                        "messages": [
                            {"role": "system", "content": "Answer briefly."},
                            {"role": "user", "content": question},
                        ],
                    }
                )
                s.set_outputs({"choices": [{"message": {"role": "assistant", "content": "Paris."}}]})
                s.set_attribute("temperature", 0.2)
            lookup("Paris")
            return "Paris."

        @mlflow.trace(span_type=SpanType.CHAIN)
        def failing(x):
            with mlflow.start_span("flaky tool", span_type=SpanType.TOOL) as s:
                s.set_inputs({"x": x})
                raise ValueError("tool exploded: bad input")

        agent("What is the capital of France?")
        ids["agent"] = mlflow.get_last_active_trace_id()
        client.set_trace_tag(ids["agent"], "env", "prod")
        mlflow.log_feedback(
            trace_id=ids["agent"],
            name="correct",
            value=True,
            rationale="Matches the document.",
            source=AssessmentSource(source_type="HUMAN", source_id="alice"),
        )
        mlflow.log_expectation(trace_id=ids["agent"], name="expected_answer", value="Paris")
        try:
            failing(1)
        except ValueError:
            pass
        ids["failing"] = mlflow.get_last_active_trace_id()
        with mlflow.start_run() as run:
            agent(HOSTILE)
            ids["hostile"] = mlflow.get_last_active_trace_id()
        ids["run_id"] = run.info.run_id
        client.set_trace_tag(ids["hostile"], "env", "dev")
        # explicit times: durations 40, 400, 4000 ms, one long output
        for n, dur in enumerate((40, 400, 4000)):
            start = T0 + n * 10_000 * MS
            root = client.start_trace(
                f"timed-{dur}",
                span_type=SpanType.CHAIN,
                inputs={"n": n},
                experiment_id=exp,
                start_time_ns=start,
                tags={"batch": "timed"},
            )
            child = client.start_span(
                "step",
                trace_id=root.trace_id,
                parent_id=root.span_id,
                span_type=SpanType.LLM,
                inputs={"prompt": "go"},
                start_time_ns=start + dur * MS // 4,
            )
            client.end_span(
                root.trace_id, child.span_id, outputs=LONG if n == 2 else "ok", end_time_ns=start + dur * MS // 2
            )
            client.end_trace(root.trace_id, outputs="done", end_time_ns=start + dur * MS)
            ids[f"timed-{dur}"] = root.trace_id
        return exp, ids
    finally:
        mlflow.set_tracking_uri(before)
        forget_experiment()


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The site sitegen builds from a SQLite store with the traces above."""
    from mlflow import MlflowClient

    from sitegen import BuildOptions, build

    root = tmp_path_factory.mktemp("trace-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    exp, ids = _write_traces(uri)
    out = root / "site"
    build(BuildOptions(store=uri, out=str(out), jobs=1))
    folder = out / "experiments" / exp / "traces"
    assert (folder / "index.html").is_file()
    return {"list": folder / "index.html", "folder": folder, "ids": ids, "exp": exp, "client": MlflowClient(uri)}


def test_pages_without_javascript(site):
    """The static fallback: the list's table, the trace page's span tree and assessments."""
    import html as htmllib

    client, ids = site["client"], site["ids"]
    page = site["list"].read_text()
    for tid in (t for k, t in ids.items() if k != "run_id"):
        assert f'data-trace-id="{tid}"' in page
        assert f'href="{tid}/index.html"' in page
    assert "<script>window" not in page  # the hostile preview is escaped
    assert htmllib.escape(HOSTILE, quote=False)[:30] in page
    trace = client.get_trace(ids["agent"])
    page = (site["folder"] / ids["agent"] / "index.html").read_text()
    static = page[page.index('id="trace-static"') :]
    for span in trace.data.spans:
        assert f'<span class="span-name">{span.name}</span>' in static
    assert static.count("<li><span class=\"span-name\">") == len(trace.data.spans)
    for a in trace.info.assessments:
        assert a.name in static
    assert "Matches the document." in static
    assert "<script>" not in page.replace("<script src=", "")


def _q(drv, css):
    from selenium.webdriver.common.by import By

    return drv.find_elements(By.CSS_SELECTOR, css)


def _wait(drv, cond, timeout=10):
    from selenium.webdriver.support.ui import WebDriverWait

    return WebDriverWait(drv, timeout).until(cond)


def _open(drv, url, app):
    drv.get("about:blank")
    drv.get(url)
    _wait(drv, lambda d: _q(d, f"#{app}[data-state=ready]"))


def _follow(drv, fragment, expr):
    """A new fragment on the open list page (as a pasted link or Back would): the list follows it."""
    drv.execute_script("location.hash = arguments[0]", fragment)
    _wait(drv, lambda d: d.execute_script("return document.getElementById('tl-filter').value") == expr)


def _view_ids(drv):
    return drv.execute_script("return trackreport.traceList.viewIds()")


def _clean(drv):
    assert js_errors(drv) == []
    assert drv.execute_script("return trackreport.errors.concat(trackreport.cspViolations)") == []
    assert drv.execute_script("return window.__pwned") is None


def test_list_shows_every_trace_newest_first(driver, site):
    _open(driver, site["list"].as_uri(), "traces-app")
    client, exp = site["client"], site["exp"]
    every = client.search_traces(locations=[exp], max_results=1000)
    assert len(every) == 6
    expected = [t.info.trace_id for t in sorted(every, key=lambda t: (-t.info.request_time, t.info.trace_id))]
    assert _view_ids(driver) == expected
    rows = _q(driver, "#tl-grid tbody tr.tl-row")
    assert len(rows) == 6
    assert not _q(driver, "#traces-static")
    link = _q(driver, f'tr[data-trace-id="{site["ids"]["agent"]}"] td.tl-name a')[0]
    assert link.get_attribute("href").endswith(f"{site['ids']['agent']}/index.html")
    assert "6 traces" in _q(driver, "#tl-count")[0].text
    # the hostile request preview is text in a cell
    hostile = _q(driver, f'tr[data-trace-id="{site["ids"]["hostile"]}"]')[0]
    assert "<script>window.__pwned=1</script>" in hostile.text
    _clean(driver)


FILTERS = [
    "status = 'ERROR'",
    "attributes.status = 'OK'",
    "trace.status != 'ERROR'",
    "tags.env = 'prod'",
    "tags.batch = 'timed' AND attributes.execution_time_ms > 1000",
    "attributes.execution_time_ms <= 400",
    "execution_time > 100",
    "attributes.name LIKE 'timed%'",
    "name = 'agent'",
    "attributes.name ILIKE 'AG%'",
    "tags.env IS NULL",
    "tags.env IS NOT NULL",
    "attributes.status IN ('ERROR', 'IN_PROGRESS')",
    "attributes.request_id = '{agent}'",
    "attributes.timestamp_ms > {t_agent}",
    "timestamp_ms < {t_agent}",
    "attributes.end_time_ms > {t_agent}",
    "run_id = '{run_id}'",
    "metadata.mlflow.sourceRun = '{run_id}'",
    "attributes.request_id IN ('{agent}', '{failing}')",
    "tags.env != 'prod'",
    "tags.env LIKE 'p%'",
    "tags.env RLIKE '^d'",
    "attributes.name RLIKE 'timed-4'",
    "tags.`env` = 'dev'",
    "feedback.correct = 'true'",
    "expectation.expected_answer = 'Paris'",
    "feedback.correct IS NOT NULL",
]


def test_filters_match_mlflow(driver, site):
    client, exp, ids = site["client"], site["exp"], site["ids"]
    agent = client.get_trace(ids["agent"]).info
    subs = {
        "agent": ids["agent"],
        "failing": ids["failing"],
        "t_agent": agent.request_time - 1,
        "run_id": ids["run_id"],
    }
    _open(driver, site["list"].as_uri(), "traces-app")
    for expr in FILTERS:
        expr = expr.format(**subs)
        want = {t.info.trace_id for t in client.search_traces(locations=[exp], filter_string=expr, max_results=1000)}
        _follow(driver, "searchFilter=" + quote(expr, safe=""), expr)
        got = set(_view_ids(driver))
        assert driver.execute_script("return trackreport.traceList.error()") is None, expr
        assert got == want, expr
    errors = client.search_traces(locations=[exp], filter_string="status = 'ERROR'")
    assert {t.info.trace_id for t in errors} == {ids["failing"]}
    _clean(driver)


REJECTED = [
    "status = ERROR",
    "attributes.bogus = 'x'",
    "metrics.x > 1",
    "tags.env > 'a'",
    "attributes.execution_time_ms LIKE '1%'",
    "status = 'OK' OR status = 'ERROR'",
    "attributes.name IN ('agent', 'failing')",
    "feedback.correct > 'x'",
]


def test_rejected_filters_show_mlflow_reason(driver, site):
    from mlflow.exceptions import MlflowException

    client, exp = site["client"], site["exp"]
    _open(driver, site["list"].as_uri(), "traces-app")
    for expr in REJECTED:
        with pytest.raises(MlflowException) as caught:
            client.search_traces(locations=[exp], filter_string=expr)
        _follow(driver, "searchFilter=" + quote(expr, safe=""), expr)
        message = driver.execute_script("return trackreport.traceList.error()")
        assert message, expr
        # the same reason as MLflow's (its sets print in no fixed order: compare the words before them)
        head = str(caught.value.message).split("{")[0].split("[")[0][:40]
        assert message.startswith(head), (expr, message, caught.value.message)
        assert _q(driver, "#tl-error")[0].is_displayed()
        assert len(_view_ids(driver)) == 6  # every trace still listed
    _clean(driver)


def test_text_that_is_not_a_filter_is_searched(driver, site):
    """Typed text MLflow would reject and that is not meant as a filter searches names, ids,
    previews, runs and tags; text meant as a filter keeps MLflow's reason."""
    client, exp, ids = site["client"], site["exp"], site["ids"]
    _open(driver, site["list"].as_uri(), "traces-app")
    box = _q(driver, "#tl-filter")[0]
    box.send_keys("timed")
    _wait(driver, lambda d: "searchFilter=timed" in d.current_url)
    assert set(_view_ids(driver)) == {ids["timed-40"], ids["timed-400"], ids["timed-4000"]}
    assert "timed" in _q(driver, "#tl-applied")[0].text
    assert driver.execute_script("return trackreport.traceList.error()") is None
    every = client.search_traces(locations=[exp], max_results=1000)
    want = {t.info.trace_id for t in every if "paris" in (t.info.response_preview or "").lower()}
    assert len(want) == 2
    _follow(driver, "searchFilter=PARIS", "PARIS")
    assert set(_view_ids(driver)) == want
    _follow(driver, "searchFilter=" + quote("tags.env = prod", safe=""), "tags.env = prod")
    assert driver.execute_script("return trackreport.traceList.error()")
    assert _q(driver, "#tl-applied")[0].text == ""
    _clean(driver)


def test_sort_by_duration_chips_and_keyboard(driver, site):
    from selenium.webdriver.common.keys import Keys

    client, exp = site["client"], site["exp"]
    _open(driver, site["list"].as_uri(), "traces-app")
    header = [h for h in _q(driver, "#tl-grid thead th") if h.text == "Duration"][0]
    header.click()
    _wait(driver, lambda d: "orderByKey=" in d.current_url)
    got = _view_ids(driver)
    want = [
        t.info.trace_id
        for t in client.search_traces(locations=[exp], order_by=["execution_time_ms DESC"], max_results=1000)
    ]
    assert got == want
    durations = [client.get_trace(i).info.execution_duration for i in got]
    assert durations == sorted(durations, reverse=True)
    header = [h for h in _q(driver, "#tl-grid thead th") if h.text == "Duration"][0]
    assert header.get_attribute("aria-sort") == "descending"
    header.click()
    _wait(driver, lambda d: "orderByAsc=true" in d.current_url)
    ascending = client.search_traces(locations=[exp], order_by=["execution_time_ms ASC"], max_results=1000)
    assert _view_ids(driver) == [t.info.trace_id for t in ascending]
    # state chip: errors only
    chip = [b for b in _q(driver, ".rt-chips button") if b.text.startswith("error")][0]
    chip.click()
    _wait(driver, lambda d: "state=ERROR" in d.current_url)
    assert _view_ids(driver) == [site["ids"]["failing"]]
    # reload from the URL keeps the view
    url = driver.current_url
    _open(driver, url, "traces-app")
    assert _view_ids(driver) == [site["ids"]["failing"]]
    # keyboard: the grid, Down then Enter opens the active row's trace
    _open(driver, site["list"].as_uri(), "traces-app")
    grid = _q(driver, "#tl-grid")[0]
    driver.execute_script("arguments[0].focus()", grid)
    first = _view_ids(driver)[0]
    grid.send_keys(Keys.HOME)
    grid.send_keys(Keys.ENTER)
    _wait(driver, lambda d: f"/{first}/index.html" in d.current_url)
    _wait(driver, lambda d: _q(d, "#trace-app[data-state=ready]"))
    _clean(driver)


def _trace_url(site, label, span=None):
    url = (site["folder"] / site["ids"][label] / "index.html").as_uri()
    return url + ("#span=" + quote(span, safe="") if span else "")


def _select(drv, name):
    row = [r for r in _q(drv, "#tv-tree li[role=treeitem]") if r.find_element("css selector", ".tv-name").text == name][
        0
    ]
    row.click()
    _wait(drv, lambda d: d.find_element("css selector", "#tv-detail .tv-detail-name").text == name)
    return row


def test_trace_page_waterfall_and_details(driver, site):
    client, ids = site["client"], site["ids"]
    trace = client.get_trace(ids["agent"])
    _open(driver, _trace_url(site, "agent"), "trace-app")
    items = _q(driver, "#tv-tree li[role=treeitem]")
    assert len(items) == len(trace.data.spans) == 4
    assert len(_q(driver, "#tv-tree .tv-bar")) == len(trace.data.spans)
    assert sorted(i.find_element("css selector", ".tv-name").text for i in items) == sorted(
        s.name for s in trace.data.spans
    )
    # the root bar spans the whole waterfall; every label a duration
    root_bar = items[0].find_element("css selector", ".tv-bar")
    assert float(root_bar.value_of_css_property("width").rstrip("px")) > 0
    assert all(i.find_element("css selector", ".tv-dur").text.endswith(("ms", "s")) for i in items)
    # selecting the retriever shows its inputs and outputs, in the URL
    retriever = next(s for s in trace.data.spans if s.name == "retrieve")
    _select(driver, "retrieve")
    detail = _q(driver, "#tv-detail")[0]
    assert "RETRIEVER" in detail.text
    assert "Paris is the capital of France." in _q(driver, "#tv-detail .tv-outputs")[0].text
    assert retriever.inputs["query"] in _q(driver, "#tv-detail .tv-inputs")[0].text
    assert "span=" + quote(retriever.span_id, safe="") in driver.current_url
    # chat messages as a conversation
    _select(driver, "chat")
    roles = [m.get_attribute("data-role") for m in _q(driver, "#tv-detail .tv-inputs .tv-msg")]
    assert roles == ["system", "user"]
    assert _q(driver, "#tv-detail .tv-outputs .tv-msg")[0].get_attribute("data-role") == "assistant"
    assert "Paris." in _q(driver, "#tv-detail .tv-outputs .tv-msg")[0].text
    assert "temperature" in _q(driver, "#tv-detail .tv-attributes")[0].text
    # assessments: name, value, source, rationale
    rows = _q(driver, "#tv-assessments tr.tv-assessment")
    assert len(rows) == len(trace.info.assessments) == 2
    text = _q(driver, "#tv-assessments")[0].text
    for a in trace.info.assessments:
        assert a.name in text
    assert "Matches the document." in text and "alice" in text and "Paris" in text
    assert "env" in _q(driver, "#tv-tags")[0].text
    # a reload with the span in the fragment selects it
    _open(driver, _trace_url(site, "agent", retriever.span_id), "trace-app")
    assert driver.execute_script("return trackreport.traceView.selected()") == retriever.span_id
    _clean(driver)


def test_trace_page_keyboard(driver, site):
    from selenium.webdriver.common.keys import Keys

    trace = site["client"].get_trace(site["ids"]["agent"])
    _open(driver, _trace_url(site, "agent"), "trace-app")
    tree = _q(driver, "#tv-tree")[0]
    driver.execute_script("arguments[0].focus()", tree)
    root = next(s for s in trace.data.spans if s.parent_id is None)
    tree.send_keys(Keys.HOME)
    assert driver.execute_script("return trackreport.traceView.selected()") == root.span_id
    tree.send_keys(Keys.ARROW_DOWN)
    assert driver.execute_script("return trackreport.traceView.selected()") != root.span_id
    tree.send_keys(Keys.ARROW_LEFT)  # to the parent
    assert driver.execute_script("return trackreport.traceView.selected()") == root.span_id
    tree.send_keys(Keys.ARROW_LEFT)  # close it: only the root shows
    assert len(_q(driver, "#tv-tree li[role=treeitem]")) == 1
    assert _q(driver, "#tv-tree li")[0].get_attribute("aria-expanded") == "false"
    tree.send_keys(Keys.ARROW_RIGHT)
    assert len(_q(driver, "#tv-tree li[role=treeitem]")) == 4
    _clean(driver)


def test_exception_and_long_values(driver, site):
    client, ids = site["client"], site["ids"]
    trace = client.get_trace(ids["failing"])
    failing = next(s for s in trace.data.spans if s.name == "flaky tool")
    assert failing.status.status_code == "ERROR"
    _open(driver, _trace_url(site, "failing", failing.span_id), "trace-app")
    box = _q(driver, "#tv-detail .tv-exception")[0]
    assert "ValueError" in box.text and "tool exploded: bad input" in box.text
    stack = box.find_element("css selector", "details.tv-stack")
    assert stack.get_attribute("open") is None  # folded
    assert "Traceback" in stack.find_element("css selector", "pre").get_attribute("textContent")
    assert _q(driver, "#tv-tree li.tv-status-error")
    # a long output is folded with its size, complete in the page
    timed = client.get_trace(ids["timed-4000"])
    step = next(s for s in timed.data.spans if s.name == "step")
    _open(driver, _trace_url(site, "timed-4000", step.span_id), "trace-app")
    fold = _q(driver, "#tv-detail .tv-outputs details.tv-fold")[0]
    assert "kB" in fold.find_element("css selector", "summary").text
    assert fold.find_element("css selector", "pre").get_attribute("textContent") == LONG
    # waterfall: the child starts a quarter in and takes a quarter of the trace
    bars = _q(driver, "#tv-tree .tv-bar")
    left = driver.execute_script("return arguments[0].style.left", bars[1])
    width = driver.execute_script("return arguments[0].style.width", bars[1])
    assert abs(float(left.rstrip("%")) - 25) < 0.5 and abs(float(width.rstrip("%")) - 25) < 0.5
    _clean(driver)


def test_hostile_trace_content_is_text(driver, site):
    trace = site["client"].get_trace(site["ids"]["hostile"])
    root = next(s for s in trace.data.spans if s.parent_id is None)
    _open(driver, _trace_url(site, "hostile", root.span_id), "trace-app")
    assert HOSTILE in _q(driver, "#tv-detail .tv-inputs")[0].text
    _select(driver, "chat")
    user = [m for m in _q(driver, "#tv-detail .tv-msg") if m.get_attribute("data-role") == "user"][0]
    assert HOSTILE in user.text
    assert not _q(driver, "#trace-app img, #trace-app script")
    assert driver.execute_script("return window.__pwned") is None
    _clean(driver)


def test_accessibility(driver, site):
    """axe-core (test_accessibility's audit, in the light and the dark theme, at desktop and
    phone width) on the list and on trace pages: a conversation; an exception with its stack
    trace and every folded value open."""
    from test_accessibility import BLOCKING, _audit, _report

    found = []
    _open(driver, site["list"].as_uri(), "traces-app")
    _audit(driver, "trace list", found, {1400: ("light",), 390: ("dark",)})
    _open(driver, _trace_url(site, "agent"), "trace-app")
    _select(driver, "chat")
    _audit(driver, "trace page, chat span", found, {1400: ("dark",), 390: ("light",)})
    _open(driver, _trace_url(site, "failing"), "trace-app")
    _select(driver, "flaky tool")
    driver.execute_script("document.querySelectorAll('#trace-app details').forEach(function (d) { d.open = true; })")
    _audit(driver, "trace page, failing span", found, {390: ("dark",)})
    blocking = [v for v in found if v["impact"] in BLOCKING]
    assert blocking == [], "axe-core found:\n" + _report(found)
    _clean(driver)


def test_firefox(firefox, site):
    """The list (filtered through the fragment) and a trace page (a span chosen through it) in
    Firefox from file://: no uncaught error, no CSP violation, hostile content inert."""
    client, exp, ids = site["client"], site["exp"], site["ids"]
    expr = "tags.env = 'dev' AND attributes.execution_time_ms > 0"
    firefox.get(site["list"].as_uri() + "#searchFilter=" + quote(expr, safe=""))
    firefox.wait("return !!document.querySelector('#traces-app[data-state=ready]')", what="trace list ready")
    want = [t.info.trace_id for t in client.search_traces(locations=[exp], filter_string=expr)]
    assert firefox.execute("return trackreport.traceList.viewIds()") == want == [ids["hostile"]]
    assert firefox.problems() == {"errors": [], "cspViolations": []}
    chat = next(s for s in client.get_trace(ids["hostile"]).data.spans if s.name == "chat")
    firefox.get(_trace_url(site, "hostile", chat.span_id))
    firefox.wait("return !!document.querySelector('#trace-app[data-state=ready]')", what="trace page ready")
    assert firefox.execute("return trackreport.traceView.selected()") == chat.span_id
    user = firefox.execute("return document.querySelector('#tv-detail .tv-msg[data-role=user]').textContent")
    assert HOSTILE in user
    assert firefox.execute("return window.__pwned === undefined && !document.querySelector('#trace-app img')")
    assert firefox.problems() == {"errors": [], "cspViolations": []}
