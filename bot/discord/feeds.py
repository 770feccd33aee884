"""RSS/Atom feeds: the records admins manage (table "feeds") and the poller that loads them."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord.ext import commands, tasks

from bot.discord import render
from bot.discord.feedfetch import FeedFetchError, fetch_feed
from bot.discord.records import Record, SettingsTable
from bot.engine.models import Article
from bot.engine.store import ArticleStore

if TYPE_CHECKING:
    from bot.discord.client import NewsBot

log = logging.getLogger(__name__)

TABLE = "feeds"


class FeedList:
    """Feed records: {"url", "guild_id", "channel_id" (announcements), "etag", "modified"}."""

    def __init__(self, store: ArticleStore) -> None:
        self._table = SettingsTable(store, TABLE)

    async def all(self) -> list[Record]:
        return await self._table.all()

    async def of_guild(self, guild_id: int) -> list[Record]:
        return [f for f in await self.all() if f.get("guild_id") == guild_id]

    async def add(self, guild_id: int, url: str, channel_id: int | None) -> bool:
        """Add a feed to a guild; False when the guild already has it."""
        new = {"url": url, "guild_id": guild_id, "channel_id": channel_id,
               "etag": None, "modified": None}
        added = await self._table.change(
            lambda feeds: feeds if any(_same(f, guild_id, url) for f in feeds) else [*feeds, new]
        )
        return new in added

    async def remove(self, guild_id: int, url: str) -> bool:
        """Remove a guild's feed; False when it had no such feed."""
        before = len(await self.all())
        after = await self._table.change(
            lambda feeds: [f for f in feeds if not _same(f, guild_id, url)]
        )
        return len(after) < before

    async def remember(self, feed: Record, etag: str | None, modified: str | None) -> None:
        """Store the validators for the next conditional GET."""

        def edit(feeds: list[Record]) -> list[Record]:
            for f in feeds:
                if _same(f, feed["guild_id"], feed["url"]):
                    f.update(etag=etag, modified=modified)
            return feeds

        await self._table.change(edit)


def _same(feed: Record, guild_id: int, url: str) -> bool:
    return feed.get("guild_id") == guild_id and feed.get("url") == url


class FeedPoller(commands.Cog):
    """Every ``feed_interval_minutes``, loads each feed's new items and announces them."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.feeds = FeedList(bot.engine.store)
        self.interval = bot.settings.feed_interval_minutes
        if self.interval > 0:
            self.poll.change_interval(minutes=self.interval)

    async def cog_load(self) -> None:
        if self.interval > 0:
            self.poll.start()

    async def cog_unload(self) -> None:
        self.poll.cancel()

    @tasks.loop(minutes=30)
    async def poll(self) -> None:
        for feed in await self.feeds.all():
            try:
                await self.poll_feed(feed)
            except FeedFetchError as exc:
                log.warning("feed %s: %s", feed.get("url"), exc)
            except Exception:
                log.exception("feed %s failed", feed.get("url"))

    @poll.before_loop
    async def _until_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def poll_feed(self, feed: Record) -> list[Article]:
        """Fetch one feed, load what is new, announce it; returns the new articles."""
        fetched = await fetch_feed(
            feed["url"], etag=feed.get("etag"), modified=feed.get("modified"),
            allow_private=self.bot.settings.feed_allow_private,
        )
        if fetched.body is None:
            return []
        started = datetime.now(UTC)
        engine = self.bot.engine
        report = await asyncio.to_thread(engine.load_bytes, fetched.body, fetched.url)
        await self.feeds.remember(feed, fetched.etag, fetched.modified)
        log.info("feed %s: %s", feed["url"], report.summary())
        found = await asyncio.to_thread(lambda: [engine.article(i) for i in report.article_ids])
        new = [a for a in found if a is not None and a.added_at >= started]
        if new:
            await self._announce(feed, new)
        return new

    async def _announce(self, feed: Record, articles: list[Article]) -> None:
        channel = self.bot.get_channel(feed.get("channel_id") or 0)
        if not isinstance(channel, discord.abc.Messageable):
            return
        embed = render.announce_embed(feed["url"], articles)
        try:
            await channel.send(embed=embed, allowed_mentions=render.NO_MENTIONS)
        except discord.HTTPException as exc:
            log.warning("could not announce feed %s in %s: %s", feed["url"], channel, exc)
