"""A first build's SQLite histories read by the worker pool the pipeline lends (as the file
store's metric files are, ``filemetrics``): each task opens the store read-only on its own
connection, reads one batch of runs' histories in one short read transaction (as the reader
itself would, ``SqlReader._read_batch``) and returns them as typed arrays with their warnings.
The reader collects them in order, at most ``MAX_PENDING`` batches in transit."""

from __future__ import annotations

from collections import deque
from pathlib import Path
from typing import Callable

from sitegen.entities import MetricHistory, Run

MAX_PENDING = 8  # batches (about 25,000 points each) handed over and not collected yet


Histories = dict[str, dict[str, MetricHistory]]  # run id → key → history


def read_batch(path: str, ids: list[str], counts: dict[str, list]) -> tuple[Histories, list[str], dict]:
    """In a worker process: the histories of runs ``ids``, the warnings they raised, and each
    run's metric counts as ``sqlitedelta`` counts them, from the rows read (``counts``: what
    the reader counted of these runs already, if anything, to size its query)."""
    from sitegen.readers.sqlstore import SqlReader, _connect_readonly, _Schema

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


class PooledBatches:
    """Hands batches of run ids to ``pool``; ``done(ids, histories, warnings, counts)`` gets
    each in the order handed over. A batch whose task fails is read by ``fallback(ids)``."""

    def __init__(self, pool, path: str, done: Callable, fallback: Callable):
        self.pool, self.path, self.done, self.fallback = pool, path, done, fallback
        self._pending: deque = deque()

    def add(self, ids: list[str], counts: dict[str, list]) -> None:
        if len(self._pending) >= MAX_PENDING:
            self._collect()
        self._pending.append((ids, self.pool.submit(read_batch, self.path, ids, counts)))

    def finish(self) -> None:
        while self._pending:
            self._collect()

    def _collect(self) -> None:
        ids, future = self._pending.popleft()
        try:
            histories, warnings, counts = future.result()
        except Exception:  # the pool broke (a worker killed?): read the batch here
            self.fallback(ids)
            return
        self.done(ids, histories, warnings, counts)
