"""MLflow 3 traces on the site (``sitegen.entities.traces``): which trace pages to (re)make and
making them.

Per experiment that has traces: ``traces/index.html`` (the list) and ``traces/traces.js``
(its data: :func:`traces_js`), remade whenever the experiment's page is (its key covers every
trace's row); per trace ``traces/<trace_id>/index.html``, ``trace.json`` (the trace's
``to_dict()`` document, strict JSON) and ``trace.js`` (the same document as a data file),
remade only when the trace's key changes (:func:`trace_key`: its document, as redacted, and
what its page shows around it). Folders of traces that are gone are removed.

A trace kept from the last build (``Trace.loaded`` False: its spans not read) has its key
from its span summary; when its page must be made all the same (its experiment or run was
renamed), :func:`load_kept` reads it again whole and publishes it as the read stage does.
"""

from __future__ import annotations

import json
import math
from typing import TYPE_CHECKING

from sitegen.digests import digest
from sitegen.entities import Experiment, Store
from sitegen.entities.traces import SpanSummary, Trace, newest_first
from sitegen.render import urls
from sitegen.render.rundata import data_script
from sitegen.writer import SiteWriter

if TYPE_CHECKING:
    from sitegen.render.pages import Pages

FORMAT = 1


def link_traces(store: Store) -> None:
    """Order each experiment's traces newest first and give every run the rows of the traces
    logged in it (``Run.traces``)."""
    runs = store.run_by_id()
    for run in runs.values():
        run.traces = []
    for exp in store.experiments:
        exp.traces = newest_first(exp.traces)
        for t in exp.traces:
            run = runs.get(t.run_id or "")
            if run is not None and run.experiment_id == exp.experiment_id:
                run.traces.append(t.row())


def rows_key(exp: Experiment) -> str:
    """What the experiment's pages show of its traces (the list, the traces section)."""
    return digest([t.row() for t in exp.traces]) if exp.traces else ""


def _runs(exp: Experiment) -> dict:
    """The experiment's published runs by id (a trace links to its run only when published)."""
    return {r.run_id: r for r in exp.runs}


def spans_digest(trace: Trace) -> str:
    """A key of the trace's spans as published (``doc["data"]["spans"]``); a kept trace's
    from its summary."""
    if trace.summary is not None:
        return trace.summary.digest
    spans = (trace.doc.get("data") or {}).get("spans") or []
    return digest(json.dumps(spans, sort_keys=True, allow_nan=True, default=str))


def span_summary(trace: Trace) -> SpanSummary:
    """What the next build keeps of a loaded trace's spans (``Trace.summary``)."""
    if trace.summary is not None:
        return trace.summary
    root = next((s for s in trace.spans if s.parent_id is None), None)
    return SpanSummary(
        len(trace.spans),
        any(s.status_code == "ERROR" for s in trace.spans),
        root.name if root else "",
        spans_digest(trace),
    )


def trace_key(trace: Trace, exp: Experiment, run, spans: str | None = None) -> str:
    """What a trace's page shows: its document (``spans``: its :func:`spans_digest`, if known),
    the experiment's name and its run (or None)."""
    return digest(
        json.dumps(trace.doc.get("info"), sort_keys=True, allow_nan=True, default=str),
        spans_digest(trace) if spans is None else spans,
        exp.name,
        (run.run_id, run.display_name) if run else None,
    )


def publisher(options, scanner, store_dir: str | None):
    """``publish(traces)`` for :func:`load_kept`: redaction and hiding as the read stage
    applies them (``options``: BuildOptions, ``scanner``: the build's secrets.Scanner)."""
    from sitegen.safety import privacy
    from sitegen.safety.redact import Redactor

    def publish(found: list[Trace]) -> list[Trace]:
        if not options.no_redact:
            try:
                found = Redactor(scanner, options.redact_key).traces(found)
            finally:
                scanner.close()
        return privacy.hide_traces(found, store_dir, paths=options.hide_paths, users=options.hide_users)

    return publish


def load_kept(store: Store, plan, reader, publish) -> None:
    """Read again whole the kept traces whose pages ``plan`` makes (the reader's
    ``load_traces(traces)`` → {trace id: the trace as read}); ``publish(traces)`` → the traces
    redacted and hidden as the read stage does (:func:`publisher`). They replace the kept ones
    in their experiment and in the plan (their keys again from what was read); one that cannot
    be read again (warned about by the reader) gets no page and no key, so the next build
    reads it again."""
    kept = [t for t in plan.render_traces if not t.loaded]
    if not kept:
        return
    load = getattr(reader, "load_traces", None)
    found = load(kept) if load is not None else {}
    fresh = {t.trace_id: t for t in publish([found[t.trace_id] for t in kept if t.trace_id in found])}
    for exp in store.experiments:
        if any(t.trace_id in fresh for t in exp.traces):
            exp.traces = [fresh.get(t.trace_id, t) for t in exp.traces]
            runs = _runs(exp)
            for t in exp.traces:
                if t.trace_id in fresh:
                    plan.trace_spans[t.trace_id] = spans = span_summary(t)
                    key = trace_key(t, exp, runs.get(t.run_id or ""), spans.digest)
                    plan.trace_keys[t.trace_id] = [exp.experiment_id, key]
    todo = []
    for t in plan.render_traces:
        if t.loaded:
            todo.append(t)
        elif t.trace_id in fresh:
            todo.append(fresh[t.trace_id])
        else:
            plan.trace_keys.pop(t.trace_id, None)
    plan.render_traces = todo


def plan_traces(store: Store, previous: dict | None, usable: bool) -> tuple[dict, list[Trace], dict]:
    """({trace_id: [experiment_id, key]}, traces whose pages must be made, {trace_id:
    SpanSummary})."""
    keys, todo, summaries = {}, [], {}
    old = (previous or {}).get("traces", {}) if usable else {}
    for exp in store.experiments:
        runs = _runs(exp)
        for t in exp.traces:
            summaries[t.trace_id] = spans = span_summary(t)
            keys[t.trace_id] = [exp.experiment_id, trace_key(t, exp, runs.get(t.run_id or ""), spans.digest)]
            if old.get(t.trace_id) != keys[t.trace_id]:
                todo.append(t)
    return keys, todo, summaries


def traces_js(exp: Experiment) -> str:
    """``traces.js`` (docs/design.md, "Data file formats")."""
    doc = {"format": FORMAT, "experiment_id": exp.experiment_id, "traces": [t.row() for t in exp.traces]}
    return data_script("traces", doc)


def trace_json(doc: dict) -> str:
    """``trace.json`` of a trace's :func:`_strict` document (a non-finite number, which
    MLflow's own JSON cannot hold either, becomes its text)."""
    # Compact separators keep json's C encoder (indent= falls back to pure Python: 4x slower).
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")) + "\n"


def _strict(v):
    if isinstance(v, float) and not math.isfinite(v):
        return str(v)
    if isinstance(v, dict):
        return {k: _strict(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_strict(x) for x in v]
    return v


def write_pages(store: Store, writer: SiteWriter, pages: Pages, render_experiments: set[str], todo: list[Trace]) -> int:
    """The trace pages and data files this build makes; returns how many pages."""
    made = 0
    exps = {e.experiment_id: (e, _runs(e)) for e in store.experiments}
    for t in todo:
        exp, runs = exps[t.experiment_id]
        doc = _strict(t.doc)  # once for trace.json and trace.js
        writer.write_text(urls.trace_json(exp.experiment_id, t.trace_id), trace_json(doc))
        writer.write_text(urls.trace_data(exp.experiment_id, t.trace_id), data_script(f"trace/{t.trace_id}", doc))
        writer.write_text(urls.trace_page(exp.experiment_id, t.trace_id), pages.trace(t, exp, runs.get(t.run_id or "")))
        made += 1
    changed = {t.experiment_id for t in todo}
    for exp in store.experiments:
        if exp.traces and (exp.experiment_id in render_experiments or exp.experiment_id in changed):
            writer.write_text(urls.traces_data(exp.experiment_id), traces_js(exp))
            writer.write_text(urls.traces_page(exp.experiment_id), pages.traces(exp))
            made += 1
    return made


def remove_stale(writer: SiteWriter, store: Store) -> None:
    """Drop the pages of traces that are gone (and the list of an experiment without any)."""
    for exp in store.experiments:
        folder = writer.root / urls.traces_dir(exp.experiment_id)
        if not folder.is_dir():
            continue
        if not exp.traces:
            writer.remove(urls.traces_dir(exp.experiment_id))
            continue
        live = {urls.trace_folder(t.trace_id) for t in exp.traces}
        for entry in folder.iterdir():
            if entry.is_dir() and entry.name not in live:
                writer.remove(f"{urls.traces_dir(exp.experiment_id)}/{entry.name}")
