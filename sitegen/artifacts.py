"""Find each run's artifact folder, list its files, and classify them for previews.

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

import mimetypes
import os
from pathlib import Path, PurePosixPath
from typing import Iterator
from urllib.parse import unquote, urlparse

import csv
import io
import json

from .format import markdown as render_markdown
from .model import ArtifactFile, Preview, Run

IMAGE_EXT = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".ico", ".avif"}
TEXT_EXT = {".txt", ".log", ".py", ".yaml", ".yml", ".toml", ".cfg", ".ini", ".sh", ".r", ".sql",
            ".xml", ".ipynb", ".tex", ".rst", ".js", ".css", ".jsonl", ".tsv", ".out", ".err",
            ".conf", ".env", ".gitignore", ".dockerfile", ".c", ".h", ".cpp", ".java", ".go", ".rs"}
TEXT_NAMES = {"MLmodel", "Dockerfile", "Makefile", "LICENSE", "README", "requirements.txt",
              "conda.yaml", "python_env.yaml"}
# Sidecar folders beside a database store where artifacts usually live.
_BESIDE_DB = ("mlruns", "mlartifacts", "artifacts")


def classify(path: str) -> str:
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    ext = name[dot:].lower() if 0 < dot < len(name) - 1 else ""
    if ext in IMAGE_EXT:
        return "image"
    if ext == ".csv":
        return "csv"
    if ext == ".json":
        return "json"
    if ext in (".md", ".markdown"):
        return "markdown"
    if ext in (".html", ".htm"):
        return "html"
    if ext in TEXT_EXT or name in TEXT_NAMES:
        return "text"
    mime, _ = mimetypes.guess_type(name)
    if mime and mime.startswith("text/"):
        return "text"
    return "other"


def _local_path(uri: str) -> Path | None:
    """Local path for a recorded location, or None when it is not a local one."""
    if uri.startswith("file:///") and not any(c in uri for c in "?#"):
        return Path(unquote(uri[7:]) if "%" in uri else uri[7:])    # the usual case, without urlparse
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


def candidate_dirs(run: Run, *, store_kind: str, store_dir: str | None,
                   artifacts_dir: str | None) -> Iterator[Path]:
    """Every folder that may hold the run's artifacts, in resolution order (made lazily:
    the recorded location is usually the one, and this runs for every run of every build)."""
    uri = run.artifact_uri or ""
    recorded = _local_path(uri) if uri else None
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
        loc = _local_path(exp.artifact_location) if exp.artifact_location else None
        if loc is not None:
            roots.add(loc if loc.is_absolute() else (base / loc))
        for run in exp.runs:
            if run.artifact_dir and not run.artifacts_remote:   # not the download caches
                roots.add(Path(run.artifact_dir).parent.parent)
    if artifacts_dir:
        roots.add(Path(artifacts_dir))
    return {p.resolve() for p in roots}


def resolve_artifact_dir(run: Run, *, store_kind: str, store_dir: str | None,
                         artifacts_dir: str | None) -> Path | None:
    for cand in candidate_dirs(run, store_kind=store_kind, store_dir=store_dir,
                               artifacts_dir=artifacts_dir):
        if os.path.isdir(cand):
            return cand
    return None


def list_artifacts(root: Path, warnings: list[str] | None = None) -> list[ArtifactFile]:
    """Files under ``root``, sorted by path. Symlinks that leave ``root`` are never followed."""
    out: list[ArtifactFile] = []
    real_root: list[str] = []     # resolved once, and only if a symlink needs checking

    def inside(p: str) -> bool:
        if not real_root:
            real_root.append(os.path.realpath(root))
        real = os.path.realpath(p)
        return real == real_root[0] or real.startswith(real_root[0] + os.sep)

    def walk(folder: str, rel: str, depth: int) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as e:
            if warnings is not None:
                warnings.append(f"{folder}: cannot list artifacts ({e.strerror})")
            return
        for entry in entries:
            relpath = f"{rel}{entry.name}"
            if entry.is_symlink() and not inside(entry.path):
                if warnings is not None:
                    warnings.append(f"artifact {relpath} is a symlink out of the run's folder; not followed")
                continue
            try:
                if entry.is_dir():
                    if depth < 64:
                        walk(entry.path, relpath + "/", depth + 1)
                elif entry.is_file():
                    st = entry.stat()
                    out.append(ArtifactFile(relpath, st.st_size, classify(relpath), mtime_ns=st.st_mtime_ns))
            except OSError as e:
                if warnings is not None:
                    warnings.append(f"artifact {relpath}: unreadable ({e.strerror})")

    walk(str(root), "", 0)
    return out


def attach_artifacts(runs, *, store_kind: str, store_dir: str | None, artifacts_dir: str | None,
                     max_size: int | None) -> None:
    """Resolve, list and mark (too large) each run's artifacts, in place."""
    in_objectstores = []
    for run in runs:
        if not run.artifacts_remote:      # a tracking server's reader listed them already
            if _find_artifacts(run, store_kind, store_dir, artifacts_dir):
                in_objectstores.append(run)
    if in_objectstores:                   # fetched together: listings and downloads in parallel
        from . import objectstore
        objectstore.fetch_artifacts(in_objectstores, max_size)
    if max_size is not None:
        for run in runs:
            for a in run.artifacts:
                if a.size > max_size:
                    a.skipped = f"larger than --max-artifact-size ({a.size:,} bytes)"


def _find_artifacts(run: Run, store_kind: str, store_dir: str | None, artifacts_dir: str | None) -> bool:
    """List a run's local artifact folder; True when its artifacts are in an object store instead."""
    folder = resolve_artifact_dir(run, store_kind=store_kind, store_dir=store_dir,
                                  artifacts_dir=artifacts_dir)
    if folder is not None:
        run.artifact_dir = str(folder)
        run.artifacts = list_artifacts(folder, run.warnings)
        return False
    # A local folder that is missing usually means the run logged nothing (empty folders
    # do not survive git or rsync filters); the build warns once for the whole store when
    # no folder is found at all. Object stores are fetched.
    uri = run.artifact_uri or ""
    from . import objectstore
    if objectstore.supported(uri):
        return True
    if uri and _local_path(uri) is None and not uri.startswith("mlflow-artifacts:"):
        run.warnings.append(f"artifacts are in {uri}, which this build cannot read; "
                            "pass --artifacts DIR with a local copy")
    return False


def logged_nothing(run: Run, store_dir: str | None) -> bool:
    """True when a run without an artifact folder evidently logged no artifacts: its
    recorded location has MLflow's default shape ``<root>/<experiment_id>/<run_id>/artifacts``
    and that root is here (as recorded, or by its name beside or as the store's folder: the
    store moved with its artifacts) — MLflow makes a run's folder only when it logs a file."""
    recorded = _local_path(run.artifact_uri or "")
    if recorded is None or recorded.parts[-3:] != (run.experiment_id, run.run_id, "artifacts"):
        return False
    root = recorded.parents[2]
    base = Path(store_dir) if store_dir else Path.cwd()
    return (base / root).is_dir() or (store_dir is not None and
                                      (base.name == root.name or (base / root.name).is_dir()))


def copy_into_site(owner, base: str, writer) -> int:
    """Put the files of a run (or a logged model) into the site under ``<base>/artifacts/``
    (hard links where possible); returns how many. A file that cannot be copied is marked."""
    copied = 0
    for a in owner.artifacts:
        if a.skipped:
            continue
        try:
            writer.link_or_copy(os.path.join(owner.artifact_dir, a.path), f"{base}/artifacts/{a.path}")
            copied += 1
        except OSError as e:
            a.skipped = f"could not be copied ({e.strerror})"
            owner.warnings.append(f"artifact {a.path} could not be copied ({e.strerror})")
    return copied


PREVIEW_BYTES = 64 * 1024
PREVIEW_ROWS = 100
MAX_PREVIEWS = 40


def _head(path: str, limit: int) -> tuple[bytes, bool]:
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    return data[:limit], len(data) > limit


def _decode(data: bytes) -> str | None:
    if b"\x00" in data[:8192]:
        return None  # binary
    return data.decode("utf-8", errors="replace")


def make_preview(path: str, kind: str) -> Preview | None:
    """A bounded preview of a text-like artifact, or None (binary, unreadable)."""
    try:
        data, truncated = _head(path, PREVIEW_BYTES)
    except OSError:
        return None
    text = _decode(data)
    if text is None:
        return None
    if truncated and "\n" in text:
        text = text[: text.rfind("\n") + 1]
    if kind == "csv":
        rows = []
        try:
            for row in csv.reader(io.StringIO(text)):
                rows.append(row)
                if len(rows) > PREVIEW_ROWS:
                    truncated = True
                    rows.pop()
                    break
        except csv.Error:
            return Preview("text", text=text, truncated=truncated)
        return Preview("table", rows=rows, truncated=truncated)
    if kind == "json" and not truncated:
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pass
        return Preview("text", text=text)
    if kind == "markdown":
        return Preview("markdown", text=render_markdown(text), truncated=truncated)
    return Preview("text", text=text, truncated=truncated)


def attach_previews(run: Run) -> None:
    """Read previews of the run's (or logged model's) text-like artifacts (bounded in size and number)."""
    if not run.artifact_dir:
        return
    budget = MAX_PREVIEWS
    for a in run.artifacts:
        if budget <= 0:
            break
        if a.skipped or a.kind not in ("text", "csv", "json", "markdown") or a.size == 0:
            continue
        a.preview = make_preview(os.path.join(run.artifact_dir, a.path), a.kind)
        budget -= 1
