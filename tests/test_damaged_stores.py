"""Damaged file stores: every part that cannot be read is named in exactly one warning that
says what was left out, and everything else is built exactly as from the intact store.

The intact store is written by real MLflow (its client, a dataset input, a logged model, the
model registry and a trace); each case damages one file or folder of a copy, at one level:
experiment, run, metric, param, tag, dataset, dataset input, trace, logged model, registered
model, model version — missing, empty, corrupt or of a format this reader does not know.
"""

import json
import os
import re
import shutil
import signal
from pathlib import Path

import pytest

from sitegen import BuildOptions, build


@pytest.fixture(scope="module")
def intact(tmp_path_factory):
    import mlflow
    import pandas as pd
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("intact") / "mlruns"
    uri = str(root)
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        a = mlflow.create_experiment("main")
        b = mlflow.create_experiment("other")
        with mlflow.start_run(experiment_id=a, run_name="first") as r1:
            mlflow.log_params({"lr": "0.1", "batch": "32"})
            mlflow.set_tags({"team": "vision", "stage": "dev"})
            for step, v in enumerate([0.9, 0.5, 0.3]):
                mlflow.log_metric("loss", v, step=step)
            mlflow.log_metric("acc", 0.8)
            mlflow.log_input(mlflow.data.from_pandas(pd.DataFrame({"x": [1, 2]}), name="toy"), context="training")
            model = mlflow.initialize_logged_model(name="net", params={"depth": "3"})
        with mlflow.start_run(experiment_id=a, run_name="second"):
            mlflow.log_param("lr", "0.01")
            mlflow.log_metric("loss", 0.4)
        with mlflow.start_run(experiment_id=b, run_name="third"):
            mlflow.log_metric("loss", 0.2)
        with mlflow.start_run(experiment_id=b, run_name="fourth"):
            mlflow.log_param("lr", "1")
        mlflow.set_experiment(experiment_id=a)

        @mlflow.trace
        def answer(q):
            return q.upper()

        answer("hello")
        mlflow.flush_trace_async_logging()  # the spans document is written before the build
        client = MlflowClient(tracking_uri=uri, registry_uri=uri)
        client.create_registered_model("reg")
        client.create_model_version("reg", f"runs:/{r1.info.run_id}/model", run_id=r1.info.run_id)
        client.create_registered_model("other-reg")
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
    ids = {"a": a, "b": b, "r1": r1.info.run_id, "model": model.model_id}
    site = root.parent / "site"
    result = build(BuildOptions(store=uri, out=str(site), jobs=1))
    return root, ids, result, _run_jsons(site)


def _run_jsons(site: Path) -> dict[str, str]:
    return {p.parent.name: p.read_text() for p in site.glob("experiments/*/runs/*/run.json")}


def _only(root: Path, pattern: str) -> Path:
    found = sorted(root.glob(pattern))
    assert len(found) == 1, (pattern, found)
    return found[0]


# Each case: (damage the copy, return (what the warning must name, run ids it leaves out, and
# for a run that stays: (run id, part of its run.json that goes: ("params"|"tags"|"metrics", key))))
def exp_meta_missing(root, ids):
    (root / ids["b"] / "meta.yaml").unlink()
    return root / ids["b"], "b", None


def exp_meta_empty(root, ids):
    (root / ids["b"] / "meta.yaml").write_text("")
    return root / ids["b"] / "meta.yaml", "b", None


def exp_meta_corrupt(root, ids):
    (root / ids["b"] / "meta.yaml").write_text("name: [unclosed\nexperiment_id: '")
    return root / ids["b"] / "meta.yaml", "b", None


def exp_meta_unknown(root, ids):
    (root / ids["b"] / "meta.yaml").write_text("- a list\n- not a mapping\n")
    return root / ids["b"] / "meta.yaml", "b", None


def exp_copied(root, ids):
    shutil.copytree(root / ids["b"], root / "123")
    return root / "123", None, None


def run_meta_missing(root, ids):
    (root / ids["a"] / ids["r1"] / "meta.yaml").unlink()
    return root / ids["a"] / ids["r1"], "r1", None


def run_meta_corrupt(root, ids):
    (root / ids["a"] / ids["r1"] / "meta.yaml").write_bytes(b"run_id: \x00\x01: [")
    return root / ids["a"] / ids["r1"] / "meta.yaml", "r1", None


def run_moved(root, ids):
    shutil.move(str(root / ids["a"] / ids["r1"]), str(root / ids["b"] / ids["r1"]))
    return root / ids["b"] / ids["r1"], "r1", None


def run_status_unknown(root, ids):
    meta = root / ids["a"] / ids["r1"] / "meta.yaml"
    meta.write_text(meta.read_text().replace("status: 3", "status: 42"))
    return meta, None, None


def metric_line_garbled(root, ids):
    path = root / ids["a"] / ids["r1"] / "metrics" / "loss"
    lines = path.read_text().splitlines(keepends=True)
    path.write_text(lines[0] + "garbage here\n" + "".join(lines[2:]))
    return f"{path}: line 2", None, None


def param_undecodable(root, ids):
    path = root / ids["a"] / ids["r1"] / "params" / "batch"
    path.write_bytes(b"\xff\xfe\xfa")
    return path, None, ("params", "batch")


def tag_undecodable(root, ids):
    path = root / ids["a"] / ids["r1"] / "tags" / "stage"
    path.write_bytes(b"\xff\xfe\xfa")
    return path, None, ("tags", "stage")


def dataset_corrupt(root, ids):
    path = _only(root / ids["a"] / "datasets", "*/meta.yaml")
    path.write_text("{{{")
    return path, None, None


def dataset_input_missing_meta(root, ids):
    path = _only(root / ids["a"] / ids["r1"] / "inputs", "*/meta.yaml")
    path.unlink()
    return path.parent, None, None


def trace_info_corrupt(root, ids):
    path = _only(root / ids["a"] / "traces", "*/trace_info.yaml")
    path.write_text(": : :")
    return path, None, None  # the trace is left out; runs are untouched


def logged_model_corrupt(root, ids):
    path = root / ids["a"] / "models" / ids["model"] / "meta.yaml"
    path.write_text("")
    return path, None, None


def registered_model_corrupt(root, ids):
    path = root / "models" / "other-reg" / "meta.yaml"
    path.write_text(": : :")
    return path, None, None


def model_version_missing_meta(root, ids):
    path = root / "models" / "reg" / "version-1" / "meta.yaml"
    path.unlink()
    return path.parent, None, None


def _pipe(path: Path) -> Path:
    """Replace ``path`` by a named pipe nobody writes to: opening it to read would block for ever."""
    if path.exists():
        path.unlink()
    os.mkfifo(path)
    return path


def metric_is_a_pipe(root, ids):
    return _pipe(root / ids["a"] / ids["r1"] / "metrics" / "acc"), None, ("metrics", "acc")


def param_is_a_pipe(root, ids):
    return _pipe(root / ids["a"] / ids["r1"] / "params" / "batch"), None, ("params", "batch")


def run_meta_is_a_pipe(root, ids):
    return _pipe(root / ids["a"] / ids["r1"] / "meta.yaml"), "r1", None


def artifact_is_a_pipe(root, ids):
    folder = root / ids["a"] / ids["r1"] / "artifacts"
    folder.mkdir(exist_ok=True)
    _pipe(folder / "stream")
    meta = folder.parent / "meta.yaml"  # its artifact URI names the intact store's folder: this one instead
    meta.write_text(re.sub(r"(?m)^artifact_uri: .*$", f"artifact_uri: {folder.as_uri()}", meta.read_text()))
    return f"run {ids['r1']}: artifact stream is not a file", None, None


def _loop(path: Path) -> Path:
    """Replace ``path`` by a symbolic link to itself: telling what it is fails (ELOOP)."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    elif path.exists() or path.is_symlink():
        path.unlink()
    path.symlink_to(path.name)
    return path


def store_entry_is_a_loop(root, ids):
    return _loop(root / "tmp-loop"), None, None


def run_folder_is_a_loop(root, ids):
    return _loop(root / ids["a"] / ("0" * 32)), None, None  # named like a run


def traces_folder_is_a_loop(root, ids):
    return _loop(root / ids["a"] / "traces"), None, None  # the experiment's traces are left out


def logged_models_folder_is_a_loop(root, ids):
    return _loop(root / ids["a"] / "models"), None, None


def artifacts_folder_is_a_pipe(root, ids):
    folder = root / ids["a"] / ids["r1"] / "artifacts"
    if folder.is_dir():
        shutil.rmtree(folder)
    _pipe(folder)
    meta = folder.parent / "meta.yaml"  # its artifact URI names the intact store's folder: this one instead
    meta.write_text(re.sub(r"(?m)^artifact_uri: .*$", f"artifact_uri: {folder.as_uri()}", meta.read_text()))
    return f"run {ids['r1']}: its artifact folder {folder} is not a folder", None, None


def exp_meta_is_a_pipe(root, ids):
    return _pipe(root / ids["b"] / "meta.yaml"), "b", None


def params_folder_is_a_loop(root, ids):
    return _loop(root / ids["a"] / ids["r1"] / "params"), None, ("params", None)


def metrics_folder_is_a_pipe(root, ids):
    path = root / ids["a"] / ids["r1"] / "metrics"
    shutil.rmtree(path)
    return _pipe(path), None, ("metrics", None)


CASES = [
    exp_meta_missing,
    exp_meta_empty,
    exp_meta_corrupt,
    exp_meta_unknown,
    exp_copied,
    run_meta_missing,
    run_meta_corrupt,
    run_moved,
    run_status_unknown,
    metric_line_garbled,
    param_undecodable,
    tag_undecodable,
    dataset_corrupt,
    dataset_input_missing_meta,
    trace_info_corrupt,
    logged_model_corrupt,
    registered_model_corrupt,
    model_version_missing_meta,
    metric_is_a_pipe,
    param_is_a_pipe,
    run_meta_is_a_pipe,
    artifact_is_a_pipe,
    store_entry_is_a_loop,
    run_folder_is_a_loop,
    traces_folder_is_a_loop,
    logged_models_folder_is_a_loop,
    exp_meta_is_a_pipe,
    artifacts_folder_is_a_pipe,
    params_folder_is_a_loop,
    metrics_folder_is_a_pipe,
]


class Hung(BaseException):  # not an OSError (as TimeoutError is), which the build would catch as unreadable
    pass


def _hung(signum, frame):
    raise Hung("the build hung (blocked reading a named pipe?)")


@pytest.mark.parametrize("damage", CASES, ids=[c.__name__ for c in CASES])
def test_one_warning_names_the_damage_and_the_rest_is_exact(intact, damage, tmp_path):
    root, ids, base, base_runs = intact
    store = tmp_path / "mlruns"
    shutil.copytree(root, store)
    named, left_out, lost = damage(store, ids)
    signal.signal(signal.SIGALRM, _hung)
    signal.alarm(60)  # a build blocked on a named pipe fails here instead of hanging the suite
    try:
        result = build(BuildOptions(store=str(store), out=str(tmp_path / "site"), jobs=1))
    finally:
        signal.alarm(0)
    new = [w.replace(str(store), str(root)) for w in result.warnings]
    new = [w for w in new if w not in base.warnings]
    assert len(new) == 1, new
    assert new[0].startswith(str(named).replace(str(store), str(root))), new[0]
    assert "left out" in new[0] or "shown as is" in new[0]
    runs = _run_jsons(tmp_path / "site")
    gone = set()
    if left_out == "b":
        gone = {rid for rid in base_runs if (root / ids["b"] / rid).is_dir()}
    elif left_out == "r1":
        gone = {ids["r1"]}
    assert set(runs) == set(base_runs) - gone
    for rid, text in runs.items():
        if rid == ids["r1"] and damage is metric_line_garbled:
            got, want = json.loads(text), json.loads(base_runs[rid])
            loss = want["metrics"]["loss"]
            assert got["metrics"]["loss"] == loss[:1] + loss[2:]  # the garbled point only
            got["metrics"]["loss"] = want["metrics"]["loss"]
            assert got == want
        elif rid == ids["r1"] and lost:
            got, want = json.loads(text), json.loads(base_runs[rid])
            section, key = lost
            if key is None:  # the whole section
                assert want[section] and not got[section]
                want[section] = got[section]
            else:
                assert key in want[section] and key not in got[section]
                del want[section][key]
            assert got == want
        elif rid == ids["r1"] and damage is run_status_unknown:
            assert json.loads(text)["status"] == "42"
        elif rid == ids["r1"] and damage in (artifact_is_a_pipe, artifacts_folder_is_a_pipe):
            got, want = json.loads(text), json.loads(base_runs[rid])
            assert got.pop("artifact_uri") != want.pop("artifact_uri")  # moved to the copy's folder
            assert got == want  # the pipe is not listed
        elif rid == ids["r1"] and damage in (dataset_corrupt, dataset_input_missing_meta):
            assert text == base_runs[rid]  # run.json holds no datasets; the page drops it
        else:
            assert text == base_runs[rid], rid


def test_intact_store_warns_about_nothing(intact):
    root, ids, base, _ = intact
    assert base.warnings == []


def test_artifact_symlink_loops_are_not_followed(tmp_path):
    """Folder symlinks back to a folder above them were followed: two of them made the walk
    branch at every level (a build ran for ever), one copied every file 64 times over."""
    from sitegen.artifacts import list_artifacts

    root = tmp_path / "artifacts"
    (root / "notes").mkdir(parents=True)
    (root / "a.txt").write_text("a")
    (root / "notes" / "b.txt").write_text("b")
    for name, target in (("self1", "."), ("self2", "."), ("notes/up", ".."), ("latest", "notes"), ("out", tmp_path)):
        (root / name).symlink_to(target)
    warnings: list[str] = []
    signal.signal(signal.SIGALRM, _hung)
    signal.alarm(60)
    try:
        files = list_artifacts(root, warnings)
    finally:
        signal.alarm(0)
    assert [f.path for f in files] == ["a.txt", "latest/b.txt", "notes/b.txt"]  # an alias is listed, as MLflow does
    assert sorted(warnings) == [
        "artifact latest/up is a symlink to a folder above it (a loop); not followed",
        "artifact notes/up is a symlink to a folder above it (a loop); not followed",
        "artifact out is a symlink out of the run's folder; not followed",
        "artifact self1 is a symlink to a folder above it (a loop); not followed",
        "artifact self2 is a symlink to a folder above it (a loop); not followed",
    ]


@pytest.mark.parametrize("folder", ["artifacts", "params", "metrics", "tags"])
def test_a_run_folder_linked_elsewhere_into_the_store_is_not_followed(intact, tmp_path, folder):
    """A run's artifacts (or params, metrics, tags) folder that is a symlink into another part
    of the store published that part — another experiment's runs, params redaction had hidden
    on their pages — as this run's files, or turned every file of it into params or metrics."""
    root, ids, base, base_runs = intact
    store = tmp_path / "mlruns"
    shutil.copytree(root, store)
    run_dir = store / ids["a"] / ids["r1"]
    link = run_dir / folder
    if link.is_dir():
        shutil.rmtree(link)
    link.symlink_to(Path("..") / ".." / ids["b"])  # the other experiment
    meta = run_dir / "meta.yaml"  # its artifact URI names the intact store's folder: this one instead
    meta.write_text(
        re.sub(r"(?m)^artifact_uri: .*$", f"artifact_uri: {(run_dir / 'artifacts').as_uri()}", meta.read_text())
    )
    result = build(BuildOptions(store=str(store), out=str(tmp_path / "site"), jobs=1))
    new = [w for w in result.warnings if w.replace(str(store), str(root)) not in base.warnings]
    assert len(new) == 1 and "not followed" in new[0] and folder in new[0], new
    other_runs = [p.name for p in (store / ids["b"]).iterdir() if p.is_dir() and len(p.name) == 32]
    (doc,) = (tmp_path / "site").glob(f"experiments/*/runs/{ids['r1']}/run.json")
    text = doc.read_text()
    assert other_runs and not any(rid in text for rid in other_runs)
