"""A file store's metric files: ``<run>/metrics/<key>`` (keys with '/' are nested folders), one
"<timestamp ms> <value> <step>" line per point, as MLflow's ``FileStore`` appends them (older
files have no step; 3.x may add the dataset's name and digest after it).

A first build parses every run's files: :class:`MetricFiles` can hand that to a worker pool the
pipeline lends (a run folder a task), so that parsing runs beside the rest of the reading
instead of before it; histories come back as typed arrays, cheap to send.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from sitegen.entities import MetricHistory, Run
from sitegen.readers.filemeta import Warn, complete_lines, metric_files
from sitegen.readers.pooled import InOrder

# Run folders handed to the pool and not yet collected: bounds the histories in transit.
MAX_PENDING = 64


def read_metrics(folder: Path, warn: Warn) -> dict[str, MetricHistory]:
    """Every metric history in a run's ``metrics`` folder, by key (sorted)."""
    out = {key: parse_metric_lines(key, data, path, warn) for key, data, path in metric_files(folder, warn)}
    return dict(sorted(out.items()))


def parse_metric_lines(key: str, data: bytes, path: Path | str = "", warn=None) -> MetricHistory:
    """Parse "<timestamp> <value> [<step>]" lines; a trailing partial line is ignored."""
    hist = MetricHistory(key)
    if not data:
        return hist
    complete = complete_lines(data)  # being appended to right now: only complete lines count
    if len(complete) != len(data) and warn:
        warn(
            path,
            f"the last line has no line end ({data[len(complete) :][:60]!r}: being written?); "
            "left out until it is complete",
        )
    data = complete
    lines = data.splitlines()
    fields = data.split()
    if len(fields) == 3 * len(lines):
        try:  # fast path: every line has three fields
            hist.timestamps = list(map(int, fields[0::3]))
            hist.values = list(map(float, fields[1::3]))
            hist.steps = list(map(int, fields[2::3]))
            return hist.compact()
        except ValueError:
            hist = MetricHistory(key)
    for lineno, line in enumerate(lines, 1):
        parts = line.split()
        if not parts:
            continue
        try:
            if len(parts) >= 3:  # 3.x may add the dataset (name, digest) after the step
                ts, value, step = int(parts[0]), float(parts[1]), int(parts[2])
            elif len(parts) == 2:  # very old files: no step
                ts, value, step = int(parts[0]), float(parts[1]), 0
            else:
                raise ValueError("expected 'timestamp value step'")
        except ValueError:
            if warn:
                warn(path, f"line {lineno} is not a metric point ({line[:60]!r}); this point is left out")
            continue
        hist.timestamps.append(ts)
        hist.values.append(value)
        hist.steps.append(step)
    return hist.compact()


def _task(folder: str) -> tuple[dict[str, MetricHistory], list[str]]:
    """In a worker process: one run folder's histories and the warnings they raised."""
    warnings: list[str] = []
    return read_metrics(Path(folder), Warn(warnings)), warnings


class MetricFiles:
    """Parses runs' metric folders, in this process or in ``pool``; ``done(run, metrics,
    warnings)`` gets each run's histories, in the order the runs were handed over."""

    def __init__(self, pool, done: Callable[[Run, dict, list[str]], None]):
        self.done = done
        self._pooled = None if pool is None else InOrder(pool, MAX_PENDING, self._done, self._here)

    def read(self, run: Run, folder: Path) -> None:
        if self._pooled is None:
            self._here((run, folder))
        else:
            self._pooled.add((run, folder), _task, str(folder))

    def finish(self) -> None:
        """Wait for every run handed to the pool."""
        if self._pooled is not None:
            self._pooled.finish()

    def _done(self, key: tuple[Run, Path], result: tuple[dict, list[str]]) -> None:
        self.done(key[0], *result)

    def _here(self, key: tuple[Run, Path]) -> None:
        warnings: list[str] = []
        self.done(key[0], read_metrics(key[1], Warn(warnings)), warnings)
