"""Which experiments and runs are published (``--experiment``, ``--exclude-experiment``,
``--filter``), applied to the
data model right after the store is read: what is not selected is not in the model, so no
page, data file, chart, artifact or count of it is made, and pages of it left from an earlier
build are removed.

A pattern names an experiment by its id, its name, or a shell-style glob of its name
(``sweep-*``). With ``--experiment`` only the experiments it names are kept; ``--exclude-experiment``
then removes those it names. The model registry keeps the versions made from published runs, and
the registered models that still have one. A trace logged in a run (``mlflow.sourceRun``) is
published only with that run; traces logged outside runs stay with their experiment. A
published run whose parent is not published keeps
the parent's id as MLflow records it; its page marks it "not published".
"""

from __future__ import annotations

import fnmatch

from sitegen.entities import Experiment, Store


def _matches(exp: Experiment, pattern: str) -> bool:
    return exp.experiment_id == pattern or fnmatch.fnmatchcase(exp.name, pattern)


def select(
    store: Store, include: tuple[str, ...] = (), exclude: tuple[str, ...] = (), run_filter: str | None = None
) -> None:
    """Keep the selected experiments of ``store`` and, with ``run_filter`` (an MLflow search
    expression, ``--filter``), the runs ``MlflowClient.search_runs`` returns for it, evaluated
    on the store's own values (before redaction); an experiment left without runs by the
    filter is not published either. In place; a pattern that names no experiment is a
    warning. Raises sitegen.search.SearchError for a filter MLflow rejects."""
    if not include and not exclude and not run_filter:
        return
    for pattern in (*include, *exclude):
        if not any(_matches(e, pattern) for e in store.experiments):
            flag = "--experiment" if pattern in include else "--exclude-experiment"
            store.warnings.append(f"{flag} {pattern!r} names no experiment of the store")
    kept = [
        e
        for e in store.experiments
        if (not include or any(_matches(e, p) for p in include)) and not any(_matches(e, p) for p in exclude)
    ]
    if run_filter:
        from sitegen.search import matcher

        match = matcher(run_filter, store.kind)
        for exp in kept:
            exp.runs = [r for r in exp.runs if match(r)]
            # a trace logged in a run is published with its run only
            shown = {r.run_id for r in exp.runs}
            exp.traces = [t for t in exp.traces if not t.run_id or t.run_id in shown]
        kept = [e for e in kept if e.runs]
    store.experiments = kept
    published = {r.run_id for e in kept for r in e.runs}
    models = []
    for model in store.registered_models:
        model.versions = [v for v in model.versions if v.run_id in published]
        if model.versions:
            model.aliases = {a: n for a, n in model.aliases.items() if any(v.version == n for v in model.versions)}
            models.append(model)
    store.registered_models = models
