"""The build plan: what must be (re)made, from the store's fingerprints and the last build's manifest.

A run's page, charts, run.json and artifact copies are redone only when its render key
changes: the run's own fingerprint in the store (sizes/mtimes of its files, or its row
counts and last timestamps in a database), its artifact listing, and everything else
its page shows (experiment name, parent and children). A logged model's page, model.json
and artifact copies likewise, from everything its page shows (the model is read whole
each build: there are few). A trace's page, trace.json and trace.js likewise, from its
document and what its page shows around it (``builder.traces``). A change of trackreport's
version, of the theme or of an output option invalidates everything.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sitegen.builder import manifest, traces
from sitegen.digests import digest
from sitegen.entities import Experiment, LoggedModel, Run, Store


@dataclass(slots=True)
class Plan:
    site_key: str
    run_keys: dict[str, str]  # run_id → render key
    experiment_keys: dict[str, str]  # experiment_id → key of its comparison charts
    logged_model_keys: dict[str, tuple[str, str]] = field(default_factory=dict)  # model_id → (exp, key)
    render_runs: list[Run] = field(default_factory=list)
    render_experiments: set[str] = field(default_factory=set)
    render_logged_models: list[LoggedModel] = field(default_factory=list)
    full: bool = True
    trace_keys: dict[str, list] = field(default_factory=dict)  # trace_id → [exp, key] (builder.traces)
    render_traces: list = field(default_factory=list)  # traces whose pages are made
    trace_spans: dict = field(default_factory=dict)  # trace_id → SpanSummary (builder.traces)


def _logged(m: LoggedModel) -> tuple:
    """What lists of logged models (run and experiment pages) show of one."""
    return (
        m.model_id,
        m.experiment_id,
        m.name,
        m.status,
        m.status_message,
        m.model_type,
        m.lifecycle_stage,
        m.last_updated_timestamp,
        sorted(m.params.items()),
        sorted(m.tags.items()),
        m.metric_rows,
    )


def logged_model_key(m: LoggedModel, exp: Experiment, runs: dict[str, Run], versions=()) -> str:
    """Everything a logged model's page shows: the model, the runs it links, its versions."""
    run_ids = sorted({m.source_run_id or ""} | {p.run_id or "" for p in m.metrics})
    return digest(
        _logged(m),
        m.creation_timestamp,
        m.artifact_location,
        exp.name,
        [(rid, runs[rid].experiment_id, runs[rid].display_name) for rid in run_ids if rid in runs],
        [(v.name, v.version, v.current_stage, v.aliases) for v in versions],
        [(a.path, a.size, a.mtime_ns, a.skipped) for a in m.artifacts],
        m.warnings,
    )


def run_key(
    run: Run, exp: Experiment, parent: Run | None, children: list[Run], model_versions=(), logged_models=()
) -> str:
    return digest(
        run.fingerprint,
        run.lifecycle_stage,
        run.stale,
        exp.name,
        [(a.path, a.size, a.mtime_ns, a.skipped) for a in run.artifacts],
        (parent.run_id, parent.display_name) if parent else None,
        [(c.run_id, c.display_name, c.status, c.fingerprint) for c in children],
        run.warnings,
        [(v.name, v.version, v.current_stage, v.aliases) for v in model_versions],
        [_logged(m) for m in logged_models],
        run.traces,
    )


def make_plan(
    store: Store,
    relations: dict[str, tuple[Run | None, list[Run]]],
    previous: dict | None,
    site_key: str,
    versions_by_run: dict | None = None,
    models_by_run: dict | None = None,
    versions_by_model: dict | None = None,
) -> Plan:
    """``versions_by_run``/``versions_by_model``: registered versions made from a run or a
    logged model; ``models_by_run``: logged models by source run id."""
    run_keys, exp_keys, logged_model_keys = {}, {}, {}
    versions_by_run, models_by_run = versions_by_run or {}, models_by_run or {}
    versions_by_model = versions_by_model or {}
    runs = store.run_by_id()
    for exp in store.experiments:
        for run in exp.runs:
            parent, children = relations[run.run_id]
            run_keys[run.run_id] = run_key(
                run, exp, parent, children, versions_by_run.get(run.run_id, ()), models_by_run.get(run.run_id, ())
            )
        exp_keys[exp.experiment_id] = digest(
            exp.name,
            exp.lifecycle_stage,
            sorted(exp.tags.items()),
            [run_keys[r.run_id] for r in exp.runs],
            [_logged(m) for m in exp.logged_models],
            traces.rows_key(exp),
        )
        for m in exp.logged_models:
            logged_model_keys[m.model_id] = (
                m.experiment_id,
                logged_model_key(m, exp, runs, versions_by_model.get(m.model_id, ())),
            )
    usable = manifest.usable(previous, site_key)
    plan = Plan(site_key, run_keys, exp_keys, logged_model_keys, full=not usable)
    plan.trace_keys, plan.render_traces, plan.trace_spans = traces.plan_traces(store, previous, usable)
    old_runs = previous.get("runs", {}) if usable else {}
    old_exps = previous.get("experiments", {}) if usable else {}
    old_models = previous.get("models", {}) if usable else {}
    for exp in store.experiments:
        if old_exps.get(exp.experiment_id) != exp_keys[exp.experiment_id]:
            plan.render_experiments.add(exp.experiment_id)
        for run in exp.runs:
            old = old_runs.get(run.run_id)
            if not (old and old.get("key") == run_keys[run.run_id] and old.get("exp") == run.experiment_id):
                plan.render_runs.append(run)
        for m in exp.logged_models:
            old = old_models.get(m.model_id)
            if not (old and [old.get("exp"), old.get("key")] == list(logged_model_keys[m.model_id])):
                plan.render_logged_models.append(m)
    return plan


def pages_key(store: Store, plan: Plan) -> str:
    """What the pages that list everything show (the index, the registry, lists of logged
    models and traces) beyond what the plan's keys cover."""
    return digest(
        sorted(plan.experiment_keys.items()),
        [(e.experiment_id, e.creation_time, e.last_update_time) for e in store.experiments],
        sorted(plan.logged_model_keys.items()),
        sorted(plan.trace_keys),
        repr(store.registered_models),
    )


def nothing_to_make(plan: Plan, previous: dict | None, key: str) -> bool:
    """Whether no page of the site would change: none of a run, experiment, logged model or
    trace, nor any page listing them (``key``: this build's :func:`pages_key`)."""
    return not (
        plan.full
        or plan.render_runs
        or plan.render_experiments
        or plan.render_logged_models
        or plan.render_traces
        or (previous or {}).get("pages") != key
    )
