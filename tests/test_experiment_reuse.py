"""An experiment page redone because one of its runs changed reuses the last build's work for
the others: comparison charts whose runs are unchanged are kept (their histories are not even
read), and so are the runs table's rows of unchanged runs. Either way the site is the same as a
clean build's."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from sitecheck import site_files

from sitegen import BuildOptions, build
from sitegen.readers import filemetrics
from sitegen.render.pages import RunRows
from sitegen.render.text import when

mlflow = pytest.importorskip("mlflow")
from mlflow.tracking import MlflowClient  # noqa: E402

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
RUNS = 13  # more than the 10 latest runs a comparison chart shows


@pytest.fixture
def store(tmp_path):
    """13 runs of one experiment logging loss and accuracy, started one second apart."""
    root = tmp_path / "mlruns"
    client = MlflowClient(tracking_uri=str(root))
    exp_id = client.create_experiment("compare", artifact_location=str(tmp_path / "artifacts"))
    run_ids = []
    for i in range(RUNS):
        run = client.create_run(exp_id, start_time=1_700_000_000_000 + i * 1000, run_name=f"r{i:02d}")
        for step in range(5):
            client.log_metric(run.info.run_id, "loss", 1.0 / (i + step + 1), step=step)
            client.log_metric(run.info.run_id, "accuracy", 0.5 + 0.01 * (i + step), step=step)
        client.set_terminated(run.info.run_id)
        run_ids.append(run.info.run_id)
    return root, client, exp_id, run_ids  # run_ids[0] is the oldest, outside every chart


def _same_as_clean_build(root: Path, out: Path, tmp_path: Path) -> None:
    clean = tmp_path / "clean"
    shutil.rmtree(clean, ignore_errors=True)
    build(BuildOptions(store=str(root), out=str(clean), jobs=1))
    got, want = site_files(out), site_files(clean)
    assert sorted(got) == sorted(want)
    for rel in want:
        assert got[rel] == want[rel], f"{rel} differs from a clean build"


def _histories_read(monkeypatch) -> list[str]:
    """Run ids whose metric files are read in full."""
    seen: list[str] = []
    real = filemetrics.read_metrics
    monkeypatch.setattr(
        filemetrics, "read_metrics", lambda folder, warn: seen.append(folder.parent.name) or real(folder, warn)
    )
    return seen


def _charts(out: Path, exp_id: str) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (out / "experiments" / exp_id / "charts").iterdir()}


def test_unchanged_comparisons_are_kept_without_reading_histories(store, tmp_path, monkeypatch):
    root, client, exp_id, run_ids = store
    out = tmp_path / "site"
    build(BuildOptions(store=str(root), out=str(out), jobs=1))
    before = _charts(out, exp_id)
    assert len(before) == 2  # loss and accuracy
    client.log_metric(run_ids[0], "loss", 0.01, step=5)  # the oldest run: in no chart
    read = _histories_read(monkeypatch)
    result = build(BuildOptions(store=str(root), out=str(out), jobs=1))
    assert result.runs_rendered == 1 and result.charts == 2  # the run's own two charts
    assert read == [run_ids[0]], "compared runs' histories were read again"
    assert _charts(out, exp_id) == before, "kept comparison charts were rewritten"
    monkeypatch.undo()
    _same_as_clean_build(root, out, tmp_path)


def test_a_changed_compared_run_redraws_its_charts(store, tmp_path, monkeypatch):
    root, client, exp_id, run_ids = store
    out = tmp_path / "site"
    build(BuildOptions(store=str(root), out=str(out), jobs=1))
    charts_dir = out / "experiments" / exp_id / "charts"
    before = {p.name: p.read_bytes() for p in charts_dir.iterdir()}
    client.log_metric(run_ids[-1], "loss", 5.0, step=9)  # the newest run: in both charts
    read = _histories_read(monkeypatch)
    result = build(BuildOptions(store=str(root), out=str(out), jobs=1))
    assert result.charts == 2 + 2  # its own two, both comparisons
    assert sorted(set(read)) == sorted(run_ids[-10:])  # the ten compared runs
    after = {p.name: p.read_bytes() for p in charts_dir.iterdir()}
    assert after.keys() == before.keys() and after != before
    monkeypatch.undo()
    _same_as_clean_build(root, out, tmp_path)


def test_deleted_compared_run_and_stale_manifest_entries(store, tmp_path):
    root, client, exp_id, run_ids = store
    out = tmp_path / "site"
    build(BuildOptions(store=str(root), out=str(out), jobs=1))
    client.delete_run(run_ids[-1])  # r02 now joins the charts
    build(BuildOptions(store=str(root), out=str(out), jobs=1))
    _same_as_clean_build(root, out, tmp_path)
    compared = (out / "experiments" / exp_id / "index.html").read_text().split('id="compare"')[1]
    assert ">r02<" in compared and ">r12<" not in compared and ">r01<" not in compared
    # A chart image that went missing from the site is drawn again, not linked dead.
    chart = next((out / "experiments" / exp_id / "charts").iterdir())
    chart.unlink()
    client.log_metric(run_ids[1], "accuracy", 0.1, step=6)  # r01: in no chart
    build(BuildOptions(store=str(root), out=str(out), jobs=1))
    assert chart.is_file()
    _same_as_clean_build(root, out, tmp_path)


def test_runs_table_rows_of_unchanged_runs_are_kept(store, tmp_path, monkeypatch):
    root, client, exp_id, run_ids = store
    out = tmp_path / "site"
    build(BuildOptions(store=str(root), out=str(out), jobs=1))
    rendered: list[str] = []
    real = RunRows.get
    monkeypatch.setattr(
        RunRows,
        "get",
        lambda self, run, place, render: real(self, run, place, lambda: rendered.append(run.run_id) or render()),
    )
    client.set_tag(run_ids[3], "reviewed", "<b>yes</b>")
    client.set_terminated(run_ids[4], status="FAILED")
    build(BuildOptions(store=str(root), out=str(out), jobs=1))
    assert sorted(rendered) == sorted(run_ids[3:5])
    rendered.clear()
    client.log_param(run_ids[5], "lr", "0.1")  # a new column: every row changes
    build(BuildOptions(store=str(root), out=str(out), jobs=1))
    assert sorted(rendered) == sorted(run_ids)
    monkeypatch.undo()
    _same_as_clean_build(root, out, tmp_path)
    page = (out / "experiments" / exp_id / "index.html").read_text()
    assert page.count('data-status="failed"') == 1 and page.count("<tr class=") == RUNS


def test_unchanged_run_keeps_its_last_logged_time(store, tmp_path):
    """A run whose last point has a lower step than its latest one (logged out of order):
    its time of last activity survives in the manifest, as a clean build shows it."""
    root, client, exp_id, run_ids = store
    other = client.create_experiment("out of order", artifact_location=str(tmp_path / "artifacts2"))
    run = client.create_run(other, start_time=1_700_000_000_000)  # left RUNNING
    late = 1_900_000_900_000  # later than anything else in the store
    client.log_metric(run.info.run_id, "loss", 0.5, step=5, timestamp=late - 800_000)
    client.log_metric(run.info.run_id, "loss", 0.7, step=3, timestamp=late)
    out = tmp_path / "site"
    build(BuildOptions(store=str(root), out=str(out), jobs=1))
    client.log_metric(run_ids[0], "loss", 0.01, step=5)  # another experiment changes
    build(BuildOptions(store=str(root), out=str(out), jobs=1))
    _same_as_clean_build(root, out, tmp_path)
    assert f'title="{when(late)}"' in (out / "index.html").read_text()
