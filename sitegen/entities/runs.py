"""Runs (MLflow's ``Run``: its info, params, tags, metric histories and dataset inputs) and
what the artifact stage adds to them. Times are ms since the epoch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Optional

from sitegen.entities.metrics import MetricHistory

RUN_STATUSES = ("RUNNING", "SCHEDULED", "FINISHED", "FAILED", "KILLED")


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
    # Set by the redaction stage (sitegen.safety.redact): "params.<key>"/"tags.<key>"/field
    # → why its value was replaced by "[redacted]".
    redacted: dict[str, str] = field(default_factory=dict)
    # The artifact location as the store records it, when redaction or --hide-paths changed
    # ``artifact_uri`` (the next build finds the artifacts through it).
    recorded_artifact_uri: Optional[str] = None
    # Set by the pipeline (``link_traces``): the run's traces (metadata ``mlflow.sourceRun``)
    # as rows of ``traces.js`` (``Trace.row()``), newest first.
    traces: list[dict] = field(default_factory=list)

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
        return {k: v for k, v in sorted(self.tags.items()) if k.startswith("mlflow.") and k != "mlflow.note.content"}

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


@dataclass(slots=True)
class ArtifactFile:
    path: str  # relative, '/'-separated
    size: int
    kind: str = "other"  # image | text | csv | json | markdown | html | other
    skipped: Optional[str] = None  # reason the file was not copied into the site
    mtime_ns: int = 0
    # Filled by the artifact stage for files the page previews (text, table rows, html).
    preview: Optional["Preview"] = None


@dataclass(slots=True)
class Preview:
    kind: str  # text | table | markdown
    text: str = ""
    rows: list[list[str]] = field(default_factory=list)
    truncated: bool = False
