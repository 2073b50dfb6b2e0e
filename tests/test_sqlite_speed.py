"""The SQLite reader's fast history read (numbers only, grouped by a second query; typed
arrays straight from the rows) returns exactly what the plain way returns: bit for bit,
damaged rows as warnings, any batching of runs, and in short read transactions."""

from __future__ import annotations

import math
import shutil
import sqlite3
import struct

import pytest

from sitegen.readers import get_reader, sqlhistories, sqlitedelta, sqlstore
from sitegen.readers.sqlstore import SqlReader

DBL_MAX = 1.7976931348623157e308


@pytest.fixture
def db(corpus_copy, tmp_path):
    dst = tmp_path / "mlflow.db"
    shutil.copy(corpus_copy / "3.17.2" / "sqlite" / "mlflow.db", dst)
    return dst


def _runs_with_metrics(db) -> list[str]:
    con = sqlite3.connect(db)
    try:
        return [
            r[0]
            for r in con.execute(
                "SELECT DISTINCT m.run_uuid FROM metrics m JOIN runs r ON r.run_uuid = m.run_uuid"
                " WHERE r.lifecycle_stage = 'active' ORDER BY m.run_uuid"
            )
        ]
    finally:
        con.close()


def _insert(db, rows) -> None:
    """rows: (run, key, value, timestamp, step, is_nan), written as MLflow's store would."""
    con = sqlite3.connect(db)
    with con:
        con.executemany(
            "INSERT INTO metrics (run_uuid, key, value, timestamp, step, is_nan) VALUES (?, ?, ?, ?, ?, ?)", rows
        )
    con.close()


def _read(db):
    reader = get_reader(f"sqlite:///{db}")
    try:
        store = reader.read()
    finally:
        reader.close()
    return store, {r.run_id: r for e in store.experiments for r in e.runs}


def _plain(db, run_id: str) -> dict[str, list]:
    """What MLflow's client returns: rows in (timestamp, step, value) order, NaN where is_nan."""
    con = sqlite3.connect(db)
    out: dict[str, list] = {}
    for key, step, ts, value, is_nan in con.execute(
        "SELECT key, step, timestamp, value, is_nan FROM metrics WHERE run_uuid = ?"
        " ORDER BY key, timestamp, step, value",
        (run_id,),
    ):
        out.setdefault(key, []).append((step, ts, math.nan if is_nan else value))
    con.close()
    return out


def _bits(points) -> list:
    return [(s, t, struct.pack("<d", v)) for s, t, v in points]


def _points(h) -> list:
    return list(zip(h.steps, h.timestamps, h.values))


def test_values_come_back_bit_exact(db):
    run = _runs_with_metrics(db)[0]
    values = [math.nan, DBL_MAX, -DBL_MAX, -0.0, 0.0, 5e-324, -5e-324, 2.2250738585072014e-308, 0.1, 1 / 3, -1e-300]
    _insert(
        db,
        [
            (run, "edge/values", 0.0 if math.isnan(v) else v, 1_700_000_000_000 + i, i - 3, int(math.isnan(v)))
            for i, v in enumerate(values)
        ]
        + [(run, "edge/steps", 1.5, 2**62 + 7, -(2**62), 0), (run, "edge/steps", 2.5, 2**62 + 7, 2**62, 0)]
        # logged out of order: a step again at the same time, an earlier time later
        + [(run, "edge/order", v, ts, st, 0) for st, ts, v in [(5, 10, 3.0), (5, 10, 1.0), (1, 20, 2.0), (2, 5, 0.5)]],
    )
    _store, runs = _read(db)
    want = _plain(db, run)
    got = runs[run].metrics
    assert sorted(got) == sorted(want)
    for key, points in want.items():
        assert _bits(_points(got[key])) == _bits(points), key
    edge = got["edge/values"]
    assert math.isnan(edge.values[0]) and edge.values[1] == DBL_MAX and edge.values[2] == -DBL_MAX
    assert struct.pack("<d", edge.values[5]) == struct.pack("<d", 5e-324)
    assert edge.values.typecode == "d" and edge.steps.typecode == "q"  # typed arrays, as before


def test_damaged_rows_are_warnings_naming_run_and_metric(db):
    run, other = _runs_with_metrics(db)[:2]
    _insert(
        db,
        [
            (run, "hurt", 1.0, 1_700_000_000_000, 0, 0),
            (run, "hurt", "not a number", 1_700_000_000_001, 1, 0),
            (run, "hurt", 3.0, 1_700_000_000_002, 2, 0),
            (run, "hurt", 4.0, "soon", 3, 0),
            (other, "odd_flag", 5.0, 1_700_000_000_000, 0, 1),  # is_nan wins over the value
            (other, b"blob_key", 6.0, 1_700_000_000_000, 0, 0),
        ],
    )
    store, runs = _read(db)
    hurt = runs[run].metrics["hurt"]
    assert _points(hurt) == [(0, 1_700_000_000_000, 1.0), (2, 1_700_000_000_002, 3.0)]
    warning = [w for w in store.warnings if "hurt" in w]
    assert len(warning) == 1 and run in warning[0] and "2 rows are not a point" in warning[0]
    assert math.isnan(runs[other].metrics["odd_flag"].values[0])
    assert _points(runs[other].metrics["blob_key"]) == [(0, 1_700_000_000_000, 6.0)]
    # the other histories of both runs are whole
    for rid in (run, other):
        for key, points in _plain(db, rid).items():
            if key not in ("hurt", "odd_flag", b"blob_key"):
                assert _bits(_points(runs[rid].metrics[key])) == _bits(points)


def test_chunked_loads_equal_a_first_read(db, monkeypatch):
    """load_metrics for a few runs at a time (as the pipeline may call it), each call in
    batches of one run with a pause between: the same histories as a first build's read."""
    _store, first = _read(db)
    monkeypatch.setattr(sqlhistories, "BATCH_ROWS", 1)
    monkeypatch.setattr(sqlstore, "PAUSE_AFTER", 0.0)
    reader = get_reader(f"sqlite:///{db}")
    try:
        store = reader.read()
        runs = [r for e in store.experiments for r in e.runs]
        for run in runs:
            run.metrics, run.metrics_complete = {}, False
        statements: list[str] = []
        reader.conn.set_trace_callback(statements.append)
        for i in range(0, len(runs), 3):
            reader.load_metrics(runs[i : i + 3])
        reader.conn.set_trace_callback(None)
    finally:
        reader.close()
    assert len(runs) == len(first) > 3
    for run in runs:
        assert run.metrics_complete
        assert sorted(run.metrics) == sorted(first[run.run_id].metrics)
        for key, h in run.metrics.items():
            assert _bits(_points(h)) == _bits(_points(first[run.run_id].metrics[key]))
    # every history query went through the run_uuid index: no scan of the whole table
    con = sqlite3.connect(db)
    reads = [s for s in statements if "FROM \"metrics\"" in s]
    assert reads and all('"run_uuid" IN (' in s or '"run_uuid" = ' in s for s in reads)
    for sql in reads:
        plan = " ".join(str(r[3]) for r in con.execute("EXPLAIN QUERY PLAN " + sql))
        assert "SCAN" not in plan.replace("SCAN CONSTANT ROW", ""), (sql, plan)
    con.close()
    assert statements.count("COMMIT") > len(runs) // 3  # short transactions, between batches


def test_counts_read_with_the_histories_equal_counting_them(db):
    run = _runs_with_metrics(db)[0]
    _insert(db, [(run, "late", 1.0, 1_800_000_000_000, 1, 0), (run, "late", 2.0, 1_700_000_000_000, 2, 0)])
    store, runs = _read(db)
    con = sqlite3.connect(db)
    counted = sqlitedelta.count_all(con, lambda n: f'"{n}"', sorted(runs))
    con.close()
    kept = store.reader_state["counts"]
    assert {rid: sorted(map(tuple, v)) for rid, v in kept.items()} == {
        rid: sorted(v) for rid, v in counted.items() if rid in runs
    }


def test_fast_read_falls_back_when_the_counts_disagree(db, monkeypatch):
    """Should the grouping query and the points ever disagree, the batch is read the plain way."""
    _store, first = _read(db)
    real = SqlReader._read_batch

    def skewed(self, ids):
        conn = self.conn

        class Skew:  # the count query answers one point too many for the first group
            def execute(self, sql, args=()):
                cur = conn.execute(sql, args)
                if "count(*)" in sql:
                    rows = cur.fetchall()
                    rows[:1] = [(r[0], r[1], r[2] + 1) for r in rows[:1]]
                    return (
                        conn.execute(
                            "SELECT * FROM (VALUES " + ",".join(["(?, ?, ?)"] * len(rows)) + ")",
                            [v for r in rows for v in r],
                        )
                        if rows
                        else cur
                    )
                return cur

        self.conn = Skew()
        try:
            return real(self, ids)
        finally:
            self.conn = conn

    plain: list[int] = []
    real_rows = SqlReader._read_rows
    monkeypatch.setattr(SqlReader, "_read_batch", skewed)
    monkeypatch.setattr(SqlReader, "_read_rows", lambda self, ids: plain.append(1) or real_rows(self, ids))
    _store, again = _read(db)
    assert plain
    for rid, run in first.items():
        for key, h in run.metrics.items():
            assert _bits(_points(again[rid].metrics[key])) == _bits(_points(h))
