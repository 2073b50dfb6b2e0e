"""Incremental builds of a SQLite store: only the metric rows added since the last build are
looked at (by rowid), never at the cost of a stale page, and the store is never touched."""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import tree_digest
from sitecheck import site_files

from sitegen import BuildOptions, build
from sitegen.readers import sqlitedelta

mlflow = pytest.importorskip("mlflow")


@pytest.fixture
def store(corpus_copy, tmp_path):
    dst = tmp_path / "store"
    shutil.copytree(corpus_copy / "3.17.2" / "sqlite", dst)
    return dst


def _lonely_runs(db: Path) -> list[str]:
    """Active runs with metrics and no parent or children."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        related = {r[0] for r in con.execute("SELECT run_uuid FROM tags WHERE key='mlflow.parentRunId'")}
        related |= {r[0] for r in con.execute("SELECT value FROM tags WHERE key='mlflow.parentRunId'")}
        return [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT r.run_uuid FROM runs r JOIN metrics m ON m.run_uuid = r.run_uuid"
                " WHERE r.lifecycle_stage = 'active' ORDER BY r.run_uuid"
            )
            if r[0] not in related
        ]
    finally:
        con.close()


def _counting(monkeypatch) -> list[int]:
    scans: list[int] = []
    real = sqlitedelta.count_all
    monkeypatch.setattr(sqlitedelta, "count_all", lambda *a: scans.append(1) or real(*a))
    return scans


def test_new_points_found_by_rowid_and_pages_match_clean_build(store, tmp_path, monkeypatch):
    db = store / "mlflow.db"
    uri = f"sqlite:///{db}"
    out = tmp_path / "site"
    build(BuildOptions(store=uri, out=str(out), jobs=1))
    run_id = _lonely_runs(db)[0]
    client = mlflow.MlflowClient(tracking_uri=uri)
    client.log_metric(run_id, "late_metric", 0.75, step=7)
    client.log_metric(run_id, "late_metric", 0.5, step=3)  # an earlier step, logged later
    mlflow_files = tree_digest(store)

    scans = _counting(monkeypatch)
    result = build(BuildOptions(store=uri, out=str(out), jobs=1))
    assert scans == [] and result.runs_rendered == 1
    assert tree_digest(store) == mlflow_files  # read in place, still never written
    assert not [p for p in store.iterdir() if p.name.endswith(("-journal", "-wal", "-shm"))]
    page = next(out.glob(f"experiments/*/runs/{run_id}/run.json")).read_text()
    assert "late_metric" in page

    clean = tmp_path / "clean"
    build(BuildOptions(store=uri, out=str(clean), jobs=1))
    assert site_files(out) == site_files(clean)


def test_deleted_rows_fall_back_to_counting_everything(store, tmp_path, monkeypatch):
    """``mlflow gc`` deletes rows, after which SQLite may reuse rowids: every run is counted."""
    db = store / "mlflow.db"
    uri = f"sqlite:///{db}"
    out = tmp_path / "site"
    build(BuildOptions(store=uri, out=str(out), jobs=1))
    victim, other = _lonely_runs(db)[:2]
    client = mlflow.MlflowClient(tracking_uri=uri)
    client.delete_run(victim)
    env = dict(os.environ, MLFLOW_TRACKING_URI=uri)
    gc = subprocess.run(
        [sys.executable, "-m", "mlflow", "gc", "--backend-store-uri", uri, "--run-ids", victim],
        capture_output=True,
        text=True,
        env=env,
        timeout=300,
    )
    assert gc.returncode == 0, gc.stderr[-2000:]
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    assert con.execute("SELECT count(*) FROM metrics WHERE run_uuid = ?", (victim,)).fetchone() == (0,)
    con.close()
    client.log_metric(other, "after_gc", 1.5, step=1)

    scans = _counting(monkeypatch)
    build(BuildOptions(store=uri, out=str(out), jobs=1))
    assert scans == [1]
    assert not list(out.glob(f"experiments/*/runs/{victim}"))
    assert "after_gc" in next(out.glob(f"experiments/*/runs/{other}/run.json")).read_text()
    clean = tmp_path / "clean"
    build(BuildOptions(store=uri, out=str(clean), jobs=1))
    assert site_files(out) == site_files(clean)


def test_rows_reusing_rowids_freed_by_gc_are_found(tmp_path):
    """``mlflow gc`` removes the rows at the top of the table and as many new rows take their
    rowids: largest rowid and row count are as before, but the gone run says rows were
    deleted, so every run is counted (found by a fresh-eyes tester: the site kept 3 points
    for ever)."""
    uri = f"sqlite:///{tmp_path / 'g.db'}"
    client = mlflow.MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("gc")
    kept = client.create_run(exp).info.run_id
    for step in range(3):
        client.log_metric(kept, "m", float(step), step=step)
    victim = client.create_run(exp).info.run_id
    for step in range(5):
        client.log_metric(victim, "m", float(step), step=step)
    out = tmp_path / "site"
    build(BuildOptions(store=uri, out=str(out), jobs=1))
    client.delete_run(victim)
    gc = subprocess.run(
        [sys.executable, "-m", "mlflow", "gc", "--backend-store-uri", uri, "--run-ids", victim],
        capture_output=True,
        text=True,
        env=dict(os.environ, MLFLOW_TRACKING_URI=uri),
        timeout=300,
    )
    assert gc.returncode == 0, gc.stderr[-2000:]
    for step in range(3, 8):  # exactly as many rows as gc removed
        client.log_metric(kept, "m", float(step), step=step)
    con = sqlite3.connect(f"file:{tmp_path / 'g.db'}?mode=ro", uri=True)
    assert con.execute("SELECT max(rowid), count(*) FROM metrics").fetchone() == (8, 8)  # as at the build
    con.close()
    result = build(BuildOptions(store=uri, out=str(out), jobs=1))
    assert result.runs_rendered == 1
    assert len(client.get_metric_history(kept, "m")) == 8
    clean = tmp_path / "clean"  # 8 points, as the client says
    build(BuildOptions(store=uri, out=str(clean), jobs=1))
    assert site_files(out) == site_files(clean)


def test_clean_build_ignores_the_kept_counts(store, tmp_path, monkeypatch):
    uri = f"sqlite:///{store / 'mlflow.db'}"
    out = tmp_path / "site"
    build(BuildOptions(store=uri, out=str(out), jobs=1))
    scans = _counting(monkeypatch)
    build(BuildOptions(store=uri, out=str(out), jobs=1, clean=True))
    assert scans == [1]


def test_many_histories_to_read_are_read_in_short_transactions(store, tmp_path, monkeypatch):
    """An incremental build that must read many points does not hold the store's lock for it:
    it reads them in batches, ending its read transaction between two."""
    from sitegen.readers import sqlhistories, sqlstore

    db = store / "mlflow.db"
    uri = f"sqlite:///{db}"
    out = tmp_path / "site"
    build(BuildOptions(store=uri, out=str(out), jobs=1))
    changed = _lonely_runs(db)
    for run_id in changed:
        mlflow.MlflowClient(tracking_uri=uri).log_metric(run_id, "late_metric", 1.0, step=1)
    monkeypatch.setattr(sqlhistories, "BATCH_ROWS", 1)
    monkeypatch.setattr(sqlstore, "PAUSE_AFTER", 0.0)
    commits: list[int] = []
    real = sqlstore.SqliteStoreReader._end_txn
    monkeypatch.setattr(
        sqlstore.SqliteStoreReader,
        "_end_txn",
        lambda self: (commits.append(1) if self._txn_start is not None else None) or real(self),
    )
    result = build(BuildOptions(store=uri, out=str(out), jobs=1))
    assert len(changed) > 2 and result.runs_rendered >= len(changed) and len(commits) >= len(changed)
    monkeypatch.undo()
    clean = tmp_path / "clean"
    build(BuildOptions(store=uri, out=str(clean), jobs=1))
    assert site_files(out) == site_files(clean)
