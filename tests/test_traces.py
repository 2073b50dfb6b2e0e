"""MLflow 3 traces on the site, checked against MLflow's own client.

Traces are written with MLflow's tracing API (``@mlflow.trace``, ``mlflow.start_span`` with
CHAIN, RETRIEVER, LLM and TOOL spans, an exception inside a span, traces inside and outside
a run, feedback and expectation assessments, trace tags) into a file store and a SQLite store.
Every ``trace.json`` must equal ``MlflowClient.get_trace(id).to_dict()``, ``trace.js`` hold the
same document, ``traces.js`` rows agree with ``search_traces``, and pages name every span and
assessment; a damaged trace is one warning; an incremental build after a new trace remakes
only that trace's files and the list.
"""

import json
import os
import shutil
from pathlib import Path

import pytest
from conftest import forget_experiment

from sitegen import BuildOptions, build

SECRET = "sk-abcdefghijklmnopqrstuvwxyz0123456789ABCD"


def _write(uri: str, artifacts: Path | None = None) -> dict:
    """Traces logged by MLflow into the store at ``uri``; returns ids."""
    import mlflow
    from mlflow.entities import AssessmentSource, SpanType

    mlflow.set_tracking_uri(uri)
    try:
        eid = mlflow.create_experiment("genai", artifact_location=artifacts.as_uri() if artifacts else None)
        mlflow.set_experiment(experiment_id=eid)

        @mlflow.trace(span_type=SpanType.TOOL)
        def lookup(x):
            return {"r": x * 2}

        @mlflow.trace(name="agent", span_type=SpanType.CHAIN)
        def agent(q):
            with mlflow.start_span("retrieve", span_type=SpanType.RETRIEVER) as s:
                s.set_inputs({"query": q})
                s.set_outputs([{"page_content": "doc </script><script>alert(1)</script>", "metadata": {}}])
            with mlflow.start_span("chat-model", span_type=SpanType.LLM) as s:
                s.set_inputs({"messages": [{"role": "user", "content": q}]})
                s.set_attribute("api_key", SECRET)
                s.set_outputs({"choices": [{"message": {"role": "assistant", "content": "hi\u2028there"}}]})
            mlflow.update_current_trace(tags={"team": "rag"})
            return lookup(3)

        @mlflow.trace
        def failing():
            with mlflow.start_span("inner-step", span_type=SpanType.TOOL):
                raise ValueError("boom")

        agent("outside")
        outside = mlflow.get_last_active_trace_id()
        with mlflow.start_run(run_name="with-traces") as run:
            agent("inside")
            inside = mlflow.get_last_active_trace_id()
        with mlflow.start_run(run_name="no-traces") as other:
            mlflow.log_metric("loss", 0.1)
        with pytest.raises(ValueError):
            failing()
        failed = mlflow.get_last_active_trace_id()
        mlflow.flush_trace_async_logging()
        client = mlflow.MlflowClient(uri)
        client.set_trace_tag(failed, "reviewed", "yes")
        mlflow.log_feedback(
            trace_id=failed,
            name="helpfulness",
            value=2,
            rationale="partly",
            source=AssessmentSource(source_type="HUMAN", source_id="ana"),
        )
        mlflow.log_expectation(trace_id=failed, name="expected_answer", value={"answer": 42})
    finally:
        mlflow.set_tracking_uri(None)
        forget_experiment()
    return {"exp": eid, "run": run.info.run_id, "other": other.info.run_id, "outside": outside, "inside": inside,
            "failed": failed}  # fmt: skip


@pytest.fixture(scope="module")
def stores(tmp_path_factory):
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    os.environ["MLFLOW_ENABLE_ASYNC_TRACE_LOGGING"] = "false"
    base = tmp_path_factory.mktemp("trace-stores")
    out = {}
    out["file"] = ("file://" + str(base / "mlruns"), _write("file://" + str(base / "mlruns")))
    sqlite = f"sqlite:///{base / 'mlflow.db'}"
    out["sqlite"] = (sqlite, _write(sqlite, base / "artifacts"))
    return out


def _data(path: Path, name: str):
    text = path.read_text(encoding="utf-8")
    prefix = f"trackreport.data({json.dumps(name)},"
    assert text.startswith(prefix) and text.endswith(");\n")
    return json.loads(text[len(prefix) : -3])


def _exp_dir(site: Path, eid: str) -> Path:
    return site / "experiments" / eid


@pytest.fixture(scope="module")
def sites(stores, tmp_path_factory):
    """Each store built twice: as published (redaction on) and with --no-redact."""
    out = {}
    for kind, (uri, _ids) in stores.items():
        base = tmp_path_factory.mktemp(f"site-{kind}")
        plain = build(BuildOptions(store=uri, out=str(base / "plain"), jobs=1, no_redact=True))
        redacted = build(BuildOptions(store=uri, out=str(base / "site"), jobs=1))
        out[kind] = (base / "plain", plain, base / "site", redacted)
    return out


@pytest.mark.parametrize("kind", ["file", "sqlite"])
def test_trace_json_is_mlflows_get_trace(stores, sites, kind):
    from mlflow import MlflowClient

    uri, ids = stores[kind]
    plain, result, _site, _ = sites[kind]
    client = MlflowClient(uri)
    found = client.search_traces(locations=[ids["exp"]])
    assert len(found) == 3
    assert not [w for w in result.warnings if "trace" in w], result.warnings
    for t in found:
        want = client.get_trace(t.info.trace_id).to_dict()
        folder = _exp_dir(plain, ids["exp"]) / "traces" / t.info.trace_id
        got = json.loads((folder / "trace.json").read_text(encoding="utf-8"))
        assert got == want, t.info.trace_id
        assert _data(folder / "trace.js", f"trace/{t.info.trace_id}") == want
    # untrusted text stays data: no closing tag or line separator in the data files as such
    script = (_exp_dir(plain, ids["exp"]) / "traces" / ids["inside"] / "trace.js").read_text(encoding="utf-8")
    assert "</script" not in script and "\u2028" not in script


@pytest.mark.parametrize("kind", ["file", "sqlite"])
def test_traces_js_rows_agree_with_search_traces(stores, sites, kind):
    from mlflow import MlflowClient

    uri, ids = stores[kind]
    plain = sites[kind][0]
    client = MlflowClient(uri)
    found = client.search_traces(locations=[ids["exp"]])
    doc = _data(_exp_dir(plain, ids["exp"]) / "traces" / "traces.js", "traces")
    assert doc["format"] == 1 and doc["experiment_id"] == ids["exp"]
    rows = doc["traces"]
    want_order = [t.info.trace_id for t in sorted(found, key=lambda t: (-t.info.request_time, t.info.trace_id))]
    assert [r["trace_id"] for r in rows] == want_order
    by_id = {t.info.trace_id: t for t in found}
    for row in rows:
        t = by_id[row["trace_id"]]
        info = t.info
        assert row["state"] == info.state.value
        assert row["request_time"] == info.request_time
        assert row["execution_duration"] == info.execution_duration
        assert row["request_preview"] == info.request_preview
        assert row["response_preview"] == info.response_preview
        assert row["tags"] == dict(sorted(info.tags.items()))
        assert row["run_id"] == (info.trace_metadata.get("mlflow.sourceRun") or None)
        assert row["span_count"] == len(client.get_trace(info.trace_id).data.spans)
        assert row["name"] == client.get_trace(info.trace_id).data.spans[0].name
        assert sorted((a["name"], a["kind"]) for a in row["assessments"]) == sorted(
            (a.name, "feedback" if a.feedback else "expectation") for a in info.assessments
        )
    failed = next(r for r in rows if r["trace_id"] == ids["failed"])
    assert failed["error"] is True and failed["state"] == "ERROR"
    assert {a["name"]: a["value"] for a in failed["assessments"]} == {
        "helpfulness": 2,
        "expected_answer": {"answer": 42},
    }
    assert next(r for r in rows if r["trace_id"] == ids["outside"])["error"] is False


@pytest.mark.parametrize("kind", ["file", "sqlite"])
def test_pages_name_every_span_and_assessment_and_link_runs(stores, sites, kind):
    from mlflow import MlflowClient

    uri, ids = stores[kind]
    plain = sites[kind][0]
    exp_dir = _exp_dir(plain, ids["exp"])
    client = MlflowClient(uri)
    for tid in (ids["outside"], ids["inside"], ids["failed"]):
        html = (exp_dir / "traces" / tid / "index.html").read_text(encoding="utf-8")
        trace = client.get_trace(tid)
        for span in trace.data.spans:
            assert f">{span.name}<" in html, (tid, span.name)
        for a in trace.info.assessments:
            assert a.name in html
        assert "<script>alert(1)" not in html
    listing = (exp_dir / "traces" / "index.html").read_text(encoding="utf-8")
    for tid in (ids["outside"], ids["inside"], ids["failed"]):
        assert f'href="{tid}/index.html"' in listing
    run_page = (exp_dir / "runs" / ids["run"] / "index.html").read_text(encoding="utf-8")
    assert f'href="../../traces/{ids["inside"]}/index.html"' in run_page
    assert ids["outside"] not in run_page and ids["failed"] not in run_page
    other = (exp_dir / "runs" / ids["other"] / "index.html").read_text(encoding="utf-8")
    assert "/traces/" not in other
    inside = (exp_dir / "traces" / ids["inside"] / "index.html").read_text(encoding="utf-8")
    assert f'href="../../runs/{ids["run"]}/index.html"' in inside
    exp_page = (exp_dir / "index.html").read_text(encoding="utf-8")
    assert 'href="traces/index.html"' in exp_page and "1 with an error (33%)" in exp_page


@pytest.mark.parametrize("kind", ["file", "sqlite"])
def test_secrets_in_traces_are_redacted(stores, sites, kind):
    from mlflow import MlflowClient

    uri, ids = stores[kind]
    _plain, _r, site, result = sites[kind]
    assert result.redacted >= 2  # the api_key attribute of two traces
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".json", ".js", ".html"):
            assert SECRET not in path.read_text(encoding="utf-8"), path
    got = json.loads((_exp_dir(site, ids["exp"]) / "traces" / ids["inside"] / "trace.json").read_text())
    want = MlflowClient(uri).get_trace(ids["inside"]).to_dict()
    for span in want["data"]["spans"]:
        if "api_key" in span["attributes"]:
            span["attributes"]["api_key"] = json.dumps("[redacted]")
    assert got == want  # nothing else changed


def test_filter_leaves_out_traces_of_runs_it_leaves_out(stores, tmp_path):
    uri, ids = stores["file"]
    build(BuildOptions(store=uri, out=str(tmp_path / "site"), jobs=1, filter="attributes.run_name = 'no-traces'"))
    doc = _data(_exp_dir(tmp_path / "site", ids["exp"]) / "traces" / "traces.js", "traces")
    assert {r["trace_id"] for r in doc["traces"]} == {ids["outside"], ids["failed"]}
    assert not (_exp_dir(tmp_path / "site", ids["exp"]) / "traces" / ids["inside"]).exists()


def _copy(stores, tmp_path) -> tuple[Path, dict]:
    uri, ids = stores["file"]
    root = tmp_path / "mlruns"
    shutil.copytree(uri[len("file://") :], root)
    return root, ids


def test_damaged_trace_is_one_warning_naming_it(stores, tmp_path):
    root, ids = _copy(stores, tmp_path)
    traces = root / ids["exp"] / "traces"
    (traces / ids["outside"] / "trace_info.yaml").write_text("{unclosed: [")
    (traces / ids["failed"] / "artifacts" / "traces.json").write_text('{"spans": [{"name": 1')
    result = build(BuildOptions(store=str(root), out=str(tmp_path / "site"), jobs=1, no_redact=True))
    bad_info = [w for w in result.warnings if ids["outside"] in w]
    bad_spans = [w for w in result.warnings if ids["failed"] in w]
    assert len(bad_info) == 1 and "trace_info.yaml" in bad_info[0] and "left out" in bad_info[0]
    assert len(bad_spans) == 1 and "traces.json" in bad_spans[0] and "without its spans" in bad_spans[0]
    assert len(result.warnings) == 2, result.warnings
    doc = _data(_exp_dir(tmp_path / "site", ids["exp"]) / "traces" / "traces.js", "traces")
    rows = {r["trace_id"]: r for r in doc["traces"]}
    assert set(rows) == {ids["inside"], ids["failed"]}
    assert rows[ids["failed"]]["span_count"] == 0 and rows[ids["inside"]]["span_count"] == 4


def _stats(folder: Path) -> dict[str, tuple]:
    return {
        str(p.relative_to(folder)): (p.stat().st_ino, p.stat().st_mtime_ns) for p in folder.rglob("*") if p.is_file()
    }


def test_incremental_build_remakes_only_the_new_trace_and_the_list(stores, tmp_path):
    import mlflow

    root, ids = _copy(stores, tmp_path)
    site = tmp_path / "site"
    build(BuildOptions(store=str(root), out=str(site), jobs=1))
    traces_dir = _exp_dir(site, ids["exp"]) / "traces"
    before = _stats(traces_dir)
    mlflow.set_tracking_uri(str(root))
    try:
        mlflow.set_experiment(experiment_id=ids["exp"])
        with mlflow.start_span("late-arrival") as s:
            s.set_inputs({"q": "new"})
        new = mlflow.get_last_active_trace_id()
        mlflow.flush_trace_async_logging()
    finally:
        mlflow.set_tracking_uri(None)
        forget_experiment()
    result = build(BuildOptions(store=str(root), out=str(site), jobs=1))
    assert not result.warnings, result.warnings
    after = _stats(traces_dir)
    changed = {k for k in after if before.get(k) != after[k]}
    assert changed == {
        "index.html",
        "traces.js",
        f"{new}/index.html",
        f"{new}/trace.json",
        f"{new}/trace.js",
    }
    assert set(before) <= set(after)
    assert (
        json.loads((traces_dir / new / "trace.json").read_text())
        == mlflow.MlflowClient(str(root)).get_trace(new).to_dict()
    )
    # a build with nothing new keeps every trace file
    build(BuildOptions(store=str(root), out=str(site), jobs=1))
    assert _stats(traces_dir) == after


def test_hide_paths_and_users_apply_to_traces(stores, tmp_path):
    from mlflow import MlflowClient

    from sitegen.safety.privacy import pseudonym

    uri, ids = stores["file"]
    site = tmp_path / "site"
    build(BuildOptions(store=uri, out=str(site), jobs=1, hide_paths=True, hide_users=True))
    want = MlflowClient(uri).get_trace(ids["inside"]).to_dict()["info"]
    got = json.loads((_exp_dir(site, ids["exp"]) / "traces" / ids["inside"] / "trace.json").read_text())["info"]
    recorded = want["tags"]["mlflow.artifactLocation"]
    assert recorded.startswith("file:///") and got["tags"]["mlflow.artifactLocation"] == (
        "<store>/" + recorded.split("/mlruns/", 1)[1]
    )
    assert got["trace_metadata"]["mlflow.user"] == pseudonym(want["trace_metadata"]["mlflow.user"])
    assert got["trace_metadata"]["mlflow.user"] != want["trace_metadata"]["mlflow.user"]
    rows = _data(_exp_dir(site, ids["exp"]) / "traces" / "traces.js", "traces")["traces"]
    assert all(not r["tags"]["mlflow.artifactLocation"].startswith("file:") for r in rows)
