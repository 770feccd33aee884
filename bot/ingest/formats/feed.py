"""RSS and Atom feeds: one article per entry."""

from __future__ import annotations

import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urljoin

import defusedxml.ElementTree as safe_xml
import feedparser
from defusedxml import DefusedXmlException

from bot.ingest.formats.markup import html_to_text
from bot.ingest.normalize import build_article, clean_line, with_title
from bot.models import Article, Rejection

DATE_KEYS = ("published_parsed", "updated_parsed", "published", "updated")
ENTITIES_REFUSED = "XML entity declarations are not allowed (entity expansion attack)"


@dataclass(frozen=True)
class Entry:
    """One feed item's raw fields (url, title, text, published, authors, source)."""

    where: str
    fields: dict[str, Any]


def parse(data: bytes, name: str, now: datetime) -> Iterator[Article | Rejection]:
    for entry in entries(data, name):
        if isinstance(entry, Rejection):
            yield entry
        else:
            yield build_article(with_title(entry.fields), where=entry.where, now=now)


def entries(data: bytes, name: str) -> Iterator[Entry | Rejection]:
    """The feed's items as raw fields, or one Rejection for what is not a feed."""
    if _declares_entities(data):
        yield Rejection(name, ENTITIES_REFUSED)
        return
    # A stream, not bytes: feedparser would try bytes as a file name first.
    feed = feedparser.parse(io.BytesIO(data))
    if not feed.entries and not feed.get("version"):
        problem = feed.get("bozo_exception")
        detail = f" ({clean_line(str(problem))})" if problem else ""
        yield Rejection(name, f"not an RSS or Atom feed{detail}")
        return
    source = _text(feed.feed, "title")
    home = feed.feed.get("link", "")
    for number, entry in enumerate(feed.entries, 1):
        yield Entry(f"{name} entry {number}", _fields(entry, home, source))


def _declares_entities(data: bytes) -> bool:
    """True for XML declaring entities (billion laughs) or external ones. Declarations come
    before the root element, so parsing stops there; malformed XML is feedparser's business."""
    try:
        for _event in safe_xml.iterparse(io.BytesIO(data), events=("start",)):
            break
    except DefusedXmlException:
        return True
    except safe_xml.ParseError:
        pass
    return False


def _fields(entry: Any, home: str, source: str) -> dict[str, Any]:
    link = entry.get("link")
    return {
        "url": urljoin(home, link) if link else None,
        "title": _text(entry, "title"),
        "text": _body(entry),
        "published": _date(entry),
        "authors": [author["name"] for author in entry.get("authors", []) if author.get("name")],
        "source": source or None,
    }


def _date(entry: Any) -> Any:
    """The parsed date (a UTC struct_time) if feedparser could read one, else the raw string,
    so that the entry is rejected for it rather than silently losing its date."""
    # dict.get: FeedParserDict.get serves a missing "updated*" from "published*", with a warning.
    return next((value for key in DATE_KEYS if (value := dict.get(entry, key))), None)


def _text(element: Any, key: str) -> str:
    detail = element.get(f"{key}_detail")
    return _detail_text(detail) if detail else element.get(key, "")


def _body(entry: Any) -> str:
    """The full content when the feed carries it, else the summary."""
    for detail in [*entry.get("content", []), entry.get("summary_detail")]:
        if detail and detail.get("value", "").strip():
            return _detail_text(detail)
    return ""


def _detail_text(detail: Any) -> str:
    value = detail.get("value", "")
    return html_to_text(value) if "html" in detail.get("type", "") else value
