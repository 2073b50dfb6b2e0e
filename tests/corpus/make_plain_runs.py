"""Write runs with and without names, params, tags and metrics through MLflow's client into
TRACKING_URI, then export what that same client returns for each run, field by field, as is
(no normalising: "" stays "", None stays None).

usage: python make_plain_runs.py TRACKING_URI OUT_DIR
Runs under any MLflow 1.x-3.x venv (tests/mlflowvenvs.py). The answer is the oracle for
run.json on that store's schema revision (tests/test_schema_revisions.py).
"""
import inspect, json, math, os, sys

import mlflow
from mlflow.entities import Metric, Param, RunTag, ViewType
from mlflow.tracking import MlflowClient

uri, out = sys.argv[1], sys.argv[2]
os.makedirs(out, exist_ok=True)
os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
mlflow.set_tracking_uri(uri)
client = MlflowClient()
takes_name = "run_name" in inspect.signature(client.create_run).parameters

eid = client.create_experiment("plain runs")
client.set_experiment_tag(eid, "empty", "")

# 1. no name at all: 1.x stores keep none; 2.x+ make one up
bare = client.create_run(eid).info.run_id
# 2. named (as the version names runs), nothing else, finished
named = client.create_run(eid, tags={"mlflow.runName": "named-only"},
                          **({"run_name": "named-only"} if takes_name else {})).info.run_id
client.set_terminated(named, "FINISHED")
# 3. params and tags with empty values, a metric with NaN and infinities, failed
full = client.create_run(eid).info.run_id
client.log_batch(full, params=[Param("empty", ""), Param("lr", "0.1"), Param("with space", "ユニ ✓")],
                 tags=[RunTag("empty", ""), RunTag("team", "vision")])
for step, v in enumerate([0.9, float("nan"), float("inf"), 0.5, float("-inf"), 0.3]):
    client.log_metric(full, "loss", v, timestamp=1_700_000_000_000 + step, step=step)
client.log_metric(full, "acc", 0.75, timestamp=1_700_000_000_100)
client.set_terminated(full, "FAILED")
# 4. left running, a tag only
running = client.create_run(eid, tags={"note": "still going"}).info.run_id
# 5. deleted
gone = client.create_run(eid).info.run_id
client.log_param(gone, "p", "1")
client.delete_run(gone)


def num(v):
    if isinstance(v, float) and not math.isfinite(v):
        return "NaN" if math.isnan(v) else ("Infinity" if v > 0 else "-Infinity")
    return v


runs = []
for rid in (bare, named, full, running, gone):
    r = client.get_run(rid)
    i, d = r.info, r.data
    runs.append({
        "run_id": i.run_id, "experiment_id": i.experiment_id,
        # before 1.29 RunInfo has no run_name: the client's only name is the tag
        "run_name": i.run_name if hasattr(i, "run_name") else d.tags.get("mlflow.runName"),
        "status": i.status, "start_time": i.start_time, "end_time": i.end_time,
        "lifecycle_stage": i.lifecycle_stage, "user_id": i.user_id, "artifact_uri": i.artifact_uri,
        "params": dict(d.params), "tags": dict(d.tags),
        "metrics": {k: [[m.step, m.timestamp, num(m.value)] for m in client.get_metric_history(rid, k)]
                    for k in d.metrics},
    })
with open(os.path.join(out, "truth.json"), "w") as f:
    json.dump({"mlflow_version": mlflow.__version__, "runs": runs}, f, indent=1, ensure_ascii=False)
print("wrote", len(runs), "runs")
