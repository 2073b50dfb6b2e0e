"""One module per command-line verb (``build``, ``watch``, ``serve``, ``publish``): each takes
options already parsed by :mod:`sitegen.cli`, calls the library, prints what a person needs
and returns the exit code (:mod:`sitegen.errors`). What they share is here: logging to
stderr and the options of a command (config file, then flags)."""

from __future__ import annotations

import logging
import sys

from sitegen.errors import EXIT_USAGE, ConfigError

log = logging.getLogger("trackreport")


def stop_on_sigterm() -> None:
    """SIGTERM (what systemd, Docker and CI cancellation send) ends a command at once with exit
    code 130, as an interrupted one: a build's staging files and a half-made commit are rolled
    back by the next command (sitegen.writer.recover), so the previous site stays, and worker
    processes end within a second of their parent (they watch it). Exiting at once, rather than
    raising in whatever code the signal interrupts, never hangs on a worker pool's locks."""
    import os
    import signal

    def end(signum, frame):
        try:
            from sitegen.process import remove_temporary_folders

            remove_temporary_folders()  # a SQLite store's rolled-back copy (readers.sqlitehot)
            sys.stderr.write("interrupted (SIGTERM); the previous site (if any) was left as it was\n")
            sys.stderr.flush()
        finally:
            os._exit(130)

    signal.signal(signal.SIGTERM, end)


def setup_logging(verbose: int, quiet: bool) -> None:
    """Messages on stderr: errors only with -q, details with -v. (Every command calls this
    first, so it also makes SIGTERM stop the command cleanly: stop_on_sigterm.)"""
    stop_on_sigterm()
    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


def load_options(config_path: str | None, flags: dict, given: set[str]):
    """The command's BuildOptions: the config file (``config_path`` or ./trackreport.yml),
    overridden by the flags the user gave. Exits with 2 on a bad config."""
    from sitegen.config import find_config, load_config, merge

    try:
        path = find_config(config_path)
        config = load_config(path) if path is not None else {}
    except ConfigError as e:
        log.error(f"error: {e}")
        sys.exit(EXIT_USAGE)
    if path is not None:
        log.debug(f"config: {path}")
    return merge(config, flags, given)
