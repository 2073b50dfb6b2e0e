"""Which runs of a SQLite store got new metric points since the last build, without a scan.

A run's fingerprint includes, per metric, the number of points and the last timestamp.
Counting them all is a scan of the whole ``metrics`` table (0.3 s for 500,000 points),
which would dominate an incremental build. SQLite gives every inserted row a larger
rowid, so the rows added since the last build are ``rowid > last_max`` (an index range),
and only the runs they belong to need counting again. The counts of the last build are
kept in the site's manifest as this reader's state.

The shortcut is taken only when it is complete: the table's row count must equal the last
count plus the new rows, and every run of the last build must still be in the ``runs`` table
(deleted or not). MLflow removes metric rows only with their runs (``mlflow gc``), and new
rows may then reuse the freed rowids at the top of the table, with the count restored: so a
run gone from the table means rows were deleted. Else every run is counted again, as on a
first build. A first build reads every history anyway: it
counts them from the rows it reads (``count_all``'s ``every``), not with a scan of its own.
"""

from __future__ import annotations

import sqlite3
from collections import defaultdict

STATE_FORMAT = 2  # 2: the run ids of the runs table

Counts = dict[str, list[tuple[str, int, int | None]]]  # run id → [(key, points, last timestamp)]


def as_int(v) -> int | str | None:
    """The last timestamp as an int; text where a damaged row holds text (SQLite keeps any
    value in any column; the reader warns about such rows): the fingerprint needs only a
    stable value."""
    try:
        return None if v is None else int(v)
    except (TypeError, ValueError, OverflowError):
        return str(v)


def _group(rows) -> Counts:
    counts: Counts = defaultdict(list)
    for rid, key, n, last in rows:
        counts[rid].append((key, int(n), as_int(last)))
    return counts


def count_all(conn, q, run_ids: list[str] | None = None, pause=None, every=None) -> Counts:
    """Points and last timestamp of every metric of ``run_ids`` (None: of every run, in one
    scan of the table). With ``pause`` (called between batches: SQLite lets a writer in
    there), in batches of ``PAUSED_BATCH`` runs. ``every(run_ids)``, when a first build
    reads every history anyway, reads them and returns the counts of the rows it read."""
    if every is not None and run_ids is not None:
        return every(run_ids)
    return _count(conn, q, run_ids, pause)


# Runs counted per query between two pauses (32 runs of 10 metrics × 1,000 points: about 0.1 s).
PAUSED_BATCH = 32


def _count(conn, q, run_ids: list[str] | None = None, pause=None) -> Counts:
    """Points and last timestamp of each metric of ``run_ids`` (None: every run), in batches
    of 500 ids (``PAUSED_BATCH`` with ``pause``, called between two)."""
    select = f"SELECT {q('run_uuid')}, {q('key')}, count(*), max({q('timestamp')}) FROM {q('metrics')}"
    group = f" GROUP BY {q('run_uuid')}, {q('key')}"
    if run_ids is None:
        return _group(conn.execute(select + group))
    counts: Counts = {}
    size = 500 if pause is None else PAUSED_BATCH
    for i in range(0, len(run_ids), size):
        if i and pause is not None:
            pause()
        chunk = run_ids[i : i + size]
        counts.update(
            _group(conn.execute(f"{select} WHERE {q('run_uuid')} IN ({','.join('?' * len(chunk))}){group}", chunk))
        )
    return counts


def table_mark(conn) -> tuple[int, int] | None:
    """(largest rowid, row count) of ``metrics``, or None if it has no rowid."""
    try:  # two statements: max(rowid) alone is one b-tree descent, count(*) walks an index
        (max_rowid,) = conn.execute("SELECT max(rowid) FROM metrics").fetchone()
        (total,) = conn.execute("SELECT count(*) FROM metrics").fetchone()
    except sqlite3.DatabaseError:
        return None
    return int(max_rowid or 0), int(total)


def count_since(conn, q, state: dict | None, run_ids, pause=None, every=None) -> tuple[Counts, dict | None]:
    """Counts for ``run_ids``: from ``state`` where nothing changed, counted anew for runs with
    rows added since, or for every run when ``state`` cannot be trusted.
    Returns (counts, the state for the next build).

    ``pause`` may end the read transaction between two batches of counting. That is safe:
    the table's mark is taken first, so a row added meanwhile is either counted or beyond
    the mark (and its run counted again next time); counts only grow (or, once rows are
    deleted, the next build counts everything)."""
    mark = table_mark(conn)
    in_table = _runs_in_table(conn, q)
    if isinstance(state, dict) and in_table is not None and not set(state.get("runs") or ()) <= in_table:
        state = None  # a run was removed (mlflow gc): its rows with it; rowids may be reused
    counts = _count_since(conn, q, state, list(run_ids), mark, pause, every)
    return counts, _new_state(mark if in_table is not None else None, counts, in_table or set())


def _runs_in_table(conn, q) -> set[str] | None:
    """Every run id of the ``runs`` table, deleted runs too (None if it cannot be read)."""
    try:
        return {str(r[0]) for r in conn.execute(f"SELECT {q('run_uuid')} FROM {q('runs')}")}
    except sqlite3.DatabaseError:
        return None


def _count_since(conn, q, state: dict | None, run_ids, mark, pause, every) -> Counts:
    old = state.get("counts") if isinstance(state, dict) else None
    if (
        mark is None
        or not isinstance(old, dict)
        or state.get("format") != STATE_FORMAT
        or not isinstance(state.get("max_rowid"), int)
        or not isinstance(state.get("total"), int)
    ):
        return count_all(conn, q, run_ids, pause, every)
    last_max, last_total = state["max_rowid"], state["total"]
    # No DISTINCT: it would make SQLite walk the run_uuid index instead of the rowid range.
    added = [r[0] for r in conn.execute(f"SELECT {q('run_uuid')} FROM {q('metrics')} WHERE rowid > ?", (last_max,))]
    new_runs, new_rows = set(added), len(added)
    if mark[1] != last_total + new_rows or mark[0] < last_max:
        return count_all(conn, q, run_ids, pause)  # rows were deleted (or the table rebuilt)
    again = sorted(new_runs | {rid for rid in run_ids if rid not in old})
    counts: Counts = {rid: [tuple(c) for c in old[rid]] for rid in run_ids if rid in old and rid not in new_runs}
    counts.update(_count(conn, q, again, pause))
    return counts


def _new_state(mark: tuple[int, int] | None, counts: Counts, in_table: set[str]) -> dict | None:
    """What the next build needs: the table's mark, the runs in the table and every run's counts."""
    if mark is None:
        return None
    return {
        "format": STATE_FORMAT,
        "max_rowid": mark[0],
        "total": mark[1],
        "runs": sorted(in_table),
        "counts": {rid: [list(c) for c in sorted(v)] for rid, v in counts.items()},
    }
