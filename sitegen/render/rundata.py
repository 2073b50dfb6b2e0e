"""An experiment's runs as data, for the browser and for spreadsheets: ``runs.js`` (the runs
table's data file) and ``runs.csv`` (the columns of ``mlflow.search_runs()``'s DataFrame).

Both hold every run of the experiment shown on the site and every key (nothing capped), in
MLflow's default order: ``start_time`` descending (runs without one last), then ``run_id``
(``SearchUtils``/``SqlAlchemyStore`` order runs this way when no order is asked for).
The formats are documented in ``docs/design.md`` ("Data file formats"); values are those of
the data model, so selection, redaction and hidden paths already apply.
"""

from __future__ import annotations

import csv
import io
import json
import math
from datetime import datetime, timezone
from typing import NamedTuple

from sitegen.entities import Experiment, Run
from sitegen.entities.metrics import INF_LIMIT

FORMAT = 1


def default_order(runs: list[Run]) -> list[Run]:
    """MLflow's order when none is asked for: start_time descending (missing last), run_id."""
    return sorted(runs, key=lambda r: (r.start_time is None, -(r.start_time or 0), r.run_id))


def json_value(v: float):
    """A metric value as JSON: a number, or "NaN", "Infinity", "-Infinity" (SQL stores'
    clamped ±1.797e308 are the infinities they were logged as)."""
    if v != v:
        return "NaN"
    if v >= INF_LIMIT:
        return "Infinity"
    if v <= -INF_LIMIT:
        return "-Infinity"
    return v


def script_json(doc) -> str:
    """JSON that is safe inside a classic script or a <script> element: ``</`` cannot close
    the element and U+2028/U+2029 cannot end a line of code."""
    text = json.dumps(doc, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    return text.replace("</", "<\\/").replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def data_script(name: str, doc) -> str:
    """A data file: a classic script registering ``doc`` under ``name`` (core.js)."""
    return f"trackreport.data({script_json(name)},{script_json(doc)});\n"


def keys(runs: list[Run]) -> tuple[list[str], list[str], list[str]]:
    """Every param, metric and tag key of the runs, each list sorted."""
    params, metrics, tags = set(), set(), set()
    for r in runs:
        params.update(r.params)
        metrics.update(r.metrics)
        tags.update(r.tags)
    return sorted(params), sorted(metrics), sorted(tags)


def metric_points(runs: list[Run], metric_keys: list[str]) -> list[int]:
    """Per metric key, the most points any run logged (1: a single value, no history)."""
    most = dict.fromkeys(metric_keys, 0)
    for r in runs:
        for k, h in r.metrics.items():
            n = h.count
            if n > most[k]:
                most[k] = n
    return [most[k] for k in metric_keys]


class Table(NamedTuple):
    """An experiment's runs in MLflow's default order and every key, for both data files."""

    runs: list[Run]
    params: list[str]
    metrics: list[str]
    tags: list[str]


def table(exp: Experiment) -> Table:
    runs = default_order(exp.runs)
    return Table(runs, *keys(runs))


def runs_payload(exp: Experiment, store_kind: str, compare: dict | None = None, tbl: Table | None = None) -> dict:
    """The ``runs.js`` document of an experiment (see the module docstring)."""
    runs, param_keys, metric_keys, tag_keys = tbl or table(exp)
    rows = []
    for r in runs:
        latest = r.latest_metrics
        rows.append(
            {
                "run_id": r.run_id,
                "run_name": r.run_name,
                "status": r.status,
                "lifecycle_stage": r.lifecycle_stage,
                "start_time": r.start_time,
                "end_time": r.end_time,
                "user_id": r.user_id,
                "artifact_uri": r.artifact_uri,
                "parent_run_id": r.parent_run_id,
                "last_activity": r.last_activity,
                "stale": r.stale,
                "params": [r.params.get(k) for k in param_keys],
                "metrics": [json_value(latest[k]) if k in latest else None for k in metric_keys],
                "tags": [r.tags.get(k) for k in tag_keys],
                "datasets": [[i.name, i.digest, i.context] for i in r.inputs],
            }
        )
    return {
        "format": FORMAT,
        "experiment_id": exp.experiment_id,
        "experiment_name": exp.name,
        "store_kind": store_kind,
        "params": param_keys,
        "metrics": metric_keys,
        "tags": tag_keys,
        "metric_points": metric_points(runs, metric_keys),
        "compare": compare or {"metric": None, "order": "min"},
        "runs": rows,
    }


def runs_js(exp: Experiment, store_kind: str, compare: dict | None = None, tbl: Table | None = None) -> str:
    return data_script("runs", runs_payload(exp, store_kind, compare, tbl))


def _csv_time(ms: int | None) -> str:
    """As pandas writes ``search_runs()``'s UTC datetime columns (empty when missing)."""
    if ms is None:
        return ""
    try:
        t = datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    except (OverflowError, OSError, ValueError):
        return str(ms)  # beyond what a date can say (a damaged store): the number as recorded
    return t.strftime("%Y-%m-%d %H:%M:%S.") + f"{ms % 1000:03d}+00:00"


def _csv_number(v: float) -> str:
    """As MLflow's client returns it (a SQL store's clamped ±inf stays ±1.7976931348623157e308)."""
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "inf" if v > 0 else "-inf"
    return repr(v)


def runs_csv(exp: Experiment, tbl: Table | None = None) -> str:
    """``runs.csv``: the columns of ``mlflow.search_runs(experiment_ids=[...])``'s DataFrame —
    ``run_id, experiment_id, status, artifact_uri, start_time, end_time``, then
    ``metrics.<key>`` (latest values), ``params.<key>``, ``tags.<key>`` (keys sorted; MLflow's
    own order is that of a set). Values are those the client returns; times are UTC
    (``2024-05-01 12:00:00.000+00:00``, as ``pandas.read_csv(..., parse_dates=[...])`` reads
    them); a missing value is empty, NaN is ``NaN`` and ±inf ``inf``/``-inf`` (pandas reads
    them as such)."""
    runs, param_keys, metric_keys, tag_keys = tbl or table(exp)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\n")
    w.writerow(
        ["run_id", "experiment_id", "status", "artifact_uri", "start_time", "end_time"]
        + [f"metrics.{k}" for k in metric_keys]
        + [f"params.{k}" for k in param_keys]
        + [f"tags.{k}" for k in tag_keys]
    )
    for r in runs:
        latest = r.latest_metrics
        w.writerow(
            [r.run_id, r.experiment_id, r.status, r.artifact_uri or "", _csv_time(r.start_time), _csv_time(r.end_time)]
            + [_csv_number(latest[k]) if k in latest else "" for k in metric_keys]
            + [r.params.get(k, "") for k in param_keys]
            + [r.tags.get(k, "") for k in tag_keys]
        )
    return out.getvalue()
