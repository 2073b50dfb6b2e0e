"""The Python evaluator of MLflow's search syntax (sitegen.search) against MLflow's own client:
for every expression of the matrix, on a file store and a SQLite store written by the same MLflow
calls, the same runs (by id) as ``MlflowClient.search_runs(filter_string=…)``, or a rejection
where MLflow rejects it. The browser's filter (explore issue) is to share this matrix."""

import math
import os

import pytest

from sitegen.readers import open_store
from sitegen.search import SearchError, matcher

EXPRESSIONS = [
    # metrics
    "metrics.acc > 0.5",
    "metrics.acc >= 0.75",
    "metrics.acc < 0.5",
    "metrics.acc <= 0.6",
    "metrics.acc = 0.9",
    "metrics.acc != 0.9",
    "metric.acc > 0",
    "metrics.`val/loss` < 0.3",
    'metrics."val/loss" > 0.1',
    "metrics.`train loss` >= 1",
    "metrics.nanny < 1",
    "metrics.nanny != 1",
    "metrics.nanny = 0",
    "metrics.acc > 1e-1",
    "metrics.acc > -1",
    "metrics.missing > 0",
    # params
    "params.optimizer = 'adam'",
    "params.optimizer != 'adam'",
    "param.optimizer = \"sgd\"",
    "params.optimizer LIKE 'ad%'",
    "params.optimizer LIKE 'AD%'",
    "params.optimizer ILIKE 'AD%'",
    "params.optimizer LIKE '%a_%'",
    "params.lr = '0.01'",
    "params.`batch size` = '32'",
    "parameters.lr != '0.1'",
    "params.optimizer IS NULL",
    "params.optimizer IS NOT NULL",
    "params.ünï = 'ß'",
    # tags
    "tags.team = 'vision'",
    "tags.team != 'vision'",
    "tags.team LIKE '%is%'",
    "tags.team ILIKE 'VIS%'",
    "tags.`mlflow.runName` = 'child-2'",
    "tag.team IS NULL",
    "tags.team IS NOT NULL",
    "tags.\"mlflow.parentRunId\" IS NOT NULL",
    # attributes
    "attributes.status = 'FAILED'",
    "attributes.status != 'FINISHED'",
    "status = 'KILLED'",
    "attributes.run_name = 'child-1'",
    "run_name LIKE 'child%'",
    "attributes.run_name ILIKE 'CHILD-%'",
    "`Run name` = 'parent'",
    "attributes.user_id = 'tester'",
    "attributes.start_time > 0",
    "attributes.end_time > 0",
    "created > 0",
    "attr.run_name = 'parent'",
    "run.status = 'RUNNING'",
    "attributes.run_id IN ('{a}', '{b}')",
    "attributes.run_id NOT IN ('{a}')",
    "attributes.artifact_uri LIKE '%artifacts'",
    # datasets
    "dataset.name = 'toy'",
    "datasets.context = 'training'",
    "dataset.context IN ('eval')",
    "dataset.digest LIKE '%'",
    # combinations
    "metrics.acc > 0.5 AND params.optimizer = 'adam'",
    "params.optimizer = 'adam' and tags.team = 'vision'",
    "metrics.acc > 0.1 AND metrics.`val/loss` < 1 AND attributes.status = 'FINISHED'",
    # rejected
    "metrics.acc > 0.5 OR params.optimizer = 'adam'",
    "metrics.acc > '0.5'",
    "params.optimizer = adam",
    "params.optimizer > 'a'",
    "foo.bar = 1",
    "attributes.nope = 'x'",
    "metrics.acc LIKE '1'",
    "attributes.status IN ('FAILED')",
    "metrics.acc IS NULL",
    "metrics.acc",
    "dataset.source = 'x'",
    "attributes.start_time = 'x'",
    "params.lr = 0.1",
    "metrics.acc > 0.5; params.lr = '1'",
]


def _write(uri: str) -> dict:
    import mlflow
    import pandas as pd
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(uri)
    try:
        exp = mlflow.create_experiment("search")
        ids = {}
        with mlflow.start_run(experiment_id=exp, run_name="parent") as parent:
            ids["parent"] = parent.info.run_id
            mlflow.set_tag("team", "vision")
            mlflow.log_metric("acc", 0.9)
            for i, (opt, lr, acc, status) in enumerate(
                [("adam", "0.1", 0.75, "FINISHED"), ("sgd", "0.01", 0.4, "FAILED"), ("adamw", "0.1", 0.6, "KILLED")],
                1,
            ):
                with mlflow.start_run(experiment_id=exp, run_name=f"child-{i}", nested=True) as child:
                    ids[f"child-{i}"] = child.info.run_id
                    mlflow.log_params({"optimizer": opt, "lr": lr, "batch size": "32"})
                    mlflow.log_metrics({"acc": acc, "val/loss": acc / 3, "train loss": 1 + acc})
                    if i == 2:
                        mlflow.log_metric("nanny", float("nan"))
                        mlflow.set_tag("team", "Visionaries")
                    if i == 1:
                        mlflow.log_param("ünï", "ß")
                        ds = mlflow.data.from_pandas(pd.DataFrame({"x": [1]}), name="toy")
                        mlflow.log_input(ds, context="training")
                    if i == 3:
                        mlflow.log_input(
                            mlflow.data.from_pandas(pd.DataFrame({"y": [2]}), name="other"), context="eval"
                        )
                    mlflow.set_tag("mlflow.user", "tester")
                mlflow.MlflowClient().set_terminated(child.info.run_id, status)
        client = MlflowClient()
        running = client.create_run(exp, run_name="dangling", tags={"team": "nlp"})
        ids["dangling"] = running.info.run_id
        client.log_metric(running.info.run_id, "nanny", 2.0)
        return {"exp": exp, "ids": ids}
    finally:
        mlflow.set_tracking_uri(None)


@pytest.fixture(scope="module", params=["file", "sqlite"])
def stores(request, tmp_path_factory):
    from mlflow import MlflowClient

    base = tmp_path_factory.mktemp(f"search-{request.param}")
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    uri = str(base / "mlruns") if request.param == "file" else f"sqlite:///{base / 'mlflow.db'}"
    written = _write(uri)
    client = MlflowClient(tracking_uri=uri)
    store = open_store(uri)
    runs = [r for e in store.experiments for r in e.runs if e.experiment_id == written["exp"]]
    return request.param, client, written, runs


def _expressions(ids):
    return [e.format(a=ids["child-1"], b=ids["child-2"]) for e in EXPRESSIONS]


def test_matrix_is_large_enough():
    assert len(EXPRESSIONS) >= 60
    assert sum(1 for e in EXPRESSIONS if "OR" in e or "adam\"" in e) >= 1


@pytest.mark.parametrize("index", range(len(EXPRESSIONS)))
def test_same_runs_as_mlflow_client(stores, index):
    from mlflow.exceptions import MlflowException

    kind, client, written, runs = stores
    expr = _expressions(written["ids"])[index]
    try:
        want = {r.info.run_id for r in client.search_runs([written["exp"]], filter_string=expr, max_results=1000)}
    except MlflowException:
        want = "rejected"
    try:
        match = matcher(expr, kind)
        got = {r.run_id for r in runs if match(r)}
    except SearchError:
        got = "rejected"
    names = {v: k for k, v in written["ids"].items()}
    show = lambda s: s if isinstance(s, str) else sorted(names.get(r, r) for r in s)  # noqa: E731
    assert show(got) == show(want), f"{kind}: {expr}"


def test_nan_is_not_lost(stores):
    kind, _client, written, runs = stores
    child = next(r for r in runs if r.run_id == written["ids"]["child-2"])
    assert math.isnan(child.latest_metrics["nanny"])
