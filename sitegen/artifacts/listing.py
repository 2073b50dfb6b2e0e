"""A run's artifact files: listed (never following a symlink out of the folder), fetched from
object stores, marked when too large, and copied (hard-linked) into the site."""

from __future__ import annotations

import os
from pathlib import Path

from sitegen.artifacts.kinds import classify
from sitegen.artifacts.locate import local_path, resolve_artifact_dir
from sitegen.entities import ArtifactFile, Run
from sitegen.readers.uri import redact

MAX_DEPTH = 64  # artifact folders deeper than this are not listed (a symlink loop inside the run)


def list_artifacts(root: Path, warnings: list[str] | None = None) -> list[ArtifactFile]:
    """Files under ``root``, sorted by path. Symlinks that leave ``root`` are never followed,
    nor a folder symlink that leads back to a folder above it (a loop: ``self -> .``,
    ``up -> ..``); each is a warning. A symlink to another folder of the run is listed there
    too, as MLflow lists it."""
    out: list[ArtifactFile] = []
    real_root: list[str] = []  # resolved once, and only when a symlink needs checking

    def warn(text: str) -> None:
        if warnings is not None:
            warnings.append(text)

    def walk(folder: str, rel: str, depth: int, above: tuple[str, ...]) -> None:
        try:
            entries = sorted(os.scandir(folder), key=lambda e: e.name)
        except OSError as e:
            warn(f"{folder}: cannot list artifacts ({e.strerror})")
            return
        above = (*above, folder)
        for entry in entries:
            relpath = f"{rel}{entry.name}"
            try:
                if entry.is_symlink():  # rare: resolve only here
                    if not real_root:
                        real_root.append(os.path.realpath(root))
                    target = os.path.realpath(entry.path)
                    if target != real_root[0] and not target.startswith(real_root[0] + os.sep):
                        warn(f"artifact {relpath} is a symlink out of the run's folder; not followed")
                        continue
                    if target in {os.path.realpath(a) for a in above}:
                        warn(f"artifact {relpath} is a symlink to a folder above it (a loop); not followed")
                        continue
                if entry.is_dir():
                    if depth < MAX_DEPTH:
                        walk(entry.path, relpath + "/", depth + 1, above)
                    else:
                        warn(f"artifact folder {relpath} is {MAX_DEPTH} folders deep; its content left out")
                elif entry.is_file():
                    st = entry.stat()
                    out.append(ArtifactFile(relpath, st.st_size, classify(relpath), mtime_ns=st.st_mtime_ns))
                elif os.path.lexists(entry.path) and not os.path.exists(entry.path):
                    warn(f"artifact {relpath} is a symlink that leads nowhere (or to itself); left out")
                else:  # a named pipe, socket or device: reading it would block or never end
                    warn(f"artifact {relpath} is not a file (a named pipe, socket or device); left out")
            except OSError as e:
                warn(f"artifact {relpath}: unreadable ({e.strerror})")

    walk(str(root), "", 0, ())
    return out


def attach_artifacts(
    runs, *, store_kind: str, store_dir: str | None, artifacts_dir: str | None, max_size: int | None
) -> None:
    """Resolve, list and mark (too large) each run's artifacts, in place."""
    in_objectstores = []
    for run in runs:
        if not run.artifacts_remote:  # a tracking server's reader listed them already
            if _find_artifacts(run, store_kind, store_dir, artifacts_dir):
                in_objectstores.append(run)
    if in_objectstores:  # fetched together: listings and downloads in parallel
        from sitegen.artifacts import objectstore

        objectstore.fetch_artifacts(in_objectstores, max_size)
    if max_size is not None:
        for run in runs:
            for a in run.artifacts:
                if a.size > max_size:
                    a.skipped = f"larger than --max-artifact-size ({a.size:,} bytes)"


def _find_artifacts(run: Run, store_kind: str, store_dir: str | None, artifacts_dir: str | None) -> bool:
    """List a run's local artifact folder; True when its artifacts are in an object store instead."""
    folder = resolve_artifact_dir(run, store_kind=store_kind, store_dir=store_dir, artifacts_dir=artifacts_dir)
    if folder is not None and _links_into_the_store(folder, store_dir):
        run.warnings.append(
            f"its artifact folder {folder} is a symlink to {os.path.realpath(folder)}, another part of the store "
            "(other runs' files, an experiment's metadata); not followed, artifacts left out"
        )
        return False
    if folder is not None:
        run.artifact_dir = str(folder)
        run.artifacts = list_artifacts(folder, run.warnings)
        return False
    # A local folder that is missing usually means the run logged nothing (empty folders
    # do not survive git or rsync filters); the build warns once for the whole store when
    # no folder is found at all. Object stores are fetched.
    uri = run.artifact_uri or ""
    local = local_path(uri)
    for place in (local, Path(store_dir, run.experiment_id, run.run_id, "artifacts") if store_dir else None):
        if place is not None and os.path.lexists(place) and not os.path.isdir(place):
            run.warnings.append(
                f"its artifact folder {place} is not a folder (a file, a pipe or a symlink loop); artifacts left out"
            )
            return False
    from sitegen.artifacts import objectstore

    if objectstore.supported(uri):
        return True
    if uri and local is None and not uri.startswith("mlflow-artifacts:"):
        run.warnings.append(
            f"artifacts are in {redact(uri)}, which this build cannot read; pass --artifacts DIR with a local copy"
        )
    return False


def _links_into_the_store(folder: Path, store_dir: str | None) -> bool:
    """Whether a run's artifact folder is a symlink that leads elsewhere into the store (a folder
    above it, another run's or experiment's): following it would publish store files as
    artifacts. A link to a folder outside the store (artifacts kept on another disk) is fine."""
    if store_dir is None or not os.path.islink(folder):
        return False
    target, store = os.path.realpath(folder), os.path.realpath(store_dir)
    if target.startswith(os.path.realpath(os.path.dirname(folder)) + os.sep):
        return False  # to a folder beside it, inside its run
    return target == store or target.startswith(store + os.sep)


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
