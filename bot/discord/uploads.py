"""Reading an attachment a command was given, within the upload limit."""

from __future__ import annotations

import discord

from bot.discord import formatting as render
from bot.discord.errors import UserFacingError


async def read_upload(
    interaction: discord.Interaction, file: discord.Attachment, max_bytes: int
) -> bytes:
    """The attachment's bytes, the interaction deferred privately meanwhile; refused
    before reading when it is over the upload limit (and after, if it lied)."""
    limit = min(max_bytes, interaction.filesize_limit)
    if file.size > limit:
        raise UserFacingError(render.too_big_text(file.size, limit))
    await interaction.response.defer(ephemeral=True, thinking=True)
    data = await file.read()
    if len(data) > limit:
        raise UserFacingError(render.too_big_text(len(data), limit))
    return data
