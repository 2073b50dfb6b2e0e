"""What kind of file an artifact is, for how its page shows it: by name (extension), as
MLflow's UI decides which previewer to use."""

from __future__ import annotations

import mimetypes

IMAGE_EXT = {".png", ".jpg", ".jpeg", ".gif", ".svg", ".webp", ".bmp", ".ico", ".avif"}
TEXT_EXT = {
    ".txt",
    ".log",
    ".py",
    ".yaml",
    ".yml",
    ".toml",
    ".cfg",
    ".ini",
    ".sh",
    ".r",
    ".sql",
    ".xml",
    ".ipynb",
    ".tex",
    ".rst",
    ".js",
    ".css",
    ".jsonl",
    ".tsv",
    ".out",
    ".err",
    ".conf",
    ".env",
    ".gitignore",
    ".dockerfile",
    ".c",
    ".h",
    ".cpp",
    ".java",
    ".go",
    ".rs",
}
TEXT_NAMES = {
    "MLmodel",
    "Dockerfile",
    "Makefile",
    "LICENSE",
    "README",
    "requirements.txt",
    "conda.yaml",
    "python_env.yaml",
}
# Sidecar folders beside a database store where artifacts usually live.


def classify(path: str) -> str:
    name = path.rpartition("/")[2]
    dot = name.rfind(".")
    ext = name[dot:].lower() if 0 < dot < len(name) - 1 else ""
    if ext in IMAGE_EXT:
        return "image"
    if ext == ".csv":
        return "csv"
    if ext == ".json":
        return "json"
    if ext in (".md", ".markdown"):
        return "markdown"
    if ext in (".html", ".htm"):
        return "html"
    if ext in TEXT_EXT or name in TEXT_NAMES:
        return "text"
    mime, _ = mimetypes.guess_type(name)
    if mime and mime.startswith("text/"):
        return "text"
    return "other"
