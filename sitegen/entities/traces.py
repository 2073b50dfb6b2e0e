"""MLflow 3 GenAI traces (``mlflow.entities.Trace``): a trace's info (id, experiment, times,
state, tags, metadata, assessments) and its spans.

Every reader builds a trace's ``doc``: the dict ``MlflowClient.get_trace(id).to_dict()``
returns (``mlflow/entities/trace.py``), ``{"info": {...}, "data": {"spans": [...]}}``:

- ``info`` is ``TraceInfo.to_dict()`` (protobuf ``MessageToDict`` of ``TraceInfoV3`` with
  proto field names): ``trace_id``, ``trace_location`` (``{"type": "MLFLOW_EXPERIMENT",
  "mlflow_experiment": {"experiment_id": "1"}}``), ``request_time`` (RFC 3339 text, ms
  precision), ``state`` (``OK`` | ``ERROR`` | ``IN_PROGRESS`` | ``STATE_UNSPECIFIED``),
  ``execution_duration_ms`` (int ms), optional ``request_preview``, ``response_preview``,
  ``client_request_id``, and, when not empty, ``trace_metadata`` and ``tags`` (str → str) and
  ``assessments`` (``Assessment`` protos as dicts: ``assessment_name``, ``source``
  ``{"source_type", "source_id"}``, ``create_time``, ``feedback`` ``{"value", "error"}`` or
  ``expectation`` ``{"value"}`` | ``{"serialized_value": {"serialization_format", "value"}}``,
  ``rationale``, ``metadata``, ``span_id``, ``valid`` …);
- ``data.spans`` are ``Span.to_dict()``: ``trace_id``/``span_id``/``parent_span_id`` (base64
  of the OpenTelemetry ids), ``name``, ``start_time_unix_nano``/``end_time_unix_nano`` (int
  ns), ``events`` (``name``, ``time_unix_nano``, ``attributes``), ``status`` (``code``
  ``STATUS_CODE_OK`` | ``STATUS_CODE_ERROR`` | ``STATUS_CODE_UNSET``, ``message``),
  ``attributes`` (str → JSON text: ``mlflow.spanType``, ``mlflow.spanInputs``,
  ``mlflow.spanOutputs``…), ``links``.

:func:`from_doc` derives the plain fields pages use from it; redaction edits the doc and
derives them again, so ``trace.json`` (the doc) and the pages always agree. Selection: a
trace belongs to its experiment (``Experiment.traces``); one logged in a run (metadata
``mlflow.sourceRun``) is published only if that run is (``--filter``), and the run lists it
(``Run.traces``: rows as in ``traces.js``).

A trace unchanged since the last build is *kept*: readers make it from the last build's
manifest (its ``info`` as published, its redaction records and a :class:`SpanSummary`)
without its spans (``loaded`` is False, ``doc["data"]["spans"]`` and ``spans`` are empty);
lists and keys use the summary, and a build that must remake its page reads it again
(``sitegen.builder.traces.load_kept``).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Optional

SOURCE_RUN = "mlflow.sourceRun"  # trace metadata: the run the trace was logged in
TRACE_NAME = "mlflow.traceName"  # trace tag: the root span's name


@dataclass(slots=True)
class Span:
    """One span. Times in ns since the epoch; ``inputs``/``outputs``/``attributes`` values
    are the JSON-decoded attribute values (a value that is not JSON stays the raw text)."""

    span_id: str
    parent_id: Optional[str]
    name: str
    span_type: Optional[str]
    start_time_ns: int
    end_time_ns: Optional[int]
    status_code: str  # "OK" | "ERROR" | "UNSET"
    status_message: str = ""
    inputs: Any = None
    outputs: Any = None
    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[dict] = field(default_factory=list)  # {"name", "time_unix_nano", "attributes"}

    @property
    def duration_ms(self) -> Optional[float]:
        if self.end_time_ns is None:
            return None
        return round((self.end_time_ns - self.start_time_ns) / 1e6, 3)


class SpanSummary(NamedTuple):
    """What lists and keys need of a kept trace's spans (as published, i.e. redacted)."""

    count: int  # how many spans
    error: bool  # any span with status ERROR
    root_name: str  # the first root span's name, "" without one
    digest: str  # builder.traces.spans_digest of data.spans


@dataclass(slots=True)
class Trace:
    trace_id: str
    experiment_id: str
    request_time: Optional[int]  # ms since the epoch
    execution_duration: Optional[int]  # ms
    state: str
    doc: dict  # get_trace(trace_id).to_dict(), exactly
    tags: dict[str, str] = field(default_factory=dict)
    trace_metadata: dict[str, str] = field(default_factory=dict)
    assessments: list[dict] = field(default_factory=list)  # as in doc["info"]["assessments"]
    spans: list[Span] = field(default_factory=list)
    client_request_id: Optional[str] = None
    request_preview: Optional[str] = None
    response_preview: Optional[str] = None
    # What the store's files/rows looked like (the build plan's key); set by readers.
    fingerprint: str = ""
    # Set by the redaction stage: "<where>" → why its value was replaced by "[redacted]".
    redacted: dict[str, str] = field(default_factory=dict)
    # A kept trace (spans not loaded): what is known of its spans; None when loaded.
    summary: Optional[SpanSummary] = None

    @property
    def loaded(self) -> bool:
        """Whether the spans are here (False for a trace kept from the last build)."""
        return self.summary is None

    @property
    def span_count(self) -> int:
        return len(self.spans) if self.summary is None else self.summary.count

    def again(self) -> "Trace":
        """The trace made anew from its ``doc`` after an edit of it (redaction, hidden paths),
        keeping its fingerprint, redaction records and span summary."""
        out = from_doc(self.doc, self.fingerprint)
        out.redacted, out.summary = dict(self.redacted), self.summary
        return out

    @property
    def run_id(self) -> Optional[str]:
        return self.trace_metadata.get(SOURCE_RUN) or None

    @property
    def name(self) -> str:
        """The root span's name (MLflow's ``mlflow.traceName`` tag), else the trace id."""
        if self.summary is not None:
            return self.tags.get(TRACE_NAME) or self.summary.root_name or self.trace_id
        root = next((s for s in self.spans if s.parent_id is None), None)
        return self.tags.get(TRACE_NAME) or (root.name if root else "") or self.trace_id

    @property
    def error(self) -> bool:
        if self.summary is not None:
            return self.state == "ERROR" or self.summary.error
        return self.state == "ERROR" or any(s.status_code == "ERROR" for s in self.spans)

    def tree(self) -> list[dict]:
        """The spans as a tree: ``[{"span": Span, "children": [...]}]`` in recorded order; a
        span whose parent is missing (a partly exported trace) is shown as a root."""
        nodes = {s.span_id: {"span": s, "children": []} for s in self.spans}
        roots = []
        for s in self.spans:
            parent = nodes.get(s.parent_id) if s.parent_id else None
            (parent["children"] if parent is not None and parent["span"] is not s else roots).append(nodes[s.span_id])
        return roots

    def row(self) -> dict:
        """This trace's row of ``traces.js`` (docs/design.md, "Data file formats")."""
        return {
            "trace_id": self.trace_id,
            "name": self.name,
            "state": self.state,
            "request_time": self.request_time,
            "execution_duration": self.execution_duration,
            "request_preview": self.request_preview,
            "response_preview": self.response_preview,
            "tags": dict(sorted(self.tags.items())),
            "assessments": [assessment_row(a) for a in self.assessments],
            "run_id": self.run_id,
            "span_count": self.span_count,
            "error": self.error,
        }


def assessment_row(a: dict) -> dict:
    """An assessment as ``traces.js`` lists it: name, value, source type, kind."""
    if "expectation" in a:
        kind, exp = "expectation", a["expectation"] or {}
        if "serialized_value" in exp:
            try:
                value = json.loads((exp["serialized_value"] or {}).get("value", "null"))
            except (TypeError, ValueError):
                value = (exp["serialized_value"] or {}).get("value")
        else:
            value = exp.get("value")
    else:
        kind, value = "feedback", (a.get("feedback") or {}).get("value")
    return {
        "name": a.get("assessment_name"),
        "value": value,
        "source_type": (a.get("source") or {}).get("source_type"),
        "kind": kind,
    }


def _decoded(text: Any) -> Any:
    if not isinstance(text, str):
        return text
    try:
        return json.loads(text)
    except ValueError:
        return text


_STATUS = {"STATUS_CODE_OK": "OK", "STATUS_CODE_ERROR": "ERROR", "STATUS_CODE_UNSET": "UNSET"}


def span_from_dict(d: dict) -> Span:
    """A :class:`Span` from ``Span.to_dict()``'s shape."""
    attrs = {str(k): _decoded(v) for k, v in (d.get("attributes") or {}).items()}
    status = d.get("status") or {}
    code = str(status.get("code") or "STATUS_CODE_UNSET")
    end = d.get("end_time_unix_nano")
    return Span(
        span_id=str(d.get("span_id")),
        parent_id=d.get("parent_span_id") or None,
        name=str(d.get("name") or ""),
        span_type=attrs.get("mlflow.spanType") if isinstance(attrs.get("mlflow.spanType"), str) else None,
        start_time_ns=int(d.get("start_time_unix_nano") or 0),
        end_time_ns=int(end) if end is not None else None,
        status_code=_STATUS.get(code, code),
        status_message=str(status.get("message") or ""),
        inputs=attrs.get("mlflow.spanInputs"),
        outputs=attrs.get("mlflow.spanOutputs"),
        attributes=attrs,
        events=list(d.get("events") or []),
    )


def from_doc(doc: dict, fingerprint: str = "") -> Trace:
    """A :class:`Trace` from its ``to_dict()`` document (which it keeps as ``doc``)."""
    info = doc["info"]
    exp = ((info.get("trace_location") or {}).get("mlflow_experiment") or {}).get("experiment_id")
    return Trace(
        trace_id=str(info["trace_id"]),
        experiment_id=str(exp),
        request_time=ms_from_rfc3339(info.get("request_time")),
        execution_duration=info.get("execution_duration_ms"),
        state=str(info.get("state") or "STATE_UNSPECIFIED"),
        doc=doc,
        tags=dict(info.get("tags") or {}),
        trace_metadata=dict(info.get("trace_metadata") or {}),
        assessments=list(info.get("assessments") or []),
        spans=[span_from_dict(s) for s in (doc.get("data") or {}).get("spans") or []],
        client_request_id=info.get("client_request_id"),
        request_preview=info.get("request_preview"),
        response_preview=info.get("response_preview"),
        fingerprint=fingerprint,
    )


def ms_from_rfc3339(text: Any) -> Optional[int]:
    """ms since the epoch of protobuf's Timestamp JSON text (``2025-01-02T03:04:05.678Z``)."""
    if not isinstance(text, str) or not text:
        return None
    from datetime import datetime, timezone

    t = text.strip()
    frac_ns = 0
    if t.endswith("Z"):
        t = t[:-1]
    if "." in t:
        t, frac = t.split(".", 1)
        frac_ns = int((frac + "000000000")[:9])
    dt = datetime.fromisoformat(t).replace(tzinfo=timezone.utc)
    return int(dt.timestamp()) * 1000 + frac_ns // 1_000_000


def rfc3339_from_ms(ms: int) -> str:
    """protobuf's ``Timestamp.ToJsonString()`` of ``FromMilliseconds(ms)``: no fraction for
    whole seconds, else three digits."""
    from datetime import datetime, timezone

    secs, rest = divmod(int(ms), 1000)
    text = datetime.fromtimestamp(secs, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{text}.{rest:03d}Z" if rest else f"{text}Z"


def newest_first(traces: list[Trace]) -> list[Trace]:
    """MLflow's default order of ``search_traces``: request time descending, then id."""
    return sorted(traces, key=lambda t: (-(t.request_time or 0), t.trace_id))
