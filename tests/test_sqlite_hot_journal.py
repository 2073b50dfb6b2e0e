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


def test_a_linked_database_is_rolled_back_with_the_journal_beside_its_file(tmp_path):
    """SQLite keeps the journal beside the file a symbolic link leads to: that journal is the one
    played back (the copy was made without it, publishing the interrupted write)."""
    import mlflow

    real, linked = tmp_path / "real", tmp_path / "store"
    real.mkdir()
    linked.mkdir()
    mlflow.set_tracking_uri(f"sqlite:///{real / 'mlflow.db'}")
    try:
        with mlflow.start_run(experiment_id="0", run_name="committed") as run:
            mlflow.log_metric("loss", 0.25)
    finally:
        mlflow.set_tracking_uri(None)
    (linked / "mlflow.db").symlink_to(real / "mlflow.db")
    assert subprocess.run([sys.executable, "-c", KILLED_WRITER, str(linked / "mlflow.db")]).returncode == -9
    assert (real / "mlflow.db-journal").stat().st_size > 0 and not (linked / "mlflow.db-journal").exists()
    result = build(BuildOptions(store=f"sqlite:///{linked / 'mlflow.db'}", out=str(tmp_path / "site"), jobs=1))
    assert [w for w in result.warnings if "journal" in w][0].startswith(f"{real / 'mlflow.db-journal'}: ")
    (page,) = (tmp_path / "site").glob(f"experiments/*/runs/{run.info.run_id}/run.json")
    doc = json.loads(page.read_text())
    assert doc["run_name"] == "committed" and [p[2] for p in doc["metrics"]["loss"]] == [0.25]


def _copies(pid: int) -> list[Path]:
    return list(Path(tempfile.gettempdir()).glob(f"trackreport-sqlite-{pid}-*"))


@pytest.mark.parametrize("signal_name", ["SIGTERM", "SIGKILL"])
def test_a_stopped_build_leaves_no_copy_behind(interrupted_store, tmp_path, signal_name):
    """SIGTERM ends a command with os._exit (no finally: runs): its handler removes the copy. A
    build killed outright leaves it, and the next build that makes a copy removes it."""
    import os
    import signal

    db, _ = interrupted_store
    root = Path(__file__).parent.parent
    env = {**os.environ, "PYTHONPATH": str(root), "TRACKREPORT_TEST_KILL_AT": "read@pause"}
    cmd = [
        sys.executable,
        "-m",
        "sitegen",
        "build",
        "--store",
        f"sqlite:///{db}",
        "--out",
        str(tmp_path / "a"),
        "-j",
        "1",
    ]
    proc = subprocess.Popen(cmd, env=env, stderr=subprocess.PIPE, text=True)
    try:
        for line in proc.stderr:  # the copy is being read from when the build pauses
            if line.startswith("checkpoint read: paused"):
                break
        assert len(_copies(proc.pid)) == 1
        proc.send_signal(getattr(signal, signal_name))
        proc.wait(timeout=60)
    finally:
        proc.kill()
        proc.stderr.close()
    if signal_name == "SIGTERM":
        assert proc.returncode == 130 and _copies(proc.pid) == []
    else:
        assert len(_copies(proc.pid)) == 1  # nothing ran: left behind
        build(BuildOptions(store=f"sqlite:///{db}", out=str(tmp_path / "b"), jobs=1))
        assert _copies(proc.pid) == []
