"""Object-store servers for the tests, on 127.0.0.1: moto's S3 server, the gcp-storage-emulator
(Python, from the [test] extra) and Azurite's Blob service (npm's ``azurite``; ``.ci/run``
installs it). Each is started per test and stopped afterwards."""

from __future__ import annotations

import importlib
import shutil
import subprocess
from contextlib import contextmanager
from pathlib import Path

from dbservers import _wait_tcp, free_port, require

BUCKET = "ml-artifacts"
# Azurite's well-known development account (public, documented by Microsoft; not a secret).
AZURITE_ACCOUNT = "devstoreaccount1"
AZURITE_KEY = "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="


def need(module: str, what: str):
    """Import a module the test cannot do without (skipped outside CI when missing)."""
    try:
        return importlib.import_module(module)
    except ImportError:
        require(False, what)


@contextmanager
def s3_server(monkeypatch):
    """moto's S3 server; MLflow's client and trackreport find it through MLFLOW_S3_ENDPOINT_URL."""
    moto_server = need("moto.server", "moto[server]")
    boto3 = need("boto3", "boto3")
    port = free_port()
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=port)
    server.start()
    try:
        monkeypatch.setenv("MLFLOW_S3_ENDPOINT_URL", f"http://127.0.0.1:{port}")
        monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
        monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
        monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
        boto3.client("s3", endpoint_url=f"http://127.0.0.1:{port}").create_bucket(Bucket=BUCKET)
        yield
    finally:
        server.stop()


@contextmanager
def gcs_server(monkeypatch):
    """gcp-storage-emulator in memory; google-cloud-storage and gcsfs find it through
    STORAGE_EMULATOR_HOST. ``start()`` returns once the server listens."""
    emulator = need("gcp_storage_emulator.server", "gcp-storage-emulator")
    port = free_port()
    server = emulator.create_server("127.0.0.1", port, in_memory=True, default_bucket=BUCKET)
    server.start()
    try:
        monkeypatch.setenv("STORAGE_EMULATOR_HOST", f"http://127.0.0.1:{port}")
        yield
    finally:
        server.stop()


def azurite_connection_string(port: int) -> str:
    return (
        f"DefaultEndpointsProtocol=http;AccountName={AZURITE_ACCOUNT};AccountKey={AZURITE_KEY};"
        f"BlobEndpoint=http://127.0.0.1:{port}/{AZURITE_ACCOUNT};"
    )


@contextmanager
def azurite_server(monkeypatch, folder: Path):
    """Azurite's Blob service with its data in ``folder``; MLflow's client and trackreport
    find it through AZURE_STORAGE_CONNECTION_STRING. Yields the connection string."""
    exe = shutil.which("azurite-blob")
    require(exe is not None, "Azurite (npm install -g azurite)")
    blob = need("azure.storage.blob", "azure-storage-blob")
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    log = folder / "azurite.log"
    with open(log, "wb") as out:
        proc = subprocess.Popen(
            [
                exe,
                "--blobHost",
                "127.0.0.1",
                "--blobPort",
                str(port),
                "--location",
                str(folder),
                "--skipApiVersionCheck",
                "--loose",
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )
    try:
        _wait_tcp(port, proc, log, timeout=60)
        conn = azurite_connection_string(port)
        monkeypatch.setenv("AZURE_STORAGE_CONNECTION_STRING", conn)
        blob.BlobServiceClient.from_connection_string(conn).create_container(BUCKET)
        yield conn
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
