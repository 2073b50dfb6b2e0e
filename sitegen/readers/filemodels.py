"""MLflow 3 logged models and the model registry, as the file store keeps them.

    <exp>/models/<model_id>/meta.yaml, params/, tags/, metrics/   logged models (MLflow 3)
    models/<name>/meta.yaml, tags/, aliases/, version-<n>/meta.yaml, version-<n>/tags/

Formats: MLflow's ``mlflow/store/tracking/file_store.py`` (logged models) and
``mlflow/store/model_registry/file_store.py`` (registered models and versions).
"""

from __future__ import annotations

from pathlib import Path

from sitegen.entities import LoggedModel, ModelMetric, ModelVersion, RegisteredModel
from sitegen.readers.codes import DELETED_VERSION_STAGE, LOGGED_MODEL_STATUS
from sitegen.readers.filemeta import Warn, complete_lines, int_or_none, meta_folders, metric_files, read_kv_folder


def _read_model_metrics(folder: Path, warn: Warn) -> list[ModelMetric]:
    """A logged model's metric files: "<timestamp> <value> <step> <run_id> [<dataset> <digest>]"."""
    out = []
    for key, data, path in sorted(metric_files(folder, warn)):
        for lineno, line in enumerate(complete_lines(data).splitlines(), 1):
            parts = line.decode("utf-8", "replace").split()
            if not parts:
                continue
            try:
                if len(parts) not in (4, 6):
                    raise ValueError("expected 'timestamp value step run_id [dataset digest]'")
                out.append(
                    ModelMetric(
                        key,
                        float(parts[1]),
                        int(parts[0]),
                        int(parts[2]),
                        parts[3],
                        *(parts[4:6] if len(parts) == 6 else ()),
                    )
                )
            except ValueError:
                warn(path, f"line {lineno} is not a metric point ({line[:60]!r}); this point is left out")
    return out


def read_logged_models(
    folder: Path, exp_id: str, warn: Warn, include_deleted: bool, unreadable: set[str]
) -> list[LoggedModel]:
    """MLflow 3 logged models: ``<exp>/models/<model_id>/`` (meta.yaml, params, tags, metrics)."""
    out = []
    for entry, meta in meta_folders(folder, warn, "logged model", unreadable=unreadable):
        mismatch = _recorded_elsewhere(meta, entry.name, exp_id)
        if mismatch:
            warn(entry, f"{mismatch}; this logged model is left out, as MLflow leaves it out")
            continue
        stage = str(meta.get("lifecycle_stage") or "active")
        if stage == "deleted" and not include_deleted:
            continue
        status = meta.get("status")
        out.append(
            LoggedModel(
                model_id=entry.name,
                name=str(meta.get("name") or ""),
                experiment_id=exp_id,
                source_run_id=meta.get("source_run_id") or None,
                model_type=meta.get("model_type") or None,
                status=LOGGED_MODEL_STATUS.get(status, str(status)) if status is not None else None,
                status_message=meta.get("status_message") or None,
                creation_timestamp=int_or_none(meta.get("creation_timestamp")),
                last_updated_timestamp=int_or_none(meta.get("last_updated_timestamp")),
                artifact_location=meta.get("artifact_location") or None,
                lifecycle_stage=stage,
                params=read_kv_folder(entry / "params", warn),
                tags=read_kv_folder(entry / "tags", warn),
                metrics=_read_model_metrics(entry / "metrics", warn),
            )
        )
    return out


def _recorded_elsewhere(meta: dict, folder_name: str, exp_id: str) -> str | None:
    """What is wrong when a logged model's meta.yaml records another id or experiment than
    where its folder sits (copied or moved by hand), else None."""
    mid, eid = meta.get("model_id"), meta.get("experiment_id")
    if mid is not None and str(mid) != folder_name:
        return f"meta.yaml records model id '{mid}', not the folder's name"
    if eid is not None and str(eid) != exp_id:
        return f"meta.yaml records experiment '{eid}', but the folder is in experiment '{exp_id}'"
    return None


def read_registry(folder: Path, warn: Warn) -> list[RegisteredModel]:
    """``mlruns/models/<name>/meta.yaml``, ``tags/``, ``aliases/`` and ``version-<n>/``."""
    models = []
    for entry, meta in meta_folders(folder, warn, "registered model"):
        model = RegisteredModel(
            name=str(meta.get("name") or entry.name),
            creation_timestamp=int_or_none(meta.get("creation_timestamp")),
            last_updated_timestamp=int_or_none(meta.get("last_updated_timestamp")),
            description=meta.get("description") or None,
            tags=read_kv_folder(entry / "tags", warn),
        )
        aliases = (
            {str(k): v for k, v in (meta.get("aliases") or {}).items()} if isinstance(meta.get("aliases"), dict) else {}
        )
        aliases.update(read_kv_folder(entry / "aliases", warn))
        for alias, version in aliases.items():
            v = int_or_none(str(version).strip())
            if v is not None:
                model.aliases[alias] = v
        for vdir, vm in meta_folders(entry, warn, "model version", prefix="version-"):
            if vm.get("current_stage") == DELETED_VERSION_STAGE:  # deleted: as MLflow, left out
                continue
            if int_or_none(vm.get("version")) is None:
                warn(vdir / "meta.yaml", f"no version number ({vm.get('version')!r}); this model version is left out")
                continue
            mv = ModelVersion(
                name=model.name,
                version=int(vm["version"]),
                creation_timestamp=int_or_none(vm.get("creation_timestamp")),
                last_updated_timestamp=int_or_none(vm.get("last_updated_timestamp")),
                description=vm.get("description") or None,
                user_id=vm.get("user_id") or None,
                current_stage=vm.get("current_stage") or None,
                source=vm.get("source") or None,
                run_id=vm.get("run_id") or None,
                status=vm.get("status") or None,
                status_message=vm.get("status_message") or None,
                run_link=vm.get("run_link") or None,
                model_id=vm.get("model_id") or None,
                tags=read_kv_folder(vdir / "tags", warn),
            )
            mv.aliases = sorted(a for a, v in model.aliases.items() if v == mv.version)
            model.versions.append(mv)
        model.versions.sort(key=lambda v: -v.version)
        models.append(model)
    return models
