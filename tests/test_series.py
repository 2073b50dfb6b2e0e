"""A run's series.js and history files (docs/design.md, "Data file formats"): written from a
store made by real MLflow, checked against its client's get_metric_history."""

from __future__ import annotations

import math
import os
import re
import shutil
from pathlib import Path

import pytest

from sitegen import BuildOptions, build
from sitegen.render import urls
from sitegen.render.series import MAX_POINTS, data_script, parse_data_script

os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")  # MLflow 3.17 writes file stores on request

LONG = 5000
SLASHED = "val/acc top 1"  # a key with '/' and spaces, long enough for a history file
SPECIAL = {7: math.nan, 1234: math.inf, 4321: -math.inf}  # index → value in "loss"


def _loss(i: int) -> float:
    return SPECIAL.get(i, 1.0 + math.sin(i / 50.0) + (10.0 if i == 2500 else 0.0) - (5.0 if i == 3999 else 0.0))


def _log(client, run_id: str, key: str, values: list[float], t0: int, every: int = 1) -> None:
    from mlflow.entities import Metric

    for a in range(0, len(values), 1000):
        batch = [Metric(key, v, t0 + i * 10, i * every) for i, v in enumerate(values[a : a + 1000], a)]
        client.log_batch(run_id, metrics=batch)


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    """Runs "long" (loss: 5,000 points with NaN, ±inf; SLASHED: 1,500; lr: 1,200 at steps 0, 5,
    10, …) and "short" (20 points)."""
    from mlflow import MlflowClient

    root = tmp_path_factory.mktemp("series-store")
    client = MlflowClient(tracking_uri=str(root / "mlruns"))
    exp = client.create_experiment("series")
    long_run = client.create_run(exp, run_name="long").info.run_id
    _log(client, long_run, "loss", [_loss(i) for i in range(LONG)], 1_700_000_000_000)
    _log(client, long_run, SLASHED, [i / 1500 for i in range(1500)], 1_700_000_000_000)
    _log(client, long_run, "lr", [1 / (i + 1) for i in range(1200)], 1_700_000_000_000, every=5)
    client.set_terminated(long_run)
    short_run = client.create_run(exp, run_name="short").info.run_id
    short = [0.5, math.nan, math.inf, -math.inf] + [i / 10 for i in range(16)]
    _log(client, short_run, "acc", short, 1_700_000_100_000)
    client.set_terminated(short_run)
    return root / "mlruns", client, exp, long_run, short_run


@pytest.fixture(scope="module")
def site(store, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("series-site") / "site"
    build(BuildOptions(store=str(store[0]), out=str(out), jobs=1))
    return out


def _read(path: Path) -> tuple[str, dict]:
    return parse_data_script(path.read_text(encoding="utf-8"))


def _json(v: float):
    return "NaN" if math.isnan(v) else "Infinity" if v == math.inf else "-Infinity" if v == -math.inf else v


def test_long_history_is_decimated_and_kept_in_full(store, site):
    root, client, exp, long_run, _ = store
    name, payload = _read(site / urls.run_series(exp, long_run))
    assert name == f"series/{long_run}"
    assert payload["format"] == 1 and payload["run_id"] == long_run
    assert sorted(payload["metrics"]) == sorted(["loss", "lr", SLASHED])
    m = payload["metrics"]["loss"]
    history = client.get_metric_history(long_run, "loss")
    assert len(history) == LONG
    finite = [p.value for p in history if math.isfinite(p.value)]
    assert (m["points"], m["min"], m["max"], m["non_finite"]) == (LONG, min(finite), max(finite), 3)
    assert m["last_step"] == LONG - 1 and m["latest"] == history[-1].value
    assert m["decimated"] is True and m["history"] == urls.run_history_rel("loss")
    assert len(m["step"]) == len(m["time"]) == len(m["value"]) <= MAX_POINTS
    assert m["step"] == sorted(m["step"])  # logged order (MLflow logged these by step)
    by_step = {p.step: p for p in history}
    for s, t, v in zip(m["step"], m["time"], m["value"]):  # each kept point is a real point
        assert (t, v) == (by_step[s].timestamp, _json(by_step[s].value))
    kept = set(m["step"])
    assert {0, LONG - 1, 2500, 3999} <= kept  # first, last, highest, lowest
    assert set(SPECIAL) <= kept  # every non-finite point
    assert [v for v in m["value"] if isinstance(v, str)] == ["NaN", "Infinity", "-Infinity"]

    hname, full = _read(site / urls.run_history(exp, long_run, "loss"))
    assert hname == f"history/{long_run}/loss"
    assert full["step"] == [p.step for p in history]
    assert full["time"] == [p.timestamp for p in history]
    assert full["value"] == [_json(p.value) for p in history]

    lr = client.get_metric_history(long_run, "lr")
    m = payload["metrics"]["lr"]
    assert m["decimated"] and m["step"][0] == 0 and m["step"][-1] == 5 * 1199 and len(m["step"]) <= MAX_POINTS
    assert all(s % 5 == 0 for s in m["step"]) and m["step"] == sorted(m["step"])
    _, full = _read(site / urls.run_history(exp, long_run, "lr"))
    assert (full["step"], full["value"]) == ([p.step for p in lr], [p.value for p in lr])


def test_short_history_is_whole_and_has_no_history_file(store, site):
    root, client, exp, _, short_run = store
    _, payload = _read(site / urls.run_series(exp, short_run))
    m = payload["metrics"]["acc"]
    history = client.get_metric_history(short_run, "acc")
    assert m["decimated"] is False and m["history"] is None and m["points"] == 20
    assert m["step"] == [p.step for p in history] and m["time"] == [p.timestamp for p in history]
    assert m["value"][:4] == [0.5, "NaN", "Infinity", "-Infinity"] and m["non_finite"] == 3
    assert m["min"] == 0.0 and m["max"] == 1.5
    assert not (site / urls.run_dir(exp, short_run) / urls.HISTORY_DIR).exists()


def test_a_key_with_slashes_and_spaces_gets_a_safe_history_file(store, site):
    _, client, exp, long_run, _ = store
    _, payload = _read(site / urls.run_series(exp, long_run))
    rel = payload["metrics"][SLASHED]["history"]
    assert re.fullmatch(r"history/[A-Za-z0-9._-]+\.js", rel), rel
    name, full = _read(site / urls.run_dir(exp, long_run) / rel)
    assert name == f"history/{long_run}/{SLASHED}"
    assert full["value"] == [p.value for p in client.get_metric_history(long_run, SLASHED)]
    files = sorted(p.name for p in (site / urls.run_dir(exp, long_run) / "history").iterdir())
    assert len(files) == 3  # loss, lr and SLASHED; nothing in a sub-folder named "val"


def test_incremental_build_rewrites_only_the_changed_run(store, tmp_path):
    root, client, exp, long_run, short_run = store
    work = tmp_path / "mlruns"
    shutil.copytree(root, work)
    site = tmp_path / "site"
    build(BuildOptions(store=str(work), out=str(site), jobs=1))
    kept = [site / urls.run_series(exp, long_run), site / urls.run_history(exp, long_run, "loss")]
    before = [(os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in kept]
    short_js = site / urls.run_series(exp, short_run)
    old_short = short_js.read_text()

    from mlflow import MlflowClient

    MlflowClient(tracking_uri=str(work)).log_metric(short_run, "acc", 9.5, timestamp=1_700_000_200_000, step=20)
    result = build(BuildOptions(store=str(work), out=str(site), jobs=1))
    assert result.runs_rendered == 1
    _, payload = _read(short_js)
    assert payload["metrics"]["acc"]["points"] == 21 and payload["metrics"]["acc"]["latest"] == 9.5
    assert short_js.read_text() != old_short
    assert [(os.stat(p).st_ino, os.stat(p).st_mtime_ns) for p in kept] == before

    # The long run's loss history cut to 10 points (a store copied over from an older copy):
    # its history file goes, the other one stays.
    loss_file = work / exp / long_run / "metrics" / "loss"
    loss_file.write_text("".join(loss_file.read_text().splitlines(keepends=True)[:10]))
    build(BuildOptions(store=str(work), out=str(site), jobs=1))
    _, payload = _read(site / urls.run_series(exp, long_run))
    assert payload["metrics"]["loss"]["decimated"] is False and payload["metrics"]["loss"]["points"] == 10
    assert not (site / urls.run_history(exp, long_run, "loss")).exists()
    assert (site / urls.run_history(exp, long_run, SLASHED)).exists()


def test_data_files_cannot_close_a_script_element_or_break_a_line():
    payload = {"k": "</script><script>alert(1)</script>\u2028\u2029", "v": [1.5, "NaN"]}
    text = data_script("series/x", payload)
    assert "</" not in text and "\u2028" not in text and "\u2029" not in text
    assert text.startswith('trackreport.data("series/x",') and text.endswith(");\n")
    assert parse_data_script(text) == ("series/x", payload)
    with pytest.raises(ValueError):
        data_script("x", {"v": math.nan})  # a NaN must have been turned into "NaN" before


@pytest.mark.parametrize(
    "uri", ["sample_mlruns", "tests/corpus/3.17.2/file/mlruns", "sqlite:///tests/corpus/3.17.2/sqlite/mlflow.db"]
)
def test_run_json_from_the_series_texts_is_byte_identical(uri, tmp_path):
    """run.json takes its points' text from series.js's (numbers formatted once): the same
    bytes as json.dumps of the run, NaN, ±inf and clamped values included."""
    import shutil

    from sitegen.readers import open_store
    from sitegen.render.export import run_json
    from sitegen.render.series import series_payload

    root = Path(__file__).resolve().parent.parent
    if uri.startswith("sqlite:///"):
        shutil.copy(root / uri[len("sqlite:///") :], tmp_path / "mlflow.db")
        uri = f"sqlite:///{tmp_path / 'mlflow.db'}"
    else:
        uri = str(root / uri)
    runs = [r for e in open_store(uri).experiments for r in e.runs]
    assert runs
    spliced = 0
    for r in runs:
        points: dict = {}
        series_payload(r, points)
        spliced += len(points)
        assert run_json(r, points) == run_json(r), r.run_id
    assert spliced > 0
