"""The plain data model every reader returns and every renderer consumes.

Nothing here knows where the data came from: readers build these objects, the
renderers only read them.  Values are kept exactly as MLflow's client returns
them (metric values are floats that may be NaN or ±inf).
"""
from __future__ import annotations

import math
from array import array
from dataclasses import dataclass, field
from typing import NamedTuple, Optional

RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")
# Integer codes used by the file store's meta.yaml.
STATUS_BY_CODE = {1: "RUNNING", 2: "SCHEDULED", 3: "FINISHED", 4: "FAILED", 5: "KILLED"}
SOURCE_TYPE_BY_CODE = {1: "NOTEBOOK", 2: "JOB", 3: "PROJECT", 4: "LOCAL", 1000: "UNKNOWN"}
# SQL stores keep ±inf clamped to ±DBL_MAX (MLflow's ``sqlalchemy_store`` clamps on insert,
# and its client returns the clamped number). Everything a page derives from values treats
# them as the infinities they were logged as, whatever the store kind.
INF_LIMIT = 1.7976931348623157e308


# MLflow 3 logged models record their status as an integer.
LOGGED_MODEL_STATUS = {0: "UNSPECIFIED", 1: "PENDING", 2: "READY", 3: "FAILED"}


class MetricPoint(NamedTuple):
    step: int
    timestamp: int
    value: float


@dataclass(slots=True)
class MetricHistory:
    """One metric's full history, stored column-wise in logged order (cheap to build in bulk)."""
    key: str
    steps: list[int] = field(default_factory=list)
    timestamps: list[int] = field(default_factory=list)
    values: list[float] = field(default_factory=list)
    _latest: "MetricPoint | None" = field(default=None, init=False, repr=False, compare=False)
    _range: "tuple | None" = field(default=None, init=False, repr=False, compare=False)
    _last: "tuple | None" = field(default=None, init=False, repr=False, compare=False)

    @classmethod
    def from_points(cls, key: str, points) -> "MetricHistory":
        h = cls(key)
        for p in points:
            h.steps.append(p[0])
            h.timestamps.append(p[1])
            h.values.append(p[2])
        return h

    @classmethod
    def latest_only(cls, key: str, step: int, timestamp: int, value: float,
                    last_timestamp: int | None = None) -> "MetricHistory":
        """A stand-in for a history of which only the latest point is known (and the time
        of its last point, which may be later when a lower step was logged last)."""
        h = cls(key, [step], [timestamp], [value])
        if last_timestamp is not None and last_timestamp > timestamp:
            h._last = (step, last_timestamp)
        return h

    def compact(self) -> "MetricHistory":
        """Hold the columns as typed arrays: a third of the memory of lists of Python numbers,
        and cheap to send to worker processes. Readers call it once a history is complete; a
        history with a step or timestamp beyond 64 bits stays as lists."""
        try:
            columns = (array("q", self.steps), array("q", self.timestamps), array("d", self.values))
        except (OverflowError, TypeError, ValueError):
            return self
        self.steps, self.timestamps, self.values = columns
        return self

    def __len__(self) -> int:
        return len(self.values)

    @property
    def points(self) -> list[MetricPoint]:
        return [MetricPoint(s, t, v) for s, t, v in zip(self.steps, self.timestamps, self.values)]

    @property
    def latest(self) -> MetricPoint | None:
        """The point MLflow calls "latest": the max of (step, timestamp, value)."""
        if self._latest is None and self.values:
            top = max(self.steps)
            i = max((j for j, s in enumerate(self.steps) if s == top),
                    key=lambda j: (self.timestamps[j], _sort_value(self.values[j])))
            self._latest = MetricPoint(self.steps[i], self.timestamps[i], self.values[i])
        return self._latest

    def _stats(self) -> tuple:
        """(min, max, non-finite count) over the finite values, computed once. NaN, ±inf
        and SQL stores' clamped ±inf all count as non-finite, as charts draw them."""
        if self._range is None:
            values = self.values
            if all(map(math.isfinite, values)) and \
                    (not values or (min(values) > -INF_LIMIT and max(values) < INF_LIMIT)):
                finite, bad = values, 0
            else:
                finite = [v for v in values if -INF_LIMIT < v < INF_LIMIT]
                bad = len(self.values) - len(finite)
            self._range = (min(finite, default=None), max(finite, default=None), bad)
        return self._range

    @property
    def min(self) -> float | None:
        return self._stats()[0]

    @property
    def max(self) -> float | None:
        return self._stats()[1]

    def _lasts(self) -> tuple:
        """(largest step, latest timestamp), computed once."""
        if self._last is None:
            self._last = (max(self.steps, default=None), max(self.timestamps, default=None))
        return self._last

    @property
    def last_step(self) -> int | None:
        return self._lasts()[0]

    @property
    def last_timestamp(self) -> int | None:
        return self._lasts()[1]

    @property
    def non_finite_count(self) -> int:
        return self._stats()[2]


def _sort_value(v: float) -> float:
    # MLflow compares NaN as larger than everything when picking the latest point.
    return math.inf if math.isnan(v) else v


@dataclass(slots=True)
class DatasetInput:
    name: str
    digest: str
    source_type: str = ""
    source: str = ""
    schema: str = ""
    profile: str = ""
    tags: dict[str, str] = field(default_factory=dict)

    @property
    def context(self) -> str | None:
        return self.tags.get("mlflow.data.context")


@dataclass(slots=True)
class Run:
    run_id: str
    experiment_id: str
    run_name: Optional[str] = None
    status: str = "FINISHED"
    start_time: Optional[int] = None
    end_time: Optional[int] = None
    lifecycle_stage: str = "active"
    user_id: Optional[str] = None
    artifact_uri: Optional[str] = None
    source_type: Optional[str] = None
    source_name: Optional[str] = None
    entry_point_name: Optional[str] = None
    source_version: Optional[str] = None
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: dict[str, MetricHistory] = field(default_factory=dict)
    inputs: list[DatasetInput] = field(default_factory=list)
    # Filled by the artifact stage, not by readers.
    artifacts: list["ArtifactFile"] = field(default_factory=list)
    artifact_dir: Optional[str] = None
    # True when the reader listed the artifacts itself (a tracking server: sizes from the
    # server, files downloaded into a local cache folder, artifact_dir).
    artifacts_remote: bool = False
    warnings: list[str] = field(default_factory=list)
    # Cheap fingerprint of the run's inputs in the store (used by the build plan).
    fingerprint: str = ""
    # False when ``metrics`` holds only each key's latest point (reused from an earlier
    # build because the run did not change); the reader can load the full histories.
    metrics_complete: bool = True
    # Set by the pipeline (``mark_stale_runs``), not by readers: a RUNNING run that has done
    # nothing for STALE_AFTER_MS before the store's newest activity (its process died).
    stale: bool = False

    @property
    def parent_run_id(self) -> Optional[str]:
        return self.tags.get("mlflow.parentRunId") or None

    @property
    def display_name(self) -> str:
        return self.run_name or self.run_id[:8]

    @property
    def deleted(self) -> bool:
        return self.lifecycle_stage == "deleted"

    @property
    def duration_ms(self) -> Optional[int]:
        if self.start_time is None or self.end_time is None:
            return None
        return max(0, self.end_time - self.start_time)

    @property
    def user(self) -> Optional[str]:
        return self.user_id or self.tags.get("mlflow.user")

    @property
    def source(self) -> Optional[str]:
        return self.tags.get("mlflow.source.name") or self.source_name or None

    @property
    def source_kind(self) -> Optional[str]:
        return self.tags.get("mlflow.source.type") or self.source_type or None

    @property
    def entry_point(self) -> Optional[str]:
        return self.tags.get("mlflow.project.entryPoint") or self.entry_point_name or None

    @property
    def git_commit(self) -> Optional[str]:
        return self.tags.get("mlflow.source.git.commit") or self.source_version or None

    @property
    def git_repo(self) -> Optional[str]:
        return self.tags.get("mlflow.source.git.repoURL") or self.tags.get("mlflow.gitRepoURL") or None

    @property
    def git_branch(self) -> Optional[str]:
        return self.tags.get("mlflow.source.git.branch") or None

    @property
    def note(self) -> Optional[str]:
        return self.tags.get("mlflow.note.content") or None

    @property
    def user_tags(self) -> dict[str, str]:
        return {k: v for k, v in sorted(self.tags.items()) if not k.startswith("mlflow.")}

    @property
    def system_tags(self) -> dict[str, str]:
        """``mlflow.*`` tags, but the description (``mlflow.note.content``, shown as such)."""
        return {k: v for k, v in sorted(self.tags.items())
                if k.startswith("mlflow.") and k != "mlflow.note.content"}

    @property
    def latest_metrics(self) -> dict[str, float]:
        out = {}
        for k, h in self.metrics.items():
            p = h.latest
            if p is not None:
                out[k] = p.value
        return out

    @property
    def last_step(self) -> Optional[int]:
        """Largest step logged by any metric (how far a live run has come)."""
        return max((h.last_step for h in self.metrics.values() if len(h)), default=None)

    @property
    def last_activity(self) -> Optional[int]:
        """The latest time (ms since the epoch) the run's store records anything of it:
        start, end, or a metric point."""
        return max((t for t in (self.start_time, self.end_time, self.last_logged) if t), default=None)

    @property
    def last_logged(self) -> Optional[int]:
        """Timestamp of the last metric point (used to show live runs)."""
        return max((h.last_timestamp for h in self.metrics.values() if len(h)), default=None)


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


# What a build keeps of a run between processes (in the site's manifest), so that the next
# build need not read an unchanged run's files again: everything the reader filled in except
# the histories (the manifest keeps each metric's latest point).
_SUMMARY_FIELDS = ("run_id", "experiment_id", "run_name", "status", "start_time", "end_time",
                   "lifecycle_stage", "user_id", "artifact_uri", "source_type", "source_name",
                   "entry_point_name", "source_version", "params", "tags")


def run_summary(run: Run) -> dict:
    out = {name: getattr(run, name) for name in _SUMMARY_FIELDS}
    out["inputs"] = [[i.name, i.digest, i.source_type, i.source, i.schema, i.profile, i.tags]
                     for i in run.inputs]
    return out


def run_from_summary(data: dict, metrics: dict[str, MetricHistory], fingerprint: str) -> Run:
    """The run ``run_summary`` described, with only the latest points of its metrics."""
    run = Run(**{name: data[name] for name in _SUMMARY_FIELDS})
    run.inputs = [DatasetInput(*fields) for fields in data["inputs"]]
    run.metrics, run.metrics_complete, run.fingerprint = metrics, False, fingerprint
    return run


@dataclass(slots=True)
class ArtifactFile:
    path: str          # relative, '/'-separated
    size: int
    kind: str = "other"  # image | text | csv | json | markdown | html | other
    skipped: Optional[str] = None  # reason the file was not copied into the site
    mtime_ns: int = 0
    # Filled by the artifact stage for files the page previews (text, table rows, html).
    preview: Optional["Preview"] = None


@dataclass(slots=True)
class Preview:
    kind: str                       # text | table | markdown
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    truncated: bool = False


class ModelMetric(NamedTuple):
    """One metric point of a logged model: which run logged it, on which dataset."""
    key: str
    value: float
    timestamp: int
    step: int
    run_id: Optional[str] = None
    dataset_name: Optional[str] = None
    dataset_digest: Optional[str] = None


@dataclass(slots=True)
class LoggedModel:
    """An MLflow 3 logged model (``mlflow.<flavor>.log_model`` / ``initialize_logged_model``)."""
    model_id: str
    name: str
    experiment_id: str
    source_run_id: Optional[str] = None
    model_type: Optional[str] = None
    status: Optional[str] = None
    status_message: Optional[str] = None
    creation_time: Optional[int] = None
    last_updated_time: Optional[int] = None
    artifact_location: Optional[str] = None
    lifecycle_stage: str = "active"
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: list[ModelMetric] = field(default_factory=list)   # every point, as read
    # Filled by the artifact stage, not by readers (as for a run) ...
    artifacts: list["ArtifactFile"] = field(default_factory=list)
    artifact_dir: Optional[str] = None
    # ... but by a tracking server's reader, which lists and downloads them itself.
    artifacts_remote: bool = False
    warnings: list[str] = field(default_factory=list)

    @property
    def display_name(self) -> str:
        return self.name or self.model_id

    @property
    def deleted(self) -> bool:
        return self.lifecycle_stage == "deleted"

    @property
    def user_tags(self) -> dict[str, str]:
        return {k: v for k, v in sorted(self.tags.items()) if not k.startswith("mlflow.")}

    @property
    def system_tags(self) -> dict[str, str]:
        return {k: v for k, v in sorted(self.tags.items()) if k.startswith("mlflow.")}

    @property
    def metric_rows(self) -> list[tuple[ModelMetric, int]]:
        """MLflow's view of the metrics: per key and dataset the latest point (the max of
        step, timestamp, value), with the number of points; sorted by key, then dataset."""
        groups: dict[tuple, list[ModelMetric]] = {}
        for m in self.metrics:
            groups.setdefault((m.key, m.dataset_name or "", m.dataset_digest or ""), []).append(m)
        return [(max(pts, key=lambda m: (m.step, m.timestamp, _sort_value(m.value))), len(pts))
                for _k, pts in sorted(groups.items())]


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
class ModelVersion:
    """One version of a registered model (MLflow's model registry)."""
    name: str
    version: int
    creation_time: Optional[int] = None
    last_updated_time: Optional[int] = None
    description: Optional[str] = None
    user_id: Optional[str] = None
    current_stage: Optional[str] = None
    source: Optional[str] = None
    run_id: Optional[str] = None
    status: Optional[str] = None
    status_message: Optional[str] = None
    run_link: Optional[str] = None
    model_id: Optional[str] = None    # MLflow 3: the logged model this version was made from
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)

    @property
    def logged_model_ref(self) -> Optional[str]:
        """The logged model id this version points at: its ``model_id``, else the id in a
        ``models:/<id>`` source (SQL stores keep no model_id column). Possibly not a logged
        model at all (``models:/<name>`` also names a registered model): match it against
        the store's logged models."""
        if self.model_id:
            return self.model_id
        src = self.source or ""
        if src.startswith("models:/"):
            rest = src[len("models:/"):]
            if rest and "/" not in rest and "@" not in rest:
                return rest
        return None


@dataclass(slots=True)
class RegisteredModel:
    name: str
    creation_time: Optional[int] = None
    last_updated_time: Optional[int] = None
    description: Optional[str] = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)      # alias → version
    versions: list[ModelVersion] = field(default_factory=list)  # newest first

    @property
    def latest_version(self) -> Optional[ModelVersion]:
        return self.versions[0] if self.versions else None


@dataclass(slots=True)
class Store:
    """Everything read from one MLflow store."""
    uri: str
    kind: str                    # "file" | "sqlite" | ...
    experiments: list[Experiment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Folder that holds the store (used to find moved artifact folders).
    base_dir: Optional[str] = None
    # Runs present in the store but unreadable right now (e.g. meta.yaml half-written):
    # an incremental build keeps their previous pages.
    unreadable_runs: set[str] = field(default_factory=set)
    # Likewise logged models (by model id) whose meta.yaml cannot be read right now.
    unreadable_models: set[str] = field(default_factory=set)
    # The model registry (registered models with their versions), where the store has one.
    models: list[RegisteredModel] = field(default_factory=list)
    # What the reader wants back at the next build (kept in the site's manifest), or None.
    reader_state: Optional[dict] = None

    def run_by_id(self) -> dict[str, Run]:
        return {r.run_id: r for e in self.experiments for r in e.runs}

    def logged_models(self) -> list[LoggedModel]:
        return [m for e in self.experiments for m in e.logged_models]
