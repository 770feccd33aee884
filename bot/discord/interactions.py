"""Answering interactions the same way everywhere: never pinging, deferred or not."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any, TypeVar

import discord

from bot.discord.formatting import NO_MENTIONS

T = TypeVar("T")


async def deferred(
    interaction: discord.Interaction, work: Callable[..., T], *args: object, ephemeral: bool = False
) -> T:
    """Acknowledge the interaction ("thinking..."), then run blocking ``work`` in a thread."""
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    return await asyncio.to_thread(work, *args)


async def respond(
    interaction: discord.Interaction,
    embed: discord.Embed | None = None,
    *,
    content: str | None = None,
    ephemeral: bool = False,
    view: discord.ui.View | None = None,
) -> None:
    """Send ``embed`` and/or ``content`` as the interaction's response, or fill in the
    deferred one (whose visibility was fixed when deferring)."""
    given = {"embed": embed, "content": content, "view": view}
    body: dict[str, Any] = {k: v for k, v in given.items() if v is not None}
    if interaction.response.is_done():
        await interaction.edit_original_response(allowed_mentions=NO_MENTIONS, **body)
    else:
        await interaction.response.send_message(
            ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, **body
        )


async def say(interaction: discord.Interaction, text: str) -> None:
    """A short private note to the user (a refusal, an error, a confirmation)."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
