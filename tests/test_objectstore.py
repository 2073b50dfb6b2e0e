"""Artifacts logged by MLflow straight into an S3-compatible server (moto's, on loopback)."""
import os

import pytest

from dbservers import free_port
from sitecheck import broken_links
from sitegen import BuildOptions, build

mlflow = pytest.importorskip("mlflow")
boto3 = pytest.importorskip("boto3")
moto_server = pytest.importorskip("moto.server")


@pytest.fixture
def s3(monkeypatch):
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}").create_bucket(Bucket="ml-artifacts")
    yield
    server.stop()


def test_s3_artifacts_shown_and_cached(s3, tmp_path, monkeypatch):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    from mlflow.tracking import MlflowClient
    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("s3", artifact_location="s3://ml-artifacts/exp")
    rid = client.create_run(exp, run_name="remote").info.run_id
    (tmp_path / "notes.txt").write_text("in the bucket\n")
    (tmp_path / "big.bin").write_bytes(b"\0" * 50_000)
    client.log_artifact(rid, str(tmp_path / "notes.txt"), "docs")
    client.log_artifact(rid, str(tmp_path / "big.bin"))
    site = tmp_path / "site"
    result = build(BuildOptions(store=uri, out=str(site), jobs=1, max_artifact_size=10_000))
    assert result.warnings == []
    run_dir = site / "experiments" / exp / "runs" / rid
    assert (run_dir / "artifacts" / "docs" / "notes.txt").read_text() == "in the bucket\n"
    assert not (run_dir / "artifacts" / "big.bin").exists()
    assert "big.bin" in (run_dir / "index.html").read_text()
    assert not list((tmp_path / "cache").rglob("big.bin"))        # never downloaded
    import json
    doc = json.loads((run_dir / "run.json").read_text())
    assert doc["artifacts"] == [{"path": "big.bin", "size": 50_000}, {"path": "docs/notes.txt", "size": 14}]
    assert broken_links(site) == []
    cached = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*") if p.is_file()
              and not p.name.endswith(".index.json")}
    again = build(BuildOptions(store=uri, out=str(site), jobs=1, max_artifact_size=10_000))
    assert again.runs_rendered == 0
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*") if p.is_file()
            and not p.name.endswith(".index.json")} == cached                     # nothing downloaded again
