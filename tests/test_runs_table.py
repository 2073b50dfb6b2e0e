"""The experiment page's interactive runs table (themes/default/static/runs-table.js and its
helpers) in real headless Chromium from file://, on a site built from a store written by real
MLflow (nested runs, NaN, unicode, keys with / and spaces, 79 params over two runs): filter,
sort (against ``MlflowClient.search_runs``), the column chooser and the selection by keyboard,
the Compare link, the CSV of the view, the view as a link (reload, back/forward), and virtual
rows on a 2,000-run data file."""

import math
import os
import re
import shutil

import pytest
from conftest import js_errors

from sitegen import BuildOptions, build
from sitegen.render import rundata

pytestmark = pytest.mark.browser

SETUP_PARAMS = [f"Setup {i:02d}" for i in range(56)]  # like PyCaret's setup run (field case 03)
MODEL_PARAMS = ["n_estimators", "max_depth", "subsample"] + [f"hp_{i:02d}" for i in range(20)]


def _write(uri: str) -> dict:
    import mlflow
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(uri)
    try:
        exp = mlflow.create_experiment("table")
        ids = {}
        with mlflow.start_run(experiment_id=exp, run_name="sweep") as parent:
            ids["sweep"] = parent.info.run_id
            mlflow.log_param("lr", "0.1")
            for i, (loss, lr) in enumerate([(0.9, "0.1"), (0.2, "0.01"), (float("nan"), "0.5"), (0.5, "0.05")]):
                with mlflow.start_run(experiment_id=exp, run_name=f"child-{i}", nested=True) as child:
                    ids[f"child-{i}"] = child.info.run_id
                    for step in range(3):
                        mlflow.log_metric("val/loss", loss + (2 - step) * 0.1, step=step)
                    mlflow.log_metric("val/loss", loss, step=3)
                    mlflow.log_metric("train acc", 1 - (loss if loss == loss else 0.7))
                    mlflow.log_params({"lr": lr, "batch size": str(32 * (i + 1))})
        client = MlflowClient()
        singles = [("ünïcode ✓", 0.35, "FAILED"), ("baseline", 1.5, "FINISHED"), ("probe", None, "KILLED")]
        for name, loss, status in singles:
            run = client.create_run(exp, run_name=name)
            ids[name] = run.info.run_id
            if loss is not None:
                client.log_metric(run.info.run_id, "val/loss", loss)
            client.log_param(run.info.run_id, "lr", "0.2")
            client.log_metric(run.info.run_id, "system/cpu_utilization_percentage", 12.5)
            client.set_terminated(run.info.run_id, status)
        setup = client.create_run(exp, run_name="setup")
        ids["setup"] = setup.info.run_id
        for k in SETUP_PARAMS:
            client.log_param(setup.info.run_id, k, "x")
        client.set_terminated(setup.info.run_id)
        model = client.create_run(exp, run_name="model")
        ids["model"] = model.info.run_id
        for k in MODEL_PARAMS:
            client.log_param(model.info.run_id, k, "7")
        client.log_metric(model.info.run_id, "val/loss", 0.35)
        client.set_terminated(model.info.run_id)
        return {"exp": exp, "ids": ids}
    finally:
        mlflow.set_tracking_uri(None)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from mlflow import MlflowClient

    base = tmp_path_factory.mktemp("runs-table")
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = str(base / "mlruns")
    written = _write(uri)
    build(BuildOptions(store=uri, out=str(base / "site"), jobs=2))
    page = base / "site" / "experiments" / written["exp"] / "index.html"
    assert page.is_file()
    return page, MlflowClient(tracking_uri=uri), written


def _open(drv, url, rows=None):
    from selenium.webdriver.support.ui import WebDriverWait

    drv.get("about:blank")
    drv.get(url)
    WebDriverWait(drv, 10).until(lambda d: d.execute_script("return !!(window.trackreport && trackreport.runsTable)"))
    return drv


def _ids(drv):
    return drv.execute_script("return trackreport.runsTable.viewIds()")


def _rendered(drv):
    return drv.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('#rt-grid tr[data-run-id]'),"
        " function (r) { return r.getAttribute('data-run-id'); })"
    )


def _search(client, written, filter_string="", order_by=None):
    runs = client.search_runs([written["exp"]], filter_string=filter_string, order_by=order_by or [])
    return [r.info.run_id for r in runs]


def test_table_replaces_static_rows_and_says_which_columns_are_hidden(driver, site):
    from selenium.webdriver.common.by import By

    page, client, written = site
    js_errors(driver)
    _open(driver, page.as_uri())
    assert driver.find_elements(By.ID, "runs-static") == []
    assert driver.find_element(By.ID, "runs-app").is_displayed()
    # nested by default (the experiment has child runs): the sweep's children follow it
    ids = _ids(driver)
    assert sorted(ids) == sorted(_search(client, written))
    sweep = ids.index(written["ids"]["sweep"])
    assert set(ids[sweep + 1 : sweep + 5]) == {written["ids"][f"child-{i}"] for i in range(4)}
    assert sorted(_rendered(driver)) == sorted(ids)
    grid = driver.find_element(By.ID, "rt-grid")
    assert grid.get_attribute("role") == "grid" and grid.get_attribute("aria-rowcount") == str(len(ids) + 1)
    # 79 + 2 params (lr, batch size); those that vary are shown first, 12 of them
    note = driver.find_element(By.ID, "rt-hidden-note").text
    assert "12 of 81 params shown" in note and "0 of 1 system metrics shown" in note and "Columns…" in note
    cols = driver.execute_script("return trackreport.runsTable.columns()")
    assert cols.index("metrics.`val/loss`") < cols.index("metrics.`train acc`")  # history first
    assert "params.`lr`" in cols and "params.`batch size`" in cols
    assert not any(c.startswith("metrics.`system/") for c in cols)
    assert js_errors(driver) == []


def test_filter_valid_invalid_and_run_name_search(driver, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page, client, written = site
    _open(driver, page.as_uri() + "#nested=false")
    box = driver.find_element(By.ID, "rt-filter")
    expr = "metrics.`val/loss` < 0.6 and params.lr != '0.2'"
    box.send_keys(expr)
    want = _search(client, written, expr)
    WebDriverWait(driver, 5).until(lambda d: sorted(_ids(d)) == sorted(want))
    assert len(want) == 2 and driver.execute_script("return trackreport.runsTable.error()") is None
    assert sorted(_rendered(driver)) == sorted(want)

    box.clear()
    box.send_keys("metrics.`val/loss` <")
    alert = driver.find_element(By.ID, "rt-error")
    WebDriverWait(driver, 5).until(lambda d: alert.is_displayed())
    error = driver.execute_script("return trackreport.runsTable.error()")
    with pytest.raises(Exception) as mlflow_error:
        client.search_runs([written["exp"]], filter_string="metrics.`val/loss` <")
    assert error and error in alert.text and alert.get_attribute("role") == "alert"
    assert "Invalid" in str(mlflow_error.value) and "Invalid" in error
    assert sorted(_ids(driver)) == sorted(_search(client, written))  # every run

    box.clear()
    box.send_keys("child")
    WebDriverWait(driver, 5).until(lambda d: len(_ids(d)) == 4)
    assert driver.find_element(By.ID, "rt-applied").text.endswith("attributes.run_name RLIKE 'child'")
    # status chips combine with the filter
    driver.find_element(By.CSS_SELECTOR, "#runs-app .chip[data-status='FAILED']").click()
    WebDriverWait(driver, 5).until(lambda d: _ids(d) == [])
    box.clear()
    box.send_keys(" ")
    WebDriverWait(driver, 5).until(lambda d: _ids(d) == [written["ids"]["ünïcode ✓"]])
    assert "status=FAILED" in driver.current_url
    assert js_errors(driver) == []


@pytest.mark.parametrize("nested", [False, True])
def test_sort_by_a_metric_both_directions_as_mlflow(driver, site, nested):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    page, client, written = site
    _open(driver, page.as_uri() + f"#nested={str(nested).lower()}")
    xpath = "//table[@id='rt-grid']//th[.//span[text()='val/loss']]"
    kids = [written["ids"][f"child-{i}"] for i in range(4)]
    for direction in ("DESC", "ASC"):
        driver.find_element(By.XPATH, xpath).click()
        want = _search(client, written, order_by=[f"metrics.`val/loss` {direction}"])
        label = "descending" if direction == "DESC" else "ascending"
        sorted_as = lambda d, v=label: d.find_element(By.XPATH, xpath).get_attribute("aria-sort") == v  # noqa: E731
        WebDriverWait(driver, 5).until(sorted_as)
        if nested:
            # groups ordered by their best member (the sweep, without val/loss, stands where its
            # best child is, not buried at the end); children in MLflow's order
            pos = {run_id: i for i, run_id in enumerate(want)}
            sweep = written["ids"]["sweep"]
            groups = [[sweep] + kids] + [[i] for i in want if i not in kids and i != sweep]
            groups.sort(key=lambda g: min(pos[m] for m in g))
            want = [m for g in groups for m in g[:1] + sorted(g[1:], key=pos.get)]
        assert _ids(driver) == want
        assert f"orderByAsc={'true' if direction == 'ASC' else 'false'}" in driver.current_url
        assert "orderByKey=metrics.%60val%2Floss%60" in driver.current_url
    assert js_errors(driver) == []


def test_nested_filter_shows_a_matching_child_with_its_parent(driver, site):
    page, client, written = site
    _open(driver, page.as_uri() + "#searchFilter=" + "attributes.run_name%20%3D%20'child-1'")
    assert _ids(driver) == [written["ids"]["sweep"], written["ids"]["child-1"]]
    row = driver.execute_script(
        "return document.querySelector('#rt-grid tr[data-run-id=\"%s\"]').className" % written["ids"]["sweep"]
    )
    assert "rt-context" in row
    assert driver.execute_script("return trackreport.runsTable.csv()").count("\n") == 2  # header + child
    assert js_errors(driver) == []


def test_keyboard_chooser_selection_compare_csv_and_the_url(driver, site):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    page, client, written = site
    _open(driver, page.as_uri() + "#nested=false&orderByKey=metrics.val%2Floss&orderByAsc=true")
    assert _ids(driver) == _search(client, written, order_by=["metrics.`val/loss` ASC"])  # without backticks

    # the chooser, by keyboard only: open, search, tick, close
    driver.find_element(By.ID, "rt-columns").send_keys(Keys.ENTER)
    WebDriverWait(driver, 5).until(lambda d: d.switch_to.active_element.get_attribute("id") == "rt-chooser-search")
    driver.switch_to.active_element.send_keys("n_estim")
    driver.switch_to.active_element.send_keys(Keys.ENTER)
    box = driver.switch_to.active_element
    assert box.get_attribute("value") == "params.`n_estimators`" and not box.is_selected()
    box.send_keys(Keys.SPACE)
    box.send_keys(Keys.ARROW_UP)
    driver.switch_to.active_element.send_keys(Keys.CONTROL, "a")
    driver.switch_to.active_element.send_keys("system/")
    driver.switch_to.active_element.send_keys(Keys.ARROW_DOWN, Keys.SPACE, Keys.ESCAPE)
    WebDriverWait(driver, 5).until(lambda d: not d.find_elements(By.ID, "rt-chooser"))
    assert driver.switch_to.active_element.get_attribute("id") == "rt-columns"
    cols = driver.execute_script("return trackreport.runsTable.columns()")
    assert "params.`n_estimators`" in cols and "metrics.`system/cpu_utilization_percentage`" in cols
    assert driver.find_elements(By.XPATH, "//table[@id='rt-grid']//th[.//span[text()='n_estimators']]")
    assert "14 of 81 params shown" not in driver.find_element(By.ID, "rt-hidden-note").text
    assert "13 of 81 params shown" in driver.find_element(By.ID, "rt-hidden-note").text

    # three runs selected with the keyboard: the grid is one tab stop
    grid = driver.find_element(By.ID, "rt-grid")
    grid.send_keys(Keys.SPACE, Keys.ARROW_DOWN, Keys.SPACE, Keys.ARROW_DOWN, Keys.ARROW_DOWN, Keys.SPACE)
    ids = _ids(driver)
    chosen = [ids[0], ids[1], ids[3]]
    link = driver.find_element(By.ID, "rt-compare")
    WebDriverWait(driver, 5).until(lambda d: link.text == "Compare (3)")
    assert link.get_attribute("href").endswith("compare.html#runs=" + ",".join(chosen))
    checked = driver.execute_script(
        "return Array.prototype.filter.call(document.querySelectorAll('#rt-grid tbody input:checked'),"
        " function (b) { return true; }).map(function (b) { return b.closest('tr').getAttribute('data-run-id'); })"
    )
    assert checked == chosen
    assert grid.get_attribute("aria-activedescendant") == "rt-c-3-1"
    assert driver.switch_to.active_element == grid

    # Enter on a header sorts by it
    grid.send_keys(Keys.CONTROL, Keys.HOME)
    grid.send_keys(Keys.ARROW_UP, Keys.ARROW_RIGHT, Keys.ARROW_RIGHT, Keys.ENTER)  # Status
    WebDriverWait(driver, 5).until(lambda d: d.find_element(By.ID, "rt-h-2").get_attribute("aria-sort") == "ascending")
    assert _ids(driver) == _search(client, written, order_by=["attributes.status ASC"])
    grid.send_keys(Keys.ENTER)
    WebDriverWait(driver, 5).until(lambda d: d.find_element(By.ID, "rt-h-2").get_attribute("aria-sort") == "descending")

    # the CSV of this view: its order, the columns shown, named as runs.csv names them
    text = driver.execute_script("return trackreport.runsTable.csv()")
    lines = text.rstrip("\n").split("\n")
    header = lines[0].split(",")
    assert header[:3] == ["run_id", "tags.mlflow.runName", "status"]
    assert "metrics.val/loss" in header and "params.n_estimators" in header and "params.batch size" in header
    assert [line.split(",")[0] for line in lines[1:]] == _ids(driver)
    rows = {line.split(",")[0]: line.split(",") for line in lines[1:]}
    col = header.index("metrics.val/loss")
    assert rows[written["ids"]["child-2"]][col] == "NaN"
    assert float(rows[written["ids"]["baseline"]][col]) == 1.5
    assert rows[written["ids"]["probe"]][col] == ""
    assert rows[written["ids"]["ünïcode ✓"]][1] == "ünïcode ✓"
    assert rows[written["ids"]["model"]][header.index("params.n_estimators")] == "7"

    # the view is a link: the same URL opened again gives the same view
    url = driver.current_url
    state = driver.execute_script("return trackreport.runsTable.state()")
    view = _ids(driver)
    assert "selected=" in url and "columns=" in url and "orderByKey=attributes.status" in url
    _open(driver, url)
    assert driver.execute_script("return trackreport.runsTable.state()") == state
    assert _ids(driver) == view
    assert driver.execute_script("return trackreport.runsTable.columns()") == cols
    assert driver.find_element(By.ID, "rt-compare").text == "Compare (3)"

    # back and forward follow the fragment
    driver.find_element(By.ID, "rt-filter").send_keys("baseline")
    WebDriverWait(driver, 5).until(lambda d: _ids(d) == [written["ids"]["baseline"]])
    driver.back()
    WebDriverWait(driver, 5).until(lambda d: _ids(d) == view)
    assert driver.find_element(By.ID, "rt-filter").get_attribute("value") == ""
    driver.forward()
    WebDriverWait(driver, 5).until(lambda d: _ids(d) == [written["ids"]["baseline"]])
    assert js_errors(driver) == []


def test_two_thousand_runs_keep_few_rows_in_the_dom(driver, site, tmp_path):
    from selenium.webdriver.common.by import By
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import WebDriverWait

    page, client, written = site
    folder = tmp_path / "big"
    shutil.copytree(page.parent.parent.parent, folder)
    big = folder / "experiments" / written["exp"]
    n = 2000
    runs = [
        {
            "run_id": f"{i:032x}",
            "run_name": f"run-{i}",
            "status": "FINISHED" if i % 7 else "FAILED",
            "lifecycle_stage": "active",
            "start_time": 1_700_000_000_000 + i * 1000,
            "end_time": 1_700_000_000_000 + i * 1000 + 500,
            "user_id": "u",
            "artifact_uri": None,
            "parent_run_id": None,
            "params": [str(i % 10), f"p{i % 3}"],
            "metrics": [rundata.json_value(math.sin(i) if i % 11 else float("nan")), i % 5],
            "tags": [],
            "datasets": [],
        }
        for i in range(n)
    ]
    doc = {
        "format": 1,
        "experiment_id": written["exp"],
        "experiment_name": "big",
        "store_kind": "file",
        "params": ["a", "b"],
        "metrics": ["loss", "m"],
        "tags": [],
        "metric_points": [10, 1],
        "compare": {"metric": None, "order": "min"},
        "runs": runs,
    }
    (big / "runs.js").write_text(rundata.data_script("runs", doc), encoding="utf-8")
    _open(driver, (big / "index.html").as_uri())
    assert len(_ids(driver)) == n
    assert 10 <= len(_rendered(driver)) <= 100
    grid = driver.find_element(By.ID, "rt-grid")
    grid.send_keys(Keys.CONTROL, Keys.END)
    WebDriverWait(driver, 5).until(lambda d: f"{0:032x}" in _rendered(d))  # oldest last
    assert len(_rendered(driver)) <= 100
    assert grid.get_attribute("aria-activedescendant").startswith(f"rt-c-{n - 1}-")
    row = driver.find_element(By.CSS_SELECTOR, f"tr[data-run-id='{0:032x}']")
    assert row.get_attribute("aria-rowindex") == str(n + 1)
    driver.find_element(By.ID, "rt-filter").send_keys("metrics.loss > 0.5 and params.a = '3'")
    want = sorted(f"{i:032x}" for i in range(n) if i % 11 and math.sin(i) > 0.5 and i % 10 == 3)
    WebDriverWait(driver, 5).until(lambda d: sorted(_ids(d)) == want)
    took = driver.execute_script(
        "var t = performance.now(); document.querySelector('#rt-grid th[id=\"rt-h-1\"]').click();"
        " return performance.now() - t"
    )
    assert re.match(r"run-", driver.find_element(By.CSS_SELECTOR, "#rt-grid tbody tr[data-run-id] a").text)
    assert took < 2000
    assert js_errors(driver) == []
