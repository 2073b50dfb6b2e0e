"""Real PostgreSQL and MariaDB servers for the tests, started on 127.0.0.1 in a temporary
folder from Debian's packages (``.ci/run`` installs them) and stopped afterwards."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path


def require(ok: bool, what: str) -> None:
    """Skip a test whose server is not installed, except in CI (``CI=true``), where it fails:
    ``.ci/run`` installs every server, so CI really runs the test."""
    if not ok:
        import pytest

        if os.environ.get("CI"):
            pytest.fail(f"{what} is required in CI (.ci/run installs it)")
        pytest.skip(f"{what} not installed")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_tcp(port: int, proc: subprocess.Popen | None, log: Path, timeout: float = 60) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited: {log.read_text(errors='replace')[-2000:]}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"server on port {port} did not start: {log.read_text(errors='replace')[-2000:]}")


def postgres_bin() -> Path | None:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    return Path(found[-1]).parent if found else None


class Postgres:
    """A throw-away PostgreSQL cluster; ``uri(db)`` for a database with a password user."""

    user, password = "mlflow", "s3cret-pw"

    def __init__(self, base: Path):
        self.bin = postgres_bin()
        # Its own folder under /tmp: the server runs as the postgres user, which cannot enter
        # pytest's private temporary folders.
        self.base = Path(tempfile.mkdtemp(prefix="trackreport-pg-"))
        self.port = free_port()
        self.data = self.base / "data"

    def _as_postgres(self, *cmd: str, **kw) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:  # the server refuses to run as root
            cmd = ("runuser", "-u", "postgres", "--", *cmd)
        return subprocess.run(cmd, capture_output=True, text=True, **kw)

    def start(self) -> "Postgres":
        self.base.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            pw = pwd.getpwnam("postgres")
            os.chown(self.base, pw.pw_uid, pw.pw_gid)
        pwfile = self.base / "pw"
        pwfile.write_text("postgres\n")
        if os.geteuid() == 0:
            os.chown(pwfile, pw.pw_uid, pw.pw_gid)
        r = self._as_postgres(
            str(self.bin / "initdb"), "-D", str(self.data), "-A", "md5", "-U", "postgres", f"--pwfile={pwfile}"
        )
        if r.returncode:
            raise RuntimeError(r.stderr)
        r = self._as_postgres(
            str(self.bin / "pg_ctl"),
            "-D",
            str(self.data),
            "-l",
            str(self.base / "log"),
            "-o",
            f"-p {self.port} -k {self.base} -c listen_addresses=127.0.0.1 -c fsync=off",
            "-w",
            "start",
        )
        if r.returncode:
            raise RuntimeError(r.stderr + (self.base / "log").read_text(errors="replace"))
        self.sql("postgres", f"CREATE USER {self.user} PASSWORD '{self.password}'")
        return self

    def sql(self, db: str, statement: str) -> None:
        env = dict(os.environ, PGPASSWORD="postgres")
        r = subprocess.run(
            [
                "psql",
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                "postgres",
                "-d",
                db,
                "-v",
                "ON_ERROR_STOP=1",
                "-c",
                statement,
            ],
            capture_output=True,
            text=True,
            env=env,
        )
        if r.returncode:
            raise RuntimeError(r.stderr)

    def create_db(self, name: str) -> str:
        self.sql("postgres", f"CREATE DATABASE {name} OWNER {self.user}")
        return f"postgresql+psycopg2://{self.user}:{self.password}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        self._as_postgres(str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop")
        shutil.rmtree(self.base, ignore_errors=True)


class MariaDB:
    user, password = "mlflow", "s3cret-pw"

    def __init__(self, base: Path):
        self.base = base
        self.port = free_port()
        self.proc: subprocess.Popen | None = None

    @staticmethod
    def available() -> bool:
        return bool(shutil.which("mariadbd") or os.path.exists("/usr/sbin/mariadbd")) and bool(
            shutil.which("mariadb-install-db")
        )

    def start(self) -> "MariaDB":
        self.base.mkdir(parents=True, exist_ok=True)
        data = self.base / "data"
        r = subprocess.run(
            [
                "mariadb-install-db",
                "--user=root",
                f"--datadir={data}",
                "--auth-root-authentication-method=normal",
                "--skip-test-db",
            ],
            capture_output=True,
            text=True,
        )
        if r.returncode:
            raise RuntimeError(r.stderr)
        daemon = shutil.which("mariadbd") or "/usr/sbin/mariadbd"
        log = self.base / "log"
        self.proc = subprocess.Popen(
            [
                daemon,
                "--no-defaults",
                "--user=root",
                f"--datadir={data}",
                f"--port={self.port}",
                "--bind-address=127.0.0.1",
                f"--socket={self.base / 'sock'}",
                f"--pid-file={self.base / 'pid'}",
                "--skip-log-bin",
                "--innodb-flush-log-at-trx-commit=0",
            ],
            stdout=open(log, "w"),
            stderr=subprocess.STDOUT,
        )
        _wait_tcp(self.port, self.proc, log)
        self.sql(f"CREATE USER '{self.user}'@'%' IDENTIFIED BY '{self.password}'")
        return self

    def sql(self, statement: str) -> None:
        deadline = time.monotonic() + 30
        while True:
            r = subprocess.run(
                ["mariadb", "-h", "127.0.0.1", "-P", str(self.port), "-u", "root", "-e", statement],
                capture_output=True,
                text=True,
            )
            if r.returncode == 0:
                return
            if time.monotonic() > deadline or "Can't connect" not in r.stderr:
                raise RuntimeError(r.stderr)
            time.sleep(0.1)

    def create_db(self, name: str) -> str:
        self.sql(
            f"CREATE DATABASE {name} CHARACTER SET utf8mb4 COLLATE utf8mb4_bin; "
            f"GRANT ALL ON {name}.* TO '{self.user}'@'%'"
        )
        return f"mysql+pymysql://{self.user}:{self.password}@127.0.0.1:{self.port}/{name}"

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
