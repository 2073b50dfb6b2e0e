"""The pipeline driver: store reader → model → plan → renderers → writer.

``build(options)`` is the public entry point (the CLI is a thin layer over it).
"""
from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import time
from concurrent.futures import Future, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from sitegen.version import __version__
from sitegen import artifacts
from sitegen import charts
from sitegen.charts import compare
from sitegen.render import text as fmt
from sitegen.builder import worker as jobs
from sitegen.builder import loggedmodels
from sitegen.config import BuildOptions
from sitegen.entities import Experiment, MetricHistory, Run, Store, mark_stale_runs, run_from_summary
from sitegen.builder.plan import make_plan
from sitegen.readers import StoreError, default_store_uri, explain_default_store, get_reader, redact, settle_ids
from sitegen.render import urls
from sitegen.render.pages import Pages, RunRows, make_env
from sitegen.theme import fingerprint as theme_fingerprint, static_files, theme_chain
from sitegen.writer import MARKER, SiteWriter

log = logging.getLogger("trackreport")

MAX_TABLE_PARAMS = 60
MAX_TABLE_METRICS = 60
INLINE_RUNS = 4      # up to this many changed runs are rendered without worker processes


@dataclass
class BuildResult:
    out: Path
    store_uri: str
    experiments: int = 0
    runs: int = 0
    runs_rendered: int = 0
    pages: int = 0
    charts: int = 0
    artifacts: int = 0
    seconds: float = 0.0
    warnings: list[str] = field(default_factory=list)

    # True when nothing the site shows changed since the last build (every page kept)
    unchanged: bool = False

    def summary(self) -> str:
        """One line: "3 experiments, 9 runs, 13 pages, 37 charts, 10 artifacts in 1.4 s"."""
        warned = f", {plural(len(self.warnings), 'warning')}" if self.warnings else ""
        if self.unchanged:
            return (f"site unchanged: {plural(self.experiments, 'experiment')}, "
                    f"{plural(self.runs, 'run')} as before, checked in {self.seconds:.1f} s{warned}")
        reused = self.runs - self.runs_rendered
        extra = f" ({reused} unchanged)" if reused else ""
        return (f"{plural(self.experiments, 'experiment')}, {plural(self.runs, 'run')}{extra}, "
                f"{plural(self.pages, 'page')}, {plural(self.charts, 'chart')}, "
                f"{plural(self.artifacts, 'artifact')} in {self.seconds:.1f} s{warned}")


def plural(n: int, noun: str) -> str:
    """"1 run", "2 runs", "1,234 runs"."""
    return f"{n:,} {noun}{'' if n == 1 else 's'}"


ProgressFn = Callable[[int, int], None]


def _relations(store: Store) -> dict[str, tuple[Run | None, list[Run]]]:
    by_id = store.run_by_id()
    children: dict[str, list[Run]] = {}
    for run in by_id.values():
        pid = run.parent_run_id
        if pid and pid in by_id and pid != run.run_id:
            children.setdefault(pid, []).append(run)
    for lst in children.values():
        lst.sort(key=lambda r: (r.start_time or 0, r.run_id))
    return {rid: (by_id.get(r.parent_run_id) if r.parent_run_id != rid else None, children.get(rid, []))
            for rid, r in by_id.items()}


def _groups(exp: Experiment, rel) -> list[list[tuple[Run, int]]]:
    """Runs grouped as trees: each group is a top-level run followed by its descendants."""
    ids = {r.run_id for r in exp.runs}
    groups = []
    for run in sorted(exp.runs, key=lambda r: (-(r.start_time or 0), r.run_id)):
        parent = rel[run.run_id][0]
        if parent is not None and parent.run_id in ids:
            continue
        group, stack, seen = [], [(run, 0)], set()
        while stack:
            r, depth = stack.pop()
            if r.run_id in seen:
                continue
            seen.add(r.run_id)
            group.append((r, depth))
            stack.extend((c, depth + 1) for c in reversed(rel[r.run_id][1]) if c.run_id in ids)
        groups.append(group)
    return groups


def _previous_manifest(out: Path) -> dict | None:
    try:
        return json.loads((out / MARKER).read_text(encoding="utf-8")).get("manifest")
    except (OSError, ValueError, AttributeError):
        return None


class ManifestReuse:
    """Reuse for runs unchanged since the last build: their latest points, kept in the manifest."""

    def __init__(self, previous: dict | None, memory: dict | None = None,
                 runs_kept: dict | None = None):
        self.runs = (previous or {}).get("runs", {})
        self.reader_state = (previous or {}).get("reader")
        self.memory = memory or {}
        self.runs_kept = runs_kept or {}

    def get_run(self, folder: str, fingerprint: str) -> Run | None:
        """An unchanged run: as this process last read it, else as the last build's manifest
        summed it up (only its metrics' latest points; full histories are loaded if drawn)."""
        kept = self.runs_kept.get(folder)
        if kept is not None and kept.fingerprint == fingerprint and kept.metrics_complete:
            return dataclasses.replace(kept, artifacts=[], artifact_dir=None, warnings=[],
                                       inputs=list(kept.inputs))
        old = self.runs.get(folder)
        if old is None or old.get("fp") != fingerprint or "run" not in old or "latest" not in old:
            return None
        try:
            return run_from_summary(old["run"], _latest(old), fingerprint)
        except (KeyError, TypeError, ValueError):
            return None     # a manifest from another version, or edited by hand: read the run

    def get(self, run_id: str, fingerprint: str):
        kept = self.memory.get(run_id)
        if kept is not None and kept[0] == fingerprint:
            return kept[1], True
        old = self.runs.get(run_id)
        if old is None or old.get("fp") != fingerprint or "latest" not in old:
            return None
        return _latest(old), False


def _kept(previous: dict | None, plan, section: str) -> dict:
    """A per-experiment section of the last build's manifest, if this build can use it."""
    return (previous or {}).get(section, {}) if not plan.full else {}


def _per_experiment(store: Store, made: dict, old: dict) -> dict:
    """A manifest section by experiment: this build's entry for the experiments it redid, the
    last build's for the others."""
    return {eid: made[eid] if eid in made else old.get(eid, {})
            for eid in sorted(e.experiment_id for e in store.experiments)}


def _latest(entry: dict) -> dict[str, MetricHistory]:
    """Each metric's latest point (and its last timestamp, when a later point has a lower step)."""
    return {k: MetricHistory.latest_only(k, p[0], p[1], _from_json(p[2]), p[3] if len(p) > 3 else None)
            for k, p in entry["latest"].items()}


def _from_json(v):
    return float(v) if isinstance(v, str) else v


class SiteBuilder:
    """Builds a site again and again (``watch`` keeps one): worker pool, theme and the last
    build's histories stay alive between builds."""

    def __init__(self, options: BuildOptions):
        self.options = options
        self.uri = options.store or default_store_uri()
        self.chain = theme_chain(options.theme)
        self.pages = Pages(make_env(self.chain), options.title)
        self._pool = None
        self._memory: dict[str, tuple[str, dict]] = {}   # run_id → (fingerprint, full histories)
        self._runs_kept: dict[str, Run] = {}              # run_id → the run as last read
        self.artifact_roots: set[Path] = set()   # local folders artifacts are logged into (for watch)

    def __enter__(self) -> "SiteBuilder":
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(wait=True, cancel_futures=True)
            self._pool = None

    def pool(self):
        if self._pool is None:
            self._pool = jobs.make_pool(self.options.jobs, self.chain, self.options.title,
                                        self.options.chart_format)
        return self._pool

    def build(self, progress: ProgressFn | None = None) -> BuildResult:
        options, t0 = self.options, time.perf_counter()
        out = Path(options.out)
        previous = None if options.clean else _previous_manifest(out)
        if previous is None:
            self.pool()  # a cold build: let workers start (imports, figure) while the store is read
        try:
            reader = get_reader(self.uri, include_deleted=options.include_deleted,
                                max_artifact_size=options.max_artifact_size)
        except StoreError as e:
            if options.store:
                raise
            raise StoreError(f"{e} ({explain_default_store()})") from e
        try:
            return self._build(reader, previous, progress, t0)
        finally:
            reader.close()

    def _build(self, reader, previous, progress, t0) -> BuildResult:
        options, uri = self.options, self.uri
        store = reader.read(ManifestReuse(previous, self._memory, self._runs_kept))
        settle_ids(store)
        mark_stale_runs(store.experiments)
        all_runs = [r for e in store.experiments for r in e.runs]
        log.debug("read %d experiments, %d runs from %s in %.2f s", len(store.experiments),
                  len(all_runs), redact(uri), time.perf_counter() - t0)
        artifacts.attach_artifacts(all_runs, store_kind=store.kind, store_dir=store.base_dir,
                                   artifacts_dir=options.artifacts, max_size=options.max_artifact_size)
        loggedmodels.attach_artifacts(store, artifacts_dir=options.artifacts, max_size=options.max_artifact_size)
        result = BuildResult(out=Path(options.out), store_uri=uri, experiments=len(store.experiments),
                             runs=len(all_runs))
        result.warnings.extend(store.warnings)
        with_uri = [r for r in all_runs if r.artifact_uri]
        found_any = any(r.artifact_dir for r in with_uri) or any(m.artifact_dir for m in store.logged_models())
        unclear = [r for r in with_uri if not artifacts.logged_nothing(r, store.base_dir)]
        if unclear and not found_any:   # MLflow 3 runs often log only models, found apart
            result.warnings.append(f"no artifact folder was found for any of the {len(with_uri)} runs: "
                                   "none were logged, or the store was moved (then pass --artifacts DIR)")

        site_key = hashlib.blake2b(json.dumps([theme_fingerprint(self.chain), options.output_key()],
                                              sort_keys=True).encode(), digest_size=12).hexdigest()
        rel = _relations(store)
        out = Path(options.out)
        writer = SiteWriter(out, incremental=not options.clean)
        versions_by_run: dict[str, list] = {}
        for model in store.models:
            for v in model.versions:
                if v.run_id:
                    versions_by_run.setdefault(v.run_id, []).append(v)
        models_by_run = loggedmodels.by_source_run(store)
        versions_by_model = loggedmodels.registered_versions(store)
        plan = make_plan(store, rel, previous if writer.reused else None, site_key, versions_by_run,
                         models_by_run, versions_by_model)
        if plan.full and writer.reused:
            writer.abort()
            writer = SiteWriter(out, incremental=False)
        elif not plan.full:    # same version and options: its markdown conversions still hold
            fmt.seed_markdown(previous.get("markdown"))
        # Full histories for what is drawn: re-rendered runs, and the compared runs of the
        # comparison charts that cannot be kept from the last build.
        old_charts, old_rows = _kept(previous, plan, "charts"), _kept(previous, plan, "rows")
        comparisons = {exp.experiment_id: compare.plan(      # of the experiments to redo
            exp, options.chart_format, old_charts.get(exp.experiment_id),
            writer.out / urls.experiment_charts_dir(exp.experiment_id) if writer.reused else None)
            for exp in store.experiments if exp.experiment_id in plan.render_experiments}
        rows: dict[str, RunRows] = {}      # experiment id → its runs table's rows
        needed = list(plan.render_runs)
        for comps in comparisons.values():
            needed += compare.runs_to_read(comps)
        reader.load_metrics(list({r.run_id: r for r in needed if not r.metrics_complete}.values()))
        # A few runs are drawn in-process: starting worker processes would cost more.
        pool = self._pool or (self.pool() if len(plan.render_runs) > INLINE_RUNS else None)
        futures = []
        prunes: list[str] = []   # folders whose leftovers from an older build go once charts are drawn
        try:
            _remove_stale(writer, store)
            loggedmodels.remove_stale(writer, store)
            run_futures: list[Future] = []
            for run in plan.render_runs:
                run_futures += _build_run(run, store, rel, writer, self.pages, pool, result, prunes,
                                          versions_by_run.get(run.run_id, []),
                                          models_by_run.get(run.run_id, []), options.chart_format)
            futures += run_futures
            for exp in store.experiments:      # those where something their page shows changed
                eid = exp.experiment_id
                if eid in comparisons:
                    rows[eid] = RunRows(plan.run_keys, old_rows.get(eid))
                    futures += _build_experiment(exp, rel, writer, self.pages, pool, result, prunes,
                                                 comparisons[eid], rows[eid])
            made, copied = loggedmodels.build_pages(store, plan.render_models, writer, self.pages,
                                                    versions_by_model)
            result.pages += made
            result.artifacts += copied
            writer.write_text(urls.INDEX, self.pages.index(store, store.experiments))
            result.pages += 1
            result.pages += _build_models(store, writer, self.pages)
            for relpath, src in static_files(self.chain).items():
                writer.link_or_copy(src, urls.static(relpath))
            writer.write_text(".nojekyll", "")
            # Progress follows the runs as workers finish them (a run: its charts, page, run.json).
            for i, f in enumerate(as_completed(run_futures), 1):
                f.result()
                if progress:
                    progress(i, len(run_futures))
            for f in futures:
                result.charts += f.result()
            for rel_dir in prunes:
                writer.prune(rel_dir)
            manifest = plan.manifest(store.run_by_id(), previous)
            for rid in store.unreadable_runs:   # keep what we knew of runs unreadable right now
                if previous and rid in previous.get("runs", {}):
                    manifest["runs"][rid] = previous["runs"][rid]
            for mid in store.unreadable_models:   # and of logged models
                if previous and mid in previous.get("models", {}):
                    manifest["models"][mid] = previous["models"][mid]
            manifest["charts"] = _per_experiment(store, {eid: compare.manifest_entry(c)
                                                         for eid, c in comparisons.items()}, old_charts)
            manifest["rows"] = _per_experiment(store, {eid: r.used for eid, r in rows.items()}, old_rows)
            manifest["markdown"] = fmt.markdown_rendered()
            if store.reader_state is not None:
                manifest["reader"] = store.reader_state
            writer.commit({"generator": "trackreport", "version": __version__, "store": redact(uri),
                           "manifest": manifest})
        except BaseException:
            for f in futures:
                f.cancel()
            writer.abort()
            raise
        self._memory = {r.run_id: (r.fingerprint, r.metrics) for r in all_runs if r.metrics_complete}
        self._runs_kept = {r.run_id: dataclasses.replace(r, artifacts=[], artifact_dir=None, warnings=[])
                           for r in all_runs if r.metrics_complete and r.fingerprint}
        self.artifact_roots = artifacts.artifact_roots(store, options.artifacts)
        result.runs_rendered = len(plan.render_runs)
        result.unchanged = (not plan.full and not plan.render_runs and not plan.render_experiments
                            and not plan.render_models
                            and set(previous.get("experiments", {})) == set(plan.experiment_keys)
                            and set(previous.get("models", {})) == set(plan.model_keys))
        for run in all_runs:
            result.warnings.extend(f"run {run.run_id}: {w}" for w in run.warnings)
        for m in store.logged_models():
            result.warnings.extend(f"logged model {m.model_id}: {w}" for w in m.warnings)
        result.seconds = time.perf_counter() - t0
        return result


def build(options: BuildOptions, progress: ProgressFn | None = None) -> BuildResult:
    """Build (or incrementally update) the site described by ``options``.

    Raises ``readers.StoreError`` if the store cannot be read, ``write.OutputError`` if
    ``options.out`` cannot be used. Problems inside the store are warnings in the result.
    """
    with SiteBuilder(options) as builder:
        return builder.build(progress)


def _remove_stale(writer: SiteWriter, store: Store) -> None:
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


def _build_models(store: Store, writer: SiteWriter, pages: Pages) -> int:
    """The model registry: a list page and a page per registered model (always remade: few)."""
    keep = {urls.registered_model_dir(m.name).split("/", 1)[1] for m in store.models}
    models_root = writer.root / urls.REGISTERED_MODELS_DIR
    if models_root.is_dir():
        for entry in models_root.iterdir():
            if entry.is_dir() and entry.name not in keep:
                writer.remove(f"{urls.REGISTERED_MODELS_DIR}/{entry.name}")
    if not store.models:
        if (writer.root / urls.REGISTERED_MODELS).exists():
            writer.remove(urls.REGISTERED_MODELS)
        return 0
    runs = store.run_by_id()
    logged = {m.model_id: m for m in store.logged_models()}
    writer.write_text(urls.REGISTERED_MODELS, pages.models(store.models))
    for model in store.models:
        writer.write_text(urls.registered_model_page(model.name), pages.model(model, runs, logged))
    return 1 + len(store.models)


def _build_run(run: Run, store: Store, rel, writer: SiteWriter, pages: Pages, pool,
               result: BuildResult, prunes: list[str], model_versions: list,
               logged_models: list, fmt: str) -> list:
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
    job = jobs.RunJob(run, jobs.experiment_stub(exp), jobs.stub(parent) if parent else None,
                      [jobs.stub(c) for c in children], str(out_dir), model_versions, logged_models, fmt)
    if pool is None:
        done: Future = Future()
        done.set_result(jobs.render_run(job, pages))
        return [done]
    return [pool.submit(jobs.render_run, job)]


def _build_experiment(exp: Experiment, rel, writer: SiteWriter, pages: Pages, pool,
                      result: BuildResult, prunes: list[str], comparisons: list,
                      rows: RunRows) -> list:
    """The experiment's page and the comparison charts that cannot be kept."""
    charts_dir = urls.experiment_charts_dir(exp.experiment_id)
    specs = compare.lay_out(comparisons, writer.stage(charts_dir))
    for c in comparisons:
        writer.claim(f"{charts_dir}/{c.file}")
    prunes.append(charts_dir)
    futures = charts.submit_charts(pool, specs) if specs else []
    param_keys = sorted({k for r in exp.runs for k in r.params})
    metric_keys = sorted({k for r in exp.runs for k in r.metrics})
    writer.write_text(urls.experiment_page(exp.experiment_id), pages.experiment(
        exp, _groups(exp, rel), param_keys[:MAX_TABLE_PARAMS], metric_keys[:MAX_TABLE_METRICS],
        [c.context() for c in comparisons], rows))
    result.pages += 1
    return futures
