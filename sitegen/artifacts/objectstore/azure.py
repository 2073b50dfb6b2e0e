"""Azure Blob Storage and ADLS Gen2 through adlfs:
``wasbs://<container>@<account>.blob.core.windows.net/<path>`` and
``abfss://<container>@<account>.dfs.core.windows.net/<path>`` (other clouds' suffixes too).

Credentials as for MLflow's client: ``AZURE_STORAGE_CONNECTION_STRING``, else
``AZURE_STORAGE_ACCESS_KEY`` (the account's key), else ``AZURE_STORAGE_SAS_TOKEN``, else
``DefaultAzureCredential`` (environment, managed identity, Azure CLI login…). ADLS Gen2
folders are read through the Blob endpoint of the same account, as adlfs does.
"""

from __future__ import annotations

import os
import re
from urllib.parse import urlparse

from sitegen.artifacts.objectstore import location
from sitegen.artifacts.objectstore.fsclient import FsspecClient

EXTRA = "azure"
PACKAGE = "adlfs"
SECRET_VARS = (
    "AZURE_STORAGE_CONNECTION_STRING",
    "AZURE_STORAGE_ACCESS_KEY",
    "AZURE_STORAGE_SAS_TOKEN",
    "AZURE_CLIENT_SECRET",
)


def locate(uri: str):
    parsed = urlparse(uri)
    m = re.fullmatch(r"([^@/]+)@([^.@/]+)\.(?:blob|dfs)\.([^@/]+)", parsed.netloc)
    if not m:
        raise ValueError("expected <container>@<account>.blob.core.windows.net")
    container, account, suffix = m.groups()
    return location(uri, ("azure", account, f"{account}.blob.{suffix}"), ("azure", account), container, parsed.path)


def connect(loc):
    from adlfs import AzureBlobFileSystem

    _, account, host = loc.client_key
    common = {"skip_instance_cache": True, "use_listings_cache": False}
    if os.environ.get("AZURE_STORAGE_CONNECTION_STRING"):
        fs = AzureBlobFileSystem(connection_string=os.environ["AZURE_STORAGE_CONNECTION_STRING"], **common)
    elif os.environ.get("AZURE_STORAGE_ACCESS_KEY"):
        fs = AzureBlobFileSystem(
            account_name=account, account_host=host, account_key=os.environ["AZURE_STORAGE_ACCESS_KEY"], **common
        )
    elif os.environ.get("AZURE_STORAGE_SAS_TOKEN"):
        fs = AzureBlobFileSystem(
            account_name=account, account_host=host, sas_token=os.environ["AZURE_STORAGE_SAS_TOKEN"], **common
        )
    else:  # adlfs falls back on azure-identity's DefaultAzureCredential
        fs = AzureBlobFileSystem(account_name=account, account_host=host, anon=False, **common)
    client = fs.service_client
    return FsspecClient(fs, f"{client.scheme}://{client.primary_hostname}")
