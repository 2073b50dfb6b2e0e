"""Stores in real PostgreSQL and MariaDB servers, written by real MLflow, read through SQLAlchemy."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from dbservers import MariaDB, Postgres, postgres_bin, require
from mlflowserver import FIELDS, RUN_JSON_KEYS

from sitegen import BuildOptions, build
from sitegen.cli import main

CORPUS_SCRIPT = Path(__file__).parent / "corpus" / "make_corpus.py"


@pytest.fixture(scope="module", params=["postgresql", "mariadb"])
def server(request, tmp_path_factory):
    pytest.importorskip("mlflow")
    base = tmp_path_factory.mktemp(request.param)
    if request.param == "postgresql":
        require(postgres_bin() is not None, "PostgreSQL")
        pytest.importorskip("psycopg2")
        srv = Postgres(base).start()
    else:
        require(MariaDB.available(), "MariaDB")
        pytest.importorskip("pymysql")
        srv = MariaDB(base).start()
    yield srv
    srv.stop()


@pytest.fixture(scope="module")
def written(server, tmp_path_factory):
    """The corpus script (the one that wrote tests/corpus) run by real MLflow into the server."""
    uri = server.create_db("corpus")
    out = tmp_path_factory.mktemp("written")
    env = dict(os.environ, MLFLOW_ALLOW_FILE_STORE="true")
    proc = subprocess.run(
        [sys.executable, str(CORPUS_SCRIPT), uri, str(out), str(out / "artifacts")],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        cwd=out,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    return uri, out, json.loads((out / "truth.json").read_text())


def test_run_json_matches_mlflow_client(written, tmp_path):
    uri, out, truth = written
    result = build(BuildOptions(store=uri, out=str(tmp_path / "site"), include_deleted=True, jobs=1))
    assert result.warnings == []
    got = {}
    for p in (tmp_path / "site").glob("experiments/*/runs/*/run.json"):
        doc = json.loads(p.read_text())
        got[doc["run_id"]] = doc
    expected = {r["run_id"]: r for r in truth["runs"]}
    assert set(got) == set(expected)
    for rid, exp in expected.items():
        assert list(got[rid]) == RUN_JSON_KEYS and got[rid]["redacted"] == []
        for field in FIELDS:
            assert got[rid][field] == exp[field], f"{exp['run_name']}: {field}"
    assert result.artifacts == 10


def test_password_never_shown(written, tmp_path, server):
    uri, _out, _truth = written
    bad = uri.replace("/corpus", "/no_such_db")
    res = CliRunner().invoke(main, ["build", "--store", bad, "--out", str(tmp_path / "s")])
    assert res.exit_code == 2
    assert server.password not in res.output and "***" in res.output
    res = CliRunner().invoke(main, ["build", "--store", uri, "--out", str(tmp_path / "s2"), "-v"])
    assert res.exit_code == 0
    assert server.password not in res.output
    assert server.password not in (tmp_path / "s2" / ".trackreport-site").read_text()


def test_incremental_rebuild_reads_only_changes(written, tmp_path):
    uri, _out, truth = written
    site = tmp_path / "site"
    first = build(BuildOptions(store=uri, out=str(site), jobs=1))
    again = build(BuildOptions(store=uri, out=str(site), jobs=1))
    assert first.runs_rendered == first.runs and again.runs_rendered == 0
