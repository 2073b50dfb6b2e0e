"""The site in real headless Firefox (Debian's firefox-esr), from file://, under the pages' CSP.

Firefox is driven through Marionette, the remote protocol built into it, with Mozilla's own
Python client (``marionette_driver``): geckodriver, which only translates WebDriver's HTTP
commands into Marionette, cannot be installed here. Why this client and not a hand-written one
or WebDriver BiDi: tests/firefox.py.

Firefox gives each file:// URL an origin of its own (``security.fileuri.strict_origin_policy``,
left at its default here, as users have it). These tests build a site from a store written by
real MLflow and check, from file://, that the interactive pages work under the pages' CSP with no
uncaught error and no CSP violation (core.js records both), and that an inline script injected
into a page is refused."""

from __future__ import annotations

import math
from urllib.parse import quote

import pytest

from sitegen import BuildOptions, build

pytestmark = pytest.mark.browser

T0 = 1_700_000_000_000
STEPS = 300
# child runs of the sweep: name, params, loss scale, acc (NaN for one)
CHILDREN = [
    ("lr-0.1", {"lr": "0.1", "optimizer": "adam"}, 0.9, 0.71),
    ("lr-0.01", {"lr": "0.01", "optimizer": "adam"}, 0.5, math.nan),
    ("lr-0.001", {"lr": "0.001", "optimizer": "sgd"}, 0.7, 0.64),
    ("lr-0.0001", {"lr": "0.0001", "optimizer": "adam"}, 0.3, 0.52),
]
FILTER = "params.optimizer = 'adam' and metrics.acc > 0.6"
NO_PROBLEMS = {"errors": [], "cspViolations": []}


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """A SQLite store written by real MLflow: a parent run with four children (params, a
    300-step loss history, acc with a NaN) and a lone baseline run; the site built from it."""
    import mlflow
    from mlflow.entities import Metric, Param

    root = tmp_path_factory.mktemp("firefox-store")
    uri = f"sqlite:///{root / 'mlflow.db'}"
    client = mlflow.MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("firefox", artifact_location=(root / "artifacts").as_uri())
    parent = client.create_run(exp, run_name="sweep", start_time=T0).info.run_id
    client.log_batch(parent, params=[Param("grid", "lr")])
    ids = {"sweep": parent}
    for i, (name, params, scale, acc) in enumerate(CHILDREN, start=1):
        tags = {"mlflow.parentRunId": parent}
        rid = client.create_run(exp, run_name=name, start_time=T0 + 1000 * i, tags=tags).info.run_id
        metrics = [Metric("loss", scale / (1 + s), T0 + 1000 * i + 10 * s, s) for s in range(STEPS)]
        metrics.append(Metric("acc", acc, T0 + 1000 * i + 10 * STEPS, 0))
        client.log_batch(rid, metrics=metrics, params=[Param(k, v) for k, v in params.items()])
        client.set_terminated(rid, end_time=T0 + 1000 * i + 10 * STEPS)
        ids[name] = rid
    base = client.create_run(exp, run_name="baseline", start_time=T0 + 10_000).info.run_id
    client.log_batch(
        base,
        metrics=[Metric("acc", 0.4, T0 + 10_000, 0), Metric("loss", 0.95, T0 + 10_000, 0)],
        params=[Param("lr", "1"), Param("optimizer", "sgd")],
    )
    client.set_terminated(base, end_time=T0 + 20_000)
    client.set_terminated(parent, end_time=T0 + 20_000)
    ids["baseline"] = base
    out = root / "site"
    build(BuildOptions(store=uri, out=str(out), jobs=1))
    return out / "experiments" / exp, exp, ids, client


def _names(ids):
    by_id = {v: k for k, v in ids.items()}
    return lambda run_ids: [by_id.get(i, i) for i in run_ids]


def _open_experiment(fx, page, fragment=""):
    fx.get(page.as_uri() + fragment)
    fx.wait(
        "return !!(window.trackreport && trackreport.runsTable)"
        " && document.querySelectorAll('#runs-app tr[data-run-id]').length > 0",
        what="the interactive runs table",
    )
    return fx.execute("return trackreport.runsTable.viewIds()")


def test_profile_keeps_firefox_file_origin_policy(firefox):
    # what users get: each file its own origin (the CSP must name file: for it), not relaxed here
    assert firefox.pref("security.fileuri.strict_origin_policy") == (True, False)
    assert firefox.pref("remote.prefs.recommended") == (False, True)  # our profile's user.js was read


def test_experiment_page_table_filter_and_sort(firefox, site):
    exp_dir, exp, ids, client = site
    show = _names(ids)
    page = exp_dir / "index.html"

    view = _open_experiment(firefox, page)
    assert firefox.execute("return document.getElementById('runs-static')") is None  # gave way
    assert firefox.execute("return !document.getElementById('runs-app').hidden") is True
    assert sorted(show(view)) == sorted(ids)
    rows = firefox.execute("return document.querySelectorAll('#runs-app tr[data-run-id]').length")
    assert rows == len(ids)
    assert firefox.problems() == NO_PROBLEMS

    # a filter in MLflow's syntax, through the fragment: the runs MLflow's client returns, in its order
    want = [r.info.run_id for r in client.search_runs([exp], FILTER)]
    assert 0 < len(want) < len(ids)
    view = _open_experiment(firefox, page, f"#searchFilter={quote(FILTER, safe='')}&nested=false")
    assert show(view) == show(want)
    assert firefox.execute("return trackreport.runsTable.error()") is None
    assert firefox.problems() == NO_PROBLEMS

    # sort by a metric with a NaN (and runs without it), ascending: MLflow's client's order
    for key in ("acc", "loss"):
        want = [r.info.run_id for r in client.search_runs([exp], order_by=[f"metrics.`{key}` ASC"])]
        view = _open_experiment(firefox, page, f"#orderByKey=metrics.%60{key}%60&orderByAsc=true&nested=false")
        assert show(view) == show(want), key
        assert firefox.problems() == NO_PROBLEMS


def test_compare_page(firefox, site):
    exp_dir, _exp, ids, _client = site
    chosen = [ids["lr-0.1"], ids["lr-0.01"], ids["lr-0.001"]]
    firefox.get((exp_dir / "compare.html").as_uri() + "#runs=" + ",".join(chosen))
    firefox.wait("return !!document.querySelector('#compare-app[data-state=ready]')", what="compare ready")
    cols = firefox.execute(
        "return Array.prototype.map.call(document.querySelectorAll('#cmp-params thead th.cmp-run-col'),"
        " function (th) { return th.getAttribute('data-run-id'); })"
    )
    assert cols == chosen
    firefox.wait(
        "return document.querySelectorAll('#cmp-charts .cmp-chart[data-metric=\"loss\"] canvas').length > 0",
        what="the overlaid loss chart",
    )
    assert firefox.problems() == NO_PROBLEMS


def test_run_page_chart(firefox, site):
    exp_dir, _exp, ids, _client = site
    firefox.get((exp_dir / "runs" / ids["lr-0.01"] / "index.html").as_uri())
    card = ".chart-grid[data-run-id] .chart-card[data-metric=\"loss\"]"
    assert firefox.execute("var c = document.querySelector(arguments[0]); c.scrollIntoView(); return !!c", card)
    firefox.wait(
        "return !!document.querySelector(arguments[0] + '.enhanced canvas')", card, what="the interactive loss chart"
    )
    assert firefox.execute("return Object.keys(trackreport.runcharts.charts)") == ["loss"]
    assert firefox.problems() == NO_PROBLEMS


def test_inline_script_refused(firefox, site):
    exp_dir, _exp, ids, _client = site
    run_id = ids["lr-0.01"]
    run_dir = exp_dir / "runs" / run_id
    html = (run_dir / "index.html").read_text(encoding="utf-8")
    assert html.count("</body>") == 1
    line = html[: html.index("</body>")].count("\n") + 1
    injected = run_dir / "injected.html"  # beside the page: its scripts and data files still load
    injected.write_text(html.replace("</body>", "<script>window.__inline = 1</script></body>"), encoding="utf-8")
    firefox.get(injected.as_uri())
    problems = firefox.wait(
        "var p = window.trackreport && trackreport.cspViolations;"
        " return p && p.length ? {errors: trackreport.errors, cspViolations: p} : null",
        what="a CSP violation",
    )
    assert firefox.execute("return typeof window.__inline") == "undefined"
    assert problems["errors"] == []
    [violation] = problems["cspViolations"]
    assert violation["directive"] in ("script-src-elem", "script-src")
    assert violation["blocked"] == "inline"
    # Firefox names a file: document by its scheme alone in violation reports
    assert violation["source"] in (f"{injected.as_uri()}:{line}", f"file:{line}")
    # the page's own script files and data file ran
    assert firefox.execute("return typeof trackreport.runcharts.enhance") == "function"
    assert firefox.execute("return trackreport.get(arguments[0]).run_id", "series/" + run_id) == run_id
