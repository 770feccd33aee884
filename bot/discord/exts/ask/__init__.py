"""Questions: mentions, replies, ask channels, DMs and /ask."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.discord.bot import NewsBot


async def setup(bot: NewsBot) -> None:
    from bot.discord.exts.ask._cog import AskCog

    await bot.add_cog(AskCog(bot))
