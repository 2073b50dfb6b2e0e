"""The browser's evaluator of MLflow's search syntax and run order (themes/default/static/search.js)
against MLflow's own client: in headless Chromium, from file://, under the pages' CSP, on the
runs.js data file of a file store and a SQLite store written by real MLflow, every expression of
the shared matrix (tests/search_matrix.py) selects the runs ``MlflowClient.search_runs`` returns
(or is rejected where MLflow rejects it), and every order_by case orders them as MLflow does."""

import os
import shutil
from pathlib import Path

import pytest
from conftest import js_errors
from search_matrix import EXPRESSIONS, ORDER_KEYS, _write, expressions, order_by

from sitegen.readers import open_store
from sitegen.render import rundata
from sitegen.render.pages import CSP

pytestmark = pytest.mark.browser

STATIC = Path(__file__).resolve().parent.parent / "themes" / "default" / "static"

PAGE = """<!doctype html>
<html><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{csp}">
<script src="core.js"></script><script src="search.js"></script><script src="runs.js"></script>
</head><body><p id="ready">search</p></body></html>
"""


@pytest.fixture(scope="module", params=["file", "sqlite"])
def page(request, tmp_path_factory, driver):
    from mlflow import MlflowClient
    from selenium.webdriver.support.ui import WebDriverWait

    base = tmp_path_factory.mktemp(f"search-browser-{request.param}")
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = str(base / "mlruns") if request.param == "file" else f"sqlite:///{base / 'mlflow.db'}"
    written = _write(uri)
    store = open_store(uri)
    exp = next(e for e in store.experiments if e.experiment_id == written["exp"])
    site = base / "site"
    site.mkdir()
    for name in ("core.js", "search.js"):
        shutil.copy(STATIC / name, site / name)
    (site / "runs.js").write_text(rundata.runs_js(exp, store.kind), encoding="utf-8")
    (site / "index.html").write_text(PAGE.format(csp=CSP), encoding="utf-8")
    js_errors(driver)
    driver.get((site / "index.html").as_uri())
    loaded = "return !!(window.trackreport && trackreport.search && trackreport.get('runs'))"
    WebDriverWait(driver, 10).until(lambda d: d.execute_script(loaded))
    return request.param, MlflowClient(tracking_uri=uri), written, store.kind


def _names(written):
    names = {v: k for k, v in written["ids"].items()}
    return lambda ids: ids if isinstance(ids, str) else [names.get(i, i) for i in ids]


def test_filter_matrix_as_mlflow_client(driver, page):
    kind, client, written, _store_kind = page
    exprs = expressions(written["ids"])
    got = driver.execute_script(
        """
        var S = trackreport.search, payload = trackreport.get("runs");
        return arguments[0].map(function (e) {
          try { return S.filter(payload, e).map(function (r) { return r.run_id; }); }
          catch (err) { return err instanceof S.SearchError && err.name === "SearchError" ? "rejected" : String(err); }
        });""",
        exprs,
    )
    show = _names(written)
    mismatches = []
    for expr, ids in zip(exprs, got, strict=True):
        try:
            want = sorted(r.info.run_id for r in client.search_runs([written["exp"]], expr, max_results=1000))
        except Exception:  # noqa: BLE001 - MlflowException, or an error of MLflow's list parser
            want = "rejected"
        if show(ids if isinstance(ids, str) else sorted(ids)) != show(want):
            mismatches.append((expr, show(ids), show(want)))
    assert mismatches == [], f"{kind}: (expression, browser, MLflow)"
    assert len(exprs) == len(EXPRESSIONS) >= 90
    assert js_errors(driver) == []


def test_order_as_mlflow_client(driver, page):
    kind, client, written, _store_kind = page
    got = driver.execute_script(
        """
        var S = trackreport.search, payload = trackreport.get("runs");
        return arguments[0].map(function (c) {
          return S.sort(payload, null, c[0], c[1]).map(function (r) { return r.run_id; });
        });""",
        [list(c) for c in ORDER_KEYS],
    )
    show = _names(written)
    for (key, ascending), ids in zip(ORDER_KEYS, got, strict=True):
        want = [r.info.run_id for r in client.search_runs([written["exp"]], order_by=[order_by(key, ascending)])]
        assert show(ids) == show(want), f"{kind}: {order_by(key, ascending)}"
    default = [r.info.run_id for r in client.search_runs([written["exp"]])]
    by_default = "return trackreport.search.sort(trackreport.get('runs')).map(function (r) { return r.run_id; })"
    assert driver.execute_script(by_default) == default
    assert js_errors(driver) == []


def test_order_keys_and_search_box(driver, page):
    _kind, _client, written, _store_kind = page
    out = driver.execute_script(
        """
        var S = trackreport.search, payload = trackreport.get("runs");
        function names(res) { return res.runs.map(function (r) { return r.run_name; }).sort(); }
        var bad;
        try { S.parseOrderKey("datasets.name"); } catch (e) { bad = e.name; }
        return {
          keys: [S.parseOrderKey("metrics.`val/loss`"), S.parseOrderKey("metrics.acc DESC"),
                 S.parseOrderKey("created"), S.parseOrderKey("tags.`mlflow.runName`")],
          bad: bad,
          plain: S.toFilter("child"), quoted: S.toFilter("it's"), sql: S.toFilter("metrics.acc > 0.5"),
          empty: S.toFilter(""),
          regex: names(S.apply(payload, "child-[12]")),
          filter: S.apply(payload, "params.lr = '0.5'"),
          error: S.apply(payload, "params.lr = 0.5").error,
          rlike: S.apply(payload, "attributes.run_name RLIKE 'x'").error
        };"""
    )
    assert out["keys"] == [
        {"type": "metric", "key": "val/loss", "ascending": True},
        {"type": "metric", "key": "acc", "ascending": False},
        {"type": "attribute", "key": "start_time", "ascending": True},
        {"type": "tag", "key": "mlflow.runName", "ascending": True},
    ]
    assert out["bad"] == "SearchError"
    # MLflow UI's quick search (experimentPage.fetch-utils.ts): plain text is a run-name regex
    assert out["plain"] == "attributes.run_name RLIKE 'child'"
    assert out["quoted"] == "attributes.run_name RLIKE 'it\\'s'"
    assert out["sql"] == "metrics.acc > 0.5" and out["empty"] == ""
    assert out["regex"] == ["child-1", "child-2"]
    assert out["filter"]["filter"] == "params.lr = '0.5'" and out["filter"]["error"] is None
    assert sorted(r["run_name"] for r in out["filter"]["runs"]) == ["tie-b", "tie.(a)"]
    assert "quoted string" in out["error"]
    assert out["rlike"] is not None  # MLflow's client has no RLIKE for runs: only the quick search uses it
    assert js_errors(driver) == []


THROUGH_THE_PAGE = """
var cases = arguments[0], done = arguments[arguments.length - 1], out = [], i = 0;
function next() {
  if (i === cases.length) return done(out);
  var hash = cases[i++];
  window.addEventListener("hashchange", function () {
    setTimeout(function () {
      out.push({ids: trackreport.runsTable.viewIds(), error: trackreport.runsTable.error()});
      next();
    }, 0);
  }, {once: true});
  location.hash = hash;
}
next();
"""


@pytest.fixture(scope="module", params=["file", "sqlite"])
def built_page(request, tmp_path_factory, driver):
    """The experiment page of a site built from the matrix's store, with its interactive table."""
    from mlflow import MlflowClient
    from selenium.webdriver.support.ui import WebDriverWait

    from sitegen import BuildOptions, build

    base = tmp_path_factory.mktemp(f"search-page-{request.param}")
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = str(base / "mlruns") if request.param == "file" else f"sqlite:///{base / 'mlflow.db'}"
    written = _write(uri)
    build(BuildOptions(store=uri, out=str(base / "site"), jobs=1))
    js_errors(driver)
    driver.get((base / "site" / "experiments" / written["exp"] / "index.html").as_uri() + "#nested=false")
    ready = "return !!(window.trackreport && trackreport.runsTable && trackreport.runsTable.viewIds().length)"
    WebDriverWait(driver, 10).until(lambda d: d.execute_script(ready))
    driver.set_script_timeout(60)
    return request.param, MlflowClient(tracking_uri=uri), written


def test_the_experiment_page_filters_and_sorts_as_mlflow_client(driver, built_page):
    """The same matrix through the page itself: the filter and the order given in the URL
    fragment (searchFilter, orderByKey, orderByAsc: MLflow UI's names), the table's view read
    run by run id; a rejected filter shows MLflow's reason and every run."""
    from urllib.parse import quote

    kind, client, written = built_page
    every = sorted(r.info.run_id for r in client.search_runs([written["exp"]], max_results=1000))
    exprs = expressions(written["ids"])
    hashes = [f"nested=false&searchFilter={quote(e, safe='')}" for e in exprs]
    hashes += [f"nested=false&orderByKey={quote(k, safe='')}&orderByAsc={str(a).lower()}" for k, a in ORDER_KEYS]
    got = driver.execute_async_script(THROUGH_THE_PAGE, hashes)
    show = _names(written)
    mismatches = []
    for expr, res in zip(exprs, got[: len(exprs)], strict=True):
        try:
            want = sorted(r.info.run_id for r in client.search_runs([written["exp"]], expr, max_results=1000))
        except Exception:  # noqa: BLE001 - MlflowException, or an error of MLflow's list parser
            want = None
        if not expr.strip():  # the page trims its input: blank is no filter (MLflow's client rejects it)
            ok = res["error"] is None and sorted(res["ids"]) == every
        elif want is None:
            ok = res["error"] is not None and sorted(res["ids"]) == every
        else:
            ok = res["error"] is None and sorted(res["ids"]) == want
        if not ok:
            mismatches.append((expr, res["error"], show(sorted(res["ids"])), show(want) if want else "rejected"))
    assert mismatches == [], f"{kind}: (expression, error, page, MLflow): " + "\n".join(map(str, mismatches))
    for (key, ascending), res in zip(ORDER_KEYS, got[len(exprs) :], strict=True):
        want = [r.info.run_id for r in client.search_runs([written["exp"]], order_by=[order_by(key, ascending)])]
        assert show(res["ids"]) == show(want), f"{kind}: {order_by(key, ascending)}"
    assert js_errors(driver) == []
