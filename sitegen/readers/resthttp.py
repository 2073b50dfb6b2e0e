"""HTTP for the REST reader: MLflow's client variables for auth and TLS, timeouts, retries.

``MLFLOW_TRACKING_TOKEN`` (bearer token), ``MLFLOW_TRACKING_USERNAME`` /
``MLFLOW_TRACKING_PASSWORD`` (basic auth), ``MLFLOW_TRACKING_INSECURE_TLS`` and
``MLFLOW_TRACKING_SERVER_CERT_PATH``. Retries with backoff on 429/5xx and dropped connections.
"""

from __future__ import annotations

import base64
import json
import os
import ssl
import time
import urllib.error
import urllib.parse
import urllib.request

from sitegen.errors import StoreError

TIMEOUT = 60
RETRIES = 5


class HttpError(Exception):
    """The server answered with an HTTP error (other than 401/403, which stop the build)."""

    def __init__(self, code: int, message: str):
        super().__init__(message)
        self.code = code


class HttpClient:
    def __init__(self, base: str):
        self.base = base.rstrip("/")
        self._headers = {"User-Agent": "trackreport", "Content-Type": "application/json"}
        token = os.environ.get("MLFLOW_TRACKING_TOKEN")
        user, password = os.environ.get("MLFLOW_TRACKING_USERNAME"), os.environ.get("MLFLOW_TRACKING_PASSWORD")
        if token:
            self._headers["Authorization"] = f"Bearer {token}"
        elif user and password:
            cred = base64.b64encode(f"{user}:{password}".encode()).decode()
            self._headers["Authorization"] = f"Basic {cred}"
        self._ssl = None
        if self.base.startswith("https"):
            if os.environ.get("MLFLOW_TRACKING_INSECURE_TLS", "").lower() == "true":
                self._ssl = ssl._create_unverified_context()  # noqa: S323 - the user asked for it
            else:
                self._ssl = ssl.create_default_context(cafile=os.environ.get("MLFLOW_TRACKING_SERVER_CERT_PATH"))

    def request(self, method: str, path: str, *, params=None, body: dict | None = None, raw: bool = False):
        """``params``: a dict, or a list of pairs for repeated names (``run_id=a&run_id=b``)."""
        url = f"{self.base}/{path.lstrip('/')}"
        if params:
            url += "?" + urllib.parse.urlencode(params, doseq=True)
        data = json.dumps(body).encode() if body is not None else None
        delay = 0.5
        for attempt in range(RETRIES):
            req = urllib.request.Request(url, data=data, method=method, headers=self._headers)
            try:
                with urllib.request.urlopen(req, timeout=TIMEOUT, context=self._ssl) as resp:
                    payload = resp.read()
                return payload if raw else json.loads(payload or b"{}")
            except urllib.error.HTTPError as e:
                if e.code in (401, 403):
                    raise StoreError(
                        f"the tracking server {self.base} refused access ({e.code}): set "
                        "MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD"
                    ) from None
                if e.code == 429 or e.code >= 500:
                    if attempt + 1 < RETRIES:
                        time.sleep(delay)
                        delay *= 2
                        continue
                detail = e.read()[:300].decode("utf-8", "replace")
                raise HttpError(e.code, f"{method} {path}: HTTP {e.code} {detail}") from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
                if attempt + 1 < RETRIES:
                    time.sleep(delay)
                    delay *= 2
                    continue
                reason = getattr(e, "reason", e)
                raise StoreError(f"cannot reach the tracking server {self.base}: {reason}") from None
        raise StoreError(f"the tracking server {self.base} kept failing")  # pragma: no cover

    def api(self, method: str, endpoint: str, **kw):
        return self.request(method, f"api/2.0/mlflow/{endpoint}", **kw)

    def pages(self, method: str, endpoint: str, key: str, body: dict):
        """Every item of a paginated answer (``next_page_token``); GET sends ``body`` as parameters."""
        token = None
        while True:
            req = dict(body, **({"page_token": token} if token else {}))
            if method == "GET":
                resp = self.api("GET", endpoint, params=req)
            else:
                resp = self.api("POST", endpoint, body=req)
            yield from resp.get(key, [])
            token = resp.get("next_page_token")
            if not token:
                return
