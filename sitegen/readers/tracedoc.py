"""A trace's ``to_dict()`` document (``sitegen.entities.traces``) from what a store keeps,
the same for every reader: what MLflow's client does between the store and
``Trace.to_dict()`` (``TraceInfo.to_proto`` + ``MessageToDict``, ``Span.from_dict`` +
``Span.to_dict``, ``Assessment.to_proto``), redone without MLflow.

- :func:`info_doc`: ``TraceInfo.to_dict()`` — metadata values and keys cut to 250
  characters, tag keys to 250 and values to 4,096 (``mlflow.tracing.constant``), empty maps
  and unset optional fields left out, ``request_time`` as protobuf Timestamp text.
- :func:`assessment_doc`: an ``Assessment`` proto as a dict; feedback values and plain
  expectation values pass through ``google.protobuf.Value`` (numbers become floats);
  list/dict expectation values are JSON text (``serialized_value``).
- :func:`span_doc`: ``Span.to_dict()`` of a stored span dict, current (base64 ids) or
  MLflow 2.x (``context``/``parent_id``, hex ids) shape.
- :func:`spans_from_json`: the ``{"spans": [...]}`` document (``traces.json`` artifact).
"""

from __future__ import annotations

import base64
import json
from typing import Any, Optional

from sitegen.entities.traces import rfc3339_from_ms

MAX_METADATA = 250  # MAX_CHARS_IN_TRACE_INFO_METADATA
MAX_TAG_KEY = 250  # MAX_CHARS_IN_TRACE_INFO_TAGS_KEY
MAX_TAG_VALUE = 4096  # MAX_CHARS_IN_TRACE_INFO_TAGS_VALUE
_STATES = ("STATE_UNSPECIFIED", "OK", "ERROR", "IN_PROGRESS")
_V2_STATUS = {"OK": "OK", "ERROR": "ERROR", "UNSPECIFIED": "STATE_UNSPECIFIED", "IN_PROGRESS": "IN_PROGRESS"}


class TraceDocError(ValueError):
    """What a stored trace lacks to make its document (the message names it)."""


def state_name(value: Any) -> str:
    """TraceState of a stored state/status (MLflow 2 wrote TraceStatus: OK, ERROR, …)."""
    text = str(value or "STATE_UNSPECIFIED")
    if text in _STATES:
        return text
    if text in _V2_STATUS:
        return _V2_STATUS[text]
    raise TraceDocError(f"unknown trace state {text!r}")


def info_doc(
    *,
    trace_id: str,
    experiment_id: str,
    request_time: int,
    state: str,
    execution_duration: Optional[int] = None,
    request_preview: Optional[str] = None,
    response_preview: Optional[str] = None,
    client_request_id: Optional[str] = None,
    trace_metadata: Optional[dict] = None,
    tags: Optional[dict] = None,
    assessments: Optional[list] = None,
) -> dict:
    """``TraceInfo.to_dict()``; ``request_time`` and ``execution_duration`` in ms."""
    doc: dict[str, Any] = {"trace_id": trace_id}
    if client_request_id is not None:
        doc["client_request_id"] = client_request_id
    doc["trace_location"] = {"type": "MLFLOW_EXPERIMENT", "mlflow_experiment": {"experiment_id": str(experiment_id)}}
    if request_preview is not None:
        doc["request_preview"] = request_preview
    if response_preview is not None:
        doc["response_preview"] = response_preview
    doc["request_time"] = rfc3339_from_ms(request_time)
    doc["state"] = state_name(state)
    metadata = {str(k)[:MAX_METADATA]: str(v)[:MAX_METADATA] for k, v in (trace_metadata or {}).items()}
    if metadata:
        doc["trace_metadata"] = metadata
    tags = {str(k)[:MAX_TAG_KEY]: str(v)[:MAX_TAG_VALUE] for k, v in (tags or {}).items()}
    if tags:
        doc["tags"] = tags
    if assessments:
        doc["assessments"] = list(assessments)
    if execution_duration is not None:
        doc["execution_duration_ms"] = int(execution_duration)
    return doc


def proto_value(value: Any) -> Any:
    """``MessageToDict(ParseDict(value, Value()))``: numbers become floats (bools stay)."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, dict):
        return {str(k): proto_value(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [proto_value(v) for v in value]
    raise TraceDocError(f"value of type {type(value).__name__} is not JSON")


def expectation_doc(value: Any) -> dict:
    """``ExpectationValue.to_proto()`` as a dict."""
    if value is not None and not isinstance(value, (int, float, bool, str)):
        return {"serialized_value": {"serialization_format": "JSON_FORMAT", "value": json.dumps(value)}}
    return {"value": proto_value(value)}


def assessment_doc(
    *,
    assessment_id: Optional[str],
    name: str,
    trace_id: Optional[str],
    source_type: str,
    source_id: Optional[str],
    create_time: int,
    last_update_time: int,
    kind: str,
    value: Any,
    error: Optional[dict] = None,
    rationale: Optional[str] = None,
    metadata: Optional[dict] = None,
    span_id: Optional[str] = None,
    overrides: Optional[str] = None,
    valid: Optional[bool] = None,
) -> dict:
    """``MessageToDict(Assessment.to_proto())``; times in ms; ``kind`` "feedback" or
    "expectation"; ``error``: ``{"error_code", "error_message", "stack_trace"}``."""
    doc: dict[str, Any] = {}
    if assessment_id is not None:
        doc["assessment_id"] = assessment_id
    doc["assessment_name"] = name
    doc["trace_id"] = trace_id or ""
    if span_id is not None:
        doc["span_id"] = span_id
    source = {"source_type": source_type}
    if source_id is not None:
        source["source_id"] = source_id
    doc["source"] = source
    doc["create_time"] = rfc3339_from_ms(create_time)
    doc["last_update_time"] = rfc3339_from_ms(last_update_time)
    if kind == "expectation":
        doc["expectation"] = expectation_doc(value)
    elif kind == "feedback":
        feedback: dict[str, Any] = {"value": proto_value(value)}
        if error:
            feedback["error"] = {k: v for k, v in error.items() if v not in (None, "")}
        doc["feedback"] = feedback
    else:
        raise TraceDocError(f"unknown assessment type {kind!r}")
    if rationale is not None:
        doc["rationale"] = rationale
    if metadata:
        doc["metadata"] = {str(k): str(v) for k, v in metadata.items()}
    if overrides:
        doc["overrides"] = overrides
    if valid is not None:
        doc["valid"] = bool(valid)
    return doc


def _b64(hex_id: str, size: int) -> str:
    text = hex_id[2:] if hex_id.startswith("0x") else hex_id
    return base64.b64encode(int(text, 16).to_bytes(size, "big")).decode("ascii")


_OTEL_STATUS = {"OK": "STATUS_CODE_OK", "ERROR": "STATUS_CODE_ERROR", "UNSET": "STATUS_CODE_UNSET"}


def span_doc(d: Any) -> dict:
    """``Span.from_dict(d).to_dict()`` (``mlflow/entities/span.py``)."""
    if not isinstance(d, dict):
        raise TraceDocError("a span is not a JSON object")
    try:
        if "context" in d:  # MLflow 2.x: hex ids, status_code, start_time/end_time
            tid = _b64(d["context"]["trace_id"], 16)
            return {
                "trace_id": tid,
                "span_id": _b64(d["context"]["span_id"], 8),
                "parent_span_id": _b64(d["parent_id"], 8) if d.get("parent_id") else None,
                "name": d["name"],
                "start_time_unix_nano": int(d["start_time"]),
                "end_time_unix_nano": int(d["end_time"]) if d.get("end_time") else None,
                "events": [_event(e, "timestamp") for e in d.get("events") or []],
                "status": {
                    "code": _OTEL_STATUS.get(str(d.get("status_code")), "STATUS_CODE_UNSET"),
                    "message": d.get("status_message") or "",
                },
                "attributes": dict(d.get("attributes") or {}),
                "links": list(d.get("links") or []),
            }
        status = d.get("status") or {}
        code = str(status.get("code"))
        return {
            "trace_id": d["trace_id"],
            "span_id": d["span_id"],
            "parent_span_id": d.get("parent_span_id") or None,
            "name": d["name"],
            "start_time_unix_nano": int(d["start_time_unix_nano"]),
            "end_time_unix_nano": int(d["end_time_unix_nano"]) if d.get("end_time_unix_nano") else None,
            "events": [_event(e, "time_unix_nano") for e in d.get("events") or []],
            "status": {"code": _OTEL_STATUS.get(code, code), "message": status.get("message") or ""},
            "attributes": dict(d.get("attributes") or {}),
            "links": list(d.get("links") or []),
        }
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise TraceDocError(f"a span lacks {e}") from None


def _event(e: dict, time_key: str) -> dict:
    return {"name": e["name"], "time_unix_nano": int(e[time_key]), "attributes": dict(e.get("attributes") or {})}


def spans_from_json(data: bytes | str) -> list[dict]:
    """The spans of a ``traces.json`` document (``{"spans": [...]}``) as ``Span.to_dict()``."""
    try:
        doc = json.loads(data)
    except ValueError as e:
        raise TraceDocError(f"not JSON ({e})") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("spans", []), list):
        raise TraceDocError('not a {"spans": [...]} document')
    return [span_doc(s) for s in doc.get("spans", [])]
