"""The site's URL and output-path scheme, in one place (Datasette's ``url_builder`` idea).

Every function returns a path relative to the site root, '/'-separated, which is both where
the file is written (``SiteWriter`` takes these paths) and the target of links to it. Pages
never hard-code ``../``: templates pass a target through the ``url`` filter, which makes it
relative to the page being rendered (:func:`relative`), so the site works from ``file://``,
a web server's root and a GitHub Pages sub-path alike. The scheme (stable: people share these
links)::

    index.html                                         every experiment
    static/<file>                                      the theme's CSS and JavaScript
    experiments/<experiment_id>/index.html             an experiment: runs table, comparisons
    experiments/<experiment_id>/charts/<chart>         its comparison charts
    experiments/<experiment_id>/runs.js, runs.csv      its runs as data (runs table) and as CSV
    experiments/<experiment_id>/compare.html#runs=…    chosen runs side by side
    experiments/<experiment_id>/runs/<run_id>/index.html, run.json, charts/<chart>, artifacts/<path>
    experiments/<experiment_id>/runs/<run_id>/series.js            its metric histories for the
                                                                   browser's charts (decimated)
    experiments/<experiment_id>/runs/<run_id>/history/<chart>.js   a decimated metric in full
    experiments/<experiment_id>/models/<model_id>/index.html, model.json, artifacts/<path>
    experiments/<experiment_id>/traces/index.html, traces.js        its MLflow 3 traces
    experiments/<experiment_id>/traces/<trace_id>/index.html, trace.json, trace.js   a trace
    models/index.html, models/<name>-<hash>/index.html  registered models and their versions

Ids are used as they are (MLflow's ids are safe in a path); names that may hold any
character (registered models, metric keys in chart and history file names) become :func:`slug`.
"""

from __future__ import annotations

import hashlib
import posixpath
import re

INDEX = "index.html"
STATIC = "static"
EXPERIMENTS = "experiments"
REGISTERED_MODELS_DIR = "models"
REGISTERED_MODELS = f"{REGISTERED_MODELS_DIR}/{INDEX}"


def slug(text: str, empty: str = "model", strip: str = "_.") -> str:
    """Safe characters + a short hash of the text: a stable file or folder name for any text
    (``empty`` when no safe character is left)."""
    safe = re.sub(r"[^A-Za-z0-9._-]+", "_", text).strip(strip)[:60] or empty
    return f"{safe}-{hashlib.blake2b(text.encode(), digest_size=4).hexdigest()}"


def static(name: str) -> str:
    return f"{STATIC}/{name}"


def experiment_dir(exp_id: str) -> str:
    return f"{EXPERIMENTS}/{exp_id}"


def experiment_page(exp_id: str) -> str:
    return f"{experiment_dir(exp_id)}/{INDEX}"


def runs_data(exp_id: str) -> str:
    """The runs table's data file (docs/design.md, "Data file formats")."""
    return f"{experiment_dir(exp_id)}/runs.js"


def runs_csv(exp_id: str) -> str:
    """The columns of ``mlflow.search_runs()``'s DataFrame, as CSV."""
    return f"{experiment_dir(exp_id)}/runs.csv"


def compare_page(exp_id: str) -> str:
    """Runs side by side; which runs is in the fragment (``#runs=<id>,<id>``)."""
    return f"{experiment_dir(exp_id)}/compare.html"


def experiment_charts_dir(exp_id: str) -> str:
    """Comparison charts of an experiment's page."""
    return f"{experiment_dir(exp_id)}/charts"


def runs_dir(exp_id: str) -> str:
    return f"{experiment_dir(exp_id)}/runs"


def run_dir(exp_id: str, run_id: str) -> str:
    return f"{runs_dir(exp_id)}/{run_id}"


def run_page(exp_id: str, run_id: str) -> str:
    return f"{run_dir(exp_id, run_id)}/{INDEX}"


def run_json(exp_id: str, run_id: str) -> str:
    return f"{run_dir(exp_id, run_id)}/run.json"


def run_from_experiment(run_id: str) -> str:
    """A run's page relative to its experiment's page (runs-table rows are kept between
    builds apart from any page, so they link this way)."""
    return f"runs/{run_id}/{INDEX}"


def chart_name(key: str, fmt: str = "svg") -> str:
    """File name of the chart of metric ``key`` (any characters) in a ``charts/`` folder."""
    return f"{slug(key, 'metric', '_')}.{fmt}"


def run_chart(exp_id: str, run_id: str, key: str, fmt: str = "svg") -> str:
    return f"{run_dir(exp_id, run_id)}/charts/{chart_name(key, fmt)}"


SERIES = "series.js"
HISTORY_DIR = "history"


def run_series(exp_id: str, run_id: str) -> str:
    """A run's series data file (``trackreport.data("series/<run_id>", …)``)."""
    return f"{run_dir(exp_id, run_id)}/{SERIES}"


def run_history_rel(key: str) -> str:
    """The full-resolution history file of metric ``key`` relative to its run's folder (and page)."""
    return f"{HISTORY_DIR}/{chart_name(key, 'js')}"


def run_history(exp_id: str, run_id: str, key: str) -> str:
    return f"{run_dir(exp_id, run_id)}/{run_history_rel(key)}"


def run_history_csv_rel(key: str) -> str:
    """Metric ``key``'s full history as CSV (``--history-csv``), relative to its run's folder."""
    return f"{HISTORY_DIR}/{chart_name(key, 'csv')}"


def run_history_csv(exp_id: str, run_id: str, key: str) -> str:
    return f"{run_dir(exp_id, run_id)}/{run_history_csv_rel(key)}"


def logged_models_dir(exp_id: str) -> str:
    return f"{experiment_dir(exp_id)}/models"


def logged_model_slug(model_id: str) -> str:
    """A logged model's folder name: its id (``m-<hex>``) as it is when that is safe."""
    return model_id if re.fullmatch(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}", model_id) else slug(model_id)


def logged_model_dir(exp_id: str, model_id: str) -> str:
    return f"{logged_models_dir(exp_id)}/{logged_model_slug(model_id)}"


def logged_model_page(exp_id: str, model_id: str) -> str:
    return f"{logged_model_dir(exp_id, model_id)}/{INDEX}"


def logged_model_json(exp_id: str, model_id: str) -> str:
    return f"{logged_model_dir(exp_id, model_id)}/model.json"


TRACES = "traces"


def traces_dir(exp_id: str) -> str:
    return f"{experiment_dir(exp_id)}/{TRACES}"


def traces_page(exp_id: str) -> str:
    return f"{traces_dir(exp_id)}/{INDEX}"


def traces_data(exp_id: str) -> str:
    """The trace list's data file (docs/design.md, "Data file formats")."""
    return f"{traces_dir(exp_id)}/traces.js"


def trace_folder(trace_id: str) -> str:
    """A trace's folder name: its id (MLflow's ``tr-<hex>``), else a slug of it."""
    return trace_id if re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*", trace_id) else slug(trace_id, "trace")


def trace_dir(exp_id: str, trace_id: str) -> str:
    return f"{traces_dir(exp_id)}/{trace_folder(trace_id)}"


def trace_page(exp_id: str, trace_id: str) -> str:
    return f"{trace_dir(exp_id, trace_id)}/{INDEX}"


def trace_json(exp_id: str, trace_id: str) -> str:
    """``MlflowClient.get_trace(trace_id).to_dict()``, as JSON."""
    return f"{trace_dir(exp_id, trace_id)}/trace.json"


def trace_data(exp_id: str, trace_id: str) -> str:
    """The same document as a data file (registers ``"trace/<trace_id>"``)."""
    return f"{trace_dir(exp_id, trace_id)}/trace.js"


def registered_model_dir(name: str) -> str:
    """Stable folder of a registered model's page (any name → safe characters + short hash)."""
    return f"{REGISTERED_MODELS_DIR}/{slug(name)}"


def registered_model_page(name: str) -> str:
    return f"{registered_model_dir(name)}/{INDEX}"


def relative(page: str, target: str) -> str:
    """``target`` (a path from the site root) as a link from the page at ``page``."""
    here = posixpath.dirname(page)
    if not here:
        return target
    if target.startswith(here + "/"):
        return target[len(here) + 1 :]
    return posixpath.relpath(target, here)
