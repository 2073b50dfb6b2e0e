"""Vendored browser libraries (scripts/vendor.py): the committed files are the pinned ones."""

import importlib.util
import socket
from importlib import metadata
from pathlib import Path

import pytest

from sitegen.theme import static_files, theme_chain

REPO = Path(__file__).resolve().parents[1]


def _vendor():
    spec = importlib.util.spec_from_file_location("vendor", REPO / "scripts" / "vendor.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def _registry_reachable() -> bool:
    try:
        with socket.create_connection(("registry.npmjs.org", 443), timeout=3):
            return True
    except OSError:
        return False


def test_committed_files_have_the_recorded_checksums():
    vendor = _vendor()
    assert vendor.offline_problems() == []
    assert "uplot" in vendor.PACKAGES


def test_a_changed_file_is_noticed(tmp_path):
    vendor = _vendor()
    spec = vendor.PACKAGES["uplot"]
    dest = tmp_path / spec["dest"]
    dest.mkdir(parents=True)
    for target in spec["installed"]:
        (dest / target).write_bytes((REPO / spec["dest"] / target).read_bytes())
    assert vendor.offline_problems(tmp_path) == []
    (dest / "uPlot.min.css").write_bytes(b"/* changed */")
    (dest / "LICENSE").unlink()
    problems = vendor.offline_problems(tmp_path)
    assert len(problems) == 2 and any("uPlot.min.css" in p for p in problems)


def test_committed_files_equal_the_pinned_tarball():
    if not _registry_reachable():
        pytest.skip("registry.npmjs.org is not reachable (the offline checksums are checked above)")
    assert _vendor().check_problems(timeout=30) == []


def test_vendored_files_reach_the_site_and_the_wheel():
    files = static_files(theme_chain(None))
    for name in ("vendor/uplot/uPlot.iife.min.js", "vendor/uplot/uPlot.min.css", "vendor/uplot/LICENSE"):
        assert name in files
    try:
        dist = metadata.distribution("trackreport")
    except metadata.PackageNotFoundError:
        return
    shipped = {str(f) for f in dist.files or []}
    if "sitegen/themes/default/static/core.js" in shipped:  # an install of this checkout's theme
        assert "sitegen/themes/default/static/vendor/uplot/uPlot.iife.min.js" in shipped
