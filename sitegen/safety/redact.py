"""The redaction stage: secrets are replaced by ``"[redacted]"`` in the data model itself, once,
right after the store is read, so no page, data file, chart or export can show them by
forgetting to.

What is redacted, everywhere it appears (runs, experiments, dataset inputs, logged models,
registered models and their versions; traces: ``sitegen.safety.redact_traces``):

- the value of a param or tag whose key looks secret (``sitegen.safety.secrets.secret_key``;
  ``--redact-key PATTERN`` adds patterns). MLflow's own ``mlflow.*`` tags are judged by
  value only;
- any param, tag, description, source, location or URI whose value holds a recognisable
  credential, whatever its key (``secrets.Scanner``).

Each redacted field is recorded on its owner (``redacted``: field → why), shown on its page
and listed in ``run.json``. ``--no-redact`` turns the stage off.
"""

from __future__ import annotations

import os

from sitegen.entities import Store
from sitegen.safety.redact_traces import redact_trace
from sitegen.safety.secrets import REDACTED, TEXT_KINDS, Scanner, secret_key


class Redactor:
    """Redacts one store in place."""

    def __init__(self, scanner: Scanner, key_patterns: tuple[str, ...] = ()):
        self.scanner = scanner
        self.key_patterns = tuple(key_patterns)

    def store(self, store: Store) -> int:
        for exp in store.experiments:
            self._mapping(exp, "tags", exp.tags)
            self._field(exp, "artifact_location")
            for run in exp.runs:
                self._mapping(run, "params", run.params)
                self._mapping(run, "tags", run.tags)
                if run.recorded_artifact_uri is None and self._credential(run.artifact_uri):
                    run.recorded_artifact_uri = run.artifact_uri
                for name in ("source_name", "artifact_uri", "user_id", "entry_point_name"):
                    self._field(run, name)
                for i, ds in enumerate(run.inputs):
                    self._mapping(run, f"inputs.{i}.tags", ds.tags)
                    for name in ("source", "schema", "profile"):
                        self._field(ds, name, record=run.redacted, as_key=f"inputs.{i}.{name}")
                self._files(run)
            exp.traces = self.traces(exp.traces)
            for m in exp.logged_models:
                self._mapping(m, "params", m.params)
                self._mapping(m, "tags", m.tags)
                self._field(m, "artifact_location")
                self._files(m)
        for model in store.registered_models:
            self._mapping(model, "tags", model.tags)
            self._field(model, "description")
            for v in model.versions:
                self._mapping(v, "tags", v.tags)
                for name in ("description", "source", "run_link"):
                    self._field(v, name)
        return count_redacted(store)

    def traces(self, traces: list) -> list:
        """The traces with their secrets replaced (``sitegen.safety.redact_traces``)."""
        return [redact_trace(t, self._credential, self.key_patterns) for t in traces]

    def _credential(self, value) -> str | None:
        if not isinstance(value, str) or value == REDACTED:
            return None
        return self.scanner.credential(value)

    def _mapping(self, owner, section: str, values: dict[str, str]) -> None:
        for key, value in values.items():
            if value == REDACTED:
                continue  # redacted by an earlier build (kept runs): its record came along
            why = None if key.startswith("mlflow.") else secret_key(key, self.key_patterns)
            if why is None:
                why = _credential_why(self._credential(value))
            if why is not None:
                values[key] = REDACTED
                owner.redacted[f"{section}.{key}"] = why

    def _files(self, owner) -> None:
        """Text artifacts that hold a credential are not copied into the site."""
        if not owner.artifact_dir:
            return
        for a in owner.artifacts:
            if a.skipped or (a.kind not in TEXT_KINDS and a.kind != "other"):
                continue  # images are not scanned
            path = os.path.join(owner.artifact_dir, a.path)
            kind = self.scanner.file_credential(path, a.size, a.mtime_ns, sniff=a.kind not in TEXT_KINDS)
            if kind:
                a.skipped = (
                    f"holds what looks like a credential ({kind}), so it is not published (--no-redact publishes it)"
                )
                owner.redacted[f"artifacts/{a.path}"] = f"the file holds what looks like a credential ({kind})"

    def _field(self, owner, name: str, record: dict | None = None, as_key: str | None = None) -> None:
        """Redact ``owner.<name>`` if it holds a credential; noted in ``record`` (the owner's
        ``redacted`` by default) under ``as_key`` (the field's name)."""
        kind = self._credential(getattr(owner, name))
        if kind:
            setattr(owner, name, REDACTED)
            (owner.redacted if record is None else record)[as_key or name] = _credential_why(kind)


def _credential_why(kind: str | None) -> str | None:
    return f"its value looks like a credential ({kind})" if kind else None


def count_redacted(store: Store) -> int:
    """How many values of the store are redacted (this build's and those kept from earlier)."""
    n = sum(
        len(e.redacted) + sum(len(r.redacted) for r in e.runs) + sum(len(m.redacted) for m in e.logged_models)
        for e in store.experiments
    )
    n += sum(len(t.redacted) for e in store.experiments for t in e.traces)
    return n + sum(len(m.redacted) + sum(len(v.redacted) for v in m.versions) for m in store.registered_models)
