"""kill -9 at every step of a build: the previous site stays exactly as it was, and the next build
recovers with no manual step and makes the same site as a clean build.

After a kill, the next build (and serve and publish) first rolls back what the killed one left
half-done (sitegen.writer.recover); the test checks the folder right after that. The build kills
itself at named points (sitegen.writer.checkpoint, enabled by the environment
variable TRACKREPORT_TEST_KILL_AT=name[:n]): after reading the store, after rendering, at the
start of the commit, at each step of an incremental commit and after it is committed, and
between the two renames of a full build's swap."""

import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from sitecheck import site_files as _all_files

from sitegen import BuildOptions, build
from sitegen.writer import recover

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "sample_mlruns"
# The killed build runs this checkout's code, as the in-process builds of the test do (an
# installed copy has another theme, hence another site key: its build would start afresh).
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}


def site_files(site: Path) -> dict[str, bytes]:
    """The site as a reader sees it: its pages and files, not a build's bookkeeping (staging
    copies, parts, the journal: what the next build's recovery clears)."""
    return {rel: data for rel, data in _all_files(site).items() if ".trackreport-" not in rel}


def _touch_run(store: Path) -> None:
    """One more point for one run (an incremental build redoes its folder and the pages listing it)."""
    metric = sorted(store.glob("*/*/metrics/*"))[0]
    last = metric.read_text().split()
    with open(metric, "a") as f:
        f.write(f"{int(last[-3]) + 1000} 0.5 {int(last[-1]) + 1}\n")


def _killed_build(store: Path, out: Path, at: str) -> int:
    env = {**ENV, "TRACKREPORT_TEST_KILL_AT": at}
    proc = subprocess.run(
        [sys.executable, "-m", "sitegen", "build", "--store", str(store), "--out", str(out), "-j", "1", "-q"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    return proc.returncode


POINTS = ["read", "rendered", "commit", "commit-step:1", "commit-step:2", "commit-step:3", "commit-step:4", "committed"]


@pytest.mark.parametrize("at", POINTS)
def test_incremental_build_killed(tmp_path, at):
    store = tmp_path / "mlruns"
    shutil.copytree(SAMPLE, store)
    out = tmp_path / "site"
    build(BuildOptions(store=str(store), out=str(out), jobs=1))
    before = site_files(out)
    _touch_run(store)
    code = _killed_build(store, out, at)
    assert code == -signal.SIGKILL, f"the build was not killed at {at}"
    recover(out)  # what the next build, serve and publish do first
    after = site_files(out)
    if at == "committed":
        assert after != before  # the new site was complete: the next build finishes the commit
    else:
        assert after == before, "the previous site changed"
    build(BuildOptions(store=str(store), out=str(out), jobs=1))  # recovers, no manual step
    clean = tmp_path / "clean"
    build(BuildOptions(store=str(store), out=str(clean), jobs=1, clean=True))
    assert site_files(out) == site_files(clean)
    leftovers = [p.name for p in out.rglob("*") if "trackreport-" in p.name and p.name != ".trackreport-site"]
    assert leftovers == [] and not list(tmp_path.glob(".site.trackreport-*"))


@pytest.mark.parametrize("at", ["read", "rendered", "commit", "swap"])
def test_full_build_killed(tmp_path, at):
    store = tmp_path / "mlruns"
    shutil.copytree(SAMPLE, store)
    out = tmp_path / "site"
    build(BuildOptions(store=str(store), out=str(out), jobs=1))
    before = site_files(out)
    _touch_run(store)
    env = {**ENV, "TRACKREPORT_TEST_KILL_AT": at}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "sitegen",
            "build",
            "--store",
            str(store),
            "--out",
            str(out),
            "-j",
            "1",
            "-q",
            "--clean",
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == -signal.SIGKILL
    recover(out)
    assert site_files(out) == before
    build(BuildOptions(store=str(store), out=str(out), jobs=1))
    clean = tmp_path / "clean"
    build(BuildOptions(store=str(store), out=str(clean), jobs=1, clean=True))
    assert site_files(out) == site_files(clean)
    assert not list(tmp_path.glob(".site.trackreport-*"))
