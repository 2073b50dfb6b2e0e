"""Google Cloud Storage through gcsfs: ``gs://bucket/prefix``.

Credentials as for MLflow's client (google-cloud-storage): Application Default Credentials
(``GOOGLE_APPLICATION_CREDENTIALS``, ``gcloud auth application-default login``, the metadata
server). With ``STORAGE_EMULATOR_HOST`` set, requests go to that emulator without credentials,
as google-cloud-storage does.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from sitegen.artifacts.objectstore import location
from sitegen.artifacts.objectstore.fsclient import FsspecClient

EXTRA = "gcs"
PACKAGE = "gcsfs"
SECRET_VARS = ()
PUBLIC_ENDPOINT = "https://storage.googleapis.com"


def locate(uri: str):
    parsed = urlparse(uri)
    return location(uri, ("gcs",), ("gs",), parsed.netloc, parsed.path)


def endpoint() -> str:
    host = os.environ.get("STORAGE_EMULATOR_HOST", "")
    if host in ("", "default"):
        return PUBLIC_ENDPOINT
    return host if host.startswith(("http://", "https://")) else f"http://{host}"


def connect(_loc):
    # The core class: the one gcsfs exports by default also asks a gRPC control API for each
    # bucket's layout, which emulators lack (a minute's timeout) and plain reads do not need.
    from gcsfs.core import GCSFileSystem

    url = endpoint()
    fs = GCSFileSystem(
        token="anon" if url != PUBLIC_ENDPOINT else "google_default", skip_instance_cache=True, use_listings_cache=False
    )
    return FsspecClient(fs, url)
