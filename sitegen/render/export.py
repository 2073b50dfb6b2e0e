"""The data files of the site, for machines: ``run.json`` and ``model.json`` (strict JSON, the
values MLflow's client returns; see the README's run.json section)."""

from __future__ import annotations

import json
import math

from sitegen.entities import LoggedModel, Run


def _json_num(v: float):
    if math.isfinite(v):
        return v
    if math.isnan(v):
        return "NaN"
    return "Infinity" if v > 0 else "-Infinity"


def _history_json(h) -> list:
    values = h.values if not h.non_finite_count else [_json_num(v) for v in h.values]
    return list(zip(h.steps, h.timestamps, values))  # tuples: JSON arrays, cheaper than lists


def history_csv(h) -> str:
    """A metric's full history as CSV, in logged order: ``step,timestamp,value`` (timestamp
    in ms since the epoch; values as MLflow's client returns them, NaN as ``NaN`` and ±inf as
    ``inf``/``-inf``, which pandas reads back)."""
    lines = ["step,timestamp,value"]
    for s, t, v in zip(h.steps, h.timestamps, h.values):
        text = repr(v) if math.isfinite(v) else "NaN" if math.isnan(v) else "inf" if v > 0 else "-inf"
        lines.append(f"{s},{t},{text}")
    return "\n".join(lines) + "\n"


_METRICS = "\x00metrics\x00"  # stands for the metrics object until it is spliced in


def run_json(run: Run, points: dict[str, str] | None = None) -> str:
    """run.json (README's schema). ``points``: metric key → its ``[[step,timestamp,value],…]``
    text made already (sitegen.render.series), for metrics without non-finite values: the
    same bytes json.dumps writes, without formatting the numbers a second time."""
    doc = {
        "run_id": run.run_id,
        "experiment_id": run.experiment_id,
        "run_name": run.run_name,
        "status": run.status,
        "start_time": run.start_time,
        "end_time": run.end_time,
        "lifecycle_stage": run.lifecycle_stage,
        "user_id": run.user_id,
        "artifact_uri": run.artifact_uri,
        "parent_run_id": run.parent_run_id,
        "params": dict(sorted(run.params.items())),
        "tags": dict(sorted(run.tags.items())),
        "metrics": _METRICS if points else {k: _history_json(h) for k, h in sorted(run.metrics.items())},
        "artifacts": [{"path": a.path, "size": a.size} for a in run.artifacts],
        "redacted": sorted(run.redacted),
    }
    # Compact separators keep json's C encoder (indent= would fall back to pure Python).
    text = json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    if not points:
        return text
    dump = lambda v: json.dumps(v, ensure_ascii=False, allow_nan=False, separators=(",", ":"))  # noqa: E731
    metrics = ",".join(
        f"{dump(k)}:{points[k] if k in points else dump(_history_json(h))}" for k, h in sorted(run.metrics.items())
    )
    return text.replace(dump(_METRICS), "{" + metrics + "}", 1)


def logged_model_json(m: LoggedModel) -> str:
    """model.json: a logged model as MLflow's client returns it, with every metric point."""
    doc = {
        "model_id": m.model_id,
        "experiment_id": m.experiment_id,
        "name": m.name,
        "artifact_location": m.artifact_location,
        "creation_timestamp": m.creation_timestamp,
        "last_updated_timestamp": m.last_updated_timestamp,
        "model_type": m.model_type,
        "source_run_id": m.source_run_id,
        "status": m.status,
        "status_message": m.status_message,
        "lifecycle_stage": m.lifecycle_stage,
        "params": dict(sorted(m.params.items())),
        "tags": dict(sorted(m.tags.items())),
        "metrics": [
            dict(p._asdict(), value=_json_num(p.value))
            for p in sorted(
                m.metrics,
                key=lambda p: (
                    p.key,
                    p.dataset_name or "",
                    p.dataset_digest or "",
                    p.step,
                    p.timestamp,
                    p.run_id or "",
                ),
            )
        ],
        "artifacts": [{"path": a.path, "size": a.size} for a in m.artifacts],
    }
    return json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
