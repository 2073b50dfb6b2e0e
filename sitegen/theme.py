"""Locating themes: the default one ships in the wheel; users may add their own folder."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

from sitegen.errors import ThemeError

_HERE = Path(__file__).resolve().parent


def builtin_themes_dir() -> Path:
    """``sitegen/themes`` in an installed wheel, ``<checkout>/themes`` in a source tree."""
    for cand in (_HERE / "themes", _HERE.parent / "themes"):
        if (cand / "default" / "templates").is_dir():
            return cand
    raise ThemeError("trackreport's default theme is missing from this installation")


def default_theme() -> Path:
    return builtin_themes_dir() / "default"


def theme_chain(user_theme: str | os.PathLike | None) -> list[Path]:
    """Theme folders, most specific first: the user's folder (if any), then the default."""
    chain = []
    if user_theme:
        p = Path(user_theme)
        if not p.is_dir():
            raise ThemeError(f"theme folder not found: {p}")
        chain.append(p.resolve())
    chain.append(default_theme())
    return chain


def fingerprint(chain: list[Path]) -> str:
    """Changes whenever any template or asset of the theme changes."""
    h = hashlib.blake2b(digest_size=12)
    for root in chain:
        for dirpath, _dirs, files in sorted(os.walk(root)):
            for name in sorted(files):
                p = os.path.join(dirpath, name)
                st = os.stat(p)
                h.update(f"{os.path.relpath(p, root)}:{st.st_size}:{st.st_mtime_ns};".encode())
    return h.hexdigest()


def static_files(chain: list[Path]) -> dict[str, Path]:
    """relative path → file, the user's files overriding the default's one by one."""
    out: dict[str, Path] = {}
    for root in reversed(chain):
        static = root / "static"
        if not static.is_dir():
            continue
        for dirpath, _dirs, files in os.walk(static):
            for name in files:
                p = Path(dirpath, name)
                out[p.relative_to(static).as_posix()] = p
    return out
