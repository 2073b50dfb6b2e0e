"""Bulk history reads against a stand-in for the two endpoints (the real ones: test_rest.py)."""

import random
from concurrent.futures import ThreadPoolExecutor

import pytest

from sitegen.entities import Run
from sitegen.readers import resthistory
from sitegen.readers.resthistory import Histories
from sitegen.readers.resthttp import HttpError


class FakeServer:
    """get-history answers points in stored order; get-history-bulk sorts by run id, timestamp,
    step, value and cuts at ``cap`` (MLflow's handler), or answers 404."""

    def __init__(self, histories: dict, cap: int = 25000, bulk: bool = True):
        self.histories, self.cap, self.bulk = histories, cap, bulk

    def request(self, method, path, params=None, **_):
        assert path == resthistory.BULK_PATH
        if not self.bulk:
            raise HttpError(404, "not found")
        params = list(params)
        key = dict(params)["metric_key"]
        runs = sorted(v for k, v in params if k == "run_id")
        assert len(runs) <= resthistory.BULK_RUNS
        limit = min(int(dict(params)["max_results"]), self.cap)
        out = [
            {"run_id": rid, "key": key, "step": s, "timestamp": t, "value": v}
            for rid in runs
            for t, s, v in sorted((t, s, v) for s, t, v in self.histories.get((rid, key), []))
        ]
        return {"metrics": out[:limit]}

    def pages(self, method, endpoint, key, body):
        assert endpoint == "metrics/get-history"
        for s, t, v in self.histories.get((body["run_id"], body["metric_key"]), []):
            yield {"step": s, "timestamp": t, "value": v}


def _jobs(histories: dict) -> list:
    runs = {}
    jobs = []
    for (rid, key), points in histories.items():
        run = runs.setdefault(rid, Run(run_id=rid, experiment_id="1"))
        jobs.append((run, key, max(points)))  # the run search's latest: largest (step, timestamp, value)
    return jobs


def _sorted_histories(n_runs: int, rng: random.Random) -> dict:
    """Histories already in (timestamp, step, value) order: what a SQL store's server gives."""
    out = {}
    for r in range(n_runs):
        for key in ("loss", "acc"):
            n = rng.choice([1, 3, 17, 40])
            pts = sorted((rng.randrange(5), rng.randrange(100), rng.random()) for _ in range(n))
            out[(f"{r:032x}", key)] = [(s, t, v) for t, s, v in pts]
    return out


def _load(server, jobs, bulk=True):
    with ThreadPoolExecutor(4) as pool:
        h = Histories(server, pool, bulk)
        got = h.load(jobs)
    return {k: list(zip(v.steps, v.timestamps, v.values)) for k, v in got.items()}, h


@pytest.mark.parametrize("cap", [25000, 30, 7])
def test_bulk_reads_give_every_history_whatever_the_cut(monkeypatch, cap):
    monkeypatch.setattr(resthistory, "BULK_MAX", cap)
    histories = _sorted_histories(150, random.Random(cap))
    got, h = _load(FakeServer(histories), _jobs(histories))
    assert got == histories
    assert h.requests["per_run"] == sum(len(p) >= cap for p in histories.values())
    assert h.requests["bulk"] < len(histories)


def test_no_bulk_endpoint_means_per_run():
    histories = _sorted_histories(5, random.Random(1))
    got, h = _load(FakeServer(histories, bulk=False), _jobs(histories))
    assert got == histories and not h.bulk
    assert h.requests["per_run"] == len(histories)


def test_an_answer_cut_below_the_known_cap_is_caught():
    """A server cutting answers shorter than 25,000 points: a run whose latest point is missing
    is read per run (steps that grow with time: the cut takes the latest point away)."""
    histories = {(f"{r:032x}", "loss"): [(i, 1000 + i, i / 10) for i in range(r % 7 + 1)] for r in range(20)}
    got, h = _load(FakeServer(histories, cap=10), _jobs(histories))
    assert got == histories
    assert h.requests["per_run"] > 0
