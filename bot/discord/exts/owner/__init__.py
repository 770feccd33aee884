"""The owner's commands: the shared library, and servers' libraries (list, purge)."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

if TYPE_CHECKING:
    from bot.discord.bot import NewsBot

log = logging.getLogger(__name__)


async def setup(bot: NewsBot) -> None:
    """Registered in the owner guild only, so ordinary servers never see them."""
    from bot.discord.exts.owner._cog import OwnerCog

    if bot.owner_guild_id is None:
        log.info("no NEWSBOT_OWNER_GUILD or DEV_GUILD_ID: the owner's commands are off")
        return
    await bot.add_cog(OwnerCog(bot), guilds=[discord.Object(bot.owner_guild_id)])
