"""What each kind of page needs made, for the pipeline (``sitegen.builder.pipeline``): stale
pages removed, a run's page (artifacts copied here, charts, page and run.json by a worker),
an experiment's page with its comparison charts, and the registry's pages."""

from __future__ import annotations

import copy
from concurrent.futures import FIRST_COMPLETED, Future, wait
from typing import Callable

from sitegen import artifacts, charts
from sitegen.builder import topruns, worker
from sitegen.builder.result import BuildResult
from sitegen.builder.tree import groups
from sitegen.charts import compare
from sitegen.entities import Experiment, Run, Store
from sitegen.entities.budget import DEFAULT_POINTS, HistoryBudget, points
from sitegen.render import rundata, series, urls
from sitegen.render.pages import Pages, RunRows
from sitegen.writer import SiteWriter

# The static runs table (no JavaScript) shows this many runs; the live table shows them all.
STATIC_RUNS = 100
CHUNK_RUNS = 32  # runs whose histories are read at a time, when they must be read for drawing
# Points that runs handed to workers but not drawn yet may hold (their jobs keep them alive)
IN_FLIGHT_POINTS = DEFAULT_POINTS // 4


def remove_stale(writer: SiteWriter, store: Store) -> None:
    """Drop pages of experiments and runs that are gone (deleted, or no longer shown)."""
    exp_root = writer.root / urls.EXPERIMENTS
    if not exp_root.is_dir():
        return
    live = {e.experiment_id: {r.run_id for r in e.runs} for e in store.experiments}
    for exp_dir in exp_root.iterdir():
        if exp_dir.name not in live:
            writer.remove(urls.experiment_dir(exp_dir.name))
            continue
        runs_dir = urls.runs_dir(exp_dir.name)
        if (writer.root / runs_dir).is_dir():
            for rd in (writer.root / runs_dir).iterdir():
                if rd.name not in live[exp_dir.name] and rd.name not in store.unreadable_runs:
                    writer.remove(urls.run_dir(exp_dir.name, rd.name))


def registry_pages(store: Store, writer: SiteWriter, pages: Pages) -> int:
    """The model registry: a list page and a page per registered model (always remade: few)."""
    keep = {urls.registered_model_dir(m.name).split("/", 1)[1] for m in store.registered_models}
    models_root = writer.root / urls.REGISTERED_MODELS_DIR
    if models_root.is_dir():
        for entry in models_root.iterdir():
            if entry.is_dir() and entry.name not in keep:
                writer.remove(f"{urls.REGISTERED_MODELS_DIR}/{entry.name}")
    if not store.registered_models:
        if (writer.root / urls.REGISTERED_MODELS).exists():
            writer.remove(urls.REGISTERED_MODELS)
        return 0
    runs = store.run_by_id()
    logged = {m.model_id: m for m in store.logged_models()}
    writer.write_text(urls.REGISTERED_MODELS, pages.models(store.registered_models))
    for model in store.registered_models:
        writer.write_text(urls.registered_model_page(model.name), pages.model(model, runs, logged))
    return 1 + len(store.registered_models)


def run_page(
    run: Run,
    store: Store,
    rel,
    writer: SiteWriter,
    pages: Pages,
    pool,
    result: "BuildResult",
    prunes: list[str],
    model_versions: list,
    logged_models: list,
    fmt: str,
    history_csv: bool = False,
) -> list:
    """Copy the run's artifacts here; charts, page, run.json, series.js and history files are
    made by a worker (claimed here, so that what the run no longer needs is pruned)."""
    exp = next(e for e in store.experiments if e.experiment_id == run.experiment_id)
    base = urls.run_dir(run.experiment_id, run.run_id)
    out_dir = writer.stage(base)
    artifacts.attach_previews(run)
    result.artifacts += artifacts.copy_into_site(run, base, writer)
    for key, hist in run.metrics.items():
        if len(hist):
            writer.claim(urls.run_chart(run.experiment_id, run.run_id, key, fmt))
            if series.has_history(hist):  # a history file no longer needed is pruned
                writer.claim(urls.run_history(run.experiment_id, run.run_id, key))
            if history_csv:
                writer.claim(urls.run_history_csv(run.experiment_id, run.run_id, key))
    if any(map(len, run.metrics.values())):
        writer.claim(urls.run_series(run.experiment_id, run.run_id))
    writer.claim(urls.run_page(run.experiment_id, run.run_id))
    writer.claim(urls.run_json(run.experiment_id, run.run_id))
    prunes.append(base)
    result.pages += 1
    parent, children = rel[run.run_id]
    job = worker.RunJob(
        # a copy for the pool, which sends it later: the pipeline may sum this run up meanwhile
        copy.copy(run) if pool is not None else run,
        worker.experiment_stub(exp),
        worker.stub(parent) if parent else None,
        [worker.stub(c) for c in children],
        str(out_dir),
        model_versions,
        logged_models,
        fmt,
        history_csv,
    )
    if pool is None:
        done: Future = Future()
        done.set_result(worker.render_run(job, pages))
        return [done]
    return [pool.submit(worker.render_run, job)]


def run_pages(runs: list[Run], work, reader, budget: HistoryBudget, page: Callable[[Run], list]) -> list[Future]:
    """Each run to redo (``page``: :func:`run_page` for one run), a chunk at a time: its
    histories read (unless held since the store was read), the run handed to a worker, then
    its histories kept or summed up as the history budget allows. Waits while runs handed over
    but not drawn yet hold too many points. Returns the runs' futures (also in ``work.futures``)."""
    futures: list[Future] = []
    in_flight: dict[Future, int] = {}
    for i in range(0, len(runs), CHUNK_RUNS):
        chunk = runs[i : i + CHUNK_RUNS]
        reader.load_metrics([r for r in chunk if not r.metrics_complete])
        for run in chunk:
            made = page(run)
            futures += made
            work.futures += made
            in_flight[made[0]] = points(run)
            budget.hold(run)
        for f in [f for f in in_flight if f.done()]:
            del in_flight[f]
        while sum(in_flight.values()) > IN_FLIGHT_POINTS:
            for f in wait(in_flight, return_when=FIRST_COMPLETED)[0]:
                del in_flight[f]
    return futures


def experiment_page(
    exp: Experiment,
    rel,
    writer: SiteWriter,
    pages: Pages,
    pool,
    result: "BuildResult",
    prunes: list[str],
    comparisons: list,
    rows: RunRows,
    store_kind: str = "file",
    compare_metric: str | None = None,
    compare_order: str | None = None,
) -> list:
    """The experiment's page, its compare page, its data files (runs.js, runs.csv) and the
    comparison charts that cannot be kept."""
    eid = exp.experiment_id
    charts_dir = urls.experiment_charts_dir(eid)
    specs = compare.lay_out(comparisons, writer.stage(charts_dir))
    for c in comparisons:
        if c.bars is None:
            writer.claim(f"{charts_dir}/{c.file}")
    prunes.append(charts_dir)
    futures = charts.submit_charts(pool, specs) if specs else []
    top = topruns.choose(exp, compare_metric, compare_order)
    tbl = rundata.table(exp)  # sorted once for runs.js, runs.csv and the page's columns
    writer.write_text(urls.runs_data(eid), rundata.runs_js(exp, store_kind, top.data(), tbl))
    writer.write_text(urls.runs_csv(eid), rundata.runs_csv(exp, tbl))
    param_keys, metric_keys = tbl.params, tbl.metrics
    writer.write_text(
        urls.experiment_page(eid),
        pages.experiment(
            exp,
            static_groups(groups(exp, rel), STATIC_RUNS),
            param_keys,
            metric_keys,
            [c.context() for c in comparisons],
            rows,
            top,
            len(compare.chartable(exp)),
        ),
    )
    writer.write_text(urls.compare_page(eid), pages.compare(exp, top))
    result.pages += 2
    return futures


def static_groups(all_groups: list, limit: int) -> list:
    """The first groups of the runs table holding at most ``limit`` runs (at least one group)."""
    out, n = [], 0
    for g in all_groups:
        if out and n + len(g) > limit:
            break
        out.append(g)
        n += len(g)
    return out
