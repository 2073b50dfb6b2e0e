"""The installed package (a plain, non-editable `pip install .`) works from any folder."""

import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]


def _installed():
    try:
        return metadata.distribution("trackreport")
    except metadata.PackageNotFoundError:
        if os.environ.get("CI"):
            pytest.fail("trackreport is not installed; .ci/run installs it with pip install '.[test]'")
        pytest.skip("trackreport is not installed in this environment")


def test_wheel_ships_the_default_theme():
    dist = _installed()
    files = {str(f) for f in dist.files or []}
    for needed in (
        "sitegen/themes/default/templates/base.html",
        "sitegen/themes/default/templates/run.html",
        "sitegen/themes/default/static/style.css",
        "sitegen/themes/default/static/app.js",
    ):
        assert needed in files, f"{needed} missing from the installed package"


def test_console_script_builds_sample_from_another_folder(tmp_path):
    _installed()
    exe = shutil.which("trackreport", path=os.path.dirname(sys.executable)) or shutil.which("trackreport")
    assert exe, "the trackreport console script is not on PATH"
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "MLFLOW_TRACKING_URI")}
    proc = subprocess.run(
        [exe, "build", "--store", str(REPO / "sample_mlruns"), "--out", "site"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert proc.returncode == 0, proc.stderr
    assert "warning" not in proc.stderr
    site = tmp_path / "site"
    assert (site / "static" / "style.css").is_file() and (site / "index.html").is_file()
    pngs = list(site.glob("experiments/*/runs/*/artifacts/plots/confusion_matrix.png"))
    assert len(pngs) == 1
    version = subprocess.run([exe, "--version"], capture_output=True, text=True, env=env)
    assert version.stdout.startswith("trackreport, version")
