"""Secrets logged by accident never reach the site: a store written by real MLflow with an API
key param, a db_password tag, a GitHub token, an AWS key id and a Slack token under innocent
keys, a private key block in a tag, a JWT in a dataset source, a URI with a password, and a
secret in an experiment tag. Every file of the built site is searched for each of them."""

import json
import os
import re
import shutil
from pathlib import Path

import pytest

from sitegen import BuildOptions, build
from sitegen.safety.privacy import pseudonym

# Made-up credentials of real shapes (none is live).
GITHUB = "ghp_" + "Zq7Lm2Nx4Pw8Rt6Yv1Bc3Dk5Fh9Jg0Ks2Ut4"
AWS = "AKIA" + "QWERTYUIOPASDFGH"
SLACK = "xoxb-" + "918273645012-5647382910123-QwErTyUiOpAsDfGhJkLzXcVb"
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9."
    "eyJzdWIiOiJ0cmFja3JlcG9ydCIsImlhdCI6MTcwMDAwMDAwMH0."
    "c2lnbmF0dXJlLW5vdC1yZWFsLWF0LWFsbC0xMjM0NTY3OA"
)
PRIVATE = (
    "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAtrackreportnotarealkey0123456789\n-----END RSA PRIVATE KEY-----"
)
DB_URI = "postgresql://admin:s3cr3t-hunter2@db.internal:5432/prod"
API_KEY = "sk-proj-notreallyasecretbutsecretkeyed42"
DB_PASSWORD = "correct horse battery staple"
EXP_SECRET = "expsecret-value-9f8e7d6c"
PLANTED = {
    "github": GITHUB,
    "aws": AWS,
    "slack": SLACK,
    "jwt": JWT,
    "private key": "MIIEowIBAAKCAQEAtrackreport",
    "uri password": "s3cr3t-hunter2",
    "api key": API_KEY,
    "db password": DB_PASSWORD,
    "experiment secret": EXP_SECRET,
}
ORDINARY = {"lr": "0.001", "optimizer": "adam", "data_path": "/data/imagenet/train", "note": "tokenizer: bpe"}


@pytest.fixture(scope="module")
def store(tmp_path_factory):
    import mlflow
    import pandas as pd

    root = tmp_path_factory.mktemp("secrets") / "mlruns"
    os.environ.setdefault("MLFLOW_ALLOW_FILE_STORE", "true")
    mlflow.set_tracking_uri(str(root))
    try:
        exp = mlflow.create_experiment("leaky", tags={"deploy_token": EXP_SECRET, "team": "vision"})
        with mlflow.start_run(experiment_id=exp, run_name="careless") as run:
            mlflow.log_params(
                {
                    **ORDINARY,
                    "api_key": API_KEY,
                    "checkpoint": GITHUB,
                    "region_id": AWS,
                    "database": DB_URI,
                    "max_tokens": "512",
                }
            )
            mlflow.set_tags({"db_password": DB_PASSWORD, "notify": SLACK, "deploy": PRIVATE})
            mlflow.log_metric("loss", 0.5)
            ds = mlflow.data.from_pandas(
                pd.DataFrame({"x": [1]}), source=f"https://data.example.org/?t={JWT}", name="toy"
            )
            mlflow.log_input(ds, context="training")
            mlflow.log_text("api_key: " + API_KEY + "\nghtoken " + GITHUB + "\n", "config/leaky.yaml")
            mlflow.log_text("all fine here\n", "config/clean.yaml")
            # Text whose name does not say so: found by content (no NUL byte in its first 8 KiB).
            for name in (".env", "env", "settings", "logs/train.log.1"):
                mlflow.log_text(f"GITHUB_TOKEN={GITHUB}\n", name)
            mlflow.log_text("\0\1binary weights, nothing to scan\n", "weights.bin")
    finally:
        mlflow.set_tracking_uri(None)
    return root, exp, run.info.run_id


def _all_text(site: Path) -> str:
    return "\n".join(p.read_bytes().decode("utf-8", "replace") for p in site.rglob("*") if p.is_file())


def test_no_planted_secret_appears_anywhere(store, tmp_path):
    root, exp, rid = store
    site = tmp_path / "site"
    result = build(BuildOptions(store=str(root), out=str(site), jobs=1))
    text = _all_text(site)
    for what, secret in PLANTED.items():
        assert secret not in text, f"{what} was published"
    for value in ORDINARY.values():
        assert value in text  # ordinary values are untouched
    doc = json.loads((site / "experiments" / exp / "runs" / rid / "run.json").read_text())
    assert doc["params"]["lr"] == "0.001" and doc["params"]["max_tokens"] == "512"
    assert doc["params"]["api_key"] == "[redacted]" and doc["tags"]["db_password"] == "[redacted]"
    assert {
        "params.api_key",
        "params.checkpoint",
        "params.region_id",
        "params.database",
        "tags.db_password",
        "tags.notify",
        "tags.deploy",
    } <= set(doc["redacted"])
    assert doc["run_id"] == rid and rid in text  # MLflow's own ids are never taken for secrets
    page = (site / "experiments" / exp / "runs" / rid / "index.html").read_text()
    assert "Redacted before publishing" in page and "GitHub Token" in page and "its key looks secret" in page
    assert result.redacted >= 9 and f"{result.redacted} values redacted" in result.summary()
    leaky = site / "experiments" / exp / "runs" / rid / "artifacts" / "config" / "leaky.yaml"
    assert not leaky.exists() and (leaky.parent / "clean.yaml").is_file()
    assert "leaky.yaml" in page and "credential" in page


def test_incremental_build_keeps_the_redaction(store, tmp_path):
    root, exp, rid = store
    site = tmp_path / "site"
    first = build(BuildOptions(store=str(root), out=str(site), jobs=1))
    again = build(BuildOptions(store=str(root), out=str(site), jobs=1))
    assert again.unchanged and again.redacted == first.redacted
    metric = root / exp / rid / "metrics" / "loss"
    last = metric.read_text().split()
    with open(metric, "a") as f:
        f.write(f"{int(last[-3]) + 1000} 0.25 1\n")
    third = build(BuildOptions(store=str(root), out=str(site), jobs=1))
    assert third.runs_rendered == 1 and third.redacted == first.redacted
    text = _all_text(site)
    assert not [w for w, s in PLANTED.items() if s in text]


def test_no_redact_publishes_and_redact_key_adds(store, tmp_path):
    root, exp, rid = store
    raw = tmp_path / "raw"
    result = build(BuildOptions(store=str(root), out=str(raw), jobs=1, no_redact=True))
    assert result.redacted == 0 and GITHUB in _all_text(raw)
    more = tmp_path / "more"
    build(BuildOptions(store=str(root), out=str(more), jobs=1, redact_key=("optim*",)))
    doc = json.loads((more / "experiments" / exp / "runs" / rid / "run.json").read_text())
    assert doc["params"]["optimizer"] == "[redacted]" and "params.optimizer" in doc["redacted"]


def test_redact_key_from_the_command_line_and_config(store, tmp_path):
    from click.testing import CliRunner

    from sitegen.cli import main

    root, exp, rid = store
    (tmp_path / "trackreport.yml").write_text("redact-key:\n  - optimizer\n  - '*_path'\n")
    res = CliRunner().invoke(
        main,
        [
            "build",
            "--store",
            str(root),
            "--out",
            str(tmp_path / "s"),
            "--config",
            str(tmp_path / "trackreport.yml"),
            "--redact-key",
            "lr",
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "s" / "experiments" / exp / "runs" / rid / "run.json").read_text())
    assert doc["params"]["lr"] == "[redacted]"  # the flag wins over the file's list
    assert doc["params"]["optimizer"] == "adam"


def test_hide_paths_users_and_noindex(tmp_path):
    """A store logged under /home/ana (as another machine wrote it) by user ana."""
    store = tmp_path / "mlruns"
    shutil.copytree(Path(__file__).parent / "field_cases" / "15-crashed-run-shown-as-live" / "mlruns", store)
    for meta in store.glob("*/*/meta.yaml"):
        text = meta.read_text().replace("file:///data/project/", "file:///home/ana/project/")
        meta.write_text(text.replace("user_id: unknown", "user_id: ana"))
    (next(store.glob("*/*/tags")) / "mlflow.source.name").write_text("/home/ana/project/train.py")
    plain = tmp_path / "plain"
    result = build(BuildOptions(store=str(store), out=str(plain), jobs=1))
    assert result.home_paths >= 3 and "/home/ana" in _all_text(plain)
    hidden = tmp_path / "hidden"
    result = build(
        BuildOptions(store=str(store), out=str(hidden), jobs=1, hide_paths=True, hide_users=True, noindex=True)
    )
    text = "\n".join(p.read_text() for p in hidden.rglob("*") if p.suffix in (".html", ".json"))
    assert "/home/ana" not in text and "~/project/train.py" in text and "~/project/mlruns/" in text
    assert ">ana<" not in text and '"ana"' not in text
    pseudo = re.search(r'"user_id":"(user-[0-9a-f]{6})"', text).group(1)
    assert pseudo == pseudonym("ana") and result.home_paths == 0
    assert all('<meta name="robots" content="noindex">' in p.read_text() for p in hidden.rglob("*.html"))
    assert '<meta name="robots"' not in (plain / "index.html").read_text()
    # an incremental build (unchanged runs come from the manifest) shows the same
    again = build(
        BuildOptions(store=str(store), out=str(hidden), jobs=1, hide_paths=True, hide_users=True, noindex=True)
    )
    assert again.unchanged


def test_publish_warns_about_home_paths(tmp_path, monkeypatch):
    from sitegen.commands import publish as publish_cmd
    from sitegen.errors import PublishError

    store = tmp_path / "mlruns"
    shutil.copytree(Path(__file__).parent / "field_cases" / "15-crashed-run-shown-as-live" / "mlruns", store)
    for meta in store.glob("*/*/meta.yaml"):
        meta.write_text(meta.read_text().replace("file:///data/project/", "file:///home/ana/project/"))
    messages = []
    monkeypatch.setattr(publish_cmd.log, "warning", messages.append)

    def no_git(*a, **k):
        raise PublishError("stopped here: the test publishes nothing")

    monkeypatch.setattr("sitegen.publish.publish", no_git)
    code = publish_cmd.run_publish(
        BuildOptions(store=str(store), out=str(tmp_path / "s"), jobs=1),
        no_build=False,
        repo=str(tmp_path),
        remote="origin",
        branch="gh-pages",
        message=None,
        cname=None,
        force=False,
    )
    assert code == 2
    assert [m for m in messages if "home folder" in m and "--hide-paths" in m]


def test_dry_run_lists_what_would_be_published_and_writes_nothing(store, tmp_path):
    from click.testing import CliRunner

    from sitegen.cli import main

    root, exp, rid = store
    out = tmp_path / "site"
    for verb in ("build", "publish"):
        res = CliRunner().invoke(main, [verb, "--store", str(root), "--out", str(out), "--dry-run"])
        assert res.exit_code == 0, res.output
        assert not out.exists()
        assert "would publish 2 experiments, 1 run" in res.output
        assert f"run careless ({rid}): params.api_key: its key looks secret" in res.output
        assert "not copied (5)" in res.output
        for name in ("config/leaky.yaml", ".env", "env", "settings", "logs/train.log.1"):
            assert f"): {name}: holds what looks like a credential (GitHub Token)" in res.output
        assert not [w for w, s in PLANTED.items() if s in res.output]  # the report holds no secret either


# One made-up credential of each shape the scanner's detectors know (none is live), some in the
# "key = value" form the keyword detectors need. The scanner hands detect-secrets only lines that
# could match one of its detectors (secrets._DETECTABLE): each of these must still be found.
SHAPES = {
    "AWSKeyDetector": AWS,
    "AWSKeyDetector (secret)": 'aws_secret_access_key = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
    "ArtifactoryDetector": "AKCp8" + "budTFpbypBqQbGJPz3pGCi28pPivfWczqjfYb9drAmd9LbRZbj6UpKFxJXA8ksWGc9fM",
    "ArtifactoryDetector (password)": "AP6" + "xxxxxxxxxxxxxxxxxxxxxxxxx",
    "AzureStorageKeyDetector": "AccountKey="
    + "lJzRc1YdHaAA2KCNJJ1tkYwF/+mKK6Ygw0NGe170Xu592euJv2wYUtBlV8z+qnlcNQSnIYVTkLWntUO1F8j8rQ==",
    "BasicAuthDetector": DB_URI,
    "CloudantDetector": "cloudant_password = " + "a" * 64,
    "DiscordBotTokenDetector": "MTk4NjIyNDgzNDcxOTI1MjQ4" + ".Cl2FMQ.ZnCjm1XVW7vRze4b7Cq4se7kKWs",
    "GitHubTokenDetector": GITHUB,
    "GitLabTokenDetector": "glpat-" + "Zq7Lm2Nx4Pw8Rt6Yv1Bc",
    "GitLabTokenDetector (runner)": "GR1348941" + "Zq7Lm2Nx4Pw8Rt6Yv1Bc",
    "IbmCloudIamDetector": "ibm_cloud_iam_key = " + "Zq7Lm2Nx4Pw8Rt6Yv1Bc3Dk5Fh9Jg0Ks2Ut4Zq7Lm2Nx",
    "IbmCosHmacDetector": "secret_access_key = " + "a1b2c3d4e5" * 4 + "f6a7b8c9",
    "JwtTokenDetector": JWT,
    "MailchimpDetector": "3cfa4b7d9e1f2a6b8c0d4e5f7a9b1c2d" + "-us12",
    "NpmDetector": "//registry.npmjs.org/:_authToken=" + "npm_Zq7Lm2Nx4Pw8Rt6Yv1Bc3Dk5Fh9Jg0Ks2Ut4",
    "OpenAIDetector": "sk-" + "Zq7Lm2Nx4Pw8Rt6Yv1Bc" + "T3BlbkFJ" + "Zq7Lm2Nx4Pw8Rt6Yv1Bc",
    "PrivateKeyDetector": PRIVATE,
    "PypiTokenDetector": "pypi-AgEIcHlwaS5vcmc" + "Zq7Lm2Nx4Pw8Rt6Yv1Bc" * 4,
    "SendGridDetector": "SG." + "ngeVfQFYQlKU0ufo8x5d1A" + "." + "TwL2iGABf9DHoTf-09kqeF8tAmbihYzrnopKc-1s5cr",
    "SlackDetector": SLACK,
    "SlackDetector (upper case)": SLACK.upper(),
    "AWSKeyDetector (secret, upper case)": 'AWS_SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"',
    "SlackDetector (webhook)": "https://hooks.slack.com/services/" + "T024BE7LD/B0BTN5Q3D/Zq7Lm2Nx4Pw8Rt6Yv1Bc3Dk5",
    "SoftlayerDetector": "softlayer_api_key = " + "a1b2c3d4" * 8,
    "SquareOAuthDetector": "sq0csp-" + "0p9h7g6f4s3s3s3-4a3ardgwa6ADRDJDDKUFYDYDYDY",
    "StripeDetector": "sk_live_" + "ZqLm2Nx4Pw8Rt6Yv1Bc3Dk5F",
    "TelegramBotTokenDetector": "110201543:" + "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawx",
    "TwilioKeyDetector": "AC" + "a1b2c3d4" * 4,
    "TwilioKeyDetector (SK)": "SK" + "a1b2c3d4" * 4,
}


def test_every_detector_still_sees_its_shape():
    """The scanner's pre-filter lets through every credential shape detect-secrets' detectors
    find (so that values which could not be one never import or run detect-secrets)."""
    from detect_secrets.core.scan import scan_line
    from detect_secrets.settings import transient_settings

    from sitegen.safety.secrets import DETECTORS, Scanner

    with transient_settings({"plugins_used": [{"name": n} for n in DETECTORS]}):
        seen = {what: [s.type for s in scan_line(value)] for what, value in SHAPES.items()}
    assert not [what for what, found in seen.items() if not found], "bad sample"
    scanner = Scanner()
    try:
        missed = [what for what, value in SHAPES.items() if not scanner.credential(value)]
    finally:
        scanner.close()
    assert missed == []
    assert {w.split(" (")[0] for w in SHAPES} == set(DETECTORS)


def test_ordinary_values_need_no_scanner():
    """Paths, URIs, commit hashes and run ids are answered without importing detect-secrets."""
    import subprocess
    import sys

    code = (
        "import sys; from sitegen.safety.secrets import Scanner; s = Scanner(); "
        "vals = ['file:///tmp/mlruns/1/0123456789abcdef0123456789abcdef/artifacts', "
        "'d4713d60c8a70639eb1167b367a9c3787c65c1e5', '/srv/lab/train.py', 'https://github.com/org/repo', "
        "'mlflow-artifacts:/1/0123456789abcdef0123456789abcdef/artifacts']; "
        "assert not any(s.credential(v) for v in vals); print('detect_secrets' in sys.modules)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "False"
