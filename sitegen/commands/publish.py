"""``trackreport publish``: build (unless --no-build), then commit the site to the Pages branch
and push it (:func:`sitegen.publish.publish`)."""

from __future__ import annotations

from sitegen.commands import log
from sitegen.commands.build import build_and_report
from sitegen.errors import EXIT_INTERRUPTED, EXIT_OK, PublishError


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
    try:
        result = publish(
            options.out, repo=repo, remote=remote, branch=branch, message=message, cname=cname, force=force, fresh=fresh
        )
    except PublishError as e:
        log.error(f"error: {e}")
        return e.exit_code
    except KeyboardInterrupt:
        log.error("interrupted; nothing was pushed")
        return EXIT_INTERRUPTED
    for w in result.warnings:
        log.warning(f"warning: {w}")
    log.info(result.summary())
    if result.commit and result.url:
        log.info(f"the site will appear at {result.url}")
    if result.first_publish:
        log.info(first_publish_hint(result))
    return EXIT_OK
