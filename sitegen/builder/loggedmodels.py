"""Pages of MLflow 3 logged models: one folder each, ``experiments/<exp>/models/<model_id>/``
with ``index.html``, ``model.json`` and the model's files under ``artifacts/``.

A logged model's files are found like a run's (see :mod:`sitegen.artifacts`), at its
recorded ``artifact_location`` or, for a moved store, under ``<exp>/models/<model_id>/artifacts``.
Pages are remade only when the build plan says what they show changed, and removed with
the model (deleted, or gone from the store).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath
from typing import TYPE_CHECKING

from sitegen import artifacts
from sitegen.entities import ArtifactFile, LoggedModel, ModelVersion, Store
from sitegen.render import urls
from sitegen.render.export import logged_model_json
from sitegen.writer import SiteWriter

if TYPE_CHECKING:
    from sitegen.render.pages import Pages


@dataclass
class _ArtifactOwner:
    """What the artifact stage needs of a run, for a logged model: its files are found as a
    run's would be, with ``models/<model_id>`` in place of the run id."""

    artifact_uri: str | None
    experiment_id: str
    run_id: str
    artifacts: list[ArtifactFile] = field(default_factory=list)
    artifact_dir: str | None = None
    artifacts_remote: bool = False
    warnings: list[str] = field(default_factory=list)


def attach_artifacts(store: Store, *, artifacts_dir: str | None, max_size: int | None) -> None:
    """Find, list and mark (too large) each logged model's files, in place."""
    for m in store.logged_models():
        if not m.artifact_location or m.artifacts_remote:
            continue
        owner = _ArtifactOwner(m.artifact_location, m.experiment_id, str(PurePosixPath("models", m.model_id)))
        artifacts.attach_artifacts(
            [owner], store_kind=store.kind, store_dir=store.base_dir, artifacts_dir=artifacts_dir, max_size=max_size
        )
        m.artifacts, m.artifact_dir = owner.artifacts, owner.artifact_dir
        m.warnings.extend(owner.warnings)


def by_source_run(store: Store) -> dict[str, list[LoggedModel]]:
    """Logged models by the run that made them (whatever experiment they are in)."""
    out: dict[str, list[LoggedModel]] = {}
    for m in store.logged_models():
        if m.source_run_id:
            out.setdefault(m.source_run_id, []).append(m)
    return out


def registered_versions(store: Store) -> dict[str, list[ModelVersion]]:
    """Registered model versions made from each logged model of the store, by model id."""
    ids = {m.model_id for m in store.logged_models()}
    out: dict[str, list[ModelVersion]] = {}
    for model in store.registered_models:
        for v in model.versions:
            ref = v.logged_model_ref
            if ref in ids:
                out.setdefault(ref, []).append(v)
    return out


def remove_stale(writer: SiteWriter, store: Store) -> None:
    """Drop the pages of logged models that are gone (deleted, or no longer shown); keep those
    whose meta.yaml cannot be read right now."""
    live = {e.experiment_id: {urls.logged_model_slug(m.model_id) for m in e.logged_models} for e in store.experiments}
    keep = {urls.logged_model_slug(mid) for mid in store.unreadable_logged_models}
    for exp_id, slugs in live.items():
        folder = urls.logged_models_dir(exp_id)
        if (writer.root / folder).is_dir():
            for entry in (writer.root / folder).iterdir():
                if entry.name not in slugs and entry.name not in keep:
                    writer.remove(f"{folder}/{entry.name}")


def build_pages(
    store: Store, models: list[LoggedModel], writer: SiteWriter, pages: Pages, versions: dict[str, list[ModelVersion]]
) -> tuple[int, int]:
    """(Re)make the pages of ``models``: (pages written, artifacts copied)."""
    exps = {e.experiment_id: e for e in store.experiments}
    runs = store.run_by_id()
    copied = 0
    for m in models:
        base = urls.logged_model_dir(m.experiment_id, m.model_id)
        writer.stage(base)
        copied += artifacts.copy_into_site(m, base, writer)
        artifacts.attach_previews(m)
        writer.write_text(
            urls.logged_model_page(m.experiment_id, m.model_id),
            pages.logged_model(m, exps[m.experiment_id], runs, versions.get(m.model_id, [])),
        )
        writer.write_text(urls.logged_model_json(m.experiment_id, m.model_id), logged_model_json(m))
        writer.prune(base)
    return len(models), copied
