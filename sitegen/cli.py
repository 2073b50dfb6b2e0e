"""The ``trackreport`` command line. Thin: it parses options and calls :func:`sitegen.build`.

Exit codes: 0 success (warnings included), 1 unexpected internal error, 2 bad usage,
unreadable store, bad config or unusable output folder, 130 interrupted.
"""
from __future__ import annotations

import logging
import sys
from dataclasses import fields
from pathlib import Path

import click

from sitegen.version import __version__
from sitegen.config import CHART_FORMATS, BuildOptions, ConfigError, find_config, load_config, parse_size

EXIT_OK, EXIT_ERROR, EXIT_USAGE, EXIT_INTERRUPTED = 0, 1, 2, 130
MAX_WARNINGS_SHOWN = 20

log = logging.getLogger("trackreport")


class SizeType(click.ParamType):
    name = "SIZE"

    def convert(self, value, param, ctx):
        if isinstance(value, int):
            return value
        try:
            return parse_size(value)
        except ValueError as e:
            self.fail(str(e), param, ctx)


def _setup_logging(verbose: int, quiet: bool) -> None:
    level = logging.ERROR if quiet else logging.DEBUG if verbose else logging.INFO
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(message)s"))
    log.handlers[:] = [handler]
    log.setLevel(level)
    log.propagate = False


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
    """The options shared by ``build`` and ``watch`` (same names as the config file's keys)."""
    decorators = [
        click.option("--store", "-s", metavar="URI", help="Store to read: a folder, file://, sqlite:///, "
                     "postgresql://, mysql:// or http(s):// URI. "
                     "[default: $MLFLOW_TRACKING_URI, else ./mlflow.db, else ./mlruns]"),
        click.option("--out", "-o", metavar="DIR", default="site", show_default=True,
                     help="Folder to write the site to (replaced atomically; only a folder made by "
                          "trackreport is replaced)."),
        click.option("--artifacts", "-a", metavar="DIR",
                     help="Folder that now holds <experiment_id>/<run_id>/artifacts, for stores that were "
                          "moved (what the server called --default-artifact-root or --artifacts-destination)."),
        click.option("--include-deleted", is_flag=True, help="Also show deleted experiments and runs, marked."),
        click.option("--max-artifact-size", type=SizeType(), metavar="SIZE",
                     help="Do not copy artifacts larger than this (e.g. 50MB); they are listed with a note."),
        click.option("--theme", metavar="DIR", help="Folder with templates/ and static/ that override the default theme."),
        click.option("--title", metavar="TEXT", default="MLflow experiments", show_default=True, help="Site title."),
        click.option("--jobs", "-j", type=click.IntRange(1), metavar="N",
                     help="Worker processes for pages and charts [default: all cores]."),
        click.option("--clean", is_flag=True, help="Ignore the previous build and make every page anew."),
        click.option("--chart-format", type=click.Choice(CHART_FORMATS), default="svg", show_default=True,
                     help="Metric charts as SVG (sharp, fast; the default) or PNG drawn by matplotlib."),
        click.option("--config", "config_path", metavar="FILE",
                     help="Config file [default: ./trackreport.yml if present]."),
        click.option("--verbose", "-v", count=True, help="Say more (every warning, timings)."),
        click.option("--quiet", "-q", is_flag=True, help="Print errors only."),
        click.pass_context,
    ]
    for d in reversed(decorators):
        f = d(f)
    return f


def _load_options(ctx, config_path, flags) -> BuildOptions:
    try:
        return _options(ctx, config_path, flags)
    except ConfigError as e:
        log.error(f"error: {e}")
        sys.exit(EXIT_USAGE)


@main.command(epilog=BUILD_EPILOG)
@build_options
def build(ctx, config_path, verbose, quiet, **flags):
    """Build the static site from an MLflow store."""
    _setup_logging(verbose, quiet)
    options = _load_options(ctx, config_path, flags)
    sys.exit(run_build(options, verbose=verbose, quiet=quiet))


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
@click.option("--host", metavar="ADDRESS", default="127.0.0.1", show_default=True,
              help="Address to serve on: 0.0.0.0 (or ::) to reach the preview from other machines, e.g. a "
                   "remote GPU box.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port for --serve (0 picks a free one).")
@click.option("--poll", is_flag=True, help="Poll the store instead of relying on file-system events.")
@click.option("--interval", type=click.FloatRange(0.05), default=1.0, show_default=True, metavar="SECONDS",
              help="How often --poll looks for changes.")
def watch(ctx, config_path, verbose, quiet, serve, host, port, poll, interval, **flags):
    """Build the site, then rebuild it incrementally whenever the store changes."""
    from sitegen.readers import StoreError
    from sitegen.watcher import Watcher, describe
    from sitegen.writer import OutputError

    _setup_logging(verbose, quiet)
    options = _load_options(ctx, config_path, flags)

    def on_build(result, error):
        if result is not None:
            log.info(describe(result))
            for w in (result.warnings if verbose else []):
                log.warning(f"warning: {w}")

    try:
        watcher = Watcher(options, poll=poll, interval=interval, on_build=on_build)
    except (StoreError, OutputError, FileNotFoundError) as e:
        log.error(f"error: {e}")
        sys.exit(EXIT_USAGE)
    server = None
    if serve:
        from sitegen.preview import PreviewServer
        try:
            server = PreviewServer(options.out, port, host).start()
        except OSError as e:
            log.error(f"error: cannot serve on {host}:{port}: {e.strerror}")
            sys.exit(EXIT_USAGE)
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
    sys.exit(EXIT_OK)


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
@click.option("--repo", metavar="PATH", default=".", show_default=True,
              help="Git repository to publish through.")
@click.option("--remote", metavar="NAME", default="origin", show_default=True, help="Remote to push to.")
@click.option("--branch", metavar="NAME", default="gh-pages", show_default=True, help="Branch to publish on.")
@click.option("--message", "-m", metavar="TEXT", help="Commit message [default: Update trackreport site].")
@click.option("--cname", metavar="DOMAIN", help="Custom domain: writes CNAME on the branch.")
@click.option("--force", is_flag=True, help="Overwrite the remote branch even if it has other commits.")
def publish(ctx, config_path, verbose, quiet, no_build, repo, remote, branch, message, cname, force,
            **flags):
    """Build the site and publish it on a GitHub Pages branch."""
    from sitegen.publish import PublishError, first_publish_hint, publish as do_publish

    _setup_logging(verbose, quiet)
    options = _load_options(ctx, config_path, flags)
    if not no_build:
        code = run_build(options, verbose=verbose, quiet=quiet)
        if code != EXIT_OK:
            sys.exit(code)
    try:
        result = do_publish(options.out, repo=repo, remote=remote, branch=branch, message=message,
                            cname=cname, force=force)
    except PublishError as e:
        log.error(f"error: {e}")
        sys.exit(e.code)
    except KeyboardInterrupt:
        log.error("interrupted; nothing was pushed")
        sys.exit(EXIT_INTERRUPTED)
    for w in result.warnings:
        log.warning(f"warning: {w}")
    log.info(result.summary())
    if result.commit and result.url:
        log.info(f"the site will appear at {result.url}")
    if result.first_publish:
        log.info(first_publish_hint(result))
    sys.exit(EXIT_OK)


@main.command(epilog="""\b
Examples:
  trackreport serve                      # serves ./site on http://127.0.0.1:8000/
  trackreport serve --out public --port 0
  trackreport serve --host 0.0.0.0 --port 8080   # reachable from other machines (a remote GPU box)
""")
@click.option("--out", "-o", metavar="DIR", default="site", show_default=True, help="Folder to serve.")
@click.option("--host", metavar="ADDRESS", default="127.0.0.1", show_default=True,
              help="Address to serve on: 0.0.0.0 (or ::) to reach the preview from other machines, e.g. a "
                   "remote GPU box.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="Port (0 picks a free one).")
def serve(out, host, port):
    """Serve a built site with live reload (for preview; on 127.0.0.1 unless --host)."""
    from sitegen.preview import PreviewServer

    _setup_logging(0, False)
    if not (Path(out) / "index.html").is_file():
        log.error(f"error: no site in {out} (run trackreport build first)")
        sys.exit(EXIT_USAGE)
    try:
        server = PreviewServer(out, port, host)
    except (OSError, UnicodeError) as e:
        log.error(f"error: cannot serve on {host}:{port}: {getattr(e, 'strerror', None) or e}")
        sys.exit(EXIT_USAGE)
    log.info(f"serving {out} on {server.url} (Ctrl-C to stop)")
    try:
        server.httpd.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.httpd.server_close()
    sys.exit(EXIT_OK)


def _options(ctx, config_path, flags) -> BuildOptions:
    values = {}
    path = find_config(config_path)
    if path is not None:
        values.update(load_config(path))
        log.debug(f"config: {path}")
    for name, value in flags.items():
        source = ctx.get_parameter_source(name)
        if source is not None and source.name != "DEFAULT" or name not in values:
            values[name] = value
    known = {f.name for f in fields(BuildOptions)}
    return BuildOptions(**{k: v for k, v in values.items() if k in known})


def run_build(options: BuildOptions, *, verbose: int = 0, quiet: bool = False) -> int:
    from sitegen.builder.pipeline import build as do_build
    from sitegen.readers import StoreError
    from sitegen.writer import OutputError

    bar = _Progress(enabled=not quiet and sys.stderr.isatty())
    try:
        result = do_build(options, progress=bar.update)
    except (StoreError, OutputError) as e:
        bar.close()
        log.error(f"error: {e}")
        return EXIT_USAGE
    except FileNotFoundError as e:
        bar.close()
        log.error(f"error: {e}")
        return EXIT_USAGE
    except KeyboardInterrupt:
        bar.close()
        log.error("interrupted; the previous site (if any) was left as it was")
        return EXIT_INTERRUPTED
    except Exception as e:  # noqa: BLE001 - last line of defence: one line, not a traceback
        bar.close()
        log.error(f"error: build failed: {type(e).__name__}: {e}; the previous site was left as it was"
                  + ("" if verbose else " (run with -v for details)"))
        log.debug("details", exc_info=True)
        return EXIT_ERROR
    bar.close()
    shown = result.warnings if verbose else result.warnings[:MAX_WARNINGS_SHOWN]
    for w in shown:
        log.warning(f"warning: {w}")
    if len(result.warnings) > len(shown):
        log.warning(f"... and {len(result.warnings) - len(shown)} more warnings (use -v to see all)")
    log.info(f"{result.summary()} → {result.out}/index.html")
    return EXIT_OK


class _Progress:
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
