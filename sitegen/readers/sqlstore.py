"""Reader for MLflow's SQL entity store, SQLite first (every schema revision since 1.x).

The store is never written, locked for long, or given a journal: the database is
opened read-only. A first (or --clean) build copies it page by page into a private
snapshot with SQLite's online-backup API (a brief shared lock, like any reader) and
queries the copy, so a writer logging at the same time only ever waits for the copy.
An incremental build reads little (the rows added since, see ``sqlitedelta``, and the
histories it draws), in one short read transaction on the store itself, ended as soon
as the last history is read. Every table is read in one bulk query, so the number of
queries does not grow with the number of runs. Columns are read only where the schema
revision has them.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import tempfile
from collections import defaultdict
from pathlib import Path
from urllib.parse import quote

from sitegen.entities import Experiment, MetricHistory, Run, Store
from sitegen.errors import StoreError
from sitegen.readers import sqlitedelta, sqlmodels, sqltraces
from sitegen.readers.sqlrows import fingerprint, guarded, read_inputs, texts, to_int

# An incremental build reads in a transaction on the store itself, unless it must read
# more metric points than this (about 0.2 s): then from a snapshot, as a first build does.
LARGE_LOAD_ROWS = 100_000
# Snapshots larger than this go to a temporary file instead of memory.
_MEMORY_SNAPSHOT_LIMIT = 512 * 1024 * 1024


def _connect_readonly(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False)
    conn.execute("PRAGMA query_only = ON")
    return conn


def _snapshot(path: Path) -> tuple[sqlite3.Connection, str | None]:
    """A private copy of the database: in memory, or in a temporary file (returned, for the
    caller to delete once closed) when the store is large."""
    try:
        src = _connect_readonly(path)
        src.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()
    except sqlite3.DatabaseError as e:
        raise StoreError(f"cannot open SQLite store {path}: {e}") from e
    tmp = None
    try:
        if path.stat().st_size > _MEMORY_SNAPSHOT_LIMIT:
            fd, tmp = tempfile.mkstemp(suffix=".db", prefix="trackreport-snapshot-")
            os.close(fd)
            dst = sqlite3.connect(tmp, check_same_thread=False)
            dst.execute("PRAGMA journal_mode=OFF")
        else:
            dst = sqlite3.connect(":memory:", check_same_thread=False)
        src.backup(dst)
    except sqlite3.DatabaseError as e:
        if tmp:
            os.unlink(tmp)
        raise StoreError(f"cannot read SQLite store {path}: {e}") from e
    finally:
        src.close()
    return dst, tmp


class _Schema:
    """Which tables and columns this schema revision has, and how the dialect quotes names."""

    def __init__(self, tables: set[str], columns, quote_char: str = '"'):
        self.tables = tables
        self._columns_of = columns
        self._cols: dict[str, set[str]] = {}
        self._quote = quote_char

    @classmethod
    def of_sqlite(cls, conn: sqlite3.Connection) -> "_Schema":
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return cls(tables, lambda t: {r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')})

    def q(self, name: str) -> str:
        """A quoted identifier (``key``, ``timestamp`` and ``value`` are keywords somewhere)."""
        return f"{self._quote}{name}{self._quote}"

    def columns(self, table: str) -> set[str]:
        if table not in self._cols:
            self._cols[table] = set(self._columns_of(table)) if table in self.tables else set()
        return self._cols[table]

    def col(self, table: str, name: str, default: str = "NULL", alias: str = "") -> str:
        """Select expression for a column that may not exist in this revision."""
        if name not in self.columns(table):
            return default
        return f"{alias}.{self.q(name)}" if alias else self.q(name)


class SqliteStoreReader:
    kind = "sqlite"

    def __init__(self, path: Path, *, uri: str, include_deleted: bool = False):
        if not path.is_file():
            raise StoreError(f"store not found: {path}")
        self.path, self.uri, self.include_deleted = path, uri, include_deleted
        self.conn: sqlite3.Connection | None = None
        self._tmp: str | None = None
        self._in_txn = False
        self._direct: sqlite3.Connection | None = None

    def read(self, reuse=None) -> Store:
        self.close()
        state = getattr(reuse, "reader_state", None)
        state = state if isinstance(state, dict) and state.get("db") == str(self.path.resolve()) else None
        if state is not None:
            # An incremental build reads little: a short read transaction on the store itself
            # costs the writer less than copying the whole database would.
            try:
                self.conn = _connect_readonly(self.path)
                self.conn.execute("BEGIN")
            except sqlite3.DatabaseError as e:
                raise StoreError(f"cannot open SQLite store {self.path}: {e}") from e
            self._in_txn = True
        else:
            self.conn, self._tmp = _snapshot(self.path)
        try:
            schema = _Schema.of_sqlite(self.conn)
            missing = {"experiments", "runs"} - schema.tables
            if missing:
                raise StoreError(f"not an MLflow database (no {', '.join(sorted(missing))} table): {self.path}")
            store = Store(uri=self.uri, kind="sqlite", base_dir=str(self.path.resolve().parent))
            self._sql = SqlReader(
                self.conn, schema, rowid_state=state or {}, on_large_load=self._to_snapshot if self._in_txn else None
            )
            self._sql.read(store, self.include_deleted, reuse)
            if store.reader_state is not None:
                store.reader_state["db"] = str(self.path.resolve())
            return store
        except sqlite3.DatabaseError as e:
            self.close()
            raise StoreError(f"cannot read SQLite store {self.path}: {e}") from e

    def load_metrics(self, runs: list[Run]) -> None:
        try:
            self._sql.load_metrics([r for r in runs if not r.metrics_complete])
        finally:
            self._end_txn()  # the build reads nothing more: let writers go on

    def _to_snapshot(self) -> sqlite3.Connection:
        """Many histories to read after all: from a snapshot, not holding the store's lock for
        that long. (Points logged meanwhile may show; their runs are redone next build.)"""
        self._end_txn()
        self._direct = self.conn  # kept open until close(): the schema reads through it
        self.conn, self._tmp = _snapshot(self.path)
        return self.conn

    def _end_txn(self) -> None:
        if self._in_txn and self.conn is not None:
            with contextlib.suppress(sqlite3.DatabaseError):
                self.conn.execute("COMMIT")
        self._in_txn = False

    def close(self) -> None:
        self._end_txn()
        for conn in (self.conn, self._direct):
            if conn is not None:
                conn.close()
        self.conn = self._direct = None
        if self._tmp is not None:
            with contextlib.suppress(OSError):
                os.unlink(self._tmp)
            self._tmp = None


class SqlReader:
    """MLflow's tables read with dialect-neutral SQL over a DB-API connection."""

    def __init__(self, conn, schema: _Schema, rowid_state: dict | None = None, on_large_load=None):
        self.conn, self.s = conn, schema
        self.warnings: list[str] = []  # the store's, once read() starts
        self.counts: dict[str, list] = {}
        # Called (and its connection used) before reading more than LARGE_LOAD_ROWS points
        self.on_large_load = on_large_load
        # SQLite only: the last build's metric counts ({} for none yet), see sqlitedelta
        self.rowid_state = rowid_state

    def read(self, store: Store, include_deleted: bool, reuse=None) -> None:
        conn, s = self.conn, self.s
        q = s.q
        stage = s.col("experiments", "lifecycle_stage")
        live = "" if include_deleted or stage == "NULL" else f" WHERE {stage} IS NULL OR {stage} <> 'deleted'"
        exps: dict[str, Experiment] = {}
        for row in texts(
            conn.execute(
                f"SELECT {q('experiment_id')}, {q('name')}, {s.col('experiments', 'artifact_location')},"
                f" {stage}, {s.col('experiments', 'creation_time')},"
                f" {s.col('experiments', 'last_update_time')} FROM {q('experiments')}{live}"
                f" ORDER BY {q('experiment_id')}"
            )
        ):
            eid = str(row[0])
            exps[eid] = Experiment(
                experiment_id=eid,
                name=row[1] if row[1] is not None else eid,
                artifact_location=row[2],
                lifecycle_stage=row[3] or "active",
                creation_time=row[4],
                last_update_time=row[5],
            )
        if "experiment_tags" in s.tables:
            for key, value, eid in texts(
                conn.execute(f"SELECT {q('key')}, {q('value')}, {q('experiment_id')} FROM {q('experiment_tags')}")
            ):
                if str(eid) in exps:
                    exps[str(eid)].tags[key] = value if value is not None else ""

        def c(name: str) -> str:
            return s.col("runs", name, alias="r")

        run_stage = c("lifecycle_stage")
        run_live = (
            "" if include_deleted or run_stage == "NULL" else f" WHERE {run_stage} IS NULL OR {run_stage} <> 'deleted'"
        )
        runs: dict[str, Run] = {}
        all_eids = None  # every experiment id, deleted ones too (read if needed)
        self.warnings = store.warnings
        for row in texts(
            conn.execute(
                f"SELECT r.{q('run_uuid')}, r.{q('experiment_id')}, {c('name')}, {c('status')},"
                f" {c('start_time')}, {c('end_time')}, {run_stage}, {c('user_id')}, {c('artifact_uri')},"
                f" {c('source_type')}, {c('source_name')}, {c('entry_point_name')}, {c('source_version')}"
                f" FROM {q('runs')} r{run_live} ORDER BY {c('start_time')} DESC, r.{q('run_uuid')}"
            )
        ):
            eid = str(row[1])
            if eid not in exps:
                if all_eids is None:
                    all_eids = {str(r[0]) for r in conn.execute(f"SELECT {q('experiment_id')} FROM {q('experiments')}")}
                if eid not in all_eids:  # not a deleted experiment's run: a dangling row
                    store.warnings.append(
                        f"runs table: run {row[0]} belongs to experiment {eid}, "
                        "which is not in the experiments table; run left out"
                    )
                continue
            try:
                start, end = to_int(row[4]), to_int(row[5])
            except (TypeError, ValueError, OverflowError):
                store.warnings.append(
                    f"runs table: run {row[0]} has a start or end time that is not a "
                    f"time in ms ({row[4]!r}, {row[5]!r}); run left out"
                )
                continue
            runs[row[0]] = Run(
                run_id=row[0],
                experiment_id=eid,
                run_name=row[2] or None,
                status=row[3] or "FINISHED",
                start_time=start,
                end_time=end,
                lifecycle_stage=row[6] or "active",
                user_id=row[7] or None,
                artifact_uri=row[8] or None,
                source_type=row[9] or None,
                source_name=row[10] or None,
                entry_point_name=row[11] or None,
                source_version=row[12] or None,
            )
        for table in ("params", "tags"):
            if table in s.tables:
                for key, value, rid in texts(
                    conn.execute(f"SELECT {q('key')}, {q('value')}, {q('run_uuid')} FROM {q(table)}")
                ):
                    run = runs.get(rid)
                    if run is not None:
                        getattr(run, table)[key] = value if value is not None else ""
        for run in runs.values():
            if not run.run_name:
                run.run_name = run.tags.get("mlflow.runName") or None
        if {"datasets", "inputs"} <= s.tables:
            read_inputs(conn, s, runs)

        counts: dict[str, list] = {}
        if "metrics" in s.tables:
            if self.rowid_state is not None:  # SQLite: count only what was added since
                counts, store.reader_state = sqlitedelta.count_since(conn, q, self.rowid_state or None, list(runs))
            else:
                counts = sqlitedelta.count_all(conn, q)
        self.counts = counts
        need = []
        for run in runs.values():
            run.fingerprint = fingerprint(run, sorted(counts.get(run.run_id, [])))
            reused = reuse.get(run.run_id, run.fingerprint) if reuse is not None else None
            if reused is not None:
                run.metrics, run.metrics_complete = reused
            else:
                run.metrics_complete = False
                need.append(run)
            exps[run.experiment_id].runs.append(run)
        self.load_metrics(need, everything=len(need) == len(runs))
        store.experiments.extend(exps.values())
        if "registered_models" in s.tables:
            store.registered_models = (
                guarded(store, "registered_models", "the model registry", sqlmodels.read_registry, conn, s) or []
            )
        if "logged_models" in s.tables:
            guarded(
                store, "logged_models", "logged models", sqlmodels.read_logged_models, conn, s, exps, include_deleted
            )
        sqltraces.read_traces(conn, s, store, exps)

    def load_metrics(self, runs: list[Run], everything: bool = False) -> None:
        """Full histories, in one query (all runs) or in batches of run ids."""
        if not runs or "metrics" not in self.s.tables:
            for run in runs:
                run.metrics_complete = True
            return
        if (
            self.on_large_load is not None
            and sum(n for rid in {r.run_id for r in runs} for _k, n, _t in self.counts.get(rid, ())) > LARGE_LOAD_ROWS
        ):
            self.conn, self.on_large_load = self.on_large_load(), None
        q = self.s.q
        by_id = {r.run_id: r for r in runs}
        is_nan = self.s.col("metrics", "is_nan", "0")
        step = self.s.col("metrics", "step", "0")
        select = (
            f"SELECT {q('run_uuid')}, {q('key')}, {step}, {q('timestamp')}, {q('value')}, {is_nan} FROM {q('metrics')}"
        )
        order = f" ORDER BY {q('run_uuid')}, {q('key')}, {q('timestamp')}, {step}, {q('value')}"
        if everything:
            batches = [(select + order, ())]
        else:
            ids = list(by_id)
            batches = [
                (
                    select + f" WHERE {q('run_uuid')} IN ({','.join('?' * len(ids[i : i + 500]))})" + order,
                    tuple(ids[i : i + 500]),
                )
                for i in range(0, len(ids), 500)
            ]
        hist: dict[str, dict[str, MetricHistory]] = defaultdict(dict)
        nan = float("nan")
        bad: dict[tuple[str, str], list] = {}
        for sql, args in batches:
            current, h = (None, None), None
            for rid, key, st, ts, val, is_nan_ in self.conn.execute(sql, args):
                if isinstance(key, bytes):  # SQLite keeps a BLOB anywhere
                    key = key.decode("utf-8", "replace")
                if (rid, key) != current:
                    current = (rid, key)
                    h = hist[rid][key] = MetricHistory(key) if rid in by_id else None
                if h is not None:
                    try:
                        point = (int(st or 0), int(ts), nan if is_nan_ else float(val))
                    except (TypeError, ValueError, OverflowError):  # SQLite keeps any value in any column
                        bad.setdefault((rid, key), []).append((st, ts, val))
                        continue
                    h.steps.append(point[0])
                    h.timestamps.append(point[1])
                    h.values.append(point[2])
        for (rid, key), rows in bad.items():
            self.warnings.append(
                f"metrics table: run {rid}, metric {key!r}: {len(rows)} row"
                f"{' is' if len(rows) == 1 else 's are'} not a point (step, timestamp, "
                f"value = {', '.join(map(repr, rows[0]))}); left out"
            )
        for rid, run in by_id.items():
            by_key = hist.get(rid, {})
            run.metrics = {k: by_key[k].compact() for k in sorted(by_key)}
            run.metrics_complete = True
