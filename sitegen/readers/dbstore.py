"""Reader for MLflow stores in a database server (PostgreSQL, MySQL/MariaDB, SQL Server).

The same queries as the SQLite reader (``SqlReader``), through SQLAlchemy, which is an
optional extra (``pip install "trackreport[postgres]"`` / ``[mysql]`` / ``[mssql]``). Only
how the connection is made differs: one connection, one read-only transaction with a
consistent snapshot (REPEATABLE READ), a fixed number of bulk queries whatever the number
of runs. Passwords in the URI never appear in messages.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from sitegen.entities import Run, Store
from sitegen.entities.budget import HistoryBudget
from sitegen.errors import StoreError
from sitegen.readers.sqlschema import _Schema
from sitegen.readers.sqlstore import SqlReader
from sitegen.readers.uri import redact

# Drivers to use when the URI names none and SQLAlchemy's default driver is not installed.
_FALLBACK_DRIVERS = {
    "postgresql": ["psycopg2", "psycopg", "pg8000"],
    "mysql": ["mysqldb", "pymysql", "mysqlconnector"],
    "mssql": ["pyodbc", "pymssql"],
}
_DRIVER_MODULES = {
    "psycopg2": "psycopg2",
    "psycopg": "psycopg",
    "pg8000": "pg8000",
    "mysqldb": "MySQLdb",
    "pymysql": "pymysql",
    "mysqlconnector": "mysql.connector",
    "pyodbc": "pyodbc",
    "pymssql": "pymssql",
}
_EXTRA = {"postgresql": "postgres", "mysql": "mysql", "mssql": "mssql"}


def _scrub(text: str, uri: str) -> str:
    password = urlsplit(uri).password
    text = redact(text)
    return text.replace(password, "***") if password else text


def _with_driver(uri: str) -> str:
    """``postgresql://`` → ``postgresql+psycopg2://`` etc. when the default driver is missing."""
    import importlib.util

    scheme, rest = uri.split("://", 1)
    dialect = scheme.split("+")[0]
    if dialect == "postgres":
        dialect, scheme = "postgresql", "postgresql" + scheme[len("postgres") :]
    if "+" in scheme or dialect not in _FALLBACK_DRIVERS:
        return f"{scheme}://{rest}"
    for driver in _FALLBACK_DRIVERS[dialect]:
        if importlib.util.find_spec(_DRIVER_MODULES[driver].split(".")[0]) is not None:
            return f"{dialect}+{driver}://{rest}"
    return f"{scheme}://{rest}"


class DatabaseStoreReader:
    kind = "database"

    def __init__(self, uri: str, *, include_deleted: bool = False):
        self.uri, self.include_deleted = uri, include_deleted
        self.budget = HistoryBudget(None)  # see sitegen.entities.budget
        dialect = (
            uri.split("://", 1)[0].split("+")[0].replace("postgres", "postgresql").replace("postgresqlql", "postgresql")
        )
        try:
            import sqlalchemy  # noqa: F401  (an optional extra: say so clearly when missing)
        except ImportError:
            raise StoreError(
                f"reading {dialect} stores needs SQLAlchemy and a driver: "
                f'pip install "trackreport[{_EXTRA.get(dialect, dialect)}]"'
            ) from None
        self.dialect = dialect
        self._engine = None
        self._conn = None

    def _connect(self):
        from sqlalchemy import create_engine, inspect
        from sqlalchemy.exc import ArgumentError, NoSuchModuleError, SQLAlchemyError
        from sqlalchemy.pool import NullPool

        url = _with_driver(self.uri)
        try:
            self._engine = create_engine(url, poolclass=NullPool)
            conn = self._engine.connect()
        except (NoSuchModuleError, ModuleNotFoundError, ImportError) as e:
            raise StoreError(
                f"no database driver for {redact(self.uri)}: pip install "
                f'"trackreport[{_EXTRA.get(self.dialect, self.dialect)}]" ({e})'
            ) from None
        except ArgumentError as e:
            raise StoreError(f"not a database URI: {redact(self.uri)} ({_scrub(str(e), self.uri)})") from None
        except SQLAlchemyError as e:
            msg = _scrub(str(getattr(e, "orig", e) or e).strip().splitlines()[0], self.uri)
            raise StoreError(f"cannot connect to {redact(self.uri)}: {msg}") from None
        name = conn.dialect.name
        # One consistent, read-only snapshot for all the queries of this read.
        if name == "postgresql":
            conn.exec_driver_sql(
                "SET SESSION CHARACTERISTICS AS TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"
            )
        elif name in ("mysql", "mariadb"):
            conn.exec_driver_sql("SET SESSION TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            conn.exec_driver_sql("SET SESSION TRANSACTION READ ONLY")
        conn.commit()
        insp = inspect(conn)
        tables = set(insp.get_table_names())
        quote = conn.dialect.identifier_preparer.initial_quote
        schema = _Schema(tables, lambda t: {c["name"] for c in insp.get_columns(t)}, quote)
        schema.columns("runs")
        schema.columns("metrics")
        return conn, schema

    def read(self, reuse=None) -> Store:
        from sqlalchemy.exc import SQLAlchemyError

        self.close()
        conn, schema = self._connect()
        self._conn = conn
        missing = {"experiments", "runs"} - schema.tables
        if missing:
            raise StoreError(f"not an MLflow database (no {', '.join(sorted(missing))} table): {redact(self.uri)}")
        store = Store(uri=redact(self.uri), kind="database", base_dir=None)
        self._sql = SqlReader(_Adapter(conn), schema)
        self._sql.budget = self.budget
        try:
            self._sql.read(store, self.include_deleted, reuse)
        except SQLAlchemyError as e:
            msg = _scrub(str(getattr(e, "orig", e)).strip().splitlines()[0], self.uri)
            raise StoreError(f"cannot read {redact(self.uri)}: {msg}") from None
        return store

    def load_metrics(self, runs: list[Run]) -> None:
        self._sql.load_metrics([r for r in runs if not r.metrics_complete])

    def load_traces(self, traces: list) -> dict:
        return self._sql.load_traces(traces)

    def close(self) -> None:
        if self._conn is not None:
            try:
                self._conn.rollback()
                self._conn.close()
            finally:
                self._conn = None
        if self._engine is not None:
            self._engine.dispose()
            self._engine = None


class _Adapter:
    """``conn.execute(sql, args)`` with ``?`` placeholders, as the SQL reader writes them."""

    def __init__(self, conn):
        self.conn = conn

    def execute(self, sql: str, args: tuple = ()):
        from sqlalchemy import text

        params = {}
        if args:
            parts = sql.split("?")
            sql = parts[0]
            for i, part in enumerate(parts[1:]):
                sql += f":p{i}" + part
                params[f"p{i}"] = args[i]
        return self.conn.execute(text(sql), params)
