"""Polling feeds: fetch each feed, read its items' pages, store, and keep each feed's
health. Knows nothing of Discord: the bot announces what a poll returns, and
`newsbot feeds poll` prints it."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from bot.engine import Engine
from bot.ingest.formats.opml import feed_urls
from bot.ingest.web.fetch import ACCEPT_FEED, Fetcher, FetchError
from bot.ingest.web.pages import PAUSE_S, Pages
from bot.ingest.web.urls import read_feed
from bot.models import Article, LoadReport, Rejection, library_of
from bot.storage.feeds import FeedList
from bot.storage.settings import Record


@dataclass
class PollResult:
    """One feed's poll: what it loaded (``new``: articles not seen before, to announce),
    or why it failed; ``paused``: the record, when this failure paused the feed."""

    feed: Record
    report: LoadReport = field(default_factory=LoadReport)
    new: list[Article] = field(default_factory=list)
    pending_pages: int = 0
    error: str | None = None
    paused: Record | None = None


class Poller:
    def __init__(self, engine: Engine, feeds: FeedList, fetcher: Fetcher,
                 pause: float = PAUSE_S) -> None:
        self.engine = engine
        self.feeds = feeds
        self.fetcher = fetcher
        self.pause = pause
        # One poll of a feed at a time (the timer's and a /feeds retry's), so what one
        # stores the other finds stored: nothing is announced twice.
        self._polling: dict[tuple[int | None, str], asyncio.Lock] = {}

    async def poll_all(self) -> list[PollResult]:
        """Every feed not paused, at once; the pages of all of them fetched politely."""
        pages = Pages(self.fetcher, self.pause)
        feeds = [f for f in await self.feeds.all() if not f.get("paused")]
        return list(await asyncio.gather(*(self.poll(f, pages) for f in feeds)))

    async def poll(self, feed: Record, pages: Pages | None = None) -> PollResult:
        lock = self._polling.setdefault((feed.get("guild_id"), feed["url"]), asyncio.Lock())
        async with lock:
            return await self._poll(feed, pages or Pages(self.fetcher, self.pause))

    async def _poll(self, feed: Record, pages: Pages) -> PollResult:
        known = feed.get("pages") or {}
        # Pages still pending are fetched again: their items come from the feed itself.
        retry = any(state.get("pending") for state in known.values())
        try:
            fetched = await self.fetcher.get(
                feed["url"], accept=ACCEPT_FEED,
                etag=None if retry else feed.get("etag"),
                modified=None if retry else feed.get("modified"),
            )
        except FetchError as exc:
            return await self._failed(feed, str(exc))
        if fetched.body is None:
            await self.feeds.succeeded(feed, fetched.etag, fetched.modified, 0, known)
            return PollResult(feed)
        started = datetime.now(UTC)
        read = await read_feed(fetched.body, fetched.url, pages, known, started)
        whole = [r for r in read.items if not isinstance(r, Article) and r.where == fetched.url]
        if whole:
            return await self._failed(feed, whole[0].reason)
        library = library_of(feed.get("guild_id") or None)  # a feed loads into its server's
        report = await asyncio.to_thread(self.engine.load_items, read.items, library)
        await self.feeds.succeeded(feed, fetched.etag, fetched.modified, report.loaded,
                                   read.pages)
        found = await asyncio.to_thread(
            lambda: [self.engine.article(i, library) for i in report.article_ids])
        new = [a for a in found if a is not None and a.added_at >= started]
        return PollResult(feed, report, new, read.pending)

    async def _failed(self, feed: Record, reason: str) -> PollResult:
        paused = await self.feeds.failed(feed, reason)
        return PollResult(feed, error=reason, paused=paused)


@dataclass
class Added:
    """What adding feeds did: the URLs added, and why the others were not."""

    added: list[str] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)

    def summary(self) -> str:
        return f"added {len(self.added)} feeds, rejected {len(self.rejected)}"


async def add_feeds(
    feeds: FeedList, fetcher: Fetcher, guild_id: int | None, urls: Iterable[tuple[str, str]],
    channel_id: int | None = None,
) -> Added:
    """Add (where, URL) pairs to a guild's feeds: each URL checked, duplicates refused."""
    result = Added()
    for where, url in urls:
        try:
            fetcher.check(url)
        except FetchError as exc:
            result.rejected.append(Rejection(where, f"{url}: {exc}"))
            continue
        if await feeds.add(guild_id, url, channel_id):
            result.added.append(url)
        else:
            result.rejected.append(Rejection(where, f"{url}: already on the list"))
    return result


async def import_opml(
    feeds: FeedList, fetcher: Fetcher, guild_id: int | None, data: bytes, name: str,
    channel_id: int | None = None,
) -> Added:
    """Add every feed of an OPML file."""
    found = list(feed_urls(data, name))
    urls = [entry for entry in found if not isinstance(entry, Rejection)]
    result = await add_feeds(feeds, fetcher, guild_id, urls, channel_id)
    result.rejected[:0] = [entry for entry in found if isinstance(entry, Rejection)]
    return result
