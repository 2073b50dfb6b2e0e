"""MLflow 3 traces through a real `mlflow server`'s REST API (sitegen/readers/resttraces.py).

Traces are written through the server with MLflow's tracing API (test_traces._write: nested
spans of several types, an exception, traces inside and outside a run, feedback and
expectation assessments, trace tags), into a SQLite backend (spans in its spans table) and a
file backend (spans as proxied artifacts). Every ``trace.json`` must equal
``MlflowClient(tracking_uri=server).get_trace(id).to_dict()``; a trace whose spans the server
cannot give is one warning naming it; a second build downloads no spans again.
"""

import json
import os
import shutil
import sqlite3
from contextlib import contextmanager
from pathlib import Path

import pytest
from mlflowserver import Server, require_mlflow_cli
from test_traces import SECRET, _data, _write

from sitegen import BuildOptions, build

SCHEMA = Path(__file__).parent.parent / "benchmarks" / "mlflow-3.17.2-schema.sql"


@pytest.fixture(scope="module")
def servers(tmp_path_factory):
    require_mlflow_cli()
    os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"
    base = tmp_path_factory.mktemp("trace-servers")
    (base / "sqlite").mkdir()
    db = sqlite3.connect(base / "sqlite" / "mlflow.db")  # MLflow 3.17.2's schema: no migrations to wait for
    db.executescript(SCHEMA.read_text(encoding="utf-8"))
    db.commit()
    db.close()
    file_store = [
        "--backend-store-uri",
        (base / "file" / "mlruns").as_uri(),
        "--artifacts-destination",
        str(base / "file" / "mlartifacts"),
    ]
    started = {
        "sqlite": Server(base / "sqlite", wait=False),
        "file": Server(base / "file", store=file_store, env={"MLFLOW_ALLOW_FILE_STORE": "true"}, wait=False),
    }
    try:
        out = {}
        for kind, srv in started.items():
            srv.wait_ready()
            out[kind] = (srv, _write(srv.url))
        yield out
    finally:
        for srv in started.values():
            srv.stop()


@contextmanager
def _client(url: str):
    """MLflow's client of the server (its mlflow-artifacts: repository resolves against the
    global tracking URI, so that is the server too while it is used)."""
    import mlflow

    mlflow.set_tracking_uri(url)
    try:
        yield mlflow.MlflowClient(tracking_uri=url)
    finally:
        mlflow.set_tracking_uri(None)


def _get_trace(url: str, trace_id: str) -> dict:
    with _client(url) as client:
        return client.get_trace(trace_id).to_dict()


def _cache(tmp_path):
    return {str(p): p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*.json") if "traces" in p.parts}


@pytest.mark.parametrize("kind", ["sqlite", "file"])
def test_rest_trace_json_is_mlflows_get_trace(servers, kind, tmp_path, monkeypatch):
    srv, ids = servers[kind]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    plain = tmp_path / "plain"
    result = build(BuildOptions(store=srv.url, out=str(plain), jobs=1, no_redact=True))
    assert result.warnings == []
    with _client(srv.url) as client:
        found = client.search_traces(locations=[ids["exp"]])
    assert len(found) == 3
    traces_dir = plain / "experiments" / ids["exp"] / "traces"
    rows = _data(traces_dir / "traces.js", "traces")["traces"]
    order = sorted(found, key=lambda t: (-t.info.request_time, t.info.trace_id))
    assert [r["trace_id"] for r in rows] == [t.info.trace_id for t in order]
    for t in found:
        want = _get_trace(srv.url, t.info.trace_id)
        got = json.loads((traces_dir / t.info.trace_id / "trace.json").read_text(encoding="utf-8"))
        assert got == want, t.info.trace_id
        assert _data(traces_dir / t.info.trace_id / "trace.js", f"trace/{t.info.trace_id}") == want
        page = (traces_dir / t.info.trace_id / "index.html").read_text(encoding="utf-8")
        for span in want["data"]["spans"]:
            assert f">{span['name']}<" in page
        for a in want["info"].get("assessments", []):
            assert a["assessment_name"] in page
    row = next(r for r in rows if r["trace_id"] == ids["failed"])
    assert row["error"] is True and row["span_count"] == 2 and row["tags"]["reviewed"] == "yes"
    assert {a["name"] for a in row["assessments"]} == {"helpfulness", "expected_answer"}
    run_page = (plain / "experiments" / ids["exp"] / "runs" / ids["run"] / "index.html").read_text(encoding="utf-8")
    assert f'href="../../traces/{ids["inside"]}/index.html"' in run_page
    # the spans of finished traces are cached: a second build (redacted) downloads none again
    cached = _cache(tmp_path)
    assert len(cached) == 3
    site = tmp_path / "site"
    assert build(BuildOptions(store=srv.url, out=str(site), jobs=1)).warnings == []
    assert _cache(tmp_path) == cached
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".js", ".html"):
            assert SECRET not in path.read_text(encoding="utf-8"), path


def test_rest_trace_without_spans_is_one_warning(servers, tmp_path, monkeypatch):
    srv, ids = servers["file"]
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    spans = srv.base / "mlartifacts" / ids["exp"] / "traces" / ids["outside"] / "artifacts" / "traces.json"
    keep = tmp_path / "traces.json"
    shutil.move(spans, keep)
    try:
        result = build(BuildOptions(store=srv.url, out=str(tmp_path / "site"), jobs=1, no_redact=True))
    finally:
        shutil.move(keep, spans)
    assert len(result.warnings) == 1, result.warnings
    assert ids["outside"] in result.warnings[0] and "without them" in result.warnings[0]
    doc = json.loads(
        (tmp_path / "site" / "experiments" / ids["exp"] / "traces" / ids["outside"] / "trace.json").read_text()
    )
    want = _get_trace(srv.url, ids["inside"])
    assert doc["data"] == {"spans": []} and doc["info"]["trace_id"] == ids["outside"]
    assert set(doc["info"]) == set(want["info"]) - {"assessments"}
