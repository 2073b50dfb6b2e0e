"""A SQLite store whose last write was interrupted: a writer stopped in the middle of a
transaction (killed, out of power, a full disk) leaves a *hot journal* (``<db>-journal``) that
SQLite plays back, rolling the write back, on the next connection that may write. MLflow's
client opens the store read-write, so it rolls back and reads on; a read-only connection
(ours: the store is never written) cannot, and every read fails with
``SQLITE_READONLY_ROLLBACK`` ("attempt to write a readonly database").

:class:`RolledBackCopy` reads such a store the way MLflow would see it, without touching it:
the database and its journal are copied into a private temporary folder, and the copy is
rolled back there by opening it read-write. A journal beside a database whose writer is still
running is not hot (the writer holds a lock): that store is read in place as usual.
"""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

from sitegen.process import remove_temporary_folder, temporary_folder

SQLITE_READONLY_ROLLBACK = 776  # sqlite3.h: SQLITE_READONLY | (3 << 8)


def needs_rollback(error: sqlite3.DatabaseError) -> bool:
    """True if ``error`` says the database has a hot journal a read-only connection cannot play."""
    return getattr(error, "sqlite_errorcode", None) == SQLITE_READONLY_ROLLBACK


class RolledBackCopy:
    """A private copy of the SQLite database ``path`` with its interrupted write rolled back.

    ``make()`` returns the copy's path, or None if the journal went away meanwhile (a writer
    rolled the store back: read it in place); raises OSError or sqlite3.DatabaseError if the
    copy cannot be made. ``remove()`` deletes it. ``warning`` says what happened, naming the
    journal. A database reached through a symbolic link has its journal beside the file the
    link leads to, where SQLite writes it: both are found there."""

    def __init__(self, path: Path):
        self.path = path.resolve()
        self.journal = self.path.with_name(self.path.name + "-journal")
        self.folder: Path | None = None
        self.warning = (
            f"{self.journal}: the store's last write was interrupted (a hot journal: its writer stopped "
            "in the middle of a transaction); read from a private copy with that write rolled back, as "
            "MLflow's next connection would do; the store itself is left as it is"
        )

    def make(self) -> Path | None:
        self.remove()
        self.folder = temporary_folder("sqlite")
        copy = self.folder / self.path.name
        # The database first, then its journal: should a writer roll the store back in between,
        # the journal copied holds the pages as they were before that write, and playing them
        # back onto a database already rolled back changes nothing. Without its journal the
        # copy would hold the interrupted write's pages: never read it so.
        shutil.copyfile(self.path, copy)
        try:
            shutil.copyfile(self.journal, self.folder / self.journal.name)
        except FileNotFoundError:
            self.remove()
            return None
        conn = sqlite3.connect(copy, isolation_level=None)
        try:
            conn.execute("SELECT count(*) FROM sqlite_master").fetchall()  # plays the journal back
        finally:
            conn.close()
        return copy

    def remove(self) -> None:
        if self.folder is not None:
            remove_temporary_folder(self.folder)
            self.folder = None
