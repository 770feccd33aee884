"""RSS/Atom feeds: /feeds add|remove|list|retry|import for admins, and the poller that
loads them."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands, tasks

from bot.app import fetcher_for, poller_for
from bot.discord import formatting as render
from bot.discord.errors import UserFacingError
from bot.discord.interactions import respond
from bot.discord.permissions import admin_group, require_admin
from bot.discord.uploads import read_upload
from bot.polling import PollResult, add_feeds, import_opml
from bot.storage.settings import Record

if TYPE_CHECKING:
    from bot.discord.bot import NewsBot

log = logging.getLogger(__name__)
OPML_MAX_BYTES = 1024 * 1024


class FeedsCog(commands.Cog):
    """The feed commands, and every ``feed_interval_minutes`` a poll that loads each feed's
    new items and announces them (and a feed paused after too many failures)."""

    feeds_group = admin_group("feeds", "RSS/Atom feeds I load articles from")

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.feeds = bot.feeds
        self.fetcher = fetcher_for(bot.settings)
        self.poller = poller_for(bot.settings, bot.engine, bot.feeds)
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
        try:
            results = await self.poller.poll_all()
        except Exception:
            log.exception("polling the feeds failed")
            return
        for result in results:
            await self._tell(result)

    @poll.before_loop
    async def _until_ready(self) -> None:
        await self.bot.wait_until_ready()

    async def poll_feed(self, feed: Record) -> PollResult:
        """Poll one feed and say what it brought."""
        result = await self.poller.poll(feed)
        await self._tell(result)
        return result

    async def _tell(self, result: PollResult) -> None:
        url = result.feed["url"]
        if result.error:
            log.warning("feed %s: %s", url, result.error)
        else:
            log.info("feed %s: %s", url, result.report.summary())
        if result.new:
            await self._send(result.feed, embed=render.announce_embed(url, result.new))
        if result.paused:
            await self._send(result.feed, content=render.feed_paused_text(result.paused))

    async def _send(self, feed: Record, **message: object) -> None:
        channel = self.bot.get_channel(feed.get("channel_id") or 0)
        if not isinstance(channel, discord.abc.Messageable):
            return
        try:
            await channel.send(**message, allowed_mentions=render.NO_MENTIONS)  # type: ignore[arg-type]
        except discord.HTTPException as exc:
            log.warning("could not post about feed %s in %s: %s", feed["url"], channel, exc)

    # -- commands --------------------------------------------------------------------------
    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        return require_admin(interaction, self.bot.settings.admin_role)

    @feeds_group.command(name="add", description="Poll an RSS/Atom feed for new articles")
    @app_commands.describe(url="The feed's http(s) URL", channel="Announce new articles here")
    async def feeds_add(
        self, interaction: discord.Interaction, url: str,
        channel: discord.TextChannel | None = None,
    ) -> None:
        added = await add_feeds(self.feeds, self.fetcher, interaction.guild_id or 0,
                                [("", url.strip())], channel.id if channel else None)
        if added.rejected:
            reason = added.rejected[0].reason.removeprefix(f"{url.strip()}: ")
            raise UserFacingError(f"I can't add that feed: {reason}.")
        log.info("user %s added feed %s", interaction.user.id, url)
        await self._show_feeds(interaction)

    @feeds_group.command(name="remove", description="Stop polling a feed")
    @app_commands.describe(url="The feed's URL, as listed by /feeds list")
    async def feeds_remove(self, interaction: discord.Interaction, url: str) -> None:
        if not await self.feeds.remove(interaction.guild_id or 0, url.strip()):
            raise UserFacingError("That feed isn't on the list (see /feeds list).")
        log.info("user %s removed feed %s", interaction.user.id, url)
        await self._show_feeds(interaction)

    @feeds_group.command(name="retry", description="Resume a paused feed and poll it now")
    @app_commands.describe(url="The feed's URL, as listed by /feeds list")
    async def feeds_retry(self, interaction: discord.Interaction, url: str) -> None:
        guild_id = interaction.guild_id or 0
        if not await self.feeds.retry(guild_id, url.strip()):
            raise UserFacingError("That feed isn't on the list (see /feeds list).")
        await interaction.response.defer(ephemeral=True, thinking=True)
        log.info("user %s retried feed %s", interaction.user.id, url)
        [feed] = [f for f in await self.feeds.of_guild(guild_id) if f["url"] == url.strip()]
        await self.poll_feed(feed)
        await self._show_feeds(interaction)

    @feeds_group.command(name="import", description="Add every feed of an OPML file")
    @app_commands.describe(file="An OPML file (feed readers export one)",
                           channel="Announce new articles here")
    async def feeds_import(
        self, interaction: discord.Interaction, file: discord.Attachment,
        channel: discord.TextChannel | None = None,
    ) -> None:
        data = await read_upload(interaction, file, OPML_MAX_BYTES)
        added = await import_opml(self.feeds, self.fetcher, interaction.guild_id or 0,
                                  data, file.filename, channel.id if channel else None)
        log.info("user %s imported %s: %s", interaction.user.id, file.filename, added.summary())
        await respond(interaction, render.feeds_added_embed(added, file.filename))

    @feeds_group.command(name="list", description="The feeds of this server, with their health")
    async def feeds_list(self, interaction: discord.Interaction) -> None:
        await self._show_feeds(interaction)

    async def _show_feeds(self, interaction: discord.Interaction) -> None:
        feeds = await self.feeds.of_guild(interaction.guild_id or 0)
        await respond(interaction, render.feeds_embed(feeds), ephemeral=True)
