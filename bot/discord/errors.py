"""The one place errors end up: users get a short note, the log gets the traceback.

App commands reach ``NewsTree.on_error``; component callbacks and message handlers call
``interaction_failed`` / ``message_failed``; other events reach ``NewsBot.on_error``, which
calls ``event_failed``. Nothing here re-raises: one failing event never stops the bot.
"""

from __future__ import annotations

import logging

import discord
from discord import app_commands

from bot.discord import formatting as render
from bot.discord.interactions import say

log = logging.getLogger(__name__)

SORRY = "Sorry, something went wrong on my side. It has been logged; please try again later."


class UserFacingError(app_commands.AppCommandError):
    """An expected problem whose message is shown to the user as is."""


class NotAdmin(UserFacingError, app_commands.CheckFailure):
    def __init__(self) -> None:
        super().__init__("This command is for server managers (Manage Server or the admin role).")


class NotOwner(UserFacingError, app_commands.CheckFailure):
    def __init__(self) -> None:
        super().__init__("This command is for the bot's owner.")


def _unwrap(error: BaseException) -> BaseException:
    return error.original if isinstance(error, app_commands.CommandInvokeError) else error


def friendly(error: BaseException) -> str | None:
    """The user's note for an expected error; None for a bug."""
    match error:
        case UserFacingError():
            return str(error)
        case app_commands.CommandOnCooldown():
            return render.cooldown_text(error.retry_after)
        case app_commands.MissingPermissions() | app_commands.MissingAnyRole():
            return "You don't have the permissions this command needs."
        case app_commands.BotMissingPermissions():
            return f"I'm missing permissions here: {', '.join(error.missing_permissions)}."
        case app_commands.NoPrivateMessage():
            return "This command only works in a server."
        case app_commands.CheckFailure():
            return "You can't use this command here."
        case app_commands.TransformerError():
            return "One of the options has a value I can't use; please check it."
        case discord.Forbidden():
            return "Discord didn't let me do that here (missing permissions)."
    return None


def _command_name(interaction: discord.Interaction) -> str:
    command = interaction.command
    return command.qualified_name if command else str((interaction.data or {}).get("custom_id"))


async def interaction_failed(interaction: discord.Interaction, error: BaseException) -> None:
    """Log ``error`` and tell the user, whether or not the interaction was answered yet."""
    error = _unwrap(error)
    note = friendly(error)
    name, user = _command_name(interaction), interaction.user.id
    if isinstance(error, app_commands.CheckFailure):
        log.warning("refused /%s for user %s: %s", name, user, error)
    elif note is not None:
        log.info("/%s by user %s: %s", name, user, error)
    else:
        log.error("/%s by user %s failed", name, user, exc_info=error)
    try:
        await say(interaction, note or SORRY)
    except discord.HTTPException as exc:  # expired token, deleted channel...
        log.warning("could not tell user %s about the error: %s", user, exc)


async def message_failed(message: discord.Message, error: BaseException) -> None:
    """Log a failure while answering ``message`` and reply with a short note."""
    note = friendly(error)
    if note is None:
        log.error("answering message %s failed", message.id, exc_info=error)
    else:
        log.warning("answering message %s: %s", message.id, error)
    try:
        await message.reply(
            note or SORRY, mention_author=False, allowed_mentions=render.NO_MENTIONS
        )
    except discord.HTTPException as exc:
        log.warning("could not reply to message %s about the error: %s", message.id, exc)


def event_failed(event: str) -> None:
    """Log the exception being handled in an event handler (call from ``on_error``)."""
    log.exception("event %s failed", event)


class NewsTree(app_commands.CommandTree):
    """The command tree: errors go to ``interaction_failed``."""

    async def on_error(
        self, interaction: discord.Interaction, error: app_commands.AppCommandError
    ) -> None:
        await interaction_failed(interaction, error)
