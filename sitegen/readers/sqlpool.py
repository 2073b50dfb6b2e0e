"""A first build's SQLite histories read by the worker pool the pipeline lends (as the file
store's metric files are, ``filemetrics``): each task (``sqlhistories.read_batch``) opens the
store read-only on its own connection, reads one batch of runs' histories in one short read
transaction and returns them as typed arrays with their warnings and counts. The reader
collects them in order, at most ``MAX_PENDING`` batches in transit."""

from __future__ import annotations

from collections import deque
from typing import Callable

MAX_PENDING = 8  # batches (about 25,000 points each) handed over and not collected yet


class PooledBatches:
    """Hands batches of run ids to ``pool``; ``done(ids, histories, warnings, counts)`` gets
    each in the order handed over. A batch whose task fails is read by ``fallback(ids)``."""

    def __init__(self, pool, task: Callable, path: str, done: Callable, fallback: Callable):
        self.pool, self.task, self.path, self.done, self.fallback = pool, task, path, done, fallback
        self._pending: deque = deque()

    def add(self, ids: list[str], counts: dict[str, list]) -> None:
        if len(self._pending) >= MAX_PENDING:
            self._collect()
        self._pending.append((ids, self.pool.submit(self.task, self.path, ids, counts)))

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
