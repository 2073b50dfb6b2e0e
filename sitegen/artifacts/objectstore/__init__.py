"""Artifacts in object stores (S3, Google Cloud Storage, Azure Blob / ADLS Gen2), fetched into
a local cache.

Clients that log straight to a bucket record ``s3://…``, ``gs://…``, ``wasbs://…`` or
``abfss://…`` artifact locations. One code path serves them all, with a small adapter per
store (modules ``s3``, ``gcs``, ``azure`` here): each run's objects are listed, files over
``--max-artifact-size`` are never downloaded, the rest are downloaded in parallel (across
runs) into ``~/.cache/trackreport/objects/<store>/…``, and a file whose size and version
(ETag, MD5, generation or last-modified time: what the store gives) did not change is not
downloaded again. Each run then points at its cache folder.

Every problem is a warning on the run, never an exception: a missing optional extra (named
in the warning), an endpoint that cannot be reached (checked once per endpoint and build, so a
dead endpoint costs one connection attempt rather than every run's retries), a listing or a
download that failed. Secrets from the environment never appear in warnings.

An adapter module has ``EXTRA``, ``PACKAGE``, ``SECRET_VARS``, ``locate(uri) -> Location``
(pure parsing) and ``connect(location) -> client`` (``ImportError`` when its extra is missing);
a client has ``endpoint``, ``list(root)`` yielding ``(relative path, size, version)`` and
``download(root, rel, local_path)``.
"""

from __future__ import annotations

import errno
import json
import os
import re
import socket
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import import_module
from pathlib import Path
from urllib.parse import urlparse

from sitegen.artifacts.kinds import classify
from sitegen.cachedir import user_cache_dir
from sitegen.entities import ArtifactFile, Run

CONCURRENCY = 8
PROBE_TIMEOUT = 10.0
# scheme → adapter module (sitegen.artifacts.objectstore.<name>); each imports its extra only in connect().
SCHEMES = {"s3": "s3", "s3a": "s3", "gs": "gcs", "wasbs": "azure", "abfss": "azure"}


@dataclass(frozen=True)
class Location:
    """Where one run's artifacts are: which client reads them (``client_key``, adapter name
    first), the adapter's path of the run's folder (``bucket/prefix``, ``container/path``) and
    the cache sub-folders."""

    uri: str
    client_key: tuple
    root: str
    cache: tuple[str, ...]


def location(uri: str, client_key: tuple, cache_top: tuple[str, ...], top: str, path: str) -> Location:
    """The location of ``top/path`` (bucket or container, then the run's folder in it)."""
    path = path.strip("/")
    return Location(
        uri, client_key, f"{top}/{path}".rstrip("/"), (*cache_top, top, *path.split("/")) if path else (*cache_top, top)
    )


def supported(uri: str | None) -> bool:
    return bool(uri) and urlparse(uri).scheme in SCHEMES


def adapter(name: str):
    return import_module(f"{__name__}.{name}")


def locate(uri: str) -> Location:
    """Parse an artifact URI (``ValueError`` when malformed)."""
    loc = adapter(SCHEMES[urlparse(uri).scheme]).locate(uri)
    if not loc.cache or not all(_safe_part(p) for p in loc.cache):
        raise ValueError("unusable bucket or path")
    return loc


def _safe_part(p: str) -> bool:
    return p not in ("", ".", "..") and "/" not in p and "\\" not in p


def safe_rel(rel: str) -> bool:
    """An object's path below the run's folder that stays inside the cache folder."""
    return all(_safe_part(p) for p in rel.split("/"))


def message(e: BaseException) -> str:
    """One line for a warning: the error's kind and first line, secrets from the environment masked."""
    kind = type(e).__name__
    text = (str(e).strip().splitlines() or [""])[0]
    text = text if text.startswith(kind) else f"{kind}: {text}" if text else kind
    secrets = set()
    for name in SCHEMES.values():
        for var in adapter(name).SECRET_VARS:
            value = os.environ.get(var, "")
            secrets.add(value)
            secrets.update(re.findall(r"(?:AccountKey|SharedAccessSignature)=([^;]+)", value))
    for s in sorted((s for s in secrets if len(s) >= 4), key=len, reverse=True):
        text = text.replace(s, "***")
    text = re.sub(r"(?i)\b(sig|signature|X-Amz-Signature|X-Amz-Security-Token)=[^&\s]+", r"\1=***", text)
    return text[:500]


@dataclass
class _RunFetch:
    """One run's location, listing and cache folder, from listing to the recorded index."""

    run: Run
    loc: Location
    client: object
    objects: list = field(default_factory=list)  # (rel, size, version)
    index: dict = field(default_factory=dict)  # rel → version of the files in the cache
    error: str | None = None

    @property
    def folder(self) -> Path:
        return user_cache_dir("objects", *self.loc.cache)

    @property
    def index_path(self) -> Path:
        return self.folder.parent / f".{self.folder.name}.index.json"

    def list(self) -> None:
        try:
            self.objects = list(self.client.list(self.loc.root))
        except Exception as e:  # noqa: BLE001 - each store raises its own kinds; one warning
            self.error = message(e)

    def decide(self, max_size: int | None) -> dict:
        """Keep the unchanged files in the index; return the downloads wanted (cache file → job)."""
        try:
            old = json.loads(self.index_path.read_text())
        except (OSError, ValueError):
            old = {}
        jobs = {}
        for rel, size, version in self.objects:
            local = self.folder / rel
            if not safe_rel(rel):
                self.run.warnings.append(f"artifact {rel!r} has an unusable path; not fetched")
            elif local.is_file() and local.stat().st_size == size and isinstance(old, dict) and old.get(rel) == version:
                self.index[rel] = version
            elif max_size is None or size <= max_size:
                jobs[local] = (self.client, self.loc.root, rel)
        return jobs

    def record(self, failed: dict) -> None:
        """Write the index (only what is in the cache now), point the run at the cache folder."""
        run, folder = self.run, self.folder
        for rel, _size, version in self.objects:
            local = folder / rel
            if local in failed:
                if failed[local]:
                    run.warnings.append(f"artifact {rel} could not be downloaded ({failed[local]})")
                else:
                    self.index[rel] = version
        folder.mkdir(parents=True, exist_ok=True)
        tmp = self.index_path.with_name(self.index_path.name + ".part")
        tmp.write_text(json.dumps(dict(sorted(self.index.items()))))
        os.replace(tmp, self.index_path)
        run.artifact_dir = str(folder)
        run.artifacts_remote = True
        for rel, size, _version in sorted(self.objects):
            if safe_rel(rel):
                a = ArtifactFile(rel, size, classify(rel))
                if (folder / rel).is_file():
                    a.mtime_ns = (folder / rel).stat().st_mtime_ns
                run.artifacts.append(a)


def fetch_artifacts(runs: list[Run], max_size: int | None) -> None:
    """List each run's objects, download what is missing or changed, point the runs at the cache."""
    fetches = []
    clients: dict[tuple, object] = {}
    for run in runs:
        try:
            loc = locate(run.artifact_uri)
        except ValueError as e:
            run.warnings.append(f"artifacts are in {run.artifact_uri}, which cannot be read ({e})")
            continue
        if loc.client_key not in clients:
            clients[loc.client_key] = _connect(loc)
        client = clients[loc.client_key]
        if isinstance(client, BaseException):
            run.warnings.append(_connect_warning(loc, client))
        else:
            fetches.append(_RunFetch(run, loc, client))
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        endpoints = sorted({f.client.endpoint for f in fetches})
        down = {ep: why for ep, why in zip(endpoints, pool.map(unreachable, endpoints)) if why}
        for f in fetches:
            if f.client.endpoint in down:
                f.error = f"{f.client.endpoint} cannot be reached ({down[f.client.endpoint]})"
        list(pool.map(_RunFetch.list, [f for f in fetches if not f.error]))
        jobs = {}  # one per cache file: two runs may share a location
        for f in fetches:
            if f.error:
                f.run.warnings.append(f"could not list {f.loc.uri}: {f.error}")
            else:
                jobs.update(f.decide(max_size))
        failed = dict(zip(jobs, pool.map(_download, jobs, jobs.values())))
    for f in fetches:
        if not f.error:
            f.record(failed)


def _connect(loc: Location):
    """The client for a location, or the exception that kept it from being made."""
    try:
        return adapter(loc.client_key[0]).connect(loc)
    except Exception as e:  # noqa: BLE001 - ImportError (extra missing) or the store's own errors
        return e


def _connect_warning(loc: Location, e: BaseException) -> str:
    if isinstance(e, ImportError):
        mod = adapter(loc.client_key[0])
        return (
            f"artifacts are in {loc.uri}: reading them needs {mod.PACKAGE} (pip install \"trackreport[{mod.EXTRA}]\")"
        )
    return f"could not read {loc.uri}: {message(e)}"


def unreachable(endpoint: str) -> str | None:
    """Why nothing answers at the endpoint (refused, unknown host, timed out), or None.

    One plain request without retries: any answer, even an HTTP or TLS error, means the store's
    own client can talk to it (and report its own errors)."""
    try:
        urllib.request.urlopen(urllib.request.Request(endpoint, method="HEAD"), timeout=PROBE_TIMEOUT).close()
        return None
    except urllib.error.URLError as e:
        reason = e.reason
    except OSError as e:
        reason = e
    except Exception:  # noqa: BLE001 - anything else is for the store's client to report
        return None
    if isinstance(reason, (ConnectionRefusedError, socket.gaierror, TimeoutError)) or getattr(
        reason, "errno", None
    ) in (errno.ENETUNREACH, errno.EHOSTUNREACH):
        return message(reason)
    return None


def _download(local: Path, job) -> str | None:
    client, root, rel = job
    tmp = local.with_name(local.name + ".part")
    try:
        local.parent.mkdir(parents=True, exist_ok=True)
        client.download(root, rel, str(tmp))
        os.replace(tmp, local)
        return None
    except Exception as e:  # noqa: BLE001
        try:
            tmp.unlink(missing_ok=True)
        except OSError:
            pass
        return message(e)
