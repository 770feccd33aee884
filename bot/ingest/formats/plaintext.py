"""Plain-text articles: a title line, optional `Key: value` header lines, then the body.

    Kim Calls for North Korea to Boost Missile Production
    Source: Example News
    Published: 2023-08-14

    First paragraph...
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime

from bot.ingest.decoding import decode_text
from bot.ingest.normalize import build_article
from bot.models import Article, Rejection

HEADER_FIELDS = {
    "url": "url",
    "source": "source",
    "published": "published",
    "date": "published",
    "authors": "authors",
    "author": "authors",
}
_HEADER = re.compile(r"\s*([A-Za-z]+)\s*:\s*(.*)")
_MARKDOWN_HEADING = re.compile(r"^\s*#{1,6}\s+")


def parse(data: bytes, name: str, now: datetime) -> Iterator[Article | Rejection]:
    yield build_article(_fields(decode_text(data)), where=name, now=now)


def _fields(text: str) -> dict[str, str]:
    """The raw fields of one plain-text article (empty when the text is blank)."""
    lines = text.split("\n")
    start = next((n for n, line in enumerate(lines) if line.strip()), len(lines))
    if start == len(lines):
        return {}
    fields = {"title": _MARKDOWN_HEADING.sub("", lines[start], count=1)}
    body = start + 1
    while body < len(lines) and (header := _header(lines[body])):
        key, value = header
        fields[key] = value
        body += 1
    fields["text"] = "\n".join(lines[body:])
    return fields


def _header(line: str) -> tuple[str, str] | None:
    match = _HEADER.fullmatch(line)
    if match and match[1].lower() in HEADER_FIELDS:
        return HEADER_FIELDS[match[1].lower()], match[2].strip()
    return None
