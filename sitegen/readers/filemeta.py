"""Small readers shared by the file store's parts: YAML metadata, key/value folders,
metric files, and the warnings that name what could not be read and what was left out.

Formats follow MLflow's ``mlflow/store/tracking/file_store.py`` and
``mlflow/store/model_registry/file_store.py``: every entity is a folder with a
``meta.yaml``; params, tags and aliases are one file per key (keys with ``/`` are nested
folders); metrics are one text file per key.
"""

from __future__ import annotations

import errno
import os
from pathlib import Path

_yaml = None  # PyYAML and its loader, imported at the first meta.yaml read (~20-40 ms)


def _yaml_loader():
    global _yaml
    if _yaml is None:
        import yaml

        # the C loader is 5-10x faster; fall back silently where libyaml is missing
        _yaml = (yaml, getattr(yaml, "CSafeLoader", None) or yaml.SafeLoader)
    return _yaml


class Warn:
    """Collects warnings as ``"<path>: <problem>"`` lines in ``sink``."""

    def __init__(self, sink: list[str]):
        self.sink = sink

    def __call__(self, path: Path | str, problem: str) -> None:
        self.sink.append(f"{path}: {problem}")


def short(e: Exception) -> str:
    """The first line of an exception's message (its type's name if it has none)."""
    text = str(e).strip().splitlines()
    return text[0] if text else type(e).__name__


def is_folder(entry: os.DirEntry, warn: Warn) -> bool:
    """Whether a store entry is a folder (following a symlink). One that cannot be told — a
    symlink loop, a link into a folder one may not read — is a warning naming it, and False."""
    try:
        return entry.is_dir()
    except OSError as e:
        warn(entry.path, f"unreadable ({e.strerror or short(e)}); left out")
        return False


def subfolders(folder: Path | str, warn: Warn, skip: frozenset[str] | set[str] = frozenset()) -> list[os.DirEntry]:
    """The sub-folders of a store folder, sorted by name (none if it does not exist), but
    those named in ``skip`` and hidden ones (``.name``). A folder that exists but cannot be
    listed (a symlink loop, a named pipe where a folder should be, no permission) is a warning
    naming it; so is each entry :func:`is_folder` cannot tell."""
    try:
        entries = sorted(os.scandir(folder), key=lambda e: e.name)
    except FileNotFoundError:
        return []
    except OSError as e:
        warn(folder, f"cannot be listed ({e.strerror or short(e)}); what it holds is left out")
        return []
    return [e for e in entries if e.name not in skip and not e.name.startswith(".") and is_folder(e, warn)]


_READ = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_CLOEXEC", 0)


def read_bytes(path: Path | str) -> bytes:
    """The content of the store's file ``path``. Raises OSError if it cannot be read or is not a
    regular file: a named pipe, socket or device in a store (left by a tool, or a mistake)
    would otherwise block the build for ever or read without end. (Opened without blocking, so
    opening a pipe returns at once; MLflow's own reader would hang there.)"""
    import stat

    try:
        fd = os.open(path, _READ)
    except OSError as e:
        if e.errno == errno.ENXIO:  # what opening a socket gives
            raise OSError("a socket, not a file") from None
        raise
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise OSError(f"{_kind(st.st_mode)}, not a file")
        chunks = []
        while chunk := os.read(fd, max(st.st_size + 1, 65536)):
            chunks.append(chunk)
        return b"".join(chunks)
    finally:
        os.close(fd)


def load_yaml(path: Path, warn: Warn, left_out: str = "skipped") -> dict | None:
    """``path`` parsed as a YAML mapping, or None after a warning naming the file, why it
    could not be read and ``left_out`` (what is therefore missing from the site)."""
    yaml, loader = _yaml_loader()
    try:
        data = yaml.load(read_bytes(path), Loader=loader)
    except (OSError, yaml.YAMLError) as e:
        warn(path, f"unreadable ({short(e)}); {left_out}")
        return None
    if not isinstance(data, dict):
        what = "empty" if data is None else f"a {type(data).__name__}, not a mapping"
        warn(path, f"not MLflow metadata ({what}; half-written or damaged?); {left_out}")
        return None
    return data


def int_or_none(v) -> int | None:
    if v is None or v == "":
        return None
    try:
        return int(v)
    except (TypeError, ValueError, OverflowError):
        return None


def _kind(mode: int) -> str:
    import stat

    for test, kind in ((stat.S_ISREG, "a file"), (stat.S_ISDIR, "a folder"), (stat.S_ISFIFO, "a named pipe")):
        if test(mode):
            return kind
    return "a socket" if stat.S_ISSOCK(mode) else "a device"


def _walkable(folder: Path | str, warn: Warn) -> bool:
    """Whether ``folder`` is a folder to walk. Missing is fine (MLflow makes none for a run with
    no params, say); anything else in its place is a warning naming it."""
    if os.path.islink(folder):
        target, run = os.path.realpath(folder), os.path.realpath(os.path.dirname(folder))
        if not target.startswith(run + os.sep):
            warn(folder, f"a symlink to {target}, out of its folder; not followed, what it should hold is left out")
            return False
    if os.path.isdir(folder):
        return True
    if os.path.lexists(folder):
        try:
            reason = _kind(os.stat(folder).st_mode)
        except OSError as e:
            reason = e.strerror or short(e)
        warn(folder, f"not a folder ({reason}); what it should hold is left out")
    return False


def _walk_error(warn: Warn):
    return lambda e: warn(e.filename, f"cannot be listed ({e.strerror or short(e)}); what it holds is left out")


def read_kv_folder(folder: Path, warn: Warn) -> dict[str, str]:
    """params/, tags/, aliases/: one file per key; keys with '/' are nested folders."""
    out: dict[str, str] = {}
    top = str(folder)
    if not _walkable(top, warn):
        return out
    for dirpath, _dirs, files in os.walk(top, onerror=_walk_error(warn)):
        prefix = "" if dirpath == top else os.path.relpath(dirpath, top).replace(os.sep, "/") + "/"
        for name in files:
            path = os.path.join(dirpath, name)
            try:
                out[prefix + name] = read_bytes(path).decode("utf-8")
            except (OSError, UnicodeDecodeError) as e:
                warn(path, f"unreadable ({short(e)}); this key is left out")
    return out


def metric_files(folder: Path, warn: Warn):
    """(key, content, path) of each metric file; keys with '/' are nested folders."""
    if not _walkable(folder, warn):
        return
    for dirpath, _dirs, files in os.walk(folder, onerror=_walk_error(warn)):
        for name in files:
            path = Path(dirpath, name)
            try:
                data = read_bytes(path)
            except OSError as e:
                warn(path, f"unreadable ({short(e)}); this metric is left out")
                continue
            yield path.relative_to(folder).as_posix(), data, path


def complete_lines(data: bytes) -> bytes:
    """A metric file without a trailing partial line (being appended to right now)."""
    if not data.endswith(b"\n"):
        cut = data.rfind(b"\n")
        data = data[: cut + 1] if cut >= 0 else b""
    return data


def meta_folders(
    folder: Path,
    warn: Warn,
    what: str,
    prefix: str = "",
    unreadable: set | None = None,
    others: frozenset = frozenset(),
):
    """(sub-folder, its meta.yaml as a dict) for each sub-folder of ``folder`` whose name
    starts with ``prefix``. A sub-folder without a readable meta.yaml is a warning naming it
    and saying that this ``what`` (e.g. "logged model") is left out; its name goes into
    ``unreadable``. Names in ``others`` are known non-entity folders and are passed over."""
    for entry in subfolders(folder, warn, skip=others):
        if not entry.name.startswith(prefix):
            continue
        meta_path = Path(entry.path, "meta.yaml")
        if not meta_path.is_file():
            warn(entry.path, f"no meta.yaml (damaged or half-written?); this {what} is left out")
            meta = None
        else:
            meta = load_yaml(meta_path, warn, f"this {what} is left out")
        if meta is not None:
            yield Path(entry.path), meta
        elif unreadable is not None:
            unreadable.add(entry.name)
