"""The search test matrix, shared by the Python evaluator's test (tests/test_search.py) and the
browser's (tests/test_search_browser.py): filter expressions and order_by keys, each checked
against ``MlflowClient.search_runs`` on a file store and a SQLite store that ``_write`` fills
with the same MLflow calls (nested runs, NaN and infinite metrics, unicode, keys with / and
spaces, datasets, a newline in a tag, equal start times)."""

EXPRESSIONS = [
    # metrics
    "metrics.acc > 0.5",
    "metrics.acc >= 0.75",
    "metrics.acc < 0.5",
    "metrics.acc <= 0.6",
    "metrics.acc = 0.9",
    "metrics.acc != 0.9",
    "metric.acc > 0",
    "metrics.`val/loss` < 0.3",
    'metrics."val/loss" > 0.1',
    "metrics.`train loss` >= 1",
    "metrics.nanny < 1",
    "metrics.nanny != 1",
    "metrics.nanny = 0",
    "metrics.acc > 1e-1",
    "metrics.acc > -1",
    "metrics.missing > 0",
    # params
    "params.optimizer = 'adam'",
    "params.optimizer != 'adam'",
    "param.optimizer = \"sgd\"",
    "params.optimizer LIKE 'ad%'",
    "params.optimizer LIKE 'AD%'",
    "params.optimizer ILIKE 'AD%'",
    "params.optimizer LIKE '%a_%'",
    "params.lr = '0.01'",
    "params.`batch size` = '32'",
    "parameters.lr != '0.1'",
    "params.optimizer IS NULL",
    "params.optimizer IS NOT NULL",
    "params.ünï = 'ß'",
    # tags
    "tags.team = 'vision'",
    "tags.team != 'vision'",
    "tags.team LIKE '%is%'",
    "tags.team ILIKE 'VIS%'",
    "tags.`mlflow.runName` = 'child-2'",
    "tag.team IS NULL",
    "tags.team IS NOT NULL",
    "tags.\"mlflow.parentRunId\" IS NOT NULL",
    # attributes
    "attributes.status = 'FAILED'",
    "attributes.status != 'FINISHED'",
    "status = 'KILLED'",
    "attributes.run_name = 'child-1'",
    "run_name LIKE 'child%'",
    "attributes.run_name ILIKE 'CHILD-%'",
    "`Run name` = 'parent'",
    "attributes.user_id = 'tester'",
    "attributes.start_time > 0",
    "attributes.end_time > 0",
    "created > 0",
    "attr.run_name = 'parent'",
    "run.status = 'RUNNING'",
    "attributes.run_id IN ('{a}', '{b}')",
    "attributes.run_id NOT IN ('{a}')",
    "attributes.artifact_uri LIKE '%artifacts'",
    # datasets
    "dataset.name = 'toy'",
    "datasets.context = 'training'",
    "dataset.context IN ('eval')",
    "dataset.digest LIKE '%'",
    # combinations
    "metrics.acc > 0.5 AND params.optimizer = 'adam'",
    "params.optimizer = 'adam' and tags.team = 'vision'",
    "metrics.acc > 0.1 AND metrics.`val/loss` < 1 AND attributes.status = 'FINISHED'",
    # rejected
    "metrics.acc > 0.5 OR params.optimizer = 'adam'",
    "metrics.acc > '0.5'",
    "params.optimizer = adam",
    "params.optimizer > 'a'",
    "foo.bar = 1",
    "attributes.nope = 'x'",
    "metrics.acc LIKE '1'",
    "attributes.status IN ('FAILED')",
    "metrics.acc IS NULL",
    "metrics.acc",
    "dataset.source = 'x'",
    "attributes.start_time = 'x'",
    "params.lr = 0.1",
    "metrics.acc > 0.5; params.lr = '1'",
    # edge rules: whitespace, case of keywords, quoting, missing keys, LIKE metacharacters
    "  metrics.acc   >   0.5  ",
    "metrics.acc>0.5",
    "metrics.acc > .5",
    "params.optimizer like 'ad%'",
    "params.optimizer ilike 'ADAM%' and tags.team like 'Vis%'",
    'params.optimizer = "adamw"',
    "params.optimizer = 'adam' params.lr = '0.1'",
    "params.lr != '0.1'",
    "tags.team != 'nlp'",
    "metrics.nanny != 2",
    "metrics.nanny > 0",
    "metrics.big > 1e300",
    "metrics.big < 0",
    "params.pct = '50%_off'",
    "params.pct LIKE '50%'",
    "params.pct LIKE '50\\%%'",
    "run_name LIKE 'tie.(a)'",
    "run_name LIKE 'tie_(a)'",
    "run_name LIKE 'tie.%'",
    "run_name ILIKE 'TIE%'",
    "attributes.start_time = 1000",
    "attributes.start_time > 999.5",
    "attributes.start_time >= 1000 AND attributes.start_time < 1000.5",
    "created = 1000",
    "attributes.end_time > 0 AND attributes.status != 'RUNNING'",
    "attributes.run_id = '{a}'",
    "attributes.run_id IN ('{a}')",
    "run_id in ('{a}', '{b}',)",
    "run_id NOT IN ('{a}', '{b}')",
    "run_id IN ()",
    "run_id = ('{a}')",
    "tags.city = 'München'",
    "tags.city ILIKE 'MÜNCHEN'",
    "tags.city ILIKE 'münchen'",
    "tags.city LIKE 'M%'",
    "params.`ünï` ILIKE 'SS'",
    "tags.note = 'line1\nline2'",
    "tags.note LIKE 'line1%'",
    "tags.note LIKE '%line2'",
    "tags.note LIKE 'line1_line2'",
    "tags.quote = 'it''s'",
    "tags.quote = \"it's\"",
    "tags.quote LIKE '%\\'s'",
    "tags.`mlflow.user` = 'tester'",
    "dataset.name IN ('toy', 'other')",
    "dataset.context != 'training'",
    "datasets.digest != 'x'",
    "status = 'FINISHED' AND run_name != 'parent'",
    "metrics.`val/loss` <= 0.2 and params.`batch size` = '32'",
    "user_id LIKE 'test%'",
    "",
    "   ",
    "AND",
    # rejected, edge
    "metrics.acc = 1 foo",
    "metrics.acc IS NOT NULL",
    "params.lr IS NOT  NULL",
    "params.optimizer IN ('adam')",
    "metrics.acc > 0.5 OR",
    "metrics.acc > 0x10",
    "metrics.acc == 1",
    "params.optimizer NOT LIKE 'a%'",
    "attributes.run_name RLIKE 'child'",
    "run name = 'parent'",
    "METRICS.acc > 0",
    "params.lr = 'x' -- comment",
]


def _write(uri: str) -> dict:
    import mlflow
    import pandas as pd
    from mlflow import MlflowClient

    mlflow.set_tracking_uri(uri)
    try:
        exp = mlflow.create_experiment("search")
        ids = {}
        with mlflow.start_run(experiment_id=exp, run_name="parent") as parent:
            ids["parent"] = parent.info.run_id
            mlflow.set_tag("team", "vision")
            mlflow.log_metric("acc", 0.9)
            mlflow.log_metric("big", 5.0)
            mlflow.log_param("pct", "50%_off")
            mlflow.set_tag("quote", "it's")
            for i, (opt, lr, acc, status) in enumerate(
                [("adam", "0.1", 0.75, "FINISHED"), ("sgd", "0.01", 0.4, "FAILED"), ("adamw", "0.1", 0.6, "KILLED")],
                1,
            ):
                with mlflow.start_run(experiment_id=exp, run_name=f"child-{i}", nested=True) as child:
                    ids[f"child-{i}"] = child.info.run_id
                    mlflow.log_params({"optimizer": opt, "lr": lr, "batch size": "32"})
                    mlflow.log_metrics({"acc": acc, "val/loss": acc / 3, "train loss": 1 + acc})
                    mlflow.set_tag("city", {1: "München", 2: "Paris", 3: "münchen"}[i])
                    if i == 2:
                        mlflow.set_tag("note", "line1\nline2")
                        mlflow.log_metric("big", float("inf"))
                        mlflow.log_metric("nanny", float("nan"))
                        mlflow.set_tag("team", "Visionaries")
                    if i == 1:
                        mlflow.log_param("ünï", "ß")
                        ds = mlflow.data.from_pandas(pd.DataFrame({"x": [1]}), name="toy")
                        mlflow.log_input(ds, context="training")
                    if i == 3:
                        mlflow.log_metric("big", float("-inf"))
                        mlflow.log_input(
                            mlflow.data.from_pandas(pd.DataFrame({"y": [2]}), name="other"), context="eval"
                        )
                    mlflow.set_tag("mlflow.user", "tester")
                mlflow.MlflowClient().set_terminated(child.info.run_id, status)
        client = MlflowClient()
        running = client.create_run(exp, run_name="dangling", tags={"team": "nlp"})
        ids["dangling"] = running.info.run_id
        client.log_metric(running.info.run_id, "nanny", 2.0)
        for name in ("tie.(a)", "tie-b"):  # equal start times: ties go by run id
            tie = client.create_run(exp, run_name=name, start_time=1000)
            ids[name] = tie.info.run_id
            client.log_param(tie.info.run_id, "lr", "0.5")
        return {"exp": exp, "ids": ids}
    finally:
        mlflow.set_tracking_uri(None)


# order_by cases: (key, ascending); search_runs gets "<key> ASC|DESC"
ORDER_KEYS = [
    ("metrics.acc", True),
    ("metrics.acc", False),
    ("metrics.nanny", True),
    ("metrics.nanny", False),
    ("metrics.`val/loss`", True),
    ("metrics.big", False),
    ("metrics.big", True),
    ("params.lr", True),
    ("params.optimizer", False),
    ("params.`batch size`", True),
    ("tags.team", True),
    ("tags.`mlflow.runName`", False),
    ("tags.city", False),
    ("attributes.start_time", True),
    ("start_time", False),
    ("created", True),
    ("run_name", True),
    ("attributes.run_name", False),
    ("attributes.status", False),
    ("attributes.end_time", False),
    ("attributes.end_time", True),
]


def order_by(key: str, ascending: bool) -> str:
    return f"{key} {'ASC' if ascending else 'DESC'}"


def expressions(ids: dict) -> list[str]:
    """The matrix with run ids filled in ({a}: child-1, {b}: child-2)."""
    return [e.format(a=ids["child-1"], b=ids["child-2"]) for e in EXPRESSIONS]
