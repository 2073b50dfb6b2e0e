"""Private details of the machine and people that logged the runs, hidden on request, in the
data model (like redaction, before any renderer sees a value):

- ``--hide-paths``: local paths (artifact locations, source names, dataset sources) are shown
  relative to the store's folder when they lie in it, else with the home folder as ``~``
  (``/home/ana/proj/train.py`` → ``~/proj/train.py``);
  Traces too: their ``mlflow.artifactLocation`` tag and ``mlflow.source.name`` metadata;
- ``--hide-users``: user ids (``user_id``, the ``mlflow.user`` tag or trace metadata, model versions' users) become
  a stable pseudonym (``user-3f9a1c``: the same person, the same pseudonym, in every build).

:func:`home_paths` counts the values that would show a home folder, for ``publish`` to warn.
"""

from __future__ import annotations

import hashlib
import re

from sitegen.entities import Store

# A home folder at the start of a path or file: URI: /home/<user>, /Users/<user>, /root,
# C:\Users\<user> (as another machine wrote them, so not this machine's $HOME).
_HOME = re.compile(
    r"^(?P<scheme>file://)?(?P<home>/home/[^/]+|/Users/[^/]+|/root|[A-Za-z]:[\\/]Users[\\/][^\\/]+)"
    r"(?P<rest>(?:[\\/].*)?)$",
    re.S,
)
PATH_FIELDS = ("artifact_uri", "source_name")
_PSEUDONYM = re.compile(r"^user-[0-9a-f]{6}$")
PATH_TAGS = ("mlflow.source.name", "mlflow.log-model.history")
USER_TAGS = ("mlflow.user",)


def hide_path(value: str | None, store_dir: str | None) -> str | None:
    """``value`` with the store's folder left out, or its home folder as ``~``."""
    if not value or not isinstance(value, str):
        return value
    body = value[7:] if value.startswith("file://") else value
    if store_dir and (body == store_dir or body.startswith(store_dir.rstrip("/") + "/")):
        return "<store>" + body[len(store_dir.rstrip("/")) :]
    m = _HOME.match(value)
    if m:
        return "~" + m.group("rest")
    if "/home/" in value or "/Users/" in value:  # inside a longer text (a JSON history)
        return re.sub(r"(?:/home|/Users)/[^/\s\"']+", "~", value)
    return value


def pseudonym(user: str | None) -> str | None:
    if not user or _PSEUDONYM.match(user):  # already one (a run kept from the last build)
        return user
    return "user-" + hashlib.blake2b(user.encode("utf-8"), digest_size=3).hexdigest()


def hide(store: Store, *, paths: bool, users: bool) -> None:
    """Apply --hide-paths and --hide-users to the whole store, in place."""
    base = store.base_dir

    def fix_path(v):
        return hide_path(v, base) if paths else v

    for exp in store.experiments:
        exp.artifact_location = fix_path(exp.artifact_location)
        for run in exp.runs:
            if paths and run.recorded_artifact_uri is None and fix_path(run.artifact_uri) != run.artifact_uri:
                run.recorded_artifact_uri = run.artifact_uri
            for name in PATH_FIELDS:
                setattr(run, name, fix_path(getattr(run, name)))
            for key in PATH_TAGS:
                if key in run.tags:
                    run.tags[key] = fix_path(run.tags[key])
            for ds in run.inputs:
                ds.source = fix_path(ds.source)
            if users:
                run.user_id = pseudonym(run.user_id)
                for key in USER_TAGS:
                    if key in run.tags:
                        run.tags[key] = pseudonym(run.tags[key])
        for m in exp.logged_models:
            m.artifact_location = fix_path(m.artifact_location)
        exp.traces = hide_traces(exp.traces, base, paths=paths, users=users)
    for model in store.registered_models:
        for v in model.versions:
            v.source = fix_path(v.source)
            if users:
                v.user_id = pseudonym(v.user_id)


def home_paths(store: Store) -> int:
    """How many values of the store show a home folder (what --hide-paths would hide)."""
    values = [e.artifact_location for e in store.experiments]
    for exp in store.experiments:
        for run in exp.runs:
            values += [run.artifact_uri, run.source_name, *(run.tags.get(k) for k in PATH_TAGS)]
            values += [ds.source for ds in run.inputs]
    return sum(1 for v in values if isinstance(v, str) and (_HOME.match(v) or "/home/" in v or "/Users/" in v))


# Traces (sitegen.entities.traces): where their artifacts are, the script that logged them, who.
TRACE_PATH_TAGS = ("mlflow.artifactLocation",)
TRACE_PATH_METADATA = ("mlflow.source.name",)
TRACE_USER_METADATA = ("mlflow.user",)


def hide_traces(traces: list, store_dir: str | None, *, paths: bool, users: bool) -> list:
    """The traces with --hide-paths and --hide-users applied (``traces`` itself when neither)."""
    if not (paths or users):
        return traces

    def fix_path(v):
        return hide_path(v, store_dir) if paths else v

    return [_hide_in_trace(t, fix_path, users) for t in traces]


def _hide_in_trace(trace, fix_path, users: bool):
    """The trace with its paths and users hidden in its document (so trace.json agrees)."""
    info = trace.doc.get("info") or {}
    tags, metadata = info.get("tags") or {}, info.get("trace_metadata") or {}
    for key in TRACE_PATH_TAGS:
        if key in tags:
            tags[key] = fix_path(tags[key])
    for key in TRACE_PATH_METADATA:
        if key in metadata:
            metadata[key] = fix_path(metadata[key])
    if users:
        for key in TRACE_USER_METADATA:
            if key in metadata:
                metadata[key] = pseudonym(metadata[key])
    return trace.again()
