"""The private half of a site's bookkeeping: what a build remembers of the *store* for the
next build, kept in the user's cache, never in the site folder that gets published.

The site's marker (``.trackreport-site``, :mod:`sitegen.builder.manifest`) holds only what the
pages show anyway (after selection, redaction and ``--hide-paths``/``--hide-users``), since
hosts and deploy tools copy dotfiles with the rest of a folder. What the next build needs
beyond that is here, in ``$XDG_CACHE_HOME/trackreport/sites/<digest of the site's path>.json``::

    {"build": str,          # the manifest's "build" id this state goes with
     "reader": dict | None, # the reader's state: listings, stats and parsed meta.yaml of the
                            # whole store (excluded experiments too), its absolute paths
     "secrets": {value digest: kind of credential found, or ""},  # the scanner's verdicts
     "markdown": {text digest: sanitized HTML},  # conversions, of texts since removed too
     "artifact_uris": {run_id: str}}  # artifact URIs as recorded, where the site shows them
                                      # hidden (--hide-paths) or redacted (a credential in it)

It is used only with the manifest it was written with (same ``build`` id): if it is missing,
stale or unreadable, the next build reads the store in full and re-reads the runs whose
artifact URI it lacks — slower, never wrong. Writing it is best effort for the same reason
(a read-only home folder costs speed, not content).
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path

from sitegen.cachedir import user_cache_dir
from sitegen.digests import digest

log = logging.getLogger(__name__)


def location(out: Path) -> Path:
    """Where the private state of the site in folder ``out`` is kept."""
    return user_cache_dir("sites") / f"{digest(str(Path(out).resolve()))}.json"


def load(out: Path, build_id: str | None) -> dict:
    """The private state written with the manifest whose ``build`` id is ``build_id``, or an
    empty mapping (none, another build's, or unreadable)."""
    if not build_id:
        return {}
    try:
        doc = json.loads(location(out).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(doc, dict) or doc.get("build") != build_id:
        return {}
    uris, secrets, markdown = doc.get("artifact_uris"), doc.get("secrets"), doc.get("markdown")
    return {
        "reader": doc.get("reader"),
        "secrets": secrets if isinstance(secrets, dict) else None,
        "markdown": markdown if isinstance(markdown, dict) else {},
        "artifact_uris": uris if isinstance(uris, dict) else {},
    }


def save(
    out: Path, build_id: str, reader_state: dict | None, secrets: dict, markdown: dict, artifact_uris: dict[str, str]
) -> None:
    """Keep the private state of this build (written whole, then renamed into place)."""
    path = location(out)
    doc = {
        "build": build_id,
        "reader": reader_state,
        "secrets": secrets,
        "markdown": markdown,
        "artifact_uris": artifact_uris,
    }
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        # Only the user may read it: recorded artifact URIs can hold a credential.
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(fd, "w", encoding="utf-8") as f:
            f.write(json.dumps(doc, separators=(",", ":")))
        os.replace(tmp, path)
    except OSError as e:
        log.info("could not keep the site's private state in %s (%s): the next build reads the store in full", path, e)
        try:
            tmp.unlink()
        except OSError:
            pass
