"""Reader for MLflow's file store (``./mlruns``), every version from 1.x to 3.x.

Layout and quirks are described in MLflow's ``file_store.py``; in short::

    <exp>/meta.yaml, <exp>/tags/<key>
    <exp>/<run>/meta.yaml, params/<key>, tags/<key>, metrics/<key>, inputs/<id>/meta.yaml
    <exp>/datasets/<id>/meta.yaml
    <exp>/models/<model_id>/meta.yaml, params/, tags/, metrics/   MLflow 3 logged models
    models/<name>/meta.yaml, version-<n>/meta.yaml                  the model registry
    .trash/<exp>/...                  deleted experiments

Keys containing '/' are nested folders. No sub-folder is required: stores that went
through git have lost their empty folders.
"""
from __future__ import annotations

import os
from pathlib import Path

import yaml

from .filescan import RunScanner
from ..model import (LOGGED_MODEL_STATUS, SOURCE_TYPE_BY_CODE, STATUS_BY_CODE, DatasetInput,
                     Experiment, LoggedModel, MetricHistory, ModelMetric, ModelVersion,
                     RegisteredModel, Run, Store)

try:  # the C loader is 5-10x faster; fall back silently where libyaml is missing
    _Loader = yaml.CSafeLoader
except AttributeError:  # pragma: no cover
    _Loader = yaml.SafeLoader

# Folders inside an experiment that are not runs.
_EXPERIMENT_CHILDREN = {"tags", "datasets", "models", "traces", "evaluation_datasets", "scorers"}


class _Warn:
    def __init__(self, sink: list[str]):
        self.sink = sink

    def __call__(self, path: Path | str, problem: str) -> None:
        self.sink.append(f"{path}: {problem}")


class FileStoreReader:
    kind = "file"

    def __init__(self, root: Path, *, uri: str, include_deleted: bool = False):
        from . import StoreError

        if not root.exists():
            raise StoreError(f"store not found: {root}")
        if not root.is_dir():
            raise StoreError(f"not a file store folder: {root}")
        self.root, self.uri, self.include_deleted = root, uri, include_deleted
        self._run_dirs: dict[str, Path] = {}
        self._scanner = RunScanner()

    def read(self, reuse=None) -> Store:
        from . import StoreError

        root = self.root
        try:
            entries = sorted(os.scandir(root), key=lambda e: e.name)
        except OSError as e:
            raise StoreError(f"cannot read store {root}: {e.strerror}") from e
        store = Store(uri=self.uri, kind="file", base_dir=str(root.resolve()))
        state = getattr(reuse, "reader_state", None)
        kept = state.get("listings") if isinstance(state, dict) and state.get("root") == store.base_dir else None
        self._scanner = RunScanner(kept)
        warn = _Warn(store.warnings)
        exp_dirs = [Path(e.path) for e in entries if e.is_dir() and not e.name.startswith(".")]
        if self.include_deleted and (root / ".trash").is_dir():
            exp_dirs += sorted(p for p in (root / ".trash").iterdir() if p.is_dir())
        found_any = False
        for exp_dir in exp_dirs:
            meta_path = exp_dir / "meta.yaml"
            if not meta_path.is_file() or exp_dir.name == "models" and exp_dir.parent == root:
                continue
            found_any = True
            exp = _read_experiment(exp_dir, warn, in_trash=exp_dir.parent.name == ".trash")
            if exp is None or (exp.deleted and not self.include_deleted):
                continue
            exp.runs = self._read_runs(exp_dir, exp, warn, reuse, store.unreadable_runs)
            exp.logged_models = _read_logged_models(exp_dir / "models", exp.experiment_id, warn,
                                                    self.include_deleted, store.unreadable_models)
            store.experiments.append(exp)
        if not found_any and not (root / ".trash").is_dir() and not (root / "models").is_dir():
            raise StoreError(f"not an MLflow file store (no <experiment>/meta.yaml): {root}")
        store.models = _read_registry(root / "models", warn)
        store.reader_state = {"root": store.base_dir, "listings": self._scanner.listings}
        return store

    def load_metrics(self, runs: list[Run]) -> None:
        warn = _Warn([])
        for run in runs:
            if not run.metrics_complete and run.run_id in self._run_dirs:
                run.metrics = _read_metrics(self._run_dirs[run.run_id] / "metrics", warn)
                run.metrics_complete = True

    def close(self) -> None:
        pass

    def _read_runs(self, exp_dir: Path, exp: Experiment, warn: _Warn, reuse,
                   unreadable: set[str]) -> list[Run]:
        runs = []
        datasets: dict[str, dict] | None = None
        for entry in sorted(os.scandir(exp_dir), key=lambda e: e.name):
            if not entry.is_dir() or entry.name in _EXPERIMENT_CHILDREN:
                continue
            run_dir = Path(entry.path)
            fingerprint, files, dirs = self._scanner.scan(entry.path, entry.name)
            if "meta.yaml" not in files:
                if len(entry.name) == 32:
                    warn(run_dir, "run folder without meta.yaml (half-written or damaged); skipped")
                continue
            run = _read_run(run_dir, exp, warn, reuse, fingerprint)
            if run is None:
                unreadable.add(run_dir.name)
                continue
            if run.deleted and not self.include_deleted:
                continue
            self._run_dirs[run.run_id] = run_dir
            if "inputs" in dirs:
                if datasets is None:
                    datasets = _read_datasets(exp_dir / "datasets", warn)
                run.inputs = _read_inputs(run_dir / "inputs", datasets, warn)
            runs.append(run)
        return runs


def _load_yaml(path: Path, warn: _Warn) -> dict | None:
    try:
        with open(path, "rb") as f:
            data = yaml.load(f, Loader=_Loader)
    except (OSError, yaml.YAMLError) as e:
        warn(path, f"unreadable ({_short(e)}); skipped")
        return None
    if not isinstance(data, dict):
        warn(path, "not a YAML mapping (empty or half-written?); skipped")
        return None
    return data


def _short(e: Exception) -> str:
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def _read_kv_folder(folder: Path, warn: _Warn) -> dict[str, str]:
    """params/ and tags/: one file per key; keys with '/' are nested folders."""
    out: dict[str, str] = {}
    top = str(folder)
    if not os.path.isdir(top):
        return out
    for dirpath, _dirs, files in os.walk(top):
        prefix = "" if dirpath == top else os.path.relpath(dirpath, top).replace(os.sep, "/") + "/"
        for name in files:
            path = os.path.join(dirpath, name)
            try:
                with open(path, "rb") as f:
                    out[prefix + name] = f.read().decode("utf-8")
            except (OSError, UnicodeDecodeError) as e:
                warn(path, f"unreadable ({_short(e)}); skipped")
    return out


def _int_or_none(v) -> int | None:
    if v is None or v == "":
        return None
    try:
        return int(v)
    except (TypeError, ValueError):
        return None


def _read_experiment(exp_dir: Path, warn: _Warn, in_trash: bool) -> Experiment | None:
    meta = _load_yaml(exp_dir / "meta.yaml", warn)
    if meta is None:
        return None
    exp_id = str(meta.get("experiment_id", exp_dir.name))
    stage = meta.get("lifecycle_stage") or ("deleted" if in_trash else "active")
    return Experiment(
        experiment_id=exp_id,
        name=str(meta.get("name") if meta.get("name") is not None else exp_id),
        artifact_location=meta.get("artifact_location"),
        lifecycle_stage="deleted" if in_trash else stage,
        creation_time=_int_or_none(meta.get("creation_time")),
        last_update_time=_int_or_none(meta.get("last_update_time")),
        tags=_read_kv_folder(exp_dir / "tags", warn),
    )


def _read_run(run_dir: Path, exp: Experiment, warn: _Warn, reuse, fingerprint: str) -> Run | None:
    kept = getattr(reuse, "get_run", None)
    kept = kept(run_dir.name, fingerprint) if kept is not None else None
    if kept is not None:     # nothing in the run's folder changed since the last build
        return kept
    meta = _load_yaml(run_dir / "meta.yaml", warn)
    if meta is None:
        return None
    run_id = str(meta.get("run_id") or meta.get("run_uuid") or run_dir.name)
    status = meta.get("status")
    status = STATUS_BY_CODE.get(status, status) if isinstance(status, int) else (status or "FINISHED")
    source_type = meta.get("source_type")
    if isinstance(source_type, int):
        source_type = SOURCE_TYPE_BY_CODE.get(source_type, str(source_type))
    params = _read_kv_folder(run_dir / "params", warn)
    tags = _read_kv_folder(run_dir / "tags", warn)
    run = Run(
        run_id=run_id,
        experiment_id=str(meta.get("experiment_id", exp.experiment_id)),
        run_name=(meta.get("run_name") or tags.get("mlflow.runName") or None),
        status=str(status),
        start_time=_int_or_none(meta.get("start_time")),
        end_time=_int_or_none(meta.get("end_time")),
        lifecycle_stage=str(meta.get("lifecycle_stage") or "active"),
        user_id=meta.get("user_id") or None,
        artifact_uri=meta.get("artifact_uri") or None,
        source_type=source_type or None,
        source_name=meta.get("source_name") or None,
        entry_point_name=meta.get("entry_point_name") or None,
        source_version=meta.get("source_version") or None,
        params=params,
        tags=tags,
    )
    run.fingerprint = fingerprint
    reused = reuse.get(run.run_id, run.fingerprint) if reuse is not None else None
    if reused is not None:
        run.metrics, run.metrics_complete = reused
    else:
        run.metrics = _read_metrics(run_dir / "metrics", warn)
    return run


def _metric_files(folder: Path, warn: _Warn):
    """(key, content, path) of each metric file; keys with '/' are nested folders."""
    if not folder.is_dir():
        return
    for dirpath, _dirs, files in os.walk(folder):
        for name in files:
            path = Path(dirpath, name)
            try:
                with open(path, "rb") as f:
                    data = f.read()
            except OSError as e:
                warn(path, f"unreadable ({_short(e)}); skipped")
                continue
            yield path.relative_to(folder).as_posix(), data, path


def _read_metrics(folder: Path, warn: _Warn) -> dict[str, MetricHistory]:
    out = {key: parse_metric_lines(key, data, path, warn) for key, data, path in _metric_files(folder, warn)}
    return dict(sorted(out.items()))


def _complete(data: bytes) -> bytes:
    """A metric file without a trailing partial line (being appended to right now)."""
    if not data.endswith(b"\n"):
        cut = data.rfind(b"\n")
        data = data[: cut + 1] if cut >= 0 else b""
    return data


def _read_model_metrics(folder: Path, warn: _Warn) -> list[ModelMetric]:
    """A logged model's metric files: "<timestamp> <value> <step> <run_id> [<dataset> <digest>]"."""
    out = []
    for key, data, path in sorted(_metric_files(folder, warn)):
        for lineno, line in enumerate(_complete(data).splitlines(), 1):
            parts = line.decode("utf-8", "replace").split()
            if not parts:
                continue
            try:
                if len(parts) not in (4, 6):
                    raise ValueError("expected 'timestamp value step run_id [dataset digest]'")
                out.append(ModelMetric(key, float(parts[1]), int(parts[0]), int(parts[2]), parts[3],
                                       *(parts[4:6] if len(parts) == 6 else ())))
            except ValueError:
                warn(path, f"line {lineno} is not a metric point ({line[:60]!r}); skipped")
    return out


def parse_metric_lines(key: str, data: bytes, path: Path | str = "", warn=None) -> MetricHistory:
    """Parse "<timestamp> <value> [<step>]" lines; a trailing partial line is ignored."""
    hist = MetricHistory(key)
    if not data:
        return hist
    data = _complete(data)   # being appended to right now: only complete lines count
    lines = data.splitlines()
    fields = data.split()
    if len(fields) == 3 * len(lines):
        try:  # fast path: every line has three fields
            hist.timestamps = list(map(int, fields[0::3]))
            hist.values = list(map(float, fields[1::3]))
            hist.steps = list(map(int, fields[2::3]))
            return hist.compact()
        except ValueError:
            hist = MetricHistory(key)
    for lineno, line in enumerate(lines, 1):
        parts = line.split()
        if not parts:
            continue
        try:
            if len(parts) >= 3:   # 3.x may add the dataset (name, digest) after the step
                ts, value, step = int(parts[0]), float(parts[1]), int(parts[2])
            elif len(parts) == 2:  # very old files: no step
                ts, value, step = int(parts[0]), float(parts[1]), 0
            else:
                raise ValueError("expected 'timestamp value step'")
        except ValueError:
            if warn:
                warn(path, f"line {lineno} is not a metric point ({line[:60]!r}); skipped")
            continue
        hist.timestamps.append(ts)
        hist.values.append(value)
        hist.steps.append(step)
    return hist.compact()


def _read_datasets(folder: Path, warn: _Warn) -> dict[str, dict]:
    return {entry.name: meta for entry, meta in _meta_folders(folder, warn)}


def _read_inputs(folder: Path, datasets: dict[str, dict], warn: _Warn) -> list[DatasetInput]:
    out = []
    for entry, meta in _meta_folders(folder, warn):
        if meta.get("source_type", "DATASET") != "DATASET":
            continue
        ds = datasets.get(str(meta.get("source_id")))
        if ds is None:
            warn(entry / "meta.yaml", f"dataset {meta.get('source_id')} not found in the experiment; skipped")
            continue
        tags = meta.get("tags") or {}
        out.append(DatasetInput(
            name=str(ds.get("name", "")), digest=str(ds.get("digest", "")),
            source_type=str(ds.get("source_type", "")), source=str(ds.get("source") or ""),
            schema=str(ds.get("schema") or ""), profile=str(ds.get("profile") or ""),
            tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {}))
    return out


def _meta_folders(folder: Path, warn: _Warn, prefix: str = "", unreadable: set | None = None):
    """(sub-folder, its meta.yaml as a dict) for each sub-folder with a readable meta.yaml;
    the names of those whose meta.yaml cannot be read go into ``unreadable``."""
    if not folder.is_dir():
        return
    for entry in sorted(os.scandir(folder), key=lambda e: e.name):
        meta_path = Path(entry.path, "meta.yaml")
        if not entry.is_dir() or not entry.name.startswith(prefix) or not meta_path.is_file():
            continue
        meta = _load_yaml(meta_path, warn)
        if meta is not None:
            yield Path(entry.path), meta
        elif unreadable is not None:
            unreadable.add(entry.name)


def _read_logged_models(folder: Path, exp_id: str, warn: _Warn, include_deleted: bool,
                        unreadable: set[str]) -> list[LoggedModel]:
    """MLflow 3 logged models: ``<exp>/models/<model_id>/`` (meta.yaml, params, tags, metrics)."""
    out = []
    for entry, meta in _meta_folders(folder, warn, unreadable=unreadable):
        stage = str(meta.get("lifecycle_stage") or "active")
        if stage == "deleted" and not include_deleted:
            continue
        status = meta.get("status")
        out.append(LoggedModel(
            model_id=str(meta.get("model_id") or entry.name), name=str(meta.get("name") or ""),
            experiment_id=exp_id,
            source_run_id=meta.get("source_run_id") or None, model_type=meta.get("model_type") or None,
            status=LOGGED_MODEL_STATUS.get(status, str(status)) if status is not None else None,
            status_message=meta.get("status_message") or None,
            creation_time=_int_or_none(meta.get("creation_timestamp")),
            last_updated_time=_int_or_none(meta.get("last_updated_timestamp")),
            artifact_location=meta.get("artifact_location") or None, lifecycle_stage=stage,
            params=_read_kv_folder(entry / "params", warn),
            tags=_read_kv_folder(entry / "tags", warn),
            metrics=_read_model_metrics(entry / "metrics", warn)))
    return out


def _read_registry(folder: Path, warn: _Warn) -> list[RegisteredModel]:
    """``mlruns/models/<name>/meta.yaml``, ``tags/``, ``aliases/`` and ``version-<n>/``."""
    models = []
    for entry, meta in _meta_folders(folder, warn):
        model = RegisteredModel(
            name=str(meta.get("name") or entry.name),
            creation_time=_int_or_none(meta.get("creation_timestamp")),
            last_updated_time=_int_or_none(meta.get("last_updated_timestamp")),
            description=meta.get("description") or None,
            tags=_read_kv_folder(entry / "tags", warn))
        aliases = {str(k): v for k, v in (meta.get("aliases") or {}).items()} \
            if isinstance(meta.get("aliases"), dict) else {}
        aliases.update(_read_kv_folder(entry / "aliases", warn))
        for alias, version in aliases.items():
            v = _int_or_none(str(version).strip())
            if v is not None:
                model.aliases[alias] = v
        for vdir, vm in _meta_folders(entry, warn, prefix="version-"):
            if _int_or_none(vm.get("version")) is None:
                continue
            mv = ModelVersion(
                name=model.name, version=int(vm["version"]),
                creation_time=_int_or_none(vm.get("creation_timestamp")),
                last_updated_time=_int_or_none(vm.get("last_updated_timestamp")),
                description=vm.get("description") or None, user_id=vm.get("user_id") or None,
                current_stage=vm.get("current_stage") or None, source=vm.get("source") or None,
                run_id=vm.get("run_id") or None, status=vm.get("status") or None,
                status_message=vm.get("status_message") or None, run_link=vm.get("run_link") or None,
                model_id=vm.get("model_id") or None, tags=_read_kv_folder(vdir / "tags", warn))
            mv.aliases = sorted(a for a, v in model.aliases.items() if v == mv.version)
            model.versions.append(mv)
        model.versions.sort(key=lambda v: -v.version)
        models.append(model)
    return models
