"""Reader for MLflow's SQL entity store, SQLite first (every schema revision since 1.x).

The store is never written, locked for long, or given a journal: the database is opened
read-only and read in place, in short read transactions. Every transaction ends once it
has lasted ``PAUSE_AFTER`` seconds (at the end of a batch of runs), so a writer logging at
the same time waits at most about that long; nothing is copied, so reading costs no more
memory than one batch of rows. A history batch and its row counts are read in one
transaction, so they always agree; batches read later may show points logged after the
runs were counted: their runs are drawn anew by the next build (their counts changed).
Every table is read in bulk (histories in batches of runs through the ``run_uuid`` index),
so the number of queries does not grow with the number of runs, and a batch costs what
its rows cost, not a scan of the table. Columns are read only where the schema revision
has them.
"""

from __future__ import annotations

import contextlib
import sqlite3
import time
from array import array
from itertools import chain, islice
from operator import le, lt
from pathlib import Path
from urllib.parse import quote

from sitegen.entities import Experiment, MetricHistory, Run, Store
from sitegen.entities.budget import HistoryBudget
from sitegen.errors import StoreError
from sitegen.readers import sqlitedelta, sqlmodels, sqlpool, sqltraces
from sitegen.readers.sqlrows import fingerprint, guarded, read_inputs, texts, to_int

# A read transaction on a SQLite store is ended (and a new one begun) between batches once
# it has lasted this long: the longest a writer's commit waits for this reader, about.
PAUSE_AFTER = 0.05
# Metric points read per query (runs are batched by their counted points; a run with more
# is read alone), and at most this many run ids per query.
BATCH_ROWS = 25_000
BATCH_RUNS = 500


def _connect_readonly(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA query_only = ON")
    return conn


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
        self._txn_start: float | None = None  # when the open read transaction began
        self.budget = HistoryBudget(None)  # see sitegen.entities.budget
        self.pool = None  # worker processes a first build lends for reading histories

    def read(self, reuse=None) -> Store:
        self.close()
        state = getattr(reuse, "reader_state", None)
        state = state if isinstance(state, dict) and state.get("db") == str(self.path.resolve()) else None
        try:
            self.conn = _connect_readonly(self.path)
            self._begin()
            schema = _Schema.of_sqlite(self.conn)
        except sqlite3.DatabaseError as e:
            self.close()
            raise StoreError(f"cannot open SQLite store {self.path}: {e}") from e
        try:
            missing = {"experiments", "runs"} - schema.tables
            if missing:
                raise StoreError(f"not an MLflow database (no {', '.join(sorted(missing))} table): {self.path}")
            store = Store(uri=self.uri, kind="sqlite", base_dir=str(self.path.resolve().parent))
            self._sql = SqlReader(self.conn, schema, rowid_state=state or {}, pause=self._pause)
            self._sql.budget = self.budget
            self._sql.pool, self._sql.path = self.pool, str(self.path.resolve())
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

    def load_metrics(self, runs: list[Run]) -> None:
        runs = [r for r in runs if not r.metrics_complete]
        if not runs:
            return
        self._begin()
        try:
            self._sql.load_metrics(runs)
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


class SqlReader:
    """MLflow's tables read with dialect-neutral SQL over a DB-API connection."""

    def __init__(self, conn, schema: _Schema, rowid_state: dict | None = None, pause=None):
        self.conn, self.s = conn, schema
        self.warnings: list[str] = []  # the store's, once read() starts
        self.counts: dict[str, list] = {}
        # SQLite only: the last build's metric counts ({} for none yet), see sqlitedelta
        self.rowid_state = rowid_state
        # SQLite only: called between batches of rows (it may end the read transaction and
        # begin another). It also selects the faster history read, which relies on SQLite's
        # ordering and grouping agreeing (see _read_batch).
        self.pause = pause
        self.budget = HistoryBudget(None)  # full histories held while read() goes; summaries beyond
        # SQLite only: worker processes a first build lends, and the store's path for them
        self.pool: object | None = None
        self.path: str | None = None
        self.release = self.resume = None  # end / begin the read transaction

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
        for run in runs.values():
            run.metrics_complete = False
        if "metrics" in s.tables:
            if self.rowid_state is not None:  # SQLite: count only what was added since
                # With no state from a last build every history is read: counted as read
                every = None
                if not self.rowid_state:  # (by the workers when lent a pool)
                    every = lambda ids: self._load([runs[r] for r in ids], True, True, self.pool is not None)  # noqa: E731
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
            if run.metrics_complete:  # read while counting
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
        sqltraces.read_traces(conn, s, store, exps)

    def load_metrics(self, runs: list[Run]) -> None:
        """Full histories of ``runs``, in batches of runs (about ``BATCH_ROWS`` points by the
        counts read, at most ``BATCH_RUNS`` runs): each batch is read through the run_uuid
        index, never by a scan of the whole table."""
        self._load(runs)

    def _load(self, runs: list[Run], count: bool = False, hold: bool = False, pooled: bool = False) -> dict:
        """Read histories; with ``count``, also return each run's metric counts as
        ``sqlitedelta`` counts them (points, last timestamp), taken from the rows read; with
        ``hold``, keep them only as the history budget allows (else their summaries); with
        ``pooled``, batches are read by the worker pool (``sqlpool``)."""
        counts: dict[str, list] = {}
        if not runs or "metrics" not in self.s.tables:
            for run in runs:
                run.metrics_complete = True
            return counts
        by_id = {r.run_id: r for r in runs}
        seen = [0, 0]  # points and runs read so far: the size of a run not counted yet
        if pooled:
            return self._load_pooled(by_id, count, hold, seen)
        for i, ids in enumerate(self._batches(sorted(by_id), seen)):
            if i:
                self._pause()
            parts = self._read_batch(ids) if self.pause is not None else self._read_rows(ids)
            hist: dict[str, dict[str, MetricHistory]] = {}
            for (rid, key), cells in parts.items():  # typed arrays, batch by batch: little memory
                if count:  # the rows are in timestamp order: the last one has the latest
                    counts.setdefault(rid, []).append((key, len(cells) // 4, sqlitedelta.as_int(cells[-3])))
                seen[0] += len(cells) // 4
                h, bad = _history(key, cells)
                hist.setdefault(rid, {})[key] = h
                if bad:
                    self.warnings.append(
                        f"metrics table: run {rid}, metric {key!r}: {len(bad)} row"
                        f"{' is' if len(bad) == 1 else 's are'} not a point (step, timestamp, "
                        f"value = {', '.join(map(repr, bad[0]))}); left out"
                    )
            seen[1] += len(ids)
            for rid in ids:
                by_key = hist.get(rid, {})
                by_id[rid].metrics = {k: by_key[k] for k in sorted(by_key)}
                by_id[rid].metrics_complete = True
                if hold:
                    self.budget.hold(by_id[rid])
        return counts

    def _load_pooled(self, by_id: dict[str, Run], count: bool, hold: bool, seen: list[int]) -> dict[str, list]:
        """``_load`` by the worker pool (``sqlpool``): the same histories, warnings and counts."""
        counts: dict[str, list] = {}

        def done(ids: list[str], histories: dict, warnings: list[str], counted: dict) -> None:
            self.warnings.extend(warnings)
            counts.update(counted)
            for rid in ids:
                run = by_id[rid]
                run.metrics, run.metrics_complete = histories.get(rid, {}), True
                seen[0] += sum(map(len, run.metrics.values()))
                if hold:
                    self.budget.hold(run)
            seen[1] += len(ids)

        def fallback(ids: list[str]) -> None:
            counts.update(self._load([by_id[r] for r in ids], count, hold))

        batches = sqlpool.PooledBatches(self.pool, read_batch, self.path, done, fallback)
        if self.release is not None:  # the workers read in their own transactions: hold no lock meanwhile
            self.release()
        try:
            for ids in self._batches(sorted(by_id), seen):
                batches.add(ids, {rid: self.counts[rid] for rid in ids if rid in self.counts})
            batches.finish()
        finally:
            if self.resume is not None:
                self.resume()
        return counts

    def _pause(self) -> None:
        if self.pause is not None:
            self.pause()

    def _batches(self, ids: list[str], seen: list[int]):
        """Run ids (in index order) in batches of about BATCH_ROWS points: by the counts read,
        else by the points per run read so far (``seen``, updated by the caller)."""
        i = 0
        while i < len(ids):
            guess = seen[0] / seen[1] if seen[1] else BATCH_ROWS / 4
            batch: list[str] = []
            rows = 0.0
            for rid in ids[i : i + BATCH_RUNS]:
                known = self.counts.get(rid)
                n = guess if known is None else sum(c[1] for c in known if isinstance(c[1], int))
                if batch and rows + n > BATCH_ROWS:
                    break
                batch.append(rid)
                rows += n
            i += len(batch)
            yield batch

    def _columns(self) -> tuple[str, str, str]:
        """(point columns, the order of a history's points, in-batch condition) of a history
        query: points in MLflow's order, (timestamp, step, value)."""
        q = self.s.q
        step = self.s.col("metrics", "step", "0")
        is_nan = self.s.col("metrics", "is_nan", "0")
        order = f"{q('timestamp')}, {'' if step == '0' else step + ', '}{q('value')}"
        return f"{step}, {q('timestamp')}, {q('value')}, {is_nan}", order, f"{q('run_uuid')} IN ({{}})"

    def _read_batch(self, ids: list[str]) -> dict[tuple, list]:
        """SQLite: each history's points as flat cells [step, timestamp, value, is_nan, ...].

        Python's sqlite3 spends most of a row's cost making its cells' objects, so the run
        id and key (two strings) are not read per point: the points come numbers only, in
        the order of the (run_uuid, key, step) index (no sort), and a second query in the
        same transaction counts each (run, key) group in the same order (SQLite groups and
        orders by the same comparison). A history is in MLflow's order if its timestamps
        rise (or stay, while steps rise), as they do when points are logged in order; any
        other is read again sorted by SQLite. Should the counts and the points ever
        disagree, the batch is read the plain way."""
        q = self.s.q
        points, order, where = self._columns()
        where = where.format(",".join("?" * len(ids)))
        step = self.s.col("metrics", "step", "")
        groups = self.conn.execute(
            f"SELECT {q('run_uuid')}, {q('key')}, count(*) FROM {q('metrics')} WHERE {where}"
            f" GROUP BY {q('run_uuid')}, {q('key')} ORDER BY {q('run_uuid')}, {q('key')}",
            ids,
        ).fetchall()
        cells = chain.from_iterable(
            self.conn.execute(
                f"SELECT {points} FROM {q('metrics')} WHERE {where}"
                f" ORDER BY {q('run_uuid')}, {q('key')}{', ' + step if step else ''}",
                ids,
            )
        )
        parts: dict[tuple, list] = {}
        current, part = None, []
        for rid, raw_key, n in groups:
            got = list(islice(cells, 4 * n))
            if len(got) != 4 * n:
                return self._read_rows(ids)
            if not _in_order(got):
                got = list(
                    chain.from_iterable(
                        self.conn.execute(
                            f"SELECT {points} FROM {q('metrics')} WHERE {q('run_uuid')} = ? AND {q('key')} = ?"
                            f" ORDER BY {order}",
                            (rid, raw_key),
                        )
                    )
                )
                if len(got) != 4 * n:
                    return self._read_rows(ids)
            key = raw_key  # SQLite keeps a BLOB anywhere
            if isinstance(key, bytes):
                key = key.decode("utf-8", "replace")
            if (rid, key) == current:  # a key that is text in one row, a BLOB in the next
                part += got
            else:
                current, part = (rid, key), got
                parts[current] = part
        if next(cells, None) is not None:
            return self._read_rows(ids)
        return parts

    def _read_rows(self, ids: list[str]) -> dict[tuple, list]:
        """The plain way (any DB-API connection): run id and key read with every point."""
        q = self.s.q
        points, order, where = self._columns()
        where = where.format(",".join("?" * len(ids)))
        parts: dict[tuple, list] = {}
        current, part = None, []
        for rid, key, *point in self.conn.execute(
            f"SELECT {q('run_uuid')}, {q('key')}, {points} FROM {q('metrics')} WHERE {where}"
            f" ORDER BY {q('run_uuid')}, {q('key')}, {order}",
            tuple(ids),
        ):
            if isinstance(key, bytes):  # SQLite keeps a BLOB anywhere
                key = key.decode("utf-8", "replace")
            if (rid, key) != current:
                current, part = (rid, key), []
                parts[current] = part
            part += point
        return parts


_NAN = float("nan")


def _in_order(cells: list) -> bool:
    """Whether flat cells [step, timestamp, value, is_nan, ...] with steps that never fall
    are in (timestamp, step, value) order: timestamps rise, or never fall while steps rise."""
    stamps = cells[1::4]
    try:
        if all(map(lt, stamps, islice(stamps, 1, None))):
            return True
        steps = cells[0::4]
        return all(map(le, stamps, islice(stamps, 1, None))) and all(map(lt, steps, islice(steps, 1, None)))
    except TypeError:  # text where a number belongs: let SQLite order it
        return False


def _history(key: str, cells: list) -> tuple[MetricHistory, list]:
    """A history from flat cells [step, timestamp, value, is_nan, ...] in order, and the rows
    that are not a point. Typed arrays straight from the cells when every cell is what
    MLflow writes (C loops); else point by point, as MLflow's columns mean them."""
    steps, stamps, values, nans = cells[0::4], cells[1::4], cells[2::4], cells[3::4]
    if not any(nans):
        try:
            return MetricHistory(key, array("q", steps), array("q", stamps), array("d", values)), []
        except (TypeError, ValueError, OverflowError):
            pass  # SQLite keeps any value in any column (or a number beyond 64 bits)
    h, bad = MetricHistory(key), []
    for st, ts, val, is_nan in zip(steps, stamps, values, nans):
        try:
            point = (int(st or 0), int(ts), _NAN if is_nan else float(val))
        except (TypeError, ValueError, OverflowError):
            bad.append((st, ts, val))
            continue
        h.steps.append(point[0])
        h.timestamps.append(point[1])
        h.values.append(point[2])
    return h.compact(), bad


Histories = dict[str, dict[str, MetricHistory]]  # run id → key → history


def read_batch(path: str, ids: list[str], counts: dict[str, list]) -> tuple[Histories, list[str], dict]:
    """In a worker process: the histories of runs ``ids``, the warnings they raised, and each
    run's metric counts as ``sqlitedelta`` counts them, from the rows read (``counts``: what
    the reader counted of these runs already, if anything, to size its query)."""
    conn = _connect_readonly(Path(path))
    try:
        conn.execute("BEGIN")
        reader = SqlReader(conn, _Schema.of_sqlite(conn), pause=lambda: None)
        reader.counts = counts
        runs = [Run(run_id=rid, experiment_id="") for rid in ids]
        counted = reader._load(runs, count=True)
        return {r.run_id: r.metrics for r in runs}, reader.warnings, counted
    finally:
        conn.close()
