"""watch follows a store while a real MLflow client logs to it (file store and SQLite)."""

import json
import os
import threading
import time
import urllib.request
from pathlib import Path

import pytest

from sitegen import BuildOptions
from sitegen.preview import PreviewServer
from sitegen.watcher import Watcher

mlflow = pytest.importorskip("mlflow")
from mlflow.tracking import MlflowClient  # noqa: E402

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
DEADLINE = 60


def wait_for(predicate, what, timeout=DEADLINE):
    """Poll for an expected state until a deadline (not a sleep standing in for synchronisation)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if predicate():
                return
        except (OSError, ValueError, KeyError):
            pass
        time.sleep(0.05)
    pytest.fail(f"timed out waiting for: {what}")


def run_json(site: Path, exp_id: str, run_id: str) -> dict:
    return json.loads((site / "experiments" / exp_id / "runs" / run_id / "run.json").read_text())


class Running:
    def __init__(self, options: BuildOptions, **kw):
        self.errors = []
        self.watcher = Watcher(options, on_build=lambda r, e: e and self.errors.append(e), **kw)
        self.thread = threading.Thread(target=self.watcher.run, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.watcher.stop()
        self.thread.join(timeout=30)
        assert not self.thread.is_alive(), "watch did not stop"


@pytest.fixture(params=["file", "sqlite"])
def store(request, tmp_path):
    if request.param == "file":
        uri = str(tmp_path / "mlruns")
        client = MlflowClient(tracking_uri=uri)
    else:
        uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
        client = MlflowClient(tracking_uri=uri)
    exp_id = client.create_experiment("live", artifact_location=str(tmp_path / "artifacts" / "live"))
    return request.param, uri, client, exp_id


def test_watch_follows_a_logging_client(store, tmp_path):
    kind, uri, client, exp_id = store
    site = tmp_path / "site"
    run = client.create_run(exp_id, run_name="training")
    rid = run.info.run_id
    opts = BuildOptions(store=uri, out=str(site), jobs=1)
    with Running(opts, poll=kind == "sqlite" and False) as w:
        wait_for(lambda: run_json(site, exp_id, rid)["status"] == "RUNNING", "first build")

        # new metric points appear
        for step in range(5):
            client.log_metric(rid, "loss", 1.0 / (step + 1), step=step)
        wait_for(lambda: len(run_json(site, exp_id, rid)["metrics"]["loss"]) == 5, "metric points")
        page = (site / "experiments" / exp_id / "runs" / rid / "index.html").read_text()
        assert "live" in page  # a running run says it is live

        # a new run appears, a finished run is shown finished
        other = client.create_run(exp_id, run_name="second").info.run_id
        wait_for(lambda: (site / "experiments" / exp_id / "runs" / other / "index.html").is_file(), "new run")
        client.set_terminated(rid, "FINISHED")
        wait_for(lambda: run_json(site, exp_id, rid)["status"] == "FINISHED", "finished run")

        # a new artifact is copied into the site
        art = tmp_path / "note.txt"
        art.write_text("hello from training\n")
        client.log_artifact(rid, str(art))
        copied = site / "experiments" / exp_id / "runs" / rid / "artifacts" / "note.txt"
        wait_for(lambda: copied.read_text() == "hello from training\n", "new artifact")

        # an edited experiment description shows up
        client.set_experiment_tag(exp_id, "mlflow.note.content", "Now with **notes**")
        wait_for(
            lambda: "<strong>notes</strong>" in (site / "experiments" / exp_id / "index.html").read_text(),
            "edited description",
        )

        # a logged model gets its page, which follows the model and goes with it
        mid = client.create_logged_model(exp_id, source_run_id=rid, name="live-model").model_id
        model_page = site / "experiments" / exp_id / "models" / mid / "index.html"
        wait_for(lambda: "live-model" in model_page.read_text(), "logged model page")
        client.finalize_logged_model(mid, "READY")
        wait_for(lambda: "status-ready" in model_page.read_text(), "logged model finalized")
        client.delete_logged_model(mid)
        wait_for(lambda: not model_page.parent.exists(), "deleted logged model gone")

        # a deleted run disappears
        client.delete_run(other)
        wait_for(lambda: not (site / "experiments" / exp_id / "runs" / other).exists(), "deleted run gone")
    assert w.errors == []


def test_watch_polling_fallback(tmp_path):
    uri = str(tmp_path / "mlruns")
    client = MlflowClient(tracking_uri=uri)
    exp_id = client.create_experiment("polled")
    site = tmp_path / "site"
    with Running(BuildOptions(store=uri, out=str(site), jobs=1), poll=True, interval=0.1) as w:
        rid = client.create_run(exp_id, run_name="p").info.run_id
        client.log_metric(rid, "acc", 0.5, step=1)
        # (step, value) of every point: one read per check (the file may be mid-write at first)
        wait_for(
            lambda: [(p[0], p[2]) for p in run_json(site, exp_id, rid)["metrics"]["acc"]] == [(1, 0.5)], "polled change"
        )
    assert w.errors == []


def test_half_written_data_keeps_previous_pages(tmp_path):
    uri = str(tmp_path / "mlruns")
    client = MlflowClient(tracking_uri=uri)
    exp_id = client.create_experiment("partial")
    rid = client.create_run(exp_id, run_name="steady").info.run_id
    client.log_metric(rid, "loss", 0.5, step=0)
    site = tmp_path / "site"
    with Running(BuildOptions(store=uri, out=str(site), jobs=1)) as w:
        wait_for(lambda: len(run_json(site, exp_id, rid)["metrics"]["loss"]) == 1, "first build")
        metric = tmp_path / "mlruns" / exp_id / rid / "metrics" / "loss"
        with open(metric, "a") as f:  # a line being appended right now
            f.write("1800000000000 0.2")
            f.flush()
            meta = tmp_path / "mlruns" / exp_id / rid / "meta.yaml"
            good = meta.read_text()
            meta.write_text("run_id: " + rid + "\nstatus: [")  # meta.yaml being rewritten
            builds = w.watcher.builds
            wait_for(lambda: w.watcher.builds > builds, "a rebuild during the half-written state")
            assert (site / "experiments" / exp_id / "runs" / rid / "index.html").is_file()
            meta.write_text(good)
            f.write(" 1\n")
        wait_for(lambda: len(run_json(site, exp_id, rid)["metrics"]["loss"]) == 2, "completed line")


def test_preview_server_injects_reload_and_reports_changes(tmp_path):
    uri = str(tmp_path / "mlruns")
    client = MlflowClient(tracking_uri=uri)
    exp_id = client.create_experiment("served")
    rid = client.create_run(exp_id, run_name="s").info.run_id
    site = tmp_path / "site"
    server = PreviewServer(site, port=0)
    with Running(BuildOptions(store=uri, out=str(site), jobs=1)):
        wait_for(lambda: (site / "index.html").is_file(), "first build")
        server.start()
        try:
            page = f"experiments/{exp_id}/runs/{rid}/index.html"
            served = urllib.request.urlopen(server.url + page, timeout=10).read().decode()
            # the reload code is a script file (pages allow no inline script), served apart
            assert '<script src="/__trackreport__/reload.js"></script>' in served
            reload_js = urllib.request.urlopen(server.url + "__trackreport__/reload.js", timeout=10).read()
            assert b"__trackreport__/mtime" in reload_js
            assert "__trackreport__" not in (site / page).read_text()  # the built file has no reload code

            def mtime():
                url = f"{server.url}__trackreport__/mtime?path=/{page}"
                return json.loads(urllib.request.urlopen(url, timeout=10).read())["mtime"]

            before = mtime()
            client.log_metric(rid, "x", 1.0)
            wait_for(lambda: mtime() != before, "page change visible to the reload check")
            outside = urllib.request.Request(server.url + "../../etc/passwd")
            with pytest.raises(urllib.error.HTTPError):
                urllib.request.urlopen(outside, timeout=10)
        finally:
            server.stop()


def test_a_rebuild_names_its_new_warnings():
    """watch printed only a count: a warning that appeared (a hot journal, a damaged file) was
    named only with -v. Now each new one is named once; -v names all every time."""
    from sitegen.commands.watch import WarningLines

    lines = WarningLines()
    assert lines(["a: bad"]) == ["warning: a: bad"]
    assert lines(["a: bad"]) == []  # named once
    assert lines(["a: bad", "b: worse"]) == ["warning: b: worse"]
    assert lines([]) == []
    assert lines(["a: bad"]) == ["warning: a: bad"]  # back again: named again
    many = [f"w{i}" for i in range(25)]
    assert lines(many)[-1] == "... and 5 more new warnings (use -v to see all)" and len(lines(many)) == 0
    verbose = WarningLines(verbose=1)
    assert verbose(["a: bad"]) == verbose(["a: bad"]) == ["warning: a: bad"]
