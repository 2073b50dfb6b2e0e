"""A build holds at most a budget of metric points as full histories (sitegen.entities.budget):
beyond it, runs are summed up and their histories read again, a chunk at a time, when they are
drawn. The site must not depend on the budget: built with a budget of one point (every run read
twice, in chunks, in worker processes and in-process), every file is byte-identical."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from sitegen import BuildOptions
from sitegen.builder.pipeline import SiteBuilder
from sitegen.entities.budget import HistoryBudget, summaries
from sitegen.entities.metrics import MetricHistory
from sitegen.entities.runs import Run
from sitegen.readers import get_reader
from sitegen.writer import MARKER

HERE = Path(__file__).parent
STORES = {
    "sample": (HERE.parent / "sample_mlruns", "{d}"),
    "file-3.17.2": (HERE / "corpus" / "3.17.2" / "file" / "mlruns", "{d}"),
    "sqlite-3.17.2": (HERE / "corpus" / "3.17.2" / "sqlite", "sqlite:///{d}/mlflow.db"),
}


def _files(site: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(site)): p.read_bytes() for p in sorted(site.rglob("*")) if p.is_file() and p.name != MARKER
    }


def _build(store: str, out: Path, budget: int | None, jobs: int) -> None:
    with SiteBuilder(BuildOptions(store=store, out=str(out), jobs=jobs, include_deleted=True)) as builder:
        builder.history_budget = budget
        builder.build()


@pytest.mark.parametrize("name", sorted(STORES))
def test_a_tiny_budget_builds_the_same_site(tmp_path, name):
    src, uri = STORES[name]
    copy = tmp_path / "store"
    shutil.copytree(src, copy)
    store = uri.format(d=copy)
    _build(store, tmp_path / "unlimited", None, jobs=1)
    expected = _files(tmp_path / "unlimited")
    assert any(k.endswith("series.js") for k in expected)  # histories were drawn
    for jobs in (1, 2):
        _build(store, tmp_path / f"tiny-{jobs}", 1, jobs=jobs)
        got = _files(tmp_path / f"tiny-{jobs}")
        assert got.keys() == expected.keys()
        assert [k for k in expected if got[k] != expected[k]] == []


@pytest.mark.parametrize("name", ["sample", "sqlite-3.17.2"])
def test_a_reader_holds_no_more_than_its_budget(tmp_path, name):
    src, uri = STORES[name]
    shutil.copytree(src, tmp_path / "store")
    reader = get_reader(uri.format(d=tmp_path / "store"))
    limit = 100 if name == "sample" else 20
    budget = reader.budget = HistoryBudget(limit)
    store = reader.read()
    runs = [r for e in store.experiments for r in e.runs]
    held = [r for r in runs if r.metrics_complete]
    summed = [r for r in runs if not r.metrics_complete]
    assert held and summed  # the store holds more points than the budget
    assert sum(len(h) for r in held for h in r.metrics.values()) == limit - budget.left
    assert all(len(h) <= 1 for r in summed for h in r.metrics.values())
    full = {r.run_id: {k: list(h.points) for k, h in r.metrics.items()} for r in summed}
    latest = {r.run_id: {k: h.latest for k, h in r.metrics.items()} for r in summed}
    reader.load_metrics(summed)
    assert all(r.metrics_complete for r in summed)
    for r in summed:  # read again: the summary was each history's latest point
        assert {k: h.latest for k, h in r.metrics.items()} == latest[r.run_id]
        assert all(len(r.metrics[k]) >= len(full[r.run_id][k]) for k in full[r.run_id])


def test_summaries_keep_latest_point_last_time_and_count():
    h = MetricHistory.from_points("loss", [(0, 10, 1.0), (5, 20, 0.5), (3, 30, float("nan"))])
    s = summaries({"loss": h, "empty": MetricHistory("empty")})
    assert s["loss"].latest == h.latest and s["loss"].latest.step == 5
    assert (s["loss"].last_timestamp, s["loss"].count, len(s["loss"])) == (30, 3, 1)
    assert len(s["empty"]) == 0 and s["empty"].count == 0


def test_a_run_held_once_is_counted_once():
    run = Run(run_id="r", experiment_id="0", metrics={"m": MetricHistory.from_points("m", [(0, 1, 1.0)] * 3)})
    budget = HistoryBudget(4)
    assert budget.hold(run) and budget.hold(run) and budget.left == 1
    other = Run(run_id="s", experiment_id="0", metrics={"m": MetricHistory.from_points("m", [(0, 1, 1.0)] * 2)})
    assert not budget.hold(other) and not other.metrics_complete and len(other.metrics["m"]) == 1


def _with_a_damaged_point(tmp_path: Path, name: str) -> str:
    """A copy of store ``name`` with one metric point that is not a point (a garbage line in a
    metric file; text in a metrics row's value): the copy's URI."""
    src, uri = STORES[name]
    store = tmp_path / "store"
    shutil.copytree(src, store)
    if name == "sample":
        metric = next(p for p in sorted(store.glob("*/*/metrics/*")) if p.is_file())
        with open(metric, "ab") as f:
            f.write(b"not a point\n")
    else:
        import sqlite3

        with sqlite3.connect(store / "mlflow.db") as conn:
            run_id, key = conn.execute("SELECT run_uuid, key FROM metrics LIMIT 1").fetchone()
            conn.execute(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, 'x', 5, ?, 9, 0)",
                (key, run_id),
            )
        conn.close()
    return uri.format(d=store)


@pytest.mark.parametrize("name", ["sample", "sqlite-3.17.2"])
def test_histories_read_by_the_workers_give_the_same_site_and_warnings(tmp_path, name):
    """A first build with worker processes has them parse metric files (filemetrics) or read
    SQLite histories (readers.pooled): same histories, same warnings (a damaged point) and the same
    fingerprints (the next build finds nothing changed) as reading in the building process."""
    uri = _with_a_damaged_point(tmp_path, name)
    results = {}
    for jobs in (1, 2):
        options = BuildOptions(store=uri, out=str(tmp_path / f"site-{jobs}"), jobs=jobs)
        with SiteBuilder(options) as builder:
            results[jobs] = builder.build()
        with SiteBuilder(options) as builder:
            assert builder.build().runs_rendered == 0
    assert any("not a point" in w for w in results[1].warnings)
    assert sorted(results[1].warnings) == sorted(results[2].warnings)
    assert _files(tmp_path / "site-1") == _files(tmp_path / "site-2")


@pytest.mark.parametrize("name", ["sample", "sqlite-3.17.2"])
def test_a_tiny_budget_reports_each_damaged_point_once(tmp_path, name):
    """Runs summed up by the budget are read again only to be drawn: their warnings are not
    repeated (SQLite read them twice while counting, before)."""
    uri = _with_a_damaged_point(tmp_path, name)
    warnings = {}
    for budget in (None, 1):
        with SiteBuilder(BuildOptions(store=uri, out=str(tmp_path / f"s{budget}"), jobs=1)) as b:
            b.history_budget = budget
            warnings[budget] = b.build().warnings
    assert sum("not a point" in w for w in warnings[None]) == 1
    assert sorted(warnings[1]) == sorted(warnings[None])
