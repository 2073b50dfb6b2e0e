"""Run-folder fingerprints of the file store reuse folder listings only while the folders'
timestamps say nothing was added, removed or renamed, and never for a folder that changed
too recently to tell."""

from __future__ import annotations

import os
import shutil

import pytest

from sitegen.readers import filescan
from sitegen.readers.filescan import RunScanner


@pytest.fixture
def run_dir(corpus_copy, tmp_path):
    """A real run folder (MLflow 3.17.2)."""
    exp = corpus_copy / "3.17.2" / "file" / "mlruns" / "714191891224900804"
    src = next(p for p in sorted(exp.iterdir()) if (p / "metrics").is_dir() and (p / "params").is_dir())
    dst = tmp_path / src.name
    shutil.copytree(src, dst)
    return dst


def _fingerprint(run_dir, kept=None, later: float = 10) -> tuple[str, dict, list[str]]:
    """Fingerprint as a build ``later`` seconds from now would (folders written by the test
    have settled by then), with the last build's listings ``kept``; and the folders listed."""
    listed: list[str] = []
    real_list, real_clock = filescan._list, filescan.time.time_ns
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(filescan, "_list", lambda folder, *a: listed.append(folder) or real_list(folder, *a))
        mp.setattr(filescan.time, "time_ns", lambda: real_clock() + int(later * 1e9))
        scanner = RunScanner({run_dir.name: kept} if kept is not None else None)
        fp = scanner.scan(str(run_dir), run_dir.name).fingerprint
    return fp, scanner.listings[run_dir.name], listed


def test_unchanged_folders_are_not_listed_again(run_dir):
    fp, listings, listed = _fingerprint(run_dir)
    assert "" in listings and "params/" in listings and "metrics/" in listings
    assert len(listed) == len(listings)
    again, _, listed_again = _fingerprint(run_dir, listings)
    assert again == fp and listed_again == []


@pytest.mark.parametrize("change", ["append", "rewrite", "new_file", "new_file_mtime_restored", "remove"])
def test_every_change_shows(run_dir, change):
    fp, listings, _ = _fingerprint(run_dir)
    metric = next(p for p in (run_dir / "metrics").rglob("*") if p.is_file())
    tag = next((run_dir / "tags").iterdir())
    if change == "append":  # a metric point logged: the folder is untouched
        with open(metric, "a") as f:
            f.write("1800000000000 0.5 99\n")
    elif change == "rewrite":  # a tag or note set again, in place
        tag.write_text(tag.read_text() + " (edited)")
    elif change == "new_file":
        (run_dir / "params" / "late_param").write_text("1")
    elif change == "new_file_mtime_restored":  # e.g. a copy tool that keeps folder mtimes
        before = (run_dir / "params").stat()
        (run_dir / "params" / "late_param").write_text("1")
        os.utime(run_dir / "params", ns=(before.st_atime_ns, before.st_mtime_ns))  # ctime still moves
    else:
        tag.unlink()
    new_fp, _, listed = _fingerprint(run_dir, listings, later=20)
    assert new_fp != fp
    if change.startswith("new_file") or change == "remove":
        assert [os.path.basename(p) for p in listed] == [tag.parent.name if change == "remove" else "params"]
    assert new_fp == _fingerprint(run_dir)[0]  # the same as without any kept listing


def test_recently_changed_folders_are_not_kept(run_dir):
    _, listings, _ = _fingerprint(run_dir, later=0)  # every folder was written just now
    assert listings == {}
    _, listings, _ = _fingerprint(run_dir, later=filescan.SETTLED_NS / 1e9 + 1)
    assert "" in listings and "metrics/" in listings


def test_bad_kept_listings_are_ignored(run_dir):
    fp, listings, _ = _fingerprint(run_dir)
    for bad in ({"": "nonsense"}, {"": [1, 2, 3]}, {"params/": [None, None, "x", []]}, []):
        assert _fingerprint(run_dir, bad)[0] == fp
