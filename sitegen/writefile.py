"""One file of a site written without touching a hard-linked copy (``write_file``), for the
site writer (``writer.SiteWriter``) and for worker processes writing into its staging folders."""

from __future__ import annotations

import os

_NEW = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0)
_TRUNC = os.O_WRONLY | os.O_CREAT | os.O_TRUNC | getattr(os, "O_CLOEXEC", 0)


def _write(path: str, data: bytes, flags: int) -> None:
    """``data`` into ``path`` opened with ``flags``; its folders are made when missing (tried
    first: a cold build writes thousands of files into few folders, and a mkdir per file
    cost more than the writes)."""
    try:
        fd = os.open(path, flags, 0o666)
    except FileNotFoundError:
        os.makedirs(os.path.dirname(path), exist_ok=True)
        fd = os.open(path, flags, 0o666)
    try:
        view, done = memoryview(data), 0
        while done < len(view):
            done += os.write(fd, view[done:])
    finally:
        os.close(fd)


def _same(path: str, size: int, data: bytes) -> bool:
    if size != len(data):
        return False
    with open(path, "rb") as f:
        return f.read() == data


def write_file(path: str | os.PathLike, data: bytes) -> bool:
    """Write ``data`` to ``path`` in a staging folder; leave an identical file alone (its mtime
    too). True if written.

    An existing file may be a hard link into the previous site: it is replaced by a temp file
    renamed over it, never written in place. A new file (every file of a cold build) is written
    directly: nothing else shares it, and an interrupted build's staging folder is discarded."""
    path = os.fspath(path)
    try:
        st = os.stat(path)
    except FileNotFoundError:
        try:
            _write(path, data, _NEW)
            return True
        except FileExistsError:  # made meanwhile: replace it as below
            pass
    except OSError:
        pass
    else:
        try:
            if _same(path, st.st_size, data):
                return False
        except OSError:
            pass
    tmp = path + ".part"
    _write(tmp, data, _TRUNC)
    os.replace(tmp, path)
    return True
