"""Shared fixtures: real MLflow stores from tests/corpus (written by MLflow 1.30 and 3.17),
copied to a temporary folder so tests can check they stay byte-for-byte unchanged."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
from pathlib import Path

import pytest

from sitegen import BuildOptions, build

CORPUS = Path(__file__).parent / "corpus"

# name → (store folder inside the corpus entry, URI builder)
STORES = {
    "1.30.1-file": ("1.30.1/file", lambda d: str(d / "mlruns")),
    "3.17.2-file": ("3.17.2/file", lambda d: str(d / "mlruns")),
    "3.17.2-sqlite": ("3.17.2/sqlite", lambda d: f"sqlite:///{d / 'mlflow.db'}"),
    "3.17.2-server": ("3.17.2/server", lambda d: f"sqlite:///{d / 'mlflow.db'}"),
}


def tree_digest(root: Path) -> dict[str, str]:
    """Every file under root (and its content hash): to prove nothing was changed."""
    out = {}
    for dirpath, _dirs, files in os.walk(root):
        for name in files:
            p = Path(dirpath, name)
            out[str(p.relative_to(root))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="session")
def corpus_copy(tmp_path_factory):
    """A private copy of the whole corpus (recorded absolute paths point nowhere, as after a move)."""
    dst = tmp_path_factory.mktemp("corpus")
    shutil.copytree(CORPUS, dst, dirs_exist_ok=True)
    return dst


def store_uri(corpus_root: Path, name: str) -> str:
    folder, make = STORES[name]
    return make(corpus_root / folder)


def truth(name: str) -> dict:
    folder, _ = STORES[name]
    return json.loads((CORPUS / folder / "truth.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def built_sites(corpus_copy, tmp_path_factory):
    """Each corpus store built once, with deleted runs included (as truth.json has them)."""
    sites = {}
    for name in STORES:
        out = tmp_path_factory.mktemp("site-" + name)
        result = build(
            BuildOptions(store=store_uri(corpus_copy, name), out=str(out / "site"), include_deleted=True, jobs=2)
        )
        sites[name] = (out / "site", result)
    return sites


@pytest.fixture(autouse=True)
def _work_in_tmp(tmp_path, monkeypatch):
    """Every test runs in its own folder: nothing (MLflow's default ./mlflow.db, a default
    ./site) is ever written into the checkout."""
    monkeypatch.chdir(tmp_path)


def forget_experiment() -> None:
    """Forget the experiment ``mlflow.set_experiment`` made active (a global of MLflow's fluent
    API and MLFLOW_EXPERIMENT_ID): it is of one test's store, and a later ``mlflow.start_run``
    in the same worker would look for it in its own store ("No Experiment with id=... exists")."""
    fluent = sys.modules.get("mlflow.tracking.fluent")
    if fluent is not None:
        fluent._active_experiment_id = None
    os.environ.pop("MLFLOW_EXPERIMENT_ID", None)


@pytest.fixture(autouse=True)
def _forget_active_experiment():
    """Every test ends with no active MLflow experiment (forget_experiment)."""
    yield
    forget_experiment()


def lonely_run(exp_dir: Path) -> Path:
    """A run with metrics, no parent and no children (their pages show its latest values)."""
    parents = {t.read_text() for t in exp_dir.glob("*/tags/mlflow.parentRunId")}
    return next(
        p
        for p in sorted(exp_dir.iterdir())
        if (p / "metrics").is_dir()
        and p.name not in parents
        and not (p / "tags" / "mlflow.parentRunId").exists()
        and "lifecycle_stage: deleted" not in (p / "meta.yaml").read_text()
    )


def soon_after(metric_file: Path) -> int:
    """A timestamp (ms) one second after the last point of a metric file: a point logged
    "now" in the store's own time, so no other run turns stale (a RUNNING run is shown as
    live only within a day of the store's newest activity)."""
    return int(metric_file.read_text().split()[-3]) + 1000


try:  # hypothesis profiles for the property-based tests (tests/test_fuzz_readers.py)
    from hypothesis import settings as _hypothesis_settings

    _hypothesis_settings.register_profile("suite", max_examples=30, derandomize=True)
    _hypothesis_settings.register_profile("deep", max_examples=300)
    _hypothesis_settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "suite"))
except ImportError:  # pragma: no cover - the [test] extra brings it
    pass


# ---- real headless Chromium (browser tests) ----

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
CHROMEDRIVER = shutil.which("chromedriver")

NO_ALERTS = """
window.__alerts = [];
window.alert = window.confirm = window.prompt = function (m) { window.__alerts.push(String(m)); };
"""


@pytest.fixture(scope="module")
def driver(tmp_path_factory):
    if not (CHROMIUM and CHROMEDRIVER):
        if os.environ.get("CI"):
            pytest.fail("chromium and chromedriver are required in CI (.ci/run installs them)")
        pytest.skip("chromium/chromedriver not installed")
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for arg in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1280,1000",
        f"--user-data-dir={tmp_path_factory.mktemp('chrome-profile')}",
    ):
        opts.add_argument(arg)
    opts.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    drv = webdriver.Chrome(service=Service(executable_path=CHROMEDRIVER), options=opts)
    drv.execute_cdp_cmd("Page.addScriptToEvaluateOnNewDocument", {"source": NO_ALERTS})
    yield drv
    drv.quit()


def js_errors(drv):
    """SEVERE console entries since the last call (artifact iframes' sandbox notices aside)."""
    errors = [e for e in drv.get_log("browser") if e["level"] == "SEVERE"]
    return [e for e in errors if "sandboxed" not in e["message"]]


# ---- real headless Firefox (Debian's firefox-esr), driven through Marionette (tests/firefox.py) ----


@pytest.fixture(scope="module")
def firefox(tmp_path_factory):
    from firefox import FIREFOX, Firefox

    if not FIREFOX:
        if os.environ.get("CI"):
            pytest.fail("firefox-esr is required in CI (.ci/run installs it)")
        pytest.skip("firefox-esr not installed")
    fx = Firefox(tmp_path_factory.mktemp("firefox"))
    yield fx
    fx.quit()
