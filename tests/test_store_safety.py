"""Building never changes a store, and never blocks or damages a SQLite writer."""

import json
import os
import sqlite3
import subprocess
import sys
import textwrap

from conftest import STORES, store_uri, tree_digest

from sitegen import BuildOptions, build


def test_build_leaves_every_store_byte_for_byte_unchanged(corpus_copy, tmp_path):
    before = tree_digest(corpus_copy)
    mtimes = {p: p.stat().st_mtime_ns for p in corpus_copy.rglob("*")}
    for name in STORES:
        build(BuildOptions(store=store_uri(corpus_copy, name), out=str(tmp_path / name), include_deleted=True, jobs=1))
    assert tree_digest(corpus_copy) == before
    assert {p: p.stat().st_mtime_ns for p in corpus_copy.rglob("*")} == mtimes
    leftovers = [p for p in corpus_copy.rglob("*") if p.name.endswith(("-journal", "-wal", "-shm"))]
    assert leftovers == []


def test_read_only_database_file_and_folder(corpus_copy, tmp_path):
    """A store on a read-only medium (or owned by someone else) still builds."""
    src = corpus_copy / "3.17.2" / "sqlite"
    ro = tmp_path / "ro"
    ro.mkdir()
    db = ro / "mlflow.db"
    db.write_bytes((src / "mlflow.db").read_bytes())
    os.chmod(db, 0o444)
    os.chmod(ro, 0o555)
    try:
        result = build(BuildOptions(store=f"sqlite:///{db}", out=str(tmp_path / "site"), jobs=1))
    finally:
        os.chmod(ro, 0o755)
    assert result.runs == 11
    assert sorted(p.name for p in ro.iterdir()) == ["mlflow.db"]


WRITER = textwrap.dedent("""
    import sqlite3, sys, time
    db, n = sys.argv[1], int(sys.argv[2])
    conn = sqlite3.connect(db, timeout=10, isolation_level=None)
    run = conn.execute("SELECT run_uuid FROM runs LIMIT 1").fetchone()[0]
    worst = 0.0
    print("ready", flush=True)
    for i in range(n):
        t = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                     "VALUES ('live/metric', ?, ?, ?, ?, 0)", (i * 0.5, 1700000000000 + i, run, i))
        conn.execute("COMMIT")
        worst = max(worst, time.perf_counter() - t)
    print(f"done {n} {worst:.3f}", flush=True)
""")


def test_concurrent_sqlite_writer_is_not_blocked_or_damaged(corpus_copy, tmp_path):
    db = tmp_path / "live.db"
    db.write_bytes((corpus_copy / "3.17.2" / "sqlite" / "mlflow.db").read_bytes())
    writes = 3000
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(db), str(writes)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    try:
        assert proc.stdout.readline().strip() == "ready"
        builds = 0
        while proc.poll() is None or builds < 2:
            build(BuildOptions(store=f"sqlite:///{db}", out=str(tmp_path / "site"), jobs=1))
            builds += 1
        out, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    # The writer may have finished during the loop's last build: one more, after it.
    build(BuildOptions(store=f"sqlite:///{db}", out=str(tmp_path / "site"), jobs=1))
    assert proc.returncode == 0, err
    done, count, worst = out.split()
    assert done == "done" and int(count) == writes
    assert float(worst) < 5.0, "a writer commit waited for the reader"
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert conn.execute("SELECT count(*) FROM metrics WHERE key='live/metric'").fetchone()[0] == writes
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith("live.db")] == ["live.db"]
    # the last build (incremental, after the writer finished) has every point
    run = conn.execute("SELECT run_uuid FROM runs LIMIT 1").fetchone()[0]
    data = json.loads(next((tmp_path / "site").glob(f"experiments/*/runs/{run}/run.json")).read_text())
    assert len(data["metrics"]["live/metric"]) == writes


def test_a_writer_commits_between_batches_and_nothing_is_copied(corpus_copy, tmp_path, monkeypatch):
    """The store is read in place, in short read transactions: between two batches of
    histories a writer commits at once (no lock left held), and no copy is made."""
    import tempfile

    from sitegen.readers import sqlhistories, sqlstore

    db = tmp_path / "live.db"
    db.write_bytes((corpus_copy / "3.17.2" / "sqlite" / "mlflow.db").read_bytes())
    writer = sqlite3.connect(db, timeout=0, isolation_level=None)
    run = writer.execute("SELECT run_uuid FROM runs LIMIT 1").fetchone()[0]
    commits: list[int] = []
    real = sqlstore.SqliteStoreReader._pause

    def pause(self):
        real(self)
        writer.execute("BEGIN IMMEDIATE")  # timeout 0: fails if the reader still held a lock
        writer.execute(
            "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES ('between', ?, ?, ?, ?, 0)",
            (len(commits), 1700000000000 + len(commits), run, len(commits)),
        )
        writer.execute("COMMIT")
        commits.append(1)

    monkeypatch.setattr(sqlstore.SqliteStoreReader, "_pause", pause)
    monkeypatch.setattr(sqlhistories, "BATCH_ROWS", 1)
    monkeypatch.setattr(sqlstore, "PAUSE_AFTER", 0.0)
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path / "tmp"))
    (tmp_path / "tmp").mkdir()
    result = build(BuildOptions(store=f"sqlite:///{db}", out=str(tmp_path / "site"), jobs=1))
    assert result.runs == 11 and len(commits) > 5
    assert list((tmp_path / "tmp").iterdir()) == []
    monkeypatch.undo()
    build(BuildOptions(store=f"sqlite:///{db}", out=str(tmp_path / "site"), jobs=1))  # the points logged meanwhile
    data = json.loads(next((tmp_path / "site").glob(f"experiments/*/runs/{run}/run.json")).read_text())
    assert len(data["metrics"]["between"]) == len(commits)
    writer.close()


def test_a_writer_holding_the_database_locked_is_waited_for_and_said_so(corpus_copy, tmp_path):
    """A writer committing a large transaction holds an EXCLUSIVE lock: the build waits for it
    (as MLflow's client does) and says so after a second, instead of waiting silently."""
    import logging
    import shutil

    db = tmp_path / "mlflow.db"
    shutil.copyfile(corpus_copy / "3.17.2" / "sqlite" / "mlflow.db", db)
    holder = textwrap.dedent("""
        import sqlite3, sys
        conn = sqlite3.connect(sys.argv[1], isolation_level=None)
        conn.execute("BEGIN EXCLUSIVE")
        print("locked", flush=True)
        sys.stdin.readline()  # until the build says it waits
        conn.execute("COMMIT")
    """)
    writer = subprocess.Popen(
        [sys.executable, "-c", holder, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert writer.stdout.readline().strip() == "locked"
    notices = []

    class Release(logging.Handler):
        def emit(self, record):
            if "waiting for a writer" in record.getMessage():
                notices.append(record.getMessage())
                writer.stdin.write("go\n")
                writer.stdin.flush()

    handler = Release()
    logging.getLogger("trackreport").addHandler(handler)
    try:
        result = build(BuildOptions(store=f"sqlite:///{db}", out=str(tmp_path / "site"), jobs=1))
    finally:
        logging.getLogger("trackreport").removeHandler(handler)
        writer.stdin.close()
        writer.wait(timeout=60)
    assert notices == [f"waiting for a writer to release its lock on {db} (up to 30 s) ..."]
    assert result.runs > 0 and writer.returncode == 0
