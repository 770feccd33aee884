"""OPML subscription lists (what feed readers export): the feed URLs of every outline,
however deeply nested."""

from __future__ import annotations

import io
from collections.abc import Iterator

import defusedxml.ElementTree as safe_xml
from defusedxml import DefusedXmlException

from bot.models import Rejection


def feed_urls(data: bytes, name: str) -> Iterator[tuple[str, str] | Rejection]:
    """(where, URL) of each outline with an xmlUrl, in document order; a Rejection for an
    outline without one (not a category) or for a file that is not OPML."""
    try:
        root = safe_xml.parse(io.BytesIO(data)).getroot()
    except (safe_xml.ParseError, DefusedXmlException) as exc:
        yield Rejection(name, f"not an OPML file ({exc})")
        return
    if root.tag.lower() != "opml":
        yield Rejection(name, f"not an OPML file (its root element is <{root.tag}>)")
        return
    for number, outline in enumerate(root.iter("outline"), 1):
        url = (outline.get("xmlUrl") or outline.get("xmlurl") or "").strip()
        where = f"{name} outline {number}"
        if url:
            yield where, url
        elif len(outline) == 0:  # an outline with children is a folder
            label = outline.get("text") or outline.get("title") or "?"
            yield Rejection(where, f"{label!r} has no feed URL (xmlUrl)")
