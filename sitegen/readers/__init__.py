"""Store readers, chosen by the store URI's scheme; all return a :class:`sitegen.model.Store`.

``open_store(uri)`` is the single entry point. A reader never writes to the store.
"""
from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from typing import Protocol

from ..model import MetricHistory, Run, Store


def redact(uri: str) -> str:
    """The URI without its password (for messages, logs and the site's marker file)."""
    return re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", uri)


class StoreError(Exception):
    """The store cannot be read at all (missing, unreadable, unknown kind)."""


def default_store_uri(cwd: str | os.PathLike | None = None) -> str:
    """What ``trackreport build`` reads when no --store is given.

    ``$MLFLOW_TRACKING_URI``, else ``./mlflow.db`` if it exists, else ``./mlruns``.
    """
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return env
    base = Path(cwd or os.getcwd())
    if (base / "mlflow.db").is_file():
        return "sqlite:///mlflow.db"
    return "mlruns"


def explain_default_store(cwd: str | os.PathLike | None = None) -> str:
    """What was tried when no store was given (for "store not found" messages)."""
    base = Path(cwd or os.getcwd())
    env = os.environ.get("MLFLOW_TRACKING_URI")
    if env:
        return f"--store was not given, so $MLFLOW_TRACKING_URI ({redact(env)}) was used"
    return (f"--store was not given; tried $MLFLOW_TRACKING_URI (not set), {base / 'mlflow.db'} "
            f"and {base / 'mlruns'} (neither exists): pass --store URI")


def scheme_of(uri: str) -> str:
    if "://" not in uri and not uri.startswith("file:"):
        return "file"
    return urlparse(uri).scheme.lower()


def file_store_path(uri: str) -> Path:
    """Local path of a file store given as a path or a ``file://`` URI."""
    if uri.startswith("file:"):
        parsed = urlparse(uri)
        return Path(unquote(parsed.path))
    return Path(uri)


def sqlite_path(uri: str) -> Path:
    """``sqlite:///rel.db`` → rel.db; ``sqlite:////abs.db`` → /abs.db (SQLAlchemy's rules)."""
    rest = uri.split("://", 1)[1]
    if not rest.startswith("/"):
        raise StoreError(f"not a SQLite URI with a path: {uri}")
    path = rest[1:].split("?", 1)[0]
    if not path or path == ":memory:":
        raise StoreError(f"not a SQLite file URI: {uri}")
    return Path(unquote(path))


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


def get_reader(uri: str, *, include_deleted: bool = False,
               max_artifact_size: int | None = None) -> StoreReader:
    """A reader for the store at ``uri``. Raises :class:`StoreError` if it cannot be opened."""
    scheme = scheme_of(uri)
    if scheme == "file":
        from .filestore import FileStoreReader
        return FileStoreReader(file_store_path(uri), uri=uri, include_deleted=include_deleted)
    if scheme == "sqlite":
        from .sqlstore import SqliteStoreReader
        return SqliteStoreReader(sqlite_path(uri), uri=uri, include_deleted=include_deleted)
    if scheme.split("+")[0] in ("postgresql", "postgres", "mysql", "mariadb", "mssql"):
        from .dbstore import DatabaseStoreReader
        return DatabaseStoreReader(uri, include_deleted=include_deleted)
    if scheme in ("http", "https"):
        from .rest import RestStoreReader
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
            store.warnings.append(f"experiment {exp.experiment_id} ({exp.name!r}) was read twice; "
                                  f"the second copy is left out with its {len(exp.runs)} runs")
            continue
        exps.add(exp.experiment_id)
        kept.append(exp)
        ok = []
        for run in exp.runs:
            if run.run_id in runs:
                store.warnings.append(f"run {run.run_id} was read twice; the copy under experiment "
                                      f"{exp.experiment_id} is left out")
                continue
            if run.experiment_id != exp.experiment_id:
                store.warnings.append(f"run {run.run_id} records experiment {run.experiment_id} but was "
                                      f"listed under experiment {exp.experiment_id}; left out")
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
