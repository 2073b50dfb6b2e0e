"""Helpers to inspect a built site: every internal link and image must resolve."""

from __future__ import annotations

from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit


class _Links(HTMLParser):
    def __init__(self):
        super().__init__()
        self.links: list[tuple[str, str]] = []
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        for name, value in attrs:
            if name in ("href", "src") and value is not None:
                self.links.append((tag, value))


def links_of(page: Path) -> list[tuple[str, str]]:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.links


def tags_of(page: Path) -> list[tuple[str, dict]]:
    """Every start tag of a page with its attributes (as a browser's parser sees them)."""
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser.tags


def broken_links(site: Path) -> list[str]:
    """Internal links/images that do not resolve, and anything that would need the network."""
    problems = []
    for page in site.rglob("*.html"):
        if "artifacts" in page.relative_to(site).parts:
            continue  # user artifacts are copied as they are
        for tag, url in links_of(page):
            parts = urlsplit(url)
            if parts.scheme in ("http", "https"):
                if tag != "a":
                    problems.append(f"{page}: {tag} loads {url} from the network")
                continue
            if parts.scheme or url.startswith("#"):
                continue
            if url.startswith("/"):
                problems.append(f"{page}: absolute link {url} breaks on a sub-path")
                continue
            target = (page.parent / unquote(parts.path)).resolve()
            if not target.is_file():
                problems.append(f"{page}: {tag} {url} → missing {target}")
    return problems


def link_targets(site: Path, page: Path) -> set[str]:
    """Where a page's links and images lead: paths from the site root ('/'-separated)."""
    import posixpath

    here = page.parent.relative_to(site).as_posix()
    out = set()
    for _tag, url in links_of(page):
        parts = urlsplit(url)
        if not parts.scheme and parts.path:
            out.add(posixpath.normpath(posixpath.join(here, unquote(parts.path))))
    return out


def site_files(site: Path) -> dict[str, bytes]:
    """Every file of a built site (its marker file, the build's own bookkeeping, left out)."""
    return {
        str(p.relative_to(site)): p.read_bytes()
        for p in site.rglob("*")
        if p.is_file() and p.name != ".trackreport-site"
    }
