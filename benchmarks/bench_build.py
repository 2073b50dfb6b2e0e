"""Benchmark ``sitegen.build`` on large synthetic MLflow stores (file store and SQLite).

For each workload (runs x metrics x steps) it generates both stores with make_store.py, then
measures, per store:

* cold build (``clean=True``): seconds, pages/s, charts/s, peak RSS of the building process
  and of its largest chart worker process;
* incremental rebuild with nothing changed;
* incremental rebuild after one run got one more metric point (a line appended to a metric
  file; a row inserted into ``metrics`` and ``latest_metrics`` updated, as MLflow does), and
  its share of the cold build. Cold and incremental builds take turns, ``--repeat`` times
  (default 5), each incremental build compared with the cold build just before it; medians
  are shown, every time is listed;
* if a Python with ``mlflow`` is available (``--mlflow-python``), how long MLflow's own client
  takes to read the same store: ``search_runs`` over all experiments, then
  ``get_metric_history`` for every metric of every run (import time excluded). The SQLite
  client reads a copy of the database, so that no migration check can touch the store
  being benchmarked; the file store is verified unchanged after the client read it.

The code measured is a copy of ``sitegen/`` and ``themes/`` taken when the script starts
(the working tree by default, or a commit with ``--rev``), so edits made while it runs do not
mix into the figures. Every measurement runs in a fresh child process, so peak RSS
(``getrusage`` ``ru_maxrss``) belongs to that one build: RUSAGE_SELF for the parent,
RUSAGE_CHILDREN for the largest reaped chart worker (forked workers also count the pages they
share with the parent). Times exclude interpreter start-up and imports; the store is in the
page cache (just written).

Usage::

    python3 benchmarks/bench_build.py                      # 200 runs x 5 metrics x 500 steps
    python3 benchmarks/bench_build.py --large --json bench.json   # adds 1000 x 10 x 1000
    python3 benchmarks/bench_build.py --workload 50x3x100 --mlflow-python none
    python3 benchmarks/bench_build.py --rev HEAD~1         # a committed version, for comparison

Exit status 1 if a check failed (a build crashed, saw the wrong number of runs, re-rendered
something unchanged, ...); the table still shows everything that was measured.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
DEFAULT_WORKLOAD = (200, 5, 500)
LARGE_WORKLOAD = (1000, 10, 1000)
DEFAULT_MLFLOW_PYTHON = "/tmp/mlvenv/bin/python"

sys.path.insert(0, str(HERE))
import make_store  # noqa: E402  (benchmarks/ is not a package)

# --------------------------------------------------------------------------- child processes

# Modules a build imports lazily, imported before the clock starts (start-up and imports are
# the same for every build; benchmarks/bench_watch.py times whole CLI processes).
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


def _child_build(spec: dict) -> dict:
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


# Folder holding the sitegen/ and themes/ under test (a frozen copy: see snapshot_code).
CODE_DIR = REPO


def _sitegen_env() -> dict:
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(CODE_DIR), env.get("PYTHONPATH")) if p)
    return env


def measure_build(store_uri: str, out: Path, *, clean: bool, jobs: int | None) -> dict:
    spec = {"store": store_uri, "out": str(out), "clean": clean, "jobs": jobs}
    return _run_json(
        [sys.executable, str(Path(__file__).resolve()), "--child-build", json.dumps(spec)],
        env=_sitegen_env(),
        cwd=CODE_DIR,
    )


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


def _tree_state(root: Path) -> dict[str, tuple[int, int]]:
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
    """Freeze the code under test into ``dest``; return a label saying which code it is.

    The working tree may be edited while the benchmark runs (it takes minutes): every
    measurement must use the same code, so the children import sitegen from this copy.
    With ``rev``, the committed revision is measured instead (``git archive``).
    """
    shutil.rmtree(dest, ignore_errors=True)
    dest.mkdir(parents=True)
    if rev:
        archive = subprocess.run(
            ["git", "archive", rev, "sitegen", "themes"], cwd=REPO, capture_output=True, check=True
        ).stdout
        subprocess.run(["tar", "-x", "-C", str(dest)], input=archive, check=True)
        return _git("rev-parse", "--short", rev)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in ("sitegen", "themes"):
        shutil.copytree(REPO / name, dest / name, ignore=ignore)
    try:
        dirty = _git("status", "--porcelain", "--", "sitegen", "themes")
        return _git("rev-parse", "--short", "HEAD") + (" + uncommitted changes" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "working tree"


def _disk_usage(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(os.path.getsize(os.path.join(d, f)) for d, _, fs in os.walk(path) for f in fs)


# --------------------------------------------------------------------------- one workload


def _median_of(measures: list[dict]) -> dict:
    """The measurement with the median build time, plus every time (``all_seconds``) and the
    worst of each check (so that one bad repetition still fails the checks)."""
    ordered = sorted(measures, key=lambda m: m["seconds"])
    out = dict(ordered[(len(ordered) - 1) // 2])
    out["all_seconds"] = [m["seconds"] for m in measures]
    out["min_rendered"] = min(m["runs_rendered"] for m in measures)
    out["max_rendered"] = max(m["runs_rendered"] for m in measures)
    out["warnings"] = max(m["warnings"] for m in measures)
    if any(m["runs"] != out["runs"] for m in measures):
        out["runs"] = -1
    return out


def bench_workload(runs: int, metrics: int, steps: int, work: Path, args, mlflow_ok: bool) -> dict:
    label = f"{runs}x{metrics}x{steps}"
    wdir = work / label
    print(f"\n[{label}] generating stores in {wdir} ...", file=sys.stderr, flush=True)
    manifest = make_store.generate(
        wdir, runs=runs, metrics=metrics, steps=steps, experiments=args.experiments, seed=args.seed, kinds=args.kinds
    )
    try:
        return _bench_stores(label, wdir, manifest, args, mlflow_ok)
    finally:
        if not args.keep:
            shutil.rmtree(wdir, ignore_errors=True)


def _bench_stores(label: str, wdir: Path, manifest: dict, args, mlflow_ok: bool) -> dict:
    runs = manifest["runs"]
    result = {
        "workload": {
            "runs": runs,
            "metrics": manifest["metrics"],
            "steps": manifest["steps"],
            "experiments": manifest["experiments"],
            "points": manifest["points"],
            "nested_runs": manifest["nested_runs"],
        },
        "generate_seconds": manifest["seconds"],
        "stores": {},
        "problems": [],
    }
    problems = result["problems"]
    for kind in args.kinds:
        store = manifest["stores"][kind]
        uri, path = store["uri"], Path(store["path"])
        r: dict = {"uri": uri, "store_bytes": _disk_usage(path)}
        result["stores"][kind] = r

        if mlflow_ok:
            print(f"[{label}] {kind}: MLflow client read ...", file=sys.stderr, flush=True)
            try:
                if kind == "sqlite":
                    # MLflow checks (and could migrate) the schema on open: give it a copy.
                    with tempfile.TemporaryDirectory(dir=wdir) as tmp:
                        copy = Path(tmp, "mlflow.db")
                        shutil.copyfile(path, copy)
                        r["mlflow"] = measure_mlflow(args.mlflow_python, f"sqlite:///{copy}", Path(tmp))
                else:
                    before = _tree_state(path)
                    r["mlflow"] = measure_mlflow(args.mlflow_python, uri, wdir)
                    if _tree_state(path) != before:
                        problems.append(f"{kind}: MLflow's client modified the store it read")
            except ChildFailed as e:
                print(str(e), file=sys.stderr)
                problems.append(f"{kind}: MLflow client read FAILED: {e.last_line}")
            m = r.get("mlflow")
            if m and (m["runs"], m["points"]) != (runs, manifest["points"]):
                problems.append(
                    f"{kind}: MLflow read {m['runs']} runs / {m['points']} points, "
                    f"expected {runs} / {manifest['points']}"
                )

        site = wdir / f"site-{kind}"
        phase = "cold"
        try:
            # Cold and touched builds take turns (cold, no-change, touched, cold, touched, ...):
            # this machine's speed drifts, and each touched build is compared with the cold
            # build just before it.
            print(
                f"[{label}] {kind}: {args.repeat} x (cold build, then rebuild after touching one run) ...",
                file=sys.stderr,
                flush=True,
            )
            colds, touched = [], []
            for n in range(1, args.repeat + 1):
                phase = "cold"
                colds.append(measure_build(uri, site, clean=True, jobs=args.jobs))
                if n == 1:
                    phase = "nochange"
                    r["nochange"] = _median_of([measure_build(uri, site, clean=False, jobs=args.jobs)])
                phase = "touched"
                touch_one_run(kind, manifest, n)
                touched.append(measure_build(uri, site, clean=False, jobs=args.jobs))
            r["cold"], r["touched"] = _median_of(colds), _median_of(touched)
            ratios = sorted(t["seconds"] / c["seconds"] for c, t in zip(colds, touched))
            r["touched_of_cold"] = ratios[(len(ratios) - 1) // 2]
            if "mlflow" in r:
                r["build_over_read"] = r["cold"]["seconds"] / r["mlflow"]["seconds"]
        except ChildFailed as e:
            # Report it and go on with the other store: a crash is a finding, not the end.
            print(str(e), file=sys.stderr)
            r["error"] = {"phase": phase, "error": e.last_line}
            problems.append(f"{kind}: {phase} build FAILED: {e.last_line}")
            continue
        r["site_bytes"] = _disk_usage(site)

        if r["cold"]["runs"] != runs:
            problems.append(f"{kind}: the build saw {r['cold']['runs']} runs, expected {runs}")
        if r["nochange"]["max_rendered"] != 0:
            problems.append(f"{kind}: no-change rebuild re-rendered {r['nochange']['runs_rendered']} runs")
        if r["touched"]["min_rendered"] < 1:
            problems.append(f"{kind}: the touched run was not re-rendered")
        for phase in ("cold", "nochange", "touched"):
            if r[phase]["warnings"]:
                problems.append(f"{kind}: {phase} build had {r[phase]['warnings']} warnings")
    return result


# --------------------------------------------------------------------------- report


def _mb(kb: int) -> str:
    return f"{kb / 1024:.0f} MB"


def _table(header: list[str], rows: list[list[str]]) -> str:
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    # first column left-aligned (names), the rest right-aligned (numbers)
    fmt = lambda cells: "  ".join(
        c.ljust(w) if i == 0 else c.rjust(w)  # noqa: E731
        for i, (c, w) in enumerate(zip(cells, widths))
    )
    return "\n".join([fmt(header), "  ".join("-" * w for w in widths)] + [fmt(r) for r in rows])


def report(res: dict) -> str:
    w = res["workload"]
    lines = [
        f"Workload {w['runs']} runs x {w['metrics']} metrics x {w['steps']} steps = "
        f"{w['points']:,} points ({w['experiments']} experiments, {w['nested_runs']} nested runs); "
        f"stores generated in {res['generate_seconds']:.1f} s"
    ]
    header = [
        "store",
        "cold build",
        "pages",
        "pages/s",
        "charts",
        "charts/s",
        "RSS parent",
        "RSS worker",
        "no-change",
        "1 run touched",
        "of cold",
        "MLflow read",
        "build/read",
    ]
    rows = []
    for kind, r in res["stores"].items():
        m = r.get("mlflow")
        failed = r.get("error", {}).get("phase")
        missing = lambda phase, n, failed=failed: ["FAILED" if phase == failed else "-"] + [""] * (n - 1)  # noqa: E731
        c, n, t = r.get("cold"), r.get("nochange"), r.get("touched")
        row = [kind]
        row += (
            [
                f"{c['seconds']:.2f} s",
                str(c["pages"]),
                f"{c['pages'] / c['seconds']:.1f}",
                str(c["charts"]),
                f"{c['charts'] / c['seconds']:.1f}",
                _mb(c["rss_self_kb"]),
                _mb(c["rss_children_kb"]),
            ]
            if c
            else missing("cold", 7)
        )
        row.append(f"{n['seconds']:.2f} s" if n else missing("nochange", 1)[0])
        row.append(f"{t['seconds']:.3f} s ({t['runs_rendered']} re-rendered)" if t else missing("touched", 1)[0])
        row.append(f"{r['touched_of_cold']:.1%}" if "touched_of_cold" in r else "-")
        row.append(f"{m['seconds']:.2f} s" if m else "n/a")
        row.append(f"{r['build_over_read']:.2f}" if "build_over_read" in r else "n/a")
        rows.append(row)
    lines.append(_table(header, rows))
    details = []
    for kind, r in res["stores"].items():
        m = r.get("mlflow")
        sizes = f"store {r['store_bytes'] / 1e6:.0f} MB" + (
            f", site {r['site_bytes'] / 1e6:.0f} MB" if "site_bytes" in r else ""
        )
        if m:
            details.append(
                f"  {kind}: {sizes}; MLflow: search_runs {m['search']:.2f} s + "
                f"get_metric_history x{w['runs'] * w['metrics']} {m['history']:.2f} s "
                f"(import {m['import']:.1f} s not counted), RSS {_mb(m['rss_self_kb'])}"
            )
        else:
            details.append(f"  {kind}: {sizes}")
    for kind, r in res["stores"].items():
        for phase, what in (("cold", "cold builds"), ("touched", "builds after one run changed")):
            if r.get(phase, {}).get("all_seconds"):
                times = ", ".join(f"{x:.3f}" for x in r[phase]["all_seconds"])
                details.append(f"  {kind}: {what}, in order: {times} s")
    lines += details
    lines.append("  checks: " + ("all passed" if not res["problems"] else "; ".join(res["problems"])))
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def _workload(text: str) -> tuple[int, int, int]:
    try:
        runs, metrics, steps = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected RUNSxMETRICSxSTEPS, e.g. 200x5x500, not {text!r}") from None
    return runs, metrics, steps


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child-build"]:  # internal: one measured build in a fresh process
        print(json.dumps(_child_build(json.loads(argv[1]))))
        return 0
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--large", action="store_true", help="also run %dx%dx%d" % LARGE_WORKLOAD)
    ap.add_argument(
        "--workload",
        type=_workload,
        action="append",
        metavar="RxMxS",
        help="workload(s) to run instead of the default %dx%dx%d" % DEFAULT_WORKLOAD,
    )
    ap.add_argument("--kind", choices=["file", "sqlite", "both"], default="both", help="stores to measure")
    ap.add_argument("--experiments", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--jobs", type=int, default=None, help="chart worker processes (default: all cores)")
    ap.add_argument(
        "--repeat",
        type=int,
        default=5,
        metavar="N",
        help="cold builds, each followed by a build after one more point was logged (medians shown; default 5)",
    )
    ap.add_argument(
        "--mlflow-python",
        default=DEFAULT_MLFLOW_PYTHON,
        help="Python with mlflow installed, to time MLflow's client ('none' to skip; "
        f"default {DEFAULT_MLFLOW_PYTHON} if it exists)",
    )
    ap.add_argument("--work", type=Path, default=HERE / "_work", help="scratch folder (default benchmarks/_work)")
    ap.add_argument(
        "--rev",
        metavar="GIT_REV",
        help="measure this committed revision of sitegen/ and themes/ instead of the working tree",
    )
    ap.add_argument("--keep", action="store_true", help="keep the generated stores and sites")
    ap.add_argument("--json", type=Path, metavar="FILE", help="also save all numbers as JSON")
    args = ap.parse_args(argv)
    args.kinds = ("file", "sqlite") if args.kind == "both" else (args.kind,)

    t0 = time.perf_counter()
    global CODE_DIR
    args.work = args.work.resolve()  # children run elsewhere: every path they get is absolute
    CODE_DIR = args.work / "_code"
    code = snapshot_code(CODE_DIR, args.rev)
    workloads = args.workload or [DEFAULT_WORKLOAD]
    if args.large and LARGE_WORKLOAD not in workloads:
        workloads.append(LARGE_WORKLOAD)
    mlflow_ok, mlflow_info = mlflow_usable(args.mlflow_python)
    # Load sitegen, matplotlib & co. once so the first measured build does not pay for a cold
    # disk cache (or for matplotlib's one-time font cache).
    subprocess.run(
        [sys.executable, "-c", "import sitegen, sitegen.charts, matplotlib.pyplot"],
        cwd=CODE_DIR,
        env=_sitegen_env(),
        check=True,
    )

    results = [bench_workload(r, m, s, args.work, args, mlflow_ok) for r, m, s in workloads]
    total = time.perf_counter() - t0

    print(
        f"trackreport build benchmark (code {code}): Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"jobs={args.jobs or 'all cores'}; MLflow client: {mlflow_info if mlflow_ok else 'skipped: ' + mlflow_info}"
    )
    print(
        "Times exclude process start-up and imports. RSS = peak resident set (getrusage maxrss) of the"
        " building process / of its largest chart worker. build/read = cold build / MLflow client read."
    )
    for res in results:
        print()
        print(report(res))
    print(f"\nTotal benchmark time {total:.1f} s")
    if args.json:
        args.json.write_text(
            json.dumps(
                {
                    "code": code,
                    "python": platform.python_version(),
                    "cpus": os.cpu_count(),
                    "jobs": args.jobs,
                    "mlflow": mlflow_info if mlflow_ok else None,
                    "workloads": results,
                    "total_seconds": total,
                },
                indent=2,
            )
            + "\n",
            encoding="utf-8",
        )
        print(f"numbers saved to {args.json}")
    return 1 if any(r["problems"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
