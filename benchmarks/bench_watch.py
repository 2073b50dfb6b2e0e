"""Benchmark ``trackreport watch`` and incremental builds on the 200-run store.

Prints, for the file store and for SQLite (200 runs x 5 metrics x 500 steps by default):

* cold build (``trackreport build --clean`` in a fresh process, wall time);
* incremental ``trackreport build`` in a fresh process, with nothing changed and after one
  run got one more metric point — what a user or CI job waits for — and the same through
  ``SiteBuilder`` in-process (what ``watch`` pays per rebuild);
* watch latency: a ``Watcher`` follows the store while MLflow's own client
  (``MlflowClient.log_metric``, when ``mlflow`` is importable; else the same line/row written
  directly) logs a point to a random run; the time until that point is in the run's
  ``run.json`` on disk, p50/p95/max over ``--samples`` points.

Usage::

    python3 benchmarks/bench_watch.py
    python3 benchmarks/bench_watch.py --workload 50x3x100 --samples 10
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))
import make_store  # noqa: E402

from sitegen import BuildOptions  # noqa: E402
from sitegen.builder.pipeline import SiteBuilder  # noqa: E402
from sitegen.watcher import Watcher  # noqa: E402


def startup() -> float:
    """Interpreter start and imports: ``trackreport --version``, best of three."""
    env = dict(os.environ, PYTHONPATH=str(REPO))
    times = []
    for _ in range(3):
        t = time.perf_counter()
        subprocess.run([sys.executable, "-m", "sitegen", "--version"], check=True, env=env, stdout=subprocess.DEVNULL)
        times.append(time.perf_counter() - t)
    return min(times)


def cli_build(uri: str, out: Path, *extra: str) -> float:
    env = dict(os.environ, PYTHONPATH=str(REPO))
    t = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "sitegen", "build", "-q", "--store", uri, "--out", str(out), *extra], check=True, env=env
    )
    return time.perf_counter() - t


def run_ids(site: Path) -> list[tuple[str, str]]:
    return [(p.parts[-4], p.parts[-2]) for p in site.glob("experiments/*/runs/*/run.json")]


class Logger:
    """Logs one metric point the way MLflow does (its client if importable)."""

    def __init__(self, kind: str, uri: str, root: Path):
        self.kind, self.uri, self.root = kind, uri, root
        try:
            os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
            from mlflow.tracking import MlflowClient

            self.client = MlflowClient(tracking_uri=uri)
            self.how = "mlflow client"
        except ImportError:
            self.client = None
            self.how = "direct write"

    def log(self, exp_id: str, run_id: str, key: str, value: float, step: int) -> None:
        ts = int(time.time() * 1000)
        if self.client is not None:
            self.client.log_metric(run_id, key, value, timestamp=ts, step=step)
        elif self.kind == "file":
            with open(self.root / exp_id / run_id / "metrics" / key, "a") as f:
                f.write(f"{ts} {value!r} {step}\n")
        else:
            with sqlite3.connect(self.root, timeout=10) as conn:
                conn.execute(
                    "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)",
                    (key, value, ts, run_id, step),
                )


def watch_latency(kind: str, uri: str, root: Path, site: Path, samples: int) -> dict:
    logger = Logger(kind, uri, root)
    watcher = Watcher(BuildOptions(store=uri, out=str(site)))
    thread = threading.Thread(target=watcher.run, daemon=True)
    thread.start()
    while watcher.builds == 0:
        time.sleep(0.01)
    rng = random.Random(1)
    ids = run_ids(site)
    latencies = []
    for i in range(samples):
        exp_id, run_id = rng.choice(ids)
        value = 1000.0 + i + 0.5
        page = site / "experiments" / exp_id / "runs" / run_id / "run.json"
        t0 = time.perf_counter()
        logger.log(exp_id, run_id, "bench/live", value, 100000 + i)
        seen = None
        while True:
            # Parse run.json only when it was replaced: parsing it every few milliseconds
            # would compete with the watcher for the interpreter and skew the figures.
            try:
                stamp = page.stat().st_mtime_ns
                if stamp != seen:
                    seen = stamp
                    doc = json.loads(page.read_text())
                    if any(p[2] == value for p in doc["metrics"].get("bench/live", [])):
                        break
            except (OSError, ValueError):
                pass
            if time.perf_counter() - t0 > 30:
                raise SystemExit(f"{kind}: point {i} never appeared")
            time.sleep(0.01)
        latencies.append(time.perf_counter() - t0)
        time.sleep(0.2)  # let the store go quiet, as between a training loop's log calls
    watcher.stop()
    thread.join()
    latencies.sort()
    return {
        "how": logger.how,
        "p50": statistics.median(latencies),
        "p95": latencies[min(len(latencies) - 1, int(round(0.95 * (len(latencies) - 1))))],
        "max": latencies[-1],
        "samples": len(latencies),
    }


def touch_one(kind: str, root: Path, site: Path) -> None:
    exp_id, run_id = sorted(run_ids(site))[7]
    ts = int(time.time() * 1000)
    if kind == "file":
        metric = next(p for p in (root / exp_id / run_id / "metrics").rglob("*") if p.is_file())
        with open(metric, "a") as f:
            f.write(f"{ts} 0.123 999999\n")
    else:
        with sqlite3.connect(root) as conn:
            key = conn.execute("SELECT key FROM metrics WHERE run_uuid=? LIMIT 1", (run_id,)).fetchone()[0]
            conn.execute(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                "VALUES (?, 0.123, ?, ?, 999999, 0)",
                (key, ts, run_id),
            )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workload", default="200x5x500", help="RUNSxMETRICSxSTEPS")
    ap.add_argument("--samples", type=int, default=20, help="logged points for the latency figures")
    args = ap.parse_args()
    runs, metrics, steps = (int(x) for x in args.workload.split("x"))
    # The CLI imports bytecode, as an installed package does (pip compiles it at install time),
    # even where PYTHONDONTWRITEBYTECODE is set.
    compileall.compile_dir(str(REPO / "sitegen"), quiet=1)
    start = startup()
    rows = []
    with tempfile.TemporaryDirectory(prefix="trackreport-bench-watch-") as tmp:
        tmp = Path(tmp)
        make_store.generate(tmp / "store", runs=runs, metrics=metrics, steps=steps)
        stores = {
            "file": (str(tmp / "store" / "file" / "mlruns"), tmp / "store" / "file" / "mlruns"),
            "sqlite": (f"sqlite:///{tmp / 'store' / 'sqlite' / 'mlflow.db'}", tmp / "store" / "sqlite" / "mlflow.db"),
        }
        for kind, (uri, root) in stores.items():
            site = tmp / f"site-{kind}"
            cold = cli_build(uri, site, "--clean")
            nochange = cli_build(uri, site)
            touch_one(kind, root, site)
            one = cli_build(uri, site)
            with SiteBuilder(BuildOptions(store=uri, out=str(site))) as b:
                b.build()
                t = time.perf_counter()
                b.build()
                inproc_nochange = time.perf_counter() - t
                touch_one(kind, root, site)
                t = time.perf_counter()
                r = b.build()
                inproc_one = time.perf_counter() - t
                assert r.runs_rendered == 1, r.summary()
            lat = watch_latency(kind, uri, root, site, args.samples)
            rows.append((kind, cold, nochange, one, inproc_nochange, inproc_one, lat))
    print(
        f"\ntrackreport watch / incremental builds, {runs} runs x {metrics} metrics x {steps} steps, "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}\n"
    )
    print(
        f"{'store':8} {'cold':>7} {'no change':>10} {'1 run':>7} {'1 run/cold':>11} "
        f"{'in-proc 0':>10} {'in-proc 1':>10} {'watch p50':>10} {'watch p95':>10} {'max':>7}"
    )
    for kind, cold, nochange, one, ip0, ip1, lat in rows:
        print(
            f"{kind:8} {cold:6.2f}s {nochange:9.2f}s {one:6.2f}s {one / cold:10.1%} "
            f"{ip0:9.3f}s {ip1:9.3f}s {lat['p50']:9.3f}s {lat['p95']:9.3f}s {lat['max']:6.3f}s"
        )
    print(
        f"\n(cold, no change, 1 run: `trackreport build` in a fresh process, wall time, of which "
        f"{start:.2f} s is interpreter start-up and imports (`trackreport --version`);\n in-proc: the "
        f"same rebuilds in a long-lived process, as watch does;\n watch: logged with the "
        f"{rows[0][6]['how']} → visible in run.json, {rows[0][6]['samples']} points per store)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
