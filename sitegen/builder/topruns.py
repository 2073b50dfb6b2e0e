"""The experiment page's static comparison (shown without JavaScript, and in print): the best
runs by one metric, chosen in config (``compare-metric``, ``compare-order``) or guessed.

The guess: the metric with a history (more than one point) that most runs logged — else the
most common metric; among those, one whose name says it scores a model (loss, error,
accuracy, f1, auc…; a validation, evaluation or test one first) before the rest (a learning
rate or an epoch counter ranks nothing). It is minimised when its name says loss or error
(``loss``, ``error``, ``err``, ``mse``, ``mae``, ``rmse``, ``perplexity``, ``wer``, ``cer``),
else maximised. Runs are ranked by their latest value; runs whose value is NaN or missing are
not ranked.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from sitegen.entities import Experiment, Run
from sitegen.entities.metrics import INF_LIMIT

TOP_RUNS = 10
_LOWER_IS_BETTER = re.compile(r"(loss|error|err|mse|mae|rmse|perplexity|wer|cer)(\b|_|$)", re.I)
_SCORE = re.compile(
    r"loss|error|err\b|acc|f1|auc|score|precision|recall|bleu|rouge|mse|mae|rmse|perplexity|iou|map\b|r2|wer|cer",
    re.I,
)
_HELD_OUT = re.compile(r"(^|[/_.\-])(val|valid|validation|eval|test|dev)([/_.\-]|$)", re.I)


def _scores(key: str) -> int:
    """2: a held-out score (val/loss, eval_accuracy), 1: a score, 0: anything else."""
    return (2 if _HELD_OUT.search(key) else 1) if _SCORE.search(key) else 0


@dataclass
class TopRuns:
    metric: str | None
    order: str  # "min" | "max"
    why: str  # how the metric and the order were chosen, for the page
    runs: list[tuple[Run, float]] = field(default_factory=list)  # best first, with the value
    ranked: int = 0  # runs that have a finite or infinite value of the metric
    varying_params: list[str] = field(default_factory=list)  # params that differ among the top runs

    def data(self) -> dict:
        """What runs.js says of the choice (docs/design.md)."""
        return {"metric": self.metric, "order": self.order}


def guess_order(metric: str) -> str:
    return "min" if _LOWER_IS_BETTER.search(metric) else "max"


def choose(exp: Experiment, metric: str | None = None, order: str | None = None) -> TopRuns:
    """The comparison's metric, order and top runs (``metric``/``order``: from config)."""
    counts: dict[str, list[int]] = {}
    for r in exp.runs:
        for k, h in r.metrics.items():
            c = counts.setdefault(k, [0, 0])
            c[0] += 1
            c[1] += h.count > 1
    if metric and metric not in counts:
        why_not = f"compare-metric {metric!r} is not logged by any run of this experiment; "
        metric = None
    else:
        why_not = ""
    if metric:
        why = "compare-metric in the configuration"
    elif counts:
        metric = max(sorted(counts), key=lambda k: (counts[k][1], counts[k][0], _scores(k)))
        why = why_not + (
            "the metric with a history that most runs logged" if counts[metric][1] else "the most common metric"
        )
    else:
        return TopRuns(None, order or "min", "no run logged a metric")
    if order:
        why += "; order from compare-order"
    else:
        order = guess_order(metric)
        why += "; " + ("lower is better (its name says loss or error)" if order == "min" else "higher is better")
    values = []
    for r in exp.runs:
        h = r.metrics.get(metric)
        p = h.latest if h is not None else None
        if p is not None and not math.isnan(p.value):
            v = math.inf if p.value >= INF_LIMIT else -math.inf if p.value <= -INF_LIMIT else p.value
            values.append((r, v))
    values.sort(key=lambda rv: (rv[1] if order == "min" else -rv[1], -(rv[0].start_time or 0), rv[0].run_id))
    top = TopRuns(metric, order, why, values[:TOP_RUNS], len(values))
    keys = sorted({k for r, _ in top.runs for k in r.params})
    top.varying_params = [k for k in keys if len({r.params.get(k) for r, _ in top.runs}) > 1]
    return top
