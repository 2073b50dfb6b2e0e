"""Reader for MLflow's SQL entity store, SQLite first (every schema revision since 1.x).

The store is never written, locked for long, or given a journal: the database is opened
read-only and read in place, in short read transactions. Every transaction ends once it
has lasted ``PAUSE_AFTER`` seconds (at the end of a batch of runs), so a writer logging at
the same time waits at most about that long; nothing is copied, so reading costs no more
memory than one batch of rows. A history batch and its row counts are read in one
transaction, so they always agree; batches read later may show points logged after the
runs were counted: their runs are drawn anew by the next build (their counts changed).
Every table is read in bulk (histories in batches of runs through the ``run_uuid`` index,
by ``sqlhistories``), so the number of queries does not grow with the number of runs, and
a batch costs what its rows cost, not a scan of the table. Columns are read only where the
schema revision has them (``sqlschema``).
"""

from __future__ import annotations

import contextlib
import logging
import sqlite3
import time
from pathlib import Path

from sitegen.entities import Experiment, Run, Store
from sitegen.entities.budget import HistoryBudget
from sitegen.errors import StoreError
from sitegen.readers import sqlitedelta, sqlmodels, sqltraces
from sitegen.readers.sqlhistories import SqlHistories
from sitegen.readers.sqlitehot import RolledBackCopy, needs_rollback
from sitegen.readers.sqlrows import fingerprint, guarded, read_inputs, texts, to_int
from sitegen.readers.sqlschema import _connect_readonly, _Schema

# A read transaction on a SQLite store is ended (and a new one begun) between batches once
# it has lasted this long: the longest a writer's commit waits for this reader, about.
PAUSE_AFTER = 0.05
# A writer's lock is waited for this long (MLflow's client waits too), with a notice after the first.
LOCK_TIMEOUT, NOTICE_AFTER = 30.0, 1.0

log = logging.getLogger("trackreport")


class SqliteStoreReader:
    kind = "sqlite"

    def __init__(self, path: Path, *, uri: str, include_deleted: bool = False):
        if not path.is_file():
            raise StoreError(f"store not found: {path}")
        self.path, self.uri, self.include_deleted = path, uri, include_deleted
        self.conn: sqlite3.Connection | None = None
        self._txn_start: float | None = None  # when the open read transaction began
        self.budget = HistoryBudget(None)  # see sitegen.entities.budget
        self.pool = None  # worker processes a first build lends for reading histories
        self._copy: RolledBackCopy | None = None  # set while a hot journal's store is read from a copy

    def read(self, reuse=None) -> Store:
        self.close()
        state = getattr(reuse, "reader_state", None)
        state = state if isinstance(state, dict) and state.get("db") == str(self.path.resolve()) else None
        try:
            read_path, schema = self._open(self.path)
        except sqlite3.DatabaseError as e:
            if not needs_rollback(e):
                self.close()
                raise StoreError(f"cannot open SQLite store {self.path}: {e}") from e
            try:  # a hot journal: read a private copy with the interrupted write rolled back
                self.close()
                self._copy = RolledBackCopy(self.path)
                copy = self._copy.make()
                if copy is None:  # its writer's next connection rolled the store back meanwhile
                    self._copy = None
                    read_path, schema = self._open(self.path)
                else:
                    read_path, schema = self._open(copy)
            except (OSError, sqlite3.DatabaseError) as e2:
                self.close()
                raise StoreError(f"cannot open SQLite store {self.path} (its last write was interrupted): {e2}") from e2
        try:
            missing = {"experiments", "runs"} - schema.tables
            if missing:
                raise StoreError(f"not an MLflow database (no {', '.join(sorted(missing))} table): {self.path}")
            store = Store(uri=self.uri, kind="sqlite", base_dir=str(self.path.resolve().parent))
            if self._copy is not None:
                store.warnings.append(self._copy.warning)
            self._sql = SqlReader(self.conn, schema, rowid_state=state or {}, pause=self._pause)
            self._sql.budget = self.budget
            self._sql.pool, self._sql.path = self.pool, str(read_path)
            self._sql.release, self._sql.resume = self._end_txn, self._begin
            self._sql.read(store, self.include_deleted, reuse)
            if store.reader_state is not None:
                store.reader_state["db"] = str(self.path.resolve())
            return store
        except sqlite3.DatabaseError as e:
            self.close()
            raise StoreError(f"cannot read SQLite store {self.path}: {e}") from e
        finally:
            self._end_txn()  # no lock is held between the reader's calls

    def _open(self, path: Path) -> tuple[Path, _Schema]:
        """Connect read-only to ``path`` and read its schema; raises sqlite3.DatabaseError. A
        writer holding the database locked (a large transaction being committed) is waited
        for, as MLflow's client waits, up to LOCK_TIMEOUT — saying so after NOTICE_AFTER."""
        self.conn = _connect_readonly(path)
        self._wait_for_locks(NOTICE_AFTER)
        try:
            schema = self._schema()
        except sqlite3.OperationalError as e:
            if getattr(e, "sqlite_errorcode", None) != sqlite3.SQLITE_BUSY:
                raise
            log.warning(f"waiting for a writer to release its lock on {path} (up to {LOCK_TIMEOUT:.0f} s) ...")
            self._end_txn()
            self._wait_for_locks(LOCK_TIMEOUT)
            schema = self._schema()
        self._wait_for_locks(LOCK_TIMEOUT)
        return path.resolve(), schema

    def _schema(self) -> _Schema:
        self._begin()
        return _Schema.of_sqlite(self.conn)

    def _wait_for_locks(self, seconds: float) -> None:
        self.conn.execute(f"PRAGMA busy_timeout = {int(seconds * 1000)}")

    def load_metrics(self, runs: list[Run]) -> None:
        runs = [r for r in runs if not r.metrics_complete]
        if not runs:
            return
        self._begin()
        try:
            self._sql.load_metrics(runs)
        finally:
            self._end_txn()

    def load_traces(self, traces: list) -> dict:
        self._begin()
        try:
            return self._sql.load_traces(traces)
        finally:
            self._end_txn()

    def _begin(self) -> None:
        if self._txn_start is None and self.conn is not None:
            self.conn.execute("BEGIN")
            self._txn_start = time.monotonic()

    def _pause(self) -> None:
        """Between two batches: let a waiting writer in if this transaction has lasted long."""
        if self._txn_start is not None and time.monotonic() - self._txn_start > PAUSE_AFTER:
            self._end_txn()
            self._begin()

    def _end_txn(self) -> None:
        if self._txn_start is not None and self.conn is not None:
            with contextlib.suppress(sqlite3.DatabaseError):
                self.conn.execute("COMMIT")
        self._txn_start = None

    def close(self) -> None:
        self._end_txn()
        if self.conn is not None:
            self.conn.close()
        self.conn = None
        if self._copy is not None:
            self._copy.remove()
            self._copy = None


class SqlReader(SqlHistories):
    """MLflow's tables read with dialect-neutral SQL over a DB-API connection (the metric
    histories by ``SqlHistories``)."""

    def __init__(self, conn, schema: _Schema, rowid_state: dict | None = None, pause=None):
        super().__init__(conn, schema, pause)
        # SQLite only: the last build's metric counts ({} for none yet), see sqlitedelta
        self.rowid_state = rowid_state
        self._traces_of: tuple | None = None  # (store, experiments) the traces were read into

    def read(self, store: Store, include_deleted: bool, reuse=None) -> None:
        conn, s, now_ns = self.conn, self.s, time.time_ns()
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
        for run in runs.values():
            run.metrics_complete = False
        read_counting: set[str] = set()  # runs whose histories were read while counting
        if "metrics" in s.tables:
            if self.rowid_state is not None:  # SQLite: count only what was added since
                # With no state from a last build every history is read: counted as read
                every = None
                if not self.rowid_state:  # (by the workers when lent a pool)

                    def every(ids: list[str]) -> dict:
                        read_counting.update(ids)
                        return self._load([runs[r] for r in ids], True, True, self.pool is not None)

                counts, store.reader_state = sqlitedelta.count_since(
                    conn, q, self.rowid_state or None, list(runs), self.pause, every
                )
            else:
                counts = sqlitedelta.count_all(conn, q)
        self.counts = counts
        need = []
        for run in runs.values():
            run.fingerprint = fingerprint(run, sorted(counts.get(run.run_id, [])))
            exps[run.experiment_id].runs.append(run)
            if run.metrics_complete or run.run_id in read_counting:  # (kept, or summed up by the budget)
                continue
            reused = reuse.get(run.run_id, run.fingerprint) if reuse is not None else None
            if reused is not None:
                run.metrics, run.metrics_complete = reused
            else:
                need.append(run)
        self._load(need, hold=True, pooled=self.pool is not None)
        for run in runs.values():  # reused full histories (watch) count as held too
            self.budget.hold(run)
        store.experiments.extend(exps.values())
        if "registered_models" in s.tables:
            store.registered_models = (
                guarded(store, "registered_models", "the model registry", sqlmodels.read_registry, conn, s) or []
            )
        if "logged_models" in s.tables:
            guarded(
                store, "logged_models", "logged models", sqlmodels.read_logged_models, conn, s, exps, include_deleted
            )
        kept = sqltraces.read_traces(conn, s, store, exps, reuse, now_ns)
        if kept:  # a next build's reader state: the traces it may keep
            store.reader_state = {**(store.reader_state or {}), "traces": kept}
        self._traces_of = (store, exps)

    def load_traces(self, traces: list) -> dict:
        """Kept traces (``Trace.loaded`` False) read whole again: {trace id: Trace}."""
        if self._traces_of is None:
            return {}
        store, exps = self._traces_of
        return sqltraces.load_traces(self.conn, self.s, store, exps, traces)
