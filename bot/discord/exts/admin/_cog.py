"""Admin commands: /load, /remove, /askchannel, /stats (Manage Server or the admin role)."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.app import fetcher_for
from bot.discord import formatting as render
from bot.discord.errors import UserFacingError
from bot.discord.interactions import deferred, respond, say
from bot.discord.options import OwnArticleArg
from bot.discord.permissions import admin_command, admin_group, require_admin
from bot.discord.uploads import read_upload
from bot.engine import first_stored
from bot.ingest.web.pages import Pages
from bot.ingest.web.urls import read_url
from bot.models import library_of

if TYPE_CHECKING:
    from bot.discord.bot import NewsBot

log = logging.getLogger(__name__)

def _channel_id(interaction: discord.Interaction, channel: discord.abc.GuildChannel | None) -> int:
    return channel.id if channel is not None else interaction.channel_id  # type: ignore[return-value]


class AdminCog(commands.Cog):
    """Commands that change what the bot knows or where it listens."""

    askchannel = admin_group("askchannel", "Channels where every message is a question")

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.fetcher = fetcher_for(bot.settings)

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        return require_admin(interaction, self.bot.settings.admin_role)

    # -- articles --------------------------------------------------------------------------
    @admin_command("Load articles from a file or a URL (text, JSON, JSONL, feed, HTML page)")
    @app_commands.describe(file="The file to load", url="Or a feed's or a page's http(s) URL")
    async def load(
        self, interaction: discord.Interaction, file: discord.Attachment | None = None,
        url: str | None = None,
    ) -> None:
        if (file is None) == (url is None):
            raise UserFacingError("Give me either a file or a url, not both and not neither.")
        library = library_of(interaction.guild_id)
        if file is not None:
            name = file.filename
            data = await read_upload(interaction, file, self.bot.settings.max_upload_bytes)
            report = await asyncio.to_thread(self.bot.engine.load_bytes, data, name, library)
        else:
            await interaction.response.defer(ephemeral=True, thinking=True)
            name = url.strip()  # type: ignore[union-attr]
            items = await read_url(name, Pages(self.fetcher, self.bot.settings.page_pause_seconds))
            report = await asyncio.to_thread(self.bot.engine.load_items, items, library)
        log.info("user %s loaded %s: %s", interaction.user.id, name, report.summary())
        shown = await asyncio.to_thread(first_stored, self.bot.engine, report, library)
        await respond(interaction, render.load_report_embed(report, name, shown))

    @admin_command("Remove one of this server's articles")
    @app_commands.describe(article="Start typing a title")
    async def remove(self, interaction: discord.Interaction, article: OwnArticleArg) -> None:
        removed = await deferred(interaction, self.bot.engine.remove, article.id,
                                 library_of(interaction.guild_id), ephemeral=True)
        if not removed:
            raise UserFacingError("That article was already gone.")
        log.info("user %s removed article %s", interaction.user.id, article.id)
        await say(interaction, render.removed_text(article))

    @admin_command("Database counts")
    async def stats(self, interaction: discord.Interaction) -> None:
        stats = await deferred(interaction, self.bot.engine.stats,
                               library_of(interaction.guild_id), ephemeral=True)
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
