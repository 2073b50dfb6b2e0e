"""Per-run rendering work, run in parallel worker processes: charts, page and run.json.

The main process reads the store, copies artifacts and hands each run that must be
(re)made to a worker as a :class:`RunJob` (the run with its full histories, plus light
copies of its experiment, parent and children). Workers keep one Jinja environment and
(for PNG charts) one matplotlib figure for their whole life.
"""

from __future__ import annotations

import dataclasses
import os
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path

from sitegen import charts
from sitegen.entities import Experiment, Run
from sitegen.entities.budget import summaries
from sitegen.render import series, urls
from sitegen.render.export import history_csv, run_json
from sitegen.render.pages import Pages, make_env
from sitegen.writer import write_file

_pages: Pages | None = None


def run_chart_specs(run: Run, out_dir: str | Path, fmt: str = "svg") -> dict[str, charts.ChartSpec]:
    specs = {}
    for key, hist in run.metrics.items():
        if len(hist):
            series, axis = charts.metric_series([(key, hist.steps, hist.timestamps, hist.values, charts.PALETTE[0])])
            specs[key] = charts.layout(f"{out_dir}/charts/{urls.chart_name(key, fmt)}", series, x_axis=axis)
    return specs


def stub(run: Run) -> Run:
    """A light copy for pages that only mention a run: latest metric values, no histories."""
    latest = {k: h for k, h in summaries(run.metrics).items() if len(h)}
    return dataclasses.replace(run, metrics=latest, artifacts=[], inputs=[], warnings=[])


def experiment_stub(exp: Experiment) -> Experiment:
    return dataclasses.replace(exp, runs=[], logged_models=[])


@dataclass(slots=True)
class RunJob:
    run: Run
    exp: Experiment
    parent: Run | None
    children: list[Run]
    out_dir: str  # absolute folder of the run's pages in the staging site
    model_versions: list = dataclasses.field(default_factory=list)  # registered from this run
    logged_models: list = dataclasses.field(default_factory=list)  # logged by this run (MLflow 3)
    chart_format: str = "svg"
    history_csv: bool = False  # also write each metric's history as CSV (--history-csv)


def write_series(run: Run, out: str | Path, points: dict | None = None) -> str | None:
    """Write the run's series.js and history files into its folder ``out``; returns series.js's
    path relative to the run's page, None when the run has no metric points (nothing written).
    ``points`` receives run.json's points texts (series.series_payload)."""
    if not any(map(len, run.metrics.values())):
        return None
    text, histories = series.series_payload(run, points)
    write_file(f"{out}/{urls.SERIES}", text.encode("utf-8"))
    for rel, hist_text in histories.items():
        write_file(f"{out}/{rel}", hist_text.encode("utf-8"))
    return urls.SERIES


def render_run(job: RunJob, pages: Pages | None = None) -> int:
    """Draw the run's charts and write its page, run.json, series.js and history files;
    returns the number of charts."""
    pages = pages or _pages
    out = job.out_dir
    specs = run_chart_specs(job.run, out, job.chart_format)
    for spec in specs.values():
        charts.render_chart(spec)
    chart_ctx = {k: {"src": f"charts/{os.path.basename(s.out_path)}", "spec": s} for k, s in specs.items()}
    points: dict[str, str] = {}
    series_src = write_series(job.run, out, points)
    csvs = {}
    if job.history_csv:
        for key, hist in job.run.metrics.items():
            if len(hist):
                csvs[key] = urls.run_history_csv_rel(key)
                write_file(f"{out}/{csvs[key]}", history_csv(hist).encode("utf-8"))
    html = pages.run(
        job.run, job.exp, job.parent, job.children, chart_ctx, job.model_versions, job.logged_models, series_src, csvs
    )
    write_file(f"{out}/index.html", html.encode("utf-8"))
    write_file(f"{out}/run.json", run_json(job.run, points).encode("utf-8"))
    return len(specs)


def _init_worker(chain: list[Path], title: str, chart_format: str, noindex: bool, parent: int) -> None:
    global _pages
    import signal

    from sitegen.process import close_inherited_locks

    # The build handles Ctrl-C and SIGTERM and ends its workers (they watch it): a worker
    # stays silent (no traceback, no second "interrupted" line) and holds no build lock.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    close_inherited_locks()
    _watch_parent(parent)
    _pages = Pages(make_env(chain, noindex=noindex), title)
    if chart_format == "png":
        from sitegen.charts.png import warm

        warm()


def _watch_parent(parent: int, every: float = 0.5) -> None:
    """End this worker when the build that started it (pid ``parent``) is gone (killed with -9,
    say): a worker blocked on its task queue would otherwise live on, orphaned, holding memory
    and the build's stderr. ``parent`` is the pid the build passed, not ``os.getppid()`` read
    here: a build stopped while this worker was still starting has already handed it to init,
    and watching init would keep it forever (seen in CI: SIGTERM right after the pool started)."""
    import threading
    import time

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(every)
        os._exit(0)

    threading.Thread(target=watch, name="trackreport-parent-watch", daemon=True).start()


def make_pool(
    jobs: int | None, chain: list[Path], title: str, chart_format: str = "svg", noindex: bool = False
) -> Executor | None:
    """Worker processes for runs and charts, or None to work in-process (jobs == 1)."""
    jobs = jobs or os.cpu_count() or 1
    if jobs <= 1:
        return None
    from concurrent.futures import ProcessPoolExecutor  # not needed by small incremental builds

    pool = ProcessPoolExecutor(
        max_workers=jobs, initializer=_init_worker, initargs=(chain, title, chart_format, noindex, os.getpid())
    )
    # The first task starts the workers now (small, before the store is read), so their
    # imports and figure set-up overlap with reading instead of delaying the first chart.
    pool.submit(_ready)
    return pool


def _ready() -> None:
    return None
