"""The incremental-build manifest: the one owner of its format (Pelican's ``cache.py`` idea).

A build leaves in the site's marker file (``.trackreport-site``, written by the writer)::

    {"generator": "trackreport", "version": str,
     "manifest": {
        "format": MANIFEST_FORMAT, "version": str, "site_key": str (theme + output options),
        "build": str (the id of this build's private state, sitestate),
        "runs": {run_id: {"exp": experiment_id, "key": render key, "fp": store fingerprint,
                          "latest": {metric key: [step, timestamp ms, value, (last timestamp ms)]},
                          "run": run summary (every field the reader fills but histories)}},
        "experiments": {experiment_id: key of its page},
        "models": {model_id: {"exp": experiment_id, "key": render key}},   # logged models
        "traces": {trace_id: [experiment_id, render key]},                   # MLflow 3 traces
        "trace_data": {trace_id: {"exp": experiment_id, "fp": the reader's fingerprint,
                                  "info": doc["info"] as published (redacted, hidden),
                                  "redacted": Trace.redacted, "spans": SpanSummary}},
        "charts": {experiment_id: kept comparison charts (charts.compare)},
        "rows": {experiment_id: {row key: the row's HTML}},                  # runs tables
        "pages": key of what the listing pages show (plan.pages_key)}}

It holds only what the pages show (published, redacted, hidden values), since the marker goes
wherever the site folder is copied. What else the next build needs — the reader's own state
(listings, stats and meta.yaml of the whole store, SQLite row counts), the secret scanner's
verdicts by value digest, markdown conversions (of descriptions since removed too), and
artifact URIs the site shows hidden or redacted (a run summary says
``"private_artifact_uri": true``) — is the site's private state, in the user's cache
(:mod:`sitegen.builder.sitestate`), used only with the manifest of the same ``build`` id.

The next build reads it back (:func:`load`); readers get what they may reuse through
:class:`ManifestReuse`; the plan compares keys (``sitegen.builder.plan``); :func:`assemble`
makes the next one. Values of ``latest`` that JSON cannot hold (NaN, ±inf) are their repr().
A manifest of another format or version is not used: the build starts afresh.

``trace_data`` keeps what pages list of each published trace whose reader gave it a
fingerprint (its files or rows, as they were, settled): a next build with the same site key
(so the same selection, redaction and hiding options) makes an unchanged trace from it
without reading it (:meth:`ManifestReuse.get_trace`). It holds only published values, as
``runs`` does.
"""

from __future__ import annotations

import dataclasses
import json
import math
import uuid
from pathlib import Path

from sitegen.entities import DatasetInput, MetricHistory, Run, Store
from sitegen.entities.traces import SpanSummary, Trace, from_doc
from sitegen.version import __version__

MANIFEST_FORMAT = 4  # 4: the reader's state and recorded artifact URIs moved to sitestate

# What a build keeps of a run between processes, so that the next build need not read an
# unchanged run's files again: everything the reader filled in except the histories.
_SUMMARY_FIELDS = tuple(
    "run_id experiment_id run_name status start_time end_time lifecycle_stage user_id artifact_uri "
    "source_type source_name entry_point_name source_version params tags redacted".split()
)


def load(out: Path, marker: str) -> dict | None:
    """The last build's manifest from the site's marker file, or None (none, unreadable, or
    not a mapping)."""
    try:
        doc = json.loads((out / marker).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    manifest = doc.get("manifest") if isinstance(doc, dict) else None
    return manifest if isinstance(manifest, dict) else None


def usable(previous: dict | None, site_key: str) -> bool:
    """Whether a build may reuse ``previous``: same format, trackreport version and site key."""
    return (
        previous is not None
        and previous.get("format") == MANIFEST_FORMAT
        and previous.get("version") == __version__
        and previous.get("site_key") == site_key
    )


def run_summary(run: Run) -> dict:
    out = {name: getattr(run, name) for name in _SUMMARY_FIELDS}
    if run.recorded_artifact_uri is not None:
        # Hidden or redacted on the site: the URI as recorded (where the run's artifacts are
        # found) is kept in the site's private state, not here (sitestate).
        out["private_artifact_uri"] = True
    out["inputs"] = [[i.name, i.digest, i.source_type, i.source, i.schema, i.profile, i.tags] for i in run.inputs]
    return out


def private_artifact_uris(store: Store) -> dict[str, str]:
    """{run_id: artifact URI as recorded} of the runs whose URI the site shows hidden or
    redacted: what sitestate keeps for ``run_from_summary``."""
    return {
        r.run_id: r.recorded_artifact_uri
        for e in store.experiments
        for r in e.runs
        if r.recorded_artifact_uri is not None
    }


def run_from_summary(
    data: dict, metrics: dict[str, MetricHistory], fingerprint: str, artifact_uri: str | None = None
) -> Run:
    """The run ``run_summary`` described, with only the latest points of its metrics
    (``artifact_uri``: the recorded one, where the summary says it is kept privately).
    Raises KeyError if the summary lacks a field or that URI."""
    fields = {name: data[name] for name in _SUMMARY_FIELDS}
    if data.get("private_artifact_uri"):
        if artifact_uri is None:
            raise KeyError("artifact_uri")
        fields["artifact_uri"] = artifact_uri
    run = Run(**fields)
    run.inputs = [DatasetInput(*fields) for fields in data["inputs"]]
    run.metrics, run.metrics_complete, run.fingerprint = metrics, False, fingerprint
    return run


def run_entry(run: Run, key: str, old: dict | None = None) -> dict:
    """What the next build needs of a run: its fingerprint and latest points, and a summary
    of the rest (``old``: the last build's entry, reused as it is if the run is unchanged)."""
    if (
        isinstance(old, dict)
        and run.fingerprint
        and old.get("fp") == run.fingerprint
        and old.get("exp") == run.experiment_id
        and "latest" in old
        and "run" in old
    ):
        return {**old, "key": key}
    latest, counts = {}, {}
    for k, h in run.metrics.items():
        if h.count > 1:
            counts[k] = h.count
        p = h.latest
        if p is not None:
            v = p.value
            latest[k] = [p.step, p.timestamp, v if math.isfinite(v) else repr(v)]
            if h.last_timestamp != p.timestamp:  # a later point at a lower step
                latest[k].append(h.last_timestamp)
    entry = {"exp": run.experiment_id, "key": key, "fp": run.fingerprint, "latest": latest, "run": run_summary(run)}
    if counts:
        entry["n"] = counts  # points per metric, where more than one
    return entry


def _latest(entry: dict) -> dict[str, MetricHistory]:
    """Each metric's latest point (and its last timestamp, when a later point has a lower step,
    and its number of points)."""
    counts = entry.get("n") or {}
    return {
        k: MetricHistory.latest_only(
            k,
            p[0],
            p[1],
            float(p[2]) if isinstance(p[2], str) else p[2],
            p[3] if len(p) > 3 else None,
            counts.get(k, 1),
        )
        for k, p in entry["latest"].items()
    }


class ManifestReuse:
    """What readers may reuse of runs unchanged since the last build: the runs as this process
    last read them (``runs_kept``, ``memory``: full histories), else the manifest's summaries
    with each metric's latest point. Also the reader's own state (``reader_state``)."""

    def __init__(
        self,
        previous: dict | None,
        memory: dict | None = None,
        runs_kept: dict | None = None,
        private: dict | None = None,
    ):
        self.runs = (previous or {}).get("runs", {})
        private = private or {}  # sitestate.load: what goes with ``previous``
        self.reader_state = private.get("reader")
        self.artifact_uris = private.get("artifact_uris") or {}
        self.trace_data = (previous or {}).get("trace_data") or {}
        self.memory = memory or {}
        self.runs_kept = runs_kept or {}

    def get_run(self, folder: str, fingerprint: str) -> Run | None:
        """An unchanged run (by its folder's name, its id): as this process last read it, else
        as the last build's manifest summed it up (only its metrics' latest points)."""
        kept = self.runs_kept.get(folder)
        if kept is not None and kept.fingerprint == fingerprint and kept.metrics_complete:
            return dataclasses.replace(kept, artifacts=[], artifact_dir=None, warnings=[], inputs=list(kept.inputs))
        old = self.runs.get(folder)
        if old is None or old.get("fp") != fingerprint or "run" not in old or "latest" not in old:
            return None
        try:
            return run_from_summary(old["run"], _latest(old), fingerprint, self.artifact_uris.get(folder))
        except (KeyError, TypeError, ValueError):
            return None  # a manifest from another version, or edited by hand: read the run

    def get(self, run_id: str, fingerprint: str) -> tuple[dict[str, MetricHistory], bool] | None:
        """(metrics, complete) of an unchanged run: its full histories if this process holds
        them, else each metric's latest point; None when the run changed."""
        kept = self.memory.get(run_id)
        if kept is not None and kept[0] == fingerprint:
            return kept[1], True
        old = self.runs.get(run_id)
        if old is None or old.get("fp") != fingerprint or "latest" not in old:
            return None
        return _latest(old), False

    def get_trace(self, trace_id: str, experiment_id: str, fingerprint: str) -> Trace | None:
        """An unchanged trace (same reader fingerprint) as the last build published it,
        without its spans (``Trace.summary``); None when it changed or was not kept."""
        entry = self.trace_data.get(trace_id) if fingerprint else None
        if not isinstance(entry, dict) or entry.get("fp") != fingerprint or entry.get("exp") != experiment_id:
            return None
        try:
            trace = from_doc({"info": entry["info"], "data": {"spans": []}}, fingerprint)
            count, error, root, key = entry["spans"]
            trace.summary = SpanSummary(int(count), bool(error), str(root), str(key))
            trace.redacted = {str(k): str(v) for k, v in entry["redacted"].items()}
        except (KeyError, TypeError, ValueError, AttributeError):
            return None  # a manifest from another version, or edited by hand: read the trace
        return trace if trace.trace_id == trace_id and trace.experiment_id == experiment_id else None


def trace_entry(trace: Trace, spans: SpanSummary) -> dict:
    """What the next build keeps of a published trace (``trace_data``)."""
    return {
        "exp": trace.experiment_id,
        "fp": trace.fingerprint,
        "info": trace.doc.get("info"),
        "redacted": trace.redacted,
        "spans": list(spans),
    }


def kept_section(previous: dict | None, full: bool, section: str) -> dict:
    """A per-experiment section of the last build's manifest, if this build can use it."""
    return (previous or {}).get(section, {}) if not full else {}


def per_experiment(store: Store, made: dict, old: dict) -> dict:
    """A manifest section by experiment: this build's entry for the experiments it redid, the
    last build's for the others."""
    return {
        eid: made[eid] if eid in made else old.get(eid, {})
        for eid in sorted(e.experiment_id for e in store.experiments)
    }


def assemble(plan, store: Store, previous: dict | None, *, charts: dict, rows: dict) -> dict:
    """The manifest of this build: the plan's keys, run entries (unchanged ones as they
    were), what is known of runs and logged models unreadable right now (their pages are
    kept), the per-experiment sections (``charts``, ``rows``: this build's entries for the
    experiments it redid)."""
    old_runs = (previous or {}).get("runs", {}) if not plan.full else {}
    runs = store.run_by_id()
    manifest = {
        "format": MANIFEST_FORMAT,
        "version": __version__,
        "build": uuid.uuid4().hex,  # the id sitestate's private half is kept under
        "site_key": plan.site_key,
        "runs": {rid: run_entry(runs[rid], k, old_runs.get(rid)) for rid, k in sorted(plan.run_keys.items())},
        "experiments": dict(sorted(plan.experiment_keys.items())),
        "models": {mid: {"exp": e, "key": k} for mid, (e, k) in sorted(plan.logged_model_keys.items())},
        "traces": dict(sorted(plan.trace_keys.items())),
        "trace_data": {
            t.trace_id: trace_entry(t, plan.trace_spans[t.trace_id])
            for e in store.experiments
            for t in e.traces
            if t.fingerprint and t.trace_id in plan.trace_spans and t.trace_id in plan.trace_keys
        },
    }
    for rid in store.unreadable_runs:
        if previous and rid in previous.get("runs", {}):
            manifest["runs"][rid] = previous["runs"][rid]
    for mid in store.unreadable_logged_models:
        if previous and mid in previous.get("models", {}):
            manifest["models"][mid] = previous["models"][mid]
    manifest["charts"] = per_experiment(store, charts, kept_section(previous, plan.full, "charts"))
    manifest["rows"] = per_experiment(store, rows, kept_section(previous, plan.full, "rows"))
    return manifest
