"""Page rendering with Jinja2. Renderers read only the model, never the store.

Templates come from the theme chain (the user's ``--theme`` folder first, then the
default theme). A user template can extend the default one it replaces and override
single blocks: ``{% extends "!default/run.html" %}``.
"""

from __future__ import annotations

import os
from pathlib import Path

import jinja2

from sitegen.cachedir import user_cache_dir
from sitegen.digests import digest
from sitegen.entities import Experiment, LoggedModel, Run, Store
from sitegen.render import text as fmt
from sitegen.render import urls
from sitegen.version import __version__


def _bytecode_cache() -> jinja2.BytecodeCache | None:
    """Compiled templates kept between runs (a cold start compiles them all otherwise)."""
    folder = user_cache_dir(f"jinja-{__version__}")
    try:
        os.makedirs(folder, exist_ok=True)
        if not os.access(folder, os.W_OK):
            return None
    except OSError:
        return None
    return jinja2.FileSystemBytecodeCache(str(folder))


# The Content-Security-Policy every page carries (a <meta http-equiv>, so it holds on GitHub
# Pages and from file:// too): only the site's own script files run (no inline script, no
# eval, nothing from another origin); styles and images are the site's (inline style
# attributes allowed: charts and tables position with them); frames only the site's own
# files (artifacts, in <iframe sandbox> without scripts); no plugins, no <base>, no forms.
# A page opened from disk has an opaque or per-file origin that 'self' need not match
# (Firefox ESR 153 happens to accept 'self' there; the CSP spec leaves it open), so file: is
# named too; over http(s) a page cannot load file: URLs anyway. tests/test_firefox.py and the
# Chromium tests check the policy holds (an inline script is refused) from file://.
CSP = (
    "default-src 'none'; script-src 'self' file:; style-src 'self' 'unsafe-inline' file:; "
    "img-src 'self' data: file:; font-src 'self' file:; frame-src 'self' file:; connect-src 'self'; "
    "base-uri 'none'; form-action 'none'"
)


def make_env(chain: list[Path], noindex: bool = False) -> jinja2.Environment:
    """The Jinja2 environment of a theme chain; ``noindex`` asks search engines not to index
    the pages (--noindex)."""
    loaders = [jinja2.FileSystemLoader(str(p / "templates")) for p in chain]
    default = jinja2.FileSystemLoader(str(chain[-1] / "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.PrefixLoader({"!default": default}, delimiter="/"), *loaders]),
        autoescape=True,
        trim_blocks=True,
        lstrip_blocks=True,
        undefined=jinja2.StrictUndefined,
        bytecode_cache=_bytecode_cache(),
    )
    env.filters.update(
        num=fmt.num,
        full=fmt.full,
        sortv=fmt.sort_key,
        iso=fmt.iso,
        when=fmt.when,
        duration=fmt.duration,
        size=fmt.size,
        urlpath=fmt.urlpath,
        excerpt=fmt.excerpt,
        sorted_dict=lambda d: dict(sorted(d.items())),
        md=lambda t: jinja2.filters.Markup(fmt.markdown(t)),
        breaks=lambda t: jinja2.filters.Markup(fmt.breaks(t)),
    )
    env.filters["url"] = _url
    env.globals["csp"] = CSP
    env.globals["noindex"] = noindex
    env.globals.update(
        version=__version__, safe_http_url=fmt.safe_http_url, urls=urls, stage=lambda v: v if v and v != "None" else ""
    )
    return env


@jinja2.pass_context
def _url(ctx, target: str) -> str:
    """The ``url`` filter: a path from the site root (``sitegen.render.urls``) as a link from
    the page being rendered (its path from the root is the context's ``page``)."""
    return urls.relative(ctx["page"], target)


# ---- pages ----


class RunRows:
    """Rows of an experiment's runs table, kept between builds.

    A row is keyed by its run's render key (everything the run's page shows, see plan.py),
    its place in the table and the table's columns; rows of runs without a key are always
    rendered. ``kept`` holds the last build's rows (key → HTML), ``used`` this build's."""

    def __init__(self, run_keys: dict[str, str] | None = None, kept: dict[str, str] | None = None):
        self.run_keys = run_keys or {}
        self.kept = kept or {}
        self.used: dict[str, str] = {}

    def get(self, run: Run, place: str, render) -> jinja2.filters.Markup:
        run_key = self.run_keys.get(run.run_id)
        key = f"{run_key}:{place}" if run_key else None
        html = self.kept.get(key) if key else None
        if html is None:
            html = str(render())
        if key:
            self.used[key] = html
        return jinja2.filters.Markup(html)


class Pages:
    def __init__(self, env: jinja2.Environment, site_title: str):
        self.env = env
        self.site_title = site_title

    def _render(self, template: str, page: str, **ctx) -> str:
        """``page``: where the page is written, from the site root (links are made relative
        to it by the ``url`` filter; ``root`` is the way back to the site root, for themes)."""
        return self.env.get_template(template).render(
            page=page, root="../" * page.count("/"), site_title=self.site_title, **ctx
        )

    def index(self, store: Store, experiments: list[Experiment]) -> str:
        last = max((e.last_activity or 0 for e in experiments), default=0) or None
        return self._render("index.html", urls.INDEX, store=store, experiments=experiments, last_activity=last)

    def models(self, models: list) -> str:
        return self._render("models.html", urls.REGISTERED_MODELS, models=models)

    def model(self, model, runs: dict[str, Run], logged: dict[str, LoggedModel]) -> str:
        return self._render("model.html", urls.registered_model_page(model.name), model=model, runs=runs, logged=logged)

    def logged_model(self, m: LoggedModel, exp: Experiment, runs: dict[str, Run], versions: list) -> str:
        return self._render(
            "logged_model.html",
            urls.logged_model_page(m.experiment_id, m.model_id),
            m=m,
            exp=exp,
            runs=runs,
            source=runs.get(m.source_run_id or ""),
            versions=versions,
        )

    def experiment(
        self,
        exp: Experiment,
        groups,
        param_keys,
        metric_keys,
        comparison,
        rows: "RunRows | None" = None,
        top=None,
        chartable=0,
    ) -> str:
        """``groups``: the static table's first runs as trees ([(run, depth)] per top-level run);
        ``param_keys``/``metric_keys``: every key; ``top``: the static comparison
        (builder.topruns); ``chartable``: how many metrics two runs or more logged
        (``comparison`` charts the first of them)."""
        rows = rows or RunRows()
        macro = self.env.get_template("run_row.html").module.run_row
        columns = digest(param_keys, metric_keys)

        def run_row(run: Run, depth: int, group_size: int) -> jinja2.filters.Markup:
            return rows.get(
                run, f"{depth}:{group_size}:{columns}", lambda: macro(run, depth, group_size, param_keys, metric_keys)
            )

        return self._render(
            "experiment.html",
            urls.experiment_page(exp.experiment_id),
            exp=exp,
            groups=groups,
            param_keys=param_keys,
            metric_keys=metric_keys,
            comparison=comparison,
            run_row=run_row,
            run_names={r.run_id: r.display_name for r in exp.runs},
            static_count=sum(len(g) for g in groups),
            top=top,
            chartable=chartable,
        )

    def traces(self, exp: Experiment) -> str:
        """The experiment's trace list (``exp.traces``, newest first); traces.js holds its data."""
        return self._render("traces.html", urls.traces_page(exp.experiment_id), exp=exp, traces=exp.traces)

    def trace(self, trace, exp: Experiment, run: Run | None = None) -> str:
        """A trace's page: ``tree`` its spans as a tree (``Trace.tree()``), ``run`` the run it
        was logged in (None: none, or not published)."""
        return self._render(
            "trace.html",
            urls.trace_page(exp.experiment_id, trace.trace_id),
            trace=trace,
            exp=exp,
            tree=trace.tree(),
            run=run,
        )

    def compare(self, exp: Experiment, top=None) -> str:
        """The compare page: a shell the browser fills from runs.js and the runs' series.js
        (which runs: the URL fragment); without JavaScript it says so and offers the static
        comparison of the experiment page."""
        return self._render("compare.html", urls.compare_page(exp.experiment_id), exp=exp, top=top)

    def run(
        self,
        run: Run,
        exp: Experiment,
        parent: Run | None,
        children: list[Run],
        charts: dict,
        model_versions: list | None = None,
        logged_models: list | None = None,
        series_src: str | None = None,
        history_csv: dict[str, str] | None = None,
    ) -> str:
        """The run's page; ``series_src``: its series data file relative to the page (None: none);
        ``history_csv``: metric key → its history's CSV file relative to the page (--history-csv)."""
        child_keys = sorted({k for c in children for k in c.metrics})[:8]
        return self._render(
            "run.html",
            urls.run_page(run.experiment_id, run.run_id),
            run=run,
            exp=exp,
            parent=parent,
            children=children,
            child_keys=child_keys,
            charts=charts,
            model_versions=model_versions or [],
            logged_models=logged_models or [],
            series_src=series_src,
            history_csv=history_csv or {},
        )
