"""Artifacts that real MLflow logged straight into object stores, each a real server on
loopback: S3 (moto's server), Google Cloud Storage (gcp-storage-emulator) and Azure Blob
Storage (Azurite). The site shows them (image, text preview), files over
--max-artifact-size are never downloaded, a second build downloads nothing; a missing extra
or an endpoint that cannot be reached is one warning per run and the rest still builds."""

import json
import struct
import sys
import zlib

import pytest
from dbservers import free_port
from objectservers import (
    AZURITE_ACCOUNT,
    AZURITE_KEY,
    BUCKET,
    azurite_connection_string,
    azurite_server,
    gcs_server,
    need,
    s3_server,
)
from sitecheck import broken_links

from sitegen import BuildOptions, build

mlflow = pytest.importorskip("mlflow")

MAX = 10_000


def _png() -> bytes:
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\xff\x00\x00"))
        + chunk(b"IEND", b"")
    )


FILES = {"docs/notes.txt": b"in the bucket\n", "plot.png": _png(), "big.bin": b"\0" * 50_000}
SHOWN = ["docs/notes.txt", "plot.png"]  # what the site needs; big.bin is over MAX


@pytest.fixture
def downloads(monkeypatch, tmp_path):
    """Every download trackreport makes (path below the run's folder), whatever the store."""
    from sitegen.artifacts import objectstore

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    calls, real = [], objectstore._download

    def spy(local, job):
        calls.append(job[2])
        return real(local, job)

    monkeypatch.setattr(objectstore, "_download", spy)
    return calls


def _client(tmp_path):
    from mlflow.tracking import MlflowClient

    store = f"sqlite:///{tmp_path / 'mlflow.db'}"
    return store, MlflowClient(tracking_uri=store)


def _new_run(client, location: str) -> tuple[str, str]:
    exp = client.create_experiment(location, artifact_location=location)
    return exp, client.create_run(exp, run_name="remote").info.run_id


def _log_files(client, rid, tmp_path) -> None:
    """Through MLflow's own artifact repository for the run's location."""
    src = tmp_path / "files" / rid
    for rel, data in FILES.items():
        (src / rel).parent.mkdir(parents=True, exist_ok=True)
        (src / rel).write_bytes(data)
    client.log_artifacts(rid, str(src))


def _cache_mtimes(tmp_path) -> dict:
    return {
        p: p.stat().st_mtime_ns
        for p in (tmp_path / "cache").rglob("*")
        if p.is_file() and not p.name.endswith(".index.json")
    }


def _build_and_check(tmp_path, store, runs, downloads) -> None:
    """Build twice: the first shows every run's artifacts, downloading only what the site shows;
    the second downloads nothing."""
    site = tmp_path / "site"
    result = build(BuildOptions(store=store, out=str(site), jobs=1, max_artifact_size=MAX))
    assert result.warnings == []
    for exp, rid in runs:
        run_dir = site / "experiments" / exp / "runs" / rid
        page = (run_dir / "index.html").read_text()
        for rel in SHOWN:
            assert (run_dir / "artifacts" / rel).read_bytes() == FILES[rel]
        assert '<img src="artifacts/plot.png"' in page
        assert '<pre class="text-preview">in the bucket' in page
        assert not (run_dir / "artifacts" / "big.bin").exists()
        assert "big.bin" in page
        doc = json.loads((run_dir / "run.json").read_text())
        assert doc["artifacts"] == [{"path": p, "size": len(FILES[p])} for p in sorted(FILES)]
    assert not list((tmp_path / "cache").rglob("big.bin"))  # never downloaded
    assert sorted(downloads) == sorted(SHOWN * len(runs))
    assert broken_links(site) == []
    cached = _cache_mtimes(tmp_path)
    again = build(BuildOptions(store=store, out=str(site), jobs=1, max_artifact_size=MAX))
    assert again.warnings == [] and again.runs_rendered == 0
    assert len(downloads) == len(SHOWN) * len(runs)  # nothing downloaded again
    assert _cache_mtimes(tmp_path) == cached


def test_s3_artifacts_shown_and_cached(tmp_path, monkeypatch, downloads):
    with s3_server(monkeypatch):
        store, client = _client(tmp_path)
        exp, rid = _new_run(client, f"s3://{BUCKET}/exp")
        _log_files(client, rid, tmp_path)
        _build_and_check(tmp_path, store, [(exp, rid)], downloads)


def test_gcs_artifacts_shown_and_cached(tmp_path, monkeypatch, downloads):
    need("gcsfs", "gcsfs")
    need("google.cloud.storage", "google-cloud-storage")
    with gcs_server(monkeypatch):
        store, client = _client(tmp_path)
        exp, rid = _new_run(client, f"gs://{BUCKET}/exp")
        _log_files(client, rid, tmp_path)
        _build_and_check(tmp_path, store, [(exp, rid)], downloads)
        # A location that cannot be listed (no such bucket) is a warning naming it; the rest builds.
        _exp2, rid2 = _new_run(client, "gs://no-such-bucket/exp")
        result = build(BuildOptions(store=store, out=str(tmp_path / "site"), jobs=1, max_artifact_size=MAX))
    assert [w for w in result.warnings if "gs://no-such-bucket/exp" in w and "could not list" in w]
    assert result.runs_rendered == 1 and len(downloads) == len(SHOWN)
    assert (tmp_path / "site" / "experiments" / exp / "runs" / rid / "artifacts" / "plot.png").is_file()


def test_azure_artifacts_shown_and_cached(tmp_path, monkeypatch, downloads):
    """wasbs:// artifacts are logged by MLflow (azure-storage-blob). For abfss:// (ADLS Gen2),
    MLflow's client uses the Data Lake API, which Azurite lacks: those blobs are uploaded with
    azure-storage-blob to the artifact location of a run that MLflow made."""
    need("adlfs", "adlfs")
    with azurite_server(monkeypatch, tmp_path / "azurite") as conn:
        from azure.storage.blob import BlobServiceClient

        store, client = _client(tmp_path)
        wasbs = _new_run(client, f"wasbs://{BUCKET}@{AZURITE_ACCOUNT}.blob.core.windows.net/exp")
        _log_files(client, wasbs[1], tmp_path)
        abfss = _new_run(client, f"abfss://{BUCKET}@{AZURITE_ACCOUNT}.dfs.core.windows.net/lake")
        container = BlobServiceClient.from_connection_string(conn).get_container_client(BUCKET)
        for rel, data in FILES.items():
            container.upload_blob(f"lake/{abfss[1]}/artifacts/{rel}", data)
        _build_and_check(tmp_path, store, [wasbs, abfss], downloads)


def test_missing_extra_and_unreachable_endpoints_warn(tmp_path, monkeypatch, downloads):
    need("adlfs", "adlfs")
    need("boto3", "boto3")
    monkeypatch.setitem(sys.modules, "gcsfs", None)  # as if trackreport[gcs] were not installed
    monkeypatch.setitem(sys.modules, "gcsfs.core", None)
    dead = free_port()  # nothing listens there
    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite_connection_string(dead))
    monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", f"http://127.0.0.1:{dead}")
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cret-aws-key")
    store, client = _client(tmp_path)
    uris = {
        "gs": "gs://bucket/exp",
        "wasbs": f"wasbs://c@{AZURITE_ACCOUNT}.blob.core.windows.net/exp",
        "s3": "s3://bucket/exp",
    }
    runs = {kind: _new_run(client, uri) for kind, uri in uris.items()}
    exp = client.create_experiment("local", artifact_location=str(tmp_path / "local-artifacts"))
    local = client.create_run(exp).info.run_id
    (tmp_path / "kept.txt").write_text("still here\n")
    client.log_artifact(local, str(tmp_path / "kept.txt"))
    site = tmp_path / "site"
    result = build(BuildOptions(store=store, out=str(site), jobs=1, max_artifact_size=MAX))
    by_run = {kind: [w for w in result.warnings if w.startswith(f"run {rid}:")] for kind, (_exp, rid) in runs.items()}
    assert by_run["gs"] == [
        f'run {runs["gs"][1]}: artifacts are in {uris["gs"]}/{runs["gs"][1]}/artifacts: '
        'reading them needs gcsfs (pip install "trackreport[gcs]")'
    ]
    for kind in ("wasbs", "s3"):
        [warning] = by_run[kind]
        assert f"could not list {uris[kind]}/{runs[kind][1]}/artifacts: http://127.0.0.1:{dead}" in warning
        assert "cannot be reached" in warning
    assert len(result.warnings) == 3 and downloads == []
    assert (site / "experiments" / exp / "runs" / local / "artifacts" / "kept.txt").read_text() == "still here\n"
    for path in site.rglob("*"):
        if path.is_file() and path.suffix in (".html", ".json", ".txt"):
            text = path.read_text()
            assert AZURITE_KEY not in text and "s3cret-aws-key" not in text
    assert not any(AZURITE_KEY in w or "s3cret-aws-key" in w for w in result.warnings)


def test_warnings_mask_secrets(monkeypatch):
    from sitegen.artifacts.objectstore import message

    monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", azurite_connection_string(1))
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "s3cret-aws-key")
    error = OSError(f"denied: key={AZURITE_KEY} aws=s3cret-aws-key url=https://a/b?sv=1&sig=abcDEF%3D\nmore")
    assert message(error) == "OSError: denied: key=*** aws=*** url=https://a/b?sv=1&sig=***"
