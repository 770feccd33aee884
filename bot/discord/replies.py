"""Answering interactions the same way everywhere: never pinging, deferred or not."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

import discord

from bot.discord.render import NO_MENTIONS

T = TypeVar("T")


async def deferred(
    interaction: discord.Interaction, work: Callable[..., T], *args: object, ephemeral: bool = False
) -> T:
    """Acknowledge the interaction ("thinking..."), then run blocking ``work`` in a thread."""
    await interaction.response.defer(ephemeral=ephemeral, thinking=True)
    return await asyncio.to_thread(work, *args)


async def respond(
    interaction: discord.Interaction,
    embed: discord.Embed,
    *,
    ephemeral: bool = False,
    view: discord.ui.View | None = None,
) -> None:
    """Send ``embed`` as the interaction's response, or fill in the deferred one."""
    extra = {"view": view} if view is not None else {}
    if interaction.response.is_done():
        await interaction.edit_original_response(
            embed=embed, allowed_mentions=NO_MENTIONS, **extra
        )
    else:
        await interaction.response.send_message(
            embed=embed, ephemeral=ephemeral, allowed_mentions=NO_MENTIONS, **extra
        )


async def say(interaction: discord.Interaction, text: str) -> None:
    """A short private note to the user (a refusal, an error, a confirmation)."""
    if interaction.response.is_done():
        await interaction.followup.send(text, ephemeral=True, allowed_mentions=NO_MENTIONS)
    else:
        await interaction.response.send_message(
            text, ephemeral=True, allowed_mentions=NO_MENTIONS
        )
