"""The ``article`` option shared by /article, /related and /remove: autocomplete + checking."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.discord import formatting as render
from bot.discord.errors import UserFacingError
from bot.models import Article

if TYPE_CHECKING:
    from bot.discord.bot import NewsBot

MAX_CHOICES = 25
MAX_VALUE = 100


class UnknownArticle(UserFacingError):
    def __init__(self) -> None:
        super().__init__("I don't know that article: pick one from the list as you type.")


class ArticleOption(app_commands.Transformer):
    """Suggests articles by title (value: the id); turns the id that arrives into an Article.
    Suggestions are only suggestions: any text can arrive, so it is looked up again."""

    async def autocomplete(
        self, interaction: discord.Interaction, value: str
    ) -> list[app_commands.Choice[str]]:
        engine = _bot(interaction).engine
        found = await asyncio.to_thread(engine.find_titles, value, MAX_CHOICES)
        return [
            app_commands.Choice(name=render.choice_name(a), value=a.id)
            for a in found[:MAX_CHOICES]
            if 0 < len(a.id) <= MAX_VALUE
        ]

    async def transform(self, interaction: discord.Interaction, value: str) -> Article:
        article = await asyncio.to_thread(_bot(interaction).engine.article, value)
        if article is None:
            raise UnknownArticle()
        return article


def _bot(interaction: discord.Interaction) -> NewsBot:
    return interaction.client  # type: ignore[return-value]


ArticleArg = app_commands.Transform[Article, ArticleOption]
