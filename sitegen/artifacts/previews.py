"""Bounded previews of the artifacts a page shows inline: text, table rows, markdown."""

from __future__ import annotations

import csv
import io
import json
import os

from sitegen.entities import Preview, Run
from sitegen.render.text import markdown as render_markdown

PREVIEW_BYTES = 64 * 1024
PREVIEW_ROWS = 100
MAX_PREVIEWS = 40


def _head(path: str, limit: int) -> tuple[bytes, bool]:
    with open(path, "rb") as f:
        data = f.read(limit + 1)
    return data[:limit], len(data) > limit


def _decode(data: bytes) -> str | None:
    if b"\x00" in data[:8192]:
        return None  # binary
    return data.decode("utf-8", errors="replace")


def make_preview(path: str, kind: str) -> Preview | None:
    """A bounded preview of a text-like artifact, or None (binary, unreadable)."""
    try:
        data, truncated = _head(path, PREVIEW_BYTES)
    except OSError:
        return None
    text = _decode(data)
    if text is None:
        return None
    if truncated and "\n" in text:
        text = text[: text.rfind("\n") + 1]
    if kind == "csv":
        rows = []
        try:
            for row in csv.reader(io.StringIO(text)):
                rows.append(row)
                if len(rows) > PREVIEW_ROWS:
                    truncated = True
                    rows.pop()
                    break
        except csv.Error:
            return Preview("text", text=text, truncated=truncated)
        return Preview("table", rows=rows, truncated=truncated)
    if kind == "json" and not truncated:
        try:
            text = json.dumps(json.loads(text), indent=2, ensure_ascii=False)
        except ValueError:
            pass
        return Preview("text", text=text)
    if kind == "markdown":
        return Preview("markdown", text=render_markdown(text), truncated=truncated)
    return Preview("text", text=text, truncated=truncated)


def attach_previews(run: Run) -> None:
    """Read previews of the run's (or logged model's) text-like artifacts (bounded in size and number)."""
    if not run.artifact_dir:
        return
    budget = MAX_PREVIEWS
    for a in run.artifacts:
        if budget <= 0:
            break
        if a.skipped or a.kind not in ("text", "csv", "json", "markdown") or a.size == 0:
            continue
        a.preview = make_preview(os.path.join(run.artifact_dir, a.path), a.kind)
        budget -= 1
