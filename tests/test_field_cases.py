"""Field cases: small stores cut down from real ones (public repositories, MLflow bug reports),
each in tests/field_cases/<case>/ with its expected.md. Each test asserts the right outcome for
the kind of fault the case stands for."""

import html
import re
import shutil
from pathlib import Path

import pytest
from sitecheck import broken_links

from sitegen import BuildOptions, build
from sitegen.charts import choose_x_axis

CASES = Path(__file__).parent / "field_cases"


def _store(name: str, tmp_path: Path, db: bool = False) -> str:
    """A private copy of a case's store (builds never write to it, but tests stay apart)."""
    src = CASES / name
    if db:
        shutil.copy(src / "mlflow.db", tmp_path / "mlflow.db")
        return f"sqlite:///{tmp_path / 'mlflow.db'}"
    shutil.copytree(src / "mlruns", tmp_path / "mlruns")
    return str(tmp_path / "mlruns")


def _text(fragment: str) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", fragment)).split())


def test_20_copied_experiment_and_moved_run_are_left_out_with_warnings(tmp_path):
    store = _store("20-copied-or-moved-folders-duplicate-and-broken-links", tmp_path)
    site = tmp_path / "site"
    result = build(BuildOptions(store=store, out=str(site), jobs=1))
    # as MLflow's client: 612547976508339449 (2 runs) and 0 (no run)
    assert (result.experiments, result.runs) == (2, 2)
    copied = [w for w in result.warnings if w.startswith(f"{store}/777:")]
    moved = [w for w in result.warnings if w.startswith(f"{store}/0/53c63bbcfc2c4a349be8bd1ed81a396d:")]
    assert len(copied) == 1 and "612547976508339449" in copied[0] and "left out" in copied[0]
    assert len(moved) == 1 and "612547976508339449" in moved[0] and "left out" in moved[0]
    assert len(result.warnings) == 2, result.warnings  # and no artifact warning: none were logged
    index = (site / "index.html").read_text()
    rows = re.findall(r'<a href="(experiments/[^"]+)">', index)
    assert sorted(rows) == ["experiments/0/index.html", "experiments/612547976508339449/index.html"]
    assert sorted(p.name for p in (site / "experiments").iterdir()) == ["0", "612547976508339449"]
    assert len(list(site.glob("experiments/*/runs/*/run.json"))) == 2
    assert not list(site.glob("experiments/*/runs/53c63bbcfc2c4a349be8bd1ed81a396d"))
    assert broken_links(site) == []


def _loss_row(site: Path) -> tuple[str, str]:
    for page in site.glob("experiments/*/runs/*/index.html"):
        text = page.read_text()
        if "with-nan-inf" in text:
            row = re.search(r">loss</a>.*?</tr>", text, re.S).group(0)
            return row, text
    raise AssertionError("no with-nan-inf run page")


def test_11_clamped_infinities_count_as_infinities_on_every_store_kind(tmp_path):
    name = "11-sqlite-infinity-counted-inconsistently"
    seen = {}
    for kind, store in (("file", _store(name, tmp_path)), ("sqlite", _store(name, tmp_path, db=True))):
        site = tmp_path / f"site-{kind}"
        build(BuildOptions(store=store, out=str(site), jobs=1))
        row, page = _loss_row(site)
        flag = re.search(r"(\d+) non-finite", row).group(1)
        cells = re.findall(r'<span class="num" title="[^"]*">([^<]*)</span>', row)
        marks = re.findall(r"(\d+) × (NaN|\+inf|-inf)", page)
        seen[kind] = (flag, cells, sorted(set(marks)))
    assert seen["file"] == seen["sqlite"]
    flag, cells, marks = seen["sqlite"]
    assert flag == "3" and cells == ["0.3", "0.3", "0.9"]  # latest, min, max over finite values
    assert ("1", "+inf") in marks and ("1", "-inf") in marks and ("1", "NaN") in marks


def test_14_description_excerpts_are_plain_text(tmp_path):
    store = _store("14-index-description-excerpt-shows-raw-markdown", tmp_path)
    site = tmp_path / "site"
    build(BuildOptions(store=store, out=str(site), jobs=1))
    cells = [_text(c) for c in re.findall(r'<td class="desc">(.*?)</td>', (site / "index.html").read_text(), re.S)]
    assert sorted(c for c in cells if c) == [
        "Baseline with early stopping; see the design doc and train.py.",
        "说明 粗体",
    ]
    page = next(p for p in site.glob("experiments/*/index.html") if "early stopping" in p.read_text())
    assert "<strong>early stopping</strong>" in page.read_text()  # the page itself renders it


def _run_page(site: Path, name: str) -> str:
    for page in site.glob("experiments/*/runs/*/index.html"):
        text = page.read_text()
        if f"<h1>{name}" in text or f">{name}<" in text:
            return text
    raise AssertionError(name)


def test_15_a_long_silent_running_run_is_not_shown_as_live(tmp_path):
    store = _store("15-crashed-run-shown-as-live", tmp_path)
    site = tmp_path / "site"
    build(BuildOptions(store=store, out=str(site), jobs=1))
    page = _run_page(site, "killed-by-oom")
    status = _text(re.search(r"<dt>Status</dt><dd>(.*?)</dd>", page, re.S).group(1))
    duration = _text(re.search(r"<dt>Duration</dt><dd>(.*?)</dd>", page, re.S).group(1))
    assert status.startswith("running no activity since 2026-05-14") and "not live" in status
    assert " live" not in status.replace("not live", "")
    assert duration == "at least 19 min 00 s (no end recorded)"
    assert "data-elapsed-since" not in page
    exp_page = next(site.glob("experiments/873416438277512860/index.html")).read_text()
    assert "data-elapsed-since" not in exp_page and "no end recorded" in exp_page
    # judged on the store, not the clock: a second clean build gives the same bytes
    again = tmp_path / "again"
    build(BuildOptions(store=store, out=str(again), jobs=1))
    for p in site.rglob("*.html"):
        assert p.read_bytes() == (again / p.relative_to(site)).read_bytes(), p


def test_a_running_run_among_recent_activity_stays_live(tmp_path):
    """The same run, with the finished one removed and the experiments dated before it: it
    is then the store's newest activity."""
    store = Path(_store("15-crashed-run-shown-as-live", tmp_path))
    finished = [m.parent for m in store.glob("873416438277512860/*/meta.yaml") if "killed-by-oom" not in m.read_text()]
    assert len(finished) == 1
    shutil.rmtree(finished[0])
    for meta in store.glob("*/meta.yaml"):
        meta.write_text(re.sub(r"(creation_time|last_update_time): \d+", r"\1: 1778800573000", meta.read_text()))
    site = tmp_path / "site"
    build(BuildOptions(store=str(store), out=str(site), jobs=1))
    page = _run_page(site, "killed-by-oom")
    assert 'class="muted live"' in page and "data-elapsed-since" in page and "data-last-activity" in page


def test_12_a_metric_logged_without_steps_is_drawn_against_time(tmp_path):
    store = _store("12-metric-without-steps-drawn-as-vertical-line", tmp_path)
    site = tmp_path / "site"
    build(BuildOptions(store=store, out=str(site), jobs=1))
    pages = site.glob("experiments/*/runs/*/index.html")
    text = {p.parent: p.read_text().replace("<wbr>", "") for p in pages}  # names carry break hints
    run_dir = next(d for d, t in text.items() if "<h1>epochs-no-step <" in t)  # not epochs-no-step-2
    card = re.search(r'<h3 class="mono">loss</h3>(.*?)</figure>', text[run_dir], re.S).group(1)
    src = re.search(r'src="(charts/loss-[^"]+\.svg)"', card).group(1)
    points = re.search(r'points="([^"]+)"', (run_dir / src).read_text()).group(1).split()
    xs = [float(p.split(",")[0]) for p in points]
    assert len(xs) == 50 and len(set(xs)) == 50 and xs == sorted(xs)  # one point a minute, in order
    labels = re.findall(r">([^<]+)</span>", re.search(r'<div class="xaxis".*?</div>', card, re.S).group(0))
    assert labels[0] == "0" and all(label.endswith(" min") for label in labels[1:]), labels
    note = _text(re.search(r'<p class="axis-note[^"]*">(.*?)</p>', card, re.S).group(1))
    assert "time since first point" in note and "all 50 points are at step 0" in note
    assert 'alt="History of loss by time since first point' in card


@pytest.mark.parametrize(
    "steps, times, kind, note",
    [
        ([0, 1, 2, 3], [0, 1, 2, 3], "step", ""),
        ([0, 0, 1, 2, 3, 4], [0, 1, 2, 3, 4, 5], "step", ""),  # 2 of 6 share a step: a resumed run
        ([0, 0, 0, 1, 1, 1], [0, 1000, 2000, 3000, 4000, 5000], "time", "6 points at only 2 steps"),  # dup_step
        ([0] * 4, [0, 60_000, 120_000, 180_000], "time", "all 4 points are at step 0"),
        ([0] * 4, [5] * 4, "order", "all 4 points are at step 0"),  # one batch, one timestamp
    ],
)
def test_12_the_x_axis_rule(steps, times, kind, note):
    axis = choose_x_axis([(steps, times)])
    assert axis.kind == kind and axis.note.startswith(note)
    if kind == "time":
        assert axis.label == f"time since first point ({axis.unit})" and axis.unit in ("s", "min")


@pytest.mark.parametrize("moved", [False, True])
def test_no_artifact_warning_when_nothing_was_logged(tmp_path, moved):
    """A store whose runs logged no artifacts builds without the "no artifact folder" warning;
    one whose artifacts were recorded outside it (and are gone) still gets it."""
    store = Path(_store("15-crashed-run-shown-as-live", tmp_path))
    if moved:
        for meta in store.glob("*/*/meta.yaml"):
            text = meta.read_text()
            meta.write_text(re.sub(r"artifact_uri: \S+/mlruns/", "artifact_uri: file:///gone/artifact-root/", text))
    result = build(BuildOptions(store=str(store), out=str(tmp_path / "site"), jobs=1))
    warned = [w for w in result.warnings if "no artifact folder" in w]
    assert len(warned) == (1 if moved else 0), result.warnings
