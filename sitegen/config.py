"""Build settings: one typed object, filled from defaults, the config file, then flags."""
from __future__ import annotations

import os
import re
from dataclasses import dataclass, field, fields
from pathlib import Path

CONFIG_NAMES = ("trackreport.yml", "trackreport.yaml")
CHART_FORMATS = ("svg", "png")


from sitegen.errors import ConfigError  # noqa: F401  (re-exported)


@dataclass(slots=True)
class BuildOptions:
    """Everything a build needs to know. Field names are the flags' names (dashes → underscores)."""
    store: str | None = None            # None: $MLFLOW_TRACKING_URI, ./mlflow.db, ./mlruns
    out: str = "site"
    artifacts: str | None = None        # folder holding <experiment_id>/<run_id>/artifacts
    theme: str | None = None            # folder with templates/ and static/ overriding the default
    title: str = "MLflow experiments"
    include_deleted: bool = False
    max_artifact_size: int | None = None  # bytes; larger artifacts are listed, not copied
    jobs: int | None = None             # chart worker processes (default: all cores)
    clean: bool = False                 # ignore the previous build and make everything anew
    chart_format: str = "svg"           # "svg" (drawn by trackreport) or "png" (matplotlib)
    extra: dict = field(default_factory=dict)

    def output_key(self) -> dict:
        """Options that change what pages contain (a change re-renders everything)."""
        return {"title": self.title, "include_deleted": self.include_deleted,
                "max_artifact_size": self.max_artifact_size, "artifacts": self.artifacts,
                "store": self.store, "chart_format": self.chart_format}


_SIZE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([KMGT]?i?B?)?\s*$", re.I)
_UNITS = {"": 1, "B": 1, "K": 1e3, "KB": 1e3, "M": 1e6, "MB": 1e6, "G": 1e9, "GB": 1e9, "T": 1e12,
          "TB": 1e12, "KI": 1024, "KIB": 1024, "MI": 1024**2, "MIB": 1024**2, "GI": 1024**3,
          "GIB": 1024**3}


def parse_size(text) -> int:
    """'200MB', '1.5 GiB', '1048576' → bytes."""
    if isinstance(text, int):
        return text
    m = _SIZE.match(str(text))
    if not m or (m.group(2) or "").upper() not in _UNITS:
        raise ValueError(f"not a size: {text!r} (examples: 50MB, 1GiB, 1048576)")
    return int(float(m.group(1)) * _UNITS[(m.group(2) or "").upper()])


def find_config(path: str | None) -> Path | None:
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
    """Read a config file; keys are flag names (``max-artifact-size`` or ``max_artifact_size``)."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise ConfigError(f"{path}: cannot read ({e.strerror})") from e
    import yaml   # only when there is a config file: a fast start matters for small builds

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
    known = {f.name: f for f in fields(BuildOptions) if f.name != "extra"}
    out = {}
    for key, value in data.items():
        name = str(key).replace("-", "_")
        line = lines.get(str(key), "?")
        if name not in known:
            raise ConfigError(f"{path} line {line}: unknown option '{key}' "
                              f"(known: {', '.join(sorted(k.replace('_', '-') for k in known))})")
        try:
            out[name] = _coerce(name, value)
        except ValueError as e:
            raise ConfigError(f"{path} line {line}: option '{key}': {e}") from e
    if "out" in out or "store" in out or "artifacts" in out or "theme" in out:
        # Relative paths in a config file are relative to the file, not to the working folder.
        base = path.resolve().parent
        for name in ("out", "artifacts", "theme"):
            if isinstance(out.get(name), str) and not os.path.isabs(out[name]):
                out[name] = str(base / out[name])
        store = out.get("store")
        if isinstance(store, str) and "://" not in store and not os.path.isabs(store):
            out["store"] = str(base / store)
    return out


def _coerce(name: str, value):
    if name in ("include_deleted", "clean"):
        if not isinstance(value, bool):
            raise ValueError("expected true or false")
        return value
    if name == "max_artifact_size":
        return None if value is None else parse_size(value)
    if name == "jobs":
        if value is None:
            return None
        if not isinstance(value, int) or value < 1:
            raise ValueError("expected a positive whole number")
        return value
    if name == "chart_format":
        if value not in CHART_FORMATS:
            raise ValueError("expected " + " or ".join(CHART_FORMATS))
        return value
    if value is None:
        return None
    if not isinstance(value, (str, int, float)):
        raise ValueError("expected a text value")
    return str(value)
