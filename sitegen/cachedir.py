"""The user's cache folder for trackreport (compiled templates, downloaded artifacts)."""

from __future__ import annotations

import os
from pathlib import Path


def user_cache_dir(*parts: str) -> Path:
    """``$XDG_CACHE_HOME/trackreport/...`` (``~/.cache`` when the variable is not set)."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base, "trackreport", *parts)
