"""Every build option, declared once (MkDocs' ``config_options`` idea).

One :class:`Option` per setting gives its name, kind, default and help. From this table come:

- :class:`sitegen.config.BuildOptions` (a typed dataclass, one field per option);
- the command line's flags (``--max-artifact-size``), shared by ``build``, ``watch`` and
  ``publish`` (:func:`click_options`);
- the config file's keys (``max-artifact-size``; ``max_artifact_size`` is accepted too) and
  their validation (:func:`coerce`), with paths relative to the config file;
- what invalidates every page of an earlier build (``affects_output``);
- the README's option table, which a test checks against this one.

New options (selection, redaction) join here and nowhere else. A leaf module: click is
imported only by :func:`click_options`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

CHART_FORMATS = ("svg", "png")

# kind → (Python type of the value, what a config value must be)
KINDS = {
    "uri": str,  # a store URI or folder; relative folders in a config file: relative to it
    "path": str,  # a folder; relative in a config file: relative to it
    "text": str,
    "flag": bool,
    "size": int,  # bytes; "50MB", "1GiB", "1048576"
    "count": int,  # a whole number >= 1
    "choice": str,
    "list": tuple,  # a repeatable flag; a YAML list (or one value) in the config file
}


@dataclass(frozen=True)
class Option:
    name: str  # the field's name; flag --name-with-dashes; same config key
    kind: str  # one of KINDS
    help: str
    default: Any = None
    short: str | None = None  # e.g. "-s"
    metavar: str | None = None
    choices: tuple[str, ...] = ()
    affects_output: bool = False  # a change makes every page anew
    doc_default: str | None = None  # the README's "default" column, when not the default itself

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    @property
    def key(self) -> str:
        """The config file's key."""
        return self.name.replace("_", "-")


OPTIONS: tuple[Option, ...] = (
    Option(
        "store",
        "uri",
        "Store to read: a folder, file://, sqlite:///, postgresql://, mysql:// or "
        "http(s):// URI. [default: $MLFLOW_TRACKING_URI, else ./mlflow.db, else ./mlruns]",
        short="-s",
        metavar="URI",
        affects_output=True,
        doc_default="see above",
    ),
    Option(
        "out",
        "path",
        "Folder to write the site to (replaced atomically; only a folder made by trackreport is replaced).",
        default="site",
        short="-o",
        metavar="DIR",
    ),
    Option(
        "artifacts",
        "path",
        "Folder that now holds <experiment_id>/<run_id>/artifacts, for stores that "
        "were moved (what the server called --default-artifact-root or --artifacts-destination).",
        short="-a",
        metavar="DIR",
        affects_output=True,
    ),
    Option(
        "include_deleted", "flag", "Also show deleted experiments and runs, marked.", default=False, affects_output=True
    ),
    Option(
        "max_artifact_size",
        "size",
        "Do not copy artifacts larger than this (e.g. 50MB); they are listed with a note.",
        metavar="SIZE",
        affects_output=True,
        doc_default="no limit",
    ),
    Option("theme", "path", "Folder with templates/ and static/ that override the default theme.", metavar="DIR"),
    Option("title", "text", "Site title.", default="MLflow experiments", metavar="TEXT", affects_output=True),
    Option(
        "jobs",
        "count",
        "Worker processes for pages and charts [default: all cores].",
        short="-j",
        metavar="N",
        doc_default="all cores",
    ),
    Option("clean", "flag", "Ignore the previous build and make every page anew.", default=False),
    Option(
        "experiment",
        "list",
        "Publish only this experiment: its name, id, or a glob of names ('sweep-*'); repeatable.",
        default=(),
        metavar="NAME|ID|GLOB",
        affects_output=True,
        doc_default="all",
    ),
    Option(
        "exclude_experiment",
        "list",
        "Do not publish this experiment (name, id or glob); repeatable.",
        default=(),
        metavar="NAME|ID|GLOB",
        affects_output=True,
        doc_default="—",
    ),
    Option(
        "filter",
        "text",
        "Publish only the runs an MLflow search expression selects, as MlflowClient.search_runs(filter_string=...) "
        "would (\"metrics.acc > 0.9 AND tags.release = 'yes'\"); experiments left without runs are not published.",
        metavar="EXPR",
        affects_output=True,
        doc_default="—",
    ),
    Option(
        "no_redact",
        "flag",
        "Publish secrets as they are: do not replace the values of params and tags whose keys look secret, "
        "nor values that are credentials (see the README's Security model).",
        default=False,
        affects_output=True,
    ),
    Option(
        "redact_key",
        "list",
        "Also redact the values of params and tags whose key matches PATTERN (a glob such as '*_dsn', or a "
        "word the key contains); repeatable.",
        default=(),
        metavar="PATTERN",
        affects_output=True,
        doc_default="—",
    ),
    Option(
        "hide_paths",
        "flag",
        "Show local paths (artifact locations, source names) relative to the store, or with the home folder as ~.",
        default=False,
        affects_output=True,
    ),
    Option(
        "hide_users",
        "flag",
        "Show user ids (and the mlflow.user tag) as stable pseudonyms.",
        default=False,
        affects_output=True,
    ),
    Option(
        "noindex",
        "flag",
        "Ask search engines not to index the pages (a robots noindex on every page).",
        default=False,
        affects_output=True,
    ),
    Option(
        "compare_metric",
        "text",
        "The metric that ranks runs in each experiment page's static comparison (shown without JavaScript and "
        "in print) and that the compare page colours by.",
        metavar="KEY",
        affects_output=True,
        doc_default="the metric with a history most runs logged",
    ),
    Option(
        "compare_order",
        "choice",
        "Whether lower (min) or higher (max) values of --compare-metric are better.",
        choices=("min", "max"),
        affects_output=True,
        doc_default="min if the name says loss or error, else max",
    ),
    Option(
        "history_csv",
        "flag",
        "Also write each metric's full history as CSV beside run.json (runs/<run_id>/history/<key>.csv).",
        default=False,
        affects_output=True,
    ),
    Option(
        "chart_format",
        "choice",
        "Metric charts as SVG (sharp, fast; the default) or PNG drawn by matplotlib.",
        default="svg",
        choices=CHART_FORMATS,
        affects_output=True,
    ),
)
BY_NAME = {o.name: o for o in OPTIONS}

_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B?)?\s*$", re.I)
_UNITS = {
    "": 1,
    "B": 1,
    "K": 1e3,
    "KB": 1e3,
    "M": 1e6,
    "MB": 1e6,
    "G": 1e9,
    "GB": 1e9,
    "T": 1e12,
    "TB": 1e12,
    "KI": 1024,
    "KIB": 1024,
    "MI": 1024**2,
    "MIB": 1024**2,
    "GI": 1024**3,
    "GIB": 1024**3,
}


def parse_size(text) -> int:
    """'200MB', '1.5 GiB', '1048576' → bytes. Raises ValueError."""
    if isinstance(text, int):
        return text
    m = _SIZE.match(str(text))
    if not m or (m.group(2) or "").upper() not in _UNITS:
        raise ValueError(f"not a size: {text!r} (examples: 50MB, 1GiB, 1048576)")
    return int(float(m.group(1)) * _UNITS[(m.group(2) or "").upper()])


def coerce(option: Option, value):
    """A config file's value for ``option``, checked and converted. Raises ValueError with
    what was expected."""
    if option.kind == "flag":
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        return value
    if value is None:
        return None
    if option.kind == "size":
        return parse_size(value)
    if option.kind == "count":
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            raise ValueError("expected a positive whole number")
        return value
    if option.kind == "list":
        items = value if isinstance(value, list) else [value]
        if not all(isinstance(v, (str, int, float)) and not isinstance(v, bool) for v in items):
            raise ValueError("expected a list of text values")
        return tuple(str(v) for v in items)
    if option.kind == "choice":
        if value not in option.choices:
            raise ValueError("expected " + " or ".join(option.choices))
        return value
    if not isinstance(value, (str, int, float)) or isinstance(value, bool):
        raise ValueError("expected a text value")
    return str(value)


def click_options(f):
    """Decorate a click command with one flag per option (what ``build``, ``watch`` and
    ``publish`` share)."""
    import click

    class SizeType(click.ParamType):
        name = "SIZE"

        def convert(self, value, param, ctx):
            try:
                return parse_size(value)
            except ValueError as e:
                self.fail(str(e), param, ctx)

    for o in reversed(OPTIONS):
        names = [o.flag] + ([o.short] if o.short else [])
        if o.kind == "flag":
            deco = click.option(*names, is_flag=True, help=o.help)
        elif o.kind == "list":
            deco = click.option(*names, multiple=True, metavar=o.metavar, help=o.help)
        elif o.kind == "choice":
            deco = click.option(*names, type=click.Choice(o.choices), default=o.default, show_default=True, help=o.help)
        else:
            kind = {"size": SizeType(), "count": click.IntRange(1)}.get(o.kind)
            deco = click.option(
                *names, type=kind, metavar=o.metavar, default=o.default, show_default=o.default is not None, help=o.help
            )
        f = deco(f)
    return f
