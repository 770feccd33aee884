"""HTML pages: the main text and metadata, found by trafilatura."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from typing import Any

import trafilatura

from bot.ingest.decoding import decode_text
from bot.ingest.normalize import build_article
from bot.models import Article, Rejection

# Publication date from the page's metadata only, not guessed from its text.
DATE_OPTIONS = {"original_date": True, "extensive_search": False}
NO_TEXT = "no main text found in the HTML page"


def parse(data: bytes, name: str, now: datetime) -> Iterator[Article | Rejection]:
    fields = page_fields(data)
    if fields is None:
        yield Rejection(name, NO_TEXT)
    else:
        yield build_article(fields, where=name, now=now)


def page_fields(data: bytes) -> dict[str, Any] | None:
    """A page's main text (without navigation, banners, footers) and metadata as raw
    article fields; None when it has no main text."""
    page = trafilatura.bare_extraction(
        decode_text(data),
        with_metadata=True,
        include_comments=False,
        date_extraction_params=DATE_OPTIONS,
    )
    if page is None or not (page.text or "").strip():
        return None
    # trafilatura gives one paragraph per line, often starting with the headline.
    paragraphs = page.text.splitlines()
    if page.title and paragraphs[0].strip() == page.title.strip():
        paragraphs = paragraphs[1:]
    return {
        "url": page.url,
        "title": page.title,
        "text": "\n\n".join(paragraphs),
        "published": page.date,
        "source": page.sitename,
        "authors": page.author,
    }
