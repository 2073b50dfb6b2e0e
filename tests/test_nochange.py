"""A build that finds nothing changed makes no page and writes nothing (not even the marker,
when the reader's state is the same); a change only the listing pages show (the model
registry) is still published."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from sitegen import BuildOptions, build
from sitegen.writer import MARKER

HERE = Path(__file__).parent


def _state(site: Path) -> dict[str, int]:
    return {str(p.relative_to(site)): p.stat().st_mtime_ns for p in site.rglob("*")}


def test_nothing_changed_writes_nothing(tmp_path):
    shutil.copytree(HERE.parent / "sample_mlruns", tmp_path / "store")
    out = tmp_path / "site"
    options = BuildOptions(store=str(tmp_path / "store"), out=str(out), jobs=1)
    build(options)
    before = _state(out)
    result = build(options)
    assert result.runs_rendered == 0 and result.pages == 0
    assert _state(out) == before  # no page, no marker, no folder touched
    assert MARKER in before


def test_a_change_only_the_registry_shows_is_published(tmp_path):
    shutil.copytree(HERE / "stores" / "registry-3.17.2", tmp_path / "store")
    out = tmp_path / "site"
    options = BuildOptions(store=str(tmp_path / "store" / "mlruns"), out=str(out), jobs=1)
    build(options)
    meta = tmp_path / "store" / "mlruns" / "models" / "reg" / "meta.yaml"
    meta.write_text(meta.read_text().replace("'**desc**'", "'**a new description**'"))
    os.utime(meta.parent)  # as a rename into place would
    result = build(options)
    assert result.runs_rendered == 0
    assert not result.unchanged and "site unchanged" not in result.summary()  # pages were made
    pages = [p for p in out.rglob("*.html") if "a new description" in p.read_text(encoding="utf-8")]
    assert pages, "the registered model's page was not made again"


def test_an_experiment_renamed_or_tagged_after_a_build_is_read_again(tmp_path, monkeypatch):
    from sitegen.readers import filestore

    monkeypatch.setattr(filestore, "SETTLED_NS", 0)  # a copied store's ctimes are new: all settled
    reads = []
    read_experiment = filestore._read_experiment
    monkeypatch.setattr(
        filestore, "_read_experiment", lambda d, *a, **k: reads.append(d.name) or read_experiment(d, *a, **k)
    )
    shutil.copytree(HERE.parent / "sample_mlruns", tmp_path / "store")
    store = tmp_path / "store"
    out = tmp_path / "site"
    options = BuildOptions(store=str(store), out=str(out), jobs=1)
    build(options)
    assert len(reads) == 3
    build(options)
    assert len(reads) == 3  # kept as read: no meta.yaml parsed
    meta = next(p for p in sorted(store.glob("*/meta.yaml")) if "name: " in p.read_text())
    old_name = next(line.split(":", 1)[1].strip() for line in meta.read_text().splitlines() if line.startswith("name:"))
    meta.write_text(meta.read_text().replace(f"name: {old_name}", "name: renamed-by-hand"))
    build(options)
    assert reads[3:] == [meta.parent.name]
    (meta.parent / "tags").mkdir(exist_ok=True)
    (meta.parent / "tags" / "mlflow.note.content").write_text("a description added later")
    build(options)
    assert reads[4:] == [meta.parent.name]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert "renamed-by-hand" in index and "a description added later" in index
