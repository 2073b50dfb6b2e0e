"""Small, pure formatting helpers used as template filters (numbers, times, sizes, markdown)."""

from __future__ import annotations

import hashlib
import html as htmlmod
import math
import re
import threading
from datetime import datetime, timezone
from urllib.parse import quote, urlparse

import nh3

from sitegen.entities import INF_LIMIT

_ALLOWED_TAGS = set(nh3.ALLOWED_TAGS) | {
    "table",
    "thead",
    "tbody",
    "tr",
    "th",
    "td",
    "pre",
    "code",
    "hr",
    "del",
    "details",
    "summary",
}
_ALLOWED_ATTRS = {
    **{k: set(v) for k, v in nh3.ALLOWED_ATTRIBUTES.items()},
    "code": {"class"},
    "th": {"align"},
    "td": {"align"},
    "span": {"class"},
}


def num(v) -> str:
    """A number as people read it; full precision goes in a title attribute."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return str(v)
    if isinstance(v, int):
        return f"{v:,}"
    try:
        v = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(v):
        return "NaN"
    if math.isinf(v) or abs(v) >= INF_LIMIT:
        return "∞" if v > 0 else "−∞"
    a = abs(v)
    if v == int(v) and a < 1e15:
        return f"{int(v):,}"
    if a >= 1e6 or a < 1e-4:
        return f"{v:.4e}"
    if a >= 100:
        text = f"{v:,.2f}"
    else:
        text = f"{v:.4g}"
    return text


def full(v) -> str:
    """Full-precision text of a metric value (what run.json holds)."""
    if isinstance(v, float):
        if math.isnan(v):
            return "NaN"
        if math.isinf(v):
            return "Infinity" if v > 0 else "-Infinity"
        return repr(v)
    return "" if v is None else str(v)


def sort_key(v) -> str:
    """A data-v attribute for sorting: numbers as numbers, everything else as text."""
    if v is None:
        return ""
    if isinstance(v, (int, float)) and not isinstance(v, bool):
        if isinstance(v, float) and math.isnan(v):
            return ""
        return repr(float(v)) if not math.isinf(v) else ("1e999" if v > 0 else "-1e999")
    return str(v)


def _utc(ms) -> datetime | None:
    """A time in ms since the epoch as a UTC datetime; None when no calendar can hold it (a
    damaged store's year 0 or 10^15)."""
    try:
        return datetime.fromtimestamp(ms / 1000, tz=timezone.utc)
    except (OverflowError, ValueError, OSError, TypeError):
        return None


def iso(ms: int | None) -> str:
    if ms is None:
        return ""
    t = _utc(ms)
    return t.isoformat(timespec="seconds").replace("+00:00", "Z") if t else ""


def when(ms: int | None) -> str:
    if ms is None:
        return ""
    t = _utc(ms)
    return t.strftime("%Y-%m-%d %H:%M:%S UTC") if t else f"{ms} ms since 1970 (not a date)"


def duration(ms: int | None) -> str:
    if ms is None:
        return ""
    s = ms / 1000
    if s < 1:
        return f"{ms} ms"
    if s < 60:
        return f"{s:.1f} s"
    m, s = divmod(int(round(s)), 60)
    if m < 60:
        return f"{m} min {s:02d} s"
    h, m = divmod(m, 60)
    if h < 48:
        return f"{h} h {m:02d} min"
    d, h = divmod(h, 24)
    return f"{d} d {h:02d} h"


def size(n: int | None) -> str:
    if n is None:
        return ""
    if n < 1024:
        return f"{n} B"
    for unit in ("KB", "MB", "GB", "TB"):
        n /= 1024
        if n < 1024 or unit == "TB":
            return f"{n:.1f} {unit}"
    return ""


_md_state = threading.local()


def _md():
    """One Markdown converter per thread: building one (extensions included) costs ~20 ms."""
    md = getattr(_md_state, "md", None)
    if md is None:
        import markdown as _markdown
        from markdown.extensions.fenced_code import FencedCodeExtension
        from markdown.extensions.nl2br import Nl2BrExtension
        from markdown.extensions.sane_lists import SaneListExtension
        from markdown.extensions.tables import TableExtension

        # Extension objects, not names: names are looked up among installed entry points,
        # which scans every installed package's metadata (~50 ms).
        md = _md_state.md = _markdown.Markdown(
            extensions=[FencedCodeExtension(), TableExtension(), SaneListExtension(), Nl2BrExtension()],
            output_format="html",
        )
    return md


# Sanitized HTML of markdown texts, by a hash of the text. A build seeds it from the
# previous build's manifest, so an unchanged description is not converted again (a fresh
# process would otherwise pay ~0.1 s to import and set up the converter for it).
_rendered: dict[str, str] = {}  # least recently used first
MARKDOWN_KEPT = 1000


def _text_key(text: str) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=16).hexdigest()


def seed_markdown(rendered: dict) -> None:
    if isinstance(rendered, dict):
        _rendered.update((k, v) for k, v in rendered.items() if isinstance(k, str) and isinstance(v, str))


def markdown_rendered() -> dict[str, str]:
    """The most recently used conversions (what the next build may reuse)."""
    return dict(_rendered)


def markdown(text: str | None) -> str:
    """Render user markdown, then sanitize it: no script, event handler or javascript: URL."""
    if not text:
        return ""
    key = _text_key(text)
    html = _rendered.pop(key, None)
    if html is None:
        html = _markdown_to_safe_html(text)
    _rendered[key] = html
    if len(_rendered) > MARKDOWN_KEPT:  # bounded in long-lived processes too (watch, workers)
        del _rendered[next(iter(_rendered))]
    return html


def _markdown_to_safe_html(text: str) -> str:
    md = _md()
    try:
        html = md.convert(text)
    finally:
        md.reset()
    return nh3.clean(
        html,
        tags=_ALLOWED_TAGS,
        attributes=_ALLOWED_ATTRS,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer",
    )


def urlpath(path: str) -> str:
    """Percent-encode a relative path for an href (keeps '/')."""
    return quote(path, safe="/")


def safe_http_url(url: str | None) -> str | None:
    """The URL if it is plain http(s), else None (never link javascript: or data: from a store)."""
    if not url:
        return None
    url = url.strip()
    if url.startswith("git@") and ":" in url:  # git@github.com:owner/repo.git
        host, path = url[4:].split(":", 1)
        url = f"https://{host}/{path}"
    p = urlparse(url)
    if p.scheme in ("http", "https") and p.netloc:
        return url[:-4] if url.endswith(".git") else url
    return None


_BLOCK_END = re.compile(r"</(?:p|li|h[1-6]|tr|td|th|pre|blockquote|div|dd|dt|table)>|<br ?/?>|<hr ?/?>")


def plain_text(text: str | None) -> str:
    """A markdown text as one line of plain text: rendered (as the page renders it), then
    reduced to its words — no ``**``, link targets or backticks, block breaks as spaces."""
    if not text:
        return ""
    html = _BLOCK_END.sub(" ", markdown(text))
    words = htmlmod.unescape(nh3.clean(html, tags=set())).split()
    return " ".join(words)


def excerpt(text: str | None, limit: int = 160) -> str:
    """The start of a markdown text as plain text, cut at a word with "…" when longer."""
    plain = plain_text(text)
    if len(plain) <= limit:
        return plain
    cut = plain[: limit - 1]
    if " " in cut[limit // 2 :]:
        cut = cut[: cut.rindex(" ")]
    return cut.rstrip(" ,;:") + "…"


# Between a separator and a character that is neither one nor a space: the place after each
# run of separators. No group in the replacement, so re substitutes in C (a template such as
# r"\1<wbr>" is expanded in Python at every match: four times as slow).
_BREAK_AFTER = re.compile(r"(?<=[/_.:\-=])(?=[^\s/_.:\-=])")


def breaks(text) -> str:
    """A name (a metric or param key, a file path) as HTML that a narrow column wraps at its
    word boundaries: ``<wbr>`` after each ``/``, ``_``, ``.``, ``:``, ``-`` and ``=`` (never
    inside a word, as ``overflow-wrap: anywhere`` would, which also lets a table shrink the
    column to one letter)."""
    if text is None:
        return ""
    return _BREAK_AFTER.sub("<wbr>", htmlmod.escape(str(text), quote=True))
