"""Build settings: one typed object, filled from defaults, the config file, then flags.

The fields of :class:`BuildOptions` are the options declared in :mod:`sitegen.options`
(one declaration for the dataclass, the flags and the config file's keys).
"""

from __future__ import annotations

import os
from dataclasses import field, fields, make_dataclass
from pathlib import Path

from sitegen.errors import ConfigError  # noqa: F401  (re-exported)
from sitegen.options import BY_NAME, CHART_FORMATS, KINDS, OPTIONS, coerce, parse_size  # noqa: F401

CONFIG_NAMES = ("trackreport.yml", "trackreport.yaml")


def _output_key(self) -> dict:
    """Options that change what pages contain (a change re-renders everything)."""
    return {o.name: getattr(self, o.name) for o in OPTIONS if o.affects_output}


BuildOptions = make_dataclass(
    "BuildOptions",
    [(o.name, KINDS[o.kind] | None if o.default is None else KINDS[o.kind], field(default=o.default)) for o in OPTIONS],
    namespace={"output_key": _output_key, "__module__": __name__},
    slots=True,
)
BuildOptions.__doc__ = (
    "Everything a build needs to know: one field per option of sitegen.options "
    "(the flag's name with underscores), e.g. BuildOptions(store='./mlruns', "
    "out='site', max_artifact_size=50_000_000)."
)


def find_config(path: str | None) -> Path | None:
    """The config file: ``path`` if given (ConfigError if missing), else ./trackreport.yml."""
    if path:
        p = Path(path)
        if not p.is_file():
            raise ConfigError(f"config file not found: {p}")
        return p
    for name in CONFIG_NAMES:
        if Path(name).is_file():
            return Path(name)
    return None


def load_config(path: Path) -> dict:
    """Read a config file: {field name: value}. Keys are the flags' names (``max-artifact-size``
    or ``max_artifact_size``). Raises ConfigError naming the key and its line."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror})") from e
    import yaml  # only when there is a config file: a fast start matters for small builds

    try:
        node = yaml.compose(text)
        data = yaml.safe_load(text)
    except yaml.YAMLError as e:
        mark = getattr(e, "problem_mark", None)
        where = f" line {mark.line + 1}" if mark else ""
        raise ConfigError(f"{path}{where}: not valid YAML ({getattr(e, 'problem', e)})") from e
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"{path}: expected a mapping of option names to values")
    lines = {}
    if node is not None and hasattr(node, "value"):
        for k, _v in node.value:
            lines[str(k.value)] = k.start_mark.line + 1
    out = {}
    for key, value in data.items():
        name = str(key).replace("-", "_")
        line = lines.get(str(key), "?")
        if name not in BY_NAME:
            raise ConfigError(
                f"{path} line {line}: unknown option '{key}' (known: {', '.join(sorted(o.key for o in OPTIONS))})"
            )
        try:
            out[name] = coerce(BY_NAME[name], value)
        except ValueError as e:
            raise ConfigError(f"{path} line {line}: option '{key}': {e}") from e
    # Relative paths in a config file are relative to the file, not to the working folder.
    base = path.resolve().parent
    for name, value in out.items():
        kind = BY_NAME[name].kind
        if (
            isinstance(value, str)
            and kind in ("path", "uri")
            and not os.path.isabs(value)
            and not (kind == "uri" and "://" in value)
        ):
            out[name] = str(base / value)
    return out


def merge(config: dict, flags: dict, given: set[str]) -> "BuildOptions":
    """The options of a command: the config file's values, overridden by the flags the user
    gave (``given``); flags left at their defaults do not override the file."""
    values = dict(config)
    for name, value in flags.items():
        if name in given or name not in values:
            values[name] = value
    known = {f.name for f in fields(BuildOptions)}
    return BuildOptions(**{k: v for k, v in values.items() if k in known})
