"""The ``article`` option shared by /article, /related and /remove: autocomplete + checking."""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

import discord
from discord import app_commands

from bot.discord import formatting as render
from bot.discord.errors import UserFacingError
from bot.models import Article, Library, library_of

if TYPE_CHECKING:
    from bot.discord.bot import NewsBot

MAX_CHOICES = 25
MAX_VALUE = 100


class UnknownArticle(UserFacingError):
    def __init__(self) -> None:
        super().__init__("I don't know that article: pick one from the list as you type.")


class ArticleOption(app_commands.Transformer):
    """Suggests articles by title (value: the id); turns the id that arrives into an Article.
    Suggestions are only suggestions: any text can arrive, so it is looked up again. Only
    articles of the reader's libraries (their server's and the shared one) are offered or
    found; with ``own_only``, only their server's own."""

    own_only = False
    shared_only = False  # the shared library's articles (the owner's commands)

    async def autocomplete(
        self, interaction: discord.Interaction, value: str
    ) -> list[app_commands.Choice[str]]:
        engine, library = _bot(interaction).engine, self._library(interaction)
        found = await asyncio.to_thread(engine.find_titles, value, MAX_CHOICES, library)
        return [
            app_commands.Choice(name=render.choice_name(a), value=a.id)
            for a in found[:MAX_CHOICES]
            if 0 < len(a.id) <= MAX_VALUE and self._offers(a, library)
        ]

    async def transform(self, interaction: discord.Interaction, value: str) -> Article:
        library = self._library(interaction)
        article = await asyncio.to_thread(_bot(interaction).engine.article, value, library)
        if article is None or not self._offers(article, library):
            raise UnknownArticle()  # another library's article is not even named
        return article

    def _library(self, interaction: discord.Interaction) -> Library:
        return None if self.shared_only else library_of(interaction.guild_id)

    def _offers(self, article: Article, library: Library) -> bool:
        return not (self.own_only or self.shared_only) or article.library == library


class OwnArticleOption(ArticleOption):
    """The server's own articles only (what its admins may remove)."""

    own_only = True


def _bot(interaction: discord.Interaction) -> NewsBot:
    return interaction.client  # type: ignore[return-value]


ArticleArg = app_commands.Transform[Article, ArticleOption]
class SharedArticleOption(ArticleOption):
    """The shared library's articles only (what the owner may remove)."""

    shared_only = True


OwnArticleArg = app_commands.Transform[Article, OwnArticleOption]
SharedArticleArg = app_commands.Transform[Article, SharedArticleOption]
