"""Traces in MLflow's file store (``FileStore._save_trace_info`` and friends in
``mlflow/store/tracking/file_store.py``)::

    <exp>/traces/<trace_id>/trace_info.yaml     TraceInfo.to_dict() without metadata and tags
                                                (MLflow 2.x: TraceInfoV2 — request_id,
                                                timestamp_ms, execution_time_ms, status)
    <exp>/traces/<trace_id>/request_metadata/<key>   one file per metadata key (value = content)
    <exp>/traces/<trace_id>/tags/<key>               one file per tag
    <exp>/traces/<trace_id>/assessments/<id>.yaml    Assessment.to_dictionary()
    <exp>/traces/<trace_id>/artifacts/traces.json    {"spans": [Span.to_dict(), ...]}

The spans document is the trace's artifact (the tag ``mlflow.artifactLocation`` records its
folder; a moved store has it beside trace_info.yaml). A trace still IN_PROGRESS may have no
spans yet: it is shown without them. A damaged trace is one warning naming it.
Unchanged traces are not read again (:class:`TraceFolders`).
"""

from __future__ import annotations

import os
from pathlib import Path

from sitegen.artifacts.locate import local_path
from sitegen.digests import digest
from sitegen.entities.traces import Trace, from_doc, ms_from_rfc3339
from sitegen.readers.filemeta import Warn, int_or_none, load_yaml, read_bytes, read_kv_folder, short, subfolders
from sitegen.readers.filescan import MAX_DEPTH, SETTLED_NS
from sitegen.readers.tracedoc import TraceDocError, assessment_doc, info_doc, spans_from_json

TRACE_DATA = "traces.json"


class TraceFolders:
    """Reads experiments' ``traces`` folders, keeping unchanged traces from the last build.

    A trace's fingerprint is the size, mtime and ctime of every file and folder in its folder
    (a folder's times change when an entry is added, removed or renamed), and of its spans
    file when that lies elsewhere (``mlflow.artifactLocation``; such a file is found by
    reading, so it joins the fingerprint from the next build on). A trace whose fingerprint
    is the one the last build published it with (``reuse.get_trace``) is made from the
    manifest without being read; any other is read whole. A trace is offered for keeping
    only when every timestamp of it was older than ``SETTLED_NS`` when the build began (a
    file rewritten in the same clock tick keeps its times), it is not IN_PROGRESS, and it
    was read without a warning (so a damaged trace is named in every build)."""

    def __init__(self, kept: dict | None, reuse, now_ns: int):
        # "<experiment folder>/<trace folder>" → [fingerprint or "", spans file elsewhere or None]
        self.kept = kept if isinstance(kept, dict) else {}
        self.reuse, self.now = reuse, now_ns
        self.state: dict[str, list] = {}  # this build's, for the next (reader state)
        self.dirs: dict[str, tuple[Path, str]] = {}  # trace id → (its folder, experiment id)

    def read(self, folder: Path, experiment_id: str, warn: Warn) -> list[Trace]:
        """Every readable trace under ``<exp>/traces``, in folder-name order."""
        entries = subfolders(folder, warn)
        get = getattr(self.reuse, "get_trace", None)
        out = []
        for entry in entries:
            name = f"{folder.parent.name}/{entry.name}"
            old = self.kept.get(name)
            elsewhere = old[1] if type(old) is list and len(old) == 2 and isinstance(old[1], str) else None
            key, settled = trace_state(entry.path, elsewhere, self.now)
            trace = get(entry.name, experiment_id, key) if get is not None else None
            if trace is None:
                trace, elsewhere = self._read(Path(entry.path), experiment_id, warn, key if settled else "", elsewhere)
            if trace is not None:
                self.state[name] = [trace.fingerprint, elsewhere]
                self.dirs[trace.trace_id] = (Path(entry.path), experiment_id)
                out.append(trace)
        return out

    def _read(self, trace_dir: Path, experiment_id: str, warn: Warn, key: str, elsewhere: str | None):
        """(the trace read whole or None, its spans file when elsewhere); the trace's
        fingerprint is ``key`` if it may be kept, else ""."""
        before = len(warn.sink)
        trace, spans = read_trace(trace_dir, experiment_id, warn)
        if trace is None:
            return None, None
        outside = str(spans) if spans is not None and spans.parent.parent != trace_dir else None
        if len(warn.sink) > before or trace.state == "IN_PROGRESS" or outside != elsewhere:
            key = ""  # a spans file found elsewhere only now: its times join from the next build
        trace.fingerprint = key
        return trace, outside

    def load(self, traces: list[Trace], warnings: list[str]) -> dict[str, Trace]:
        """The given (kept) traces read whole again: {trace id: trace}; one that cannot be
        read is left out, with a warning."""
        out = {}
        for t in traces:
            where = self.dirs.get(t.trace_id)
            if where is None:
                continue
            before = len(warnings)
            trace, _spans = read_trace(where[0], where[1], Warn(warnings))
            if trace is not None:  # its fingerprint was taken before this read: still its own
                trace.fingerprint = t.fingerprint if len(warnings) == before else ""
                out[t.trace_id] = trace
        return out


def trace_state(trace_dir: str, elsewhere: str | None, now_ns: int) -> tuple[str, bool]:
    """A key of the trace's files and folders (names, sizes, mtimes, ctimes; and of the spans
    file ``elsewhere``), and whether all of them were still for SETTLED_NS before ``now_ns``."""
    parts, newest, stack = [], 0, [trace_dir]
    cut = len(trace_dir)
    while stack:
        folder = stack.pop()
        try:
            st = os.stat(folder)
            with os.scandir(folder) as it:
                entries = list(it)
        except OSError:
            parts.append(f"{folder[cut:]}/:?")
            continue
        parts.append(f"{folder[cut:]}/:{st.st_mtime_ns}:{st.st_ctime_ns}")
        newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
        for e in entries:
            try:
                if e.is_dir(follow_symlinks=False):
                    if folder.count("/") - trace_dir.count("/") < MAX_DEPTH:
                        stack.append(e.path)
                    continue
                st = e.stat()
            except OSError:
                parts.append(f"{e.path[cut:]}:?")
                continue
            parts.append(f"{e.path[cut:]}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}")
            newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
    if elsewhere is not None:
        try:
            st = os.stat(elsewhere)
            parts.append(f"{elsewhere}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}")
            newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
        except OSError:
            parts.append(f"{elsewhere}:?")
    parts.sort()
    return digest(parts), newest < now_ns - SETTLED_NS


def read_trace(trace_dir: Path, experiment_id: str, warn: Warn) -> tuple[Trace | None, Path | None]:
    """(the trace in ``trace_dir``, or None with a warning; the spans file it was read from)."""
    info_path = trace_dir / "trace_info.yaml"
    if not info_path.is_file():
        warn(trace_dir, "no trace_info.yaml (a damaged or half-written trace?); trace left out")
        return None, None
    meta = load_yaml(info_path, warn, "trace left out")
    if meta is None:
        return None, None
    metadata = read_kv_folder(trace_dir / "request_metadata", warn)
    tags = read_kv_folder(trace_dir / "tags", warn)
    try:
        info = _info(meta, trace_dir.name, experiment_id, metadata, tags, _assessments(trace_dir, warn))
    except (TraceDocError, TypeError, ValueError, KeyError) as e:
        warn(info_path, f"not a trace's info ({short(e)}); trace left out")
        return None, None
    if info["trace_id"] != trace_dir.name:
        warn(info_path, f"records trace id {info['trace_id']!r}, not the folder's name; trace left out")
        return None, None
    spans: list = []
    data = _spans_file(trace_dir, tags)
    if data is None:
        if info["state"] != "IN_PROGRESS":
            warn(trace_dir / "artifacts" / TRACE_DATA, "missing; the trace is shown without its spans")
    else:
        try:
            spans = spans_from_json(read_bytes(data))
        except (OSError, TraceDocError) as e:
            warn(data, f"unreadable spans ({short(e)}); the trace is shown without its spans")
    return from_doc({"info": info, "data": {"spans": spans}}), data


def _spans_file(trace_dir: Path, tags: dict[str, str]) -> Path | None:
    here = trace_dir / "artifacts" / TRACE_DATA
    if os.path.lexists(here):  # a file, or something else read_bytes names in its warning
        return here
    recorded = local_path(tags.get("mlflow.artifactLocation") or "")
    if recorded is not None and (recorded / TRACE_DATA).is_file():
        return recorded / TRACE_DATA
    return None


def _info(meta: dict, folder: str, experiment_id: str, metadata: dict, tags: dict, assessments: list) -> dict:
    if "request_id" in meta:  # MLflow 2.x (TraceInfoV2): the v3 shape MLflow converts it to
        return info_doc(
            trace_id=str(meta["request_id"]),
            experiment_id=str(meta.get("experiment_id", experiment_id)),
            request_time=int(meta["timestamp_ms"]),
            state=str(meta.get("status") or "STATE_UNSPECIFIED"),
            execution_duration=int_or_none(meta.get("execution_time_ms")),
            trace_metadata=metadata,
            tags=tags,
            assessments=assessments,
        )
    location = meta.get("trace_location") or {}
    exp = (location.get("mlflow_experiment") or {}).get("experiment_id", experiment_id)
    request_time = ms_from_rfc3339(meta.get("request_time"))
    if request_time is None:
        raise TraceDocError("no request_time")
    return info_doc(
        trace_id=str(meta.get("trace_id") or folder),
        experiment_id=str(exp),
        request_time=request_time,
        state=str(meta.get("state") or "STATE_UNSPECIFIED"),
        execution_duration=int_or_none(meta.get("execution_duration_ms")),
        request_preview=meta.get("request_preview"),
        response_preview=meta.get("response_preview"),
        client_request_id=meta.get("client_request_id"),
        trace_metadata=metadata,
        tags=tags,
        assessments=assessments,
    )


def _assessments(trace_dir: Path, warn: Warn) -> list[dict]:
    """The trace's assessments, in MLflow's order (``os.listdir`` of the folder)."""
    folder = trace_dir / "assessments"
    try:
        names = os.listdir(folder)
    except OSError:
        return []
    out = []
    for name in names:
        path = folder / name
        d = load_yaml(path, warn, "assessment left out")
        if d is None:
            continue
        try:
            out.append(assessment_from_dictionary(d))
        except (TraceDocError, TypeError, ValueError, KeyError) as e:
            warn(path, f"not an assessment ({short(e)}); assessment left out")
    return out


def assessment_from_dictionary(d: dict) -> dict:
    """``Assessment.from_dictionary(d).to_proto()`` as a dict (``mlflow/entities/assessment.py``)."""
    source = d.get("source") or {}
    if "expectation" in d:
        e = d["expectation"] or {}
        if "serialized_value" in e:
            import json

            value = json.loads(e["serialized_value"]["value"])
        else:
            value = e.get("value")
        kind, error = "expectation", None
    elif "feedback" in d:
        kind, value, error = "feedback", (d["feedback"] or {}).get("value"), (d["feedback"] or {}).get("error")
    else:
        raise TraceDocError("neither feedback nor expectation")
    feedback = kind == "feedback"  # Expectation.from_dictionary keeps no rationale, overrides, valid
    return assessment_doc(
        assessment_id=d.get("assessment_id"),
        name=str(d["assessment_name"]),
        trace_id=d.get("trace_id"),
        source_type=str(source.get("source_type") or "SOURCE_TYPE_UNSPECIFIED"),
        source_id=source.get("source_id"),
        create_time=_ms(d.get("create_time")),
        last_update_time=_ms(d.get("last_update_time")),
        kind=kind,
        value=value,
        error=error,
        rationale=d.get("rationale") if feedback else None,
        metadata=d.get("metadata"),
        span_id=d.get("span_id"),
        overrides=d.get("overrides") if feedback else None,
        valid=d.get("valid", True) if feedback else None,
    )


def _ms(value) -> int:
    if isinstance(value, int):
        return value
    ms = ms_from_rfc3339(value)
    if ms is None:
        raise TraceDocError("no create_time")
    return ms
