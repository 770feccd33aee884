"""Which library a Discord reader's commands and questions use: their server's (with the
shared one), or in a direct message the shared library alone."""

from __future__ import annotations

from bot.models import Library


def library_of(guild_id: int | None) -> Library:
    """The library of the server ``guild_id`` (None: not in a server)."""
    return None if guild_id is None else str(guild_id)
