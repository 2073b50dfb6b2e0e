"""Only the selected experiments are published: nothing of the others (no page, data file,
chart, artifact, count, name or run id) is anywhere in the site, and a selection changed
between builds removes what left it."""

import os
import shutil
from pathlib import Path

import pytest

from sitegen import BuildOptions, build

CORPUS = Path(__file__).parent / "corpus" / "3.17.2" / "file" / "mlruns"
REGISTRY = Path(__file__).parent / "stores" / "registry-3.17.2" / "mlruns"


def _experiments(root: Path) -> dict[str, tuple[str, set[str]]]:
    """id → (name, run ids) of the store's active experiments."""
    import yaml

    out = {}
    for meta in root.glob("*/meta.yaml"):
        doc = yaml.safe_load(meta.read_text())
        runs = {p.parent.name for p in meta.parent.glob("*/meta.yaml")}
        out[str(doc["experiment_id"])] = (doc["name"], runs)
    return out


def _site_text(site: Path) -> str:
    return "\n".join(
        p.read_bytes().decode("utf-8", "replace")
        for p in site.rglob("*")
        if p.is_file() and p.name != ".trackreport-site"
    )


@pytest.fixture
def store(tmp_path):
    shutil.copytree(CORPUS, tmp_path / "mlruns")
    return tmp_path / "mlruns"


@pytest.mark.parametrize("how", ["name", "id", "glob"])
def test_only_the_selected_experiment_is_published(store, tmp_path, how):
    exps = _experiments(store)
    sweep_id = next(i for i, (name, _) in exps.items() if name == "sweep")
    pattern = {"name": "sweep", "id": sweep_id, "glob": "sw??p*"}[how]
    site = tmp_path / "site"
    result = build(BuildOptions(store=str(store), out=str(site), jobs=1, experiment=(pattern,)))
    active = {r for r in exps[sweep_id][1] if "deleted" not in (store / sweep_id / r / "meta.yaml").read_text()}
    assert result.experiments == 1 and result.runs == len(active)
    assert sorted(p.name for p in (site / "experiments").iterdir()) == [sweep_id]
    text = _site_text(site)
    for eid, (name, runs) in exps.items():
        if eid == sweep_id:
            continue
        assert f">{name}<" not in text, name
        assert not [r for r in runs if r in text], f"runs of {name} are in the site"


def test_exclude_and_a_changed_selection_removes_what_left(store, tmp_path):
    exps = _experiments(store)
    unicode_id = next(i for i, (name, _) in exps.items() if name.startswith("ünïcode"))
    site = tmp_path / "site"
    build(BuildOptions(store=str(store), out=str(site), jobs=1))
    assert (site / "experiments" / unicode_id).is_dir()
    result = build(BuildOptions(store=str(store), out=str(site), jobs=1, exclude_experiment=("ü*",)))
    assert not (site / "experiments" / unicode_id).exists()
    assert result.experiments == len(exps) - 1
    text = _site_text(site)
    assert not [r for r in exps[unicode_id][1] if r in text]


def test_a_pattern_that_names_nothing_is_a_warning(store, tmp_path):
    result = build(BuildOptions(store=str(store), out=str(tmp_path / "s"), jobs=1, experiment=("sweep", "nope*")))
    assert [w for w in result.warnings if "--experiment 'nope*' names no experiment" in w]
    assert result.experiments == 1


def test_registry_keeps_only_versions_of_published_runs(tmp_path):
    shutil.copytree(REGISTRY, tmp_path / "mlruns")
    site = tmp_path / "site"
    build(BuildOptions(store=str(tmp_path / "mlruns"), out=str(site), jobs=1))
    assert (site / "models" / "index.html").is_file()
    build(BuildOptions(store=str(tmp_path / "mlruns"), out=str(site), jobs=1, exclude_experiment=("0",)))
    assert not (site / "models").exists() and "reg" not in (site / "index.html").read_text()


def test_filter_publishes_what_search_runs_returns(store, tmp_path):
    """--filter keeps exactly the runs MLflow's client returns for it on this store."""
    from mlflow import MlflowClient

    exps = _experiments(store)
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    expr = "params.lr = '0.1' AND metrics.`val/acc` > 0"
    want = {r.info.run_id for r in MlflowClient(tracking_uri=str(store)).search_runs(list(exps), filter_string=expr)}
    assert want and len(want) < sum(len(r) for _, r in exps.values())
    site = tmp_path / "site"
    result = build(BuildOptions(store=str(store), out=str(site), jobs=1, filter=expr))
    got = {p.parent.name for p in site.glob("experiments/*/runs/*/run.json")}
    assert got == want and result.runs == len(want)
    text = _site_text(site)
    others = {r for _, runs in exps.values() for r in runs} - want
    # a published child keeps its parent's id as MLflow records it (marked "not published")
    parents = {
        (store / eid / rid / "tags" / "mlflow.parentRunId").read_text()
        for eid in exps
        for rid in want
        if (store / eid / rid / "tags" / "mlflow.parentRunId").is_file()
    }
    assert not [r for r in others - parents if r in text]
    page = next(site.glob("experiments/*/runs/*/index.html")).read_text()
    assert not parents or "(not published)" in page


def test_a_filter_mlflow_rejects_stops_the_build(store, tmp_path):
    from click.testing import CliRunner

    from sitegen.cli import main

    res = CliRunner().invoke(
        main,
        [
            "build",
            "--store",
            str(store),
            "--out",
            str(tmp_path / "s"),
            "--filter",
            "metrics.rmse > 1 OR params.lr = '0.1'",
        ],
    )
    assert res.exit_code == 2 and "--filter" in res.output and "Invalid clause" in res.output
    assert not (tmp_path / "s").exists()
