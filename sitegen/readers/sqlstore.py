"""Reader for MLflow's SQL entity store, SQLite first (every schema revision since 1.x).

The store is never written, locked for long, or given a journal: the database is
opened read-only and copied page by page into a private snapshot with SQLite's
online-backup API (a brief shared lock, like any reader), and all queries run on
that snapshot. A writer logging at the same time only ever waits for the copy.
Every table is read in one bulk query, so the number of queries does not grow
with the number of runs. Columns are read only where the schema revision has them.
"""
from __future__ import annotations

import hashlib
import os
import sqlite3
import tempfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

from ..model import DatasetInput, Experiment, MetricHistory, Run, Store

# Snapshots larger than this go to a temporary file instead of memory.
_MEMORY_SNAPSHOT_LIMIT = 512 * 1024 * 1024


def _connect_readonly(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    return conn


def _snapshot(path: Path) -> sqlite3.Connection:
    from . import StoreError

    try:
        src = _connect_readonly(path)
        src.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.DatabaseError as e:
        raise StoreError(f"cannot open SQLite store {path}: {e}") from e
    try:
        if path.stat().st_size > _MEMORY_SNAPSHOT_LIMIT:
            fd, tmp = tempfile.mkstemp(suffix=".db", prefix="trackreport-")
            os.close(fd)
            dst = sqlite3.connect(tmp, check_same_thread=False)
            os.unlink(tmp)  # stays readable through the open handle
        else:
            dst = sqlite3.connect(":memory:", check_same_thread=False)
        src.backup(dst)
    except sqlite3.DatabaseError as e:
        raise StoreError(f"cannot read SQLite store {path}: {e}") from e
    finally:
        src.close()
    return dst


class _Schema:
    def __init__(self, conn: sqlite3.Connection):
        self.conn = conn
        self.tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        self._cols: dict[str, set[str]] = {}

    def columns(self, table: str) -> set[str]:
        if table not in self._cols:
            self._cols[table] = ({r[1] for r in self.conn.execute(f'PRAGMA table_info("{table}")')}
                                 if table in self.tables else set())
        return self._cols[table]

    def col(self, table: str, name: str, default: str = "NULL") -> str:
        """Select expression for a column that may not exist in this revision."""
        return f'"{name}"' if name in self.columns(table) else default


class SqliteStoreReader:
    kind = "sqlite"

    def __init__(self, path: Path, *, uri: str, include_deleted: bool = False):
        from . import StoreError

        if not path.is_file():
            raise StoreError(f"store not found: {path}")
        self.path, self.uri, self.include_deleted = path, uri, include_deleted
        self.conn: sqlite3.Connection | None = None

    def read(self, reuse=None) -> Store:
        from . import StoreError

        if self.conn is not None:
            self.conn.close()
        self.conn = _snapshot(self.path)
        try:
            schema = _Schema(self.conn)
            missing = {"experiments", "runs"} - schema.tables
            if missing:
                raise StoreError(f"not an MLflow database (no {', '.join(sorted(missing))} table): "
                                 f"{self.path}")
            store = Store(uri=self.uri, kind="sqlite", base_dir=str(self.path.resolve().parent))
            self._sql = SqlReader(self.conn, schema)
            self._sql.read(store, self.include_deleted, reuse)
            return store
        except sqlite3.DatabaseError as e:
            raise StoreError(f"cannot read SQLite store {self.path}: {e}") from e

    def load_metrics(self, runs: list[Run]) -> None:
        self._sql.load_metrics([r for r in runs if not r.metrics_complete])

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


class SqlReader:
    """MLflow's tables read with dialect-neutral SQL over a DB-API connection."""

    def __init__(self, conn, schema: _Schema):
        self.conn, self.s = conn, schema

    def read(self, store: Store, include_deleted: bool, reuse=None) -> None:
        conn, s = self.conn, self.s
        live = "" if include_deleted else " WHERE lifecycle_stage IS NULL OR lifecycle_stage <> 'deleted'"
        exps: dict[str, Experiment] = {}
        for row in conn.execute(
                f"SELECT experiment_id, name, artifact_location, {s.col('experiments', 'lifecycle_stage')},"
                f" {s.col('experiments', 'creation_time')}, {s.col('experiments', 'last_update_time')}"
                f" FROM experiments{live} ORDER BY experiment_id"):
            eid = str(row[0])
            exps[eid] = Experiment(experiment_id=eid, name=row[1] if row[1] is not None else eid,
                                   artifact_location=row[2], lifecycle_stage=row[3] or "active",
                                   creation_time=row[4], last_update_time=row[5])
        if "experiment_tags" in s.tables:
            for key, value, eid in conn.execute("SELECT key, value, experiment_id FROM experiment_tags"):
                if str(eid) in exps:
                    exps[str(eid)].tags[key] = value if value is not None else ""

        run_live = "" if include_deleted else " WHERE r.lifecycle_stage IS NULL OR r.lifecycle_stage <> 'deleted'"

        def c(name: str) -> str:
            return f'r."{name}"' if name in s.columns("runs") else "NULL"

        runs: dict[str, Run] = {}
        for row in conn.execute(
                f"SELECT r.run_uuid, r.experiment_id, {c('name')}, {c('status')}, {c('start_time')},"
                f" {c('end_time')}, {c('lifecycle_stage')}, {c('user_id')}, {c('artifact_uri')},"
                f" {c('source_type')}, {c('source_name')}, {c('entry_point_name')}, {c('source_version')}"
                f" FROM runs r{run_live} ORDER BY r.start_time DESC, r.run_uuid"):
            eid = str(row[1])
            if eid not in exps:
                continue
            runs[row[0]] = Run(run_id=row[0], experiment_id=eid, run_name=row[2] or None,
                               status=row[3] or "FINISHED", start_time=row[4], end_time=row[5],
                               lifecycle_stage=row[6] or "active", user_id=row[7] or None,
                               artifact_uri=row[8] or None, source_type=row[9] or None,
                               source_name=row[10] or None, entry_point_name=row[11] or None,
                               source_version=row[12] or None)
        for table, attr in (("params", "params"), ("tags", "tags")):
            if table in s.tables:
                for key, value, rid in conn.execute(f"SELECT key, value, run_uuid FROM {table}"):
                    run = runs.get(rid)
                    if run is not None:
                        getattr(run, attr)[key] = value if value is not None else ""
        for run in runs.values():
            if not run.run_name:
                run.run_name = run.tags.get("mlflow.runName") or None
        if {"datasets", "inputs"} <= s.tables:
            _read_inputs(conn, s, runs)

        counts: dict[str, list] = defaultdict(list)
        if "metrics" in s.tables:
            for rid, key, n, last in conn.execute(
                    "SELECT run_uuid, key, count(*), max(timestamp) FROM metrics GROUP BY run_uuid, key"):
                counts[rid].append((key, n, last))
        need = []
        for run in runs.values():
            run.fingerprint = _fingerprint(run, sorted(counts.get(run.run_id, [])))
            reused = reuse.get(run.run_id, run.fingerprint) if reuse is not None else None
            if reused is not None:
                run.metrics, run.metrics_complete = reused
            else:
                run.metrics_complete = False
                need.append(run)
            exps[run.experiment_id].runs.append(run)
        self.load_metrics(need, everything=len(need) == len(runs))
        store.experiments.extend(exps.values())

    def load_metrics(self, runs: list[Run], everything: bool = False) -> None:
        """Full histories, in one query (all runs) or in batches of run ids."""
        if not runs or "metrics" not in self.s.tables:
            for run in runs:
                run.metrics_complete = True
            return
        by_id = {r.run_id: r for r in runs}
        is_nan = self.s.col("metrics", "is_nan", "0")
        step = self.s.col("metrics", "step", "0")
        select = f"SELECT run_uuid, key, {step}, timestamp, value, {is_nan} FROM metrics"
        order = f" ORDER BY run_uuid, key, timestamp, {step}, value"
        if everything:
            batches = [(select + order, ())]
        else:
            ids = list(by_id)
            batches = [(select + f" WHERE run_uuid IN ({','.join('?' * len(ids[i:i + 500]))})" + order,
                        tuple(ids[i:i + 500])) for i in range(0, len(ids), 500)]
        hist: dict[str, dict[str, MetricHistory]] = defaultdict(dict)
        nan = float("nan")
        for sql, args in batches:
            current, h = (None, None), None
            for rid, key, st, ts, val, is_nan_ in self.conn.execute(sql, args):
                if (rid, key) != current:
                    current = (rid, key)
                    h = hist[rid][key] = MetricHistory(key) if rid in by_id else None
                if h is not None:
                    h.steps.append(int(st or 0))
                    h.timestamps.append(int(ts))
                    h.values.append(nan if is_nan_ else float(val))
        for rid, run in by_id.items():
            by_key = hist.get(rid, {})
            run.metrics = {k: by_key[k] for k in sorted(by_key)}
            run.metrics_complete = True


def _read_inputs(conn, s: _Schema, runs: dict[str, Run]) -> None:
    datasets = {}
    for row in conn.execute(
            "SELECT dataset_uuid, name, digest, dataset_source_type, dataset_source,"
            f" {s.col('datasets', 'dataset_schema')}, {s.col('datasets', 'dataset_profile')} FROM datasets"):
        datasets[row[0]] = row[1:]
    tags: dict[str, dict[str, str]] = defaultdict(dict)
    if "input_tags" in s.tables:
        for uuid, name, value in conn.execute("SELECT input_uuid, name, value FROM input_tags"):
            tags[uuid][name] = value
    for uuid, src_id, dest_id in conn.execute(
            "SELECT input_uuid, source_id, destination_id FROM inputs"
            " WHERE source_type = 'DATASET' AND destination_type = 'RUN' ORDER BY input_uuid"):
        run, ds = runs.get(dest_id), datasets.get(src_id)
        if run is None or ds is None:
            continue
        run.inputs.append(DatasetInput(name=ds[0] or "", digest=ds[1] or "", source_type=ds[2] or "",
                                       source=ds[3] or "", schema=ds[4] or "", profile=ds[5] or "",
                                       tags=dict(tags.get(uuid, {}))))


def _fingerprint(run: Run, metric_counts: list) -> str:
    """Everything a run's pages show, cheaply: its row, params, tags, and per metric the
    number of points and the last timestamp."""
    h = hashlib.blake2b(digest_size=12)
    h.update(repr((run.status, run.start_time, run.end_time, run.lifecycle_stage, run.run_name,
                   run.user_id, run.artifact_uri, sorted(run.params.items()),
                   sorted(run.tags.items()), len(run.inputs), metric_counts)).encode())
    return h.hexdigest()
