"""RSS/Atom feeds: /feeds add|remove|list for admins, and the poller that loads them."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.discord import formatting as render
from bot.discord.errors import UserFacingError
from bot.discord.interactions import respond
from bot.discord.permissions import admin_group, require_admin
from bot.discord.scope import library_of
from bot.ingest.fetch import FeedFetchError, check_url, fetch_feed
from bot.models import Article
from bot.storage.settings import Record

if TYPE_CHECKING:
    from bot.discord.bot import NewsBot

log = logging.getLogger(__name__)

class FeedsCog(commands.Cog):
    """The feed commands, and every ``feed_interval_minutes`` a poll that loads each feed's
    new items and announces them."""

    feeds_group = admin_group("feeds", "RSS/Atom feeds I load articles from")

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.feeds = bot.feeds
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
        engine, library = self.bot.engine, library_of(feed.get("guild_id") or None)
        report = await asyncio.to_thread(engine.load_bytes, fetched.body, fetched.url, library)
        await self.feeds.remember(feed, fetched.etag, fetched.modified)
        log.info("feed %s: %s", feed["url"], report.summary())
        found = await asyncio.to_thread(
            lambda: [engine.article(i, library) for i in report.article_ids]
        )
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

    # -- commands --------------------------------------------------------------------------
    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        return require_admin(interaction, self.bot.settings.admin_role)

    @feeds_group.command(name="add", description="Poll an RSS/Atom feed for new articles")
    @app_commands.describe(url="The feed's http(s) URL", channel="Announce new articles here")
    async def feeds_add(
        self, interaction: discord.Interaction, url: str,
        channel: discord.TextChannel | None = None,
    ) -> None:
        try:
            check_url(url, self.bot.settings.feed_allow_private)
        except FeedFetchError as exc:
            raise UserFacingError(f"I can't use that feed: {exc}.") from None
        channel_id = channel.id if channel else None
        if not await self.feeds.add(interaction.guild_id or 0, url.strip(), channel_id):
            raise UserFacingError("That feed is already on the list.")
        log.info("user %s added feed %s", interaction.user.id, url)
        await self._show_feeds(interaction)

    @feeds_group.command(name="remove", description="Stop polling a feed")
    @app_commands.describe(url="The feed's URL, as listed by /feeds list")
    async def feeds_remove(self, interaction: discord.Interaction, url: str) -> None:
        if not await self.feeds.remove(interaction.guild_id or 0, url.strip()):
            raise UserFacingError("That feed isn't on the list (see /feeds list).")
        log.info("user %s removed feed %s", interaction.user.id, url)
        await self._show_feeds(interaction)

    @feeds_group.command(name="list", description="The feeds of this server")
    async def feeds_list(self, interaction: discord.Interaction) -> None:
        await self._show_feeds(interaction)

    async def _show_feeds(self, interaction: discord.Interaction) -> None:
        feeds = await self.feeds.of_guild(interaction.guild_id or 0)
        await respond(interaction, render.feeds_embed(feeds), ephemeral=True)
