"""Traces in MLflow's SQL store (``SqlTraceInfo``, ``SqlTraceTag``, ``SqlTraceMetadata``,
``SqlAssessments``, ``SqlSpan`` in ``mlflow/store/tracking/dbmodels/models.py``), read the
way ``SqlAlchemyStore.get_trace`` does, on every schema revision that has ``trace_info``:

- ``trace_info(request_id, experiment_id, timestamp_ms, execution_time_ms, status,
  client_request_id, request_preview, response_preview)``; newer revisions add
  ``trace_name`` (replaces the ``mlflow.traceName`` tag), ``session_id``, token and cost
  columns (shown as the metadata ``mlflow.trace.session``/``tokenUsage``/``cost``);
- ``trace_tags`` / ``trace_request_metadata`` ``(key, value, request_id)``;
- ``assessments`` (3.x): one row per feedback or expectation, value as JSON text;
- spans: the ``spans`` table's ``content`` (``Span.to_dict()`` as JSON) when the tag
  ``mlflow.trace.spansLocation`` is ``TRACKING_STORE`` (root span first, then by start
  time); otherwise the ``traces.json`` artifact in the folder the tag
  ``mlflow.artifactLocation`` records (a local one; a relative path is tried against the
  store's folder).

A row that cannot be read leaves its trace out (or its spans, or that assessment) with one
warning naming it. Unchanged traces are not parsed again (:func:`read_traces`).
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from decimal import Decimal, InvalidOperation
from pathlib import Path

from sitegen.artifacts.locate import local_path
from sitegen.entities import Experiment, Store
from sitegen.entities.traces import TRACE_NAME, Trace, from_doc
from sitegen.readers.filemeta import read_bytes
from sitegen.readers.filescan import SETTLED_NS
from sitegen.readers.sqlrows import texts
from sitegen.readers.tracedoc import TraceDocError, assessment_doc, info_doc, span_doc, spans_from_json

_PROMOTED = {"mlflow.trace.session", "mlflow.trace.tokenUsage", "mlflow.trace.cost"}
_TOKENS = (
    "input_tokens",
    "output_tokens",
    "total_tokens",
    "cache_read_input_tokens",
    "cache_creation_input_tokens",
    "cache_creation_input_tokens_above_1hr",
)
_COSTS = ("input_cost", "output_cost", "total_cost")
_INFO = (
    "execution_time_ms client_request_id request_preview response_preview trace_name session_id".split()
    + list(_TOKENS)
    + list(_COSTS)
)
_ASSESSMENT = (
    "assessment_id name assessment_type value error created_timestamp last_updated_timestamp "
    "source_type source_id span_id rationale overrides valid assessment_metadata".split()
)


def read_traces(conn, s, store: Store, exps: dict[str, Experiment], reuse=None, now_ns: int = 0) -> dict[str, str]:
    """Attach every readable trace of the experiments in ``exps`` (``Experiment.traces``);
    returns {trace id: fingerprint} of the traces a next build may keep (reader state).

    A trace's fingerprint covers all its rows (``trace_info``, tags, metadata, assessments,
    spans: read, hashed, not parsed) and the size, mtime and ctime of a ``traces.json`` it
    takes its spans from; one with the fingerprint the last build published it with
    (``reuse.get_trace``) is made from the manifest without parsing anything. A trace is
    offered for keeping only when it is not IN_PROGRESS, was read without a warning, and its
    spans file (if any) was still for ``SETTLED_NS`` (``now_ns``: when the build began)."""
    get = getattr(reuse, "get_trace", None)
    state = {}
    for tid, parts, spans, key in _rows(conn, s, exps, store.base_dir, now_ns, None):
        trace = get(tid, str(parts["row"][1]), key) if get is not None and key else None
        if trace is None:
            trace = _trace(tid, parts, spans, key, s, store)
        if trace is not None and trace.experiment_id in exps:
            if trace.fingerprint:
                state[tid] = trace.fingerprint
            exps[trace.experiment_id].traces.append(trace)
    return state


def load_traces(conn, s, store: Store, exps: dict[str, Experiment], traces: list) -> dict:
    """The given (kept) traces read whole again: {trace id: Trace}; the fingerprint of each
    stays the one it was kept with (taken before this read)."""
    kept = {t.trace_id: t.fingerprint for t in traces}
    out = {}
    for tid, parts, spans, _key in _rows(conn, s, exps, store.base_dir, 0, kept):
        before = len(store.warnings)
        trace = _trace(tid, parts, spans, kept[tid], s, store)
        if trace is not None:
            trace.fingerprint = kept[tid] if len(store.warnings) == before else ""
            out[tid] = trace
    return out


def _rows(conn, s, exps: dict, base_dir: str | None, now_ns: int, only: dict | None):
    """(trace id, its rows, its span rows, its fingerprint or "" if not to be kept) of each
    trace of ``exps`` (of ``only``'s ids, if given)."""
    if "trace_info" not in s.tables:
        return
    q = s.q
    cols = [s.col("trace_info", c) for c in _INFO]
    infos: dict[str, dict] = {}
    for row in texts(
        conn.execute(
            f"SELECT {q('request_id')}, {q('experiment_id')}, {q('timestamp_ms')}, {q('status')}, {', '.join(cols)}"
            f" FROM {q('trace_info')} ORDER BY {q('timestamp_ms')} DESC, {q('request_id')}"
        )
    ):
        if str(row[1]) in exps and (only is None or row[0] in only):
            infos[row[0]] = {"row": row, "tags": {}, "metadata": {}, "assessments": []}
    if not infos:
        return
    for table, part in (("trace_tags", "tags"), ("trace_request_metadata", "metadata")):
        if table in s.tables:
            for key, value, tid in texts(
                conn.execute(f"SELECT {q('key')}, {q('value')}, {q('request_id')} FROM {q(table)}")
            ):
                if tid in infos:
                    infos[tid][part][key] = value
    if "assessments" in s.tables:
        acols = ", ".join(s.col("assessments", c) for c in _ASSESSMENT)
        for row in texts(conn.execute(f"SELECT {q('trace_id')}, {acols} FROM {q('assessments')}")):
            if row[0] in infos:
                infos[row[0]]["assessments"].append(row[1:])
    spans = _span_rows(conn, s, infos) if "spans" in s.tables else {}
    for tid, parts in infos.items():
        rows = spans.get(tid)
        source, settled = _source(parts["tags"], base_dir, now_ns)
        text = repr((parts["row"], sorted(parts["tags"].items()), sorted(parts["metadata"].items())))
        h = hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=12)
        h.update(repr((parts["assessments"], rows, source)).encode("utf-8", "surrogatepass"))
        keep = settled and parts["row"][3] != "IN_PROGRESS"
        yield tid, parts, rows, h.hexdigest() if keep else ""


def _source(tags: dict, base_dir: str | None, now_ns: int) -> tuple[str, bool]:
    """Where the trace's spans come from, for its fingerprint (the spans file's path, size,
    mtime and ctime), and whether that file was still for SETTLED_NS before ``now_ns``."""
    if tags.get("mlflow.trace.spansLocation") in ("TRACKING_STORE", "ARCHIVE_REPO"):
        return "", True
    path = _spans_path(tags, base_dir)
    if path is None:
        return "", True
    try:
        st = path.stat()
    except OSError:
        return f"{path}:?", True
    settled = max(st.st_mtime_ns, st.st_ctime_ns) < now_ns - SETTLED_NS
    return f"{path}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}", settled


def _spans_path(tags: dict, base_dir: str | None) -> Path | None:
    folder = local_path(tags.get("mlflow.artifactLocation") or "")
    if folder is not None and not folder.is_absolute() and base_dir:
        folder = Path(base_dir) / folder
    return folder / "traces.json" if folder is not None else None


def _trace(tid: str, parts: dict, rows: list | None, key: str, s, store: Store) -> Trace | None:
    """The trace of its rows, parsed (None, with a warning, if its info cannot be read); its
    fingerprint is ``key``, or "" when reading it warned."""
    warn = store.warnings.append
    before = len(store.warnings)
    try:
        doc_info = _info(tid, parts, s, warn)
    except (TraceDocError, TypeError, ValueError, OverflowError) as e:
        warn(f"trace_info table: trace {tid} cannot be read ({e}); trace left out")
        return None
    span_docs = _spans(tid, doc_info, rows, store.base_dir, warn)
    return from_doc({"info": doc_info, "data": {"spans": span_docs}}, key if len(store.warnings) == before else "")


def _span_rows(conn, s, infos: dict) -> dict[str, list]:
    q = s.q
    out: dict[str, list] = defaultdict(list)
    for tid, content, parent, start in texts(
        conn.execute(
            f"SELECT {q('trace_id')}, {q('content')}, {q('parent_span_id')}, {q('start_time_unix_nano')}"
            f" FROM {q('spans')}"
        )
    ):
        if tid in infos:
            out[tid].append((content, parent, start))
    return out


def _token_count(v):
    if v is None or isinstance(v, bool):
        return None
    try:
        d = Decimal(str(v))
    except (InvalidOperation, TypeError, ValueError):
        return None
    if not d.is_finite() or d != d.to_integral_value() or not -(2**63) <= d <= 2**63 - 1:
        return None
    return int(d)


def _info(tid: str, parts: dict, s, warn) -> dict:
    row = parts["row"]
    extra = dict(zip(_INFO, row[4:]))
    tags = dict(parts["tags"])
    metadata = dict(parts["metadata"])
    has = s.columns("trace_info")
    if "trace_name" in has:
        tags.pop(TRACE_NAME, None)
        if extra["trace_name"] is not None:
            tags[TRACE_NAME] = extra["trace_name"]
    if "session_id" in has:  # a revision with the promoted columns (compatibility_metadata_from_columns)
        metadata = {k: v for k, v in metadata.items() if k not in _PROMOTED}
        if extra["session_id"] is not None:
            metadata["mlflow.trace.session"] = extra["session_id"]
        tokens = {k: n for k in _TOKENS if (n := _token_count(extra[k])) is not None}
        if tokens:
            metadata["mlflow.trace.tokenUsage"] = json.dumps(tokens)
        cost = {k: extra[k] for k in _COSTS if extra[k] is not None}
        if cost:
            metadata["mlflow.trace.cost"] = json.dumps(cost)
    assessments = []
    for a in parts["assessments"]:
        try:
            assessments.append(_assessment(tid, dict(zip(_ASSESSMENT, a))))
        except (TraceDocError, TypeError, ValueError) as e:
            warn(f"assessments table: assessment {a[0]} of trace {tid} cannot be read ({e}); left out")
    return info_doc(
        trace_id=tid,
        experiment_id=str(row[1]),
        request_time=int(row[2]),
        state=row[3],
        execution_duration=int(extra["execution_time_ms"]) if extra["execution_time_ms"] is not None else None,
        request_preview=extra["request_preview"],
        response_preview=extra["response_preview"],
        client_request_id=extra["client_request_id"],
        trace_metadata={k: v for k, v in metadata.items()},
        tags=tags,
        assessments=assessments,
    )


def _assessment(tid: str, a: dict) -> dict:
    """``SqlAssessments.to_mlflow_entity().to_proto()`` as a dict."""
    kind = a["assessment_type"]
    feedback = kind == "feedback"
    return assessment_doc(
        assessment_id=a["assessment_id"],
        name=a["name"],
        trace_id=tid,
        source_type=a["source_type"],
        source_id=a["source_id"],
        create_time=int(a["created_timestamp"]),
        last_update_time=int(a["last_updated_timestamp"]),
        kind=kind,
        value=json.loads(a["value"]),
        error=json.loads(a["error"]) if feedback and a["error"] is not None else None,
        rationale=a["rationale"] if feedback else None,
        metadata=json.loads(a["assessment_metadata"]) if a["assessment_metadata"] is not None else None,
        span_id=a["span_id"],
        overrides=a["overrides"],
        valid=bool(a["valid"]) if a["valid"] is not None else None,
    )


def _spans(tid: str, info: dict, rows: list | None, base_dir: str | None, warn) -> list:
    """The trace's span docs (from the spans table's rows, or its traces.json)."""
    tags = info.get("tags") or {}
    where = tags.get("mlflow.trace.spansLocation")
    if where == "TRACKING_STORE":
        rows = sorted(rows or [], key=lambda r: (0 if r[1] is None else 1, int(r[2])))
        try:
            return [span_doc(json.loads(r[0])) for r in rows if r[0] != ""]
        except (TraceDocError, ValueError) as e:
            warn(f"spans table: a span of trace {tid} cannot be read ({e}); the trace is shown without its spans")
            return []
    if where == "ARCHIVE_REPO":
        warn(f"trace {tid}: its spans were archived (mlflow.trace.spansLocation); the trace is shown without them")
        return []
    path = _spans_path(tags, base_dir)
    if path is None or not path.is_file():
        if info.get("state") != "IN_PROGRESS":
            warn(
                f"trace {tid}: its spans (traces.json in {tags.get('mlflow.artifactLocation')!r}) "
                "were not found; the trace is shown without them"
            )
        return []
    try:
        return spans_from_json(read_bytes(path))
    except (OSError, TraceDocError) as e:
        warn(f"{path}: unreadable spans of trace {tid} ({e}); the trace is shown without them")
        return []
