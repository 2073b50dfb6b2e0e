"""Property-based tests (hypothesis): random file-store trees and random SQLite rows, within and
outside MLflow's formats. Whatever the store holds, no exception escapes the build, every
problem is a warning naming its place, and the output is a valid site (an index, every link
resolving). Bounded (a few dozen examples each) so the suite stays fast."""

import shutil
import sqlite3
import string
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sitecheck import broken_links

from sitegen import BuildOptions, build

SCHEMA = Path(__file__).parent.parent / "benchmarks" / "mlflow-3.17.2-schema.sql"
HEX = "0123456789abcdef"
# The suite runs a fixed set of 30 examples per test (fast, repeatable); HYPOTHESIS_PROFILE=deep
# runs 300 new ones each time (the profiles are set in conftest.py).
SETTINGS = settings(deadline=None, suppress_health_check=list(HealthCheck))

names = st.text(string.ascii_letters + string.digits + "_-. ", min_size=1, max_size=12).filter(
    lambda s: s.strip(" .") == s and s not in (".", "..")
)
scalars = st.one_of(
    st.none(), st.integers(-(2**70), 2**70), st.floats(allow_nan=True), st.text(max_size=20), st.booleans()
)
yaml_text = st.one_of(
    st.just(""),
    st.just("- a\n- list\n"),
    st.just("{{{"),
    st.binary(max_size=40).map(lambda b: b.decode("latin-1")),
    st.dictionaries(
        st.sampled_from(
            [
                "experiment_id",
                "run_id",
                "run_uuid",
                "status",
                "start_time",
                "end_time",
                "name",
                "run_name",
                "lifecycle_stage",
                "artifact_uri",
                "user_id",
                "source_type",
                "experiment_name",
            ]
        ),
        scalars,
        max_size=8,
    ).map(lambda d: "\n".join(f"{k}: {v!r}" if isinstance(v, str) else f"{k}: {v}" for k, v in d.items())),
)
metric_lines = st.lists(
    st.one_of(
        st.tuples(st.integers(0, 2**41), st.floats(allow_nan=True), st.integers(-5, 10**6)).map(
            lambda t: f"{t[0]} {t[1]} {t[2]}"
        ),
        st.text(max_size=15),
    ),
    max_size=6,
).map(lambda lines: "\n".join(lines))
run = st.fixed_dictionaries(
    {
        "folder": st.one_of(st.text(HEX, min_size=32, max_size=32), names),
        "meta": st.one_of(st.none(), yaml_text),
        "params": st.dictionaries(names, st.binary(max_size=12), max_size=3),
        "tags": st.dictionaries(names, st.binary(max_size=12), max_size=3),
        "metrics": st.dictionaries(names, metric_lines, max_size=3),
    }
)
experiment = st.fixed_dictionaries(
    {
        "folder": st.one_of(st.integers(0, 999).map(str), names),
        "meta": st.one_of(st.none(), yaml_text, st.just("VALID")),
        "runs": st.lists(run, max_size=3),
    }
)


def _write_file_store(root: Path, exps: list[dict]) -> None:
    for exp in exps:
        folder = root / exp["folder"]
        folder.mkdir(parents=True, exist_ok=True)
        if exp["meta"] == "VALID":
            (folder / "meta.yaml").write_text(f"experiment_id: '{exp['folder']}'\nname: e{exp['folder']}\n")
        elif exp["meta"] is not None:
            (folder / "meta.yaml").write_text(exp["meta"])
        for r in exp["runs"]:
            rd = folder / r["folder"]
            rd.mkdir(exist_ok=True)
            if r["meta"] is not None:
                (rd / "meta.yaml").write_text(r["meta"])
            for section in ("params", "tags"):
                for k, v in r[section].items():
                    (rd / section).mkdir(exist_ok=True)
                    (rd / section / k).write_bytes(v)
            for k, v in r["metrics"].items():
                (rd / "metrics").mkdir(exist_ok=True)
                (rd / "metrics" / k).write_text(v)


def _check(result, site: Path, store: str) -> None:
    assert (site / "index.html").is_file()
    assert broken_links(site) == []
    for w in result.warnings:
        assert isinstance(w, str) and w.strip() and "Traceback" not in w


@SETTINGS
@given(st.lists(experiment, min_size=1, max_size=3))
def test_random_file_stores_build(exps):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "mlruns"
        root.mkdir()
        (root / "0").mkdir()
        (root / "0" / "meta.yaml").write_text("experiment_id: '0'\nname: Default\n")
        _write_file_store(root, exps)
        site = Path(tmp) / "site"
        result = build(BuildOptions(store=str(root), out=str(site), jobs=1))
        _check(result, site, str(root))
        for w in result.warnings:  # file-store problems name their place in the store
            assert w.startswith(str(root)) or w.startswith(("run ", "experiment ", "no artifact folder")), w
        shutil.rmtree(site)


sql_values = st.one_of(
    st.none(), st.integers(-(2**62), 2**62), st.floats(allow_nan=False), st.text(max_size=12), st.binary(max_size=8)
)


@SETTINGS
@given(
    st.lists(
        st.tuples(
            st.text(HEX, min_size=1, max_size=32),
            st.sampled_from([0, 1, 2, 99]),
            sql_values,
            sql_values,
            sql_values,
            st.sampled_from(["RUNNING", "FINISHED", "FAILED"]),
        ),
        max_size=5,
    ),
    st.lists(st.tuples(st.integers(0, 4), st.text(max_size=8), sql_values, sql_values, sql_values), max_size=12),
    st.lists(st.tuples(st.integers(0, 4), st.text(max_size=8), sql_values), max_size=8),
)
def test_random_sqlite_rows_build(runs, metrics, params):
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "mlflow.db"
        conn = sqlite3.connect(db)
        conn.executescript(SCHEMA.read_text())
        conn.execute("PRAGMA ignore_check_constraints = ON")
        conn.execute("INSERT INTO experiments (experiment_id, name, lifecycle_stage) VALUES (1, 'fuzz', 'active')")
        ids = []
        for rid, eid, start, end, name, status in runs:
            if rid in ids:
                continue
            ids.append(rid)
            conn.execute(
                "INSERT INTO runs (run_uuid, experiment_id, start_time, end_time, name, status, "
                "lifecycle_stage) VALUES (?, ?, ?, ?, ?, ?, 'active')",
                (rid, eid, start, end, name, status),
            )
        for i, key, value, ts, step in metrics:
            if ids:
                conn.execute(
                    "INSERT OR IGNORE INTO metrics (key, value, timestamp, run_uuid, step, is_nan) "
                    "VALUES (?, ?, ?, ?, ?, 0)",
                    (key, value, ts, ids[i % len(ids)], step),
                )
        for i, key, value in params:
            if ids:
                conn.execute(
                    "INSERT OR IGNORE INTO params (key, value, run_uuid) VALUES (?, ?, ?)",
                    (key, value, ids[i % len(ids)]),
                )
        conn.commit()
        conn.close()
        site = Path(tmp) / "site"
        result = build(BuildOptions(store=f"sqlite:///{db}", out=str(site), jobs=1))
        _check(result, site, str(db))
