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

from sitegen.errors import OutputError  # noqa: F401  (re-exported)
from sitegen.process import checkpoint
from sitegen.writefile import write_file  # (re-exported: workers and charts import it here)

MARKER = ".trackreport-site"


def _is_ours(out: Path) -> bool:
    return (out / MARKER).is_file()


def check_output(out: Path) -> None:
    if out.exists() and not out.is_dir():
        raise OutputError(f"--out {out} exists and is not a folder")
    if out.is_dir() and not _is_ours(out) and any(out.iterdir()):
        raise OutputError(
            f"--out {out} is not empty and was not made by trackreport "
            f"(no {MARKER} marker); refusing to overwrite it. "
            "Choose an empty or new folder."
        )


def _remove_path(p: Path) -> None:
    """Remove a file or a folder tree, if it is there."""
    if p.is_dir() and not p.is_symlink():
        shutil.rmtree(p, ignore_errors=True)
    elif p.exists() or p.is_symlink():
        p.unlink()


def _clone_tree(src: Path, dst: Path) -> None:
    """Copy a tree with hard links where possible (cheap, no data copied)."""
    for dirpath, _dirs, files in os.walk(src):
        rel = os.path.relpath(dirpath, src)
        target = dst / rel if rel != "." else dst
        target.mkdir(parents=True, exist_ok=True)
        for name in files:
            s, d = os.path.join(dirpath, name), target / name
            try:
                os.link(s, d)
            except OSError:
                shutil.copy2(s, d)


def recover(out: str | os.PathLike) -> None:
    """Roll back (or finish) what a build killed while writing ``out`` left half-done, so the
    folder holds the previous site again. Every build does this first; ``serve`` and
    ``publish`` too, so a half-written site is never served or pushed."""
    writer = SiteWriter.__new__(SiteWriter)
    writer.out = Path(out).absolute()
    writer._recover()


class SiteWriter:
    """Writes a site so that a failed or interrupted build leaves the previous one in place.

    A full build writes into a fresh staging folder beside ``out`` and swaps the whole
    folder in on commit. An incremental build works inside ``out``: each run folder (or
    experiment charts folder) that is redone is prepared as a hard-linked copy beside the
    original and swapped in on commit; other pages are written to temporary files that are
    renamed into place on commit, and removals wait for the commit too. Until ``commit``,
    the site in ``out`` is untouched either way.
    """

    _STAGE, _PART, _OLD = ".trackreport-stage", ".trackreport-part", ".trackreport-old"
    _BUILDING = ".trackreport-building"
    # An incremental commit notes each step in the journal before taking it, and writes the
    # committed flag once every step is taken: an interrupted commit is rolled back (nothing of
    # it stays) or, once committed, finished by the next build.
    _JOURNAL, _COMMITTED = ".trackreport-journal", ".trackreport-committed"

    def __init__(self, out: str | os.PathLike, *, incremental: bool = True):
        self.out = Path(out).absolute()
        self._recover()
        check_output(self.out)
        self.out.parent.mkdir(parents=True, exist_ok=True)
        self.written: set[str] = set()  # relative paths made by this build
        self.reused = incremental and _is_ours(self.out)
        self._staged: dict[str, Path] = {}  # rel dir → its staging copy (incremental)
        self._pending: dict[str, Path] = {}  # rel file → temporary file (incremental)
        self._removals: list[str] = []
        tag = f"{os.getpid()}"
        self._old = self.out.parent / f".{self.out.name}.trackreport-old-{tag}"
        if self.reused:
            self.root = self.out
            (self.out / self._BUILDING).write_text(tag)
        else:
            self.root = self.out.parent / f".{self.out.name}.trackreport-tmp-{tag}"
            if self.root.exists():
                shutil.rmtree(self.root)
            self.root.mkdir(parents=True)

    # ---- recovery ----
    def _recover(self) -> None:
        """Finish or undo what an earlier, interrupted build left half-done."""
        parent = self.out.parent
        if not parent.is_dir():
            return
        prefix = f".{self.out.name}.trackreport-"
        for entry in parent.iterdir():
            if not entry.name.startswith(prefix):
                continue
            if "-old-" in entry.name and not self.out.exists():
                os.replace(entry, self.out)  # the new site never made it: restore the old
            else:
                shutil.rmtree(entry, ignore_errors=True)
        if (self.out / self._BUILDING).exists():
            self._replay_journal()
            for dirpath, dirs, files in os.walk(self.out, topdown=True):
                for name in list(dirs):
                    p = Path(dirpath, name)
                    if name.endswith(self._OLD):
                        final = p.with_name(name[1 : -len(self._OLD)])
                        if final.exists():
                            shutil.rmtree(p, ignore_errors=True)
                        else:
                            os.replace(p, final)
                        dirs.remove(name)
                    elif name.endswith(self._STAGE):
                        shutil.rmtree(p, ignore_errors=True)
                        dirs.remove(name)
                for name in files:
                    if name.endswith(self._PART):
                        os.unlink(os.path.join(dirpath, name))
                    elif name.endswith(self._OLD):  # a page moved aside by an unjournaled commit
                        final = Path(dirpath, name[1 : -len(self._OLD)])
                        if final.exists():
                            os.unlink(os.path.join(dirpath, name))
                        else:
                            os.replace(os.path.join(dirpath, name), final)
            (self.out / self._BUILDING).unlink()

    def _replay_journal(self) -> None:
        """Roll back an incremental commit that did not finish, or finish one that did."""
        journal = self.out / self._JOURNAL
        committed = (self.out / self._COMMITTED).exists()
        try:
            steps = [json.loads(line) for line in journal.read_text(encoding="utf-8").splitlines() if line.strip()]
        except (OSError, ValueError):
            steps = []
        for step in reversed(steps):
            final = self.out / step["final"]
            old = self.out / step["old"] if step.get("old") else None
            if committed:
                if old is not None:
                    _remove_path(old)
                continue
            if old is not None and old.exists():  # the step was taken: put the original back
                _remove_path(final)
                os.replace(old, final)
            elif old is None and step.get("new"):  # a new file or folder: take it away
                _remove_path(final)
        journal.unlink(missing_ok=True)
        (self.out / self._COMMITTED).unlink(missing_ok=True)

    # ---- where things go ----
    def stage(self, rel_dir: str) -> Path:
        """The folder to (re)make ``rel_dir`` in; swapped into place on commit."""
        if not self.reused:
            return self.root / rel_dir
        if rel_dir not in self._staged:
            final = self.out / rel_dir
            staged = final.with_name(f".{final.name}{self._STAGE}")
            if staged.exists():
                shutil.rmtree(staged)
            if final.is_dir():
                _clone_tree(final, staged)  # unchanged files keep their inode and mtime
            else:
                staged.mkdir(parents=True)
            self._staged[rel_dir] = staged
        return self._staged[rel_dir]

    def _target(self, rel: str) -> tuple[Path, bool]:
        """(path to write, deferred?) for a file of the site."""
        if self.reused:
            for rel_dir, staged in self._staged.items():
                if rel.startswith(rel_dir + "/"):
                    return staged / rel[len(rel_dir) + 1 :], False
            return self.out / rel, True
        return self.root / rel, False

    def path(self, rel: str) -> Path:
        p, _ = self._target(rel)
        try:
            p.parent.mkdir(parents=True, exist_ok=True)
        except (FileExistsError, NotADirectoryError):
            self._make_room(p.parent)
            p.parent.mkdir(parents=True, exist_ok=True)
        return p

    def _make_room(self, folder: Path) -> None:
        """A file of the last build where this build needs a folder (an artifact ``report`` that
        became ``report/index.txt``): removed, inside the site's own folders only."""
        for anc in reversed([folder, *folder.parents]):
            if not (anc.is_relative_to(self.out) or anc.is_relative_to(self.root)):
                continue
            if anc.is_symlink() or (anc.exists() and not anc.is_dir()):
                anc.unlink()

    def claim(self, rel: str) -> None:
        """Mark a file as part of this build (for files written by worker processes)."""
        self.written.add(rel)

    # ---- writing ----
    def write_bytes(self, rel: str, data: bytes) -> None:
        """Write a file; an identical existing file is left alone (its mtime too)."""
        self.written.add(rel)
        target, deferred = self._target(rel)
        if not deferred:
            write_file(target, data)
            return
        try:
            if target.stat().st_size == len(data) and target.read_bytes() == data:
                return
        except OSError:
            pass
        part = target.with_name(target.name + self._PART)
        target.parent.mkdir(parents=True, exist_ok=True)
        part.write_bytes(data)
        self._pending[rel] = part

    def write_text(self, rel: str, text: str) -> None:
        self.write_bytes(rel, text.encode("utf-8"))

    def link_or_copy(self, src: str | os.PathLike, rel: str) -> None:
        """Put a file into the site: a hard link where the file system allows, else a copy."""
        self.written.add(rel)
        p = self.path(rel)
        try:
            a, b = os.stat(src), p.stat()
            if (a.st_ino, a.st_dev) == (b.st_ino, b.st_dev) or (
                a.st_size == b.st_size and a.st_mtime_ns == b.st_mtime_ns
            ):
                return  # the same file (hard link) or an unchanged copy
        except OSError:
            pass
        _, deferred = self._target(rel)
        if not deferred and p.is_dir() and not p.is_symlink():
            shutil.rmtree(p)  # a folder of the last build where this build puts a file
        tmp = p.with_name(p.name + self._PART)
        if tmp.exists():
            tmp.unlink()
        try:
            os.link(src, tmp)
        except OSError:
            shutil.copy2(src, tmp)
        if deferred:
            self._pending[rel] = tmp
        else:
            os.replace(tmp, p)

    def prune(self, rel_dir: str) -> None:
        """Delete files under ``rel_dir`` that this build did not make (left from an older build)."""
        top, _ = self._target(rel_dir + "/")
        top = self._staged.get(rel_dir, top)
        if not top.is_dir():
            return
        for dirpath, _dirs, files in os.walk(top, topdown=False):
            for name in files:
                p = os.path.join(dirpath, name)
                rel = rel_dir + "/" + os.path.relpath(p, top).replace(os.sep, "/")
                if rel not in self.written:
                    os.unlink(p)
            if dirpath != str(top) and not os.listdir(dirpath):
                os.rmdir(dirpath)

    def remove(self, rel: str) -> None:
        if self.reused:
            self._removals.append(rel)
            return
        p = self.root / rel
        if p.is_dir():
            shutil.rmtree(p)
        elif p.exists():
            p.unlink()

    # ---- the end ----
    def commit(self, marker_info: dict) -> None:
        """Swap the new site in. A full build renames its staging folder into place; an
        incremental one swaps each redone folder and file in under a journal, so that a build
        killed at any moment leaves the previous site (rolled back by the next build)."""
        # Not sort_keys: the manifest is made in a fixed order, and sorting costs a fifth.
        self.write_text(MARKER, json.dumps(marker_info, separators=(",", ":")) + "\n")
        checkpoint("commit")
        if self.reused:
            self._commit_incremental()
        elif self.out.exists():
            os.replace(self.out, self._old)
            checkpoint("swap")
            os.replace(self.root, self.out)
            shutil.rmtree(self._old, ignore_errors=True)
        else:
            os.replace(self.root, self.out)

    def _commit_incremental(self) -> None:
        olds: list[Path] = []
        with open(self.out / self._JOURNAL, "w", encoding="utf-8") as journal:

            def step(final: Path, new: Path | None) -> None:
                """Move ``final`` aside (kept until the commit is complete) and ``new`` in."""
                old = final.with_name(f".{final.name}{self._OLD}") if final.exists() else None
                journal.write(
                    json.dumps(
                        {
                            "final": str(final.relative_to(self.out)),
                            "new": new is not None,
                            "old": str(old.relative_to(self.out)) if old else None,
                        }
                    )
                    + "\n"
                )
                journal.flush()
                checkpoint("commit-step")
                if old is not None:
                    _remove_path(old)
                    os.replace(final, old)
                    olds.append(old)
                if new is not None:
                    final.parent.mkdir(parents=True, exist_ok=True)
                    os.replace(new, final)

            for rel_dir, staged in self._staged.items():
                if _empty_tree(staged):  # nothing left in it (a last chart removed): no folder, as a full build
                    shutil.rmtree(staged)
                    if (self.out / rel_dir).exists():
                        step(self.out / rel_dir, None)
                    continue
                step(self.out / rel_dir, staged)
            for rel, part in self._pending.items():
                step(self.out / rel, part)
            for rel in self._removals:
                if (self.out / rel).exists():
                    step(self.out / rel, None)
        (self.out / self._COMMITTED).write_text("")
        checkpoint("committed")
        for old in olds:
            _remove_path(old)
        for rel in self._removals:  # a folder left empty (a run's page removed with its last run)
            parent = (self.out / rel).parent
            while parent != self.out and parent.is_relative_to(self.out):
                try:
                    parent.rmdir()  # only if empty
                except OSError:
                    break
                parent = parent.parent
        (self.out / self._JOURNAL).unlink(missing_ok=True)
        (self.out / self._COMMITTED).unlink(missing_ok=True)
        (self.out / self._BUILDING).unlink(missing_ok=True)

    def abort(self) -> None:
        if self.reused:
            for staged in self._staged.values():
                shutil.rmtree(staged, ignore_errors=True)
            for part in self._pending.values():
                part.unlink(missing_ok=True)
            (self.out / self._BUILDING).unlink(missing_ok=True)
        else:
            shutil.rmtree(self.root, ignore_errors=True)


def _empty_tree(folder: Path) -> bool:
    """Whether ``folder`` holds no file, at any depth."""
    return not any(os.path.isfile(p) or os.path.islink(p) for p in folder.rglob("*"))
