"""Markdown building blocks for generated pages: text from the spec renders as that same text,
never as markup, links or HTML.

``Md`` marks text that is already Markdown (built by these helpers or written in a template). The
runbook templates run with ``finalize=finalize``: every ``{{ value }}`` that is not ``Md`` is escaped
with ``text``, so a template that forgets a filter still cannot break the page. Filters:

- ``text``/``md``: inline text. Newlines and tabs become spaces; ``& < >`` become entities (no raw
  HTML, no autolinks); ``\\ ` * _ [ ] | ~ #`` are backslash-escaped (no emphasis, code, links,
  images, table cells, strike-through or closing heading marks); a leading list/heading marker is
  escaped. Safe in paragraphs, list items, headings and table cells.
- ``code``: an inline code span long enough for any backticks inside; ``code(cell=True)`` in
  tables (GFM splits cells at ``|`` even inside code spans, so it is escaped there).
- ``fence(lang)``: a fenced code block whose fence is longer than any backtick run inside.
- ``link(label)``: ``[label](url)`` for http(s) and relative URLs only (percent-encoded), else
  the label and the URL as code: ``javascript:`` never becomes a link.

No jinja2 import here: this module is cheap to import.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from sre_gen.conventions import github_anchor


class Md(str):
    """Text that is already Markdown; ``finalize`` emits it unchanged."""

    __slots__ = ()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_INLINE_SPECIAL = re.compile(r"([\\`*_\[\]|~#])")
_LEADING_ORDERED = re.compile(r"^(\d{1,9})([.)])(?=\s|$)")
_BACKTICKS = re.compile(r"`+")


def _plain(value: object) -> str:
    if value is None:
        return ""
    s = str(value)
    return s if s.isprintable() else _CONTROL.sub("", s)


_TEXT: dict[str, Md] = {}  # text() of plain strings: pages repeat the same values many times
_TEXT_SPECIAL = frozenset("&<>\\`*_[]|~#")


def text(value: object) -> Md:
    """Inline Markdown showing ``value`` literally (one line)."""
    if isinstance(value, Md):
        return value
    if type(value) is str:
        done = _TEXT.get(value)
        if done is None:
            if len(_TEXT) >= 65536:  # bounded: a fleet of specs must not grow it without end
                _TEXT.clear()
            done = _TEXT[value] = _text(value)
        return done
    return _text(value)


def _text(value: object) -> Md:
    s = " ".join(_plain(value).split())
    if not _TEXT_SPECIAL.isdisjoint(s):
        s = s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        s = _INLINE_SPECIAL.sub(r"\\\1", s)
    if s and s[0] in "+-=":
        s = "\\" + s
    elif s[:1].isdigit():
        s = _LEADING_ORDERED.sub(r"\1\\\2", s)
    return Md(s)


def code(value: object, cell: bool = False) -> Md:
    """Inline code span; ``cell=True`` inside a GFM table cell."""
    s = " ".join(_plain(value).split())
    if not s:
        return Md("")
    runs = [len(m) for m in _BACKTICKS.findall(s)]
    ticks = "`" * (max(runs, default=0) + 1)
    if s.startswith("`") or s.endswith("`"):
        s = f" {s} "
    if cell:
        s = s.replace("|", "\\|")
    return Md(f"{ticks}{s}{ticks}")


def fence(value: object, lang: str = "") -> Md:
    """Fenced code block (no trailing newline)."""
    body = _plain(str(value).replace("\r\n", "\n").replace("\r", "\n")).rstrip("\n")
    runs = [len(m) for m in _BACKTICKS.findall(body)]
    ticks = "`" * max(3, max(runs, default=0) + 1)
    info = re.sub(r"[^A-Za-z0-9_+-]", "", lang)
    return Md(f"{ticks}{info}\n{body}\n{ticks}")


_URL_SAFE = ":/?#[]@!$&'*+,;=%~-._"


def safe_url(url: object) -> str | None:
    """``url`` percent-encoded for a link destination, or None unless it is http(s) or relative."""
    s = _plain(url).strip()
    if not s:
        return None
    scheme = urlsplit(s).scheme.lower() if ":" in s.split("/", 1)[0] else ""
    if scheme not in ("", "http", "https"):
        return None
    # Entities are decoded in link destinations: "&" -> "&amp;" so "javascript&#58;" stays text.
    return quote(s, safe=_URL_SAFE).replace("&", "&amp;")


def link(url: object, label: object = None) -> Md:
    """``[label](url)``; an unsafe URL is shown as code instead of linked."""
    shown = text(url if label is None else label)
    dest = safe_url(url)
    if dest is None:
        return Md(f"{shown} ({code(url)})") if label is not None else code(url)
    return Md(f"[{shown}]({dest})")


def finalize(value: object) -> str:
    """jinja2 ``finalize``: escape every printed value that is not already Markdown."""
    if isinstance(value, Md):
        return value
    return text(value)


def anchor(heading: object) -> Md:
    """GitHub's anchor of a heading with this (plain) text (only word characters and '-')."""
    return Md(github_anchor(_plain(heading)))


FILTERS = {
    "md": text,
    "text": text,
    "code": code,
    "fence": fence,
    "link": link,
    "anchor": anchor,
}
