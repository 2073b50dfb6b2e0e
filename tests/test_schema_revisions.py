"""run.json against MLflow's own client, field by field, on stores of several schema revisions.

Each MLflow version writes runs with and without names, params, tags and metrics (NaN, ±inf,
empty strings) through its own client into a fresh store (tests/corpus/make_plain_runs.py), and
exports what that client returns as is. A build of that store must give exactly those values:
empty strings stay empty strings, nulls stay nulls, SQLite's clamped infinities stay clamped
(README, "run.json"). SQLite is read at three schema revisions (1.27, 2.22, 3.17), the file
store at two versions. Old versions run from tests/mlflowvenvs.py's venvs.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import mlflowvenvs
import pytest
from mlflowserver import FIELDS

SCRIPT = Path(__file__).parent / "corpus" / "make_plain_runs.py"
# run.json's fields that the plain-runs script exports (no parent runs, no artifacts)
FIELDS = [f for f in FIELDS if f not in ("parent_run_id", "artifacts")]
CASES = [("1.27.0", "sqlite"), ("2.22.5", "sqlite"), ("3.17.2", "sqlite"), ("1.30.1", "file"), ("3.17.2", "file")]


def _python(version: str) -> tuple[str, dict]:
    import mlflow

    if version == mlflow.__version__:
        return sys.executable, dict(os.environ)
    venv = mlflowvenvs.ready(version)
    if venv is None:
        if not os.environ.get("CI"):
            pytest.skip(f"no MLflow {version} venv: `python tests/mlflowvenvs.py` makes them")
        venv = mlflowvenvs.ensure(version)
    return str(venv / "bin" / "python"), mlflowvenvs.clean_env(venv)


@pytest.mark.parametrize("version,kind", CASES, ids=[f"{v}-{k}" for v, k in CASES])
def test_run_json_equals_the_client_of_that_revision(version, kind, tmp_path):
    from sitegen import BuildOptions, build

    python, env = _python(version)
    store = f"sqlite:///{tmp_path / 'mlflow.db'}" if kind == "sqlite" else str(tmp_path / "mlruns")
    proc = subprocess.run(
        [python, str(SCRIPT), store, str(tmp_path / "truth")],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=tmp_path,
        env=env,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    truth = json.loads((tmp_path / "truth" / "truth.json").read_text())
    assert truth["mlflow_version"] == version
    site = tmp_path / "site"
    result = build(BuildOptions(store=store, out=str(site), include_deleted=True, jobs=1))
    assert not [w for w in result.warnings if "artifact" not in w], result.warnings
    got = {
        json.loads(p.read_text())["run_id"]: json.loads(p.read_text())
        for p in site.glob("experiments/*/runs/*/run.json")
    }
    assert {r["run_id"] for r in truth["runs"]} <= set(got)
    for want in truth["runs"]:
        have = got[want["run_id"]]
        for field in FIELDS:
            assert have[field] == want[field], f"{version} {kind}, run {want['run_id']}: {field}"
    if kind == "sqlite":  # clamped, as the client returns them
        loss = next(r for r in truth["runs"] if "loss" in r["metrics"])["metrics"]["loss"]
        assert [p[2] for p in loss][2] == 1.7976931348623157e308
