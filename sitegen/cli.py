"""The ``trackreport`` command line: click declarations only. Each verb's work is a module
of :mod:`sitegen.commands`; the shared build options come from :mod:`sitegen.options`.

Exit codes (:mod:`sitegen.errors`): 0 success (warnings included), 1 unexpected internal
error, 2 bad usage, unreadable store, bad config or unusable output folder, 3/4 publish
rejected/failed, 130 interrupted.
"""

from __future__ import annotations

import sys

import click

from sitegen.commands import load_options, setup_logging
from sitegen.options import click_options
from sitegen.version import __version__

HOST_HELP = "Address to serve on: 0.0.0.0 (or ::) to reach the preview from other machines, e.g. a remote GPU box."


@click.group(context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, "-V", "--version", prog_name="trackreport")
def main():
    """Turn an MLflow tracking store into a static website: no server needed to read it.

    \b
    Examples:
      trackreport build --store ./mlruns --out site/
      trackreport build --store sqlite:///mlflow.db --artifacts ./mlruns --out site/
      trackreport watch --store ./mlruns --out site/ --serve
      trackreport publish --store ./mlruns --out site/
      trackreport serve --out site/
    """


BUILD_EPILOG = """\b
Examples:
  trackreport build --store sample_mlruns --out site/
  trackreport build --store ./mlruns --out site/ --include-deleted
  trackreport build --store sqlite:///mlflow.db --artifacts ./mlartifacts --out site/
  trackreport build --store sqlite:////abs/path/mlflow.db --max-artifact-size 50MB
  trackreport build                      # store from $MLFLOW_TRACKING_URI, ./mlflow.db or ./mlruns

\b
Store: a file store folder (./mlruns, file:///abs/mlruns), a SQLite database
(sqlite:///relative.db, sqlite:////absolute.db), a database server
(postgresql://user:pw@host/db, mysql://…; pip install "trackreport[postgres]" or
"[mysql]") or a tracking server (http(s)://host:5000, through its REST API; auth from
MLFLOW_TRACKING_TOKEN or MLFLOW_TRACKING_USERNAME/PASSWORD). It is only ever read.

\b
Artifacts of each run are looked for, in order: at the location MLflow recorded; under
--artifacts DIR as DIR/<experiment_id>/<run_id>/artifacts (or DIR/<path> for
mlflow-artifacts:/<path>); next to the store (the file store's own <exp>/<run>/artifacts,
or mlruns/, mlartifacts/, artifacts/ beside a database).

\b
Config file: trackreport.yml in the working folder (or --config FILE) holds the same
options as the flags, e.g.
    store: ./mlruns
    out: site
    max-artifact-size: 50MB
    include-deleted: true
Flags given on the command line win over the file. Relative paths in the file are
relative to the file.

\b
Exit codes: 0 built (possibly with warnings), 1 internal error, 2 bad usage, store,
config or output folder, 130 interrupted.
"""


def build_options(f):
    """The options shared by ``build``, ``watch`` and ``publish`` (sitegen.options), plus
    --config, -v and -q."""
    f = click.option("--quiet", "-q", is_flag=True, help="Print errors only.")(f)
    f = click.option("--verbose", "-v", count=True, help="Say more (every warning, timings).")(f)
    f = click.option(
        "--config", "config_path", metavar="FILE", help="Config file [default: ./trackreport.yml if present]."
    )(f)
    return click.pass_context(click_options(f))


def _options(ctx, config_path, flags):
    given = {name for name in flags if (src := ctx.get_parameter_source(name)) is not None and src.name != "DEFAULT"}
    return load_options(config_path, flags, given)


DRY_RUN_HELP = (
    "List what would be published (experiments, runs, artifacts and bytes, what is redacted) and write nothing."
)


@main.command(epilog=BUILD_EPILOG)
@build_options
@click.option("--dry-run", is_flag=True, help=DRY_RUN_HELP)
def build(ctx, config_path, verbose, quiet, dry_run, **flags):
    """Build the static site from an MLflow store."""
    from sitegen.commands.build import run_build, run_dry

    setup_logging(verbose, quiet)
    options = _options(ctx, config_path, flags)
    sys.exit(run_dry(options) if dry_run else run_build(options, verbose=verbose, quiet=quiet))


WATCH_EPILOG = """\b
Examples:
  trackreport watch --store ./mlruns --out site/
  trackreport watch --store sqlite:///mlflow.db --artifacts ./mlruns --out site/ --serve
  trackreport watch --poll --interval 2        # network or FUSE file systems without events

\b
watch builds once (incrementally, like build), then follows the store: file-system
events on the store folder (or the SQLite file and its -wal/-journal) trigger an
incremental rebuild; a burst of events is coalesced. Half-written data is normal while
runs log: it is picked up on the next round. One line is printed per rebuild.
--poll checks for changes every --interval seconds instead of relying on events (for
network, FUSE or container-mounted folders where events are unreliable).
--serve also serves the site on http://127.0.0.1:PORT/ and reloads a page in the
browser when it changes; the built files themselves contain no reload code.
Ctrl-C stops cleanly. Options and config file as for build.
"""


@main.command(epilog=WATCH_EPILOG)
@build_options
@click.option("--serve", is_flag=True, help="Also serve the site (on --host, 127.0.0.1) with live reload.")
@click.option("--host", metavar="ADDRESS", default="127.0.0.1", show_default=True, help=HOST_HELP)
@click.option(
    "--port",
    type=click.IntRange(0, 65535),
    default=8000,
    show_default=True,
    help="Port for --serve (0 picks a free one).",
)
@click.option("--poll", is_flag=True, help="Poll the store instead of relying on file-system events.")
@click.option(
    "--interval",
    type=click.FloatRange(0.05),
    default=1.0,
    show_default=True,
    metavar="SECONDS",
    help="How often --poll looks for changes.",
)
def watch(ctx, config_path, verbose, quiet, serve, host, port, poll, interval, **flags):
    """Build the site, then rebuild it incrementally whenever the store changes."""
    from sitegen.commands.watch import run_watch

    setup_logging(verbose, quiet)
    sys.exit(
        run_watch(
            _options(ctx, config_path, flags),
            serve=serve,
            host=host,
            port=port,
            poll=poll,
            interval=interval,
            verbose=verbose,
        )
    )


PUBLISH_EPILOG = """\b
Examples:
  trackreport publish --store ./mlruns --out site/
  trackreport publish --out site/ --no-build --remote upstream --branch pages --message "sweep 12 results"
  trackreport publish --out site/ --cname results.example.org
  trackreport publish --store /data/mlruns --out /tmp/site --repo ~/code/results-site

\b
publish builds the site (incrementally, like build) unless --no-build, then commits it
on top of the Pages branch with ghp-import and pushes it with your own git (your
credentials and config). Your working tree, index, current branch and stash are never
touched; only the files of --out go to the branch (plus .nojekyll, and CNAME with
--cname). Each publish adds one commit holding just the changed files; nothing is
force-pushed unless --force. --repo names the repository to publish through when the
store or the site is not inside one.

\b
Before pushing, the site is checked against GitHub's limits: a file over 100 MB is
refused (rebuild with --max-artifact-size), over 50 MB or a site over 1 GB warns.

\b
Exit codes: 0 published (or nothing changed), 2 bad usage, store, config, output,
git missing, not a repository, no such remote, or a file over 100 MB; 3 push rejected
(the remote branch moved on: pull it or use --force); 4 push failed (authentication,
network).
"""


@main.command(epilog=PUBLISH_EPILOG)
@build_options
@click.option("--no-build", is_flag=True, help="Publish --out as it is, without building first.")
@click.option("--repo", metavar="PATH", default=".", show_default=True, help="Git repository to publish through.")
@click.option("--remote", metavar="NAME", default="origin", show_default=True, help="Remote to push to.")
@click.option("--branch", metavar="NAME", default="gh-pages", show_default=True, help="Branch to publish on.")
@click.option("--message", "-m", metavar="TEXT", help="Commit message [default: Update trackreport site].")
@click.option("--cname", metavar="DOMAIN", help="Custom domain: writes CNAME on the branch.")
@click.option("--force", is_flag=True, help="Overwrite the remote branch even if it has other commits.")
@click.option(
    "--fresh",
    is_flag=True,
    help="Replace the branch's whole history with one commit (force-pushed): what earlier publishes "
    "pushed is then in no commit of the branch. Rotate any secret that was ever pushed.",
)
@click.option("--dry-run", is_flag=True, help=DRY_RUN_HELP)
def publish(
    ctx, config_path, verbose, quiet, no_build, repo, remote, branch, message, cname, force, fresh, dry_run, **flags
):
    """Build the site and publish it on a GitHub Pages branch."""
    from sitegen.commands.build import run_dry
    from sitegen.commands.publish import run_publish

    setup_logging(verbose, quiet)
    if dry_run:
        sys.exit(run_dry(_options(ctx, config_path, flags)))
    sys.exit(
        run_publish(
            _options(ctx, config_path, flags),
            no_build=no_build,
            repo=repo,
            remote=remote,
            branch=branch,
            message=message,
            cname=cname,
            force=force,
            fresh=fresh,
            verbose=verbose,
            quiet=quiet,
        )
    )


@main.command(
    epilog="""\b
Examples:
  trackreport serve                      # serves ./site on http://127.0.0.1:8000/
  trackreport serve --out public --port 0
  trackreport serve --host 0.0.0.0 --port 8080   # reachable from other machines (a remote GPU box)
"""
)
@click.option("--out", "-o", metavar="DIR", default="site", show_default=True, help="Folder to serve.")
@click.option("--host", metavar="ADDRESS", default="127.0.0.1", show_default=True, help=HOST_HELP)
@click.option(
    "--port", type=click.IntRange(0, 65535), default=8000, show_default=True, help="Port (0 picks a free one)."
)
def serve(out, host, port):
    """Serve a built site with live reload (for preview; on 127.0.0.1 unless --host)."""
    from sitegen.commands.serve import run_serve

    setup_logging(0, False)
    sys.exit(run_serve(out, host=host, port=port))
