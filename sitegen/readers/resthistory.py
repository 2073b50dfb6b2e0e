"""Full metric histories through a tracking server: per run and key, or many runs per request.

``GET api/2.0/mlflow/metrics/get-history`` (what MLflow's client calls, one run and key, paged)
returns the points in the order the server's store keeps them: a file store in logged order, a
SQL store in the database's order before MLflow 3.8 and sorted by (timestamp, step, value) since.
``GET ajax-api/2.0/mlflow/metrics/get-history-bulk`` (MLflow 2.x+, up to 100 runs of one key,
at most 25,000 points, no paging) always sorts by run id, then timestamp, step and value. So
the bulk answer is what the client gets only from a SQL store of MLflow 3.8 or newer; servers
say which store they have since 3.9 (``server-info``). Only those are read in bulk; every other
server is read per run and key, exactly as before.
"""

from __future__ import annotations

import math
from collections import defaultdict

from sitegen.entities import MetricHistory, Run
from sitegen.errors import StoreError
from sitegen.readers.resthttp import HttpClient, HttpError

BULK_PATH = "ajax-api/2.0/mlflow/metrics/get-history-bulk"
BULK_MAX = 25000  # points in one bulk answer: the server's cap (MLflow 2.x–3.x)
BULK_RUNS = 100  # run ids in one bulk request: the server's cap
QUERY_BUDGET = 3500  # characters of query string (gunicorn reads request lines up to 4094)
PAGE = 25000  # points in one page of get-history


def num(v) -> float:
    return float(v)  # "NaN", "Infinity", "-Infinity" and numbers alike


def per_run(http: HttpClient, run_id: str, key: str) -> MetricHistory:
    h = MetricHistory(key)
    for m in http.pages(
        "GET", "metrics/get-history", "metrics", {"run_id": run_id, "metric_key": key, "max_results": PAGE}
    ):
        h.steps.append(int(m.get("step", 0)))
        h.timestamps.append(int(m.get("timestamp", 0)))
        h.values.append(num(m.get("value", "NaN")))
    return h.compact()


def bulk_orders_like_client(http: HttpClient) -> bool:
    """True when the server says it keeps runs in a SQL store (MLflow 3.9+): then its bulk
    answers have the order MLflow's client gets from get-history."""
    for path in ("api/3.0/mlflow/server-info", "server-info"):  # 3.10+, 3.9
        try:
            info = http.request("GET", path)
        except (HttpError, StoreError, ValueError):
            continue
        if isinstance(info, dict) and "store_type" in info:
            return info["store_type"] == "SqlStore"
    return False


class Histories:
    """Loads full histories for (run, key) jobs, in bulk where the server allows it."""

    def __init__(self, http: HttpClient, pool, bulk: bool):
        self.http, self.pool, self.bulk = http, pool, bulk
        self.requests = {"bulk": 0, "per_run": 0}  # requests sent, for tests and benchmarks

    def load(self, jobs: list[tuple[Run, str, tuple | None]]) -> dict[tuple[str, str], MetricHistory]:
        """``jobs``: (run, key, latest point from the run search as (step, timestamp, value) or None)."""
        out: dict[tuple[str, str], MetricHistory] = {}
        single = [(run.run_id, key) for run, key, _ in jobs]
        if self.bulk and jobs:
            single = []
            for done, rest, sent in self.pool.map(self._batch, list(self._batches(jobs))):
                out.update(done)
                single += rest
                self.requests["bulk"] += sent
        hists = list(self.pool.map(lambda job: per_run(self.http, *job), single))
        self.requests["per_run"] += len(single)
        out.update(zip(single, hists))
        return out

    @staticmethod
    def _batches(jobs):
        """Per key, runs packed so that a request stays under the server's caps: point counts are
        guessed from the latest step (right for steps 0..n); a wrong guess costs a request more."""
        by_key = defaultdict(list)
        for run, key, latest in jobs:
            guess = min(max(int(latest[0]) + 1, 1), BULK_MAX) if latest else 1
            by_key[key].append((run.run_id, guess, latest))
        for key, runs in by_key.items():
            batch, points, chars = [], 0, len(key) + 40
            for item in runs:
                if batch and (
                    len(batch) == BULK_RUNS or points + item[1] >= BULK_MAX or chars + len(item[0]) + 8 > QUERY_BUDGET
                ):
                    yield key, batch
                    batch, points, chars = [], 0, len(key) + 40
                batch.append(item)
                points += item[1]
                chars += len(item[0]) + 8
            if batch:
                yield key, batch

    def _batch(self, job):
        """One key's batch: (histories, (run_id, key) left to read per run, requests sent)."""
        key, items = job
        latest = {rid: pt for rid, _, pt in items}
        pending = [rid for rid, _, _ in items]
        done: dict[tuple[str, str], MetricHistory] = {}
        rest: list[tuple[str, str]] = []
        sent = 0
        while pending:
            sent += 1
            try:
                points = self.http.request(
                    "GET",
                    BULK_PATH,
                    params=[("metric_key", key), *(("run_id", rid) for rid in pending), ("max_results", BULK_MAX)],
                ).get("metrics", [])
                last = points[-1].get("run_id") if points else None
            except (HttpError, ValueError, AttributeError):
                self.bulk = False  # not served here after all (a proxy in front, say): per run
                return done, rest + [(rid, key) for rid in pending], sent
            got: dict[str, MetricHistory] = {}
            for m in points:
                h = got.get(m.get("run_id"))
                if h is None:
                    h = got[m.get("run_id")] = MetricHistory(key)
                h.steps.append(int(m.get("step", 0)))
                h.timestamps.append(int(m.get("timestamp", 0)))
                h.values.append(num(m.get("value", "NaN")))
            if len(points) < BULK_MAX:
                complete = pending
            elif last not in pending:  # not an answer to this request: read these per run
                return done, rest + [(rid, key) for rid in pending], sent
            else:  # cut off: the last run in the answer may be partial, later ones missing
                complete = [rid for rid in pending if rid in got and rid != last]
                if not complete:  # one run with more points than an answer holds
                    rest.append((last, key))
                    pending = [rid for rid in pending if rid != last]
                    continue
            for rid in complete:
                h = got.get(rid, MetricHistory(key))
                if _has(h, latest[rid]):
                    done[(rid, key)] = h.compact()
                else:  # not what the run search said: read it the client's way
                    rest.append((rid, key))
            finished = set(complete)
            pending = [rid for rid in pending if rid not in finished]
        return done, rest, sent


def _has(h: MetricHistory, point: tuple | None) -> bool:
    """Whether the history holds the run's latest point (a check against a cut-off answer)."""
    if point is None:
        return True
    step, ts, value = point
    nan = math.isnan(value)
    for i in range(len(h.steps) - 1, -1, -1):  # the latest point is usually near the end
        if h.steps[i] == step and h.timestamps[i] == ts:
            v = h.values[i]
            if v == value or (nan and math.isnan(v)):
                return True
    return False
