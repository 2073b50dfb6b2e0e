"""Generate a large synthetic MLflow tracking store, deterministically, in MLflow 3.17.2's formats.

Writes the same runs twice, the way MLflow 3.17.2 itself lays them out::

    OUT/file/mlruns/                   file store (``file:OUT/file/mlruns``), with the empty
                                       ``.trash/`` MLflow creates on opening it
        <exp>/meta.yaml, <exp>/tags/<key>
        <exp>/<run>/meta.yaml          status / source_type as integers
        <exp>/<run>/params/<key>, tags/<key>, metrics/<key>   ("<ts_ms> <value> <step>\\n")
        <exp>/<run>/artifacts/plot.png, data.csv
    OUT/sqlite/mlflow.db               SQLite store (``sqlite:///OUT/sqlite/mlflow.db``), the exact
                                       3.17.2 schema (alembic revision included)
    OUT/sqlite/mlruns/<exp>/<run>/artifacts/...   where a 3.x client without a server puts them
    OUT/manifest.json                  counts, URIs and ids (used by bench_build.py)

Experiment ``0`` ("Default", no runs) exists in both, as MLflow always creates it; the
``--experiments`` named experiments hold the runs. Experiment ids are long random integers in
the file store and 1..N in SQLite (as MLflow assigns them); run ids are the same in both.
Every run logs every metric at every step, so there are runs x metrics x steps points.

The SQLite schema comes from ``mlflow-3.17.2-schema.sql`` next to this script (DDL copied
verbatim from ``sqlite_master`` of a database written by MLflow 3.17.2, plus the rows its
migrations seed), or from any MLflow database given with ``--schema DB``. Regenerate the
.sql file with ``--dump-schema /work/shared/corpus/3.17.2/sqlite/mlflow.db``.

Usage::

    python3 benchmarks/make_store.py --out /tmp/store --runs 200 --metrics 5 --steps 500
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import sqlite3
import struct
import sys
import time
import zlib
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
SCHEMA_SQL = HERE / "mlflow-3.17.2-schema.sql"
CORPUS_DB = Path("/work/shared/corpus/3.17.2/sqlite/mlflow.db")

# Tables whose rows are written by MLflow's migrations themselves (not by logging).
SEED_TABLES = ("alembic_version", "workspaces")

# MLflow writes YAML with sort_keys=True, default_flow_style=False, allow_unicode=True and the
# C safe dumper when libyaml is there (mlflow/utils/file_utils.py: write_yaml).
_Dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)

BASE_TIME_MS = 1_760_000_000_000  # 2025-10-09, a fixed origin keeps the output reproducible
STEP_MS = 50  # wall time between two logged steps
STATUS_CODE = {"RUNNING": 1, "SCHEDULED": 2, "FINISHED": 3, "FAILED": 4, "KILLED": 5}
SOURCE_TYPE_LOCAL = 4  # file store meta.yaml code for LOCAL
NAMED_METRICS = [
    "train/loss",
    "val/loss",
    "val/accuracy",
    "train/accuracy",
    "learning_rate",
    "grad_norm",
    "val/f1",
    "epoch_time",
    "train/perplexity",
    "val/auc",
]
USERS = ["alice", "bob", "carol", "dmitri"]
SOURCE_NAME = "/srv/lab/train.py"


# --------------------------------------------------------------------------- schema


def _sql_literal(v) -> str:
    if v is None:
        return "NULL"
    if isinstance(v, (int, float)):
        return repr(v)
    if isinstance(v, bytes):
        return "X'" + v.hex() + "'"
    return "'" + str(v).replace("'", "''") + "'"


def schema_script_from_db(db: Path) -> str:
    """DDL of every table, index and trigger of an MLflow database, plus its seeded rows."""
    conn = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        # Tables first, then indexes, then triggers; rowid order within each kind is the
        # order the migrations created them in. Auto-indexes (sql IS NULL) come with tables.
        rows = conn.execute(
            "SELECT sql FROM sqlite_master WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%'"
            " ORDER BY CASE type WHEN 'table' THEN 0 WHEN 'index' THEN 1 ELSE 2 END, rowid"
        ).fetchall()
        parts = [sql + ";" for (sql,) in rows]
        for table in SEED_TABLES:
            for row in conn.execute(f'SELECT * FROM "{table}"'):
                parts.append(f'INSERT INTO "{table}" VALUES ({", ".join(map(_sql_literal, row))});')
    finally:
        conn.close()
    return "\n".join(parts) + "\n"


def load_schema(source: Path | None) -> str:
    """Schema script from a .sql file or an MLflow .db; default: the bundled .sql, else the corpus."""
    if source is None:
        source = SCHEMA_SQL if SCHEMA_SQL.is_file() else CORPUS_DB
    if not source.is_file():
        raise SystemExit(f"schema source not found: {source} (pass --schema DB_OR_SQL)")
    with open(source, "rb") as f:
        is_db = f.read(16) == b"SQLite format 3\x00"
    return schema_script_from_db(source) if is_db else source.read_text(encoding="utf-8")


# --------------------------------------------------------------------------- synthetic content


@dataclass
class ExpSpec:
    file_id: str  # long random id, as the 3.x file store assigns
    sql_id: int  # 1..N, as the SQL store assigns
    name: str
    creation_time: int
    tags: dict[str, str]


@dataclass
class RunSpec:
    run_id: str
    exp: ExpSpec
    name: str
    status: str
    start_time: int
    end_time: int | None
    user: str
    params: dict[str, str]
    tags: dict[str, str] = field(default_factory=dict)  # insertion order = MLflow's order


def metric_keys(n: int) -> list[str]:
    return NAMED_METRICS[:n] + [f"extra/metric_{i:03d}" for i in range(len(NAMED_METRICS), n)]


def plan_content(
    runs: int, experiments: int, steps: int, seed: int, n_params: int = 5
) -> tuple[list[ExpSpec], list[RunSpec]]:
    """Experiments and runs (everything but metric values), reproducible from ``seed``."""
    rng = random.Random(seed)
    exps = []
    for i in range(experiments):
        tags = {"team": rng.choice(["vision", "nlp", "speech"]), "project": f"bench-{i + 1}"}
        if i == 0:
            tags["mlflow.note.content"] = (
                "# Benchmark experiment\n\nSynthetic runs written by "
                "`benchmarks/make_store.py`; **not real results**.\n"
            )
        exps.append(
            ExpSpec(
                file_id=str(rng.randrange(10**17, 10**18)),
                sql_id=i + 1,
                name=f"bench-experiment-{i + 1}",
                creation_time=BASE_TIME_MS - (experiments - i) * 3_600_000,
                tags=tags,
            )
        )
    commit = "%040x" % rng.getrandbits(160)
    run_span = steps * STEP_MS + 10_000
    out: list[RunSpec] = []
    parent: RunSpec | None = None
    for i in range(runs):
        exp = exps[i * experiments // runs]  # contiguous blocks of runs per experiment
        if parent is not None and parent.exp is not exp:
            parent = None
        start = BASE_TIME_MS + i * run_span
        roll = rng.random()
        status = "FAILED" if roll < 0.05 else "KILLED" if roll < 0.07 else "FINISHED"
        if i == runs - 1:
            status = "RUNNING"  # one run still being logged
        lr = rng.choice(["0.1", "0.03", "0.01", "0.003", "0.001"])
        batch = rng.choice(["32", "64", "128", "256"])
        params = {
            "lr": lr,
            "batch_size": batch,
            "optimizer": rng.choice(["adam", "sgd", "adamw"]),
            "dropout": rng.choice(["0.0", "0.1", "0.2", "0.5"]),
            "seed": str(rng.randrange(10_000)),
        }
        for j in range(5, n_params):  # more params (not drawn from rng: the default store stays the same)
            params[f"p{j:02d}"] = str((i * 7 + j * 3) % 11 / 10)
        run = RunSpec(
            run_id="%032x" % rng.getrandbits(128),
            exp=exp,
            name=f"run-{i:05d} lr={lr} b={batch}",
            status=status,
            start_time=start,
            end_time=None if status == "RUNNING" else start + steps * STEP_MS + 500,
            user=rng.choice(USERS),
            params=params,
        )
        # ~30% of runs are children of the latest top-level run of their experiment.
        is_child = parent is not None and rng.random() < 0.3
        run.tags = {"mlflow.user": run.user, "mlflow.source.name": SOURCE_NAME, "mlflow.source.type": "LOCAL"}
        if is_child:
            run.tags["mlflow.parentRunId"] = parent.run_id
        run.tags["mlflow.runName"] = run.name
        run.tags["mlflow.source.git.commit"] = commit
        run.tags["stage"] = "sweep" if is_child else "baseline"
        if not is_child:
            parent = run
        out.append(run)
    return exps, out


def metric_values(seed: int, run_index: int, n_metrics: int, steps: int) -> np.ndarray:
    """(n_metrics, steps) noisy training curves, rounded to 6 decimals like typical logs."""
    rng = np.random.default_rng([seed, run_index])
    x = np.arange(steps, dtype=np.float64) / max(steps - 1, 1)
    rate = rng.uniform(2.0, 6.0, size=(n_metrics, 1))
    scale = rng.uniform(0.5, 3.0, size=(n_metrics, 1))
    decay = scale * np.exp(-rate * x) + 0.05
    curves = np.where(np.arange(n_metrics)[:, None] % 2 == 0, decay, 1.0 - decay / (scale + 0.05))
    curves = curves + rng.normal(0.0, 0.01, size=(n_metrics, steps))
    return np.round(np.abs(curves), 6)


def _png(width: int = 16, height: int = 16) -> bytes:
    """A tiny valid RGB PNG (a gradient), built by hand to need nothing but zlib."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\x00" + bytes(v for x in range(width) for v in (x * 16, y * 16, 128)) for y in range(height))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw, 9))
        + chunk(b"IEND", b"")
    )


PNG_BYTES = _png()


def _csv(values: np.ndarray) -> bytes:
    first = values[0].tolist()
    rows = ["epoch,score"] + [f"{e},{first[min(e, len(first) - 1)]!r}" for e in range(5)]
    return ("\n".join(rows) + "\n").encode()


def _write_artifacts(folder: Path, csv_bytes: bytes) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "plot.png").write_bytes(PNG_BYTES)
    (folder / "data.csv").write_bytes(csv_bytes)


# --------------------------------------------------------------------------- file store


def _dump_yaml(path: Path, data: dict) -> None:
    with open(path, "w", encoding="utf-8") as f:
        yaml.dump(data, f, Dumper=_Dumper, default_flow_style=False, allow_unicode=True, sort_keys=True)


def _write_kv(folder: Path, items: dict[str, str]) -> None:
    """params/ or tags/: one file per key, content = value exactly; '/' in a key nests folders."""
    for key, value in items.items():
        path = folder / key
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(value.encode("utf-8"))


def write_file_experiment(root: Path, exp: ExpSpec | None) -> None:
    """Experiment meta.yaml (+ tags/) exactly as MLflow 3.17.2's file store writes it."""
    exp_id = exp.file_id if exp else "0"
    d = root / exp_id
    d.mkdir(parents=True, exist_ok=True)
    created = exp.creation_time if exp else BASE_TIME_MS - 86_400_000
    _dump_yaml(
        d / "meta.yaml",
        {
            "artifact_location": d.resolve().as_uri(),
            "creation_time": created,
            "effective_trace_archival_retention": None,
            "experiment_id": exp_id,
            "last_update_time": created,
            "lifecycle_stage": "active",
            "name": exp.name if exp else "Default",
            "trace_location": None,
            "workspace": "default",
        },
    )
    if exp and exp.tags:
        _write_kv(d / "tags", exp.tags)


def write_file_run(
    root: Path, run: RunSpec, keys: list[str], ts: np.ndarray, values: np.ndarray, csv_bytes: bytes
) -> None:
    d = root / run.exp.file_id / run.run_id
    (d / "metrics").mkdir(parents=True, exist_ok=True)
    _dump_yaml(
        d / "meta.yaml",
        {
            "artifact_uri": (d / "artifacts").resolve().as_uri(),
            "end_time": run.end_time,
            "entry_point_name": "",
            "experiment_id": run.exp.file_id,
            "lifecycle_stage": "active",
            "run_id": run.run_id,
            "run_name": run.name,
            "source_name": "",
            "source_type": SOURCE_TYPE_LOCAL,
            "source_version": "",
            "start_time": run.start_time,
            "status": STATUS_CODE[run.status],
            "tags": [],
            "user_id": run.user,
        },
    )
    _write_kv(d / "params", run.params)
    _write_kv(d / "tags", run.tags)
    steps = range(values.shape[1])
    for k, key in enumerate(keys):
        path = d / "metrics" / key
        path.parent.mkdir(parents=True, exist_ok=True)
        # FileStore._log_metric appends "%s %s %s\n" % (timestamp, value, step); str(float)==repr.
        text = "".join([f"{t} {v!r} {s}\n" for t, v, s in zip((ts + k).tolist(), values[k].tolist(), steps)])
        with open(path, "w", encoding="ascii") as f:
            f.write(text)
    _write_artifacts(d / "artifacts", csv_bytes)


# --------------------------------------------------------------------------- SQLite store


class SqliteWriter:
    def __init__(self, db: Path, schema: str, artifact_root: Path):
        self.artifact_root = artifact_root
        self.conn = sqlite3.connect(db, isolation_level=None)
        # Bulk load: no rollback journal or fsync while filling (the file is new anyway).
        self.conn.execute("PRAGMA journal_mode = OFF")
        self.conn.execute("PRAGMA synchronous = OFF")
        self.conn.executescript(schema)
        self.conn.execute("BEGIN")

    def add_experiments(self, exps: list[ExpSpec]) -> None:
        default_created = BASE_TIME_MS - 86_400_000
        rows = [(0, "Default", str(self.artifact_root / "0"), "active", default_created, default_created, "default")]
        rows += [
            (
                e.sql_id,
                e.name,
                str(self.artifact_root / str(e.sql_id)),
                "active",
                e.creation_time,
                e.creation_time,
                "default",
            )
            for e in exps
        ]
        self.conn.executemany(
            "INSERT INTO experiments (experiment_id, name, artifact_location, lifecycle_stage,"
            " creation_time, last_update_time, workspace) VALUES (?, ?, ?, ?, ?, ?, ?)",
            rows,
        )
        self.conn.executemany(
            "INSERT INTO experiment_tags (key, value, experiment_id) VALUES (?, ?, ?)",
            [(k, v, e.sql_id) for e in exps for k, v in e.tags.items()],
        )

    def add_run(self, run: RunSpec, keys: list[str], ts: np.ndarray, values: np.ndarray) -> None:
        c = self.conn
        art = self.artifact_root / str(run.exp.sql_id) / run.run_id / "artifacts"
        # As a 3.17.2 client without a server records it: source_type UNKNOWN, empty source
        # fields, a bare absolute artifact path.
        c.execute(
            "INSERT INTO runs (run_uuid, name, source_type, source_name, entry_point_name, user_id,"
            " status, start_time, end_time, source_version, lifecycle_stage, artifact_uri,"
            " experiment_id, deleted_time) VALUES (?, ?, 'UNKNOWN', '', '', ?, ?, ?, ?, '', 'active',"
            " ?, ?, NULL)",
            (run.run_id, run.name, run.user, run.status, run.start_time, run.end_time, str(art), run.exp.sql_id),
        )
        c.executemany(
            "INSERT INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
            [(k, v, run.run_id) for k, v in run.params.items()],
        )
        c.executemany(
            "INSERT INTO tags (key, value, run_uuid) VALUES (?, ?, ?)",
            [(k, v, run.run_id) for k, v in run.tags.items()],
        )
        n = values.shape[1]
        steps = list(range(n))
        for k, key in enumerate(keys):
            tsl = (ts + k).tolist()
            vl = values[k].tolist()
            c.executemany(
                "INSERT INTO metrics (key, value, timestamp, run_uuid, step, is_nan) VALUES (?, ?, ?, ?, ?, 0)",
                zip(repeat(key), vl, tsl, repeat(run.run_id), steps),
            )
            # latest = the point with the largest (step, timestamp, value): the last one here.
            c.execute(
                "INSERT INTO latest_metrics (key, value, timestamp, step, is_nan, run_uuid) VALUES (?, ?, ?, ?, 0, ?)",
                (key, vl[-1], tsl[-1], n - 1, run.run_id),
            )

    def close(self) -> None:
        self.conn.execute("COMMIT")
        self.conn.execute("PRAGMA journal_mode = DELETE")  # what MLflow's own databases use
        self.conn.close()


# --------------------------------------------------------------------------- driver


def generate(
    out: Path,
    *,
    runs: int = 200,
    metrics: int = 5,
    steps: int = 500,
    experiments: int = 2,
    seed: int = 0,
    params: int = 5,
    schema: Path | None = None,
    kinds: tuple[str, ...] = ("file", "sqlite"),
    quiet: bool = True,
) -> dict:
    """Write the store(s) under ``out`` (replacing what is there); return the manifest."""
    if runs < 1 or metrics < 1 or steps < 1 or experiments < 1:
        raise ValueError("runs, metrics, steps and experiments must be at least 1")
    t0 = time.perf_counter()
    out = out.resolve()
    for kind in kinds:
        shutil.rmtree(out / kind, ignore_errors=True)
    out.mkdir(parents=True, exist_ok=True)
    exps, run_specs = plan_content(runs, min(experiments, runs), steps, seed, params)
    keys = metric_keys(metrics)

    file_root = out / "file" / "mlruns"
    if "file" in kinds:
        file_root.mkdir(parents=True)
        (file_root / ".trash").mkdir()  # MLflow's FileStore creates it when it opens a store
        write_file_experiment(file_root, None)
        for e in exps:
            write_file_experiment(file_root, e)
    sql = None
    db = out / "sqlite" / "mlflow.db"
    sql_art = out / "sqlite" / "mlruns"
    if "sqlite" in kinds:
        db.parent.mkdir(parents=True)
        sql = SqliteWriter(db, load_schema(schema), sql_art)
        sql.add_experiments(exps)

    step_ts = np.arange(steps, dtype=np.int64) * STEP_MS
    for i, run in enumerate(run_specs):
        values = metric_values(seed, i, metrics, steps)
        ts = run.start_time + 1000 + step_ts  # metric k of a step is logged k ms after metric 0
        csv_bytes = _csv(values)
        if "file" in kinds:
            write_file_run(file_root, run, keys, ts, values, csv_bytes)
        if sql is not None:
            sql.add_run(run, keys, ts, values)
            _write_artifacts(sql_art / str(run.exp.sql_id) / run.run_id / "artifacts", csv_bytes)
        if not quiet and (i + 1) % 100 == 0:
            print(f"  {i + 1}/{runs} runs", file=sys.stderr)
    if sql is not None:
        sql.close()

    touch = run_specs[len(run_specs) // 2]
    manifest = {
        "generator": "benchmarks/make_store.py",
        "seed": seed,
        "runs": runs,
        "metrics": metrics,
        "steps": steps,
        "experiments": len(exps),
        "points": runs * metrics * steps,
        "metric_keys": keys,
        "nested_runs": sum("mlflow.parentRunId" in r.tags for r in run_specs),
        "stores": {},
        # A run the benchmark may modify to measure an incremental rebuild.
        "touch": {
            "run_id": touch.run_id,
            "key": keys[0],
            "file_experiment_id": touch.exp.file_id,
            "last_step": steps - 1,
            "last_timestamp": int(touch.start_time + 1000 + step_ts[-1]),
        },
    }
    if "file" in kinds:
        manifest["stores"]["file"] = {"uri": file_root.as_uri(), "path": str(file_root)}
    if "sqlite" in kinds:
        manifest["stores"]["sqlite"] = {"uri": f"sqlite:///{db}", "path": str(db)}
    manifest["seconds"] = round(time.perf_counter() - t0, 3)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return manifest


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, help="folder to write file/, sqlite/ and manifest.json into")
    ap.add_argument("--runs", type=int, default=200)
    ap.add_argument("--metrics", type=int, default=5, help="metric keys per run")
    ap.add_argument("--steps", type=int, default=500, help="points per metric")
    ap.add_argument("--experiments", type=int, default=2, help="experiments holding the runs")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--params", type=int, default=5, help="params per run (at least 5)")
    ap.add_argument("--kind", choices=["file", "sqlite", "both"], default="both")
    ap.add_argument(
        "--schema",
        type=Path,
        help=f"MLflow .db or .sql to take the SQLite schema from (default: {SCHEMA_SQL.name}, else {CORPUS_DB})",
    )
    ap.add_argument(
        "--dump-schema", type=Path, metavar="DB", help=f"write {SCHEMA_SQL.name} from this MLflow database and exit"
    )
    args = ap.parse_args(argv)
    if args.dump_schema:
        header = (
            f"-- Schema of an MLflow 3.17.2 SQLite store, verbatim from sqlite_master of\n"
            f"-- {args.dump_schema}, plus the rows MLflow's migrations seed.\n"
            f"-- Written by: python3 benchmarks/make_store.py --dump-schema DB\n"
        )
        SCHEMA_SQL.write_text(header + schema_script_from_db(args.dump_schema), encoding="utf-8")
        print(f"wrote {SCHEMA_SQL}")
        return 0
    if args.out is None:
        ap.error("--out is required")
    kinds = ("file", "sqlite") if args.kind == "both" else (args.kind,)
    m = generate(
        args.out,
        runs=args.runs,
        metrics=args.metrics,
        steps=args.steps,
        experiments=args.experiments,
        seed=args.seed,
        params=args.params,
        schema=args.schema,
        kinds=kinds,
        quiet=False,
    )
    print(
        f"{m['runs']} runs ({m['nested_runs']} nested) x {m['metrics']} metrics x {m['steps']} steps"
        f" = {m['points']:,} points in {m['experiments']} experiments, {m['seconds']:.1f} s"
    )
    for kind, s in m["stores"].items():
        print(f"  {kind:6s} {s['uri']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
