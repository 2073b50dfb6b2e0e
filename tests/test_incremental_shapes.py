"""An incremental build makes the same site as a clean one when the shape of what it holds
changed: an artifact that was a file is now a folder (and the other way round), and an
experiment lost its last chart."""

from __future__ import annotations

import shutil

from sitegen import BuildOptions, build


def _files(site):
    return {
        str(p.relative_to(site)): p.read_bytes() if p.is_file() else None
        for p in sorted(site.rglob("*"))
        if p.name != ".trackreport-site"
    }


def test_artifacts_that_changed_between_file_and_folder(tmp_path, monkeypatch):
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    root = tmp_path / "mlruns"
    client = MlflowClient(f"file://{root}")
    run = client.create_run(client.create_experiment("e"), run_name="r")
    logged = tmp_path / "logged"
    (logged / "model").mkdir(parents=True)
    (logged / "model" / "w.txt").write_text("weights")
    (logged / "report").write_text("v1 report")
    client.log_artifacts(run.info.run_id, str(logged))
    client.set_terminated(run.info.run_id)
    out = tmp_path / "site"
    build(BuildOptions(store=str(root), out=str(out), jobs=1))

    folder = root / run.info.experiment_id / run.info.run_id / "artifacts"
    shutil.rmtree(folder / "model")
    (folder / "report").unlink()
    again = tmp_path / "again"
    (again / "report").mkdir(parents=True)
    (again / "model").write_text("a model as one file")
    (again / "report" / "index.txt").write_text("a report as a folder")
    client.log_artifacts(run.info.run_id, str(again))
    result = build(BuildOptions(store=str(root), out=str(out), jobs=1))
    assert result.warnings == [] and result.artifacts == 2
    clean = tmp_path / "clean"
    build(BuildOptions(store=str(root), out=str(clean), jobs=1))
    assert _files(out) == _files(clean)


def test_an_experiment_that_lost_its_last_chart_has_no_charts_folder(tmp_path, monkeypatch):
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    root = tmp_path / "mlruns"
    client = MlflowClient(f"file://{root}")
    exp = client.create_experiment("e")
    runs = []
    for name in ("a", "b"):
        run = client.create_run(exp, run_name=name)
        for step in range(3):
            client.log_metric(run.info.run_id, "loss", 1 / (step + 1), step=step)
        client.set_terminated(run.info.run_id)
        runs.append(run.info.run_id)
    out = tmp_path / "site"
    build(BuildOptions(store=str(root), out=str(out), jobs=1))
    for rid in runs:
        client.delete_run(rid)
    build(BuildOptions(store=str(root), out=str(out), jobs=1))
    clean = tmp_path / "clean"
    build(BuildOptions(store=str(root), out=str(clean), jobs=1))
    assert _files(out) == _files(clean)
