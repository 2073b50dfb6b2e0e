"""How many metric points a build holds as full histories at once.

A run's full histories are needed only to draw it (its charts, page, run.json and series.js)
and for the comparison charts it appears in; everything else a site shows of a run — runs
tables, runs.js, best runs, the manifest — needs only each metric's summary: its latest point
(MLflow's "latest": the max of step, timestamp, value), its last timestamp and its number of
points. Readers hold full histories while a :class:`HistoryBudget` allows and keep summaries
beyond it (``Run.metrics_complete`` False); the pipeline reads those runs' histories again, a
few runs at a time, when it draws them. A store that fits the budget is read once; a larger
one is read twice, within bounded memory.
"""

from __future__ import annotations

from sitegen.entities.metrics import MetricHistory
from sitegen.entities.runs import Run

# 4 million points are about 100 MB as typed arrays (8 bytes each for step, timestamp, value).
DEFAULT_POINTS = 4_000_000


def summaries(metrics: dict[str, MetricHistory]) -> dict[str, MetricHistory]:
    """Each history's stand-in: its latest point, last timestamp and number of points (an
    empty history stays empty)."""
    out = {}
    for key, h in metrics.items():
        p = h.latest
        out[key] = (
            MetricHistory(key)
            if p is None
            else MetricHistory.latest_only(key, p.step, p.timestamp, p.value, h.last_timestamp, h.count)
        )
    return out


def points(run: Run) -> int:
    """Points the run's histories hold in memory now."""
    return sum(map(len, run.metrics.values()))


class HistoryBudget:
    """Metric points left to hold as full histories (``points``: the budget; None: no limit)."""

    def __init__(self, points: int | None = DEFAULT_POINTS):
        self.left = points
        self._held: set[str] = set()  # runs counted already

    def hold(self, run: Run) -> bool:
        """Keep the run's full histories if the budget allows (True); else replace them with
        their summaries and mark them incomplete (False). A run already incomplete is left
        as it is; a run already held stays held."""
        if not run.metrics_complete or self.left is None or run.run_id in self._held:
            return run.metrics_complete
        n = points(run)
        if n <= self.left:
            self.left -= n
            self._held.add(run.run_id)
            return True
        run.metrics = summaries(run.metrics)
        run.metrics_complete = False
        return False
