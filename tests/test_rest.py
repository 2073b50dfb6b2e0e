"""Building through a real `mlflow server`'s REST API (proxied artifacts, basic auth, metric
histories in bulk from a SQL store and per run from a file store). Older servers:
test_rest_versions.py."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from dbservers import free_port
from mlflowserver import Server, build_and_compare, require_mlflow_cli, run_jsons
from sitecheck import broken_links

from sitegen import BuildOptions, build
from sitegen.cli import main

CORPUS_SCRIPT = Path(__file__).parent / "corpus" / "make_corpus.py"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    require_mlflow_cli()
    srv = Server(tmp_path_factory.mktemp("mlflow-server"))
    _log_histories(srv.url)  # before the corpus: its truth.json has these runs too
    out = tmp_path_factory.mktemp("written")
    proc = subprocess.run(
        [sys.executable, str(CORPUS_SCRIPT), srv.url, str(out)], capture_output=True, text=True, timeout=600, cwd=out
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    yield srv, json.loads((out / "truth.json").read_text())
    srv.stop()


def test_rest_build_matches_client_and_database(server, tmp_path, monkeypatch):
    """Histories came in bulk here (a SQL store); one test, so the server starts once per worker."""
    srv, truth = server
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    site = build_and_compare(srv.url, truth, f"sqlite:///{srv.base / 'mlflow.db'}", srv.base / "mlartifacts", tmp_path)
    assert broken_links(site) == []
    # a second build downloads nothing: the cache already has every file
    cached = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*") if p.is_file()}
    again = build(BuildOptions(store=srv.url, out=str(site), include_deleted=True, jobs=1))
    assert again.runs_rendered == 0
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*") if p.is_file()} == cached
    _check_histories_in_bulk(srv.url, tmp_path, monkeypatch)
    _check_history_budget(srv.url, tmp_path)


def _check_history_budget(url: str, tmp_path) -> None:
    """Past the history budget the reader keeps runs summed up and the pipeline asks the server
    for their histories again when it draws them: the same site (test_history_budget.py)."""
    from test_history_budget import _build, _files

    from sitegen.entities.budget import HistoryBudget
    from sitegen.readers.rest import RestStoreReader

    reader = RestStoreReader(url, include_deleted=True, cache_dir=tmp_path / "budget-cache")
    try:
        budget = reader.budget = HistoryBudget(20)
        runs = [r for e in reader.read().experiments for r in e.runs]
    finally:
        reader.close()
    held = [r for r in runs if r.metrics_complete]
    assert held and any(not r.metrics_complete for r in runs)  # the store holds more than 20 points
    assert sum(len(h) for r in held for h in r.metrics.values()) == 20 - budget.left

    _build(url, tmp_path / "unlimited", None, jobs=1)
    expected = _files(tmp_path / "unlimited")
    assert any(k.endswith("series.js") for k in expected)
    for jobs in (1, 2):
        _build(url, tmp_path / f"tiny-{jobs}", 1, jobs=jobs)
        got = _files(tmp_path / f"tiny-{jobs}")
        assert got.keys() == expected.keys()
        assert [k for k in expected if got[k] != expected[k]] == []


def test_unreachable_server_is_one_line(tmp_path):
    res = CliRunner().invoke(
        main, ["build", "--store", f"http://127.0.0.1:{free_port()}", "--out", str(tmp_path / "s")]
    )
    assert res.exit_code == 2 and "cannot reach the tracking server" in res.output


def test_basic_auth_server(tmp_path_factory, tmp_path, monkeypatch):
    require_mlflow_cli()
    base = tmp_path_factory.mktemp("auth-server")
    ini = base / "auth.ini"
    ini.write_text(
        "[mlflow]\ndefault_permission = READ\n"
        f"database_uri = sqlite:///{base / 'auth.db'}\n"
        "admin_username = admin\nadmin_password = s3cret-Passw0rd\nauthorization_function = "
        "mlflow.server.auth:authenticate_request_basic_auth\n"
    )
    srv = Server(
        base,
        "--app-name",
        "basic-auth",
        env={"MLFLOW_AUTH_CONFIG_PATH": str(ini), "MLFLOW_FLASK_SERVER_SECRET_KEY": "test-only"},
    )
    try:
        monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
        monkeypatch.delenv("MLFLOW_TRACKING_USERNAME", raising=False)
        res = CliRunner().invoke(main, ["build", "--store", srv.url, "--out", str(tmp_path / "denied")])
        assert res.exit_code == 2 and "refused access" in res.output
        monkeypatch.setenv("MLFLOW_TRACKING_USERNAME", "admin")
        monkeypatch.setenv("MLFLOW_TRACKING_PASSWORD", "s3cret-Passw0rd")
        from mlflow.tracking import MlflowClient

        client = MlflowClient(tracking_uri=srv.url)
        exp = client.create_experiment("secured")
        run = client.create_run(exp, run_name="r")
        client.log_metric(run.info.run_id, "m", 1.5)
        result = build(BuildOptions(store=srv.url, out=str(tmp_path / "site"), jobs=1))
        doc = run_jsons(tmp_path / "site")[run.info.run_id]
        assert doc["metrics"]["m"][0][2] == 1.5
        assert result.runs == 1
        # read in bulk: the ajax-api path takes the same credentials
        histories, requests = _read_histories(srv.url, tmp_path)
        assert requests == {"bulk": 1, "per_run": 0} and histories[(run.info.run_id, "m")][0][2] == 1.5
    finally:
        srv.stop()


# ---- metric histories: in bulk from SQL stores, per run from file stores ----

TRICKY = [  # (timestamp, step, value): out of logged order, ties, NaN beside 0.0, ±inf, duplicates
    (1000, 5, 1.0),
    (900, 6, 2.0),
    (1000, 1, 3.0),
    (1000, 1, 0.0),
    (1000, 1, float("nan")),
    (800, 9, float("inf")),
    (1000, 1, -1.0),
    (700, 2, float("-inf")),
    (1000, 5, 1.0),
    (650, 0, 0.5),
]


def _log_histories(url: str) -> None:
    from mlflow.entities import Metric
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=url)
    exp = client.create_experiment("histories")
    tricky = client.create_run(exp, run_name="tricky").info.run_id
    client.log_batch(tricky, metrics=[Metric("m", v, ts, st) for ts, st, v in TRICKY])
    client.log_batch(tricky, metrics=[Metric("long", float(i % 7), 10_000 - i, i // 3) for i in range(60)])
    for n in range(30):  # 20 points a run, steps 0..4: a batch guessed from steps comes back cut off
        rid = client.create_run(exp, run_name=f"r{n}").info.run_id
        client.log_batch(
            rid,
            metrics=[Metric("loss", n + i / 100, 5000 + i, i % 5) for i in range(20)]
            + [Metric("once", float(n), 4000, 0)],
        )


@pytest.fixture(scope="module")
def file_history_server(tmp_path_factory):
    require_mlflow_cli()
    base = tmp_path_factory.mktemp("hist-file")
    srv = Server(base, store=["--backend-store-uri", str(base / "mlruns")], env={"MLFLOW_ALLOW_FILE_STORE": "true"})
    try:
        _log_histories(srv.url)
        yield srv
    finally:
        srv.stop()


def _points(history) -> list:
    return [[s, t, "NaN" if v != v else v] for s, t, v in zip(history.steps, history.timestamps, history.values)]


def _read_histories(url: str, tmp_path) -> tuple[dict, dict]:
    from sitegen.readers.rest import RestStoreReader

    reader = RestStoreReader(url, cache_dir=tmp_path / "cache")
    try:
        store = reader.read()
        return (
            {(r.run_id, k): _points(h) for e in store.experiments for r in e.runs for k, h in r.metrics.items()},
            dict(reader.histories.requests),
        )
    finally:
        reader.close()


def _client_histories(url: str) -> dict:
    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=url)
    out = {}
    for exp in client.search_experiments():
        for run in client.search_runs([exp.experiment_id], max_results=1000):
            for key in run.data.metrics:
                hist = client.get_metric_history(run.info.run_id, key)
                out[(run.info.run_id, key)] = [
                    [m.step, m.timestamp, "NaN" if m.value != m.value else m.value] for m in hist
                ]
    return out


def _check_histories_in_bulk(url: str, tmp_path, monkeypatch) -> None:
    """A SQL store's server (3.9+ says so) answers get-history-bulk in the client's order: read in
    bulk, cut-off answers continued, a history longer than an answer read per run."""
    from sitegen.readers import resthistory

    client = _client_histories(url)
    got, requests = _read_histories(url, tmp_path / "bulk")
    assert got == client
    assert requests == {"bulk": len({key for _, key in got}), "per_run": 0}  # a request a key
    monkeypatch.setattr(resthistory, "BULK_MAX", 25)
    got, requests = _read_histories(url, tmp_path / "bulk-cut")
    assert got == client
    assert requests["per_run"] == sum(len(h) >= 25 for h in client.values()) > 0
    assert len({key for _, key in got}) < requests["bulk"] < len(got) - requests["per_run"]


def test_file_store_server_is_read_per_run_in_logged_order(file_history_server, tmp_path):
    """A file store's server sorts bulk answers, but its client gets points as logged: per run."""
    url = file_history_server.url
    got, requests = _read_histories(url, tmp_path)
    assert got == _client_histories(url)
    assert requests == {"bulk": 0, "per_run": 62}
    tricky = next(v for (rid, k), v in got.items() if k == "m")
    assert [p[1] for p in tricky] == [ts for ts, _, _ in TRICKY]  # logged order, not sorted
