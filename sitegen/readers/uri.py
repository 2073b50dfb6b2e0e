"""Store URIs: which kind of store a URI names, where a local store lies, and the URI as it
may be shown (without its password). MLflow's own rules: a plain path or ``file://`` is a
file store, ``sqlite:///rel.db`` and ``sqlite:////abs.db`` follow SQLAlchemy."""

from __future__ import annotations

import os
import re
from pathlib import Path
from urllib.parse import unquote, urlparse

from sitegen.errors import StoreError

# Query parameters that carry a credential: libpq's password, SQLAlchemy drivers' and object
# stores' tokens and keys (matched by name, case-insensitively, anywhere in the name).
_SECRET_PARAM = re.compile(
    r"([?&;][^=&;#]*(?:pass|pwd|secret|token|key|auth|credential|signature|sig)[^=&;#]*=)[^&;#]*", re.IGNORECASE
)


def redact(uri: str) -> str:
    """The URI without its password (``user:***@``) nor the values of query parameters that
    carry one (``?password=***``, ``&token=***``): for messages and logs."""
    uri = re.sub(r"(//[^:/@]+):[^@/]*@", r"\1:***@", uri)
    return _SECRET_PARAM.sub(r"\1***", uri)


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
    return (
        f"--store was not given; tried $MLFLOW_TRACKING_URI (not set), {base / 'mlflow.db'} "
        f"and {base / 'mlruns'} (neither exists): pass --store URI"
    )


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
