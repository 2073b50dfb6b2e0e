"""Reader for MLflow's file store (``./mlruns``), every version from 1.x to 3.x.

Layout and quirks are described in MLflow's ``file_store.py``; in short::

    <exp>/meta.yaml, <exp>/tags/<key>
    <exp>/<run>/meta.yaml, params/<key>, tags/<key>, metrics/<key>, inputs/<id>/meta.yaml
    <exp>/datasets/<id>/meta.yaml
    <exp>/models/<model_id>/meta.yaml, params/, tags/, metrics/   MLflow 3 logged models
    <exp>/traces/<trace_id>/...       MLflow 3 traces (filetraces)
    models/<name>/meta.yaml, version-<n>/meta.yaml                  the model registry
    .trash/<exp>/...                  deleted experiments

Keys containing '/' are nested folders. No sub-folder is required: stores that went
through git have lost their empty folders.

An experiment's or run's folder name is its id. As MLflow's client does, a folder whose
``meta.yaml`` records another id (an experiment folder copied by hand, a run moved between
experiment folders) is left out with a warning naming it, so every id has one place.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path

from sitegen.digests import digest
from sitegen.entities import DatasetInput, Experiment, MetricHistory, Run, Store
from sitegen.entities.budget import HistoryBudget
from sitegen.errors import StoreError
from sitegen.readers import filemetrics
from sitegen.readers.codes import SOURCE_TYPE_BY_CODE, STATUS_BY_CODE
from sitegen.readers.filemeta import (
    Warn,
    int_or_none,
    is_folder,
    load_yaml,
    meta_folders,
    read_kv_folder,
    subfolders,
)
from sitegen.readers.filemetrics import MetricFiles, parse_metric_lines  # noqa: F401  (its old home)
from sitegen.readers.filemodels import read_logged_models, read_registry
from sitegen.readers.filescan import SETTLED_NS, RunScanner
from sitegen.readers.filetraces import TraceFolders

# Folders inside an experiment that are not runs.
_EXPERIMENT_CHILDREN = {"tags", "datasets", "models", "traces", "evaluation_datasets", "scorers"}
# Folders at the store's root that are not experiments: the model registry.
_ROOT_CHILDREN = {"models"}

_load_yaml = load_yaml  # the name tests watch to count the files a build opens


def _run_folders(exp_dir: Path) -> int:
    """How many run folders (32-character names) an experiment folder holds, for warnings."""
    try:
        return sum(1 for e in os.scandir(exp_dir) if len(e.name) == 32 and e.is_dir())
    except OSError:
        return 0


def _runs_left_out(exp_dir: Path) -> str:
    n = _run_folders(exp_dir)
    return f"experiment left out with its {n} run folder{'' if n == 1 else 's'}"


class FileStoreReader:
    kind = "file"

    def __init__(self, root: Path, *, uri: str, include_deleted: bool = False):
        if not root.exists():
            raise StoreError(f"store not found: {root}")
        if not root.is_dir():
            hint = ""
            if root.is_file():  # a regular file only: opening a named pipe would block
                with contextlib.suppress(OSError), open(root, "rb") as f:
                    if f.read(16) == b"SQLite format 3\x00":
                        hint = f" (a SQLite database: use --store sqlite:///{root})"
            raise StoreError(f"not a file store folder: {root}{hint}")
        self.root, self.uri, self.include_deleted = root, uri, include_deleted
        self._run_dirs: dict[str, Path] = {}
        self._scanner = RunScanner()
        self._traces = TraceFolders(None, None, 0)
        self._warnings: list[str] = []
        # Full histories held while read() goes; beyond it, summaries (load_metrics reads again)
        self.budget = HistoryBudget(None)
        self.pool = None  # worker processes a first build lends for parsing metric files

    def read(self, reuse=None) -> Store:
        root = self.root
        try:
            entries = sorted(os.scandir(root), key=lambda e: e.name)
        except OSError as e:
            raise StoreError(f"cannot read store {root}: {e.strerror}") from e
        store = Store(uri=self.uri, kind="file", base_dir=str(root.resolve()))
        state = getattr(reuse, "reader_state", None)
        kept = state.get("listings") if isinstance(state, dict) and state.get("root") == store.base_dir else None
        self._scanner = RunScanner(kept)
        kept_exps = state.get("experiments") if kept is not None else None
        kept_exps = kept_exps if isinstance(kept_exps, dict) else {}
        self._traces = TraceFolders(state.get("traces") if kept is not None else None, reuse, self._scanner.now)
        self._experiments: dict[str, list] = {}  # folder → [state key, fields]: reader state
        self._run_dirs = {}
        self._warnings = store.warnings
        warn = Warn(store.warnings)
        self._metrics = MetricFiles(self.pool, self._parsed)
        exp_dirs = [
            Path(e.path)
            for e in entries
            if not e.name.startswith(".") and e.name not in _ROOT_CHILDREN and is_folder(e, warn)
        ]
        if self.include_deleted:
            exp_dirs += [Path(e.path) for e in subfolders(root / ".trash", warn)]
        found_any = False
        seen: dict[str, Path] = {}
        for exp_dir in exp_dirs:
            if not os.path.lexists(exp_dir / "meta.yaml"):  # one that is not a file: a warning naming it
                if _run_folders(exp_dir) or exp_dir.name.isdigit():
                    warn(exp_dir, f"no meta.yaml (damaged, or not an experiment); {_runs_left_out(exp_dir)}")
                else:
                    warn(exp_dir, "not an experiment (no meta.yaml); left out")
                continue
            found_any = True
            exp = self._experiment(exp_dir, warn, kept_exps, store.warnings)
            if exp is None or (exp.deleted and not self.include_deleted):
                continue
            if exp.experiment_id in seen:
                warn(
                    exp_dir,
                    f"experiment {exp.experiment_id} is also in {seen[exp.experiment_id]}, "
                    f"which is read; {_runs_left_out(exp_dir)}",
                )
                continue
            seen[exp.experiment_id] = exp_dir
            exp.runs = self._read_runs(exp_dir, exp, warn, reuse, store.unreadable_runs)
            exp.traces = self._traces.read(exp_dir / "traces", exp.experiment_id, warn)
            exp.logged_models = read_logged_models(
                exp_dir / "models", exp.experiment_id, warn, self.include_deleted, store.unreadable_logged_models
            )
            store.experiments.append(exp)
        self._metrics.finish()
        if not found_any and not (root / ".trash").is_dir() and not (root / "models").is_dir():
            raise StoreError(f"not an MLflow file store (no <experiment>/meta.yaml): {root}")
        store.registered_models = read_registry(root / "models", warn)
        store.reader_state = {
            "root": store.base_dir,
            "listings": self._scanner.listings,
            "experiments": self._experiments,
            "traces": self._traces.state,
        }
        return store

    def _experiment(self, exp_dir: Path, warn: Warn, kept: dict, warnings: list[str]) -> Experiment | None:
        """The experiment as its folder describes it: as the last build read it when its
        meta.yaml and tags are unchanged (no YAML to parse), else read again."""
        name = os.path.relpath(exp_dir, self.root)
        key, settled = _experiment_state(str(exp_dir), self._scanner.now)
        old = kept.get(name)
        if type(old) is list and len(old) == 2 and old[0] == key and type(old[1]) is dict:
            try:
                exp = Experiment(**old[1])
            except TypeError:  # a manifest from elsewhere
                exp = None
            if exp is not None:
                self._experiments[name] = old
                return exp
        before = len(warnings)
        exp = _read_experiment(exp_dir, warn, in_trash=exp_dir.parent.name == ".trash")
        if exp is not None and settled and len(warnings) == before:
            self._experiments[name] = [key, {f: getattr(exp, f) for f in _EXPERIMENT_FIELDS}]
        return exp

    def load_metrics(self, runs: list[Run]) -> None:
        warn = Warn(self._warnings)
        for run in runs:
            if not run.metrics_complete and run.run_id in self._run_dirs:
                run.metrics = filemetrics.read_metrics(self._run_dirs[run.run_id] / "metrics", warn)
                run.metrics_complete = True

    def load_traces(self, traces: list) -> dict:
        """Kept traces (``Trace.loaded`` False) read whole again: {trace id: Trace}."""
        return self._traces.load(traces, self._warnings)

    def _parsed(self, run: Run, metrics: dict[str, MetricHistory], warnings: list[str]) -> None:
        run.metrics, run.metrics_complete = metrics, True
        self._warnings.extend(warnings)
        self.budget.hold(run)

    def close(self) -> None:
        pass

    def _read_runs(self, exp_dir: Path, exp: Experiment, warn: Warn, reuse, unreadable: set[str]) -> list[Run]:
        runs = []
        datasets: dict[str, dict] | None = None
        for entry in subfolders(exp_dir, warn, skip=_EXPERIMENT_CHILDREN):
            run_dir = Path(entry.path)
            fingerprint, files, dirs = self._scanner.scan(entry.path, entry.name)
            if "meta.yaml" not in files:
                warn(run_dir, "no meta.yaml (a damaged or half-written run?); run left out")
                continue
            run, parse = _read_run(run_dir, exp, warn, reuse, fingerprint)
            if run is None:
                unreadable.add(run_dir.name)
                continue
            mismatch = _misplaced(run, run_dir.name, exp.experiment_id)
            if mismatch:
                warn(run_dir, f"{mismatch}; run left out, as MLflow leaves it out")
                continue
            if run.deleted and not self.include_deleted:
                continue
            self._run_dirs[run.run_id] = run_dir
            if parse:  # parsed here or by the pool; held (or summed up) once parsed
                self._metrics.read(run, run_dir / "metrics")
            else:
                self.budget.hold(run)
            if "inputs" in dirs:
                if datasets is None:
                    datasets = _read_datasets(exp_dir / "datasets", warn)
                run.inputs = _read_inputs(run_dir / "inputs", datasets, warn)
            runs.append(run)
        return runs


def _misplaced(run: Run, folder_name: str, exp_id: str) -> str | None:
    """What is wrong when a run's meta.yaml disagrees with where its folder sits, else None."""
    if run.run_id != folder_name:
        return f"meta.yaml records run id '{run.run_id}', not the folder's name"
    if run.experiment_id != exp_id:
        return (
            f"meta.yaml records experiment '{run.experiment_id}', but the run sits in "
            f"experiment folder '{exp_id}' (moved by hand?)"
        )
    return None


_EXPERIMENT_FIELDS = (
    "experiment_id",
    "name",
    "artifact_location",
    "lifecycle_stage",
    "creation_time",
    "last_update_time",
    "tags",
)


def _experiment_state(exp_dir: str, now_ns: int) -> tuple[str, bool]:
    """A key of the experiment's meta.yaml and tags (sizes and times), and whether all of them
    have been still for SETTLED_NS (only then may what was read of them be kept)."""
    parts, newest = [], 0
    for dirpath, _dirs, files in os.walk(exp_dir + "/tags"):
        files.append("")  # the folder itself: a key added or removed changes its times
        for name in files:
            try:
                st = os.stat(f"{dirpath}/{name}" if name else dirpath)
            except OSError:
                continue
            parts.append(f"{dirpath}/{name}:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}")
            newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
    try:
        st = os.stat(exp_dir + "/meta.yaml")
        parts.append(f"meta.yaml:{st.st_size}:{st.st_mtime_ns}:{st.st_ctime_ns}")
        newest = max(newest, st.st_mtime_ns, st.st_ctime_ns)
    except OSError:
        pass
    parts.sort()
    return digest(parts), newest < now_ns - SETTLED_NS


def _read_experiment(exp_dir: Path, warn: Warn, in_trash: bool) -> Experiment | None:
    meta = _load_yaml(exp_dir / "meta.yaml", warn, _runs_left_out(exp_dir))
    if meta is None:
        return None
    exp_id = str(meta.get("experiment_id", exp_dir.name))
    if exp_id != exp_dir.name:
        warn(
            exp_dir,
            f"meta.yaml records experiment id '{exp_id}', not the folder's name (a copy "
            f"made by hand?); {_runs_left_out(exp_dir)}, as MLflow leaves it out",
        )
        return None
    stage = meta.get("lifecycle_stage") or ("deleted" if in_trash else "active")
    return Experiment(
        experiment_id=exp_id,
        name=str(meta.get("name") if meta.get("name") is not None else exp_id),
        artifact_location=meta.get("artifact_location"),
        lifecycle_stage="deleted" if in_trash else stage,
        creation_time=int_or_none(meta.get("creation_time")),
        last_update_time=int_or_none(meta.get("last_update_time")),
        tags=read_kv_folder(exp_dir / "tags", warn),
    )


def _read_run(run_dir: Path, exp: Experiment, warn: Warn, reuse, fingerprint: str) -> tuple[Run | None, bool]:
    """The run (None if it cannot be read), and whether its metric files are to be parsed."""
    kept = getattr(reuse, "get_run", None)
    kept = kept(run_dir.name, fingerprint) if kept is not None else None
    if kept is not None:  # nothing in the run's folder changed since the last build
        return kept, False
    meta = _load_yaml(run_dir / "meta.yaml", warn, "run left out")
    if meta is None:
        return None, False
    run_id = str(meta.get("run_id") or meta.get("run_uuid") or run_dir.name)
    status = meta.get("status", 1)  # MLflow's client: no status recorded means RUNNING
    if isinstance(status, int):
        if status not in STATUS_BY_CODE:
            warn(run_dir / "meta.yaml", f"unknown status code {status} (a newer MLflow?); shown as is")
        status = STATUS_BY_CODE.get(status, status)
    status = status or "FINISHED"
    source_type = meta.get("source_type")
    if isinstance(source_type, int):
        source_type = SOURCE_TYPE_BY_CODE.get(source_type, str(source_type))
    params = read_kv_folder(run_dir / "params", warn)
    tags = read_kv_folder(run_dir / "tags", warn)
    run = Run(
        run_id=run_id,
        experiment_id=str(meta.get("experiment_id", exp.experiment_id)),
        run_name=(meta.get("run_name") or tags.get("mlflow.runName") or None),
        status=str(status),
        start_time=int_or_none(meta.get("start_time")),
        end_time=int_or_none(meta.get("end_time")),
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
        return run, False
    run.metrics, run.metrics_complete = {}, False
    return run, True


def _read_datasets(folder: Path, warn: Warn) -> dict[str, dict | None]:
    """The experiment's datasets by id; None for one that cannot be read (already warned
    about, with the run inputs that use it)."""
    unreadable: set[str] = set()
    out: dict[str, dict | None] = {
        entry.name: meta
        for entry, meta in meta_folders(
            folder, warn, "dataset (with the run inputs that use it)", unreadable=unreadable
        )
    }
    out.update(dict.fromkeys(unreadable))
    return out


def _read_inputs(folder: Path, datasets: dict[str, dict | None], warn: Warn) -> list[DatasetInput]:
    out = []
    for entry, meta in meta_folders(folder, warn, "dataset input"):
        if meta.get("source_type", "DATASET") != "DATASET":  # MLflow 3: a model input, not a dataset
            continue
        ds = datasets.get(str(meta.get("source_id")))
        if ds is None and str(meta.get("source_id")) in datasets:
            continue  # the dataset's own folder is damaged: named in a warning already
        if ds is None:
            warn(
                entry / "meta.yaml",
                f"dataset {meta.get('source_id')} not found in the experiment's datasets/; "
                "this dataset input is left out",
            )
            continue
        tags = meta.get("tags") or {}
        out.append(
            DatasetInput(
                name=str(ds.get("name", "")),
                digest=str(ds.get("digest", "")),
                source_type=str(ds.get("source_type", "")),
                source=str(ds.get("source") or ""),
                schema=str(ds.get("schema") or ""),
                profile=str(ds.get("profile") or ""),
                tags={str(k): str(v) for k, v in tags.items()} if isinstance(tags, dict) else {},
            )
        )
    return out
