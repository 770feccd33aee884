"""Admin commands: /load, /remove, /askchannel, /stats."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.discord.bot import NewsBot


async def setup(bot: NewsBot) -> None:
    from bot.discord.exts.admin._cog import AdminCog

    await bot.add_cog(AdminCog(bot))
