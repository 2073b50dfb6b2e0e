"""A page per MLflow 3 logged model, from stores written by real MLflow (file store and SQLite)."""

import json
import os
import re
from pathlib import Path

import pytest
from sitecheck import broken_links, links_of

from sitegen import BuildOptions, build
from sitegen.render.pages import Pages

mlflow = pytest.importorskip("mlflow")
from mlflow.tracking import MlflowClient  # noqa: E402

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")

EVIL = "<img src=x onerror=alert(1)>"


class Echo(mlflow.pyfunc.PythonModel):
    def predict(self, context, model_input):
        return model_input


@pytest.fixture(params=["file", "sqlite"])
def store(request, tmp_path):
    uri = str(tmp_path / "mlruns") if request.param == "file" else f"sqlite:///{tmp_path / 'mlflow.db'}"
    return log_models(uri)


def log_models(uri: str) -> dict:
    """A trained model (files, params, tags, metrics on a dataset, registered), a metric
    logged for it by a second run, and a bare model made with initialize_logged_model."""
    import pandas as pd

    mlflow.set_tracking_uri(uri)
    mlflow.set_registry_uri(uri)
    try:
        exp_id = mlflow.create_experiment("logged")
        with mlflow.start_run(experiment_id=exp_id, run_name="trainer") as train:
            info = mlflow.pyfunc.log_model(
                name=EVIL,
                python_model=Echo(),
                pip_requirements=[],
                params={"lr": "0.1"},
                model_type="classifier",
                tags={"note": "<script>alert(1)</script>"},
            )
            ds = mlflow.data.from_pandas(pd.DataFrame({"a": [1, 2]}), name="holdout")
            mlflow.log_metric("acc", 0.5, step=0, model_id=info.model_id, dataset=ds)
            mlflow.log_metric("acc", 0.75, step=1, model_id=info.model_id, dataset=ds)
            bare = mlflow.initialize_logged_model(name="scratch", params={"depth": "3"})
        with mlflow.start_run(experiment_id=exp_id, run_name="evaluator") as evaluate:
            mlflow.log_metric("f1", 0.6, model_id=info.model_id)
        version = mlflow.register_model(info.model_uri, "digits")
    finally:
        mlflow.set_tracking_uri(None)
        mlflow.set_registry_uri(None)
    client = MlflowClient(tracking_uri=uri, registry_uri=uri)
    return dict(
        uri=uri,
        client=client,
        exp=exp_id,
        model=info.model_id,
        bare=bare.model_id,
        train=train.info.run_id,
        evaluate=evaluate.info.run_id,
        version=version.version,
    )


@pytest.fixture
def rendered(monkeypatch):
    """The ids of the logged models whose pages builds render, in order."""
    ids = []
    page_of = Pages.logged_model
    monkeypatch.setattr(Pages, "logged_model", lambda self, m, *a: ids.append(m.model_id) or page_of(self, m, *a))
    return ids


def model_page(site: Path, exp: str, model_id: str) -> Path:
    return site / "experiments" / exp / "models" / model_id / "index.html"


def target(page: Path, href: str) -> Path:
    return (page.parent / href.split("#")[0]).resolve()


def test_logged_model_page(store, tmp_path):
    site = tmp_path / "site"
    build(BuildOptions(store=store["uri"], out=str(site), jobs=1))
    assert broken_links(site) == []
    page = model_page(site, store["exp"], store["model"])
    html = page.read_text(encoding="utf-8")
    assert EVIL not in html and "&lt;img src=x onerror=alert(1)&gt;" in html  # name escaped
    assert "<script>alert" not in html and "&lt;script&gt;alert(1)&lt;/script&gt;" in html  # tag
    assert store["model"] in html and "classifier" in html and "ready" in html
    assert re.search(r"<th[^>]*>lr</th>\s*<td[^>]*><div[^>]*>0\.1</div>", html)  # param
    row = re.search(r">acc</th>(.*?)</tr>", html, re.S).group(1)  # metric on a dataset
    assert "holdout" in row and "0.75" in row and ">2</td>" in row  # latest of 2 points
    f1 = re.search(r">f1</th>(.*?)</tr>", html, re.S).group(1)
    assert ">evaluator</a>" in f1  # the run that logged it
    links = {target(page, u): u for _t, u in links_of(page)}
    runs = site / "experiments" / store["exp"] / "runs"
    assert (runs / store["train"] / "index.html").resolve() in links  # source run
    assert (runs / store["evaluate"] / "index.html").resolve() in links
    registry = next((site / "models").glob("digits-*/index.html"))
    assert registry.resolve() in links  # registered version
    assert f"#v{store['version']}" in links[registry.resolve()]
    assert (page.parent / "artifacts" / "MLmodel").is_file()  # the model's files
    assert "python_model.pkl" in html and "flavors:" in html  # listed, MLmodel shown
    # linked from the run page, the experiment page and the registered model page
    for other in (runs / store["train"] / "index.html", site / "experiments" / store["exp"] / "index.html", registry):
        assert page.resolve() in {target(other, u) for _t, u in links_of(other)}, other
    bare = model_page(site, store["exp"], store["bare"]).read_text(encoding="utf-8")
    assert "scratch" in bare and "pending" in bare and "depth" in bare


def _latest_per_dataset(metrics) -> set:
    """MLflow's view of a logged model's metrics: the latest point per key and dataset."""
    best = {}
    for m in metrics:
        k = (m["key"], m["dataset_name"], m["dataset_digest"])
        if k not in best or (m["step"], m["timestamp"], m["value"]) > (
            best[k]["step"],
            best[k]["timestamp"],
            best[k]["value"],
        ):
            best[k] = m
    return {tuple(sorted(m.items())) for m in best.values()}


def test_model_json_matches_mlflow_client(store, tmp_path):
    site = tmp_path / "site"
    build(BuildOptions(store=store["uri"], out=str(site), jobs=1))
    for mid in (store["model"], store["bare"]):
        doc = json.loads((model_page(site, store["exp"], mid).parent / "model.json").read_text())
        m = store["client"].get_logged_model(mid)
        assert doc["model_id"] == m.model_id and doc["experiment_id"] == m.experiment_id
        for field in (
            "name",
            "source_run_id",
            "model_type",
            "status_message",
            "artifact_location",
            "creation_timestamp",
            "last_updated_timestamp",
            "params",
            "tags",
        ):
            assert doc[field] == getattr(m, field), field
        assert doc["status"] == m.status.value
        fields = ("key", "value", "timestamp", "step", "run_id", "dataset_name", "dataset_digest")
        client_metrics = [{f: getattr(p, f) for f in fields} for p in m.metrics or []]
        assert _latest_per_dataset(doc["metrics"]) == _latest_per_dataset(client_metrics)


def test_incremental_build_follows_logged_models(store, tmp_path, rendered):
    site = tmp_path / "site"
    opts = BuildOptions(store=store["uri"], out=str(site), jobs=1)
    build(opts)
    client, exp = store["client"], store["exp"]
    kept, gone = model_page(site, exp, store["model"]), model_page(site, exp, store["bare"])
    rendered.clear()
    build(opts)
    assert rendered == []  # nothing changed: nothing remade
    client.set_logged_model_tags(store["bare"], {"phase": "tuned"})
    build(opts)
    assert rendered == [store["bare"]]  # only the changed model's page
    assert "tuned" in gone.read_text(encoding="utf-8")
    client.delete_logged_model(store["bare"])
    build(opts)
    assert not gone.parent.exists()  # a deleted model's page goes
    run_page = site / "experiments" / exp / "runs" / store["train"] / "index.html"
    assert "scratch" not in run_page.read_text(encoding="utf-8")
    assert kept.is_file() and broken_links(site) == []
    result = build(BuildOptions(store=store["uri"], out=str(site), jobs=1, include_deleted=True))
    assert "deleted" in gone.read_text(encoding="utf-8") and result.pages >= 6


def test_half_written_model_keeps_its_page(tmp_path, rendered):
    uri = str(tmp_path / "mlruns")
    client = MlflowClient(tracking_uri=uri)
    exp = client.create_experiment("partial")
    mid = client.create_logged_model(exp, name="steady").model_id
    site = tmp_path / "site"
    build(BuildOptions(store=uri, out=str(site), jobs=1))
    meta = tmp_path / "mlruns" / exp / "models" / mid / "meta.yaml"
    good = meta.read_text()
    meta.write_text("model_id: " + mid + "\nstatus: [")  # meta.yaml being rewritten
    result = build(BuildOptions(store=uri, out=str(site), jobs=1))
    assert any("meta.yaml" in w for w in result.warnings)
    assert model_page(site, exp, mid).is_file()  # the previous page stays
    meta.write_text(good)
    rendered.clear()
    build(BuildOptions(store=uri, out=str(site), jobs=1))
    assert rendered == []  # what it knew of it was kept too


def test_logged_models_through_a_tracking_server(tmp_path_factory, tmp_path, monkeypatch):
    """Read through a real `mlflow server`'s REST API (logged-models/search, the model's files
    through the server): the same model.json and files as a build from its database."""
    from mlflowserver import Server, require_mlflow_cli

    require_mlflow_cli()
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    srv = Server(tmp_path_factory.mktemp("lm-server"))
    try:
        ids = log_models(srv.url)
        via_rest, direct = tmp_path / "rest", tmp_path / "direct"
        result = build(BuildOptions(store=srv.url, out=str(via_rest), jobs=1))
        build(
            BuildOptions(
                store=f"sqlite:///{srv.base / 'mlflow.db'}",
                out=str(direct),
                jobs=1,
                artifacts=str(srv.base / "mlartifacts"),
            )
        )
    finally:
        srv.stop()
    assert result.warnings == []
    for mid in (ids["model"], ids["bare"]):
        got = json.loads((model_page(via_rest, ids["exp"], mid).parent / "model.json").read_text())
        want = json.loads((model_page(direct, ids["exp"], mid).parent / "model.json").read_text())
        assert got == want
    model_dir = model_page(via_rest, ids["exp"], ids["model"]).parent
    assert (model_dir / "artifacts" / "MLmodel").read_bytes() == (
        model_page(direct, ids["exp"], ids["model"]).parent / "artifacts" / "MLmodel"
    ).read_bytes()
    run_page = next(via_rest.glob(f"experiments/*/runs/{ids['train']}/index.html"))
    assert f"models/{ids['model']}/index.html" in run_page.read_text(encoding="utf-8")
    assert broken_links(via_rest) == []
