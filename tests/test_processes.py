"""Builds as processes: one build at a time into a folder (a lock), and no worker process left
behind after SIGTERM or after the build is killed with -9."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from sitegen import BuildOptions, build
from sitegen.process import BuildLock

ROOT = Path(__file__).parent.parent
SAMPLE = ROOT / "sample_mlruns"


def _cli(*args, **kw) -> subprocess.Popen:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}  # this checkout's code, as the in-process builds run
    return subprocess.Popen(
        [sys.executable, "-m", "sitegen", *args],
        cwd=kw.get("cwd"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        start_new_session=kw.get("session", False),
    )


def test_a_second_build_into_the_same_folder_stops_at_once(tmp_path):
    out = tmp_path / "site"
    with BuildLock(out):
        t0 = time.monotonic()
        proc = _cli("build", "--store", str(SAMPLE), "--out", str(out), "-j", "1")
        _, err = proc.communicate(timeout=60)
        assert proc.returncode == 2
        assert time.monotonic() - t0 < 30
        assert f"another build is writing {out}" in err and f"pid {os.getpid()}" in err
        assert not out.exists()
    result = build(BuildOptions(store=str(SAMPLE), out=str(out), jobs=1))  # free again
    assert result.pages > 0
    assert not list(tmp_path.glob(".site.trackreport-lock"))  # nothing left beside it


def test_a_stale_lock_of_a_killed_build_is_taken_over(tmp_path):
    out = tmp_path / "site"
    (tmp_path / ".site.trackreport-lock").write_text("pid 999999, started long ago: trackreport build")
    result = build(BuildOptions(store=str(SAMPLE), out=str(out), jobs=1))
    assert result.pages > 0


def _children(pid: int) -> set[int]:
    """Child processes of ``pid``, whichever of its threads started them."""
    out: set[int] = set()
    for children in Path(f"/proc/{pid}/task").glob("*/children"):
        try:
            out |= {int(c) for c in children.read_text().split()}
        except OSError:
            pass
    return out


def _alive(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return state != "Z"


def _wait(cond, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


@pytest.fixture
def big_store(tmp_path):
    """A store whose cold build takes seconds on 2 cores (workers are busy meanwhile), made for
    each test (nothing shared between tests)."""
    sys.path.insert(0, str(ROOT / "benchmarks"))
    import make_store

    make_store.generate(tmp_path / "big", runs=120, metrics=5, steps=400, kinds=("file",))
    store = tmp_path / "big" / "file" / "mlruns"
    assert list(store.glob("*/meta.yaml")), sorted(p.name for p in store.iterdir())
    return store


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
@pytest.mark.parametrize("how", ["SIGKILL", "SIGTERM", "SIGTERM to the group", "SIGINT to the group"])
def test_no_worker_outlives_its_build(big_store, tmp_path, how):
    """Nor does a worker hold the build's lock (a build started right after a stopped one was
    refused for as long as the workers took to end), nor print anything when the signal
    reaches the whole process group, as `timeout`, a terminal's Ctrl-C and CI send it."""
    group = how.endswith("group")
    proc = _cli("build", "--store", str(big_store), "--out", str(tmp_path / "site"), "-j", "2", session=group)
    if not _wait(lambda: len(_children(proc.pid)) >= 2 or proc.poll() is not None, 60) or proc.poll() is not None:
        proc.kill()
        out, err = proc.communicate(timeout=60)
        pytest.fail(f"the build started no workers (exit {proc.returncode}): {err[-2000:]}")
    workers = _children(proc.pid)
    sig = getattr(signal, how.split()[0])
    os.killpg(proc.pid, sig) if group else os.kill(proc.pid, sig)
    _, err = proc.communicate(timeout=60)
    if how != "SIGKILL":
        assert proc.returncode == 130  # stopped as Ctrl-C stops it
        assert not (tmp_path / "site").exists() or (tmp_path / "site" / "index.html").is_file()
        assert len(err.strip().splitlines()) == 1 and "interrupted" in err, err  # one line, no traceback
        with BuildLock(tmp_path / "site"):  # free at once, whether the workers have ended or not
            pass
    assert _wait(lambda: not any(_alive(w) for w in workers), 10), "workers outlived the build"


@pytest.mark.skipif(not Path("/proc/self/task").is_dir(), reason="reads /proc")
def test_watch_and_serve_end_on_sigterm(big_store, tmp_path):
    """SIGTERM (systemd, Docker, CI cancellation) ends watch --serve promptly, workers included."""
    site = tmp_path / "site"
    proc = _cli("watch", "--store", str(big_store), "--out", str(site), "-j", "2", "--serve", "--port", "0")
    assert _wait(lambda: len(_children(proc.pid)) >= 2 or proc.poll() is not None, 60) and proc.poll() is None
    workers = _children(proc.pid)
    assert _wait(lambda: (site / "index.html").is_file(), 120), "the first build did not finish"
    os.kill(proc.pid, signal.SIGTERM)
    proc.communicate(timeout=30)
    assert proc.returncode == 130
    assert _wait(lambda: not any(_alive(w) for w in workers), 10), "workers outlived watch"
    assert (site / "index.html").is_file()


def test_a_worker_whose_build_ended_before_it_started_ends_too(tmp_path):
    """A build stopped while its pool was still starting has already handed the worker to init
    when the worker's initializer runs: the worker watches the pid the build passed, so it ends
    instead of waiting on its task queue for ever (CI once hung 60 s on such a worker's stderr)."""
    code = """
import os, sys, time
build = os.getpid()
worker = os.fork()
if worker:
    print(worker, flush=True)
    os._exit(0)  # the build ends before its worker has started
while os.getppid() == build:
    time.sleep(0.01)
from sitegen.builder.worker import _init_worker
from sitegen.theme import theme_chain
_init_worker(theme_chain(None), "t", "svg", False, build)
time.sleep(60)  # waiting on its task queue
os._exit(3)
"""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, timeout=60)
    worker = int(out.stdout)
    assert _wait(lambda: not _alive(worker), 30), "the worker outlived the build that started it"
