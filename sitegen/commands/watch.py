"""``trackreport watch``: build, then rebuild incrementally whenever the store changes;
optionally serve the site with live reload."""

from __future__ import annotations

from sitegen.commands import log
from sitegen.errors import EXIT_OK, EXIT_USAGE, TrackreportError


def run_watch(options, *, serve: bool, host: str, port: int, poll: bool, interval: float, verbose: int = 0) -> int:
    from sitegen.watcher import Watcher, describe

    lines = WarningLines(verbose)

    def on_build(result, error):
        if result is not None:
            log.info(describe(result))
            for line in lines(result.warnings):
                log.warning(line)

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


class WarningLines:
    """The warning lines a rebuild prints: those the previous rebuild did not have (a damaged
    file is named once, not at every rebuild; one that comes back is named again), at most
    MAX_WARNINGS_SHOWN of them; with ``verbose``, every warning every time."""

    def __init__(self, verbose: int = 0):
        self.verbose = verbose
        self.seen: set[str] = set()

    def __call__(self, warnings: list[str]) -> list[str]:
        from sitegen.commands.build import MAX_WARNINGS_SHOWN

        new = warnings if self.verbose else [w for w in warnings if w not in self.seen]
        shown = new if self.verbose else new[:MAX_WARNINGS_SHOWN]
        self.seen = set(warnings)
        out = [f"warning: {w}" for w in shown]
        if len(new) > len(shown):
            out.append(f"... and {len(new) - len(shown)} more new warnings (use -v to see all)")
        return out
