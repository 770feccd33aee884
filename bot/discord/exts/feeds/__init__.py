"""Feeds: /feeds for admins, and the poller."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.discord.bot import NewsBot


async def setup(bot: NewsBot) -> None:
    from bot.discord.exts.feeds._cog import FeedsCog

    await bot.add_cog(FeedsCog(bot))
