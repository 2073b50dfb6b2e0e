"""Store readers, chosen by the store URI's scheme; all return a :class:`sitegen.entities.Store`.

``open_store(uri)`` is the single entry point. A reader never writes to the store.
"""

from __future__ import annotations

from typing import Protocol

from sitegen.entities import MetricHistory, Run, Store
from sitegen.errors import StoreError  # noqa: F401  (re-exported: sitegen.readers.StoreError)
from sitegen.readers.uri import (  # noqa: F401
    default_store_uri,
    explain_default_store,
    file_store_path,
    redact,
    scheme_of,
    sqlite_path,
)


class MetricsReuse(Protocol):
    """Lets a reader skip metric histories of runs that did not change since the last build."""

    def get(self, run_id: str, fingerprint: str) -> tuple[dict[str, MetricHistory], bool] | None:
        """(metrics, complete) for an unchanged run, or None to read them from the store."""


class StoreReader(Protocol):
    """What every reader offers; ``get_reader`` picks one by the URI's scheme."""

    def read(self, reuse: MetricsReuse | None = None) -> Store:
        """The whole store. Problems inside it are warnings in ``Store.warnings``."""

    def load_metrics(self, runs: list[Run]) -> None:
        """Fill the full histories of runs whose ``metrics_complete`` is False."""

    def close(self) -> None: ...


def get_reader(uri: str, *, include_deleted: bool = False, max_artifact_size: int | None = None) -> StoreReader:
    """A reader for the store at ``uri``. Raises :class:`StoreError` if it cannot be opened."""
    scheme = scheme_of(uri)
    if scheme == "file":
        from sitegen.readers.filestore import FileStoreReader

        return FileStoreReader(file_store_path(uri), uri=uri, include_deleted=include_deleted)
    if scheme == "sqlite":
        from sitegen.readers.sqlstore import SqliteStoreReader

        return SqliteStoreReader(sqlite_path(uri), uri=uri, include_deleted=include_deleted)
    if scheme.split("+")[0] in ("postgresql", "postgres", "mysql", "mariadb", "mssql"):
        from sitegen.readers.dbstore import DatabaseStoreReader

        return DatabaseStoreReader(uri, include_deleted=include_deleted)
    if scheme in ("http", "https"):
        from sitegen.readers.rest import RestStoreReader

        return RestStoreReader(uri, include_deleted=include_deleted, max_artifact_size=max_artifact_size)
    raise StoreError(f"unknown store kind '{scheme}://' in {uri}")


def settle_ids(store: Store) -> None:
    """One place per id, whatever the reader: an experiment id read twice, a run id read
    twice, or a run listed under an experiment other than the one it records, keeps its first
    place; the others are left out with a warning (in ``store.warnings``) naming them. The
    file store already leaves out folders whose recorded id disagrees with where they sit,
    as MLflow's client does; this is the last guard, so no page is written twice and no link
    points at a page that was never written."""
    exps, runs = set(), set()
    kept = []
    for exp in store.experiments:
        if exp.experiment_id in exps:
            store.warnings.append(
                f"experiment {exp.experiment_id} ({exp.name!r}) was read twice; "
                f"the second copy is left out with its {len(exp.runs)} runs"
            )
            continue
        exps.add(exp.experiment_id)
        kept.append(exp)
        ok = []
        for run in exp.runs:
            if run.run_id in runs:
                store.warnings.append(
                    f"run {run.run_id} was read twice; the copy under experiment {exp.experiment_id} is left out"
                )
                continue
            if run.experiment_id != exp.experiment_id:
                store.warnings.append(
                    f"run {run.run_id} records experiment {run.experiment_id} but was "
                    f"listed under experiment {exp.experiment_id}; left out"
                )
                continue
            runs.add(run.run_id)
            ok.append(run)
        exp.runs = ok
    store.experiments = kept


def open_store(uri: str, *, include_deleted: bool = False) -> Store:
    """Read a whole store. Raises :class:`StoreError` if it cannot be read at all.

    Problems inside the store (a corrupt file, a half-written line) never raise:
    they are collected in ``Store.warnings`` and the rest is read.
    """
    reader = get_reader(uri, include_deleted=include_deleted)
    try:
        store = reader.read()
        settle_ids(store)
        return store
    finally:
        reader.close()
