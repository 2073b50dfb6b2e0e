"""Building through real older MLflow servers (1.27, 1.30, 2.22), written by their own clients.

Each version runs from its own venv (tests/mlflowvenvs.py; `.ci/run` makes them, a second run
reuses them). make_corpus.py writes the usual store through that version's client, which also
exports truth.json; the build through REST must give exactly that, and the same run.json as a
build from the server's store read directly.
"""

import json
import os
import subprocess
from pathlib import Path

import mlflowvenvs
import pytest
from mlflowserver import Server, build_and_compare

CORPUS_SCRIPT = Path(__file__).parent / "corpus" / "make_corpus.py"

# version, backend store, artifacts: the server options, and the store as trackreport reads it directly
CASES = {
    # 2.x default: proxied artifacts (mlflow-artifacts:/), here on SQLite
    "2.22.5-sqlite-proxied": (
        "2.22.5",
        lambda b: [
            "--backend-store-uri",
            f"sqlite:///{b / 'mlflow.db'}",
            "--artifacts-destination",
            str(b / "mlartifacts"),
        ],
        lambda b: (f"sqlite:///{b / 'mlflow.db'}", b / "mlartifacts"),
    ),
    # 1.x default: a file store, artifacts where clients write them (no proxy)
    "1.30.1-file": (
        "1.30.1",
        lambda b: ["--backend-store-uri", str(b / "mlruns"), "--default-artifact-root", str(b / "artifacts")],
        lambda b: (str(b / "mlruns"), None),
    ),
    # before experiments/search (1.28) and run names (1.29)
    "1.27.0-sqlite": (
        "1.27.0",
        lambda b: [
            "--backend-store-uri",
            f"sqlite:///{b / 'mlflow.db'}",
            "--default-artifact-root",
            str(b / "artifacts"),
        ],
        lambda b: (f"sqlite:///{b / 'mlflow.db'}", None),
    ),
}


def _venv(version: str) -> Path:
    venv = mlflowvenvs.ready(version)
    if venv is None:
        if not os.environ.get("CI"):
            pytest.skip(
                f"no MLflow {version} venv: `python tests/mlflowvenvs.py` makes them "
                f"(about 1.7 GB in {mlflowvenvs.venv_dir(version).parent})"
            )
        venv = mlflowvenvs.ensure(version)  # in CI they must run: .ci/run has usually made it
    return venv


@pytest.fixture(scope="module", params=list(CASES))
def old_server(request, tmp_path_factory):
    version, options, direct = CASES[request.param]
    venv = _venv(version)
    base = tmp_path_factory.mktemp(f"mlflow-{request.param}")
    srv = Server(base, mlflow=str(venv / "bin" / "mlflow"), store=options(base), env=mlflowvenvs.clean_env(venv))
    try:
        out = tmp_path_factory.mktemp("written")
        proc = subprocess.run(
            [str(venv / "bin" / "python"), str(CORPUS_SCRIPT), srv.url, str(out)],
            capture_output=True,
            text=True,
            timeout=600,
            cwd=out,
            env=mlflowvenvs.clean_env(venv),
        )
        assert proc.returncode == 0, proc.stderr[-3000:]
        truth = json.loads((out / "truth.json").read_text())
        assert truth["mlflow_version"] == version
        yield srv, truth, direct(base)
    finally:
        srv.stop()


def test_old_server_build_matches_its_client_and_its_store(old_server, tmp_path, monkeypatch):
    srv, truth, (store, artifacts) = old_server
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    build_and_compare(srv.url, truth, store, artifacts, tmp_path)
