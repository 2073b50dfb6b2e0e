"""``trackreport publish``: build (unless --no-build), then commit the site to the Pages branch
and push it (:func:`sitegen.publish.publish`)."""

from __future__ import annotations

import contextlib

from sitegen.commands import log
from sitegen.commands.build import build_and_report
from sitegen.errors import EXIT_INTERRUPTED, EXIT_OK, TrackreportError
from sitegen.process import checkpoint


def run_publish(
    options,
    *,
    no_build: bool,
    repo: str,
    remote: str,
    branch: str,
    message: str | None,
    cname: str | None,
    force: bool,
    fresh: bool = False,
    verbose: int = 0,
    quiet: bool = False,
) -> int:
    from sitegen.publish import first_publish_hint, publish

    if not no_build:
        code, built = build_and_report(options, verbose=verbose, quiet=quiet)
        if code != EXIT_OK:
            return code
        if built.home_paths:
            log.warning(
                f"warning: {built.home_paths} value{'s' if built.home_paths != 1 else ''} of the site show a home "
                "folder (artifact locations, source names) and are about to be published: --hide-paths shows them "
                "relative to the store, or with the home folder as ~"
            )
    out, state = options.out, f"the {branch} branch and {remote} hold the previous site or the complete new one"
    try:
        with _exit_on_signals(state):
            checkpoint("publish-built")
            result = publish(
                out, repo=repo, remote=remote, branch=branch, message=message, cname=cname, force=force, fresh=fresh
            )
    except TrackreportError as e:
        log.error(f"error: {e}")
        return e.exit_code
    except KeyboardInterrupt:  # SIGINT outside the main thread's handler (a library caller)
        log.error(f"interrupted; {state}")
        return EXIT_INTERRUPTED
    for w in result.warnings:
        log.warning(f"warning: {w}")
    log.info(result.summary())
    if result.commit and result.url:
        log.info(f"the site will appear at {result.url}")
    if result.first_publish:
        log.info(first_publish_hint(result))
    return EXIT_OK


@contextlib.contextmanager
def _exit_on_signals(state: str):
    """SIGTERM and SIGINT while publishing end the command at once with exit code 130 and one
    line. Exiting at once is safe at every moment of a publish (the branch moves to a complete
    commit in one step, the remote takes a push whole or not at all: tests/test_publish_kill.py),
    and it never leaves a git command half-fed by an unwinding Python."""
    import os
    import signal
    import sys
    import threading

    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def end(signum, frame):
        try:
            sys.stderr.write(f"interrupted ({signal.Signals(signum).name}); {state}: publish again to finish\n")
            sys.stderr.flush()
        finally:
            os._exit(EXIT_INTERRUPTED)

    old = {s: signal.signal(s, end) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        yield
    finally:
        for s, handler in old.items():
            signal.signal(s, handler)
