"""Reader for a running MLflow tracking server, through its REST API (``http(s)://…``).

For teams whose members only get the server's URL. MLflow servers from 1.x to 3.x: what older
ones lack (``experiments/search`` before 1.28, run names before 1.29, dataset inputs before 2.4)
is read the older way or left empty. Auth, TLS and retries: ``resthttp``; metric histories (in
bulk where that gives what MLflow's client gets): ``resthistory``. Requests run in a bounded
pool. Artifacts are listed through the server and downloaded (``get-artifact``, which also serves
proxied ``mlflow-artifacts:`` locations) into a local cache, so a second build downloads only
what changed; files over ``--max-artifact-size`` are listed, never downloaded. MLflow 3
traces: ``resttraces``.
"""

from __future__ import annotations

import hashlib
import json
import os
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from sitegen.cachedir import user_cache_dir
from sitegen.entities import (
    ArtifactFile,
    DatasetInput,
    Experiment,
    LoggedModel,
    MetricHistory,
    ModelMetric,
    ModelVersion,
    RegisteredModel,
    Run,
    Store,
)
from sitegen.entities.budget import HistoryBudget
from sitegen.errors import StoreError
from sitegen.readers.resthistory import BULK_RUNS, Histories, bulk_orders_like_client, num
from sitegen.readers.resthttp import HttpClient, HttpError
from sitegen.readers.resttraces import read_traces

CONCURRENCY = 8
PAGE = 1000


class RestStoreReader:
    kind = "rest"

    def __init__(
        self,
        uri: str,
        *,
        include_deleted: bool = False,
        max_artifact_size: int | None = None,
        cache_dir: str | os.PathLike | None = None,
    ):
        self.base = uri.rstrip("/")
        self.include_deleted = include_deleted
        self.max_artifact_size = max_artifact_size
        host_key = hashlib.blake2b(self.base.encode(), digest_size=8).hexdigest()
        self.cache = Path(cache_dir) if cache_dir else user_cache_dir("rest") / host_key
        self.http = HttpClient(self.base)
        self._pool = ThreadPoolExecutor(CONCURRENCY)
        self._runs: dict[str, Run] = {}
        self.histories: Histories | None = None  # made on the first read (it asks the server)
        self.budget = HistoryBudget(None)  # full histories held after read(); summaries beyond

    # ---- reading ----
    def read(self, reuse=None) -> Store:
        store = Store(uri=self.base, kind="rest", base_dir=None)
        view = "ALL" if self.include_deleted else "ACTIVE_ONLY"
        try:
            exps = [self._experiment(e) for e in self._experiments(view)]
        except HttpError as e:
            raise StoreError(f"{self.base} does not answer like an MLflow tracking server ({e})") from None
        by_id = {e.experiment_id: e for e in exps}
        ids = list(by_id)
        for i in range(0, len(ids), 100):
            for r in self.http.pages(
                "POST",
                "runs/search",
                "runs",
                {"experiment_ids": ids[i : i + 100], "max_results": PAGE, "run_view_type": view},
            ):
                run = self._run(r)
                if run.experiment_id in by_id:
                    by_id[run.experiment_id].runs.append(run)
        need = []
        for exp in exps:
            for run in exp.runs:
                reused = reuse.get(run.run_id, run.fingerprint) if reuse is not None else None
                if reused is not None:
                    run.metrics, run.metrics_complete = reused
                else:
                    need.append(run)
        self._runs = {r.run_id: r for e in exps for r in e.runs}
        # A bulk request's worth of runs at a time, each kept whole only as the budget allows
        # (the rest summed up: the pipeline asks for their histories again when it draws them).
        for i in range(0, len(need), BULK_RUNS):
            chunk = need[i : i + BULK_RUNS]
            self.load_metrics(chunk, force=True)
            for run in chunk:
                self.budget.hold(run)
        list(self._pool.map(self._artifacts, list(self._runs.values())))
        self._logged_models(by_id)
        list(self._pool.map(self._model_artifacts, [m for e in exps for m in e.logged_models]))
        read_traces(self.http, self._pool, self.cache, store, by_id)
        store.experiments = exps
        store.registered_models = self._registry()
        return store

    def _experiments(self, view: str) -> list[dict]:
        try:
            return list(
                self.http.pages("POST", "experiments/search", "experiments", {"max_results": PAGE, "view_type": view})
            )
        except HttpError as e:
            if e.code not in (404, 405, 501):
                raise
        # MLflow before 1.28 only lists them (and pages only since 1.13: no max_results here)
        return list(self.http.pages("GET", "experiments/list", "experiments", {"view_type": view}))

    def load_metrics(self, runs: list[Run], force: bool = False) -> None:
        todo = [run for run in runs if force or not run.metrics_complete]
        jobs = []
        for run in todo:  # an incomplete run has the run search's latest point of each key
            for key, h in run.metrics.items():
                latest = (h.steps[-1], h.timestamps[-1], h.values[-1]) if not run.metrics_complete and len(h) else None
                jobs.append((run, key, latest))
        if jobs and self.histories is None:
            self.histories = Histories(self.http, self._pool, bulk_orders_like_client(self.http))
        found = self.histories.load(jobs) if jobs else {}
        for run in todo:
            run.metrics = {}
        for run, key, _ in jobs:
            run.metrics[key] = found[(run.run_id, key)]
        for run in runs:
            run.metrics = dict(sorted(run.metrics.items()))
            run.metrics_complete = True

    def close(self) -> None:
        self._pool.shutdown(wait=True)

    @staticmethod
    def _experiment(e: dict) -> Experiment:
        return Experiment(
            experiment_id=str(e["experiment_id"]),
            name=e.get("name", ""),
            artifact_location=e.get("artifact_location"),
            lifecycle_stage=e.get("lifecycle_stage", "active"),
            creation_time=_int(e.get("creation_time")),
            last_update_time=_int(e.get("last_update_time")),
            tags={t["key"]: t.get("value", "") for t in e.get("tags", [])},
        )

    @staticmethod
    def _run(r: dict) -> Run:
        info, data = r.get("info", {}), r.get("data", {})
        tags = {t["key"]: t.get("value", "") for t in data.get("tags", [])}
        run = Run(
            run_id=info.get("run_id") or info["run_uuid"],
            experiment_id=str(info["experiment_id"]),
            run_name=info.get("run_name") or tags.get("mlflow.runName") or None,
            status=info.get("status", "FINISHED"),
            start_time=_int(info.get("start_time")),
            end_time=_int(info.get("end_time")),
            lifecycle_stage=info.get("lifecycle_stage", "active"),
            user_id=info.get("user_id") or None,
            artifact_uri=info.get("artifact_uri") or None,
            params={p["key"]: p.get("value", "") for p in data.get("params", [])},
            tags=tags,
        )
        latest = {
            m["key"]: MetricHistory(
                m["key"], [int(m.get("step", 0))], [int(m.get("timestamp", 0))], [num(m.get("value", "NaN"))]
            )
            for m in data.get("metrics", [])
        }
        run.metrics, run.metrics_complete = latest, False
        for di in (r.get("inputs") or {}).get("dataset_inputs", []):
            ds = di.get("dataset", {})
            run.inputs.append(
                DatasetInput(
                    name=ds.get("name", ""),
                    digest=ds.get("digest", ""),
                    source_type=ds.get("source_type", ""),
                    source=ds.get("source", ""),
                    schema=ds.get("schema", "") or "",
                    profile=ds.get("profile", "") or "",
                    tags={t["key"]: t.get("value", "") for t in di.get("tags", [])},
                )
            )
        run.fingerprint = hashlib.blake2b(
            json.dumps(
                [
                    info,
                    sorted(run.params.items()),
                    sorted(tags.items()),
                    sorted(
                        (m["key"], m.get("step"), m.get("timestamp"), str(m.get("value")))
                        for m in data.get("metrics", [])
                    ),
                ],
                sort_keys=True,
                default=str,
            ).encode(),
            digest_size=12,
        ).hexdigest()
        return run

    # ---- artifacts (of runs and of logged models) ----
    def _list(self, endpoint: str, params: dict, path_param: str, path: str | None = None) -> list[tuple[str, int]]:
        out = []
        listing = self.http.api("GET", endpoint, params={**params, **({path_param: path} if path else {})})
        for f in listing.get("files", []):
            if f.get("is_dir"):
                out += self._list(endpoint, params, path_param, f["path"])
            else:
                out.append((f["path"], int(f.get("file_size", 0) or 0)))
        return out

    def _artifacts(self, run: Run) -> None:
        try:
            files = sorted(self._list("artifacts/list", {"run_id": run.run_id}, "path"))
        except HttpError as e:
            run.warnings.append(f"could not list artifacts through the server ({e})")
            return
        run.artifact_dir = str(self.cache / run.run_id)
        run.artifacts_remote = True
        run.artifacts = self._download(
            files,
            Path(run.artifact_dir),
            run.warnings,
            lambda path: self.http.request(
                "GET", "get-artifact", params={"path": path, "run_uuid": run.run_id}, raw=True
            ),
        )

    def _model_artifacts(self, m: LoggedModel) -> None:
        try:
            files = sorted(
                self._list(f"logged-models/{m.model_id}/artifacts/directories", {}, "artifact_directory_path")
            )
        except HttpError as e:
            m.warnings.append(f"could not list the model's files through the server ({e})")
            return
        m.artifact_dir = str(self.cache / "models" / m.model_id)
        m.artifacts_remote = True
        m.artifacts = self._download(
            files,
            Path(m.artifact_dir),
            m.warnings,
            lambda path: self.http.request(
                "GET",
                f"ajax-api/2.0/mlflow/logged-models/{m.model_id}/artifacts/files",
                params={"artifact_file_path": path},
                raw=True,
            ),
        )

    def _download(self, files: list[tuple[str, int]], folder: Path, warnings: list[str], get) -> list[ArtifactFile]:
        """The listed files, downloaded into ``folder`` where missing or of another size (never
        the ones over --max-artifact-size)."""
        from sitegen.artifacts.kinds import classify

        out = []
        for path, size in files:
            a = ArtifactFile(path, size, classify(path))
            out.append(a)
            if self.max_artifact_size is not None and size > self.max_artifact_size:
                continue
            local = folder / path
            try:
                if local.is_file() and local.stat().st_size == size:
                    a.mtime_ns = local.stat().st_mtime_ns
                    continue  # already in the cache
                data = get(path)
                local.parent.mkdir(parents=True, exist_ok=True)
                tmp = local.with_name(local.name + ".part")
                tmp.write_bytes(data)
                os.replace(tmp, local)
                a.mtime_ns = local.stat().st_mtime_ns
            except (HttpError, OSError) as e:
                warnings.append(f"artifact {path} could not be downloaded ({e})")
        return out

    # ---- MLflow 3 logged models ----
    def _logged_models(self, exps: dict[str, Experiment]) -> None:
        ids = list(exps)
        try:
            for i in range(0, len(ids), 100):
                for lm in self.http.pages(
                    "POST", "logged-models/search", "models", {"experiment_ids": ids[i : i + 100], "max_results": 100}
                ):
                    m = _logged_model(lm)
                    if m.experiment_id in exps:
                        exps[m.experiment_id].logged_models.append(m)
        except HttpError as e:
            if e.code not in (404, 405, 501):  # servers before MLflow 3 have none
                raise

    # ---- model registry ----
    def _registry(self) -> list[RegisteredModel]:
        models = []
        try:
            found = list(self.http.pages("GET", "registered-models/search", "registered_models", {"max_results": PAGE}))
        except HttpError:
            return models  # no registry behind this server
        for m in found:
            model = RegisteredModel(
                name=m["name"],
                creation_timestamp=_int(m.get("creation_timestamp")),
                last_updated_timestamp=_int(m.get("last_updated_timestamp")),
                description=m.get("description") or None,
                tags={t["key"]: t.get("value", "") for t in m.get("tags", [])},
                aliases={a["alias"]: int(a["version"]) for a in m.get("aliases", [])},
            )
            name_filter = "name='" + model.name.replace("'", "\\'") + "'"
            for v in self.http.pages(
                "GET", "model-versions/search", "model_versions", {"filter": name_filter, "max_results": 200000}
            ):
                mv = ModelVersion(
                    name=model.name,
                    version=int(v["version"]),
                    creation_timestamp=_int(v.get("creation_timestamp")),
                    last_updated_timestamp=_int(v.get("last_updated_timestamp")),
                    description=v.get("description") or None,
                    user_id=v.get("user_id") or None,
                    current_stage=v.get("current_stage") or None,
                    source=v.get("source") or None,
                    run_id=v.get("run_id") or None,
                    status=v.get("status") or None,
                    status_message=v.get("status_message") or None,
                    run_link=v.get("run_link") or None,
                    tags={t["key"]: t.get("value", "") for t in v.get("tags", [])},
                )
                mv.aliases = sorted(a for a, n in model.aliases.items() if n == mv.version)
                model.versions.append(mv)
            model.versions.sort(key=lambda v: -v.version)
            models.append(model)
        return models


def _int(v) -> int | None:
    return None if v in (None, "") else int(v)


_MODEL_STATUS = {
    "LOGGED_MODEL_STATUS_UNSPECIFIED": "UNSPECIFIED",
    "LOGGED_MODEL_PENDING": "PENDING",
    "LOGGED_MODEL_READY": "READY",
    "LOGGED_MODEL_UPLOAD_FAILED": "FAILED",
}


def _logged_model(lm: dict) -> LoggedModel:
    info, data = lm.get("info", {}), lm.get("data", {})
    status = info.get("status")
    return LoggedModel(
        model_id=info["model_id"],
        name=info.get("name", ""),
        experiment_id=str(info.get("experiment_id", "")),
        source_run_id=info.get("source_run_id") or None,
        model_type=info.get("model_type") or None,
        status=_MODEL_STATUS.get(status, status) if status else None,
        status_message=info.get("status_message") or None,
        creation_timestamp=_int(info.get("creation_timestamp_ms")),
        last_updated_timestamp=_int(info.get("last_updated_timestamp_ms")),
        artifact_location=info.get("artifact_uri") or None,
        params={p["key"]: p.get("value", "") for p in data.get("params", [])},
        tags={t["key"]: t.get("value", "") for t in info.get("tags", [])},
        metrics=[
            ModelMetric(
                m["key"],
                num(m.get("value", "NaN")),
                int(m.get("timestamp", 0)),
                int(m.get("step", 0)),
                m.get("run_id") or None,
                m.get("dataset_name") or None,
                m.get("dataset_digest") or None,
            )
            for m in data.get("metrics", [])
        ],
    )
