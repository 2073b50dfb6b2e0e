"""Redaction of MLflow 3 traces (``sitegen.entities.traces``), part of the redaction stage
(``sitegen.safety.redact``): in a trace's document (so ``trace.json``, ``trace.js``,
``traces.js`` and the pages agree), the value of

- a tag or metadata entry whose key looks secret, or whose value holds a credential;
- a span attribute (inputs and outputs included) or event attribute whose key looks secret,
  or whose value (JSON text) holds a credential: it becomes the JSON string ``"[redacted]"``;
- the request and response previews, and an assessment's rationale, holding a credential

is replaced; each is recorded in ``Trace.redacted`` (``tags.<key>``, ``trace_metadata.<key>``,
``spans.<span name>.<attribute>``, ``request_preview``, ``assessments.<name>.rationale``
→ why). MLflow's own ``mlflow.*`` keys are judged by value only.
"""

from __future__ import annotations

import json

from sitegen.entities.traces import Trace
from sitegen.safety.secrets import REDACTED, secret_key

_JSON_REDACTED = json.dumps(REDACTED)


def redact_trace(trace: Trace, credential, key_patterns: tuple[str, ...]) -> Trace:
    """``trace`` with its secrets replaced (a new Trace when anything was); ``credential``:
    value → kind of credential found, or None (``Redactor._credential``)."""
    info = trace.doc.get("info") or {}
    found: dict[str, str] = {}

    def why(key: str, value) -> str | None:
        w = None if key.startswith("mlflow.") else secret_key(key, key_patterns)
        if w is None and (kind := credential(value)):
            w = f"its value looks like a credential ({kind})"
        return w

    for section in ("tags", "trace_metadata"):
        for key, value in (info.get(section) or {}).items():
            if value != REDACTED and (w := why(key, value)):
                info[section][key] = REDACTED
                found[f"{section}.{key}"] = w
    for name in ("request_preview", "response_preview"):
        if (kind := credential(info.get(name))) is not None:
            info[name] = REDACTED
            found[name] = f"its value looks like a credential ({kind})"
    for a in info.get("assessments") or []:
        if (kind := credential(a.get("rationale"))) is not None:
            a["rationale"] = REDACTED
            found[f"assessments.{a.get('assessment_name')}.rationale"] = f"its value looks like a credential ({kind})"
    for span in (trace.doc.get("data") or {}).get("spans") or []:
        where = f"spans.{span.get('name')}"
        for attrs, prefix in [(span.get("attributes") or {}, where)] + [
            (e.get("attributes") or {}, f"{where}.events.{e.get('name')}") for e in span.get("events") or []
        ]:
            for key, value in attrs.items():
                if value in (_JSON_REDACTED, REDACTED) or not isinstance(value, str):
                    continue
                if w := why(key, value):
                    attrs[key] = _JSON_REDACTED
                    found[f"{prefix}.{key}"] = w
    if not found:
        return trace
    out = trace.again()
    out.redacted.update(found)
    return out
