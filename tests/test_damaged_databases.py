"""Damaged SQLite stores: a row that cannot be interpreted is a warning naming it and saying
what was left out, never a crash and never a silent gap; everything else is built exactly.

SQLite keeps any value in any column, so a hand-edited or half-migrated database can hold
text where MLflow's schema has numbers, or rows pointing at an experiment that is gone.
The store is the corpus database written by MLflow 3.17's client; each case edits a copy.
"""

import json
import shutil
import sqlite3
from pathlib import Path

import pytest

from sitegen import BuildOptions, build

STORE = Path(__file__).parent / "corpus" / "3.17.2" / "sqlite"  # mlflow.db and its mlruns/
RUN = "4850d9ac82fd46289e4852c3391f3b82"  # lr=0.1,b=32, in the sweep: metrics, no artifacts


def _run_jsons(site: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in site.glob("experiments/*/runs/*/run.json")}


@pytest.fixture(scope="module")
def baseline(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("base")
    shutil.copytree(STORE, tmp, dirs_exist_ok=True)
    result = build(
        BuildOptions(store=f"sqlite:///{tmp / 'mlflow.db'}", out=str(tmp / "site"), include_deleted=True, jobs=1)
    )
    return result, _run_jsons(tmp / "site")


def _metric_key(conn) -> str:
    return conn.execute("SELECT key FROM metrics WHERE run_uuid = ? ORDER BY key LIMIT 1", (RUN,)).fetchone()[0]


CASES = {
    # (SQL on the copy, text the one warning must hold, the run left out or None)
    "start_time_not_a_number": ("UPDATE runs SET start_time = 'yesterday' WHERE run_uuid = ?", RUN, RUN),
    "run_of_a_missing_experiment": ("UPDATE runs SET experiment_id = 987654 WHERE run_uuid = ?", RUN, RUN),
    "metric_value_not_a_number": (
        "UPDATE metrics SET value = 'n/a' WHERE rowid = (SELECT min(rowid) FROM metrics WHERE run_uuid = ?)",
        RUN,
        None,
    ),
    "registered_model_time_not_a_number": (
        "INSERT INTO registered_models (name, creation_time) VALUES ('digits', 'last week')",
        "registered_models",
        None,
    ),
    "metric_timestamp_not_a_number": (
        "UPDATE metrics SET timestamp = 'soon' WHERE rowid = (SELECT min(rowid) FROM metrics WHERE run_uuid = ?)",
        RUN,
        None,
    ),
}


@pytest.mark.parametrize("case", list(CASES))
def test_uninterpretable_row_is_one_warning_and_the_rest_is_exact(baseline, case, tmp_path):
    base, base_runs = baseline
    sql, named, left_out = CASES[case]
    shutil.copytree(STORE, tmp_path, dirs_exist_ok=True)
    conn = sqlite3.connect(tmp_path / "mlflow.db")
    with conn:
        conn.execute(sql, (RUN,) if "?" in sql else ())
    conn.close()
    result = build(
        BuildOptions(
            store=f"sqlite:///{tmp_path / 'mlflow.db'}", out=str(tmp_path / "site"), include_deleted=True, jobs=1
        )
    )
    new = [w for w in result.warnings if w not in base.warnings]
    assert len(new) == 1 and named in new[0] and "left out" in new[0], new
    runs = _run_jsons(tmp_path / "site")
    assert set(runs) == set(base_runs) - ({left_out} if left_out else set())
    for rid, doc in runs.items():
        if rid != RUN or not case.startswith("metric_"):
            assert doc == base_runs[rid], rid
            continue
        # one point of one metric is gone, nothing else
        want = base_runs[rid]
        lost = [k for k in want["metrics"] if len(doc["metrics"].get(k, [])) != len(want["metrics"][k])]
        assert len(lost) == 1, lost
        assert len(doc["metrics"].get(lost[0], [])) == len(want["metrics"][lost[0]]) - 1
        assert {k: v for k, v in doc.items() if k != "metrics"} == {k: v for k, v in want.items() if k != "metrics"}
