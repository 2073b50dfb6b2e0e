"""``trackreport watch``: build, then rebuild incrementally whenever the store changes;
optionally serve the site with live reload."""

from __future__ import annotations

from sitegen.commands import log
from sitegen.errors import EXIT_OK, EXIT_USAGE, TrackreportError


def run_watch(options, *, serve: bool, host: str, port: int, poll: bool, interval: float, verbose: int = 0) -> int:
    from sitegen.watcher import Watcher, describe

    def on_build(result, error):
        if result is not None:
            log.info(describe(result))
            for w in result.warnings if verbose else []:
                log.warning(f"warning: {w}")

    try:
        watcher = Watcher(options, poll=poll, interval=interval, on_build=on_build)
    except TrackreportError as e:
        log.error(f"error: {e}")
        return e.exit_code
    server = None
    if serve:
        from sitegen.preview import PreviewServer

        try:
            server = PreviewServer(options.out, port, host).start()
        except (OSError, UnicodeError) as e:
            log.error(f"error: cannot serve on {host}:{port}: {getattr(e, 'strerror', None) or e}")
            return EXIT_USAGE
        log.info(f"serving {options.out} on {server.url} (live reload)")
    log.info(f"watching {watcher.builder.uri} → {options.out} (Ctrl-C to stop)")
    try:
        watcher.run()
    except KeyboardInterrupt:
        watcher.stop()
        log.info("stopped")
    finally:
        if server is not None:
            server.stop()
    return EXIT_OK
