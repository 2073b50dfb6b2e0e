"""Atomic site output.

A build writes into a staging folder beside ``--out`` and swaps it in only when
everything succeeded, so a failed or interrupted build leaves the previous site in
place. The staging folder starts as a hard-linked copy of the previous site so an
incremental build only rewrites what changed; every write goes to a new file that is
renamed into place, so a hard-linked file is never modified in place.

The output folder carries a marker file: trackreport only ever replaces a folder it
made itself, and refuses a non-empty folder without the marker.
"""
from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

MARKER = ".trackreport-site"


class OutputError(Exception):
    """The output folder cannot be used (not ours, not writable, ...)."""


def write_file(path: str | os.PathLike, data: bytes) -> bool:
    """Write atomically (temp file + rename); leave an identical file alone. True if written."""
    path = Path(path)
    try:
        if path.stat().st_size == len(data) and path.read_bytes() == data:
            return False
    except OSError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(path.name + ".part")
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, path)
    return True


def _is_ours(out: Path) -> bool:
    return (out / MARKER).is_file()


def check_output(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} exists and is not a folder")
    if out.is_dir() and not _is_ours(out) and any(out.iterdir()):
        raise OutputError(f"--out {out} is not empty and was not made by trackreport "
                          f"(no {MARKER} marker); refusing to overwrite it. "
                          "Choose an empty or new folder.")


def _clone_tree(src: Path, dst: Path) -> None:
    """Copy a tree with hard links where possible (cheap, no data copied)."""
    for dirpath, dirs, files in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        target = dst / rel if rel != "." else dst
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            s, d = os.path.join(dirpath, name), target / name
            try:
                os.link(s, d)
            except OSError:
                shutil.copy2(s, d)


class SiteWriter:
    """Writes a site into a staging folder, then swaps it into ``out`` on commit."""

    def __init__(self, out: str | os.PathLike, *, reuse_previous: bool = True):
        self.out = Path(out).absolute()
        self._recover()
        check_output(self.out)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        tag = f"{os.getpid()}"
        self.root = self.out.parent / f".{self.out.name}.trackreport-tmp-{tag}"
        self._old = self.out.parent / f".{self.out.name}.trackreport-old-{tag}"
        if self.root.exists():
            shutil.rmtree(self.root)
        self.written: set[str] = set()   # relative paths made by this build
        self.reused = reuse_previous and _is_ours(self.out)
        if self.reused:
            _clone_tree(self.out, self.root)
        else:
            self.root.mkdir(parents=True)

    def _recover(self) -> None:
        """Finish or undo a swap that an earlier, interrupted build left half-done."""
        parent = self.out.parent
        if not parent.is_dir():
            return
        prefix = f".{self.out.name}.trackreport-"
        for entry in parent.iterdir():
            if not entry.name.startswith(prefix):
                continue
            if "-old-" in entry.name and not self.out.exists():
                os.replace(entry, self.out)      # the new site never made it: restore the old
            else:
                shutil.rmtree(entry, ignore_errors=True)

    def path(self, rel: str) -> Path:
        p = self.root / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def claim(self, rel: str) -> None:
        """Mark a file as part of this build (for files written by worker processes)."""
        self.written.add(rel)

    def write_bytes(self, rel: str, data: bytes) -> None:
        """Write a file; an identical existing file is left alone (its mtime too)."""
        self.written.add(rel)
        write_file(self.root / rel, data)

    def write_text(self, rel: str, text: str) -> None:
        self.write_bytes(rel, text.encode("utf-8"))

    def link_or_copy(self, src: str | os.PathLike, rel: str) -> None:
        """Put a file into the site: a hard link where the file system allows, else a copy."""
        self.written.add(rel)
        p = self.path(rel)
        try:
            a, b = os.stat(src), p.stat()
            if (a.st_ino, a.st_dev) == (b.st_ino, b.st_dev) or (
                    a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns):
                return  # the same file (hard link) or an unchanged copy
        except OSError:
            pass
        tmp = p.with_name(p.name + ".part")
        if tmp.exists():
            tmp.unlink()
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copy2(src, tmp)
        os.replace(tmp, p)

    def prune(self, rel_dir: str) -> None:
        """Delete files under ``rel_dir`` that this build did not make (left from an older build)."""
        top = self.root / rel_dir
        if not top.is_dir():
            return
        for dirpath, dirs, files in os.walk(top, topdown=False):
            for name in files:
                p = os.path.join(dirpath, name)
                if os.path.relpath(p, self.root).replace(os.sep, "/") not in self.written:
                    os.unlink(p)
            if dirpath != str(top) and not os.listdir(dirpath):
                os.rmdir(dirpath)

    def remove(self, rel: str) -> None:
        p = self.root / rel
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()

    def commit(self, marker_info: dict) -> None:
        self.write_text(MARKER, json.dumps(marker_info, indent=1, sort_keys=True) + "\n")
        if self.out.exists():
            os.replace(self.out, self._old)
            os.replace(self.root, self.out)
            shutil.rmtree(self._old, ignore_errors=True)
        else:
            os.replace(self.root, self.out)

    def abort(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
