"""The command line: exit codes, one-line errors, bad input, atomic output, config file."""

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import lonely_run, soon_after

from sitegen import BuildOptions, build
from sitegen.cli import main

ROOT = Path(__file__).parent.parent

REPO = Path(__file__).resolve().parents[1]


def run_cli(*args, cwd=None):
    """The real command in a subprocess: what a user sees on stdout/stderr."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    env.pop("MLFLOW_TRACKING_URI", None)
    return subprocess.run(
        [sys.executable, "-m", "sitegen", *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=300
    )


@pytest.fixture
def file_store(corpus_copy, tmp_path):
    dst = tmp_path / "mlruns"
    shutil.copytree(corpus_copy / "3.17.2" / "file" / "mlruns", dst)
    return dst


def test_help_has_examples_and_exit_codes():
    result = CliRunner().invoke(main, ["build", "--help"])
    assert result.exit_code == 0
    assert "Examples:" in result.output and "Exit codes:" in result.output
    assert "trackreport.yml" in result.output


def test_missing_store_is_one_line_and_exit_2(tmp_path):
    proc = run_cli("build", "--store", str(tmp_path / "nope"), "--out", str(tmp_path / "site"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0 and "store not found" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "site").exists()


@pytest.mark.parametrize(
    "uri",
    [
        "sqlite:///{tmp}/missing.db",
        "sqlite:///{tmp}/garbage.db",
        "postgresql://u:secret@localhost/db",
        "{tmp}/not-a-store",
    ],
)
def test_unreadable_stores_exit_2(tmp_path, uri):
    (tmp_path / "garbage.db").write_bytes(b"this is not a database" * 100)
    (tmp_path / "not-a-store").mkdir()
    (tmp_path / "not-a-store" / "readme.txt").write_text("hi")
    proc = run_cli("build", "--store", uri.format(tmp=tmp_path), "--out", str(tmp_path / "site"))
    assert proc.returncode == 2, proc.stderr
    assert proc.stderr.startswith("error: ") and "Traceback" not in proc.stderr
    assert "secret" not in proc.stderr


def test_no_store_found_says_what_was_tried(tmp_path, monkeypatch):
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    proc = run_cli("build", cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert "$MLFLOW_TRACKING_URI (not set)" in proc.stderr
    assert str(tmp_path / "mlflow.db") in proc.stderr and str(tmp_path / "mlruns") in proc.stderr
    assert "--store" in proc.stderr


def test_summary_plurals_and_unchanged_rebuild(tmp_path):
    from sitegen.builder.pipeline import BuildResult

    one = BuildResult(
        out=tmp_path,
        store_uri="x",
        experiments=1,
        runs=1,
        runs_rendered=1,
        pages=1,
        charts=1,
        artifacts=1,
        seconds=0.5,
        warnings=["w"],
    )
    assert one.summary() == "1 experiment, 1 run, 1 page, 1 chart, 1 artifact in 0.5 s, 1 warning"
    many = BuildResult(
        out=tmp_path,
        store_uri="x",
        experiments=2,
        runs=1200,
        runs_rendered=1200,
        pages=0,
        charts=3,
        artifacts=0,
        seconds=2.0,
    )
    assert many.summary() == "2 experiments, 1,200 runs, 0 pages, 3 charts, 0 artifacts in 2.0 s"
    same = BuildResult(out=tmp_path, store_uri="x", experiments=3, runs=9, seconds=0.1, unchanged=True)
    assert same.summary() == "site unchanged: 3 experiments, 9 runs as before, checked in 0.1 s"


def test_unchanged_rebuild_says_so(file_store, tmp_path):
    out = str(tmp_path / "s")
    first = run_cli("build", "--store", str(file_store), "--out", out)
    again = run_cli("build", "--store", str(file_store), "--out", out)
    assert first.returncode == again.returncode == 0
    assert "site unchanged: 3 experiments, 11 runs as before" in again.stderr.splitlines()[-1]
    assert "site unchanged" not in first.stderr


def test_serve_host(tmp_path):
    """--host: the preview server listens where asked (0.0.0.0 reaches it from elsewhere)."""
    import urllib.request

    from sitegen.preview import PreviewServer

    (tmp_path / "index.html").write_text("<html><body>hi</body></html>")
    server = PreviewServer(tmp_path, 0, "0.0.0.0").start()
    try:
        port = server.httpd.server_address[1]
        assert server.url == f"http://0.0.0.0:{port}/"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/index.html", timeout=10) as r:
            assert b"hi" in r.read()
    finally:
        server.stop()
    help_text = CliRunner().invoke(main, ["serve", "--help"]).output
    assert "--host ADDRESS" in help_text and "0.0.0.0" in help_text
    assert "--host ADDRESS" in CliRunner().invoke(main, ["watch", "--help"]).output


def test_refuses_foreign_output_folder(file_store, tmp_path):
    out = tmp_path / "docs"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    proc = run_cli("build", "--store", str(file_store), "--out", str(out))
    assert proc.returncode == 2 and "not made by trackreport" in proc.stderr
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]


def test_default_store_is_mlruns_in_working_folder(file_store):
    proc = run_cli("build", "-q", cwd=file_store.parent)
    assert proc.returncode == 0, proc.stderr
    assert proc.stderr == "" and proc.stdout == ""
    assert (file_store.parent / "site" / "index.html").is_file()


def test_summary_line(file_store, tmp_path):
    proc = run_cli("build", "--store", str(file_store), "--out", str(tmp_path / "s"))
    assert proc.returncode == 0
    last = proc.stderr.strip().splitlines()[-1]
    assert "3 experiments, 11 runs" in last and "pages" in last and "charts" in last
    assert "artifacts in" in last


def test_corrupt_and_half_written_files_are_warnings(file_store, tmp_path):
    runs = sorted(
        p
        for p in (file_store / "714191891224900804").iterdir()
        if (p / "meta.yaml").is_file() and "stage: active" in (p / "meta.yaml").read_text() and (p / "metrics").is_dir()
    )
    broken_meta = runs[0] / "meta.yaml"
    broken_meta.write_text("artifact_uri: file:///x\nend_time: [unclosed\n")
    metric = next(runs[1].glob("metrics/**/*"))
    while metric.is_dir():
        metric = next(metric.iterdir())
    with open(metric, "a") as f:
        f.write("1700000000000 not-a-number 3\n1700000000001 0.5")  # garbage + partial line
    exp_tag = file_store / "0" / "tags"
    exp_tag.mkdir(exist_ok=True)
    (exp_tag / "bad").write_bytes(b"\xff\xfe\x00binary")
    proc = run_cli("build", "--store", str(file_store), "--out", str(tmp_path / "s"))
    assert proc.returncode == 0, proc.stderr
    assert str(broken_meta) in proc.stderr
    assert str(metric) in proc.stderr and "line" in proc.stderr
    assert "Traceback" not in proc.stderr
    assert "10 runs" in proc.stderr.splitlines()[-1]  # everything else was built
    page = tmp_path / "s" / "experiments" / "714191891224900804" / "runs" / runs[1].name / "index.html"
    assert page.is_file()


def test_failed_build_keeps_previous_site(file_store, tmp_path, monkeypatch):
    out = tmp_path / "site"
    build(BuildOptions(store=str(file_store), out=str(out), jobs=1))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}

    from sitegen.render import pages as render

    def boom(*a, **k):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(render.Pages, "run", boom)
    with pytest.raises(RuntimeError):
        build(BuildOptions(store=str(file_store), out=str(out), jobs=1, clean=True))
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before
    assert [p.name for p in tmp_path.iterdir() if "trackreport-tmp" in p.name] == []


def test_interrupted_swap_is_recovered(file_store, tmp_path):
    out = tmp_path / "site"
    build(BuildOptions(store=str(file_store), out=str(out), jobs=1))
    # Simulate a crash between the two renames of the swap: only the old copy exists.
    old = tmp_path / ".site.trackreport-old-999"
    os.replace(out, old)
    build(BuildOptions(store=str(file_store), out=str(out), jobs=1))
    assert (out / "index.html").is_file() and not old.exists()


def test_internal_error_is_one_line_exit_1(file_store, tmp_path):
    theme = tmp_path / "theme"
    (theme / "templates").mkdir(parents=True)
    (theme / "templates" / "run.html").write_text(
        "{% extends '!default/run.html' %}{% block params %}{{ nope.x }}{% endblock %}"
    )
    proc = run_cli("build", "--store", str(file_store), "--out", str(tmp_path / "s"), "--theme", str(theme))
    assert proc.returncode == 1
    assert proc.stderr.strip().startswith("error: build failed") and "Traceback" not in proc.stderr


def test_user_theme_overrides_a_block(file_store, tmp_path):
    theme = tmp_path / "theme"
    (theme / "templates").mkdir(parents=True)
    (theme / "templates" / "base.html").write_text(
        "{% extends '!default/base.html' %}{% block footer %}Lab of Dr. X{% endblock %}"
    )
    (theme / "static").mkdir()
    (theme / "static" / "extra.css").write_text("body{}")
    build(BuildOptions(store=str(file_store), out=str(tmp_path / "s"), theme=str(theme), jobs=1))
    index = (tmp_path / "s" / "index.html").read_text()
    assert "Lab of Dr. X" in index and "static/app.js" in index
    assert (tmp_path / "s" / "static" / "extra.css").is_file()
    assert (tmp_path / "s" / "static" / "style.css").is_file()


def test_config_file_and_flag_precedence(file_store, tmp_path):
    (tmp_path / "trackreport.yml").write_text(
        f"store: {file_store.name}\nout: from-config\ntitle: Config title\ninclude-deleted: true\n"
    )
    proc = run_cli("build", "-q", "--title", "Flag title", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    index = (tmp_path / "from-config" / "index.html").read_text()
    assert "Flag title" in index and "Config title" not in index
    assert "to-be-deleted" in index  # include-deleted came from the file


def test_bad_config_names_key_and_line(file_store, tmp_path):
    (tmp_path / "trackreport.yml").write_text("store: mlruns\n\nmax-artifact-sise: 5MB\n")
    proc = run_cli("build", cwd=tmp_path)
    assert proc.returncode == 2
    assert "line 3" in proc.stderr and "max-artifact-sise" in proc.stderr
    (tmp_path / "trackreport.yml").write_text("store: mlruns\nmax-artifact-size: lots\n")
    proc = run_cli("build", cwd=tmp_path)
    assert proc.returncode == 2 and "line 2" in proc.stderr and "not a size" in proc.stderr


def test_max_artifact_size_and_symlinks(file_store, tmp_path):
    run = next(p for p in (file_store / "714191891224900804").iterdir() if (p / "artifacts").is_dir())
    (run / "artifacts" / "big.bin").write_bytes(b"\0" * 200_000)
    secret = tmp_path / "secret.txt"
    secret.write_text("ssh key")
    os.symlink(secret, run / "artifacts" / "escape.txt")
    os.symlink("notes.txt", run / "artifacts" / "inside-link.txt")
    result = build(BuildOptions(store=str(file_store), out=str(tmp_path / "s"), jobs=1, max_artifact_size=100_000))
    art = tmp_path / "s" / "experiments" / "714191891224900804" / "runs" / run.name / "artifacts"
    assert not (art / "big.bin").exists()
    assert not (art / "escape.txt").exists()
    assert (art / "inside-link.txt").read_text() == "plain text\n"
    page = (art.parent / "index.html").read_text()
    assert "big.bin" in page and "max-artifact-size" in page
    assert "ssh key" not in "".join(p.read_text(errors="ignore") for p in art.parent.rglob("*") if p.is_file())
    assert any("escape.txt" in w for w in result.warnings)


def test_moved_database_store_uses_artifacts_flag(corpus_copy, tmp_path):
    src = corpus_copy / "3.17.2" / "server"
    (tmp_path / "db").mkdir()
    shutil.copy(src / "mlflow.db", tmp_path / "db" / "mlflow.db")
    shutil.copytree(src / "artifacts", tmp_path / "elsewhere")
    opts = dict(store=f"sqlite:///{tmp_path / 'db' / 'mlflow.db'}", jobs=1)
    without = build(BuildOptions(out=str(tmp_path / "a"), **opts))
    assert without.artifacts == 0 and any("--artifacts" in w for w in without.warnings)
    with_flag = build(BuildOptions(out=str(tmp_path / "b"), artifacts=str(tmp_path / "elsewhere"), **opts))
    assert with_flag.artifacts == 10 and with_flag.warnings == []


def test_incremental_rebuild_touches_only_changed_run(file_store, tmp_path):
    out = tmp_path / "site"
    first = build(BuildOptions(store=str(file_store), out=str(out), jobs=1))
    assert first.runs_rendered == first.runs
    stamp = {p: p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    second = build(BuildOptions(store=str(file_store), out=str(out), jobs=1))
    assert second.runs_rendered == 0
    changed = lonely_run(file_store / "714191891224900804")
    metric = next(p for p in (changed / "metrics").rglob("*") if p.is_file())
    ts = soon_after(metric)
    with open(metric, "a") as f:
        f.write(f"{ts} 0.25 999\n")
    third = build(BuildOptions(store=str(file_store), out=str(out), jobs=1))
    assert third.runs_rendered == 1
    run_dirs = out / "experiments" / "714191891224900804" / "runs"
    for p, t in stamp.items():
        rel = p.relative_to(out)
        in_changed_run = rel.parts[:4] == ("experiments", "714191891224900804", "runs", changed.name)
        listing_page = p.name in ("index.html", ".trackreport-site") and len(rel.parts) <= 3
        comparison_chart = rel.parts[:3] == ("experiments", "714191891224900804", "charts")
        experiment_data = rel.parts[:2] == ("experiments", "714191891224900804") and len(rel.parts) == 3
        if in_changed_run or listing_page or comparison_chart or experiment_data:
            continue
        assert p.stat().st_mtime_ns == t, f"{rel} was rewritten"
    doc = json.loads((run_dirs / changed.name / "run.json").read_text())
    assert [999, ts, 0.25] in doc["metrics"][metric.relative_to(changed / "metrics").as_posix()]


def test_incremental_build_reads_only_changed_run_and_matches_clean_build(file_store, tmp_path, monkeypatch):
    """A new process (a new build() here) reuses unchanged runs from the manifest without
    opening their files, and makes the same pages as a clean build."""
    from sitegen.readers import filestore

    out, clean = tmp_path / "site", tmp_path / "clean"
    build(BuildOptions(store=str(file_store), out=str(out), jobs=1))
    changed = lonely_run(file_store / "714191891224900804")
    metric = next(p for p in (changed / "metrics").rglob("*") if p.is_file())
    ts = soon_after(metric)
    with open(metric, "a") as f:
        f.write(f"{ts} 0.25 999\n")
    (changed / "tags" / "reviewed").write_text("yes <b>really</b>")
    opened: list[Path] = []
    real_open = filestore._load_yaml
    monkeypatch.setattr(
        filestore, "_load_yaml", lambda path, warn, *rest: opened.append(path) or real_open(path, warn, *rest)
    )
    result = build(BuildOptions(store=str(file_store), out=str(out), jobs=1))
    assert result.runs_rendered == 1
    run_metas = [
        p
        for p in opened
        if p.parent.parent.name == "714191891224900804"
        and p.name == "meta.yaml"
        and "lifecycle_stage: deleted" not in p.read_text()
    ]  # hidden runs are not kept
    assert run_metas == [changed / "meta.yaml"], "unchanged runs were read again"
    monkeypatch.undo()
    build(BuildOptions(store=str(file_store), out=str(clean), jobs=1))
    pages = sorted(p.relative_to(clean) for p in clean.rglob("*") if p.is_file() and p.name != ".trackreport-site")
    assert pages == sorted(p.relative_to(out) for p in out.rglob("*") if p.is_file() and p.name != ".trackreport-site")
    for rel in pages:
        assert (out / rel).read_bytes() == (clean / rel).read_bytes(), f"{rel} differs from a clean build"


def test_deleted_run_pages_disappear(file_store, tmp_path):
    out = tmp_path / "site"
    build(BuildOptions(store=str(file_store), out=str(out), jobs=1))
    victim = next(
        p
        for p in (file_store / "714191891224900804").iterdir()
        if (p / "meta.yaml").is_file() and "stage: active" in (p / "meta.yaml").read_text()
    )
    meta = victim / "meta.yaml"
    meta.write_text(meta.read_text().replace("lifecycle_stage: active", "lifecycle_stage: deleted"))
    build(BuildOptions(store=str(file_store), out=str(out), jobs=1))
    assert not (out / "experiments" / "714191891224900804" / "runs" / victim.name).exists()


def test_failed_incremental_build_keeps_previous_site(file_store, tmp_path, monkeypatch):
    out = tmp_path / "site"
    build(BuildOptions(store=str(file_store), out=str(out), jobs=1))
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    run = lonely_run(file_store / "714191891224900804")
    metric = next(p for p in (run / "metrics").rglob("*") if p.is_file())
    ts = soon_after(metric)
    with open(metric, "a") as f:
        f.write(f"{ts} 0.5 1234\n")

    from sitegen.render import pages as render

    def boom(*a, **k):
        raise RuntimeError("renderer exploded")

    monkeypatch.setattr(render.Pages, "experiment", boom)
    with pytest.raises(RuntimeError):
        build(BuildOptions(store=str(file_store), out=str(out), jobs=1))
    after = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    assert after == before  # nothing of the failed build is visible
    monkeypatch.undo()
    result = build(BuildOptions(store=str(file_store), out=str(out), jobs=1))
    assert result.runs_rendered == 1


def test_interrupted_incremental_build_is_cleaned_up(file_store, tmp_path):
    out = tmp_path / "site"
    build(BuildOptions(store=str(file_store), out=str(out), jobs=1))
    runs = sorted((out / "experiments" / "714191891224900804" / "runs").iterdir())
    # what a build killed during its commit leaves: a staged copy, a temporary page, a run
    # folder moved aside whose replacement never arrived, and the in-progress marker
    shutil.copytree(runs[0], runs[0].with_name(f".{runs[0].name}.trackreport-stage"))
    (out / "index.html.trackreport-part").write_text("half")
    os.replace(runs[1], runs[1].with_name(f".{runs[1].name}.trackreport-old"))
    (out / ".trackreport-building").write_text("123")
    build(BuildOptions(store=str(file_store), out=str(out), jobs=1))
    leftovers = [p for p in out.rglob("*") if "trackreport-" in p.name and p.name != ".trackreport-site"]
    assert leftovers == []
    assert (runs[1] / "index.html").is_file()


def test_an_output_folder_that_cannot_be_made_is_exit_2(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    res = CliRunner().invoke(main, ["build", "--store", str(ROOT / "sample_mlruns"), "--out", str(blocker / "site")])
    assert res.exit_code == 2, res.output
    assert res.output.startswith(f"error: cannot use {blocker / 'site'} as the output folder: ")


@pytest.mark.parametrize("code", ["ENOSPC", "EROFS", "EACCES"])
def test_a_full_or_read_only_disk_is_exit_2_not_an_internal_error(tmp_path, monkeypatch, code):
    import errno

    from sitegen.builder import pipeline

    def full(*a, **k):
        raise OSError(getattr(errno, code), os.strerror(getattr(errno, code)), str(tmp_path / "site" / "x.html"))

    monkeypatch.setattr(pipeline, "build", full)
    res = CliRunner().invoke(main, ["build", "--store", str(ROOT / "sample_mlruns"), "--out", str(tmp_path / "site")])
    assert res.exit_code == 2
    reason, path = os.strerror(getattr(errno, code)), tmp_path / "site" / "x.html"
    assert res.output == f"error: {reason}: {path}; the previous site was left as it was\n"


def test_a_sqlite_file_given_as_a_folder_gets_a_hint(tmp_path):
    import sqlite3

    sqlite3.connect(tmp_path / "mlflow.db").execute("CREATE TABLE t (x)")
    res = CliRunner().invoke(main, ["build", "--store", str(tmp_path / "mlflow.db"), "--out", str(tmp_path / "s")])
    assert res.exit_code == 2
    assert f"(a SQLite database: use --store sqlite:///{tmp_path / 'mlflow.db'})" in res.output
