"""``trackreport serve``: serve a built site with live reload, for preview."""

from __future__ import annotations

from pathlib import Path

from sitegen.commands import log
from sitegen.errors import EXIT_OK, EXIT_USAGE


def run_serve(out: str, *, host: str, port: int) -> int:
    from sitegen.preview import PreviewServer
    from sitegen.writer import recover

    recover(out)  # a build killed while writing: serve the previous site, not half of the new one
    if not (Path(out) / "index.html").is_file():
        log.error(f"error: no site in {out} (run trackreport build first)")
        return EXIT_USAGE
    try:
        server = PreviewServer(out, port, host)
    except (OSError, UnicodeError) as e:
        log.error(f"error: cannot serve on {host}:{port}: {getattr(e, 'strerror', None) or e}")
        return EXIT_USAGE
    log.info(f"serving {out} on {server.url} (Ctrl-C to stop)")
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    return EXIT_OK
