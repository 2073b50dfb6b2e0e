"""Store readers, chosen by the store URI's scheme; all return a :class:`sitegen.model.Store`.

``open_store(uri)`` is the single entry point. A reader never writes to the store.
"""
from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import unquote, urlparse

from ..model import Store


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


def open_store(uri: str, *, include_deleted: bool = False) -> Store:
    """Read a whole store. Raises :class:`StoreError` if it cannot be read at all.

    Problems inside the store (a corrupt file, a half-written line) never raise:
    they are collected in ``Store.warnings`` and the rest is read.
    """
    scheme = scheme_of(uri)
    if scheme == "file":
        from .filestore import read_file_store
        return read_file_store(file_store_path(uri), uri=uri, include_deleted=include_deleted)
    if scheme == "sqlite":
        from .sqlstore import read_sqlite_store
        return read_sqlite_store(sqlite_path(uri), uri=uri, include_deleted=include_deleted)
    if scheme.split("+")[0] in ("postgresql", "postgres", "mysql", "mssql", "http", "https"):
        raise StoreError(f"{scheme}:// stores are not supported yet (only file stores and SQLite)")
    raise StoreError(f"unknown store kind '{scheme}://' in {uri}")
