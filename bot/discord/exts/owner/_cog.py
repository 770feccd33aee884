"""/owner load|remove (the shared library), /owner libraries and /owner purge (servers')."""

from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import formatting as render
from bot.discord.errors import NotOwner, UserFacingError
from bot.discord.interactions import deferred, respond, say
from bot.discord.options import SharedArticleArg
from bot.discord.uploads import read_upload
from bot.models import Library

if TYPE_CHECKING:
    from bot.discord.bot import NewsBot

log = logging.getLogger(__name__)
MAX_SERVER_ID = 20  # digits of a Discord snowflake


class OwnerCog(commands.Cog):
    """What every server shares, and what a server leaves behind: the owner's alone."""

    owner = app_commands.Group(name="owner", description="The bot owner's commands")

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    async def interaction_check(self, interaction: discord.Interaction) -> bool:  # type: ignore[override]
        """Checked on every call: the owner guild's other members may see the commands."""
        user = interaction.user
        if user.id in self.bot.settings.owner_ids or await self.bot.is_owner(user):
            return True
        raise NotOwner()

    @owner.command(name="load", description="Load articles into the shared library")
    @app_commands.describe(file="The file to load")
    async def load(self, interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await read_upload(interaction, file, self.bot.settings.max_upload_bytes)
        report = await asyncio.to_thread(self.bot.engine.load_bytes, data, file.filename, None)
        log.info("owner %s loaded %s into the shared library: %s", interaction.user.id,
                 file.filename, report.summary())
        await respond(interaction, render.load_report_embed(report, file.filename))

    @owner.command(name="remove", description="Remove an article from the shared library")
    @app_commands.describe(article="Start typing a title")
    async def remove(self, interaction: discord.Interaction, article: SharedArticleArg) -> None:
        removed = await deferred(interaction, self.bot.engine.remove, article.id, None,
                                 ephemeral=True)
        if not removed:
            raise UserFacingError("That article was already gone.")
        log.info("owner %s removed shared article %s", interaction.user.id, article.id)
        await say(interaction, render.removed_text(article))

    @owner.command(name="libraries", description="Every server's library and its size")
    async def libraries(self, interaction: discord.Interaction) -> None:
        sizes = await deferred(interaction, self.bot.engine.library_sizes, ephemeral=True)
        feeds = await self.bot.feeds.all()
        lines = [f"Shared library: {sizes.pop(None, 0):,} articles."]
        for library, count in sorted(sizes.items(), key=lambda item: (-item[1], item[0] or "")):
            lines.append(self._describe(library, count, feeds))
        await say(interaction, render.fit_lines(lines, render.CONTENT))

    def _describe(self, library: Library, count: int, feeds: list[dict]) -> str:
        guild = self.bot.get_guild(int(library)) if library and library.isdigit() else None
        name = render.fit(guild.name, 60) if guild else "(I am not in it)"
        polled = sum(str(f.get("guild_id")) == library for f in feeds)
        return f"`{library}` {name}: {count:,} articles, {polled} feeds"

    @owner.command(name="purge", description="Delete a server's articles, feeds and settings")
    @app_commands.describe(server="The server's id, as /owner libraries lists it")
    async def purge(
        self, interaction: discord.Interaction,
        server: app_commands.Range[str, 1, MAX_SERVER_ID],
    ) -> None:
        if not server.strip().isdigit():
            raise UserFacingError("A server id is a number, as /owner libraries lists it.")
        guild_id = int(server)
        removed = await deferred(interaction, self.bot.engine.purge, str(guild_id),
                                 ephemeral=True)
        feeds = await self.bot.feeds.purge(guild_id)
        await self.bot.guild_settings.purge(guild_id)
        log.info("owner %s purged server %s: %d articles, %d feeds", interaction.user.id,
                 guild_id, removed, feeds)
        await say(interaction, f"Purged server {guild_id}: {removed:,} articles, {feeds} "
                               "feeds and its settings.")
