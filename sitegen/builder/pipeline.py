"""The pipeline driver: store reader → entities → plan → renderers → writer.

A build is a short sequence of stages (:meth:`SiteBuilder._build`):

1. **read** the store (the reader reuses what the last build's manifest says is unchanged),
   settle ids, find the artifacts;
2. **plan** what must be made anew (``plan.make_plan`` against the manifest) and load the
   metric histories that will be drawn;
3. **render** pages, charts, data files and artifact copies (``generators``; a run's charts,
   page and run.json in worker processes) into the writer's staging area;
4. **write**: the writer swaps the new site in atomically, with the new manifest.

``build(options)`` is the public entry point (the CLI is a thin layer over it); ``watch``
keeps a :class:`SiteBuilder` alive between builds.
"""

from __future__ import annotations

import dataclasses
import logging
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Callable

# Only what a build that finds little or nothing changed needs is imported here: rendering
# (Jinja2, charts, the worker pool, markdown) is imported where it is used, so that an
# incremental build in a new process does not pay for it.
from sitegen import artifacts
from sitegen.builder import loggedmodels, manifest, sitestate, traces
from sitegen.builder.plan import make_plan, nothing_to_make, pages_key
from sitegen.builder.result import BuildResult, read_result
from sitegen.builder.tree import relations
from sitegen.config import BuildOptions
from sitegen.digests import digest
from sitegen.entities import Run, Store, mark_stale_runs
from sitegen.entities.budget import DEFAULT_POINTS, HistoryBudget
from sitegen.errors import ConfigError
from sitegen.process import BuildLock, checkpoint
from sitegen.readers import StoreError, default_store_uri, explain_default_store, get_reader, redact, settle_ids
from sitegen.render import urls
from sitegen.safety import privacy
from sitegen.safety.redact import Redactor
from sitegen.safety.secrets import Scanner
from sitegen.safety.select import select
from sitegen.theme import fingerprint as theme_fingerprint
from sitegen.theme import static_files, theme_chain
from sitegen.version import __version__
from sitegen.writer import MARKER, SiteWriter

if TYPE_CHECKING:
    from sitegen.builder.dryrun import DryRun
    from sitegen.builder.plan import Plan
    from sitegen.builder.tree import Relations
    from sitegen.render.pages import Pages, RunRows

log = logging.getLogger("trackreport")

INLINE_RUNS = 4  # up to this many changed runs are rendered without worker processes

ProgressFn = Callable[[int, int], None]  # (runs done, runs to do)


@dataclass
class _Work:
    """One build's state between stages."""

    store: Store
    rel: Relations
    plan: Plan
    writer: SiteWriter
    previous: dict | None
    versions_by_run: dict[str, list]
    models_by_run: dict[str, list]
    versions_by_model: dict[str, list]
    comparisons: dict[str, list] = field(default_factory=dict)  # experiment id → its charts
    rows: dict[str, RunRows] = field(default_factory=dict)  # experiment id → runs-table rows
    prunes: list[str] = field(default_factory=list)  # folders to clear of an older build's leftovers
    futures: list = field(default_factory=list)  # work handed to the worker pool
    pages_key: str = ""  # what the pages listing everything show (plan.pages_key)


class SiteBuilder:
    """Builds a site again and again (``watch`` keeps one): worker pool, theme and the last
    build's histories stay alive between builds."""

    def __init__(self, options: BuildOptions):
        self.options = options
        self.uri = options.store or default_store_uri()
        if options.filter:
            from sitegen.search import SearchError, parse

            try:
                parse(options.filter)  # a filter MLflow rejects stops the build before anything is read
            except SearchError as e:
                raise ConfigError(f"--filter {options.filter!r}: {e}") from None
        self.chain = theme_chain(options.theme)
        self._pages: Pages | None = None  # made when a page is rendered first (Jinja2 is costly to import)
        self._pool = None
        self._memory: dict[str, tuple[str, dict]] = {}  # run_id → (fingerprint, full histories)
        self._runs_kept: dict[str, Run] = {}  # run_id → the run as last read
        self.artifact_roots: set[Path] = set()  # local folders artifacts are logged into (for watch)
        self._scanner = Scanner()  # values already scanned for credentials, and what was found
        self._private: dict = {}  # the last build's private state (sitestate)
        self.history_budget: int | None = DEFAULT_POINTS  # metric points held as full histories
        self._budget = HistoryBudget(self.history_budget)
        self.home_paths = 0

    @property
    def pages(self) -> Pages:
        if self._pages is None:
            from sitegen.render.pages import Pages, make_env

            self._pages = Pages(make_env(self.chain, noindex=self.options.noindex), self.options.title)
        return self._pages

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
            from sitegen.builder import worker

            o = self.options
            self._pool = worker.make_pool(o.jobs, self.chain, o.title, o.chart_format, o.noindex)
        return self._pool

    def build(self, progress: ProgressFn | None = None) -> BuildResult:
        """Build (or update) the site. Raises StoreError, OutputError (sitegen.errors); an
        OutputError too when another build is writing the same folder."""
        with BuildLock(self.options.out):
            return self._locked_build(progress)

    def dry_run(self) -> "DryRun":
        """What a build would publish (sitegen.builder.dryrun), writing nothing."""
        from sitegen.builder.dryrun import DryRun

        reader = get_reader(
            self.uri, include_deleted=self.options.include_deleted, max_artifact_size=self.options.max_artifact_size
        )
        try:
            return DryRun.of(self._read(reader, None))
        finally:
            reader.close()

    def _locked_build(self, progress: ProgressFn | None) -> BuildResult:
        options, t0 = self.options, time.perf_counter()
        previous = None if options.clean else manifest.load(Path(options.out), MARKER)
        if not manifest.usable(previous, self.site_key()):
            previous = None  # another version, theme or output option: nothing of it is reused
        self._private = sitestate.load(Path(options.out), previous.get("build")) if previous else {}
        if previous is None:
            self.pool()  # a cold build: let workers start (imports, figure) while the store is read
        try:
            reader = get_reader(
                self.uri, include_deleted=options.include_deleted, max_artifact_size=options.max_artifact_size
            )
        except StoreError as e:
            if options.store:
                raise
            raise StoreError(f"{e} ({explain_default_store()})") from e
        try:
            return self._build(reader, previous, progress, t0)
        finally:
            reader.close()

    def _build(self, reader, previous: dict | None, progress, t0: float) -> BuildResult:
        store = self._read(reader, previous)
        checkpoint("read")
        result = read_result(store, Path(self.options.out), self.uri, self.home_paths)
        log.debug(
            "read %d experiments, %d runs from %s in %.2f s",
            result.experiments,
            result.runs,
            redact(self.uri),
            time.perf_counter() - t0,
        )
        work = self._plan(store, previous)
        unchanged = nothing_to_make(work.plan, previous, work.pages_key)
        try:
            if unchanged:  # no page to make: the site is left as it is, at most its private state kept
                work.writer.abort()
                if store.reader_state != self._private.get("reader") or self._scanner.used != self._private.get(
                    "secrets"
                ):
                    self._keep_private(store, previous["build"])
            else:
                self._render(work, reader, result, progress)
                checkpoint("rendered")
                marker = self._marker(work)
                work.writer.commit(marker)
                self._keep_private(store, marker["manifest"]["build"])
        except BaseException:
            for f in work.futures:
                f.cancel()
            work.writer.abort()
            raise
        self._remember(store)
        result.runs_rendered = len(work.plan.render_runs)
        result.unchanged = unchanged
        for run in (r for e in store.experiments for r in e.runs):
            result.warnings.extend(f"run {run.run_id}: {w}" for w in run.warnings)
        for m in store.logged_models():
            result.warnings.extend(f"logged model {m.model_id}: {w}" for w in m.warnings)
        result.seconds = time.perf_counter() - t0
        return result

    def site_key(self) -> str:
        """What every page depends on besides the store: the theme and the output options."""
        return digest(theme_fingerprint(self.chain), self.options.output_key())

    # ---- 1. read ----

    def _read(self, reader, previous: dict | None) -> Store:
        options = self.options
        self._budget = HistoryBudget(self.history_budget)
        reader.budget = self._budget  # full histories held while reading; summaries beyond
        if hasattr(reader, "pool"):  # a first build's workers parse metric files meanwhile
            reader.pool = self._pool
        store = reader.read(manifest.ManifestReuse(previous, self._memory, self._runs_kept, self._private))
        settle_ids(store)
        select(store, options.experiment, options.exclude_experiment, options.filter)  # the rest is not read on
        mark_stale_runs(store.experiments)
        artifacts.attach_artifacts(
            [r for e in store.experiments for r in e.runs],
            store_kind=store.kind,
            store_dir=store.base_dir,
            artifacts_dir=options.artifacts,
            max_size=options.max_artifact_size,
        )
        loggedmodels.attach_artifacts(store, artifacts_dir=options.artifacts, max_size=options.max_artifact_size)
        self._scanner = Scanner(self._private.get("secrets") if previous else self._scanner.used)
        if not options.no_redact:  # before any renderer sees a value
            try:
                Redactor(self._scanner, options.redact_key).store(store)
            finally:
                self._scanner.close()
        self.home_paths = 0 if options.hide_paths else privacy.home_paths(store)
        privacy.hide(store, paths=options.hide_paths, users=options.hide_users)
        traces.link_traces(store)  # after redaction: runs list their traces' rows as published
        return store

    # ---- 2. plan ----

    def _plan(self, store: Store, previous: dict | None) -> _Work:
        options = self.options
        site_key = self.site_key()
        rel = relations(store)
        writer = SiteWriter(Path(options.out), incremental=not options.clean)
        versions_by_run: dict[str, list] = {}
        for model in store.registered_models:
            for v in model.versions:
                if v.run_id:
                    versions_by_run.setdefault(v.run_id, []).append(v)
        versions_by_model = loggedmodels.registered_versions(store)
        models_by_run = loggedmodels.by_source_run(store)
        plan = make_plan(
            store, rel, previous if writer.reused else None, site_key, versions_by_run, models_by_run, versions_by_model
        )
        if plan.full and writer.reused:
            writer.abort()
            writer = SiteWriter(Path(options.out), incremental=False)
        elif not plan.full:  # same version and options: its markdown conversions still hold
            from sitegen.render import text as fmt

            fmt.seed_markdown(self._private.get("markdown"))
        work = _Work(store, rel, plan, writer, previous, versions_by_run, models_by_run, versions_by_model)
        work.pages_key = pages_key(store, plan)
        old_charts = manifest.kept_section(previous, plan.full, "charts")
        if plan.render_experiments:
            from sitegen.charts import compare
        work.comparisons = {
            exp.experiment_id: compare.plan(  # of the experiments to redo
                exp,
                options.chart_format,
                old_charts.get(exp.experiment_id),
                writer.out / urls.experiment_charts_dir(exp.experiment_id) if writer.reused else None,
            )
            for exp in store.experiments
            if exp.experiment_id in plan.render_experiments
        }
        return work

    # ---- 3. render ----

    def _render(self, work: _Work, reader, result: BuildResult, progress) -> None:
        from concurrent.futures import as_completed

        from sitegen.builder import generators
        from sitegen.charts import compare
        from sitegen.render.pages import RunRows

        store, writer, plan, options = work.store, work.writer, work.plan, self.options
        traces.load_kept(store, plan, reader, traces.publisher(options, self._scanner, store.base_dir))
        # A few runs are drawn in-process: starting worker processes would cost more.
        pool = self._pool or (self.pool() if len(plan.render_runs) > INLINE_RUNS else None)
        generators.remove_stale(writer, store)
        loggedmodels.remove_stale(writer, store)
        run_futures = generators.run_pages(
            plan.render_runs,
            work,
            reader,
            self._budget,
            lambda run: generators.run_page(
                run,
                store,
                work.rel,
                writer,
                self.pages,
                pool,
                result,
                work.prunes,
                work.versions_by_run.get(run.run_id, []),
                work.models_by_run.get(run.run_id, []),
                options.chart_format,
                options.history_csv,
            ),
        )
        old_rows = manifest.kept_section(work.previous, plan.full, "rows")
        for exp in store.experiments:  # those where something their page shows changed
            eid = exp.experiment_id
            if eid in work.comparisons:
                work.rows[eid] = RunRows(plan.run_keys, old_rows.get(eid))
                reader.load_metrics(compare.runs_to_read(work.comparisons[eid]))  # charts to draw
                work.futures += generators.experiment_page(
                    exp,
                    work.rel,
                    writer,
                    self.pages,
                    pool,
                    result,
                    work.prunes,
                    work.comparisons[eid],
                    work.rows[eid],
                    store.kind,
                    options.compare_metric,
                    options.compare_order,
                )
        traces.remove_stale(writer, store)
        result.pages += traces.write_pages(store, writer, self.pages, plan.render_experiments, plan.render_traces)
        made, copied = loggedmodels.build_pages(
            store, plan.render_logged_models, writer, self.pages, work.versions_by_model
        )
        result.pages += made + 1
        result.artifacts += copied
        writer.write_text(urls.INDEX, self.pages.index(store, store.experiments))
        result.pages += generators.registry_pages(store, writer, self.pages)
        for relpath, src in static_files(self.chain).items():
            writer.link_or_copy(src, urls.static(relpath))
        writer.write_text(".nojekyll", "")
        # Progress follows the runs as workers finish them (a run: its charts, page, run.json).
        for i, f in enumerate(as_completed(run_futures), 1):
            f.result()
            if progress:
                progress(i, len(run_futures))
        for f in work.futures:
            result.charts += f.result()
        for rel_dir in work.prunes:
            writer.prune(rel_dir)

    # ---- 4. write ----

    def _marker(self, work: _Work) -> dict:
        """The site's marker file: what made it, and the manifest for the next build."""
        if work.comparisons:
            from sitegen.charts import compare
        made = manifest.assemble(
            work.plan,
            work.store,
            work.previous,
            charts={eid: compare.manifest_entry(c) for eid, c in work.comparisons.items()},
            rows={eid: r.used for eid, r in work.rows.items()},
        )
        made["pages"] = work.pages_key
        # No store URI: no page shows it, and it can hold a path, a host or a credential.
        return {"generator": "trackreport", "version": __version__, "manifest": made}

    def _keep_private(self, store: Store, build_id: str) -> None:
        """What the next build needs but the site must not show (sitestate)."""
        text = sys.modules.get("sitegen.render.text")  # imported only if something was rendered
        sitestate.save(
            Path(self.options.out),
            build_id,
            store.reader_state,
            self._scanner.used,
            text.markdown_rendered() if text else self._private.get("markdown", {}),
            manifest.private_artifact_uris(store),
        )

    def _remember(self, store: Store) -> None:
        """What a next build in this process reuses: runs as read, with their full histories."""
        runs = [r for e in store.experiments for r in e.runs]
        self._memory = {r.run_id: (r.fingerprint, r.metrics) for r in runs if r.metrics_complete}
        self._runs_kept = {
            r.run_id: dataclasses.replace(r, artifacts=[], artifact_dir=None, warnings=[])
            for r in runs
            if r.metrics_complete and r.fingerprint
        }
        self.artifact_roots = artifacts.artifact_roots(store, self.options.artifacts)


def build(options: BuildOptions, progress: ProgressFn | None = None) -> BuildResult:
    """Build (or incrementally update) the site described by ``options``.

    Raises :class:`sitegen.errors.StoreError` if the store cannot be read,
    :class:`sitegen.errors.OutputError` if ``options.out`` cannot be used. Problems inside
    the store are warnings in the result.
    """
    with SiteBuilder(options) as builder:
        return builder.build(progress)
