"""Virtual environments with older MLflow releases, for tests against their own servers and clients.

Each version's packages are pinned in ``tests/mlflow_versions/<version>.txt`` (a pip freeze of a
venv that passed the tests here; what each needs beyond its own requirements is said at the top).
Venvs live in ``~/.cache/trackreport-tests/`` (or ``$TRACKREPORT_TEST_CACHE``), named by
version, Python version and a hash of the pin file, so a second run installs nothing and a
changed pin file makes a new one. ``.ci/run`` makes them (``python tests/mlflowvenvs.py``, all
versions at once) while the test environment installs; a test in CI waits for its venv's lock.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

PINS = Path(__file__).parent / "mlflow_versions"
VERSIONS = sorted(p.stem for p in PINS.glob("*.txt"))


def _root() -> Path:
    return Path(os.environ.get("TRACKREPORT_TEST_CACHE") or Path.home() / ".cache" / "trackreport-tests")


def venv_dir(version: str) -> Path:
    digest = hashlib.sha256((PINS / f"{version}.txt").read_bytes()).hexdigest()[:10]
    py = f"py{sys.version_info.major}{sys.version_info.minor}"
    return _root() / f"mlflow-{version}-{py}-{digest}"


def ready(version: str) -> Path | None:
    """The venv's folder if it is complete, else None."""
    d = venv_dir(version)
    return d if (d / ".ready").exists() and (d / "bin" / "mlflow").exists() else None


def clean_env(venv: Path) -> dict:
    """Environment for the venv's programs: its bin first on PATH (1.x and 2.x servers start
    gunicorn from PATH), nothing of this checkout's Python path."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV")}
    env["PATH"] = str(venv / "bin") + os.pathsep + env.get("PATH", "")
    return env


def ensure(version: str) -> Path:
    """Make the venv unless it is ready (one maker at a time: a lock file beside it)."""
    d = venv_dir(version)
    d.parent.mkdir(parents=True, exist_ok=True)
    with open(d.parent / f"{d.name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if ready(version):
            return d
        shutil.rmtree(d, ignore_errors=True)  # a half-made one from an interrupted run
        subprocess.run([sys.executable, "-m", "venv", str(d)], check=True)
        env = clean_env(d)
        pip = [str(d / "bin" / "python"), "-m", "pip", "--disable-pip-version-check", "-q"]
        proc = subprocess.run(
            [*pip, "install", "--no-deps", "-r", str(PINS / f"{version}.txt")], env=env, capture_output=True, text=True
        )
        if proc.returncode != 0:
            raise RuntimeError(f"installing MLflow {version} failed:\n{proc.stderr[-3000:]}")
        check = subprocess.run(
            [str(d / "bin" / "python"), "-c", "import mlflow.server, mlflow; print(mlflow.__version__)"],
            env=env,
            capture_output=True,
            text=True,
        )
        if check.stdout.strip() != version:
            raise RuntimeError(f"MLflow {version} does not import in {d}:\n{check.stderr[-3000:]}")
        (d / ".ready").write_text(version + "\n")
        return d


def main(argv: list[str]) -> int:
    versions = argv or VERSIONS
    with ThreadPoolExecutor(len(versions)) as pool:
        for version, d in zip(versions, pool.map(ensure, versions)):
            print(f"MLflow {version}: {d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
