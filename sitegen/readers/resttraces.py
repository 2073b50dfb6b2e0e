"""MLflow 3 traces through a tracking server's REST API, read the way ``MlflowClient.get_trace``
does (``TracingClient.get_trace`` in ``mlflow/tracing/client.py``, ``RestStore`` in
``mlflow/store/tracking/rest_store.py``, handlers in ``mlflow/server/handlers.py``, 3.x):

- ``POST api/3.0/mlflow/traces/search`` (``SearchTracesV3``: ``locations`` = one
  ``{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id"}}``, at most 500 a
  page, ``next_page_token``) answers ``traces``: ``TraceInfoV3`` protos as JSON with proto
  field names — what ``GET api/3.0/mlflow/traces/<id>`` (get_trace_info) answers per trace:
  ``request_time`` Timestamp text, ``execution_duration`` Duration text (``"1.116s"``),
  ``trace_metadata``/``tags`` maps, ``assessments`` (Assessment protos);
- ``GET ajax-api/2.0/mlflow/get-trace-artifact?request_id=<id>`` answers the spans document
  ``{"spans": [Span.to_dict(), ...]}`` wherever the server keeps them (its spans table when
  the tag ``mlflow.trace.spansLocation`` is ``TRACKING_STORE``, else the trace's artifact,
  proxied ``mlflow-artifacts:`` locations included) — the ``data.spans`` of ``get_trace``.

Servers before MLflow 3 (no v3 search: 404/405/501) have no traces here. A finished trace's
spans are kept in the reader's cache (``<cache>/traces/<trace_id>/<info digest>.json``), so a
next build downloads only the spans of new or changed traces. A trace whose info cannot be
read is left out, one whose spans cannot be downloaded shown without them: one warning each,
naming the trace.
"""

from __future__ import annotations

import json
import os
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sitegen.digests import digest
from sitegen.entities import Experiment, Store
from sitegen.entities.traces import Trace, from_doc, ms_from_rfc3339
from sitegen.readers.filetraces import assessment_from_dictionary
from sitegen.readers.resthttp import HttpClient, HttpError
from sitegen.readers.tracedoc import TraceDocError, info_doc, spans_from_json

SEARCH = "api/3.0/mlflow/traces/search"
SPANS = "ajax-api/2.0/mlflow/get-trace-artifact"
PAGE = 500  # the server's cap on max_results (handlers._search_traces_v3)


def read_traces(http: HttpClient, pool, cache: Path, store: Store, exps: dict[str, Experiment]) -> None:
    """Attach every readable trace of the experiments in ``exps`` (``Experiment.traces``)."""
    warn = store.warnings.append
    infos: list[tuple[Experiment, dict]] = []
    for exp in exps.values():
        body = {
            "locations": [{"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": exp.experiment_id}}],
            "max_results": PAGE,
        }
        try:
            infos += [(exp, t) for t in _pages(http, body)]
        except HttpError as e:
            if e.code in (404, 405, 501):  # a server before MLflow 3: no traces API
                return
            warn(f"experiment {exp.experiment_id}: its traces could not be searched ({e}); left out")
    docs = []
    for exp, t in infos:
        try:
            docs.append((exp, info_from_proto_json(t)))
        except (TraceDocError, KeyError, TypeError, ValueError, InvalidOperation) as e:
            tid = t.get("trace_id") if isinstance(t, dict) else t
            warn(f"trace {tid}: its info cannot be read ({e}); trace left out")
    traces = pool.map(lambda d: _trace(http, cache, d[1], warn), docs)
    for (exp, _info), trace in zip(docs, traces):
        exp.traces.append(trace)


def _pages(http: HttpClient, body: dict):
    token = None
    while True:
        resp = http.request("POST", SEARCH, body=dict(body, **({"page_token": token} if token else {})))
        yield from resp.get("traces", [])
        token = resp.get("next_page_token")
        if not token:
            return


def duration_ms(text) -> int | None:
    """``Duration.ToMilliseconds()`` of a Duration's JSON text (``"3.248s"``)."""
    if text is None:
        return None
    if not isinstance(text, str) or not text.endswith("s"):
        raise TraceDocError(f"not a duration: {text!r}")
    return int(Decimal(text[:-1]) * 1000)


def info_from_proto_json(t: dict) -> dict:
    """``TraceInfo.from_proto(...).to_dict()`` of a ``TraceInfoV3`` in JSON."""
    exp = ((t.get("trace_location") or {}).get("mlflow_experiment") or {}).get("experiment_id")
    request_time = ms_from_rfc3339(t.get("request_time"))
    if exp is None or request_time is None:
        raise TraceDocError("no experiment or request_time")
    return info_doc(
        trace_id=str(t["trace_id"]),
        experiment_id=str(exp),
        request_time=request_time,
        state=str(t.get("state") or "STATE_UNSPECIFIED"),
        execution_duration=duration_ms(t.get("execution_duration")),
        request_preview=t.get("request_preview"),
        response_preview=t.get("response_preview"),
        client_request_id=t.get("client_request_id"),
        trace_metadata=t.get("trace_metadata"),
        tags=t.get("tags"),
        assessments=[assessment_from_proto_json(a) for a in t.get("assessments") or []],
    )


def assessment_from_proto_json(a: dict) -> dict:
    """``Assessment.from_proto(...).to_proto()`` as a dict (``mlflow/entities/assessment.py``):
    what ``from_dictionary`` makes of it, once empty proto fields are unset and an absent
    ``valid`` is proto's False."""
    d = {k: v for k, v in a.items() if k not in _UNSET_WHEN_EMPTY or v}
    d.setdefault("valid", False)
    return assessment_from_dictionary(d)


_UNSET_WHEN_EMPTY = {"assessment_id", "rationale", "overrides", "span_id", "metadata"}


def _trace(http: HttpClient, cache: Path, info: dict, warn) -> Trace:
    """The trace of ``info`` with its spans (from the cache when its info is unchanged)."""
    tid = info["trace_id"]
    fp = digest(json.dumps(info, sort_keys=True))
    cached = cache / "traces" / _safe(tid) / f"{fp}.json"
    data = None
    if info["state"] != "IN_PROGRESS" and cached.is_file():
        try:
            data = cached.read_bytes()
        except OSError:
            data = None
    if data is None:
        try:
            data = http.request("GET", SPANS, params={"request_id": tid}, raw=True)
        except HttpError as e:
            if info["state"] != "IN_PROGRESS":
                warn(f"trace {tid}: its spans could not be downloaded ({e}); the trace is shown without them")
            return from_doc({"info": info, "data": {"spans": []}}, fp)
    try:
        spans = spans_from_json(data)
    except TraceDocError as e:
        warn(f"trace {tid}: unreadable spans ({e}); the trace is shown without them")
        return from_doc({"info": info, "data": {"spans": []}}, fp)
    if info["state"] != "IN_PROGRESS" and not cached.is_file():
        _keep(cached, data)
    return from_doc({"info": info, "data": {"spans": spans}}, fp)


def _safe(trace_id: str) -> str:
    return "".join(c if c.isalnum() or c in "-_." else "_" for c in trace_id)[:200] or "_"


def _keep(path: Path, data: bytes) -> None:
    """Cache the spans of a finished trace (older versions of it removed); best effort."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        for old in path.parent.glob("*.json"):
            old.unlink(missing_ok=True)
        tmp = path.with_name(path.name + ".part")
        tmp.write_bytes(data)
        os.replace(tmp, path)
    except OSError:
        pass
