"""An experiment's data files: runs.js (the runs table's data) and runs.csv (the columns of
``mlflow.search_runs()``'s DataFrame), checked against MLflow's own client on a store it wrote;
field cases 03 and 17 (columns and comparisons once capped silently); the static comparison."""

import csv
import json
import math
import os
import re
import shutil
from pathlib import Path

import pytest

from sitegen import BuildOptions, build

CASES = Path(__file__).parent / "field_cases"


def payload(site: Path, exp_id: str) -> dict:
    text = (site / "experiments" / exp_id / "runs.js").read_text(encoding="utf-8")
    m = re.fullmatch(r'trackreport\.data\("runs",(.*)\);\n', text, re.S)
    assert m, text[:200]
    return json.loads(m.group(1))


@pytest.fixture(scope="module", params=["file", "sqlite"])
def written(request, tmp_path_factory):
    import mlflow
    from mlflow import MlflowClient

    base = tmp_path_factory.mktemp(f"rundata-{request.param}")
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = str(base / "mlruns") if request.param == "file" else f"sqlite:///{base / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    try:
        exp = mlflow.create_experiment("data files")
        with mlflow.start_run(experiment_id=exp, run_name="parent"):
            mlflow.log_metric("val/loss", 0.5)
            for i in range(3):
                with mlflow.start_run(experiment_id=exp, run_name=f"child-{i}", nested=True):
                    mlflow.log_params({"lr": str(0.1 / (i + 1)), "batch size": "32", "ünï": "ß" * i})
                    for step in range(5):
                        mlflow.log_metric("val/loss", 1 / (step + i + 1), step=step)
                    mlflow.log_metric("acc", [0.5, float("nan"), float("inf")][i])
                    if i == 1:
                        mlflow.set_tag("note", 'a "quoted", comma\nline')
    finally:
        mlflow.set_tracking_uri(None)
    site = base / "site"
    build(BuildOptions(store=uri, out=str(site), jobs=1))
    return MlflowClient(tracking_uri=uri), uri, exp, site


def test_runs_js_holds_what_search_runs_returns_in_mlflows_order(written):
    client, _uri, exp, site = written
    doc = payload(site, exp)
    want = client.search_runs([exp], max_results=1000)
    assert [r["run_id"] for r in doc["runs"]] == [r.info.run_id for r in want]  # MLflow's default order
    for row, run in zip(doc["runs"], want):
        params = {k: v for k, v in zip(doc["params"], row["params"]) if v is not None}
        tags = {k: v for k, v in zip(doc["tags"], row["tags"]) if v is not None}
        metrics = {k: v for k, v in zip(doc["metrics"], row["metrics"]) if v is not None}
        assert params == run.data.params
        assert tags == run.data.tags
        assert metrics.keys() == run.data.metrics.keys()
        for k, v in run.data.metrics.items():
            got = metrics[k]
            if math.isnan(v):
                assert got == "NaN"
            elif math.isinf(v) or abs(v) >= 1.7976931348623157e308:
                assert got == ("Infinity" if v > 0 else "-Infinity")
            else:
                assert got == v
        assert (row["status"], row["start_time"], row["end_time"]) == (
            run.info.status,
            run.info.start_time,
            run.info.end_time,
        )
        assert row["parent_run_id"] == run.data.tags.get("mlflow.parentRunId")
    assert doc["metric_points"][doc["metrics"].index("val/loss")] == 5
    assert doc["metric_points"][doc["metrics"].index("acc")] == 1
    assert doc["store_kind"] == ("file" if not written[1].startswith("sqlite") else "sqlite")


def test_runs_csv_has_the_columns_and_values_of_mlflow_search_runs(written):
    import mlflow
    import pandas as pd

    _client, uri, exp, site = written
    mlflow.set_tracking_uri(uri)
    try:
        want = mlflow.search_runs([exp])
    finally:
        mlflow.set_tracking_uri(None)
    path = site / "experiments" / exp / "runs.csv"
    got = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert set(got.columns) == set(want.columns)
    assert list(got.columns[:6]) == ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
    assert list(got["run_id"]) == list(want["run_id"])
    for i, row in want.iterrows():
        for col, v in row.items():
            cell = got.at[i, col]
            if col.startswith("metrics."):
                assert (cell == "" and math.isnan(v)) or float(cell) == v or (math.isnan(v) and cell == "NaN"), col
            elif col in ("start_time", "end_time"):
                assert pd.Timestamp(cell) == v if cell else pd.isna(v)
            else:
                assert cell == ("" if v is None or v != v else str(v)), col  # pandas may hold None as NaN
    with path.open(newline="", encoding="utf-8") as f:
        assert sum(1 for _ in csv.reader(f)) == len(want) + 1  # the newline inside a tag stays quoted


def _build_case(name: str, tmp_path: Path) -> tuple[Path, str]:
    shutil.copytree(CASES / name / "mlruns", tmp_path / "mlruns")
    site = tmp_path / "site"
    build(BuildOptions(store=str(tmp_path / "mlruns"), out=str(site), jobs=1))
    exp = next(p.name for p in (site / "experiments").iterdir() if p.name != "0")
    return site, exp


def test_03_every_param_is_in_the_data_the_csv_and_the_static_table(tmp_path):
    site, exp = _build_case("03-param-metric-columns-capped-silently", tmp_path)
    doc = payload(site, exp)
    assert len(doc["params"]) == 79  # MLflow's client: 79 distinct param keys over the 2 runs
    assert {"n_estimators", "max_depth", "subsample", "min_samples_leaf"} <= set(doc["params"])
    header = next(csv.reader((site / "experiments" / exp / "runs.csv").open(encoding="utf-8")))
    assert sum(c.startswith("params.") for c in header) == 79
    page = (
        (site / "experiments" / exp / "index.html").read_text(encoding="utf-8").replace("<wbr>", "")
    )  # names carry break hints
    assert len(set(re.findall(r'title="param ([^"]*)"', page))) == 79


def test_17_histories_are_charted_first_and_the_page_says_what_is_left_out(tmp_path):
    site, exp = _build_case("17-metric-columns-and-compare-capped-silently", tmp_path)
    doc = payload(site, exp)
    assert len(doc["metrics"]) == 67
    assert doc["metric_points"][doc["metrics"].index("val_loss")] == 20
    assert doc["compare"] == {"metric": "val_loss", "order": "min"}  # the one history; a loss
    page = (
        (site / "experiments" / exp / "index.html").read_text(encoding="utf-8").replace("<wbr>", "")
    )  # names carry break hints
    assert re.findall(r'<h3 class="mono">([^<]*)</h3>', page)[0] == "val_loss"
    assert "12 of the 67 metrics that two runs or more logged, those with a history first" in page
    assert len(set(re.findall(r'title="metric ([^"]*?) \(latest\)"', page))) == 67
    assert "Best runs by" in page and "lower is better" in page


def test_compare_metric_and_order_from_options(tmp_path):
    shutil.copytree(CASES / "17-metric-columns-and-compare-capped-silently" / "mlruns", tmp_path / "mlruns")
    site = tmp_path / "site"
    build(
        BuildOptions(
            store=str(tmp_path / "mlruns"), out=str(site), jobs=1, compare_metric="class_00/f1", compare_order="max"
        )
    )
    exp = next(p.name for p in (site / "experiments").iterdir() if p.name != "0")
    doc = payload(site, exp)
    assert doc["compare"] == {"metric": "class_00/f1", "order": "max"}
    page = (
        (site / "experiments" / exp / "index.html").read_text(encoding="utf-8").replace("<wbr>", "")
    )  # names carry break hints
    best = re.search(r'<table class="grid top-runs">(.*?)</table>', page, re.S).group(1)
    values = [float(v) for v in re.findall(r'<span class="num" title="([^"]+)"', best)]
    assert len(values) == 3 and values == sorted(values, reverse=True)
    assert "compare-metric in the configuration; order from compare-order" in page


def test_an_incremental_build_writes_the_same_data_as_a_clean_one(tmp_path):
    shutil.copytree(CASES / "17-metric-columns-and-compare-capped-silently" / "mlruns", tmp_path / "mlruns")
    site, clean = tmp_path / "site", tmp_path / "clean"
    build(BuildOptions(store=str(tmp_path / "mlruns"), out=str(site), jobs=1))
    exp = next(p for p in (tmp_path / "mlruns").iterdir() if p.name not in ("0", ".trash") and p.is_dir())
    run = next(p for p in exp.iterdir() if (p / "meta.yaml").exists())
    with (run / "metrics" / "val_loss").open("a") as f:
        f.write("1900000000000 0.01 20\n")
    result = build(BuildOptions(store=str(tmp_path / "mlruns"), out=str(site), jobs=1))
    assert result.runs_rendered == 1
    build(BuildOptions(store=str(tmp_path / "mlruns"), out=str(clean), jobs=1))
    for name in ("runs.js", "runs.csv"):
        rel = Path("experiments") / exp.name / name
        assert (site / rel).read_bytes() == (clean / rel).read_bytes(), name
    assert payload(site, exp.name)["metric_points"][payload(site, exp.name)["metrics"].index("val_loss")] == 21


def test_history_csv_holds_every_point_under_safe_names(written, tmp_path):
    """--history-csv: each metric's full history as CSV beside run.json, named safely for keys
    with '/' and spaces, equal to MLflow's get_metric_history; linked from the run page."""
    client, uri, exp, _site = written
    site = tmp_path / "site"
    build(BuildOptions(store=uri, out=str(site), jobs=1, history_csv=True))
    run = next(r for r in client.search_runs([exp]) if r.info.run_name == "child-1")
    folder = site / "experiments" / exp / "runs" / run.info.run_id
    page = (folder / "index.html").read_text(encoding="utf-8").replace("<wbr>", "")  # names carry break hints
    links = dict(
        re.findall(r'<a class="small" href="(history/[^"]+)" download title="every point of ([^"]+) as CSV">', page)
    )
    assert sorted(links.values()) == sorted(run.data.metrics)
    for href, key in links.items():
        assert re.fullmatch(r"history/[A-Za-z0-9._-]+\.csv", href), href  # no '/', no space in the name
        with (folder / href).open(newline="", encoding="utf-8") as f:
            rows = list(csv.reader(f))
        assert rows[0] == ["step", "timestamp", "value"]
        want = client.get_metric_history(run.info.run_id, key)
        assert [(int(s), int(t)) for s, t, _ in rows[1:]] == [(m.step, m.timestamp) for m in want]
        for (_s, _t, v), m in zip(rows[1:], want):
            assert float(v) == m.value or (math.isnan(m.value) and v == "NaN")


def test_17_single_values_are_compared_as_bars_not_stacked_dots(tmp_path):
    site, exp = _build_case("17-metric-columns-and-compare-capped-silently", tmp_path)
    page = (
        (site / "experiments" / exp / "index.html").read_text(encoding="utf-8").replace("<wbr>", "")
    )  # names carry break hints
    cards = [
        (re.match(r'\s*<h3 class="mono">([^<]*)</h3>', c).group(1), c)
        for c in page.split('<div class="chart-card">')[1:]
    ]
    bars = [k for k, body in cards if body.lstrip().split("</h3>", 1)[1].lstrip().startswith('<table class="bars">')]
    assert cards[0][0] == "val_loss" and 'src="charts/' in cards[0][1].split('<table class="bars">')[0]
    assert len(bars) == 11 and all(k.startswith("class_") for k in bars)  # one value per run: bars
    images = [p.name for p in (site / "experiments" / exp / "charts").iterdir()]
    assert len(images) == 1 and images[0].startswith("val_loss")  # no image made for the bars
    first = re.search(r'<table class="bars">(.*?)</table>', page, re.S).group(1)
    assert len(re.findall(r'<span class="bar[^"]*" style="width: [\d.]+%"></span>', first)) == 3


def test_21_a_large_experiment_page_stays_small(tmp_path):
    """Field case 21 (a 3,000-run experiment was one 7 MB page: ~10 s to open, seconds per
    sort): the page holds a static table of the latest 100 runs and says so; every run is in
    runs.js, which the interactive table renders row by row (tests/test_runs_table.py,
    benchmarks/bench_browser.py). Made with the real templates and generator, without writing
    3,000 run pages."""
    from sitegen.builder import generators
    from sitegen.builder.tree import relations
    from sitegen.builder.worker import stub
    from sitegen.entities import Experiment, MetricHistory, Run, Store
    from sitegen.render.pages import Pages, RunRows, make_env
    from sitegen.theme import theme_chain
    from sitegen.writer import SiteWriter

    n = 3000
    runs = []
    for i in range(n):
        r = Run(f"{i:032x}", "7", run_name=f"trial-{i}", start_time=1_700_000_000_000 + i * 1000)
        r.end_time = r.start_time + 500
        r.params = {f"p{j}": str((i * j) % 17) for j in range(10)}
        r.metrics = {
            f"m{j}": MetricHistory.from_points(f"m{j}", [(0, r.start_time, math.sin(i + j))]) for j in range(5)
        }
        runs.append(stub(r))
    exp = Experiment("7", "sweep", runs=runs)
    store = Store(uri="x", kind="file", experiments=[exp])
    writer = SiteWriter(tmp_path / "site", incremental=False)
    pages = Pages(make_env(theme_chain(None)), "t")
    generators.experiment_page(exp, relations(store), writer, pages, None, _Result(), [], [], RunRows())
    writer.commit({"generator": "trackreport"})
    page = (
        (tmp_path / "site" / "experiments" / "7" / "index.html").read_text(encoding="utf-8").replace("<wbr>", "")
    )  # names carry break hints
    assert len(page.encode()) < 300_000  # was 7 MB
    assert page.count('<tr class="top" data-run-id=') == 100
    assert "This table shows the 100 latest of 3000 runs" in page
    doc = payload(tmp_path / "site", "7")
    assert len(doc["runs"]) == n and doc["runs"][0]["run_name"] == f"trial-{n - 1}"  # newest first


class _Result:
    pages = 0


def test_the_guessed_compare_metric_is_a_score_not_a_schedule(tmp_path):
    """The sample sweep logs learning_rate, train/loss, val/loss and val/accuracy at every epoch
    of every run: the guess is a held-out score, not the learning-rate schedule."""
    site = tmp_path / "site"
    build(BuildOptions(store=str(Path(__file__).parent.parent / "sample_mlruns"), out=str(site), jobs=1))
    doc = payload(site, "797398129669635066")
    assert doc["compare"] == {"metric": "val/accuracy", "order": "max"}
