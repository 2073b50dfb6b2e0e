"""Metric histories are held as typed arrays once read (a third of the memory of lists),
without changing a value, and stay lists where a number does not fit in 64 bits."""

from __future__ import annotations

import math
import pickle
from array import array

from sitegen.entities import MetricHistory
from sitegen.readers.filestore import parse_metric_lines


def test_file_store_histories_are_arrays_with_every_value(corpus_copy):
    metrics = corpus_copy / "3.17.2" / "file" / "mlruns"
    files = [p for p in metrics.glob("*/*/metrics/**/*") if p.is_file()]
    assert files
    for path in files:
        data = path.read_bytes()
        h = parse_metric_lines("k", data)
        assert isinstance(h.values, array) and isinstance(h.steps, array)
        rows = [line.split() for line in data.decode().splitlines() if line.strip()]
        assert list(h.timestamps) == [int(r[0]) for r in rows]
        assert [repr(v) for v in h.values] == [repr(float(r[1])) for r in rows]
        assert list(h.steps) == [int(r[2]) for r in rows]


def test_special_values_survive_and_pickle():
    h = MetricHistory("k", [0, 1, 2, 3], [10, 11, 12, 13], [float("nan"), float("inf"), -0.0, 1e-320]).compact()
    assert isinstance(h.values, array)
    back = pickle.loads(pickle.dumps(h))
    assert math.isnan(back.values[0]) and back.values[1] == math.inf
    assert math.copysign(1, back.values[2]) == -1 and back.values[3] == 1e-320
    assert back.latest.step == 3 and back.last_timestamp == 13


def test_numbers_beyond_64_bits_stay_lists():
    data = b"1700000000000 0.5 1\n1700000000001 0.25 36893488147419103232\n"  # step 2**65
    h = parse_metric_lines("k", data)
    assert isinstance(h.steps, list) and h.steps[-1] == 2**65
    assert h.latest.value == 0.25


def test_a_last_line_without_line_end_waits_with_a_warning():
    """A line still being written is left out until complete, but never silently (found by a
    fresh-eyes tester: it was dropped without a word)."""
    said: list[tuple[str, str]] = []
    h = parse_metric_lines("k", b"1700000000000 0.5 0\n1700000000001 0.6", "m/k", lambda p, m: said.append((p, m)))
    assert list(h.values) == [0.5]
    assert len(said) == 1 and said[0][0] == "m/k" and "no line end" in said[0][1] and "0.6" in said[0][1]
    assert parse_metric_lines("k", b"1700000000000 0.5 0\n", "m/k", lambda p, m: said.append((p, m))).count == 1
    assert len(said) == 1  # a complete file: nothing to say


def test_points_logged_with_a_dataset_keep_their_step(tmp_path, monkeypatch):
    """MLflow 3 writes "<ts> <value> <step> <dataset name> <digest>" for a point logged with a
    dataset, and its FileStore reads step 0 for every such line (file_store.py,
    _get_metric_from_line), while a database store keeps the step. run.json from the file store
    has the step written: what MlflowClient returns from a SQLite store of the same logging."""
    import json

    import mlflow
    import pandas as pd
    from mlflow import MlflowClient

    from sitegen import BuildOptions, build

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    histories = {}
    for kind, uri in (("file", f"file://{tmp_path / 'mlruns'}"), ("sqlite", f"sqlite:///{tmp_path / 'm.db'}")):
        mlflow.set_tracking_uri(uri)
        try:
            dataset = mlflow.data.from_pandas(pd.DataFrame({"x": [1, 2]}), name="evalset")
            with mlflow.start_run() as run:
                for step in (5, 10):
                    mlflow.log_metric("acc", step / 10, step=step, dataset=dataset)
        finally:
            mlflow.set_tracking_uri(None)
        history = MlflowClient(uri).get_metric_history(run.info.run_id, "acc")
        histories[kind] = (run.info.run_id, [[m.step, m.value] for m in history])
    rid, in_database = histories["sqlite"]
    assert in_database == [[5, 0.5], [10, 1.0]]
    metric_file = next((tmp_path / "mlruns").glob(f"0/{histories['file'][0]}/metrics/acc"))
    assert [len(line.split()) for line in metric_file.read_text().splitlines()] == [5, 5]
    build(BuildOptions(store=str(tmp_path / "mlruns"), out=str(tmp_path / "site"), jobs=1))
    (doc,) = (tmp_path / "site").glob(f"experiments/*/runs/{histories['file'][0]}/run.json")
    assert [[s, v] for s, _, v in json.loads(doc.read_text())["metrics"]["acc"]] == in_database
