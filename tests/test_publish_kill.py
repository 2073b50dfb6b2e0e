"""publish interrupted at each of its steps: killed with -9 (sitegen.process.checkpoint, driven by
TRACKREPORT_TEST_KILL_AT=name[:n]) and stopped by SIGTERM or SIGINT (the same hook with
``@pause``: the command stops at the point, says so on stderr and waits for the test's signal).

After each interruption: the user's repository is as it was (status, HEAD, current branch,
stash, index, uncommitted edits, other refs; no lock file in .git); the gh-pages branch and the
remote are each either the old commit or the complete new site; the site folder holds the old
site (build interrupted) or the new one; the marker file is in no commit; and the next publish
puts exactly one complete commit on the remote, after which a publish adds nothing."""

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from sitecheck import site_files

from sitegen import BuildOptions, build
from sitegen.cli import main
from sitegen.publish import publish
from sitegen.writer import MARKER, recover

pytestmark = pytest.mark.skipif(shutil.which("git") is None, reason="git not installed")

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "sample_mlruns"
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}  # the CLI runs this checkout's code


def git(cwd, *args, check=True):
    proc = subprocess.run(["git", *args], cwd=cwd, capture_output=True, text=True)
    if check and proc.returncode != 0:
        raise AssertionError(f"git {args}: {proc.stderr}")
    return proc.stdout.strip()


@pytest.fixture(scope="module")
def sites(tmp_path_factory):
    """The store (one run has a new point), the site before that point and the site after it.
    (A private copy of the theme, and of the sites: a build hard-links the theme's files, which
    other work in this checkout may be editing.)"""
    base = tmp_path_factory.mktemp("sites")
    theme = base / "theme"
    shutil.copytree(ROOT / "themes" / "default", theme)
    store = base / "mlruns"
    shutil.copytree(SAMPLE, store)
    build(BuildOptions(store=str(store), out=str(base / "built"), jobs=1, theme=str(theme)))
    shutil.copytree(base / "built", base / "old")
    metric = sorted(store.glob("*/*/metrics/*"))[0]
    last = metric.read_text().split()
    with open(metric, "a") as f:
        f.write(f"{int(last[-3]) + 1000} 0.5 {int(last[-1]) + 1}\n")
    build(BuildOptions(store=str(store), out=str(base / "built"), jobs=1, theme=str(theme)))
    shutil.copytree(base / "built", base / "new")
    assert site_files(base / "old") != site_files(base / "new")
    return store, theme, base / "old", base / "new"


class Project:
    """A user's repository (uncommitted, staged and untracked edits, a stash) with a bare remote,
    the old site already published from ``site``."""

    def __init__(self, tmp_path: Path, sites):
        self.store, self.theme, self.old_site, self.new_site = sites
        self.remote = tmp_path / "remote.git"
        git(tmp_path, "init", "-q", "--bare", str(self.remote))
        self.work = work = tmp_path / "work"
        work.mkdir()
        git(work, "init", "-q", "-b", "main")
        git(work, "config", "user.name", "Ada")
        git(work, "config", "user.email", "ada@example.org")
        (work / "train.py").write_text("print('v1')\n")
        git(work, "add", ".")
        git(work, "commit", "-q", "-m", "code")
        git(work, "remote", "add", "origin", str(self.remote))
        git(work, "push", "-q", "origin", "main")
        (work / "train.py").write_text("print('v2, stashed')\n")
        git(work, "stash", "-q")
        (work / "train.py").write_text("print('v3, uncommitted')\n")
        (work / "staged.txt").write_text("staged\n")
        git(work, "add", "staged.txt")
        (work / "untracked.txt").write_text("untracked\n")
        self.site = tmp_path / "site"
        shutil.copytree(self.old_site, self.site)
        publish(self.site, repo=work)
        self.old = git(work, "rev-parse", "gh-pages")
        assert git(self.remote, "rev-parse", "gh-pages") == self.old
        self.user = self.user_state()

    def use_new_site(self) -> None:
        shutil.rmtree(self.site)
        shutil.copytree(self.new_site, self.site)

    def user_state(self):
        work = self.work
        other_refs = [
            r
            for r in git(work, "for-each-ref", "--format=%(refname) %(objectname)").splitlines()
            if not r.startswith(("refs/heads/gh-pages ", "refs/remotes/origin/gh-pages ", "refs/trackreport/"))
        ]
        return {
            "status": git(work, "status", "--porcelain=v1", "--branch", "--untracked-files=all"),
            "HEAD": git(work, "rev-parse", "HEAD"),
            "branch": git(work, "symbolic-ref", "HEAD"),
            "stash": git(work, "stash", "list", "--format=%H %s"),
            "index": git(work, "ls-files", "--stage"),
            "unstaged": git(work, "diff"),
            "staged": git(work, "diff", "--cached"),
            "train.py": (work / "train.py").read_text(),
            "refs": other_refs,
        }

    def locks(self) -> list[str]:
        """Lock files in .git, and crash reports (what git fast-import leaves when its input ends early)."""
        found = [*(self.work / ".git").rglob("*.lock"), *(self.work / ".git").glob("fast_import_crash_*")]
        return [str(p.relative_to(self.work)) for p in found]

    def tip(self, where: str) -> str:
        repo = self.work if where == "local" else self.remote
        return git(repo, "rev-parse", "gh-pages")

    def differs(self, rev: str, site: Path) -> list[str]:
        """Where commit ``rev``'s tree is not exactly ``site`` (its files, byte for byte, without
        the marker) plus the .nojekyll file: the paths that differ, none if it is."""
        tree = {}
        for line in git(self.work, "ls-tree", "-r", rev).splitlines():
            meta, _, path = line.partition("\t")
            tree[path] = meta.split()[2]
        files = sorted(site_files(site))
        proc = subprocess.run(
            ["git", "hash-object", "--no-filters", "--stdin-paths"],
            cwd=self.work,
            input="".join(f"{site / f}\n" for f in files),
            capture_output=True,
            text=True,
            check=True,
        )
        hashed = dict(zip(files, proc.stdout.split()))
        empty = subprocess.run(["git", "hash-object", "--stdin"], cwd=self.work, input="", capture_output=True)
        hashed[".nojekyll"] = empty.stdout.decode().strip()
        return sorted(p for p in set(tree) | set(hashed) if tree.get(p) != hashed.get(p))

    def check_no_marker(self) -> None:
        """The marker (store location, the build's manifest) is in no commit of either branch."""
        marker = git(self.work, "hash-object", "--no-filters", str(self.site / MARKER))
        for repo in (self.work, self.remote):
            for line in git(repo, "log", "--format=%H", "gh-pages").splitlines():
                listing = git(repo, "ls-tree", "-r", line)
                assert MARKER not in listing and marker not in listing


@pytest.fixture
def project(tmp_path, sites):
    return Project(tmp_path, sites)


def _cli(project: Project, build_first: bool, at: str, **popen) -> subprocess.Popen:
    args = ["publish", "--out", str(project.site), "--repo", str(project.work)]
    args += ["--store", str(project.store), "--theme", str(project.theme), "-j", "1"] if build_first else ["--no-build"]
    return subprocess.Popen(
        [sys.executable, "-m", "sitegen", *args],
        env={**ENV, "TRACKREPORT_TEST_KILL_AT": at},
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        **popen,
    )


def _new_site(project: Project, build_first: bool) -> Path:
    """The complete new site: the one built beforehand, or the one the command built (the theme
    in this checkout may be edited meanwhile: a build now is the reference, not one made before)."""
    if not build_first:
        assert site_files(project.site) == site_files(project.new_site)  # publish never changes it
        return project.new_site
    assert site_files(project.site) != site_files(project.old_site)
    return project.site


def _scratch_left(project: Project) -> str:
    """The commit git fast-import makes after the publish that started it was killed (it reads
    its input to the end, commits and exits, on its own): waited for."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        found = git(project.work, "for-each-ref", "--format=%(objectname)", "refs/trackreport/")
        if found:
            return found
        time.sleep(0.05)
    raise AssertionError("git fast-import made no commit on a scratch ref")


def _check_after(project: Project, build_first: bool, local: str, remote: str, site: str) -> None:
    """The state right after the interruption: ``old`` or ``new`` for each place."""
    assert project.user_state() == project.user, "the user's repository changed"
    assert project.locks() == []
    recover(project.site)  # what the next command does first
    if site == "old":
        assert site_files(project.site) == site_files(project.old_site), "the previous site changed"
    else:
        new_site = _new_site(project, build_first)
    for where, want in (("local", local), ("remote", remote)):
        tip = project.tip(where)
        if want == "old":
            assert tip == project.old, f"the {where} branch moved"
        else:
            assert tip != project.old, f"the {where} branch did not move"
            assert project.differs(tip, new_site) == [], f"{where}: not the complete new site"
            assert git(project.work, "rev-parse", f"{tip}^") == project.old
    project.check_no_marker()


def _check_next_publish(project: Project, build_first: bool) -> None:
    """The next publish finishes the job: one complete new commit on the remote, the local
    branch equal to it, nothing of trackreport's left in .git; a publish after it adds nothing."""
    args = ["publish", "--out", str(project.site), "--repo", str(project.work)]
    args += ["--store", str(project.store), "--theme", str(project.theme), "-j", "1"] if build_first else ["--no-build"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    tip = project.tip("remote")
    assert project.differs(tip, _new_site(project, build_first)) == []
    assert git(project.remote, "rev-list", "--count", f"{project.old}..gh-pages") == "1"
    assert project.tip("local") == tip
    assert git(project.work, "for-each-ref", "refs/trackreport/") == ""
    assert project.user_state() == project.user and project.locks() == []
    project.check_no_marker()
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and "nothing changed" in again.output, again.output
    assert project.tip("remote") == tip and project.tip("local") == tip


# (checkpoint, does the killed command build first, then: local branch, remote branch, site folder)
KILLS = [
    ("rendered", True, "old", "old", "old"),  # the build is interrupted
    ("publish-built", True, "old", "old", "new"),
    ("publish-stream:3", False, "old", "old", "new"),  # while writing fast-import's input
    ("publish-importing", False, "old", "old", "new"),  # while git fast-import runs
    ("publish-streamed", False, "old", "old", "new"),  # the commit is made, no branch points to it
    ("publish-committed", False, "new", "old", "new"),  # before the push
    ("publish-pushed", False, "new", "new", "new"),
]


@pytest.mark.parametrize("at, build_first, local, remote, site", KILLS, ids=[k[0] for k in KILLS])
def test_publish_killed(project, at, build_first, local, remote, site):
    if not build_first:
        project.use_new_site()
    proc = _cli(project, build_first, at)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == -signal.SIGKILL, f"not killed at {at}: {err}"
    if at == "publish-importing":  # git fast-import, left running, commits the whole site on a ref
        scratch = _scratch_left(project)  # of ours that no branch points to
        assert project.differs(scratch, project.new_site) == []
    else:
        assert git(project.work, "for-each-ref", "refs/trackreport/") == ""
    _check_after(project, build_first, local, remote, site)
    _check_next_publish(project, build_first)


SIGNALS = [
    (signal.SIGTERM, "rendered", True, "old", "old", "old"),
    (signal.SIGINT, "rendered", True, "old", "old", "old"),
    (signal.SIGINT, "publish-built", True, "old", "old", "new"),
    (signal.SIGTERM, "publish-stream:2", False, "old", "old", "new"),
    (signal.SIGTERM, "publish-committed", False, "new", "old", "new"),
]


@pytest.mark.parametrize(
    "sig, at, build_first, local, remote, site", SIGNALS, ids=[f"{s[0].name}-{s[1]}" for s in SIGNALS]
)
def test_publish_signalled(project, sig, at, build_first, local, remote, site):
    """SIGTERM (systemd, Docker, CI cancellation) or SIGINT (Ctrl-C) at a step: exit code 130 and
    one line, no traceback; then the same guarantees as after a kill."""
    if not build_first:
        project.use_new_site()
    proc = _cli(project, build_first, f"{at}@pause")
    try:
        seen = []
        while not any("paused" in line for line in seen):  # blocks until the command is at the point
            line = proc.stderr.readline()
            assert line, f"the command ended before {at}: {seen}"
            seen.append(line)
        proc.send_signal(sig)
        _, rest = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert proc.returncode == 130, rest
    lines = rest.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("interrupted"), rest
    assert "Traceback" not in rest
    _check_after(project, build_first, local, remote, site)
    _check_next_publish(project, build_first)


@pytest.mark.parametrize("lock", ["refs/heads/gh-pages.lock", "refs/remotes/origin/gh-pages.lock", "packed-refs.lock"])
def test_a_lock_git_left_is_named_not_removed(project, lock):
    """A git killed with -9 while updating a ref leaves ``<ref>.lock``: publish stops before
    touching anything, names the file and what to do, and leaves it (it cannot know no git is
    running); once the user removed it, publish works."""
    project.use_new_site()
    path = project.work / ".git" / lock
    path.write_text("")
    args = ["publish", "--out", str(project.site), "--repo", str(project.work), "--no-build"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 2, result.output
    assert len(result.output.strip().splitlines()) == 1 and str(path) in result.output
    assert "remove" in result.output and "Traceback" not in result.output
    assert path.exists()
    assert project.tip("local") == project.old and project.tip("remote") == project.old
    assert project.user_state() == project.user
    path.unlink()
    _check_next_publish(project, build_first=False)


def test_an_index_lock_stays_and_what_a_killed_publish_left_goes(project):
    """publish never uses the index, so a stale index.lock (a git killed in the user's working
    tree) neither stops it nor is touched by it. A scratch ref a killed publish left (under
    refs/trackreport/, no branch) the next publish removes."""
    project.use_new_site()
    lock = project.work / ".git" / "index.lock"
    lock.write_text("")
    git(project.work, "update-ref", "refs/trackreport/publish-999999", project.old)
    args = ["publish", "--out", str(project.site), "--repo", str(project.work), "--no-build"]
    result = CliRunner().invoke(main, args)
    assert result.exit_code == 0, result.output
    assert lock.exists()
    assert project.differs(project.tip("remote"), project.new_site) == []
    assert git(project.work, "for-each-ref", "refs/trackreport/") == ""
    lock.unlink()
    assert project.locks() == [] and project.user_state() == project.user
