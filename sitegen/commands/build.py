"""``trackreport build``: build the site once, with a progress bar on a terminal and one
summary line."""

from __future__ import annotations

import errno
import sys

from sitegen.commands import log
from sitegen.errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_OK, EXIT_USAGE, TrackreportError

MAX_WARNINGS_SHOWN = 20


def run_build(options, *, verbose: int = 0, quiet: bool = False) -> int:
    """Build with ``options`` (BuildOptions); print warnings and the summary; the exit code."""
    return build_and_report(options, verbose=verbose, quiet=quiet)[0]


def build_and_report(options, *, verbose: int = 0, quiet: bool = False):
    """(exit code, BuildResult or None): build, printing warnings and the summary line."""
    from sitegen.builder.pipeline import build

    bar = Progress(enabled=not quiet and sys.stderr.isatty())
    try:
        result = build(options, progress=bar.update)
    except TrackreportError as e:
        bar.close()
        log.error(f"error: {e}")
        return e.exit_code, None
    except KeyboardInterrupt:
        bar.close()
        log.error("interrupted; the previous site (if any) was left as it was")
        return EXIT_INTERRUPTED, None
    except OSError as e:
        bar.close()
        if e.errno not in _ENVIRONMENT:
            return _failed(e, verbose), None
        # the machine's doing, not a bug: a full or read-only disk, no permission
        where = f": {e.filename}" if e.filename else f" (writing {options.out})"
        log.error(f"error: {e.strerror}{where}; the previous site was left as it was")
        return EXIT_USAGE, None
    except Exception as e:  # noqa: BLE001 - last line of defence: one line, not a traceback
        bar.close()
        return _failed(e, verbose), None
    bar.close()
    shown = result.warnings if verbose else result.warnings[:MAX_WARNINGS_SHOWN]
    for w in shown:
        log.warning(f"warning: {w}")
    if len(result.warnings) > len(shown):
        log.warning(f"... and {len(result.warnings) - len(shown)} more warnings (use -v to see all)")
    log.info(f"{result.summary()} → {result.out}/index.html")
    return EXIT_OK, result


_ENVIRONMENT = {errno.ENOSPC, errno.EDQUOT, errno.EROFS, errno.EACCES, errno.EPERM, errno.EMFILE, errno.ENFILE}


def _failed(e: Exception, verbose: int) -> int:
    """An unexpected error: one line (details with -v); exit code 1."""
    log.error(
        f"error: build failed: {type(e).__name__}: {e}; the previous site was left as it was"
        + ("" if verbose else " (run with -v for details)")
    )
    log.debug("details", exc_info=True)
    return EXIT_ERROR


def run_dry(options) -> int:
    """``--dry-run``: print what a build would publish; write nothing. The exit code."""
    from sitegen.builder.pipeline import SiteBuilder

    try:
        with SiteBuilder(options) as builder:
            report = builder.dry_run()
    except TrackreportError as e:
        log.error(f"error: {e}")
        return e.exit_code
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    for w in report.warnings:
        log.warning(f"warning: {w}")
    for line in report.lines():
        log.info(line)
    return EXIT_OK


class Progress:
    """A one-line progress bar on stderr for long builds (only on a terminal)."""

    def __init__(self, enabled: bool):
        self.enabled = enabled
        self.shown = False

    def update(self, done: int, total: int) -> None:
        if not self.enabled or total < 20:
            return
        width = 30
        filled = int(width * done / total)
        sys.stderr.write(f"\rrendering runs [{'#' * filled}{'.' * (width - filled)}] {done}/{total}")
        sys.stderr.flush()
        self.shown = True

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\r" + " " * 70 + "\r")
            sys.stderr.flush()
            self.shown = False
