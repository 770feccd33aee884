"""Articles from the web: a URL (a feed or a page), and feeds with their items' full text.

Most feeds carry a title, a link and a teaser; the story is on the linked page. An item
whose text is missing or a teaser gets its page's main text, its feed fields filling in
what the page lacks. A page that cannot be fetched never loses the item: it is stored with
the teaser, and the page state says it is pending, to be fetched again next time.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from bot.ingest import Item, ParserUnavailable, module_for
from bot.ingest.detect import Format, detect_format
from bot.ingest.normalize import (
    build_article,
    clean_line,
    clean_text,
    content_fingerprint,
    with_title,
)
from bot.ingest.web.fetch import ACCEPT_ANY, PAGE_MAX_BYTES, Fetcher, FetchError
from bot.ingest.web.pages import Pages
from bot.models import Rejection

MIN_WORDS = 80  # fewer words than this in a feed item: a teaser, its page is read
PageState = dict[str, Any]  # {"teaser", "etag", "modified", "pending" (why, or absent)}
_HTML_TYPES = ("text/html", "application/xhtml+xml")
_SNIFFED_TYPES = ("", "text/plain", "application/octet-stream")


@dataclass
class FeedRead:
    """A feed's items (full text where found), and each page's state for the next read."""

    items: list[Item] = field(default_factory=list)
    pages: dict[str, PageState] = field(default_factory=dict)

    @property
    def pending(self) -> int:
        return sum(1 for state in self.pages.values() if state.get("pending"))


def read_urls(urls: list[str], fetcher: Fetcher, now: datetime | None = None) -> list[Item]:
    """What ``read_url`` gives for each URL, from synchronous code (the CLI)."""
    if not urls:
        return []

    async def read_all() -> list[Item]:
        pages = Pages(fetcher)
        found = await asyncio.gather(*(read_url(url, pages, now) for url in urls))
        return [item for items in found for item in items]

    return asyncio.run(read_all())


async def read_url(url: str, pages: Pages, now: datetime | None = None) -> list[Item]:
    """A feed URL's items (with full text), a page URL's article, else one Rejection."""
    now = now or datetime.now(UTC)
    try:
        fetched = await pages.fetcher.get(url, accept=ACCEPT_ANY)
    except FetchError as exc:
        return [Rejection(url, str(exc))]
    body = fetched.body or b""
    kind = _kind(fetched.content_type, body, fetched.url)
    if kind is Format.FEED:
        return (await read_feed(body, url, pages, {}, now)).items
    if kind is not Format.HTML:
        return [Rejection(url, f"not a feed or a web page ({fetched.content_type or 'no'} "
                               "content type)")]
    if len(body) > PAGE_MAX_BYTES:
        return [Rejection(url, f"too large (over {PAGE_MAX_BYTES >> 20} MiB)")]
    try:
        fields = await asyncio.to_thread(module_for(Format.HTML).page_fields, body)
    except ParserUnavailable as exc:
        return [Rejection(url, str(exc))]
    if fields is None:
        return [Rejection(url, module_for(Format.HTML).NO_TEXT)]
    return [build_article({**fields, "url": fields["url"] or fetched.url}, where=url, now=now)]


def _kind(content_type: str, body: bytes, url: str) -> Format | None:
    if content_type in _HTML_TYPES:
        return Format.HTML
    if "xml" in content_type or content_type in _SNIFFED_TYPES:
        found = detect_format(body, url.split("?", 1)[0])
        return found if found in (Format.FEED, Format.HTML) else None
    return None


async def read_feed(
    body: bytes, name: str, pages: Pages, known: dict[str, PageState], now: datetime
) -> FeedRead:
    """The feed's items; teasers completed from their pages. ``known``: the page states of
    the last read, so a page already read is not fetched again while its teaser is the
    same, and then conditionally."""
    try:
        entries = list(module_for(Format.FEED).entries(body, name))
    except ParserUnavailable as exc:
        return FeedRead([Rejection(name, str(exc))])
    done = await asyncio.gather(*(
        _complete(entry, pages, known, now) for entry in entries if not isinstance(entry, Rejection)
    ))
    read = FeedRead([entry for entry in entries if isinstance(entry, Rejection)])
    for item, link, state in done:
        if item is not None:
            read.items.append(item)
        if link and state is not None:
            read.pages[link] = state
    return read


async def _complete(
    entry: Any, pages: Pages, known: dict[str, PageState], now: datetime
) -> tuple[Item | None, str | None, PageState | None]:
    """(the item to store, or None when stored already; its link; its page state)."""
    fields, link = entry.fields, entry.fields.get("url")
    if not link or not is_teaser(fields):
        return _build(fields, entry.where, now), link, None
    teaser = content_fingerprint(clean_text(fields.get("text") or ""))
    last = known.get(link, {})
    if last and not last.get("pending") and last.get("teaser") == teaser:
        return None, link, last  # its page was read; the feed says nothing new of it
    validators = {} if last.get("pending") else last  # a pending page is fetched whole
    try:
        fetched = await pages.get(link, validators.get("etag"), validators.get("modified"))
        page = None if fetched.body is None else await asyncio.to_thread(
            module_for(Format.HTML).page_fields, fetched.body)
    except (FetchError, ParserUnavailable) as exc:
        summary = {**fields, "text": fields.get("text") or fields.get("title")}
        return _build(summary, entry.where, now), link, {"teaser": teaser, "pending": str(exc)}
    state = {"teaser": teaser, "etag": fetched.etag, "modified": fetched.modified}
    if fetched.body is None:
        return None, link, state  # the page has not changed
    if page is None:  # no main text on the page: the teaser is all there is
        return _build(fields, entry.where, now), link, state
    page_values = {key: value for key, value in page.items() if value}
    return _build({**fields, **page_values, "url": link}, entry.where, now), link, state


def is_teaser(fields: dict[str, Any]) -> bool:
    """No text, fewer than MIN_WORDS words, or the title again."""
    text = clean_line(fields.get("text") or "")
    title = clean_line(fields.get("title") or "")
    return len(text.split()) < MIN_WORDS or text.casefold() == title.casefold()


def _build(fields: dict[str, Any], where: str, now: datetime) -> Item:
    return build_article(with_title(fields), where=where, now=now)
