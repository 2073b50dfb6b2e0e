"""A whole store as read: experiments with their runs and logged models, the model registry,
and what the reader found wrong (warnings)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from sitegen.entities.models import LoggedModel, RegisteredModel
from sitegen.entities.runs import Run
from sitegen.entities.traces import Trace


@dataclass(slots=True)
class Experiment:
    experiment_id: str
    name: str
    artifact_location: Optional[str] = None
    lifecycle_stage: str = "active"
    creation_time: Optional[int] = None
    last_update_time: Optional[int] = None
    tags: dict[str, str] = field(default_factory=dict)
    runs: list[Run] = field(default_factory=list)
    logged_models: list["LoggedModel"] = field(default_factory=list)
    traces: list["Trace"] = field(default_factory=list)  # MLflow 3 traces (entities.traces)
    redacted: dict[str, str] = field(default_factory=dict)  # see Run.redacted
    _activity: Optional[tuple] = field(default=None, init=False, repr=False, compare=False)

    @property
    def deleted(self) -> bool:
        return self.lifecycle_stage == "deleted"

    @property
    def description(self) -> Optional[str]:
        return self.tags.get("mlflow.note.content") or None

    @property
    def user_tags(self) -> dict[str, str]:
        return {k: v for k, v in sorted(self.tags.items()) if not k.startswith("mlflow.")}

    @property
    def last_activity(self) -> Optional[int]:
        """The latest time anything happened in the experiment (worked out once: pages ask
        for it several times, and by then its runs are read)."""
        if self._activity is None:
            times = [t for r in self.runs for t in (r.end_time, r.start_time, r.last_logged) if t]
            times += [t for t in (self.last_update_time, self.creation_time) if t]
            self._activity = (max(times, default=None),)
        return self._activity[0]


@dataclass(slots=True)
class Store:
    """Everything read from one MLflow store: its experiments (with their runs and logged
    models), the model registry, and one warning line per problem the reader found."""

    uri: str
    kind: str  # "file" | "sqlite" | "database" | "rest"
    experiments: list[Experiment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Folder that holds the store (used to find moved artifact folders).
    base_dir: Optional[str] = None
    # Runs present in the store but unreadable right now (e.g. meta.yaml half-written):
    # an incremental build keeps their previous pages.
    unreadable_runs: set[str] = field(default_factory=set)
    # Likewise logged models (by model id) whose meta.yaml cannot be read right now.
    unreadable_logged_models: set[str] = field(default_factory=set)
    # The model registry (registered models with their versions), where the store has one.
    registered_models: list[RegisteredModel] = field(default_factory=list)
    # What the reader wants back at the next build (kept in the site's manifest), or None.
    reader_state: Optional[dict] = None

    def run_by_id(self) -> dict[str, Run]:
        return {r.run_id: r for e in self.experiments for r in e.runs}

    def logged_models(self) -> list[LoggedModel]:
        return [m for e in self.experiments for m in e.logged_models]

    @property
    def models(self) -> list[RegisteredModel]:
        """The name ``registered_models`` had before (kept for themes)."""
        return self.registered_models


# A RUNNING run is shown as live only if it did something within this time of the store's
# newest activity (judged on the store, not the clock, so an unchanged store builds the
# same bytes; the browser judges again against the reader's clock).
STALE_AFTER_MS = 24 * 3600 * 1000


def mark_stale_runs(experiments: list["Experiment"]) -> None:
    """Set ``Run.stale`` on RUNNING runs that logged nothing within STALE_AFTER_MS of the
    store's newest activity: any run's start, end or metric point, or an experiment's
    creation or update (processes killed without ending their run)."""
    newest = max((e.last_activity or 0 for e in experiments), default=0)
    for exp in experiments:
        for run in exp.runs:
            last = run.last_activity
            run.stale = run.status == "RUNNING" and last is not None and newest - last > STALE_AFTER_MS
