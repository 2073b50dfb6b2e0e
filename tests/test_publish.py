"""publish with real git and a local bare repository as the remote."""

import shutil
import subprocess

import pytest
from click.testing import CliRunner
from conftest import lonely_run, soon_after

from sitegen import BuildOptions, build
from sitegen.cli import main
from sitegen.publish import EXIT_REJECTED, pages_url, publish

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")


def git(cwd, *args, check=True):
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {args}: {proc.stderr}")
    return proc.stdout.strip()


@pytest.fixture
def project(tmp_path, corpus_copy):
    """A user's repository with a remote, uncommitted edits and a stash; a store outside it."""
    remote = tmp_path / "remote.git"
    git(tmp_path, "init", "-q", "--bare", str(remote))
    work = tmp_path / "work"
    work.mkdir()
    git(work, "init", "-q", "-b", "main")
    git(work, "config", "user.name", "Ada")
    git(work, "config", "user.email", "ada@example.org")
    (work / "train.py").write_text("print('v1')\n")
    (work / ".gitignore").write_text("site/\n")
    git(work, "add", ".")
    git(work, "commit", "-q", "-m", "code")
    git(work, "remote", "add", "origin", str(remote))
    git(work, "push", "-q", "origin", "main")
    (work / "train.py").write_text("print('v2, stashed')\n")
    git(work, "stash", "-q")
    (work / "train.py").write_text("print('v3, uncommitted')\n")
    (work / "notes.txt").write_text("untracked\n")
    git(work, "add", "notes.txt")
    store = tmp_path / "mlruns"
    shutil.copytree(corpus_copy / "3.17.2" / "file" / "mlruns", store)
    return work, remote, store


def push_their_commit(tmp_path, bare):
    """Someone else adds a commit to the gh-pages branch of ``bare``."""
    other = tmp_path / f"other-{bare.name}"
    git(tmp_path, "clone", "-q", "-b", "gh-pages", str(bare), str(other))
    (other / "extra.html").write_text("x")
    git(other, "add", ".")
    git(other, "-c", "user.name=B", "-c", "user.email=b@x", "commit", "-q", "-m", "theirs")
    git(other, "push", "-q", "origin", "gh-pages")


def user_state(work):
    return (
        git(work, "status", "--porcelain=v1", "--branch"),
        git(work, "rev-parse", "HEAD"),
        git(work, "stash", "list"),
        (work / "train.py").read_text(),
        git(work, "diff", "--cached"),
        git(work, "symbolic-ref", "HEAD"),
    )


def test_publish_twice_then_rejected(project, tmp_path):
    work, remote, store = project
    site = work / "site"
    before = user_state(work)
    runner = CliRunner()

    result = runner.invoke(
        main, ["publish", "--store", str(store), "--out", str(site), "--repo", str(work), "-m", "first"]
    )
    assert result.exit_code == 0, result.output
    assert user_state(work) == before
    files = git(remote, "ls-tree", "-r", "--name-only", "gh-pages").splitlines()
    assert ".nojekyll" in files and "index.html" in files
    assert ".trackreport-site" not in files  # our bookkeeping stays local
    assert not any("mlruns" in f for f in files)  # never the store
    assert git(remote, "rev-list", "--count", "gh-pages") == "1"
    assert "Settings → Pages" in result.output

    # one run changes: one commit, touching that run's files and the pages listing it
    exp = "714191891224900804"
    run_dir = lonely_run(store / exp)
    metric = next(p for p in (run_dir / "metrics").rglob("*") if p.is_file())
    ts = soon_after(metric)
    with open(metric, "a") as f:
        f.write(f"{ts} 0.125 777\n")
    result = runner.invoke(
        main, ["publish", "--store", str(store), "--out", str(site), "--repo", str(work), "-m", "second"]
    )
    assert result.exit_code == 0, result.output
    assert git(remote, "rev-list", "--count", "gh-pages") == "2"
    changed = git(remote, "diff", "--name-only", "gh-pages~1", "gh-pages").splitlines()
    assert changed and all(
        c.startswith(f"experiments/{exp}/runs/{run_dir.name}/")
        or c in (f"experiments/{exp}/index.html", "index.html")
        or c in (f"experiments/{exp}/runs.js", f"experiments/{exp}/runs.csv")  # the experiment's data
        or c.startswith(f"experiments/{exp}/charts/")
        for c in changed
    ), changed
    assert f"experiments/{exp}/runs/{run_dir.name}/run.json" in changed
    assert user_state(work) == before

    # nothing changed: no empty commit
    result = runner.invoke(main, ["publish", "--out", str(site), "--repo", str(work), "--no-build"])
    assert result.exit_code == 0 and "nothing changed" in result.output
    assert git(remote, "rev-list", "--count", "gh-pages") == "2"

    # someone else pushed to the branch meanwhile (our local branch is only behind):
    # the publish goes on top of theirs, keeping the remote's history
    push_their_commit(tmp_path, remote)
    with open(metric, "a") as f:
        f.write("1900000000001 0.1 778\n")
    build(BuildOptions(store=str(store), out=str(site), jobs=1))
    publish(site, repo=work)
    log = git(remote, "log", "--format=%s", "gh-pages").splitlines()
    assert log[:2] == ["Update trackreport site", "theirs"]
    assert user_state(work) == before


def test_rejected_push_exits_3_and_restores_branch(project, tmp_path):
    work, remote, store = project
    site = tmp_path / "site"
    build(BuildOptions(store=str(store), out=str(site), jobs=1))
    publish(site, repo=work)
    # The repository we push to has moved on in a way our fetch cannot see (a push URL
    # different from the fetch URL: the same situation as a race with another publisher).
    pushed_to = tmp_path / "push-target.git"
    git(tmp_path, "clone", "-q", "--bare", str(remote), str(pushed_to))
    push_their_commit(tmp_path, pushed_to)
    git(work, "remote", "set-url", "--push", "origin", str(pushed_to))
    (site / "local.html").write_text("mine")
    local = git(work, "rev-parse", "gh-pages")
    before = user_state(work)
    result = CliRunner().invoke(main, ["publish", "--out", str(site), "--no-build", "--repo", str(work)])
    assert result.exit_code == EXIT_REJECTED, result.output
    assert "rejected" in result.output and "--force" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert git(work, "rev-parse", "gh-pages") == local  # local branch as it was
    assert user_state(work) == before
    # --force overwrites
    result = CliRunner().invoke(main, ["publish", "--out", str(site), "--no-build", "--repo", str(work), "--force"])
    assert result.exit_code == 0, result.output
    assert "local.html" in git(pushed_to, "ls-tree", "-r", "--name-only", "gh-pages")


def test_cname_and_errors(project, tmp_path):
    work, remote, store = project
    site = tmp_path / "site"
    build(BuildOptions(store=str(store), out=str(site), jobs=1))
    r = publish(site, repo=work, cname="results.example.org")
    assert git(remote, "show", "gh-pages:CNAME").strip() == "results.example.org"
    assert r.url == "https://results.example.org/"
    runner = CliRunner()
    res = runner.invoke(main, ["publish", "--out", str(site), "--no-build", "--repo", str(tmp_path)])
    assert res.exit_code == 2 and "not inside a git repository" in res.output
    res = runner.invoke(main, ["publish", "--out", str(site), "--no-build", "--repo", str(work), "--remote", "nope"])
    assert res.exit_code == 2 and "no remote named 'nope'" in res.output
    git(work, "remote", "add", "broken", str(tmp_path / "missing.git"))
    res = runner.invoke(main, ["publish", "--out", str(site), "--no-build", "--repo", str(work), "--remote", "broken"])
    assert res.exit_code == 4 and len(res.output.strip().splitlines()) == 1


def test_too_large_file_is_refused(project, tmp_path):
    work, remote, store = project
    site = tmp_path / "site"
    build(BuildOptions(store=str(store), out=str(site), jobs=1))
    big = site / "experiments" / "huge.bin"
    with open(big, "wb") as f:
        f.truncate(101 * 1000 * 1000)  # sparse: 101 MB on paper, nothing on disk
    res = CliRunner().invoke(main, ["publish", "--out", str(site), "--no-build", "--repo", str(work)])
    assert res.exit_code == 2
    assert "experiments/huge.bin" in res.output and "--max-artifact-size" in res.output
    assert git(remote, "branch", "--list", "gh-pages") == ""


@pytest.mark.parametrize(
    "url, expected",
    [
        ("git@github.com:ada/results.git", "https://ada.github.io/results/"),
        ("https://github.com/Ada/results", "https://ada.github.io/results/"),
        ("https://github.com/ada/ada.github.io.git", "https://ada.github.io/"),
        ("/srv/git/results.git", None),
    ],
)
def test_pages_url(url, expected):
    assert pages_url(url) == expected


def test_fresh_replaces_the_branch_history(project, tmp_path):
    """--fresh: one commit holding the site, force-pushed; nothing of earlier publishes is in
    the branch's history, and the user's working tree is untouched."""
    work, remote, store = project
    site = tmp_path / "site"
    build(BuildOptions(store=str(store), out=str(site), jobs=1))
    publish(site, repo=work)
    (site / "leak.txt").write_text("token-that-was-pushed-by-mistake")
    publish(site, repo=work)
    assert git(remote, "rev-list", "--count", "gh-pages") == "2"
    (site / "leak.txt").unlink()
    before = user_state(work)
    result = CliRunner().invoke(main, ["publish", "--out", str(site), "--repo", str(work), "--no-build", "--fresh"])
    assert result.exit_code == 0, result.output
    assert git(remote, "rev-list", "--count", "gh-pages") == "1"
    history = git(remote, "log", "-p", "--all", "--format=%H", "gh-pages")
    assert "token-that-was-pushed-by-mistake" not in history
    assert "index.html" in git(remote, "ls-tree", "-r", "--name-only", "gh-pages")
    assert user_state(work) == before
