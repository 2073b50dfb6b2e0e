"""Read time of the 200-run workload from PostgreSQL and through a tracking server's REST API,
next to MLflow's own client on the same stores.

Generates the workload (make_store.py, SQLite), starts a throw-away PostgreSQL on 127.0.0.1
(as the tests do; Debian's postgresql package), lets MLflow create its schema there
(``mlflow db upgrade``) and copies the rows in, then starts ``mlflow server`` on that
database. For each store it prints how long trackreport's reader takes to read everything
(runs, params, tags, every metric history) and how long MLflow's client takes to do the same
(``search_runs`` + ``get_metric_history`` for every metric of every run). Through the server,
trackreport reads a second time with every history asked for per run and key, as it does from
servers that cannot give them in bulk, and a third time in bulk again (the first read meets a
server just started), and prints how many history requests each read sent.

Needs: the full ``mlflow`` package (for its server and client), psycopg2, and PostgreSQL.

    python3 benchmarks/bench_servers.py [--workload 200x5x500]
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(REPO / "tests"))
import make_store  # noqa: E402
from dbservers import Postgres, free_port  # noqa: E402

from sitegen.readers import get_reader, rest  # noqa: E402

# MLflow's command beside this interpreter (a venv's bin/ need not be on PATH)
MLFLOW = str(Path(sys.executable).with_name("mlflow"))
TABLES = ["experiments", "experiment_tags", "runs", "params", "tags", "metrics", "latest_metrics"]


def copy_to_postgres(db: Path, pg_uri: str) -> None:
    import psycopg2
    from psycopg2.extras import execute_values

    src = sqlite3.connect(db)
    dsn = pg_uri.replace("postgresql+psycopg2://", "postgresql://")
    with psycopg2.connect(dsn) as dst, dst.cursor() as cur:
        cur.execute("DELETE FROM experiments WHERE experiment_id = 0")
        for table in TABLES:
            cols = [r[1] for r in src.execute(f'PRAGMA table_info("{table}")')]
            cur.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = %s", (table,))
            pg_types = dict(cur.fetchall())
            cols = [c for c in cols if c in pg_types]
            rows = src.execute(f"SELECT {', '.join(cols)} FROM {table}").fetchall()
            bools = [i for i, c in enumerate(cols) if pg_types[c] == "boolean"]
            if bools:
                rows = [tuple(bool(v) if i in bools and v is not None else v for i, v in enumerate(r)) for r in rows]
            quoted = ", ".join(f'"{c}"' for c in cols)
            execute_values(cur, f"INSERT INTO {table} ({quoted}) VALUES %s", rows, page_size=5000)


def mlflow_read(uri: str) -> float:
    """MLflow's client reading everything, in a fresh process (import excluded)."""
    code = """
import sys, time
from mlflow import MlflowClient
from mlflow.entities import ViewType
c = MlflowClient(tracking_uri=sys.argv[1])
t = time.perf_counter()
ids = [e.experiment_id for e in c.search_experiments(view_type=ViewType.ALL)]
runs, token = [], None
while True:
    page = c.search_runs(ids, run_view_type=ViewType.ALL, max_results=1000, page_token=token)
    runs += page
    token = page.token
    if not token:
        break
n = sum(len(c.get_metric_history(r.info.run_id, k)) for r in runs for k in r.data.metrics)
print(time.perf_counter() - t, n)
"""
    out = subprocess.run(
        [sys.executable, "-c", code, uri],
        capture_output=True,
        text=True,
        check=True,
        env=dict(os.environ, MLFLOW_ALLOW_FILE_STORE="true"),
    )
    return float(out.stdout.split()[0])


def trackreport_read(uri: str) -> tuple[float, int, dict | None]:
    """Seconds, points read, and (through REST) how many history requests were sent."""
    t = time.perf_counter()
    reader = get_reader(uri, include_deleted=True)
    try:
        store = reader.read()
    finally:
        reader.close()
    points = sum(len(h) for e in store.experiments for r in e.runs for h in r.metrics.values())
    histories = getattr(reader, "histories", None)
    return time.perf_counter() - t, points, histories and dict(histories.requests)


def trackreport_read_per_run(url: str) -> tuple[float, int, dict | None]:
    """The REST read with every history asked for per run and key (as before bulk reads)."""
    ask = rest.bulk_orders_like_client
    rest.bulk_orders_like_client = lambda http: False
    try:
        return trackreport_read(url)
    finally:
        rest.bulk_orders_like_client = ask


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--workload", default="200x5x500")
    args = ap.parse_args()
    runs, metrics, steps = (int(x) for x in args.workload.split("x"))
    rows = []
    with tempfile.TemporaryDirectory(prefix="trackreport-bench-servers-") as tmp:
        tmp = Path(tmp)
        make_store.generate(tmp / "store", runs=runs, metrics=metrics, steps=steps, kinds=("sqlite",))
        pg = Postgres(tmp / "pg").start()
        server = None
        try:
            uri = pg.create_db("bench")
            subprocess.run([MLFLOW, "db", "upgrade", uri], check=True, capture_output=True)
            copy_to_postgres(tmp / "store" / "sqlite" / "mlflow.db", uri)
            t, n, _ = trackreport_read(uri)
            rows.append(("PostgreSQL", t, mlflow_read(uri), n))
            port = free_port()
            server = subprocess.Popen(
                [
                    MLFLOW,
                    "server",
                    "--host",
                    "127.0.0.1",
                    "--port",
                    str(port),
                    "--backend-store-uri",
                    uri,
                    "--workers",
                    "2",
                ],
                stdout=subprocess.DEVNULL,
                stderr=subprocess.DEVNULL,
                cwd=tmp,
            )
            url = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + 120
            while time.monotonic() < deadline:
                try:
                    urllib.request.urlopen(url + "/health", timeout=2)
                    break
                except OSError:
                    time.sleep(0.3)
            os.environ["XDG_CACHE_HOME"] = str(tmp / "cache")  # artifacts downloaded by each
            t, n, requests = trackreport_read(url)
            theirs = mlflow_read(url)
            rows.append(("REST (server on PostgreSQL)", t, theirs, n))
            print(f"REST history requests: {requests}")
            os.environ["XDG_CACHE_HOME"] = str(tmp / "cache-per-run")
            t, n, requests = trackreport_read_per_run(url)
            rows.append(("REST, histories per run", t, theirs, n))
            print(f"REST history requests, per run: {requests}")
            # Bulk again, on a server now warm: the first read also paid for the server's start
            # (its workers' first requests), which the per-run read, second, did not.
            os.environ["XDG_CACHE_HOME"] = str(tmp / "cache-again")
            t, n, _ = trackreport_read(url)
            rows.append(("REST, bulk again (warm)", t, theirs, n))
        finally:
            if server is not None:
                server.terminate()
                server.wait(timeout=30)
            pg.stop()
    print(
        f"\nReading {runs} runs x {metrics} metrics x {steps} steps (every history), "
        f"{os.cpu_count()} cores, Python {sys.version.split()[0]}\n"
    )
    print(f"{'store':30} {'trackreport':>12} {'MLflow client':>14} {'ratio':>7} {'points':>9}")
    for name, ours, theirs, n in rows:
        print(f"{name:30} {ours:11.2f}s {theirs:13.2f}s {ours / theirs:7.2f} {n:9,}")
    print(
        "\n(trackreport: readers.open_store, in-process; MLflow: search_runs + get_metric_history for every "
        "metric of every run, fresh process, import excluded. Through REST, trackreport also lists and "
        "downloads each run's artifacts; \"histories per run\" asks for each history on its own, as "
        "servers without bulk reads (and trackreport before them) do.)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
