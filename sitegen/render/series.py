"""A run's metric histories as data files for the browser's charts (docs/design.md §2, format 1).

``runs/<run_id>/series.js`` registers ``"series/<run_id>"``: per metric key, its summary
(``points``, ``min``, ``max``, ``non_finite``, ``last_step``, ``latest``) and at most
:data:`MAX_POINTS` of its points (``step``, ``time`` in ms since the epoch, ``value``), in
logged order. A longer history is decimated: its points are cut, in logged order, into
buckets, and each bucket keeps its first, last, lowest and highest finite point; every
non-finite point (NaN, ±inf, a SQL store's clamped ±inf) is kept, so a metric with more than a
few hundred of them may exceed the cap by that many. Only a decimated metric gets a full
resolution file, ``runs/<run_id>/history/<file>.js`` (registering ``"history/<run_id>/<key>"``
with every point), so whether a history file exists depends on the number of points alone
(:func:`has_history`).

Values JSON cannot hold are the strings ``"NaN"``, ``"Infinity"``, ``"-Infinity"``. Each file
is a classic script holding one JSON value: ``</`` is written ``<\\/`` and U+2028/U+2029 as
escapes, so store text can neither close a script element nor end a line of code.
"""

from __future__ import annotations

import json
from array import array

from sitegen.entities import INF_LIMIT, MetricHistory, Run
from sitegen.render import urls
from sitegen.render.rundata import data_script, json_value, script_json  # noqa: F401  (data_script: re-exported)

FORMAT = 1
MAX_POINTS = 1000  # points per metric in series.js
_MIN_BUCKETS = 50  # however many non-finite points a history has


def has_history(hist: MetricHistory) -> bool:
    """Whether the metric is decimated in series.js, and so gets a full-resolution file."""
    return len(hist) > MAX_POINTS


_NON_FINITE_TEXT = {"NaN": '"NaN"', "Infinity": '"Infinity"', "-Infinity": '"-Infinity"'}


def _value_text(v: float) -> str:
    n = json_value(v)
    return _NON_FINITE_TEXT[n] if isinstance(n, str) else repr(n)


_COUNTING: dict[int, tuple[array, list[str], str]] = {}  # n → steps 0..n-1: array, texts, joined


def _counting(n: int) -> tuple[array, list[str], str]:
    """Steps 0, 1, … n-1 (what most loops log) as an array and as texts, made once per length."""
    if n not in _COUNTING:
        if len(_COUNTING) >= 32:
            _COUNTING.clear()
        texts = list(map(str, range(n)))
        _COUNTING[n] = (array("q", range(n)), texts, ",".join(texts))
    return _COUNTING[n]


def _step_texts(steps) -> tuple[list[str] | None, str | None]:
    """(texts, joined) of counting steps, from the cache (None, None: other steps)."""
    counting = _counting(len(steps))
    if isinstance(steps, array) and steps == counting[0]:  # compared with memcmp
        return counting[1], counting[2]
    return None, None


def _texts(hist: MetricHistory, finite: bool) -> tuple[list[str], list[str], list[str]]:
    """Each point's step, time and value as JSON text (numbers formatted once, whether they go
    to series.js, to the history file or to both: formatting floats is most of the cost)."""
    values = list(map(repr, hist.values)) if finite else list(map(_value_text, hist.values))
    steps = _step_texts(hist.steps)[0] or list(map(str, hist.steps))
    return steps, list(map(str, hist.timestamps)), values


def _columns_text(texts: tuple[list[str], list[str], list[str]], idx: list[int] | None = None) -> str:
    """``"step":[…],"time":[…],"value":[…]`` of the points at ``idx`` (all: None)."""
    if idx is not None:
        texts = tuple([col[i] for i in idx] for col in texts)
    step, time, value = (",".join(col) for col in texts)
    return f'"step":[{step}],"time":[{time}],"value":[{value}]'


def _whole_text(hist: MetricHistory, finite: bool) -> str:
    """:func:`_columns_text` of every point, without lists of texts (a history not decimated)."""
    value = ",".join(map(repr, hist.values) if finite else map(_value_text, hist.values))
    step = _step_texts(hist.steps)[1] or ",".join(map(str, hist.steps))
    time = ",".join(map(str, hist.timestamps))
    return f'"step":[{step}],"time":[{time}],"value":[{value}]'


def _points_text(texts: tuple[list[str], list[str], list[str]]) -> str:
    """run.json's ``[[step,timestamp,value],…]`` of a metric from the texts series.js uses
    (joins in C: a format call per point cost three times as much)."""
    if not texts[0]:
        return "[]"
    return "[[" + "],[".join(map(",".join, zip(*texts))) + "]]"


def _finite(v: float) -> bool:
    return -INF_LIMIT < v < INF_LIMIT  # False for NaN too


def decimate(values, finite: bool, limit: int = MAX_POINTS) -> list[int]:
    """Indexes of the points to keep, ascending: all of them when there are at most ``limit``;
    else per bucket of consecutive points its first, last, lowest and highest finite point,
    and every non-finite point."""
    n = len(values)
    if n <= limit:
        return list(range(n))
    keep: set[int] = set()
    if finite:
        buckets = limit // 4
    else:
        bad = [i for i, v in enumerate(values) if not _finite(v)]
        keep.update(bad)
        buckets = max(_MIN_BUCKETS, (limit - len(bad)) // 4)
    for b in range(buckets):
        a, e = n * b // buckets, n * (b + 1) // buckets
        if e <= a:
            continue
        keep.add(a)
        keep.add(e - 1)
        seg = values[a:e]
        if finite:
            keep.add(a + seg.index(min(seg)))
            keep.add(a + seg.index(max(seg)))
            continue
        good = [(v, a + j) for j, v in enumerate(seg) if _finite(v)]
        if good:
            keep.add(min(good)[1])
            keep.add(max(good, key=lambda p: (p[0], -p[1]))[1])
    return sorted(keep)


def _script(name: str, payload_text: str) -> str:
    return f"trackreport.data({script_json(name)},{payload_text});\n"


def metric_entry(hist: MetricHistory, points: dict | None = None) -> tuple[str, str | None]:
    """(the metric's JSON object in series.js, its history file's JSON payload or None): points
    decimated when there are more than MAX_POINTS, and then the full history beside. When
    ``points`` is a dict, a metric without non-finite values also gets its run.json points
    text there (``points[key]``; see :func:`series_payload`)."""
    finite = hist.non_finite_count == 0
    decimated = has_history(hist)
    latest = hist.latest
    head = {
        "points": len(hist),
        "min": hist.min,
        "max": hist.max,
        "non_finite": hist.non_finite_count,
        "last_step": hist.last_step,
        "latest": json_value(latest.value) if latest is not None else None,
        "decimated": decimated,
        "history": urls.run_history_rel(hist.key) if decimated else None,
    }
    if not decimated and (points is None or not finite):
        return f"{script_json(head)[:-1]},{_whole_text(hist, finite)}}}", None
    texts = _texts(hist, finite)
    if points is not None and finite:
        points[hist.key] = _points_text(texts)
    if not decimated:
        return f"{script_json(head)[:-1]},{_columns_text(texts)}}}", None
    entry = f"{script_json(head)[:-1]},{_columns_text(texts, decimate(hist.values, finite))}}}"
    return entry, f"{{{_columns_text(texts)}}}"


def series_payload(run: Run, points: dict | None = None) -> tuple[str, dict[str, str]]:
    """(series.js text, {path relative to the run's folder: history file text}) of ``run``,
    whose histories must be complete. Metrics without points are left out; keys are sorted.
    ``points``: a dict to receive run.json's points text of each metric without non-finite
    values (numbers are formatted once for both files: formatting is most of their cost)."""
    entries, histories = [], {}
    for key in sorted(run.metrics):
        hist = run.metrics[key]
        if not len(hist):
            continue
        entry, full = metric_entry(hist, points)
        entries.append(f"{script_json(key)}:{entry}")
        if full is not None:
            histories[urls.run_history_rel(key)] = _script(f"history/{run.run_id}/{key}", full)
    head = script_json({"format": FORMAT, "run_id": run.run_id})[:-1]
    return _script(f"series/{run.run_id}", f'{head},"metrics":{{{",".join(entries)}}}}}'), histories


def parse_data_script(text: str) -> tuple[str, object]:
    """(name, payload) of a data file (``rundata.data_script``; for tests and tools)."""
    prefix, suffix = "trackreport.data(", ");\n"
    if not (text.startswith(prefix) and text.endswith(suffix)):
        raise ValueError("not a trackreport data file")
    name, payload = json.loads(f"[{text[len(prefix) : -len(suffix)]}]")
    return name, payload
