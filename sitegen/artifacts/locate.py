"""Where a run's artifact folder is now (stores get moved, so the recorded location often
points nowhere).

Resolution order for a run's artifact folder (the first that exists wins):

1. the recorded ``artifact_uri`` itself: an absolute path, a ``file://`` URI, or a
   relative path (tried against the store's folder, then the working folder);
2. under ``--artifacts DIR``: ``DIR/<tail>`` for the tails of the recorded location
   that start at the experiment id (``<exp>/<run>/artifacts``) or the run id
   (``<run>/artifacts``); for ``mlflow-artifacts:/<path>`` also ``DIR/<path>``;
3. next to the store: the file store's own ``<exp>/<run>/artifacts``, or for a
   database store ``mlruns/``, ``mlartifacts/`` and ``artifacts/`` beside the database
   with the same tails.

A run whose folder is found nowhere gets a warning on its page; an empty or absent
folder of a run that logged nothing is not a problem.
"""

from __future__ import annotations

import os
from pathlib import Path, PurePosixPath
from typing import Iterator
from urllib.parse import unquote, urlparse

from sitegen.entities import Run

# Sidecar folders beside a database store where artifacts usually live.
_BESIDE_DB = ("mlruns", "mlartifacts", "artifacts")


def local_path(uri: str) -> Path | None:
    """Local path for a recorded location, or None when it is not a local one."""
    if uri.startswith("file:///") and not any(c in uri for c in "?#"):
        return Path(unquote(uri[7:]) if "%" in uri else uri[7:])  # the usual case, without urlparse
    if uri.startswith("file:"):
        return Path(unquote(urlparse(uri).path))
    if "://" in uri or uri.startswith("mlflow-artifacts:"):
        return None
    return Path(uri)


def _tails(run: Run) -> list[PurePosixPath]:
    """Relative tails under which a moved artifact folder may be found, longest first."""
    tails: list[PurePosixPath] = []
    uri = run.artifact_uri or ""
    if uri.startswith("mlflow-artifacts:"):
        path = urlparse(uri).path.lstrip("/")
        if path:
            tails.append(PurePosixPath(path))
    parts = PurePosixPath(unquote(urlparse(uri).path) if "://" in uri else uri).parts
    for anchor in (run.experiment_id, run.run_id):
        if anchor in parts:
            idx = len(parts) - 1 - parts[::-1].index(anchor)
            tails.append(PurePosixPath(*parts[idx:]))
    tails.append(PurePosixPath(run.experiment_id, run.run_id, "artifacts"))
    tails.append(PurePosixPath(run.run_id, "artifacts"))
    seen, out = set(), []
    for t in tails:
        if t not in seen:
            seen.add(t)
            out.append(t)
    return out


def candidate_dirs(run: Run, *, store_kind: str, store_dir: str | None, artifacts_dir: str | None) -> Iterator[Path]:
    """Every folder that may hold the run's artifacts, in resolution order (made lazily:
    the recorded location is usually the one, and this runs for every run of every build)."""
    uri = run.artifact_uri or ""
    recorded = local_path(uri) if uri else None
    if recorded is not None:
        if recorded.is_absolute():
            yield recorded
        else:
            if store_dir:
                yield Path(store_dir) / recorded
            yield Path.cwd() / recorded
    tails = _tails(run)
    if artifacts_dir:
        yield from (Path(artifacts_dir) / t for t in tails)
    if store_dir:
        if store_kind == "file":
            yield Path(store_dir) / run.experiment_id / run.run_id / "artifacts"
            yield Path(store_dir) / ".trash" / run.experiment_id / run.run_id / "artifacts"
        else:
            yield from (Path(store_dir) / side / t for side in _BESIDE_DB for t in tails)


def artifact_roots(store, artifacts_dir: str | None) -> set[Path]:
    """Local folders that hold (or will hold) the store's artifacts: experiments' artifact
    locations and the folders runs' artifacts were found in. Caches of downloaded artifacts
    (object stores, tracking servers) are left out: the build itself writes there."""
    roots: set[Path] = set()
    base = Path(store.base_dir) if store.base_dir else Path.cwd()
    for exp in store.experiments:
        loc = local_path(exp.artifact_location) if exp.artifact_location else None
        if loc is not None:
            roots.add(loc if loc.is_absolute() else (base / loc))
        for run in exp.runs:
            if run.artifact_dir and not run.artifacts_remote:  # not the download caches
                roots.add(Path(run.artifact_dir).parent.parent)
    if artifacts_dir:
        roots.add(Path(artifacts_dir))
    return {p.resolve() for p in roots}


def resolve_artifact_dir(run: Run, *, store_kind: str, store_dir: str | None, artifacts_dir: str | None) -> Path | None:
    for cand in candidate_dirs(run, store_kind=store_kind, store_dir=store_dir, artifacts_dir=artifacts_dir):
        if os.path.isdir(cand):
            return cand
    return None


def logged_nothing(run: Run, store_dir: str | None) -> bool:
    """True when a run without an artifact folder evidently logged no artifacts: its
    recorded location has MLflow's default shape ``<root>/<experiment_id>/<run_id>/artifacts``
    and that root is here (as recorded, or by its name beside or as the store's folder: the
    store moved with its artifacts) — MLflow makes a run's folder only when it logs a file."""
    recorded = local_path(run.artifact_uri or "")
    if recorded is None or recorded.parts[-3:] != (run.experiment_id, run.run_id, "artifacts"):
        return False
    root = recorded.parents[2]
    base = Path(store_dir) if store_dir else Path.cwd()
    return (base / root).is_dir() or (store_dir is not None and (base.name == root.name or (base / root.name).is_dir()))
