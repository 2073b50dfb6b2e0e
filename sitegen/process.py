"""A build as a process: one at a time per output folder (:class:`BuildLock`), private
temporary folders removed however it ends (:func:`temporary_folder`), and the test hook that
kills it at named points (:func:`checkpoint`, tests/test_kill.py)."""

from __future__ import annotations

import os
from pathlib import Path

from sitegen.errors import OutputError

# Temporary folders of this process, removed by remove_temporary_folders (SIGTERM ends a
# command with os._exit, which runs no finally: block).
_temporary: set[str] = set()

# Build locks this process holds: a forked worker closes its copies (close_inherited_locks), or
# the lock would outlive a build stopped with SIGTERM for as long as its workers take to end.
_held_locks: set[int] = set()

_KILL_AT = os.environ.get("TRACKREPORT_TEST_KILL_AT")  # "name[:n][@pause]" (tests/test_kill.py)
_passed: dict[str, int] = {}


def checkpoint(name: str) -> None:
    """A test hook: with TRACKREPORT_TEST_KILL_AT=name[:n] the process kills itself (SIGKILL)
    the n-th time (default 1) it passes ``name``, so tests can stop a build at every step. With
    ``name[:n]@pause`` it writes ``checkpoint <name>: paused`` on stderr there and waits for a
    signal instead, so a test can send SIGTERM or SIGINT at that very point."""
    if _KILL_AT is None:
        return
    spec, _, action = _KILL_AT.partition("@")
    want, _, nth = spec.partition(":")
    if want == name:
        _passed[name] = _passed.get(name, 0) + 1
        if _passed[name] == int(nth or 1):
            import signal

            if action == "pause":
                import sys

                sys.stderr.write(f"checkpoint {name}: paused\n")
                sys.stderr.flush()
                while True:
                    signal.pause()
            os.kill(os.getpid(), signal.SIGKILL)


class BuildLock:
    """One build at a time into an output folder: an exclusive ``flock`` on
    ``.<out>.trackreport-lock`` beside it, held for the whole build. A second build stops at
    once with an OutputError naming the running one (its pid, start time and command). The
    kernel drops the lock of a process that dies (even by kill -9), so a stale lock file is
    simply taken over: nothing to clean by hand."""

    def __init__(self, out: str | os.PathLike):
        out = Path(out).absolute()
        self.out = out
        self.path = out.parent / f".{out.name}.trackreport-lock"
        self._fd: int | None = None

    def __enter__(self) -> "BuildLock":
        import fcntl
        import sys
        import time

        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        except OSError as e:  # a read-only or full file system, no permission, not a folder
            raise OutputError(f"cannot use {self.out} as the output folder: {e.strerror} ({e.filename})") from None
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            holder = os.pread(fd, 4096, 0).decode("utf-8", "replace").strip() or "another process"
            os.close(fd)
            raise OutputError(
                f"another build is writing {self.out} ({holder}); wait for it to finish or stop it"
            ) from None
        os.ftruncate(fd, 0)
        started = time.strftime("%Y-%m-%d %H:%M:%S")
        os.pwrite(fd, f"pid {os.getpid()}, started {started}: {' '.join(sys.argv)[:300]}".encode(), 0)
        self._fd = fd
        _held_locks.add(fd)
        return self

    def __exit__(self, *exc) -> None:
        if self._fd is not None:
            try:
                self.path.unlink()  # no file left beside the site (a waiting build never blocks)
            except OSError:
                pass
            _held_locks.discard(self._fd)
            os.close(self._fd)  # releases the lock
            self._fd = None


TEMP_PREFIX = "trackreport-"


def temporary_folder(kind: str) -> Path:
    """A new private folder ``<temp>/trackreport-<kind>-<pid>-…`` (mode 0700). It is removed by
    :func:`remove_temporary_folder`, by the SIGTERM handler if the command is stopped, or —
    if the process was killed outright — by the next process that asks for one of the same
    kind (:func:`sweep`). Raises OSError."""
    import tempfile

    sweep(kind)
    folder = tempfile.mkdtemp(prefix=f"{TEMP_PREFIX}{kind}-{os.getpid()}-")
    _temporary.add(folder)
    return Path(folder)


def remove_temporary_folder(folder: Path | str) -> None:
    import shutil

    shutil.rmtree(folder, ignore_errors=True)
    _temporary.discard(str(folder))


def remove_temporary_folders() -> None:
    """Remove every temporary folder this process made (the SIGTERM handler calls it)."""
    for folder in list(_temporary):
        remove_temporary_folder(folder)


def sweep(kind: str) -> None:
    """Remove ``trackreport-<kind>-<pid>-…`` folders whose process no longer runs."""
    import shutil
    import tempfile

    base = Path(tempfile.gettempdir())
    try:
        entries = list(base.glob(f"{TEMP_PREFIX}{kind}-*-*"))
    except OSError:
        return
    for folder in entries:
        pid = folder.name[len(TEMP_PREFIX) + len(kind) + 1 :].split("-", 1)[0]
        if not pid.isdigit() or int(pid) == os.getpid() or _alive(int(pid)):
            continue
        shutil.rmtree(folder, ignore_errors=True)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # another user's process
    return True


def close_inherited_locks() -> None:
    """In a forked worker: close the build locks inherited from the build (the lock stays
    with the build, and ends with it)."""
    for fd in list(_held_locks):
        try:
            os.close(fd)
        except OSError:
            pass
    _held_locks.clear()
