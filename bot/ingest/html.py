"""HTML pages: the main text and metadata, found by trafilatura."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime

import trafilatura

from bot.ingest.decoding import decode_text
from bot.ingest.normalize import build_article
from bot.models import Article, Rejection

# Publication date from the page's metadata only, not guessed from its text.
DATE_OPTIONS = {"original_date": True, "extensive_search": False}


def parse(data: bytes, name: str, now: datetime) -> Iterator[Article | Rejection]:
    page = trafilatura.bare_extraction(
        decode_text(data),
        with_metadata=True,
        include_comments=False,
        date_extraction_params=DATE_OPTIONS,
    )
    if page is None or not (page.text or "").strip():
        yield Rejection(name, "no main text found in the HTML page")
        return
    # trafilatura gives one paragraph per line, often starting with the headline.
    paragraphs = page.text.splitlines()
    if page.title and paragraphs[0].strip() == page.title.strip():
        paragraphs = paragraphs[1:]
    fields = {
        "url": page.url,
        "title": page.title,
        "text": "\n\n".join(paragraphs),
        "published": page.date,
        "source": page.sitename,
        "authors": page.author,
    }
    yield build_article(fields, where=name, now=now)
