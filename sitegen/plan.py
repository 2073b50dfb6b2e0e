"""The build plan: what must be (re)made, from the store's fingerprints and the last build's manifest.

A run's page, charts, run.json and artifact copies are redone only when its render key
changes: the run's own fingerprint in the store (sizes/mtimes of its files, or its row
counts and last timestamps in a database), its artifact listing, and everything else
its page shows (experiment name, parent and children). A change of trackreport's
version, of the theme or of an output option invalidates everything.
"""
from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field

from . import __version__
from .model import Experiment, Run, Store, run_summary

MANIFEST_FORMAT = 2


def _h(*parts) -> str:
    return hashlib.blake2b(json.dumps(parts, sort_keys=True, default=str).encode(),
                           digest_size=12).hexdigest()


@dataclass(slots=True)
class Plan:
    site_key: str
    run_keys: dict[str, str]                 # run_id → render key
    experiment_keys: dict[str, str]          # experiment_id → key of its comparison charts
    render_runs: list[Run] = field(default_factory=list)
    render_experiments: set[str] = field(default_factory=set)
    full: bool = True

    def manifest(self, runs_by_id: dict[str, Run]) -> dict:
        return {"format": MANIFEST_FORMAT, "version": __version__, "site_key": self.site_key,
                "runs": {rid: _run_entry(runs_by_id[rid], k) for rid, k in sorted(self.run_keys.items())},
                "experiments": dict(sorted(self.experiment_keys.items()))}


def _run_entry(run: Run, key: str) -> dict:
    """What the next build needs of an unchanged run: its fingerprint and latest points."""
    latest = {}
    for k, h in run.metrics.items():
        p = h.latest
        if p is not None:
            v = p.value
            latest[k] = [p.step, p.timestamp, v if math.isfinite(v) else repr(v)]
    return {"exp": run.experiment_id, "key": key, "fp": run.fingerprint, "latest": latest,
            "run": run_summary(run)}


def _logged(m) -> tuple:
    return (m.model_id, m.name, m.status, m.last_updated_time, sorted(m.params.items()),
            sorted(m.tags.items()), sorted(m.latest_metrics.items()))


def run_key(run: Run, exp: Experiment, parent: Run | None, children: list[Run],
            model_versions=(), logged_models=()) -> str:
    return _h(run.fingerprint, run.lifecycle_stage, exp.name,
              [(a.path, a.size, a.mtime_ns, a.skipped) for a in run.artifacts],
              (parent.run_id, parent.display_name) if parent else None,
              [(c.run_id, c.display_name, c.status, c.fingerprint) for c in children], run.warnings,
              [(v.name, v.version, v.current_stage, v.aliases) for v in model_versions],
              [_logged(m) for m in logged_models])


def make_plan(store: Store, relations: dict[str, tuple[Run | None, list[Run]]],
              previous: dict | None, site_key: str, versions_by_run: dict | None = None) -> Plan:
    run_keys, exp_keys = {}, {}
    versions_by_run = versions_by_run or {}
    for exp in store.experiments:
        for run in exp.runs:
            parent, children = relations[run.run_id]
            logged = [m for m in exp.logged_models if m.source_run_id == run.run_id]
            run_keys[run.run_id] = run_key(run, exp, parent, children,
                                           versions_by_run.get(run.run_id, ()), logged)
        exp_keys[exp.experiment_id] = _h(exp.name, exp.lifecycle_stage, sorted(exp.tags.items()),
                                         [run_keys[r.run_id] for r in exp.runs],
                                         [_logged(m) for m in exp.logged_models])
    usable = (previous is not None and previous.get("format") == MANIFEST_FORMAT
              and previous.get("version") == __version__ and previous.get("site_key") == site_key)
    plan = Plan(site_key, run_keys, exp_keys, full=not usable)
    old_runs = previous.get("runs", {}) if usable else {}
    old_exps = previous.get("experiments", {}) if usable else {}
    for exp in store.experiments:
        if old_exps.get(exp.experiment_id) != exp_keys[exp.experiment_id]:
            plan.render_experiments.add(exp.experiment_id)
        for run in exp.runs:
            old = old_runs.get(run.run_id)
            if not (old and old.get("key") == run_keys[run.run_id] and old.get("exp") == run.experiment_id):
                plan.render_runs.append(run)
    return plan
