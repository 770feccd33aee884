"""Browsing: /recent, /article, /related, /help."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.discord.bot import NewsBot


async def setup(bot: NewsBot) -> None:
    from bot.discord.exts.browse._cog import BrowseCog

    await bot.add_cog(BrowseCog(bot))
