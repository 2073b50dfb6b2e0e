"""Benchmark ``sitegen.build`` on large synthetic MLflow stores (file store and SQLite), and print
issue 16's targets with the figures of the same run.

For each workload (runs x metrics x steps) it generates both stores with make_store.py, then
measures ``--repeat`` turns (default 3), the stores taking turns (file then SQLite, then the other
way round) after MLflow's client has read the file store — this machine's speed drifts, so each
ratio is taken within a turn, and medians are shown:

* cold build into an empty folder: seconds (start-up and imports excluded), pages/s,
  charts/s, peak RSS of the building process and of its largest chart worker;
* incremental rebuild with nothing changed (first turn only) and after one run got one more
  metric point (a line appended to a metric file; a row inserted into ``metrics`` and
  ``latest_metrics`` updated, as MLflow does);
* the same three as whole ``trackreport build`` processes (wall time, start-up and imports
  included), with the bare interpreter (``python -c pass``) timed in the same turn: an
  incremental CLI build's share of a cold one is (incremental - bare) / (cold - bare); the
  CLI's imports alone (``python -c "import sitegen.cli"``: click and the pipeline's first
  modules, nothing read) are timed likewise, the floor under any build process;
* if a Python with ``mlflow`` is available (``--mlflow-python``), how long MLflow's own client
  takes to read the file store: ``search_runs`` over all experiments, then
  ``get_metric_history`` for every metric of every run (import time excluded); the store is
  verified unchanged afterwards. Both stores' cold builds are compared with that figure.
  ``--client-sqlite`` also times the client on (a copy of) the SQLite store: 30-40 s.

The code measured is a copy of ``sitegen/`` and ``themes/`` taken (and compiled) when the
script starts — the working tree by default, or a commit with ``--rev`` — so edits made while it
runs do not mix into the figures. See benchlib.py for how each figure is taken.

Usage::

    python3 benchmarks/bench_build.py                      # 200 runs x 5 metrics x 500 steps
    python3 benchmarks/bench_build.py --large --json bench.json   # adds 1000 x 10 x 1000
    python3 benchmarks/bench_build.py --workload 50x3x100 --mlflow-python none
    python3 benchmarks/bench_build.py --rev HEAD~1         # a committed version, for comparison

Exit status 1 if a check failed (a build crashed, saw the wrong number of runs, re-rendered
something unchanged, ...); the tables still show everything that was measured. A target not
met is reported, not a failure.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import benchlib as lib  # noqa: E402  (benchmarks/ is not a package)

DEFAULT_WORKLOAD = (200, 5, 500)
LARGE_WORKLOAD = (1000, 10, 1000)
DEFAULT_MLFLOW_PYTHON = "/tmp/mlvenv/bin/python"

# Issue 16's targets.
BUILD_OVER_READ = 0.35  # a cold build / the client's file-store read
CLI_TOUCHED = 0.05  # (CLI build after one run changed - bare) / (cold CLI build - bare)
CLI_NOCHANGE = 0.02  # the same with nothing changed
PEAK_RSS_MB = 300  # workload L, the building process


# --------------------------------------------------------------------------- one workload


def bench_workload(runs: int, metrics: int, steps: int, work: Path, args, mlflow_ok: bool) -> dict:
    import make_store  # numpy and yaml: kept out of the measured children, which run this file

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


def _client_read(kind: str, store: dict, wdir: Path, args, problems: list[str]) -> dict | None:
    """One timed read of ``store`` by MLflow's client (lib.measure_mlflow), or None if it failed."""
    path = Path(store["path"])
    try:
        if kind == "sqlite":
            # MLflow checks (and could migrate) the schema on open: give it a copy.
            with tempfile.TemporaryDirectory(dir=wdir) as tmp:
                copy = Path(tmp, "mlflow.db")
                shutil.copyfile(path, copy)
                return lib.measure_mlflow(args.mlflow_python, f"sqlite:///{copy}", Path(tmp))
        before = lib.tree_state(path)
        measured = lib.measure_mlflow(args.mlflow_python, store["uri"], wdir)
        if lib.tree_state(path) != before:
            problems.append(f"{kind}: MLflow's client modified the store it read")
        return measured
    except lib.ChildFailed as e:
        print(str(e), file=sys.stderr)
        problems.append(f"{kind}: MLflow client read FAILED: {e.last_line}")
        return None


class _Turns:
    """One store's measurements, turn by turn: cold build, (no-change build, first turn only),
    build after one run changed, and the same as CLI processes with the bare interpreter."""

    def __init__(self, kind: str, uri: str, sites: Path, manifest: dict, args):
        self.kind, self.uri, self.sites, self.manifest, self.args = kind, uri, sites, manifest, args
        self.colds: list[dict] = []
        self.touched: list[dict] = []
        self.cli: list[dict] = []
        self.touches = 0

    def touch(self) -> None:
        self.touches += 1
        lib.touch_one_run(self.kind, self.manifest, self.touches)

    def turn(self, n: int, r: dict) -> None:
        uri, jobs = self.uri, self.args.jobs
        r["phase"] = "cold"
        site = self.sites / f"turn-{n}"  # a new folder: see benchlib.empty
        self.colds.append(lib.measure_build(uri, site, clean=True, jobs=jobs))
        if n == 1:
            r["phase"] = "nochange"
            r["nochange"] = lib.median_of([lib.measure_build(uri, site, clean=False, jobs=jobs)])
        r["phase"] = "touched"
        self.touch()
        self.touched.append(lib.measure_build(uri, site, clean=False, jobs=jobs))
        if self.args.cli:
            r["phase"] = "CLI"
            turn = {"bare": lib.bare_interpreter(), "imports": lib.cli_imports()}
            site = self.sites / f"cli-{n}"
            turn["cold"] = lib.cli_build(uri, site, cold=True, jobs=jobs)
            turn["nochange"] = lib.cli_build(uri, site, cold=False, jobs=jobs)
            self.touch()
            turn["touched"] = lib.cli_build(uri, site, cold=False, jobs=jobs)
            for what in ("imports", "nochange", "touched"):
                turn[what + "_share"] = (turn[what] - turn["bare"]) / (turn["cold"] - turn["bare"])
            self.cli.append(turn)
        r.pop("phase")

    def summary(self, r: dict) -> None:
        r["cold"], r["touched"] = lib.median_of(self.colds), lib.median_of(self.touched)
        r["touched_of_cold"] = lib.median([t["seconds"] / c["seconds"] for c, t in zip(self.colds, self.touched)])
        if self.cli:
            r["cli"] = {k: lib.median([t[k] for t in self.cli]) for k in self.cli[0]}
            r["cli"]["turns"] = self.cli


def _bench_stores(label: str, wdir: Path, manifest: dict, args, mlflow_ok: bool) -> dict:
    """Both stores measured in alternating turns (file then SQLite, then SQLite then file, ...),
    each turn beginning with MLflow's client reading the file store: every ratio is taken
    within a turn (the machine's speed drifts between turns), and the median ratio shown."""
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
    turns, reads = {}, {kind: [] for kind in args.kinds}
    for kind in args.kinds:
        store = manifest["stores"][kind]
        result["stores"][kind] = {"uri": store["uri"], "store_bytes": lib.disk_usage(Path(store["path"]))}
        turns[kind] = _Turns(kind, store["uri"], wdir / f"sites-{kind}", manifest, args)
    failed: set[str] = set()
    for n in range(1, args.repeat + 1):
        order = list(args.kinds) if n % 2 else list(reversed(args.kinds))
        for kind in args.kinds:
            if mlflow_ok and (kind == "file" or args.client_sqlite):
                print(f"[{label}] turn {n}: MLflow client reads the {kind} store ...", file=sys.stderr, flush=True)
                read = _client_read(kind, manifest["stores"][kind], wdir, args, problems)
                points = manifest["points"] + turns[kind].touches  # each touch logged one point
                if read and (read["runs"], read["points"]) != (runs, points):
                    problems.append(
                        f"{kind}: MLflow read {read['runs']} runs / {read['points']} points, expected {runs} / {points}"
                    )
                reads[kind].append(read)
        for kind in order:
            if kind in failed:
                continue
            r = result["stores"][kind]
            print(f"[{label}] turn {n}: {kind} builds ...", file=sys.stderr, flush=True)
            try:
                turns[kind].turn(n, r)
            except lib.ChildFailed as e:
                # Report it and go on with the other store: a crash is a finding, not the end.
                print(str(e), file=sys.stderr)
                r["error"] = {"phase": r.pop("phase", "?"), "error": e.last_line}
                problems.append(f"{kind}: {r['error']['phase']} build FAILED: {e.last_line}")
                failed.add(kind)
    for kind, r in result["stores"].items():
        done = [m for m in reads[kind] if m]
        if done:
            middle = sorted(done, key=lambda m: m["seconds"])[(len(done) - 1) // 2]
            r["mlflow"] = dict(middle, all_seconds=[m["seconds"] for m in done])  # the median read
        if kind in failed:
            continue
        turns[kind].summary(r)
        r["site_bytes"] = lib.disk_usage(turns[kind].sites / "turn-1")
        if r["cold"]["runs"] != runs:
            problems.append(f"{kind}: the build saw {r['cold']['runs']} runs, expected {runs}")
        if r["nochange"]["max_rendered"] != 0:
            problems.append(f"{kind}: no-change rebuild re-rendered {r['nochange']['runs_rendered']} runs")
        if r["touched"]["min_rendered"] < 1:
            problems.append(f"{kind}: the touched run was not re-rendered")
        for phase in ("cold", "nochange", "touched"):
            if r[phase]["warnings"]:
                problems.append(f"{kind}: {phase} build had {r[phase]['warnings']} warnings")
    # Ratios within a turn, medians over turns.
    client = [m["seconds"] if m else None for m in reads.get("file", [])]
    for kind, r in result["stores"].items():
        if kind in failed:
            continue
        per_turn = [c["seconds"] / x for c, x in zip(turns[kind].colds, client) if x]
        if per_turn:
            r["build_over_read"] = lib.median(per_turn)
            r["build_over_read_turns"] = per_turn
    if {"file", "sqlite"} <= set(turns) and not failed:
        per_turn = [s["seconds"] / f["seconds"] for f, s in zip(turns["file"].colds, turns["sqlite"].colds)]
        result["sqlite_over_file"] = lib.median(per_turn)
        result["sqlite_over_file_turns"] = per_turn
    return result


# --------------------------------------------------------------------------- report


def _store_table(res: dict) -> str:
    header = ["store", "cold build", "pages/s", "charts/s", "RSS main", "RSS worker", "no change", "1 run changed"]
    header += ["of cold", "client file read", "build/read"]
    rows = []
    client = res["stores"].get("file", {}).get("mlflow")
    for kind, r in res["stores"].items():
        c, n, t = r.get("cold"), r.get("nochange"), r.get("touched")
        if not c:
            rows.append([kind, "FAILED: " + r.get("error", {}).get("phase", "?")] + [""] * (len(header) - 2))
            continue
        rows.append(
            [
                kind,
                f"{c['seconds']:.2f} s",
                f"{c['pages'] / c['seconds']:.1f}",
                f"{c['charts'] / c['seconds']:.1f}",
                lib.mb(c["max_rss_self_kb"]),
                lib.mb(c["max_rss_children_kb"]),
                f"{n['seconds']:.3f} s",
                f"{t['seconds']:.3f} s ({t['runs_rendered']} re-rendered)",
                f"{r['touched_of_cold']:.1%}",
                f"{client['seconds']:.2f} s" if client else "n/a",
                f"{r['build_over_read']:.2f}" if "build_over_read" in r else "n/a",
            ]
        )
    return lib.table(header, rows)


def _cli_table(res: dict) -> str:
    header = ["store", "python -c pass", "CLI imports", "share", "CLI cold", "CLI no change", "share"]
    header += ["CLI 1 run changed", "share"]
    rows = []
    for kind, r in res["stores"].items():
        c = r.get("cli")
        if c:
            rows.append(
                [
                    kind,
                    f"{c['bare'] * 1000:.0f} ms",
                    f"{c['imports'] * 1000:.0f} ms",
                    f"{c['imports_share']:.1%}",
                    f"{c['cold']:.2f} s",
                    f"{c['nochange'] * 1000:.0f} ms",
                    f"{c['nochange_share']:.1%}",
                    f"{c['touched'] * 1000:.0f} ms",
                    f"{c['touched_share']:.1%}",
                ]
            )
    return lib.table(header, rows) if rows else ""


def targets(res: dict) -> list[str]:
    """Issue 16's targets, each with this run's figures: '[met]' or '[NOT met]'."""
    w, stores = res["workload"], res["stores"]
    out = []

    def line(ok: bool, text: str) -> None:
        out.append(f"  [{'met' if ok else 'NOT met'}] {text}")

    if "sqlite_over_file" in res:
        ratio, turns = res["sqlite_over_file"], ", ".join(f"{x:.2f}" for x in res["sqlite_over_file_turns"])
        text = f"cold build from SQLite no slower than from files: {ratio:.2f} x the file store's (turns: {turns})"
        line(ratio <= 1.0, text)
    for kind, r in stores.items():
        if "build_over_read" in r:
            turns = ", ".join(f"{x:.2f}" for x in r["build_over_read_turns"])
            line(
                r["build_over_read"] <= BUILD_OVER_READ,
                f"{kind}: cold build {r['build_over_read']:.2f} x the client's file-store read (<= {BUILD_OVER_READ}; "
                f"turns: {turns})",
            )
        c = r.get("cli")
        if c:
            for what, limit, text in (
                ("touched", CLI_TOUCHED, "after one run changed"),
                ("nochange", CLI_NOCHANGE, "with nothing changed"),
            ):
                share = c[what + "_share"]
                floor = f"; the CLI's imports alone: {c['imports_share']:.1%}"
                line(share <= limit, f"{kind}: CLI build {text}: {share:.1%} of a cold one (<= {limit:.0%}{floor})")
        if (w["runs"], w["metrics"], w["steps"]) == LARGE_WORKLOAD and "cold" in r:
            peak = r["cold"]["max_rss_self_kb"] / 1024
            line(peak <= PEAK_RSS_MB, f"{kind}: peak memory of the building process {peak:.0f} MB (<= {PEAK_RSS_MB})")
    return out


def report(res: dict) -> str:
    w = res["workload"]
    lines = [
        f"Workload {w['runs']} runs x {w['metrics']} metrics x {w['steps']} steps = "
        f"{w['points']:,} points ({w['experiments']} experiments, {w['nested_runs']} nested runs); "
        f"stores generated in {res['generate_seconds']:.1f} s",
        _store_table(res),
    ]
    cli = _cli_table(res)
    if cli:
        lines += ["", "Whole `trackreport build` processes (wall; share = (build - bare) / (cold - bare)):", cli]
    m = (w["runs"], w["metrics"], w["steps"]) in (DEFAULT_WORKLOAD, LARGE_WORKLOAD)
    lines += ["", "Targets (issue 16)" + (":" if m else ", set for 200x5x500 (shown for reference):")]
    lines += targets(res)
    details = []
    for kind, r in res["stores"].items():
        m = r.get("mlflow")
        sizes = f"store {r['store_bytes'] / 1e6:.0f} MB" + (
            f", site {r['site_bytes'] / 1e6:.0f} MB" if "site_bytes" in r else ""
        )
        if m:
            details.append(
                f"  {kind}: {sizes}; MLflow: search_runs {m['search']:.2f} s + "
                f"get_metric_history x{w['runs'] * w['metrics']} {m['history']:.2f} s = {m['seconds']:.2f} s "
                f"(import {m['import']:.1f} s not counted), RSS {lib.mb(m['rss_self_kb'])}; the median of "
                + ", ".join(f"{x:.2f}" for x in m["all_seconds"])
                + " s"
            )
        else:
            details.append(f"  {kind}: {sizes}")
        for phase, what in (("cold", "cold builds"), ("touched", "builds after one run changed")):
            if r.get(phase, {}).get("all_seconds"):
                times = ", ".join(f"{x:.3f}" for x in r[phase]["all_seconds"])
                details.append(f"  {kind}: {what}, in order: {times} s")
        for t in r.get("cli", {}).get("turns", []):
            details.append(
                f"  {kind}: CLI turn: bare {t['bare'] * 1000:.0f} ms, imports {t['imports'] * 1000:.0f} ms, "
                f"cold {t['cold']:.2f} s, "
                f"no change {t['nochange'] * 1000:.0f} ms, 1 run changed {t['touched'] * 1000:.0f} ms"
            )
    lines += ["", "Details:"] + details
    lines.append("  checks: " + ("all passed" if not res["problems"] else "; ".join(res["problems"])))
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def _workload(text: str) -> tuple[int, int, int]:
    try:
        runs, metrics, steps = (int(x) for x in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected RUNSxMETRICSxSTEPS, e.g. 200x5x500, not {text!r}") from None
    return runs, metrics, steps


def _args(argv: list[str]) -> argparse.Namespace:
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
    ap.add_argument("--repeat", type=int, default=3, metavar="N", help="turns of builds (medians shown; default 3)")
    ap.add_argument("--no-cli", dest="cli", action="store_false", help="skip the whole-process CLI builds")
    ap.add_argument(
        "--mlflow-python",
        default=DEFAULT_MLFLOW_PYTHON,
        help="Python with mlflow installed, to time MLflow's client ('none' to skip; "
        f"default {DEFAULT_MLFLOW_PYTHON} if it exists)",
    )
    ap.add_argument("--client-sqlite", action="store_true", help="also time MLflow's client on SQLite (slow)")
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
    args.work = args.work.resolve()  # children run elsewhere: every path they get is absolute
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child-build"]:  # internal: one measured build in a fresh process
        print(json.dumps(lib.child_build(json.loads(argv[1]))))
        return 0
    args = _args(argv)
    t0 = time.perf_counter()
    code = lib.snapshot_code(args.work / "_code", args.rev)
    workloads = args.workload or [DEFAULT_WORKLOAD]
    if args.large and LARGE_WORKLOAD not in workloads:
        workloads.append(LARGE_WORKLOAD)
    mlflow_ok, mlflow_info = lib.mlflow_usable(args.mlflow_python)
    # Load sitegen, matplotlib & co. once so the first measured build does not pay for a cold
    # disk cache (or for matplotlib's one-time font cache).
    subprocess.run(
        [sys.executable, "-c", "import sitegen, sitegen.charts, matplotlib.pyplot"],
        cwd=lib.CODE_DIR,
        env=lib.sitegen_env(),
        check=True,
    )

    results = [bench_workload(r, m, s, args.work, args, mlflow_ok) for r, m, s in workloads]
    total = time.perf_counter() - t0

    print(
        f"trackreport build benchmark (code {code}): Python {platform.python_version()}, {os.cpu_count()} CPUs, "
        f"jobs={args.jobs or 'all cores'}; MLflow client: {mlflow_info if mlflow_ok else 'skipped: ' + mlflow_info}"
    )
    print(
        "Build times exclude process start-up and imports (the CLI table includes them); cold builds write into"
        " an empty folder. RSS = peak resident set (getrusage maxrss) of the building process / of its largest"
        " chart worker, the largest of the turns. build/read = cold build / MLflow client's file-store read."
    )
    for res in results:
        print()
        print(report(res))
    print(f"\nTotal benchmark time {total:.1f} s")
    if args.json:
        doc = {
            "code": code,
            "python": platform.python_version(),
            "cpus": os.cpu_count(),
            "jobs": args.jobs,
            "mlflow": mlflow_info if mlflow_ok else None,
            "workloads": results,
            "total_seconds": total,
        }
        args.json.write_text(json.dumps(doc, indent=2) + "\n", encoding="utf-8")
        print(f"numbers saved to {args.json}")
    return 1 if any(r["problems"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
