"""The site's marker (.trackreport-site) goes wherever the site folder is copied (GitHub's
upload-pages-artifact@v3, GitLab Pages, rsync, s3 sync): it holds only what the pages show.
What the next build needs besides — the reader's view of the whole store, recorded artifact
URIs, the scanner's verdicts — is kept in the user's cache (sitegen.builder.sitestate), and a
build without it is as correct, only slower."""

from __future__ import annotations

import json
import stat

import pytest

from sitegen import BuildOptions, build
from sitegen.builder import sitestate

PASSWORD = "s3cr3tpw-4f1e"


@pytest.fixture
def store(tmp_path, monkeypatch):
    """A published experiment whose artifact location holds a credential, a local one with an
    artifact (its path hidden by --hide-paths), and an experiment left out by --experiment."""
    from mlflow import MlflowClient

    monkeypatch.setenv("MLFLOW_ALLOW_FILE_STORE", "true")
    root = tmp_path / "mlruns"
    client = MlflowClient(f"file://{root}")
    ids = {}
    ftp = client.create_experiment("public-ftp", artifact_location=f"ftp://bob:{PASSWORD}@ftp.example.org/art")
    local = client.create_experiment("public-local")
    hidden = client.create_experiment("secret-project-x")
    for name, exp in (("ftp", ftp), ("local", local), ("hidden", hidden)):
        run = client.create_run(exp, run_name=f"run-{name}")
        client.log_metric(run.info.run_id, "loss", 0.5, step=0)
        ids[name] = run.info.run_id
    note = tmp_path / "note.txt"
    note.write_text("an artifact")
    client.log_artifact(ids["local"], str(note))
    for rid in ids.values():
        client.set_terminated(rid)
    return root, ids


def _options(root, out):
    return BuildOptions(store=str(root), out=str(out), experiment=("public-*",), hide_paths=True, jobs=1)


def _site(out):
    return {str(p.relative_to(out)): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def test_the_marker_holds_nothing_the_pages_do_not_show(store, tmp_path):
    root, ids = store
    out = tmp_path / "site"
    build(_options(root, out))
    marker = (out / ".trackreport-site").read_text(encoding="utf-8")
    for private in (PASSWORD, "secret-project-x", ids["hidden"], str(tmp_path)):
        assert private not in marker
    for public in (ids["ftp"], ids["local"], "public-ftp"):
        assert public in "".join(p.decode("utf-8", "replace") for p in _site(out).values())

    # The private half, readable by the user only, holds what the next build needs.
    kept = sitestate.location(out)
    assert stat.S_IMODE(kept.stat().st_mode) == 0o600
    doc = json.loads(kept.read_text())
    assert doc["build"] == json.loads(marker)["manifest"]["build"]
    assert PASSWORD in doc["artifact_uris"][ids["ftp"]]
    assert doc["artifact_uris"][ids["local"]].startswith("file://")


def test_the_next_build_in_a_new_process_reuses_the_private_state(store, tmp_path):
    from mlflow import MlflowClient

    root, ids = store
    out = tmp_path / "site"
    build(_options(root, out))
    MlflowClient(f"file://{root}").log_metric(ids["local"], "loss", 0.25, step=1)
    result = build(_options(root, out))
    assert result.runs_rendered == 1 and not result.warnings
    assert list(out.glob(f"experiments/*/runs/{ids['local']}/artifacts/note.txt"))
    (page,) = out.glob(f"experiments/*/runs/{ids['ftp']}/index.html")
    assert PASSWORD not in page.read_text(encoding="utf-8")


@pytest.mark.parametrize("damage", ["missing", "another build's", "unreadable"])
def test_without_its_private_state_a_build_reads_the_store_and_makes_the_same_site(store, tmp_path, damage):
    root, ids = store
    out = tmp_path / "site"
    build(_options(root, out))
    before = _site(out)
    kept = sitestate.location(out)
    if damage == "missing":
        kept.unlink()
    elif damage == "another build's":
        doc = json.loads(kept.read_text())
        kept.write_text(json.dumps({**doc, "build": "0" * 32, "artifact_uris": {ids["local"]: "file:///nowhere"}}))
    else:
        kept.write_text("{not json")
    result = build(_options(root, out))
    assert result.runs_rendered == 0 and not result.warnings
    assert _site(out) == before  # the same pages, artifacts and marker
    assert json.loads(kept.read_text())["artifact_uris"][ids["local"]].startswith("file://")  # kept again


def test_a_description_since_changed_stays_out_of_the_marker(store, tmp_path):
    """Markdown conversions are kept for the next build (a fresh process need not convert an
    unchanged description again), but privately: an old description no page shows any more
    stayed in the marker for ever."""
    from mlflow import MlflowClient

    root, ids = store
    client = MlflowClient(f"file://{root}")
    exp = client.get_experiment_by_name("public-local").experiment_id
    client.set_experiment_tag(exp, "mlflow.note.content", "Merger talks with **Initech**")
    out = tmp_path / "site"
    build(_options(root, out))
    assert "Initech" not in (out / ".trackreport-site").read_text()
    assert any("Initech" in p.read_text(errors="replace") for p in out.rglob("*.html"))
    client.set_experiment_tag(exp, "mlflow.note.content", "Nothing to see")
    build(_options(root, out))
    for p in out.rglob("*"):
        assert not p.is_file() or b"Initech" not in p.read_bytes(), p


def test_the_marker_names_no_store(tmp_path):
    """No page shows the store's URI, which can hold a path, a host, a user or a password in its
    query (postgresql://u@h/db?password=...)."""
    import shutil
    from pathlib import Path

    store = tmp_path / "mlruns"
    shutil.copytree(Path(__file__).parent.parent / "sample_mlruns", store)
    build(BuildOptions(store=str(store), out=str(tmp_path / "site"), jobs=1))
    assert str(store) not in (tmp_path / "site" / ".trackreport-site").read_text()


def test_credentials_in_a_uri_query_are_redacted_in_messages():
    from sitegen.readers import redact

    assert redact("postgresql://mlu@db:5432/mlf?password=PgSecret42&sslmode=require") == (
        "postgresql://mlu@db:5432/mlf?password=***&sslmode=require"
    )
    assert redact("http://127.0.0.1:1/?token=TOK999") == "http://127.0.0.1:1/?token=***"
    assert redact("postgresql://u:pw@h/db") == "postgresql://u:***@h/db"


def test_a_warning_about_an_unreadable_artifact_location_hides_its_password(tmp_path):
    from sitegen.artifacts.listing import attach_artifacts
    from sitegen.entities import Run

    run = Run(run_id="r" * 32, experiment_id="1", artifact_uri=f"sftp://alice:{PASSWORD}@host/x/1/r/artifacts")
    attach_artifacts([run], store_kind="file", store_dir=str(tmp_path), artifacts_dir=None, max_size=None)
    assert run.warnings == [
        "artifacts are in sftp://alice:***@host/x/1/r/artifacts, which this build cannot read; "
        "pass --artifacts DIR with a local copy"
    ]
