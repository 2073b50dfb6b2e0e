"""Short, stable keys of what a page or chart is made from (the build plan compares them
between builds). A leaf module."""

from __future__ import annotations

import hashlib
import json


def digest(*parts) -> str:
    """A short key for JSON-able parts (anything else by its str())."""
    return hashlib.blake2b(json.dumps(parts, sort_keys=True, default=str).encode(), digest_size=12).hexdigest()
