"""Fingerprints of a file store's run folders: the sizes and mtimes of a run's files.

Every file is looked at (stat) on every build: a metric file grows in place, and a tag or
``meta.yaml`` is rewritten in place, which changes neither the folder nor the file's name.
Listing a folder costs several stats, though, and folders rarely change; so each folder's
listing is kept (in memory and in the site's manifest) with the folder's mtime and ctime,
which change whenever an entry is added, removed or renamed, and a folder is listed again
only when either differs. A listing is kept only once the folder has been still for
``SETTLED_NS``: an entry added in the same clock tick as the listing leaves the folder's
timestamps as they were ("racy git"), and network file systems' clocks drift.

The artifacts folder is not part of the fingerprint (artifacts are listed on their own);
a run folder deeper than ``MAX_DEPTH`` (a symlink loop) is not followed further.
"""

from __future__ import annotations

import hashlib
import os
import time
from typing import NamedTuple

SETTLED_NS = 2_000_000_000
MAX_DEPTH = 32


class RunFolder(NamedTuple):
    fingerprint: str
    files: list[str]  # the names of the files and folders directly in the run folder
    dirs: list[str]


class RunScanner:
    """Fingerprints run folders, reusing the folder listings of an earlier scan."""

    def __init__(self, kept: dict | None = None):
        # run folder name → {folder relative to the run ('' or 'a/b/'): [mtime, ctime, files, dirs]}
        self.kept = kept if isinstance(kept, dict) else {}
        self.listings: dict[str, dict] = {}
        self.now = time.time_ns()

    def scan(self, run_dir: str, name: str) -> RunFolder:
        """The run folder's fingerprint, and what is directly in it."""
        old = self.kept.get(name)
        old = old if isinstance(old, dict) else {}
        new: dict[str, list] = {}
        parts: list[str] = []
        top: tuple[list[str], list[str]] = ([], [])
        stack = [""]
        stat, settled_before = os.stat, self.now - SETTLED_NS  # called ~25 times a run: kept local
        while stack:
            rel = stack.pop()
            folder = f"{run_dir}/{rel[:-1]}" if rel else run_dir
            try:
                st = stat(folder)
            except OSError:
                continue
            mtime, ctime = st.st_mtime_ns, st.st_ctime_ns
            entry = old.get(rel)
            if (
                type(entry) is list
                and len(entry) == 4
                and entry[0] == mtime
                and entry[1] == ctime
                and type(entry[2]) is list
                and type(entry[3]) is list
            ):
                files, dirs = entry[2], entry[3]
                prefix = f"{folder}/"
                for f in files:
                    try:
                        fst = stat(prefix + f)
                    except (OSError, TypeError, ValueError):
                        continue
                    parts.append(f"{rel}{f}:{fst.st_size}:{fst.st_mtime_ns}")
            else:
                files, dirs = _list(folder, rel, parts)
                if files is None:
                    continue
            if not rel:
                top = (files, dirs)
            if max(mtime, ctime) < settled_before:
                new[rel] = [mtime, ctime, files, dirs]
            if rel.count("/") < MAX_DEPTH:
                stack.extend(f"{rel}{d}/" for d in dirs if rel or d != "artifacts")
        self.listings[name] = new
        parts.sort()
        fingerprint = hashlib.blake2b("\n".join(parts).encode("utf-8", "surrogateescape"), digest_size=12).hexdigest()
        return RunFolder(fingerprint, *top)


def _list(folder: str, rel: str, parts: list[str]) -> tuple[list[str] | None, list[str]]:
    """(file names, folder names) in ``folder``, (None, []) if it cannot be listed; each file's
    "name:size:mtime" goes to ``parts``."""
    files: list[str] = []
    dirs: list[str] = []
    try:
        with os.scandir(folder) as it:
            for e in it:
                try:
                    if e.is_dir():
                        dirs.append(e.name)
                        continue
                    st = e.stat()
                except OSError:
                    continue
                files.append(e.name)
                parts.append(f"{rel}{e.name}:{st.st_size}:{st.st_mtime_ns}")
    except OSError:
        return None, []
    return files, dirs
