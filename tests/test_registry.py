"""The model registry, written by real MLflow into a file store and a SQLite store."""

import os
import re

import pytest
from sitecheck import broken_links, link_targets

from sitegen import BuildOptions, build

mlflow = pytest.importorskip("mlflow")
from mlflow.tracking import MlflowClient  # noqa: E402

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")


@pytest.fixture(params=["file", "sqlite"])
def registry(request, tmp_path):
    uri = str(tmp_path / "mlruns") if request.param == "file" else f"sqlite:///{tmp_path / 'mlflow.db'}"
    c = MlflowClient(tracking_uri=uri, registry_uri=uri)
    exp = c.create_experiment("training")
    rid = c.create_run(exp, run_name="trainer").info.run_id
    c.log_metric(rid, "acc", 0.9)
    name = "digits <cls>"
    c.create_registered_model(name, tags={"team": "vision"}, description="Digit **classifier**")
    c.create_model_version(name, f"runs:/{rid}/model", run_id=rid, tags={"k": "v"}, description="first")
    c.create_model_version(name, f"runs:/{rid}/model2", run_id=rid)
    c.set_registered_model_alias(name, "champion", "2")
    c.transition_model_version_stage(name, "1", "Production")
    return uri, exp, rid


def test_models_pages_and_links(registry, tmp_path):
    uri, exp, rid = registry
    site = tmp_path / "site"
    result = build(BuildOptions(store=uri, out=str(site), jobs=1))
    assert broken_links(site) == []
    index = (site / "models" / "index.html").read_text()
    assert "digits &lt;cls&gt;" in index and "<cls>" not in index
    assert "@champion → v2" in index
    model_pages = list((site / "models").glob("*/index.html"))
    assert len(model_pages) == 1
    page = model_pages[0].read_text()
    assert "<strong>classifier</strong>" in page  # description rendered
    assert re.search(r'id="v1".*?Production', page, re.S)
    assert re.search(r'id="v2".*?@champion', page, re.S)
    assert f"experiments/{exp}/runs/{rid}/index.html" in page  # source run linked
    run_page = (site / "experiments" / exp / "runs" / rid / "index.html").read_text()
    assert "Registered model versions" in run_page and "version 1 · Production" in run_page
    assert "registered model" in (site / "index.html").read_text()
    assert result.pages >= 5


@pytest.mark.parametrize("kind", ["file", "sqlite"])
def test_logged_models_shown_on_run_and_experiment(kind, tmp_path):
    uri = str(tmp_path / "mlruns") if kind == "file" else f"sqlite:///{tmp_path / 'mlflow.db'}"
    mlflow.set_tracking_uri(uri)
    try:
        exp_id = mlflow.create_experiment("logged")
        with mlflow.start_run(experiment_id=exp_id, run_name="trainer") as run:
            model = mlflow.initialize_logged_model(
                name="digits <net>", params={"lr": "0.1"}, tags={"stage": "candidate"}, model_type="classifier"
            )
            mlflow.log_metric("acc", 0.91, model_id=model.model_id)
            mlflow.finalize_logged_model(model.model_id, "READY")
    finally:
        mlflow.set_tracking_uri(None)
    site = tmp_path / "site"
    build(BuildOptions(store=uri, out=str(site), jobs=1))
    run_file = site / "experiments" / exp_id / "runs" / run.info.run_id / "index.html"
    run_page = run_file.read_text()
    assert "Logged models" in run_page and "digits &lt;net&gt;" in run_page
    assert model.model_id in run_page and "lr=0.1" in run_page and "stage=candidate" in run_page
    assert "ready" in run_page and "acc" in run_page
    exp_page = (site / "experiments" / exp_id / "index.html").read_text()
    assert f'href="runs/{run.info.run_id}/index.html">trainer</a>' in exp_page
    page = f"experiments/{exp_id}/models/{model.model_id}/index.html"
    assert (site / page).is_file()  # each has a page, linked
    assert page in link_targets(site, run_file)
    assert page in link_targets(site, site / "experiments" / exp_id / "index.html")
    assert broken_links(site) == []


def test_a_deleted_model_version_is_not_shown(registry, tmp_path):
    """MLflow keeps a deleted version with the stage Deleted_Internal and never returns it
    (found by a fresh-eyes tester: the model page listed it)."""
    uri, _exp, _rid = registry
    c = MlflowClient(tracking_uri=uri, registry_uri=uri)
    c.create_model_version("digits <cls>", "runs:/x/model3")
    c.delete_model_version("digits <cls>", "3")
    assert sorted(int(v.version) for v in c.search_model_versions("name='digits <cls>'")) == [1, 2]
    site = tmp_path / "site"
    build(BuildOptions(store=uri, out=str(site), jobs=1))
    page = next((site / "models").glob("*/index.html")).read_text()
    assert 'id="v2"' in page and 'id="v3"' not in page
