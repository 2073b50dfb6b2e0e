"""What bench_build.py measures with: the frozen code under test, one build per fresh child
process, whole CLI processes, MLflow's own client, and the store changes MLflow would make.

Every measurement runs in a fresh child process, so peak RSS (``getrusage`` ``ru_maxrss``)
belongs to that one build: RUSAGE_SELF for the building process, RUSAGE_CHILDREN for the
largest reaped chart worker (forked workers also count the pages they share with the parent).
"""

from __future__ import annotations

import compileall
import json
import os
import resource
import shutil
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent

# Folder holding the sitegen/ and themes/ under test (a frozen copy: see snapshot_code).
CODE_DIR = REPO

# Modules a build imports lazily, imported before the clock starts in an in-process
# measurement (start-up and imports are the same for every build; cli_build times them).
_BUILD_MODULES = (
    "sitegen.builder.pipeline",
    "sitegen.render.pages",
    "sitegen.charts",
    "sitegen.builder.worker",
    "sitegen.charts.compare",
    "sitegen.artifacts",
    "sitegen.readers.filestore",
    "sitegen.readers.filescan",
    "sitegen.readers.sqlstore",
    "sitegen.readers.sqlitedelta",
    "jinja2",
    "yaml",
    "markdown",
    "sqlite3",
)


def child_build(spec: dict) -> dict:
    """Runs inside a fresh interpreter: one build, its timings and peak memory."""
    import importlib

    import sitegen
    from sitegen import BuildOptions, build

    for name in _BUILD_MODULES:
        try:
            importlib.import_module(name)
        except ImportError:
            pass
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.perf_counter()
    r = build(BuildOptions(store=spec["store"], out=spec["out"], jobs=spec["jobs"], clean=spec["clean"]))
    wall = time.perf_counter() - t0
    # ru_maxrss is in KiB on Linux. RUSAGE_CHILDREN covers the chart workers, which the
    # pool has joined (reaped) by the time build() returns; it is the largest one, not a sum.
    return {
        "wall": wall,
        "seconds": r.seconds,
        "experiments": r.experiments,
        "runs": r.runs,
        "runs_rendered": r.runs_rendered,
        "pages": r.pages,
        "charts": r.charts,
        "artifacts": r.artifacts,
        "warnings": len(r.warnings),
        "summary": r.summary(),
        "sitegen": sitegen.__file__,  # the frozen copy, not the live working tree
        "rss_before_kb": before,
        "rss_self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
        "rss_children_kb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss,
    }


# Executed by the --mlflow-python interpreter (any version with mlflow; no trackreport needed).
MLFLOW_READ = r"""
import json, os, resource, sys, time
os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
t_import = time.perf_counter()
from mlflow import MlflowClient
from mlflow.entities import ViewType
t0 = time.perf_counter()
client = MlflowClient(tracking_uri=sys.argv[1])
exp_ids = [e.experiment_id for e in client.search_experiments(view_type=ViewType.ACTIVE_ONLY)]
runs, token = [], None
while True:
    page = client.search_runs(exp_ids, max_results=1000, page_token=token)
    runs.extend(page)
    token = page.token
    if not token:
        break
t1 = time.perf_counter()
points = 0
for run in runs:
    for key in run.data.metrics:
        points += len(client.get_metric_history(run.info.run_id, key))
t2 = time.perf_counter()
print(json.dumps({"import": t0 - t_import, "search": t1 - t0, "history": t2 - t1, "seconds": t2 - t0,
                  "experiments": len(exp_ids), "runs": len(runs), "points": points,
                  "rss_self_kb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}))
"""


class ChildFailed(RuntimeError):
    def __init__(self, message: str, last_line: str):
        super().__init__(message)
        self.last_line = last_line


def _run_json(cmd: list[str], *, env: dict | None = None, cwd: Path = REPO) -> dict:
    """Run a child that prints one JSON object as its last stdout line."""
    proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        err = proc.stderr.strip()
        raise ChildFailed(
            f"{' '.join(cmd[:3])} ... failed ({proc.returncode}):\n{err[-3000:]}",
            err.splitlines()[-1] if err else f"exit code {proc.returncode}",
        )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def sitegen_env() -> dict:
    """The children's environment: the frozen code first on the path, and byte code used as a
    pip-installed package has it (PYTHONDONTWRITEBYTECODE would not stop reading it, but the
    frozen copy is compiled by snapshot_code)."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(CODE_DIR), env.get("PYTHONPATH")) if p)
    return env


def empty(out: Path) -> None:
    """A cold build writes into a folder that does not exist yet. (bench_build gives every cold
    build a new folder and deletes the sites only at the end: right after thousands of files
    were deleted, ext4 avoids their freed inodes for a minute or more, and creating files costs
    up to twice the kernel time — a first build does not pay that.)"""
    shutil.rmtree(out, ignore_errors=True)


def measure_build(store_uri: str, out: Path, *, clean: bool, jobs: int | None) -> dict:
    """One build in a fresh process, timed inside it (start-up and imports excluded)."""
    if clean:
        empty(out)
    spec = {"store": store_uri, "out": str(out), "clean": clean, "jobs": jobs}
    return _run_json(
        [sys.executable, str(HERE / "bench_build.py"), "--child-build", json.dumps(spec)],
        env=sitegen_env(),
        cwd=CODE_DIR,
    )


def _wall(cmd: list[str]) -> float:
    t0 = time.perf_counter()
    proc = subprocess.run(cmd, cwd=CODE_DIR, env=sitegen_env(), capture_output=True, text=True)
    wall = time.perf_counter() - t0
    if proc.returncode != 0:
        err = proc.stderr.strip()
        raise ChildFailed(f"{' '.join(cmd)} failed ({proc.returncode}):\n{err[-3000:]}", err[-300:])
    return wall


def bare_interpreter() -> float:
    """Wall time of ``python -c pass`` (the interpreter alone), best of three."""
    return min(_wall([sys.executable, "-c", "pass"]) for _ in range(3))


def cli_imports() -> float:
    """Wall time of ``python -c "import sitegen.cli"``, best of three: the interpreter and the
    command line's own imports (click, the options, the build pipeline's first modules), nothing
    read or written — the floor under any ``trackreport build`` process."""
    return min(_wall([sys.executable, "-c", "import sitegen.cli"]) for _ in range(3))


def cli_build(store_uri: str, out: Path, *, cold: bool, jobs: int | None) -> float:
    """Wall time of ``trackreport build`` in a new process: start-up, imports and all."""
    if cold:
        empty(out)
    cmd = [sys.executable, "-m", "sitegen", "build", "-q", "--store", store_uri, "--out", str(out)]
    if jobs:
        cmd += ["--jobs", str(jobs)]
    return _wall(cmd)


def mlflow_usable(python: str | None) -> tuple[bool, str]:
    if not python or python.lower() == "none":
        return False, "disabled (--mlflow-python none)"
    if not Path(python).exists():
        return False, f"{python} not found"
    proc = subprocess.run([python, "-c", "import mlflow; print(mlflow.__version__)"], capture_output=True, text=True)
    if proc.returncode != 0:
        return False, f"mlflow not importable with {python}"
    return True, proc.stdout.strip()


def measure_mlflow(python: str, uri: str, cwd: Path) -> dict:
    env = dict(
        os.environ,
        MLFLOW_ALLOW_FILE_STORE="true",
        # no network calls from a benchmark
        MLFLOW_DISABLE_TELEMETRY="true",
        DO_NOT_TRACK="true",
    )
    env.pop("MLFLOW_TRACKING_URI", None)
    return _run_json([python, "-c", MLFLOW_READ, uri], env=env, cwd=cwd)


# --------------------------------------------------------------------------- store helpers


def tree_state(root: Path) -> dict[str, tuple[int, int]]:
    """(size, mtime) of everything under root: to prove a reader left the store alone."""
    state = {}
    for dirpath, dirs, files in os.walk(root):
        for name in dirs + files:
            p = os.path.join(dirpath, name)
            st = os.stat(p)
            state[p] = (st.st_size if name in files else 0, st.st_mtime_ns)
    return state


def touch_one_run(kind: str, manifest: dict, n: int = 1) -> None:
    """Log the ``n``-th extra point of one metric of one run, the way MLflow would write it."""
    import make_store  # numpy and yaml: not in a measured build's process

    t = manifest["touch"]
    step, ts = t["last_step"] + n, t["last_timestamp"] + n * make_store.STEP_MS
    value = 0.123456
    if kind == "file":
        path = Path(manifest["stores"]["file"]["path"], t["file_experiment_id"], t["run_id"], "metrics", t["key"])
        with open(path, "a", encoding="ascii") as f:
            f.write(f"{ts} {value!r} {step}\n")
    else:
        conn = sqlite3.connect(manifest["stores"]["sqlite"]["path"])
        with conn:  # one transaction, like SqlAlchemyStore.log_metric
            conn.execute(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)",
                (t["key"], value, ts, t["run_id"], step),
            )
            conn.execute(
                "UPDATE latest_metrics SET value = ?, timestamp = ?, step = ?, is_nan = 0"
                " WHERE key = ? AND run_uuid = ?",
                (value, ts, step, t["key"], t["run_id"]),
            )
        conn.close()


def _git(*cmd: str) -> str:
    return subprocess.run(["git", *cmd], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()


def snapshot_code(dest: Path, rev: str | None) -> str:
    """Freeze the code under test into ``dest``, compiled; return a label saying which code it is.

    The working tree may be edited while the benchmark runs (it takes minutes): every
    measurement must use the same code, so the children import sitegen from this copy.
    With ``rev``, the committed revision is measured instead (``git archive``).
    """
    global CODE_DIR
    CODE_DIR = dest
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    if rev:
        archive = subprocess.run(
            ["git", "archive", rev, "sitegen", "themes"], cwd=REPO, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        label = _git("rev-parse", "--short", rev)
    else:
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        for name in ("sitegen", "themes"):
            shutil.copytree(REPO / name, dest / name, ignore=ignore)
        try:
            dirty = _git("status", "--porcelain", "--", "sitegen", "themes")
            label = _git("rev-parse", "--short", "HEAD") + (" + uncommitted changes" if dirty else "")
        except (OSError, subprocess.CalledProcessError):
            label = "working tree"
    # A pip-installed package has its byte code: so does the copy (whatever
    # PYTHONDONTWRITEBYTECODE says, which would make every CLI process compile it again).
    compileall.compile_dir(dest / "sitegen", quiet=1)
    return label


def disk_usage(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


def median(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[(len(ordered) - 1) // 2]


def median_of(measures: list[dict]) -> dict:
    """The measurement with the median build time, plus every time (``all_seconds``) and the
    worst of each check (so that one bad repetition still fails the checks)."""
    ordered = sorted(measures, key=lambda m: m["seconds"])
    out = dict(ordered[(len(ordered) - 1) // 2])
    out["all_seconds"] = [m["seconds"] for m in measures]
    out["min_rendered"] = min(m["runs_rendered"] for m in measures)
    out["max_rendered"] = max(m["runs_rendered"] for m in measures)
    out["warnings"] = max(m["warnings"] for m in measures)
    out["max_rss_self_kb"] = max(m["rss_self_kb"] for m in measures)
    out["max_rss_children_kb"] = max(m["rss_children_kb"] for m in measures)
    if any(m["runs"] != out["runs"] for m in measures):
        out["runs"] = -1
    return out


def mb(kb: int) -> str:
    return f"{kb / 1024:.0f} MB"


def table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    # first column left-aligned (names), the rest right-aligned (numbers)
    fmt = lambda cells: "  ".join(
        c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
        for i, (c, w) in enumerate(zip(cells, widths))
    )
    return "\n".join([fmt(header), "  ".join("-" * w for w in widths)] + [fmt(r) for r in rows])
