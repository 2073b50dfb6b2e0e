"""``trackreport watch``: build, then follow the store and rebuild incrementally.

File-system events (watchdog) on the store folder, or on the SQLite database and its
journal/WAL files, mark the site dirty; a burst of events (a training loop logs many
metrics a second) is coalesced into one rebuild: the watcher waits until the store has
been quiet for ``settle`` seconds, but never longer than ``max_delay`` after the first
event. Reading tolerates half-written data (partial metric lines are left for the next
round, an unreadable run keeps its previous pages); a failed rebuild keeps the previous
site and is retried on the next event or after ``retry`` seconds. The watcher never
writes to the store, so it never slows the writer.
"""

from __future__ import annotations

import dataclasses
import logging
import threading
import time
from pathlib import Path
from typing import Callable

from sitegen.builder.pipeline import SiteBuilder
from sitegen.builder.result import BuildResult, plural
from sitegen.config import BuildOptions
from sitegen.readers.uri import file_store_path, scheme_of, sqlite_path

log = logging.getLogger("trackreport")


def watched_paths(options: BuildOptions, uri: str, artifact_roots=()) -> list[tuple[Path, bool, Callable[[str], bool]]]:
    """(folder, recursive, path filter) for each place whose changes matter."""
    out: list[tuple[Path, bool, Callable[[str], bool]]] = []
    store_root = file_store_path(uri).resolve() if scheme_of(uri) == "file" else None
    scheme = scheme_of(uri)
    if scheme == "file":
        out.append((file_store_path(uri).resolve(), True, lambda p: True))
    elif scheme == "sqlite":
        db = sqlite_path(uri).resolve()
        names = {db.name, db.name + "-wal", db.name + "-journal"}
        out.append((db.parent, False, lambda p, names=names: Path(p).name in names))
        side = db.parent / "mlruns"  # artifacts next to the database
        if side.is_dir():
            out.append((side, True, lambda p: True))
    if options.artifacts and Path(options.artifacts).is_dir():
        out.append((Path(options.artifacts).resolve(), True, lambda p: True))
    if options.theme and Path(options.theme).is_dir():
        out.append((Path(options.theme).resolve(), True, lambda p: True))
    for root in sorted(artifact_roots):
        if store_root is None or (root != store_root and store_root not in root.parents):
            out.append((root, True, lambda p: True))
    return out


class Watcher:
    """Keeps the site at ``options.out`` in step with the store until ``stop()``."""

    def __init__(
        self,
        options: BuildOptions,
        *,
        poll: bool = False,
        interval: float = 0.5,
        settle: float = 0.05,
        max_delay: float = 0.5,
        retry: float = 1.0,
        on_build: Callable[[BuildResult | None, Exception | None], None] | None = None,
    ):
        self.options = options
        self.poll, self.interval = poll, interval
        self.settle, self.max_delay, self.retry = settle, max_delay, retry
        self.on_build = on_build
        self.builder = SiteBuilder(options)
        self._dirty = threading.Event()
        self._stop = threading.Event()
        self._first_event = 0.0
        self._last_event = 0.0
        self._lock = threading.Lock()
        self.builds = 0
        self._out = Path(options.out).resolve()

    # ---- events ----
    def notify(self, path: str = "") -> None:
        """Something in the store changed (called from watchdog's thread)."""
        if path:
            p = Path(path)
            # Our own output (and its staging folders) is not a change of the store.
            if (
                p == self._out
                or self._out in p.parents
                or p.name.startswith(f".{self._out.name}.trackreport-")
                or any(part.startswith(f".{self._out.name}.trackreport-") for part in p.parts)
            ):
                return
        now = time.monotonic()
        with self._lock:
            if not self._dirty.is_set():
                self._first_event = now
            self._last_event = now
            self._dirty.set()

    def stop(self) -> None:
        self._stop.set()
        self._dirty.set()

    # ---- loop ----
    def _rebuild(self) -> BuildResult | None:
        try:
            result = self.builder.build()
        except Exception as e:  # noqa: BLE001 - a watcher never dies of bad input
            if str(e) != self._last_error:  # say it once, not at every retry
                log.warning(f"rebuild failed, previous site kept (will retry): {e}")
                self._last_error = str(e)
            if self.on_build:
                self.on_build(None, e)
            return None
        self.builds += 1
        self._last_error = ""
        if self.options.clean:  # --clean means a fresh first build, not a full one each time
            self.options = dataclasses.replace(self.options, clean=False)
            self.builder.options = self.options
        if self.on_build:
            self.on_build(result, None)
        return result

    def _observer(self):
        from watchdog.events import FileSystemEventHandler
        from watchdog.observers import Observer
        from watchdog.observers.polling import PollingObserver

        watcher = self

        class Handler(FileSystemEventHandler):
            def __init__(self, accept):
                self.accept = accept

            def on_any_event(self, event):
                if event.event_type in ("opened", "closed_no_write"):
                    return
                for path in (event.src_path, getattr(event, "dest_path", "")):
                    if path and self.accept(path):
                        watcher.notify(path)
                        return

        self._handler_class = Handler
        return PollingObserver(timeout=self.interval) if self.poll else Observer()

    def _schedule(self, observer) -> bool:
        """Watch every folder that exists now; True while some are still missing."""
        from watchdog import events as ev

        # Only changes: without a filter, inotify also reports every file the build itself
        # opens and reads, thousands per rebuild, and handling them slows the rebuild down.
        changes = [
            ev.FileCreatedEvent,
            ev.FileModifiedEvent,
            ev.FileDeletedEvent,
            ev.FileMovedEvent,
            ev.FileClosedEvent,
            ev.DirCreatedEvent,
            ev.DirDeletedEvent,
            ev.DirMovedEvent,
        ]
        missing = False
        for folder, recursive, accept in watched_paths(self.options, self.builder.uri, self.builder.artifact_roots):
            if str(folder) in self._scheduled:
                continue
            if folder.is_dir():
                observer.schedule(self._handler_class(accept), str(folder), recursive=recursive, event_filter=changes)
                self._scheduled.add(str(folder))
                self.notify()  # anything written before the watch began counts as a change
            else:
                missing = True
        return missing

    def run(self) -> int:
        """Build once, then rebuild on changes until ``stop()`` (or Ctrl-C). Returns builds made."""
        observer = self._observer()
        self._scheduled: set[str] = set()
        missing = self._schedule(observer)
        observer.start()
        try:
            self._dirty.clear()
            self._failed = self._rebuild() is None
            while not self._stop.is_set():
                if missing:  # e.g. the store does not exist yet: look for it again soon
                    missing = self._schedule(observer)
                timeout = self.retry if (self._failed or missing) else None
                if not self._dirty.wait(timeout=timeout):
                    if self._failed:
                        self.notify()
                    continue
                if self._stop.is_set():
                    break
                self._settle()
                self._dirty.clear()
                self._failed = self._rebuild() is None
                missing = self._schedule(observer) or missing  # new artifact folders
        finally:
            observer.stop()
            observer.join(timeout=5)
            self.builder.close()
        return self.builds

    _failed = False
    _last_error = ""

    def _settle(self) -> None:
        """Wait for a quiet moment (coalescing a burst of events), at most ``max_delay``."""
        while not self._stop.is_set():
            with self._lock:
                now = time.monotonic()
                quiet_for = now - self._last_event
                waited = now - self._first_event
            if quiet_for >= self.settle or waited >= self.max_delay:
                return
            self._stop.wait(min(self.settle - quiet_for, self.max_delay - waited))


def describe(result: BuildResult) -> str:
    """One line per rebuild: what changed and how long it took."""
    if result.runs_rendered == 0:
        what = "no run changed"
    else:
        what = f"{result.runs_rendered} of {plural(result.runs, 'run')} changed"
    warn = f", {plural(len(result.warnings), 'warning')}" if result.warnings else ""
    return (
        f"{time.strftime('%H:%M:%S')} {what}: {plural(result.pages, 'page')}, "
        f"{plural(result.charts, 'chart')} in {result.seconds:.2f} s{warn}"
    )
