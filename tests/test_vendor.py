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
    assert {"uplot", "axe-core"} <= set(vendor.PACKAGES)


def test_axe_core_is_for_the_tests_only_with_its_licences():
    """axe-core (MPL-2.0) is copied with its licence files into tests/vendor/, never into the
    theme (so it reaches neither a site nor the wheel)."""
    spec = _vendor().PACKAGES["axe-core"]
    assert spec["dest"] == "tests/vendor/axe-core" and spec["version"].startswith("4.")
    dest = REPO / spec["dest"]
    assert set(spec["installed"]) == {"axe.min.js", "LICENSE", "LICENSE-3RD-PARTY.txt"}
    assert "Mozilla Public License, version 2.0" in (dest / "LICENSE").read_text(encoding="utf-8")
    assert (dest / "axe.min.js").read_text(encoding="utf-8").startswith(f"/*! axe v{spec['version']}")
    assert not any("axe" in name for name in static_files(theme_chain(None)))


def test_a_changed_file_is_noticed(tmp_path):
    vendor = _vendor()
    for spec in vendor.PACKAGES.values():
        dest = tmp_path / spec["dest"]
        dest.mkdir(parents=True)
        for target in spec["installed"]:
            (dest / target).write_bytes((REPO / spec["dest"] / target).read_bytes())
    assert vendor.offline_problems(tmp_path) == []
    uplot = tmp_path / vendor.PACKAGES["uplot"]["dest"]
    (uplot / "uPlot.min.css").write_bytes(b"/* changed */")
    (uplot / "LICENSE").unlink()
    (tmp_path / vendor.PACKAGES["axe-core"]["dest"] / "axe.min.js").write_bytes(b"/* changed */")
    problems = vendor.offline_problems(tmp_path)
    assert len(problems) == 3 and any("uPlot.min.css" in p for p in problems)
    assert any("axe-core/axe.min.js" in p for p in problems)


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
