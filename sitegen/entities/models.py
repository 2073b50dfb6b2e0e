"""MLflow 3 logged models (``mlflow.entities.LoggedModel``) and the model registry
(``RegisteredModel``, ``ModelVersion``). Times are ms since the epoch."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, NamedTuple, Optional

from sitegen.entities.metrics import sort_value

if TYPE_CHECKING:
    from sitegen.entities.runs import ArtifactFile


class _OldTimeNames:
    """``creation_time``/``last_updated_time``: the names these fields had before they took
    MLflow's (``creation_timestamp``, ``last_updated_timestamp``); kept for themes."""

    __slots__ = ()

    @property
    def creation_time(self) -> Optional[int]:
        return self.creation_timestamp

    @property
    def last_updated_time(self) -> Optional[int]:
        return self.last_updated_timestamp


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
class LoggedModel(_OldTimeNames):
    """An MLflow 3 logged model (``mlflow.<flavor>.log_model`` / ``initialize_logged_model``)."""

    model_id: str
    name: str
    experiment_id: str
    source_run_id: Optional[str] = None
    model_type: Optional[str] = None
    status: Optional[str] = None
    status_message: Optional[str] = None
    creation_timestamp: Optional[int] = None  # ms since the epoch
    last_updated_timestamp: Optional[int] = None
    artifact_location: Optional[str] = None
    lifecycle_stage: str = "active"
    params: dict[str, str] = field(default_factory=dict)
    tags: dict[str, str] = field(default_factory=dict)
    metrics: list[ModelMetric] = field(default_factory=list)  # every point, as read
    # Filled by the artifact stage, not by readers (as for a run) ...
    artifacts: list["ArtifactFile"] = field(default_factory=list)
    artifact_dir: Optional[str] = None
    # ... but by a tracking server's reader, which lists and downloads them itself.
    artifacts_remote: bool = False
    warnings: list[str] = field(default_factory=list)
    redacted: dict[str, str] = field(default_factory=dict)  # see Run.redacted

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
        return [
            (max(pts, key=lambda m: (m.step, m.timestamp, sort_value(m.value))), len(pts))
            for _k, pts in sorted(groups.items())
        ]


@dataclass(slots=True)
class ModelVersion(_OldTimeNames):
    """One version of a registered model (MLflow's model registry)."""

    name: str
    version: int
    creation_timestamp: Optional[int] = None  # ms since the epoch
    last_updated_timestamp: Optional[int] = None
    description: Optional[str] = None
    user_id: Optional[str] = None
    current_stage: Optional[str] = None
    source: Optional[str] = None
    run_id: Optional[str] = None
    status: Optional[str] = None
    status_message: Optional[str] = None
    run_link: Optional[str] = None
    model_id: Optional[str] = None  # MLflow 3: the logged model this version was made from
    tags: dict[str, str] = field(default_factory=dict)
    aliases: list[str] = field(default_factory=list)
    redacted: dict[str, str] = field(default_factory=dict)  # see Run.redacted

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
            rest = src[len("models:/") :]
            if rest and "/" not in rest and "@" not in rest:
                return rest
        return None


@dataclass(slots=True)
class RegisteredModel(_OldTimeNames):
    name: str
    creation_timestamp: Optional[int] = None  # ms since the epoch
    last_updated_timestamp: Optional[int] = None
    description: Optional[str] = None
    tags: dict[str, str] = field(default_factory=dict)
    aliases: dict[str, int] = field(default_factory=dict)  # alias → version
    versions: list[ModelVersion] = field(default_factory=list)  # newest first
    redacted: dict[str, str] = field(default_factory=dict)  # see Run.redacted

    @property
    def redacted_with_versions(self) -> dict[str, str]:
        """What was redacted of the model and its versions ("version 2 · tags.token" → why)."""
        out = dict(self.redacted)
        for v in self.versions:
            out.update({f"version {v.version} · {k}": why for k, why in v.redacted.items()})
        return out

    @property
    def latest_version(self) -> Optional[ModelVersion]:
        return self.versions[0] if self.versions else None
