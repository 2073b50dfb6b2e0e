"""MLflow 3 logged models and the model registry, as MLflow's SQL store keeps them.

Tables (MLflow's ``mlflow/store/tracking/dbmodels/models.py`` and
``mlflow/store/model_registry/dbmodels/models.py``): ``logged_models``,
``logged_model_params``, ``logged_model_tags``, ``logged_model_metrics``;
``registered_models``, ``registered_model_tags``, ``registered_model_aliases``,
``model_versions``, ``model_version_tags``. Columns are read where the schema revision has
them (``s`` is the reader's schema, see ``sqlschema._Schema``); ``conn`` is a DB-API
connection (SQLite, or SQLAlchemy through ``dbstore``'s adapter).
"""

from __future__ import annotations

from sitegen.entities import Experiment, LoggedModel, ModelMetric, ModelVersion, RegisteredModel
from sitegen.readers.codes import DELETED_VERSION_STAGE, LOGGED_MODEL_STATUS
from sitegen.readers.sqlrows import to_int


def read_logged_models(conn, s, exps: dict[str, Experiment], include_deleted: bool) -> None:
    """MLflow 3's logged_models with their params, tags and metrics."""
    q = s.q

    def c(name: str) -> str:
        return s.col("logged_models", name)

    models: dict[str, LoggedModel] = {}
    for row in conn.execute(
        f"SELECT {q('model_id')}, {q('experiment_id')}, {q('name')}, {c('artifact_location')},"
        f" {c('creation_timestamp_ms')}, {c('last_updated_timestamp_ms')}, {c('status')},"
        f" {c('lifecycle_stage')}, {c('model_type')}, {c('source_run_id')}, {c('status_message')}"
        f" FROM {q('logged_models')} ORDER BY {c('creation_timestamp_ms')}, {q('model_id')}"
    ):
        eid = str(row[1])
        if eid not in exps or (row[7] == "deleted" and not include_deleted):
            continue
        status = row[6]
        models[row[0]] = LoggedModel(
            model_id=row[0],
            name=row[2] or "",
            experiment_id=eid,
            artifact_location=row[3],
            creation_timestamp=to_int(row[4]),
            last_updated_timestamp=to_int(row[5]),
            status=LOGGED_MODEL_STATUS.get(status, str(status)) if status is not None else None,
            model_type=row[8] or None,
            source_run_id=row[9] or None,
            status_message=row[10] or None,
            lifecycle_stage=row[7] or "active",
        )
    for table, key, value, attr in (
        ("logged_model_params", "param_key", "param_value", "params"),
        ("logged_model_tags", "tag_key", "tag_value", "tags"),
    ):
        if table in s.tables:
            for mid, k, v in conn.execute(f"SELECT {q('model_id')}, {q(key)}, {q(value)} FROM {q(table)}"):
                if mid in models:
                    getattr(models[mid], attr)[k] = v or ""
    if "logged_model_metrics" in s.tables:
        t = "logged_model_metrics"
        for mid, name, ts, step, value, rid, ds_name, ds_digest in conn.execute(
            f"SELECT {q('model_id')}, {q('metric_name')}, {q('metric_timestamp_ms')},"
            f" {q('metric_step')}, {q('metric_value')}, {s.col(t, 'run_id')},"
            f" {s.col(t, 'dataset_name')}, {s.col(t, 'dataset_digest')} FROM {q(t)}"
            f" ORDER BY {q('model_id')}, {q('metric_name')}, {q('metric_timestamp_ms')}, {q('metric_step')}"
        ):
            m = models.get(mid)
            if m is not None:
                m.metrics.append(
                    ModelMetric(
                        name,
                        float("nan") if value is None else float(value),
                        int(ts),
                        int(step or 0),
                        rid or None,
                        ds_name or None,
                        ds_digest or None,
                    )
                )
    for m in models.values():
        exps[m.experiment_id].logged_models.append(m)


def read_registry(conn, s) -> list[RegisteredModel]:
    """registered_models, model_versions and their tags and aliases (where present)."""
    q = s.q

    def c(table: str, name: str) -> str:
        return s.col(table, name)

    models: dict[str, RegisteredModel] = {}
    for name, created, updated, desc in conn.execute(
        f"SELECT {q('name')}, {c('registered_models', 'creation_time')},"
        f" {c('registered_models', 'last_updated_time')}, {c('registered_models', 'description')}"
        f" FROM {q('registered_models')} ORDER BY {q('name')}"
    ):
        models[name] = RegisteredModel(
            name=name,
            creation_timestamp=to_int(created),
            last_updated_timestamp=to_int(updated),
            description=desc or None,
        )
    if "registered_model_tags" in s.tables:
        for key, value, name in conn.execute(
            f"SELECT {q('key')}, {q('value')}, {q('name')} FROM {q('registered_model_tags')}"
        ):
            if name in models:
                models[name].tags[key] = value or ""
    if "registered_model_aliases" in s.tables:
        for alias, version, name in conn.execute(
            f"SELECT {q('alias')}, {q('version')}, {q('name')} FROM {q('registered_model_aliases')}"
        ):
            if name in models and version is not None:
                models[name].aliases[alias] = int(version)
    versions: dict[tuple[str, int], ModelVersion] = {}
    if "model_versions" in s.tables:
        cols = [
            "creation_time",
            "last_updated_time",
            "description",
            "user_id",
            "current_stage",
            "source",
            "run_id",
            "status",
            "status_message",
            "run_link",
            "model_id",
        ]
        for row in conn.execute(
            f"SELECT {q('name')}, {q('version')}, "
            + ", ".join(c('model_versions', x) for x in cols)
            + f" FROM {q('model_versions')}"
        ):
            if row[0] not in models or row[6] == DELETED_VERSION_STAGE:  # deleted: as MLflow, left out
                continue
            mv = ModelVersion(row[0], int(row[1]), to_int(row[2]), to_int(row[3]), *[v or None for v in row[4:]])
            versions[(mv.name, mv.version)] = mv
    if "model_version_tags" in s.tables:
        for key, value, name, version in conn.execute(
            f"SELECT {q('key')}, {q('value')}, {q('name')}, {q('version')} FROM {q('model_version_tags')}"
        ):
            mv = versions.get((name, int(version)))
            if mv is not None:
                mv.tags[key] = value or ""
    for mv in versions.values():
        model = models[mv.name]
        mv.aliases = sorted(a for a, v in model.aliases.items() if v == mv.version)
        model.versions.append(mv)
    for model in models.values():
        model.versions.sort(key=lambda v: -v.version)
    return list(models.values())
