"""Local preview: serve the output folder on 127.0.0.1 and reload pages that change.

The reload code is added to HTML responses by this server only: the built files contain
none and still need no server. The script asks ``/__trackreport__/mtime?path=...`` about
the page it shows once a second and reloads when that file's modification time changes
(pages are replaced atomically on each rebuild, unchanged pages keep their mtime).
"""

from __future__ import annotations

import json
import os
import socket
import threading
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

# The live-reload code: a script file the preview server serves (pages allow only script
# files: their Content-Security-Policy forbids inline script), added to pages as it serves them.
RELOAD_JS = b"""(function(){var p=location.pathname,last=null;
function check(){fetch("/__trackreport__/mtime?path="+encodeURIComponent(p),{cache:"no-store"})
.then(function(r){return r.json()}).then(function(d){if(last!==null&&d.mtime!==last){location.reload();return}
last=d.mtime;setTimeout(check,1000)}).catch(function(){setTimeout(check,2000)})}check()})();
"""
RELOAD_SCRIPT = b'<script src="/__trackreport__/reload.js"></script>'


class PreviewHandler(SimpleHTTPRequestHandler):
    server_version = "trackreport-preview"

    def __init__(self, *args, root: str, **kwargs):
        self.root = root
        super().__init__(*args, directory=root, **kwargs)

    def log_message(self, format, *args):  # keep the terminal for build lines
        pass

    def _file_for(self, url_path: str) -> Path | None:
        rel = unquote(url_path).lstrip("/")
        p = (Path(self.root) / rel).resolve()
        root = Path(self.root).resolve()
        if p != root and root not in p.parents:
            return None
        if p.is_dir():
            p = p / "index.html"
        return p

    def do_GET(self):
        parts = urlsplit(self.path)
        if parts.path == "/__trackreport__/mtime":
            target = self._file_for(parse_qs(parts.query).get("path", ["/"])[0])
            try:
                mtime = target.stat().st_mtime_ns if target else None
            except OSError:
                mtime = None
            self._send(json.dumps({"mtime": mtime}).encode(), "application/json")
            return
        if parts.path == "/__trackreport__/reload.js":
            self._send(RELOAD_JS, "text/javascript; charset=utf-8")
            return
        target = self._file_for(parts.path)
        if target is not None and target.suffix == ".html" and target.is_file():
            try:
                html = target.read_bytes()
            except OSError:
                self.send_error(404)
                return
            idx = html.rfind(b"</body>")
            html = html[:idx] + RELOAD_SCRIPT + html[idx:] if idx >= 0 else html + RELOAD_SCRIPT
            self._send(html, "text/html; charset=utf-8")
            return
        super().do_GET()

    def _send(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()  # adds Cache-Control: no-store
        self.wfile.write(body)

    def end_headers(self):
        self.send_header("Cache-Control", "no-store")
        super().end_headers()


class _IPv6Server(ThreadingHTTPServer):
    address_family = socket.AF_INET6


class PreviewServer:
    """A threaded HTTP server for ``root`` on ``host`` (127.0.0.1 unless told otherwise;
    ``0.0.0.0`` or ``::`` to reach it from other machines); port 0 picks a free one."""

    def __init__(self, root: str | os.PathLike, port: int = 8000, host: str = "127.0.0.1"):
        self.root = str(Path(root).absolute())
        server_class = _IPv6Server if ":" in host else ThreadingHTTPServer
        self.httpd = server_class((host, port), partial(PreviewHandler, root=self.root))
        self.httpd.daemon_threads = True
        self.thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"

    def start(self) -> "PreviewServer":
        self.thread = threading.Thread(target=self.httpd.serve_forever, name="trackreport-preview", daemon=True)
        self.thread.start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
