"""Row-level helpers of the SQL reader (``sqlstore.SqlReader``): values as MLflow's columns mean
them, dataset inputs, a run's fingerprint, and guarded reads that turn a row MLflow's schema
would not hold into a warning."""

from __future__ import annotations

import hashlib
from collections import defaultdict

from sitegen.entities import DatasetInput, Run, Store


def texts(rows):
    """Rows with BLOB values as text: SQLite keeps any value in any column, and MLflow's
    columns hold text (a damaged or hand-edited store may hold bytes)."""
    for row in rows:
        if any(isinstance(v, bytes) for v in row):
            row = tuple(v.decode("utf-8", "replace") if isinstance(v, bytes) else v for v in row)
        yield row


def guarded(store: Store, table: str, what: str, read, *args):
    """``read(*args)``, or None after a warning when a row holds what MLflow's schema does
    not (SQLite keeps text in number columns): ``what`` is left out, the rest is built."""
    try:
        return read(*args)
    except (TypeError, ValueError, OverflowError) as e:
        store.warnings.append(
            f"{table} table (or a table beside it): a row cannot be read ({type(e).__name__}: {e}); {what} left out"
        )
        return None


def to_int(v) -> int | None:
    return None if v is None else int(v)


def read_inputs(conn, s, runs: dict[str, Run]) -> None:
    q = s.q
    datasets = {}
    for row in conn.execute(
        f"SELECT {q('dataset_uuid')}, {q('name')}, {q('digest')}, {q('dataset_source_type')},"
        f" {q('dataset_source')}, {s.col('datasets', 'dataset_schema')},"
        f" {s.col('datasets', 'dataset_profile')} FROM {q('datasets')}"
    ):
        datasets[row[0]] = row[1:]
    tags: dict[str, dict[str, str]] = defaultdict(dict)
    if "input_tags" in s.tables:
        for uuid, name, value in conn.execute(
            f"SELECT {q('input_uuid')}, {q('name')}, {q('value')} FROM {q('input_tags')}"
        ):
            tags[uuid][name] = value
    for uuid, src_id, dest_id in conn.execute(
        f"SELECT {q('input_uuid')}, {q('source_id')}, {q('destination_id')} FROM {q('inputs')}"
        f" WHERE {q('source_type')} = 'DATASET' AND {q('destination_type')} = 'RUN'"
        f" ORDER BY {q('input_uuid')}"
    ):
        run, ds = runs.get(dest_id), datasets.get(src_id)
        if run is None or ds is None:
            continue
        run.inputs.append(
            DatasetInput(
                name=ds[0] or "",
                digest=ds[1] or "",
                source_type=ds[2] or "",
                source=ds[3] or "",
                schema=ds[4] or "",
                profile=ds[5] or "",
                tags=dict(tags.get(uuid, {})),
            )
        )


def fingerprint(run: Run, metric_counts: list) -> str:
    """Everything a run's pages show, cheaply: its row, params, tags, and per metric the
    number of points and the last timestamp."""
    h = hashlib.blake2b(digest_size=12)
    h.update(
        repr(
            (
                run.status,
                run.start_time,
                run.end_time,
                run.lifecycle_stage,
                run.run_name,
                run.user_id,
                run.artifact_uri,
                sorted(run.params.items()),
                sorted(run.tags.items()),
                len(run.inputs),
                metric_counts,
            )
        ).encode()
    )
    return h.hexdigest()
