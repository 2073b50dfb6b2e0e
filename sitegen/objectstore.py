"""Artifacts in an object store (``s3://bucket/prefix``), fetched into a local cache.

Clients that log straight to a bucket record ``s3://…`` artifact locations. Such a run's
files are listed in the bucket and downloaded (in parallel, only what the site shows:
never files over ``--max-artifact-size``) into ``~/.cache/trackreport/objects/``; a file
whose size and ETag did not change is not downloaded again. Credentials and endpoint
come from the usual AWS variables and ``MLFLOW_S3_ENDPOINT_URL``, as for MLflow's client.
Needs boto3: ``pip install "trackreport[s3]"``.
"""
from __future__ import annotations

import json
import os
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import urlparse

from .artifacts import classify
from .cache import user_cache_dir
from .model import ArtifactFile, Run

CONCURRENCY = 8


def supported(uri: str | None) -> bool:
    return bool(uri) and urlparse(uri).scheme in ("s3", "s3a")


def _client():
    import boto3

    endpoint = os.environ.get("MLFLOW_S3_ENDPOINT_URL") or None
    verify = os.environ.get("MLFLOW_S3_IGNORE_TLS", "").lower() != "true"
    return boto3.client("s3", endpoint_url=endpoint, verify=verify)


def fetch_run_artifacts(run: Run, max_size: int | None) -> None:
    """List the run's objects, download what is missing or changed, point the run at the cache."""
    parsed = urlparse(run.artifact_uri)
    bucket, prefix = parsed.netloc, parsed.path.lstrip("/").rstrip("/")
    try:
        client = _client()
    except ImportError:
        run.warnings.append(f"artifacts are in {run.artifact_uri}: reading S3 needs boto3 "
                            '(pip install "trackreport[s3]")')
        return
    folder = user_cache_dir("objects") / bucket / prefix
    index_path = folder.parent / f".{folder.name}.etags.json"
    try:
        etags = json.loads(index_path.read_text())
    except (OSError, ValueError):
        etags = {}
    objects = []
    try:
        for page in client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix + "/"):
            for obj in page.get("Contents", []):
                rel = obj["Key"][len(prefix) + 1:]
                if rel and not rel.endswith("/"):
                    objects.append((rel, int(obj["Size"]), obj.get("ETag", "")))
    except Exception as e:  # noqa: BLE001 - botocore raises many kinds; each is one warning
        run.warnings.append(f"could not list {run.artifact_uri}: {e}")
        return

    def download(item):
        rel, size, etag = item
        local = folder / rel
        if local.is_file() and local.stat().st_size == size and etags.get(rel) == etag:
            return rel, etag, None
        try:
            local.parent.mkdir(parents=True, exist_ok=True)
            tmp = local.with_name(local.name + ".part")
            client.download_file(bucket, f"{prefix}/{rel}", str(tmp))
            os.replace(tmp, local)
            return rel, etag, None
        except Exception as e:  # noqa: BLE001
            return rel, None, str(e)

    wanted = [o for o in objects if max_size is None or o[1] <= max_size]
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        for rel, etag, error in pool.map(download, wanted):
            if error:
                run.warnings.append(f"artifact {rel} could not be downloaded ({error})")
            else:
                etags[rel] = etag
    folder.mkdir(parents=True, exist_ok=True)
    index_path.write_text(json.dumps(etags))
    run.artifact_dir = str(folder)
    run.artifacts_remote = True
    for rel, size, _etag in sorted(objects):
        a = ArtifactFile(rel, size, classify(rel))
        local = folder / rel
        if local.is_file():
            a.mtime_ns = local.stat().st_mtime_ns
        run.artifacts.append(a)
