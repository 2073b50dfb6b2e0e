"""run.json of every run equals what MLflow's own client returned for the same store."""

import json

import pytest
from conftest import STORES, truth
from mlflowserver import FIELDS, RUN_JSON_KEYS


def _run_jsons(site):
    out = {}
    for p in site.glob("experiments/*/runs/*/run.json"):
        doc = json.loads(p.read_text(encoding="utf-8"))  # strict JSON: NaN would fail below
        out[doc["run_id"]] = (p, doc)
    return out


@pytest.mark.parametrize("name", list(STORES))
def test_run_json_matches_mlflow_client(built_sites, name):
    site, _result = built_sites[name]
    expected = {r["run_id"]: r for r in truth(name)["runs"]}
    got = _run_jsons(site)
    assert set(got) == set(expected), "same runs as MLflow's client (deleted ones included)"
    for run_id, exp in expected.items():
        path, doc = got[run_id]
        assert list(doc) == RUN_JSON_KEYS, f"{path}: keys exactly as documented"
        assert doc["redacted"] == []
        assert doc["experiment_id"] == path.parts[-4]
        for field in FIELDS:
            assert doc[field] == exp[field], f"{exp['run_name']}: {field} differs"


@pytest.mark.parametrize("name", list(STORES))
def test_run_json_is_strict_json(built_sites, name):
    site, _ = built_sites[name]
    for p in site.glob("experiments/*/runs/*/run.json"):
        json.loads(
            p.read_text(encoding="utf-8"), parse_constant=lambda c, p=p: pytest.fail(f"{p}: bare {c} is not JSON")
        )


@pytest.mark.parametrize("name", list(STORES))
def test_every_experiment_has_a_page(built_sites, name):
    site, result = built_sites[name]
    exps = truth(name)["experiments"]
    index = (site / "index.html").read_text(encoding="utf-8")
    for e in exps:
        page = site / "experiments" / e["experiment_id"] / "index.html"
        assert page.is_file()
        assert f'href="experiments/{e["experiment_id"]}/index.html"' in index
    assert result.experiments == len(exps)
    assert result.runs == len(truth(name)["runs"])


def test_edge_values_charted_and_counted(built_sites):
    site, _ = built_sites["3.17.2-file"]
    run = next(
        p for p in site.glob("experiments/*/runs/*/index.html") if "<title>edge-values" in p.read_text(encoding="utf-8")
    )
    html = run.read_text(encoding="utf-8")
    assert "1 × NaN" in html and "1 × +inf" in html and "1 × -inf" in html
    charts = sorted((run.parent / "charts").glob("*.svg"))
    assert len(charts) == 2  # "weird" and the single-point "once"
    texts = [c.read_text() for c in charts]
    assert all(t.startswith("<svg") for t in texts)
    weird = next(t for t in texts if 'stroke="#ef4444"' in t)  # its NaN/±inf marks
    assert weird.count("m-4-4 8 8") == 1 and weird.count("m0-5 5 8h-10z") == 1  # one NaN, one +inf
