"""Metric histories of MLflow's SQL entity store (``sqlstore.SqlReader`` reads them through
``SqlHistories``): every history in batches of runs through the ``run_uuid`` index, so the
number of queries does not grow with the number of runs and a batch costs what its rows
cost, not a scan of the table. A history batch and its row counts are read in one
transaction, so they always agree. A first build's batches may be read by worker processes
(``pooled``), each running ``read_batch``."""

from __future__ import annotations

from array import array
from itertools import chain, islice
from operator import le, lt
from pathlib import Path

from sitegen.entities import MetricHistory, Run
from sitegen.entities.budget import HistoryBudget
from sitegen.readers import sqlitedelta
from sitegen.readers.pooled import InOrder
from sitegen.readers.sqlschema import _connect_readonly, _Schema

# Metric points read per query (runs are batched by their counted points; a run with more
# is read alone), and at most this many run ids per query.
BATCH_ROWS = 25_000
BATCH_RUNS = 500
POOLED_BATCHES = 8  # batches handed to the worker pool and not collected yet


class SqlHistories:
    """Full metric histories read with dialect-neutral SQL over a DB-API connection (the
    faster read on SQLite); ``SqlReader`` adds the rest of the store."""

    def __init__(self, conn, schema: _Schema, pause=None):
        self.conn, self.s = conn, schema
        self.warnings: list[str] = []  # the store's, once read() starts
        self.counts: dict[str, list] = {}
        # SQLite only: called between batches of rows (it may end the read transaction and
        # begin another). It also selects the faster history read, which relies on SQLite's
        # ordering and grouping agreeing (see _read_batch).
        self.pause = pause
        self.budget = HistoryBudget(None)  # full histories held while read() goes; summaries beyond
        # SQLite only: worker processes a first build lends, and the store's path for them
        self.pool: object | None = None
        self.path: str | None = None
        self.release = self.resume = None  # end / begin the read transaction

    def load_metrics(self, runs: list[Run]) -> None:
        """Full histories of ``runs``, in batches of runs (about ``BATCH_ROWS`` points by the
        counts read, at most ``BATCH_RUNS`` runs): each batch is read through the run_uuid
        index, never by a scan of the whole table."""
        self._load(runs)

    def _load(self, runs: list[Run], count: bool = False, hold: bool = False, pooled: bool = False) -> dict:
        """Read histories; with ``count``, also return each run's metric counts as
        ``sqlitedelta`` counts them (points, last timestamp), taken from the rows read; with
        ``hold``, keep them only as the history budget allows (else their summaries); with
        ``pooled``, batches are read by the worker pool (``pooled``)."""
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
        """``_load`` by the worker pool (``pooled``): the same histories, warnings and counts."""
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

        batches = InOrder(self.pool, POOLED_BATCHES, lambda ids, result: done(ids, *result), fallback)
        if self.release is not None:  # the workers read in their own transactions: hold no lock meanwhile
            self.release()
        try:
            for ids in self._batches(sorted(by_id), seen):
                batches.add(ids, read_batch, self.path, ids, {r: self.counts[r] for r in ids if r in self.counts})
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
        reader = SqlHistories(conn, _Schema.of_sqlite(conn), pause=lambda: None)
        reader.counts = counts
        runs = [Run(run_id=rid, experiment_id="") for rid in ids]
        counted = reader._load(runs, count=True)
        return {r.run_id: r.metrics for r in runs}, reader.warnings, counted
    finally:
        conn.close()
