"""What the SQL readers share (``sqlstore``, ``sqlhistories``, ``dbstore``): a read-only
SQLite connection and the schema revision's tables and columns."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from urllib.parse import quote


def _connect_readonly(path: Path) -> sqlite3.Connection:
    uri = f"file:{quote(str(path.resolve()))}?mode=ro"
    conn = sqlite3.connect(uri, uri=True, timeout=30, check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA query_only = ON")
    return conn


class _Schema:
    """Which tables and columns this schema revision has, and how the dialect quotes names."""

    def __init__(self, tables: set[str], columns, quote_char: str = '"'):
        self.tables = tables
        self._columns_of = columns
        self._cols: dict[str, set[str]] = {}
        self._quote = quote_char

    @classmethod
    def of_sqlite(cls, conn: sqlite3.Connection) -> "_Schema":
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        return cls(tables, lambda t: {r[1] for r in conn.execute(f'PRAGMA table_info("{t}")')})

    def q(self, name: str) -> str:
        """A quoted identifier (``key``, ``timestamp`` and ``value`` are keywords somewhere)."""
        return f"{self._quote}{name}{self._quote}"

    def columns(self, table: str) -> set[str]:
        if table not in self._cols:
            self._cols[table] = set(self._columns_of(table)) if table in self.tables else set()
        return self._cols[table]

    def col(self, table: str, name: str, default: str = "NULL", alias: str = "") -> str:
        """Select expression for a column that may not exist in this revision."""
        if name not in self.columns(table):
            return default
        return f"{alias}.{self.q(name)}" if alias else self.q(name)
