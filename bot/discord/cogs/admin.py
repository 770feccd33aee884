"""Admin commands: /load, /remove, /askchannel, /feeds, /stats (Manage Server or admin role).

``default_permissions`` only hides the commands (server admins can change that, and
subcommands ignore it), so every invocation is checked again in ``interaction_check``.
"""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import render
from bot.discord.errors import NotAdmin, UserFacingError
from bot.discord.feedfetch import FeedFetchError, check_url
from bot.discord.feeds import FeedList
from bot.discord.options import ArticleArg
from bot.discord.replies import deferred, respond, say

if TYPE_CHECKING:
    from bot.discord.client import NewsBot

log = logging.getLogger(__name__)

MANAGERS = discord.Permissions(manage_guild=True)


def is_admin(interaction: discord.Interaction, admin_role: str) -> bool:
    """Manage Server in this channel, or the configured admin role (by name or id)."""
    if interaction.guild_id is None:
        return False
    if interaction.permissions.manage_guild:
        return True
    roles = getattr(interaction.user, "roles", [])
    return bool(admin_role) and any(admin_role in (r.name, str(r.id)) for r in roles)


def _channel_id(interaction: discord.Interaction, channel: discord.abc.GuildChannel | None) -> int:
    return channel.id if channel is not None else interaction.channel_id  # type: ignore[return-value]


class AdminCog(commands.Cog):
    """Commands that change what the bot knows or where it listens."""

    askchannel = app_commands.Group(
        name="askchannel", description="Channels where every message is a question",
        guild_only=True, default_permissions=MANAGERS,
    )
    feeds = app_commands.Group(
        name="feeds", description="RSS/Atom feeds I load articles from",
        guild_only=True, default_permissions=MANAGERS,
    )

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.feed_list = FeedList(bot.engine.store)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        if not is_admin(interaction, self.bot.settings.admin_role):
            raise NotAdmin()
        return True

    # -- articles --------------------------------------------------------------------------
    @app_commands.command(description="Load articles from a file (text, JSON, JSONL, feed, HTML)")
    @app_commands.describe(file="The file to load")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def load(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        limit = min(self.bot.settings.max_upload_bytes, interaction.filesize_limit)
        if file.size > limit:
            raise UserFacingError(render.too_big_text(file.size, limit))
        await interaction.response.defer(ephemeral=True, thinking=True)
        data = await file.read()
        if len(data) > limit:
            raise UserFacingError(render.too_big_text(len(data), limit))
        report = await asyncio.to_thread(self.bot.engine.load_bytes, data, file.filename)
        log.info("user %s loaded %s: %s", interaction.user.id, file.filename, report.summary())
        await respond(interaction, render.load_report_embed(report, file.filename))

    @app_commands.command(description="Remove an article")
    @app_commands.describe(article="Start typing a title")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def remove(self, interaction: discord.Interaction, article: ArticleArg) -> None:
        removed = await deferred(interaction, self.bot.engine.remove, article.id, ephemeral=True)
        if not removed:
            raise UserFacingError("That article was already gone.")
        log.info("user %s removed article %s", interaction.user.id, article.id)
        await say(interaction, render.removed_text(article))

    @app_commands.command(description="Database counts")
    @app_commands.guild_only()
    @app_commands.default_permissions(manage_guild=True)
    async def stats(self, interaction: discord.Interaction) -> None:
        stats = await deferred(interaction, self.bot.engine.stats, ephemeral=True)
        await respond(interaction, render.stats_embed(stats))

    # -- ask channels ----------------------------------------------------------------------
    @askchannel.command(name="add", description="Answer every message in a channel")
    @app_commands.describe(channel="The channel (default: this one)")
    async def askchannel_add(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        await self._set_ask_channel(interaction, _channel_id(interaction, channel), True)

    @askchannel.command(name="remove", description="Stop answering every message in a channel")
    @app_commands.describe(channel="The channel (default: this one)")
    async def askchannel_remove(
        self, interaction: discord.Interaction, channel: discord.TextChannel | None = None
    ) -> None:
        await self._set_ask_channel(interaction, _channel_id(interaction, channel), False)

    @askchannel.command(name="list", description="The ask channels of this server")
    async def askchannel_list(self, interaction: discord.Interaction) -> None:
        guild_id = interaction.guild_id or 0
        await say(interaction, render.channels_text(self.bot.guild_settings.ask_channels(guild_id)))

    async def _set_ask_channel(
        self, interaction: discord.Interaction, channel_id: int, enabled: bool
    ) -> None:
        settings, guild_id = self.bot.guild_settings, interaction.guild_id or 0
        await settings.set_ask_channel(guild_id, channel_id, enabled)
        log.info("user %s set ask channel %s to %s", interaction.user.id, channel_id, enabled)
        await say(interaction, render.channels_text(settings.ask_channels(guild_id)))

    # -- feeds -----------------------------------------------------------------------------
    @feeds.command(name="add", description="Poll an RSS/Atom feed for new articles")
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
        if not await self.feed_list.add(interaction.guild_id or 0, url.strip(), channel_id):
            raise UserFacingError("That feed is already on the list.")
        log.info("user %s added feed %s", interaction.user.id, url)
        await self._show_feeds(interaction)

    @feeds.command(name="remove", description="Stop polling a feed")
    @app_commands.describe(url="The feed's URL, as listed by /feeds list")
    async def feeds_remove(self, interaction: discord.Interaction, url: str) -> None:
        if not await self.feed_list.remove(interaction.guild_id or 0, url.strip()):
            raise UserFacingError("That feed isn't on the list (see /feeds list).")
        log.info("user %s removed feed %s", interaction.user.id, url)
        await self._show_feeds(interaction)

    @feeds.command(name="list", description="The feeds of this server")
    async def feeds_list(self, interaction: discord.Interaction) -> None:
        await self._show_feeds(interaction)

    async def _show_feeds(self, interaction: discord.Interaction) -> None:
        feeds = await self.feed_list.of_guild(interaction.guild_id or 0)
        await respond(interaction, render.feeds_embed(feeds), ephemeral=True)
