"""What each kind of page needs made, for the pipeline (``sitegen.builder.pipeline``): stale
pages removed, a run's page (artifacts copied here, charts, page and run.json by a worker),
an experiment's page with its comparison charts, and the registry's pages."""

from __future__ import annotations

from concurrent.futures import Future

from sitegen import artifacts, charts
from sitegen.builder import worker
from sitegen.builder.result import BuildResult
from sitegen.builder.tree import groups
from sitegen.charts import compare
from sitegen.entities import Experiment, Run, Store
from sitegen.render import urls
from sitegen.render.pages import Pages, RunRows
from sitegen.writer import SiteWriter

# The runs table shows this many param and metric columns (the explore issue lifts the cap).
MAX_TABLE_PARAMS = 60
MAX_TABLE_METRICS = 60


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
) -> list:
    """Copy the run's artifacts here; charts, page and run.json are made by a worker."""
    exp = next(e for e in store.experiments if e.experiment_id == run.experiment_id)
    base = urls.run_dir(run.experiment_id, run.run_id)
    out_dir = writer.stage(base)
    artifacts.attach_previews(run)
    result.artifacts += artifacts.copy_into_site(run, base, writer)
    for key, hist in run.metrics.items():
        if len(hist):
            writer.claim(urls.run_chart(run.experiment_id, run.run_id, key, fmt))
    writer.claim(urls.run_page(run.experiment_id, run.run_id))
    writer.claim(urls.run_json(run.experiment_id, run.run_id))
    prunes.append(base)
    result.pages += 1
    parent, children = rel[run.run_id]
    job = worker.RunJob(
        run,
        worker.experiment_stub(exp),
        worker.stub(parent) if parent else None,
        [worker.stub(c) for c in children],
        str(out_dir),
        model_versions,
        logged_models,
        fmt,
    )
    if pool is None:
        done: Future = Future()
        done.set_result(worker.render_run(job, pages))
        return [done]
    return [pool.submit(worker.render_run, job)]


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
) -> list:
    """The experiment's page and the comparison charts that cannot be kept."""
    charts_dir = urls.experiment_charts_dir(exp.experiment_id)
    specs = compare.lay_out(comparisons, writer.stage(charts_dir))
    for c in comparisons:
        writer.claim(f"{charts_dir}/{c.file}")
    prunes.append(charts_dir)
    futures = charts.submit_charts(pool, specs) if specs else []
    param_keys = sorted({k for r in exp.runs for k in r.params})
    metric_keys = sorted({k for r in exp.runs for k in r.metrics})
    writer.write_text(
        urls.experiment_page(exp.experiment_id),
        pages.experiment(
            exp,
            groups(exp, rel),
            param_keys[:MAX_TABLE_PARAMS],
            metric_keys[:MAX_TABLE_METRICS],
            [c.context() for c in comparisons],
            rows,
        ),
    )
    result.pages += 1
    return futures
