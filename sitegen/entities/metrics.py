"""Metric histories, as MLflow's client returns them (``get_metric_history``): per key, points
of (step, timestamp in ms since the epoch, value), value a float that may be NaN or ±inf."""

from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from typing import NamedTuple

# SQL stores keep ±inf clamped to ±DBL_MAX (MLflow's ``sqlalchemy_store`` clamps on insert,
# and its client returns the clamped number). Everything a page derives from values treats
# them as the infinities they were logged as, whatever the store kind.
INF_LIMIT = 1.7976931348623157e308


class MetricPoint(NamedTuple):
    step: int
    timestamp: int
    value: float


@dataclass(slots=True)
class MetricHistory:
    """One metric's full history, stored column-wise in logged order (cheap to build in bulk)."""

    key: str
    steps: list[int] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    _latest: "MetricPoint | None" = field(default=None, init=False, repr=False, compare=False)
    _range: "tuple | None" = field(default=None, init=False, repr=False, compare=False)
    _last: "tuple | None" = field(default=None, init=False, repr=False, compare=False)
    _count: "int | None" = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_points(cls, key: str, points) -> "MetricHistory":
        h = cls(key)
        for p in points:
            h.steps.append(p[0])
            h.timestamps.append(p[1])
            h.values.append(p[2])
        return h

    @classmethod
    def latest_only(
        cls, key: str, step: int, timestamp: int, value: float, last_timestamp: int | None = None, count: int = 1
    ) -> "MetricHistory":
        """A stand-in for a history of which only the latest point is known (and the time
        of its last point, which may be later when a lower step was logged last, and how
        many points the full history has)."""
        h = cls(key, [step], [timestamp], [value])
        if last_timestamp is not None and last_timestamp > timestamp:
            h._last = (step, last_timestamp)
        if count > 1:
            h._count = count
        return h

    def compact(self) -> "MetricHistory":
        """Hold the columns as typed arrays: a third of the memory of lists of Python numbers,
        and cheap to send to worker processes. Readers call it once a history is complete; a
        history with a step or timestamp beyond 64 bits stays as lists."""
        try:
            columns = (array("q", self.steps), array("q", self.timestamps), array("d", self.values))
        except (OverflowError, TypeError, ValueError):
            return self
        self.steps, self.timestamps, self.values = columns
        return self

    def __len__(self) -> int:
        return len(self.values)

    @property
    def count(self) -> int:
        """Points in the full history (also for a stand-in holding only the latest point)."""
        return self._count if self._count is not None else len(self.values)

    @property
    def points(self) -> list[MetricPoint]:
        return [MetricPoint(s, t, v) for s, t, v in zip(self.steps, self.timestamps, self.values)]

    @property
    def latest(self) -> MetricPoint | None:
        """The point MLflow calls "latest": the max of (step, timestamp, value)."""
        if self._latest is None and self.values:
            steps = self.steps
            top = max(steps)
            if steps.count(top) == 1:  # the usual case, found without a Python loop
                i = steps.index(top)
            else:
                i = max(
                    (j for j, s in enumerate(steps) if s == top),
                    key=lambda j: (self.timestamps[j], sort_value(self.values[j])),
                )
            self._latest = MetricPoint(self.steps[i], self.timestamps[i], self.values[i])
        return self._latest

    def _stats(self) -> tuple:
        """(min, max, non-finite count) over the finite values, computed once. NaN, ±inf
        and SQL stores' clamped ±inf all count as non-finite, as charts draw them."""
        if self._range is None:
            values = self.values
            if all(map(math.isfinite, values)) and (
                not values or (min(values) > -INF_LIMIT and max(values) < INF_LIMIT)
            ):
                finite, bad = values, 0
            else:
                finite = [v for v in values if -INF_LIMIT < v < INF_LIMIT]
                bad = len(self.values) - len(finite)
            self._range = (min(finite, default=None), max(finite, default=None), bad)
        return self._range

    @property
    def min(self) -> float | None:
        return self._stats()[0]

    @property
    def max(self) -> float | None:
        return self._stats()[1]

    def _lasts(self) -> tuple:
        """(largest step, latest timestamp), computed once."""
        if self._last is None:
            self._last = (max(self.steps, default=None), max(self.timestamps, default=None))
        return self._last

    @property
    def last_step(self) -> int | None:
        return self._lasts()[0]

    @property
    def last_timestamp(self) -> int | None:
        return self._lasts()[1]

    @property
    def non_finite_count(self) -> int:
        return self._stats()[2]


def sort_value(v: float) -> float:
    # MLflow compares NaN as larger than everything when picking the latest point.
    return math.inf if math.isnan(v) else v
