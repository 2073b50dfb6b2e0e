"""A SQLite store whose writer was killed in the middle of a transaction (a hot journal) builds
as MLflow's client reads it — that write rolled back — while the store stays byte for byte as it
was (sitegen.readers.sqlitehot)."""

import hashlib
import json
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import pytest

from sitegen import BuildOptions, build

KILLED_WRITER = textwrap.dedent("""
    import os, sqlite3, sys
    conn = sqlite3.connect(sys.argv[1], isolation_level=None)
    conn.execute("PRAGMA cache_size = 1")  # changed pages reach the database file before the commit
    conn.execute("BEGIN IMMEDIATE")
    conn.execute("UPDATE runs SET name = 'never-committed'")
    conn.execute("UPDATE metrics SET value = value + 100")
    conn.execute("UPDATE latest_metrics SET value = value + 100")
    conn.execute("CREATE TABLE filler (x)")
    conn.executemany("INSERT INTO filler VALUES (?)", [("x" * 1000,)] * 2000)
    os.kill(os.getpid(), 9)
""")


def _digests(folder):
    return {p.name: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(folder.iterdir())}


@pytest.fixture
def interrupted_store(tmp_path):
    import mlflow

    folder = tmp_path / "store"
    folder.mkdir()
    db = folder / "mlflow.db"
    mlflow.set_tracking_uri(f"sqlite:///{db}")
    try:
        with mlflow.start_run(run_name="committed") as run:
            for step, v in enumerate([0.9, 0.5, 0.25]):
                mlflow.log_metric("loss", v, step=step)
    finally:
        mlflow.set_tracking_uri(None)
    proc = subprocess.run([sys.executable, "-c", KILLED_WRITER, str(db)])
    assert proc.returncode == -9
    assert (folder / "mlflow.db-journal").stat().st_size > 0  # hot: nobody holds its lock
    return db, run.info.run_id


def test_a_hot_journal_is_rolled_back_in_a_private_copy(interrupted_store, tmp_path):
    from mlflow import MlflowClient

    db, run_id = interrupted_store
    before = _digests(db.parent)
    copies = set(Path(tempfile.gettempdir()).glob("trackreport-sqlite-*"))
    result = build(BuildOptions(store=f"sqlite:///{db}", out=str(tmp_path / "site"), jobs=2))
    assert _digests(db.parent) == before  # nothing written, the journal left where it was
    assert [w for w in result.warnings if "journal" in w] == [
        f"{db}-journal: the store's last write was interrupted (a hot journal: its writer stopped in the "
        "middle of a transaction); read from a private copy with that write rolled back, as MLflow's next "
        "connection would do; the store itself is left as it is"
    ]
    assert set(Path(tempfile.gettempdir()).glob("trackreport-sqlite-*")) == copies  # the copy is gone
    (page,) = (tmp_path / "site").glob(f"experiments/*/runs/{run_id}/run.json")
    doc = json.loads(page.read_text())

    # MLflow's client on a copy of the same files: it rolls the write back and reads on.
    theirs = tmp_path / "client"
    shutil.copytree(db.parent, theirs)
    client = MlflowClient(tracking_uri=f"sqlite:///{theirs / 'mlflow.db'}")
    run = client.get_run(run_id)
    assert run.info.run_name == "committed" and doc["run_name"] == run.info.run_name
    history = client.get_metric_history(run_id, "loss")
    assert doc["metrics"]["loss"] == [[m.step, m.timestamp, m.value] for m in history]
    assert run.data.metrics["loss"] == 0.25


def test_once_rolled_back_the_store_is_read_in_place_again(interrupted_store, tmp_path):
    import sqlite3

    db, _ = interrupted_store
    site = str(tmp_path / "site")
    assert any("journal" in w for w in build(BuildOptions(store=f"sqlite:///{db}", out=site, jobs=1)).warnings)
    sqlite3.connect(db).execute("SELECT 1 FROM runs").fetchall()  # a writer's connection rolls back
    assert not (db.parent / "mlflow.db-journal").exists()
    result = build(BuildOptions(store=f"sqlite:///{db}", out=site, jobs=1))
    assert not any("journal" in w for w in result.warnings)
