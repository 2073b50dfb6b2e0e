"""Building through a real `mlflow server`'s REST API (proxied artifacts, and basic auth)."""
import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from dbservers import free_port
from sitecheck import broken_links
from sitegen import BuildOptions, build
from sitegen.cli import main

CORPUS_SCRIPT = Path(__file__).parent / "corpus" / "make_corpus.py"
FIELDS = ["run_id", "experiment_id", "run_name", "status", "start_time", "end_time", "lifecycle_stage",
          "user_id", "artifact_uri", "parent_run_id", "params", "tags", "metrics", "artifacts"]


def _mlflow_cli() -> str | None:
    exe = Path(sys.executable).with_name("mlflow")
    if exe.exists():
        try:
            import flask  # noqa: F401  (the server needs the full mlflow package, not mlflow-skinny)
            return str(exe)
        except ImportError:
            return None
    return None


class Server:
    def __init__(self, base: Path, *extra: str, env: dict | None = None):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        self.log = open(base / "server.log", "w")
        self.proc = subprocess.Popen(
            [_mlflow_cli(), "server", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
             "--backend-store-uri", f"sqlite:///{base / 'mlflow.db'}",
             "--artifacts-destination", str(base / "mlartifacts"), *extra],
            stdout=self.log, stderr=subprocess.STDOUT, cwd=base, env={**os.environ, **(env or {})})
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError((base / "server.log").read_text()[-3000:])
            try:
                urllib.request.urlopen(self.url + "/health", timeout=2)
                return
            except OSError as e:
                if getattr(e, "code", None) == 401:
                    return
                time.sleep(0.2)
        raise RuntimeError("mlflow server did not start: " + (base / "server.log").read_text()[-3000:])

    def stop(self):
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    if _mlflow_cli() is None:
        if os.environ.get("CI"):
            pytest.fail("the full mlflow package (with its server) is required in CI")
        pytest.skip("mlflow server not installed")
    srv = Server(tmp_path_factory.mktemp("mlflow-server"))
    out = tmp_path_factory.mktemp("written")
    proc = subprocess.run([sys.executable, str(CORPUS_SCRIPT), srv.url, str(out)], capture_output=True,
                          text=True, timeout=600, cwd=out)
    assert proc.returncode == 0, proc.stderr[-3000:]
    yield srv, json.loads((out / "truth.json").read_text())
    srv.stop()


def _run_jsons(site: Path) -> dict:
    return {json.loads(p.read_text())["run_id"]: json.loads(p.read_text())
            for p in site.glob("experiments/*/runs/*/run.json")}


def test_rest_build_matches_client_and_database(server, tmp_path, monkeypatch):
    srv, truth = server
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    site = tmp_path / "site"
    result = build(BuildOptions(store=srv.url, out=str(site), include_deleted=True, jobs=1))
    assert result.warnings == [] and result.artifacts == 10
    got = _run_jsons(site)
    expected = {r["run_id"]: r for r in truth["runs"]}
    assert set(got) == set(expected)
    for rid, exp in expected.items():
        assert list(got[rid]) == FIELDS
        for field in FIELDS:
            want = exp[field]
            if field == "artifacts":   # the REST API leaves out the size of empty files
                want = [{**a, "size": a["size"] or 0} for a in want]
            assert got[rid][field] == want, f"{exp['run_name']}: {field}"
    # the same store read from the server's database directly gives the same run.json
    direct = tmp_path / "direct"
    build(BuildOptions(store=f"sqlite:///{srv.base / 'mlflow.db'}", out=str(direct), include_deleted=True,
                       artifacts=str(srv.base / "mlartifacts"), jobs=1))
    assert _run_jsons(direct) == got
    assert broken_links(site) == []
    assert (next(site.glob("experiments/*/runs/*/artifacts/reports/sub/x.txt"))).read_text() == "nested\n"
    # a second build downloads nothing: the cache already has every file
    cached = {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*") if p.is_file()}
    again = build(BuildOptions(store=srv.url, out=str(site), include_deleted=True, jobs=1))
    assert again.runs_rendered == 0
    assert {p: p.stat().st_mtime_ns for p in (tmp_path / "cache").rglob("*") if p.is_file()} == cached


def test_unreachable_server_is_one_line(tmp_path):
    res = CliRunner().invoke(main, ["build", "--store", f"http://127.0.0.1:{free_port()}", "--out",
                                    str(tmp_path / "s")])
    assert res.exit_code == 2 and "cannot reach the tracking server" in res.output


def test_basic_auth_server(tmp_path_factory, tmp_path, monkeypatch):
    if _mlflow_cli() is None:
        if os.environ.get("CI"):
            pytest.fail("the full mlflow package (with its server) is required in CI")
        pytest.skip("mlflow server not installed")
    base = tmp_path_factory.mktemp("auth-server")
    ini = base / "auth.ini"
    ini.write_text("[mlflow]\ndefault_permission = READ\n"
                   f"database_uri = sqlite:///{base / 'auth.db'}\n"
                   "admin_username = admin\nadmin_password = s3cret-Passw0rd\nauthorization_function = "
                   "mlflow.server.auth:authenticate_request_basic_auth\n")
    srv = Server(base, "--app-name", "basic-auth",
                 env={"MLFLOW_AUTH_CONFIG_PATH": str(ini), "MLFLOW_FLASK_SERVER_SECRET_KEY": "test-only"})
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
        doc = _run_jsons(tmp_path / "site")[run.info.run_id]
        assert doc["metrics"]["m"][0][2] == 1.5
        assert result.runs == 1
    finally:
        srv.stop()
