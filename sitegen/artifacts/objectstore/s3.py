"""S3 (and S3-compatible stores) through boto3: ``s3://bucket/prefix`` (also ``s3a://``).

Endpoint and credentials as for MLflow's client: ``MLFLOW_S3_ENDPOINT_URL``,
``MLFLOW_S3_IGNORE_TLS`` and boto3's usual chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
profiles, instance roles). boto3 rather than s3fs: s3fs needs aiobotocore, which pins botocore
tightly and so clashes with the boto3 that MLflow users already have.
"""

from __future__ import annotations

import os
from urllib.parse import urlparse

from sitegen.artifacts.objectstore import location

EXTRA = "s3"
PACKAGE = "boto3"
SECRET_VARS = ("AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN")


def locate(uri: str):
    parsed = urlparse(uri)
    return location(uri, ("s3",), ("s3",), parsed.netloc, parsed.path)


def connect(_loc) -> "S3Client":
    return S3Client()


class S3Client:
    def __init__(self):
        import boto3

        endpoint = os.environ.get("MLFLOW_S3_ENDPOINT_URL") or None
        verify = os.environ.get("MLFLOW_S3_IGNORE_TLS", "").lower() != "true"
        self.client = boto3.client("s3", endpoint_url=endpoint, verify=verify)
        self.endpoint = self.client.meta.endpoint_url

    def list(self, root: str):
        bucket, _, prefix = root.partition("/")
        start = f"{prefix}/" if prefix else ""
        for page in self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=start):
            for obj in page.get("Contents", []):
                rel = obj["Key"][len(start) :]
                if rel and not rel.endswith("/"):
                    yield rel, int(obj["Size"]), obj.get("ETag", "")

    def download(self, root: str, rel: str, local: str) -> None:
        bucket, _, prefix = root.partition("/")
        self.client.download_file(bucket, f"{prefix}/{rel}" if prefix else rel, local)
