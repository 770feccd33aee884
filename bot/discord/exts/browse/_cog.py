"""Browsing: /recent (with page buttons), /article, /related, /help."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import errors
from bot.discord import formatting as render
from bot.discord.interactions import deferred, respond
from bot.discord.options import ArticleArg
from bot.models import RecentPage, library_of

if TYPE_CHECKING:
    from bot.discord.bot import NewsBot

MAX_SOURCE = 30
MAX_KEYWORD = 40
# The custom_id carries the listing: recent:<page>:<per page>:<len(source)>:<source><keyword>
# (at most ~30 + 30 + 40 characters, within Discord's 100).
PAGE_ID = re.compile(
    r"recent:(?P<page>\d+):(?P<per>\d+):(?P<split>\d+):(?P<filters>[\s\S]*)"
)


@dataclass(frozen=True)
class Listing:
    """What /recent shows: one page of articles, optionally filtered."""

    page: int
    per_page: int
    source: str
    keyword: str

    @property
    def custom_id(self) -> str:
        return f"recent:{self.page}:{self.per_page}:{len(self.source)}:{self.source}{self.keyword}"

    @classmethod
    def from_match(cls, match: re.Match[str]) -> Listing:
        split, filters = int(match["split"]), match["filters"]
        per_page = min(max(int(match["per"]), 1), render.MAX_LISTED)
        return cls(int(match["page"]), per_page, filters[:split], filters[split:])

    def fetch(self, bot: NewsBot, interaction: discord.Interaction) -> RecentPage:
        """The page the reader's libraries give (blocking: run in a thread)."""
        return bot.engine.recent(
            self.page, self.per_page, self.source or None, self.keyword or None,
            library=library_of(interaction.guild_id),
        )

    def show(self, result: RecentPage) -> tuple[discord.Embed, discord.ui.View]:
        """The embed for ``result`` and its Previous/Next buttons."""
        embed = render.recent_embed(result, self.source or None, self.keyword or None)
        page = result.page
        view = discord.ui.View(timeout=None)
        view.add_item(PageButton(replace(self, page=page - 1), "\u25c0 Previous", page <= 1))
        view.add_item(PageButton(replace(self, page=page + 1), "Next \u25b6", page >= result.pages))
        return embed, view


class PageButton(discord.ui.DynamicItem[discord.ui.Button], template=PAGE_ID):
    """A page button that works for anyone, even after a restart: its id says what to show."""

    def __init__(self, listing: Listing, label: str = "", disabled: bool = False) -> None:
        self.listing = listing
        button = discord.ui.Button(
            label=label or "page", custom_id=listing.custom_id, disabled=disabled,
            style=discord.ButtonStyle.secondary,
        )
        super().__init__(button)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> PageButton:
        return cls(Listing.from_match(match))

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            bot: NewsBot = interaction.client  # type: ignore[assignment]
            page = await asyncio.to_thread(self.listing.fetch, bot, interaction)
            embed, view = self.listing.show(page)
            await interaction.response.edit_message(
                embed=embed, view=view, allowed_mentions=render.NO_MENTIONS
            )
        except Exception as exc:
            await errors.interaction_failed(interaction, exc)


class BrowseCog(commands.Cog):
    """Read-only commands for everyone."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(PageButton)

    async def cog_unload(self) -> None:
        self.bot.remove_dynamic_items(PageButton)

    @app_commands.command(description="The newest articles")
    @app_commands.describe(
        count="Articles per page", source="Only this outlet", query="Only articles with this word"
    )
    async def recent(
        self,
        interaction: discord.Interaction,
        count: app_commands.Range[int, 1, render.MAX_LISTED] = 5,
        source: app_commands.Range[str, 1, MAX_SOURCE] = "",
        query: app_commands.Range[str, 1, MAX_KEYWORD] = "",
    ) -> None:
        listing = Listing(1, count, source.strip(), query.strip())
        embed, view = listing.show(await asyncio.to_thread(listing.fetch, self.bot, interaction))
        await respond(interaction, embed, view=view)

    @app_commands.command(description="Read an article")
    @app_commands.describe(article="Start typing a title")
    async def article(self, interaction: discord.Interaction, article: ArticleArg) -> None:
        await respond(interaction, render.article_embed(article))

    @app_commands.command(description="Articles similar to one article")
    @app_commands.describe(article="Start typing a title")
    async def related(self, interaction: discord.Interaction, article: ArticleArg) -> None:
        found = await deferred(interaction, self.bot.engine.related, article.id, 5,
                               library_of(interaction.guild_id))
        await respond(interaction, render.related_embed(article, found))

    @app_commands.command(name="help", description="What I can do")
    async def help_command(self, interaction: discord.Interaction) -> None:
        await respond(interaction, render.help_embed(), ephemeral=True)
