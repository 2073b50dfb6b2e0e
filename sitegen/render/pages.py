"""Page rendering with Jinja2. Renderers read only the model, never the store.

Templates come from the theme chain (the user's ``--theme`` folder first, then the
default theme). A user template can extend the default one it replaces and override
single blocks: ``{% extends "!default/run.html" %}``.
"""
from __future__ import annotations

import hashlib
import json
import math
import os
import re
from pathlib import Path

import jinja2

from sitegen.version import __version__
from sitegen.render import text as fmt
from sitegen.cachedir import user_cache_dir
from sitegen.entities import Experiment, LoggedModel, Run, Store
from sitegen.builder.plan import digest


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


def make_env(chain: list[Path]) -> jinja2.Environment:
    loaders = [jinja2.FileSystemLoader(str(p / "templates")) for p in chain]
    default = jinja2.FileSystemLoader(str(chain[-1] / "templates"))
    env = jinja2.Environment(
        loader=jinja2.ChoiceLoader([jinja2.PrefixLoader({"!default": default}, delimiter="/"), *loaders]),
        autoescape=True, trim_blocks=True, lstrip_blocks=True, undefined=jinja2.StrictUndefined,
        bytecode_cache=_bytecode_cache())
    env.filters.update(num=fmt.num, full=fmt.full, sortv=fmt.sort_key, iso=fmt.iso, when=fmt.when,
                       duration=fmt.duration, size=fmt.size, urlpath=fmt.urlpath,
                       excerpt=fmt.excerpt, sorted_dict=lambda d: dict(sorted(d.items())), md=lambda t: jinja2.filters.Markup(fmt.markdown(t)))
    env.globals.update(version=__version__, safe_http_url=fmt.safe_http_url, model_dir=model_dir,
                       logged_model_url=logged_model_url, run_url=run_url,
                       stage=lambda v: v if v and v != "None" else "")
    return env


# ---- URLs (all relative to the site root; pages add their own prefix) ----

def experiment_url(exp_id: str) -> str:
    return f"experiments/{exp_id}/index.html"


def run_dir(exp_id: str, run_id: str) -> str:
    return f"experiments/{exp_id}/runs/{run_id}"


def run_url(exp_id: str, run_id: str) -> str:
    return f"{run_dir(exp_id, run_id)}/index.html"


def slug(text: str, empty: str = "model", strip: str = "_.") -> str:
    """Safe characters + a short hash of the text: a stable file or folder name for any text
    (``empty`` when no safe character is left)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip(strip)[:60] or empty
    return f"{safe}-{hashlib.blake2b(text.encode(), digest_size=4).hexdigest()}"


def model_dir(name: str) -> str:
    """Stable folder of a registered model's page (any name → safe characters + short hash)."""
    return f"models/{slug(name)}"


def logged_model_slug(model_id: str) -> str:
    """A logged model's folder name: its id (``m-<hex>``) as it is when that is safe."""
    return model_id if re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}", model_id) else slug(model_id)


def logged_model_dir(exp_id: str, model_id: str) -> str:
    return f"experiments/{exp_id}/models/{logged_model_slug(model_id)}"


def logged_model_url(exp_id: str, model_id: str) -> str:
    return f"{logged_model_dir(exp_id, model_id)}/index.html"


# ---- run.json ----

def _json_num(v: float):
    if math.isfinite(v):
        return v
    if math.isnan(v):
        return "NaN"
    return "Infinity" if v > 0 else "-Infinity"


def _history_json(h) -> list:
    values = h.values if not h.non_finite_count else [_json_num(v) for v in h.values]
    return list(map(list, zip(h.steps, h.timestamps, values)))


def run_json(run: Run) -> str:
    doc = {
        "run_id": run.run_id, "experiment_id": run.experiment_id, "run_name": run.run_name,
        "status": run.status, "start_time": run.start_time, "end_time": run.end_time,
        "lifecycle_stage": run.lifecycle_stage, "user_id": run.user_id,
        "artifact_uri": run.artifact_uri, "parent_run_id": run.parent_run_id,
        "params": dict(sorted(run.params.items())), "tags": dict(sorted(run.tags.items())),
        "metrics": {k: _history_json(h)
                    for k, h in sorted(run.metrics.items())},
        "artifacts": [{"path": a.path, "size": a.size} for a in run.artifacts],
    }
    # Compact separators keep json's C encoder (indent= would fall back to pure Python).
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


def logged_model_json(m: LoggedModel) -> str:
    """model.json: a logged model as MLflow's client returns it, with every metric point."""
    doc = {
        "model_id": m.model_id, "experiment_id": m.experiment_id, "name": m.name,
        "artifact_location": m.artifact_location, "creation_timestamp": m.creation_time,
        "last_updated_timestamp": m.last_updated_time, "model_type": m.model_type,
        "source_run_id": m.source_run_id, "status": m.status, "status_message": m.status_message,
        "lifecycle_stage": m.lifecycle_stage,
        "params": dict(sorted(m.params.items())), "tags": dict(sorted(m.tags.items())),
        "metrics": [dict(p._asdict(), value=_json_num(p.value)) for p in sorted(
            m.metrics, key=lambda p: (p.key, p.dataset_name or "", p.dataset_digest or "", p.step,
                                      p.timestamp, p.run_id or ""))],
        "artifacts": [{"path": a.path, "size": a.size} for a in m.artifacts],
    }
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))


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

    def _render(self, template: str, root: str, **ctx) -> str:
        return self.env.get_template(template).render(root=root, site_title=self.site_title, **ctx)

    def index(self, store: Store, experiments: list[Experiment]) -> str:
        last = max((e.last_activity or 0 for e in experiments), default=0) or None
        return self._render("index.html", "", store=store, experiments=experiments,
                            last_activity=last, experiment_url=experiment_url)

    def models(self, models: list) -> str:
        return self._render("models.html", "../", models=models)

    def model(self, model, runs: dict[str, Run], logged: dict[str, LoggedModel]) -> str:
        return self._render("model.html", "../../", model=model, runs=runs, logged=logged)

    def logged_model(self, m: LoggedModel, exp: Experiment, runs: dict[str, Run], versions: list) -> str:
        return self._render("logged_model.html", "../../../../", m=m, exp=exp, runs=runs,
                            source=runs.get(m.source_run_id or ""), versions=versions)

    def experiment(self, exp: Experiment, groups, param_keys, metric_keys, comparison,
                   rows: "RunRows | None" = None) -> str:
        rows = rows or RunRows()
        macro = self.env.get_template("run_row.html").module.run_row
        columns = digest(param_keys, metric_keys)

        def run_row(run: Run, depth: int, group_size: int) -> jinja2.filters.Markup:
            return rows.get(run, f"{depth}:{group_size}:{columns}",
                            lambda: macro(run, depth, group_size, param_keys, metric_keys))

        return self._render("experiment.html", "../../", exp=exp, groups=groups,
                            param_keys=param_keys, metric_keys=metric_keys,
                            comparison=comparison, run_dir=run_dir, run_row=run_row,
                            run_names={r.run_id: r.display_name for r in exp.runs})

    def run(self, run: Run, exp: Experiment, parent: Run | None, children: list[Run],
            charts: dict, model_versions: list | None = None, logged_models: list | None = None) -> str:
        child_keys = sorted({k for c in children for k in c.metrics})[:8]
        return self._render("run.html", "../../../../", run=run, exp=exp, parent=parent,
                            children=children, child_keys=child_keys, charts=charts,
                            model_versions=model_versions or [], logged_models=logged_models or [])
