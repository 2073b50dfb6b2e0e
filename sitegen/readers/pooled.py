"""Reading handed to the worker pool a first build lends its reader: the file store's metric
files (``filemetrics``, a run folder a task) and SQLite histories (``sqlhistories``, a batch of
runs a task, each on its own read-only connection). Results are taken in the order the tasks
were handed over, with at most ``limit`` in transit (it bounds the histories in memory)."""

from __future__ import annotations

from collections import deque
from typing import Callable


class InOrder:
    """Tasks ``fn(*args)`` run in ``pool``; ``done(key, result)`` gets each result in the order
    the tasks were added. A task that fails (the pool broke: a worker killed?) is redone here
    by ``fallback(key)``."""

    def __init__(self, pool, limit: int, done: Callable, fallback: Callable):
        self.pool, self.limit, self.done, self.fallback = pool, limit, done, fallback
        self._pending: deque = deque()

    def add(self, key, fn: Callable, *args) -> None:
        if len(self._pending) >= self.limit:
            self._collect()
        self._pending.append((key, self.pool.submit(fn, *args)))

    def finish(self) -> None:
        """Wait for every task added."""
        while self._pending:
            self._collect()

    def _collect(self) -> None:
        key, future = self._pending.popleft()
        try:
            result = future.result()
        except Exception:
            self.fallback(key)
            return
        self.done(key, result)
