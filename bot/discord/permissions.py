"""Who may run admin commands, and the one decorator every admin command wears.

``default_permissions`` only hides commands (server admins can change that, and
subcommands ignore it), so every invocation is checked again by ``require_admin``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

import discord
from discord import app_commands

from bot.discord.errors import NotAdmin

MANAGERS = discord.Permissions(manage_guild=True)
F = TypeVar("F", bound=Callable[..., object])


def is_admin(interaction: discord.Interaction, admin_role: str) -> bool:
    """Manage Server in this channel, or the configured admin role (by name or id)."""
    if interaction.guild_id is None:
        return False
    if interaction.permissions.manage_guild:
        return True
    roles = getattr(interaction.user, "roles", [])
    return bool(admin_role) and any(admin_role in (r.name, str(r.id)) for r in roles)


def require_admin(interaction: discord.Interaction, admin_role: str) -> bool:
    """For a cog's ``interaction_check``: True, or NotAdmin (answered by the error handler)."""
    if not is_admin(interaction, admin_role):
        raise NotAdmin()
    return True


def admin_command(description: str) -> Callable[[F], app_commands.Command]:
    """A top-level slash command for server admins only, hidden from everyone else."""

    def wrap(callback: F) -> app_commands.Command:
        callback = app_commands.default_permissions(manage_guild=True)(callback)
        callback = app_commands.guild_only()(callback)
        return app_commands.command(description=description)(callback)

    return wrap


def admin_group(name: str, description: str) -> app_commands.Group:
    return app_commands.Group(
        name=name, description=description, guild_only=True, default_permissions=MANAGERS
    )
