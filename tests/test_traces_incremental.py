"""Reading traces incrementally: a build after one where nothing changed parses no trace and
makes the same site; a trace that changes (a tag, an assessment, deleted) is read again, and
only it; a renamed experiment reads its kept traces again to remake their pages; a change of
options reads everything again. Stores are written by MLflow (``test_traces._write``)."""

import filecmp
import json
import shutil
from pathlib import Path

import pytest
from test_traces import _data, _exp_dir, stores  # noqa: F401  (stores: the fixture)

from sitegen import BuildOptions, build
from sitegen.readers import filetraces, sqltraces


def _copy(stores, kind: str, tmp_path: Path) -> tuple[str, dict]:  # noqa: F811
    uri, ids = stores[kind]
    if kind == "file":
        shutil.copytree(uri[len("file://") :], tmp_path / "mlruns")
        return str(tmp_path / "mlruns"), ids
    shutil.copy(uri[len("sqlite:///") :], tmp_path / "mlflow.db")
    return f"sqlite:///{tmp_path / 'mlflow.db'}", ids


@pytest.fixture
def parsed(monkeypatch):
    """The trace ids each reader parses (file store: read_trace; SQL: _trace), per build;
    files and rows count as settled as soon as they are written."""
    seen: list[str] = []
    read_trace, trace = filetraces.read_trace, sqltraces._trace

    def counting_read_trace(trace_dir, *a, **k):
        seen.append(Path(trace_dir).name)
        return read_trace(trace_dir, *a, **k)

    def counting_trace(tid, *a, **k):
        seen.append(tid)
        return trace(tid, *a, **k)

    monkeypatch.setattr(filetraces, "read_trace", counting_read_trace)
    monkeypatch.setattr(sqltraces, "_trace", counting_trace)
    monkeypatch.setattr(filetraces, "SETTLED_NS", 0)
    monkeypatch.setattr(sqltraces, "SETTLED_NS", 0)
    return seen


def _same_site(a: Path, b: Path) -> None:
    """Every file of the two sites is the same, byte for byte (the marker aside)."""
    files = {str(p.relative_to(a)) for p in a.rglob("*") if p.is_file()} - {".trackreport-site"}
    assert files == {str(p.relative_to(b)) for p in b.rglob("*") if p.is_file()} - {".trackreport-site"}
    match, mismatch, errors = filecmp.cmpfiles(a, b, sorted(files), shallow=False)
    assert not mismatch and not errors, mismatch or errors


def _build(uri: str, out: Path, **options):
    result = build(BuildOptions(store=uri, out=str(out), jobs=1, **options))
    assert not [w for w in result.warnings if "trace" in w], result.warnings
    return result


@pytest.mark.parametrize("kind", ["file", "sqlite"])
def test_unchanged_traces_are_not_parsed_and_changes_are_read(stores, kind, tmp_path, parsed):  # noqa: F811
    import mlflow
    from mlflow.entities import AssessmentSource

    uri, ids = _copy(stores, kind, tmp_path)
    site = tmp_path / "site"
    _build(uri, site)
    assert sorted(parsed) == sorted([ids["outside"], ids["inside"], ids["failed"]])
    parsed.clear()
    result = _build(uri, site)
    assert parsed == [] and result.unchanged
    _build(uri, tmp_path / "fresh", clean=True)
    _same_site(site, tmp_path / "fresh")

    client = mlflow.MlflowClient(uri)
    client.set_trace_tag(ids["outside"], "reviewed", "later")
    mlflow.set_tracking_uri(uri)
    try:
        mlflow.log_feedback(
            trace_id=ids["inside"], name="tone", value="kind", source=AssessmentSource(source_type="HUMAN")
        )
    finally:
        mlflow.set_tracking_uri(None)
    client.delete_traces(ids["exp"], trace_ids=[ids["failed"]])
    parsed.clear()
    _build(uri, site)
    assert sorted(parsed) == sorted([ids["outside"], ids["inside"]])
    traces_dir = _exp_dir(site, ids["exp"]) / "traces"
    assert not (traces_dir / ids["failed"]).exists()
    rows = {r["trace_id"]: r for r in _data(traces_dir / "traces.js", "traces")["traces"]}
    assert set(rows) == {ids["outside"], ids["inside"]}
    assert rows[ids["outside"]]["tags"]["reviewed"] == "later"
    assert [a["name"] for a in rows[ids["inside"]]["assessments"]] == ["tone"]
    assert json.loads((traces_dir / ids["outside"] / "trace.json").read_text())["info"]["tags"]["reviewed"] == "later"
    assert "tone" in (traces_dir / ids["inside"] / "index.html").read_text()
    shutil.rmtree(tmp_path / "fresh")
    _build(uri, tmp_path / "fresh", clean=True)
    _same_site(site, tmp_path / "fresh")


@pytest.mark.parametrize("kind", ["file", "sqlite"])
def test_renamed_experiment_reads_its_kept_traces_again(stores, kind, tmp_path, parsed):  # noqa: F811
    import mlflow

    uri, ids = _copy(stores, kind, tmp_path)
    site = tmp_path / "site"
    _build(uri, site)
    _build(uri, site)
    mlflow.MlflowClient(uri).rename_experiment(ids["exp"], "genai-renamed")
    parsed.clear()
    _build(uri, site)  # every trace page shows the experiment's name: made again, from the store
    assert sorted(parsed) == sorted([ids["outside"], ids["inside"], ids["failed"]])
    _build(uri, tmp_path / "fresh", clean=True)
    _same_site(site, tmp_path / "fresh")


def test_other_options_read_every_trace_again(stores, tmp_path, parsed):  # noqa: F811
    uri, ids = _copy(stores, "file", tmp_path)
    site = tmp_path / "site"
    _build(uri, site)
    parsed.clear()
    _build(uri, site, redact_key=["team"], hide_users=True)
    assert len(parsed) == 3
    rows = {r["trace_id"]: r for r in _data(_exp_dir(site, ids["exp"]) / "traces" / "traces.js", "traces")["traces"]}
    assert rows[ids["inside"]]["tags"]["team"] == "[redacted]"
    parsed.clear()
    _build(uri, site, redact_key=["team"], hide_users=True)
    assert parsed == []
    _build(uri, tmp_path / "fresh", redact_key=["team"], hide_users=True)
    _same_site(site, tmp_path / "fresh")


def test_traces_written_just_now_are_read_again(stores, tmp_path, parsed, monkeypatch):  # noqa: F811
    """A trace whose files changed within SETTLED_NS of a build may change again unseen
    (racy timestamps): the next build reads it again."""
    monkeypatch.setattr(filetraces, "SETTLED_NS", 3_600 * 10**9)
    uri, _ids = _copy(stores, "file", tmp_path)  # (copied: every ctime is now)
    _build(uri, tmp_path / "site")
    parsed.clear()
    _build(uri, tmp_path / "site")
    assert len(parsed) == 3


def test_a_damaged_trace_is_named_in_every_build(stores, tmp_path, parsed):  # noqa: F811
    uri, ids = _copy(stores, "file", tmp_path)
    spans = Path(uri) / ids["exp"] / "traces" / ids["failed"] / "artifacts" / "traces.json"
    spans.write_text('{"spans": [{"name": 1')
    for expected in (3, 1):  # the second build reads only the damaged trace again
        parsed.clear()
        result = build(BuildOptions(store=uri, out=str(tmp_path / "site"), jobs=1))
        assert [w for w in result.warnings if ids["failed"] in w] and len(result.warnings) == 1
        assert len(parsed) == expected and ids["failed"] in parsed
