"""The Python evaluator of MLflow's search syntax (sitegen.search) against MLflow's own client:
for every expression of the matrix, on a file store and a SQLite store written by the same MLflow
calls, the same runs (by id) as ``MlflowClient.search_runs(filter_string=…)``, or a rejection
where MLflow rejects it. The matrix (tests/search_matrix.py) is shared with the browser's filter
(tests/test_search_browser.py)."""

import math
import os

import pytest
from search_matrix import EXPRESSIONS, _write, expressions

from sitegen.readers import open_store
from sitegen.search import SearchError, matcher


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


def test_matrix_is_large_enough():
    assert len(EXPRESSIONS) >= 90
    assert sum(1 for e in EXPRESSIONS if "OR" in e or "adam\"" in e) >= 1


@pytest.mark.parametrize("index", range(len(EXPRESSIONS)))
def test_same_runs_as_mlflow_client(stores, index):
    kind, client, written, runs = stores
    expr = expressions(written["ids"])[index]
    try:
        want = {r.info.run_id for r in client.search_runs([written["exp"]], filter_string=expr, max_results=1000)}
    except Exception:  # noqa: BLE001 - MlflowException, or an error of the list parser
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
