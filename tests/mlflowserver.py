"""A real `mlflow server` on 127.0.0.1 for the REST reader's tests, and what they compare."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from dbservers import free_port

FIELDS = [
    "run_id",
    "experiment_id",
    "run_name",
    "status",
    "start_time",
    "end_time",
    "lifecycle_stage",
    "user_id",
    "artifact_uri",
    "parent_run_id",
    "params",
    "tags",
    "metrics",
    "artifacts",
]
# run.json's keys: the client's fields, then what trackreport adds (the keys it redacted)
RUN_JSON_KEYS = [*FIELDS, "redacted"]


def mlflow_cli() -> str | None:
    """This Python's `mlflow` command, if the full package (with its server) is installed."""
    exe = Path(sys.executable).with_name("mlflow")
    if exe.exists():
        try:
            import flask  # noqa: F401  (the server needs the full mlflow package, not mlflow-skinny)

            return str(exe)
        except ImportError:
            return None
    return None


def require_mlflow_cli() -> str:
    """This Python's `mlflow` command: the tests need it in CI and skip without it elsewhere."""
    import pytest

    cli = mlflow_cli()
    if cli is None:
        if os.environ.get("CI"):
            pytest.fail("the full mlflow package (with its server) is required in CI")
        pytest.skip("mlflow server not installed")
    return cli


class Server:
    """``mlflow server`` in ``base``. ``store``: the backend/artifact options (default: SQLite in
    base, proxied artifacts in base/mlartifacts); ``mlflow``: another install's command (its
    folder goes first on PATH: older servers start gunicorn from there)."""

    def __init__(
        self,
        base: Path,
        *extra: str,
        env: dict | None = None,
        mlflow: str | None = None,
        store: list[str] | None = None,
        wait: bool = True,
    ):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.base = base
        base.mkdir(parents=True, exist_ok=True)
        if store is None:
            store = [
                "--backend-store-uri",
                f"sqlite:///{base / 'mlflow.db'}",
                "--artifacts-destination",
                str(base / "mlartifacts"),
            ]
        mlflow = mlflow or mlflow_cli()
        env = {**os.environ, **(env or {})}
        env["PATH"] = str(Path(mlflow).parent) + os.pathsep + env.get("PATH", "")
        self.log = open(base / "server.log", "w")
        self.proc = subprocess.Popen(
            [mlflow, "server", "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1", *store, *extra],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            cwd=base,
            env=env,
            start_new_session=True,
        )
        if wait:
            self.wait_ready()

    def wait_ready(self):
        base = self.base
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                self.log.close()
                raise RuntimeError((base / "server.log").read_text()[-3000:])
            try:
                urllib.request.urlopen(self.url + "/health", timeout=2)
                return
            except OSError as e:
                if getattr(e, "code", None) == 401:
                    return
                time.sleep(0.2)  # poll again (bounded by the deadline)
        self.stop()
        raise RuntimeError("mlflow server did not start: " + (base / "server.log").read_text()[-3000:])

    def stop(self):
        """End the server and what it started (gunicorn outlives an old `mlflow server`)."""
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            pass
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()
        try:  # the group outlives its leader when gunicorn is still shutting down
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        if not self.log.closed:
            self.log.close()


def run_jsons(site: Path) -> dict:
    return {
        json.loads(p.read_text())["run_id"]: json.loads(p.read_text())
        for p in site.glob("experiments/*/runs/*/run.json")
    }


def assert_matches_truth(got: dict, truth: dict) -> None:
    """Every run.json field equals what MLflow's own client returned (make_corpus.py's truth.json)."""
    expected = {r["run_id"]: r for r in truth["runs"]}
    assert set(got) == set(expected)
    for rid, exp in expected.items():
        assert list(got[rid]) == RUN_JSON_KEYS and got[rid]["redacted"] == []
        for field in FIELDS:
            want = exp[field]
            if field == "artifacts":  # the REST API leaves out the size of empty files
                want = [{**a, "size": a["size"] or 0} for a in want]
            assert got[rid][field] == want, f"{exp['run_name']}: {field}"


def build_and_compare(url: str, truth: dict, store: str, artifacts: Path | None, tmp_path: Path) -> Path:
    """Build through the server: every run.json is what the client returned (truth) and what a
    build from the server's own store, read directly, gives. Returns the site."""
    from sitegen import BuildOptions, build

    site = tmp_path / "site"
    result = build(BuildOptions(store=url, out=str(site), include_deleted=True, jobs=1))
    assert result.warnings == [] and result.artifacts == 10
    got = run_jsons(site)
    assert_matches_truth(got, truth)
    direct = tmp_path / "direct"
    build(
        BuildOptions(
            store=store, out=str(direct), include_deleted=True, jobs=1, artifacts=str(artifacts) if artifacts else None
        )
    )
    assert run_jsons(direct) == got
    assert (next(site.glob("experiments/*/runs/*/artifacts/reports/sub/x.txt"))).read_text() == "nested\n"
    return site
