"""Builders for Discord API v10 payloads (users, guilds, channels, messages, ...)."""

from __future__ import annotations

from typing import Any

from tests.standin.util import iso_now

# Permission bits (https://discord.com/developers/docs/topics/permissions).
ADMINISTRATOR = 1 << 3
MANAGE_GUILD = 1 << 5
ALL_PERMISSIONS = (1 << 51) - 1
EVERYONE_PERMISSIONS = (
    (1 << 0)  # CREATE_INSTANT_INVITE
    | (1 << 6)  # ADD_REACTIONS
    | (1 << 10)  # VIEW_CHANNEL
    | (1 << 11)  # SEND_MESSAGES
    | (1 << 14)  # EMBED_LINKS
    | (1 << 15)  # ATTACH_FILES
    | (1 << 16)  # READ_MESSAGE_HISTORY
    | (1 << 18)  # USE_EXTERNAL_EMOJIS
    | (1 << 26)  # CHANGE_NICKNAME
    | (1 << 31)  # USE_APPLICATION_COMMANDS
    | (1 << 38)  # SEND_MESSAGES_IN_THREADS
)

# Message flags.
EPHEMERAL = 1 << 6
LOADING = 1 << 7


def user_payload(user_id: str, name: str, *, bot: bool = False) -> dict[str, Any]:
    """A user object."""
    return {
        "id": user_id,
        "username": name,
        "discriminator": "0",
        "global_name": None if bot else name.title(),
        "avatar": None,
        "bot": bot,
        "system": False,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }


def role_payload(
    role_id: str, name: str, permissions: int, *, position: int = 0, bot_id: str | None = None
) -> dict[str, Any]:
    """A role object; ``bot_id`` makes it the bot's managed role."""
    role: dict[str, Any] = {
        "id": role_id,
        "name": name,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "icon": None,
        "unicode_emoji": None,
        "position": position,
        "permissions": str(permissions),
        "managed": bot_id is not None,
        "mentionable": False,
        "flags": 0,
    }
    if bot_id is not None:
        role["tags"] = {"bot_id": bot_id}
    return role


def member_payload(user: dict[str, Any], roles: list[str], joined_at: str) -> dict[str, Any]:
    """A guild member object (with the user)."""
    return {
        "user": user,
        "nick": None,
        "avatar": None,
        "banner": None,
        "roles": list(roles),
        "joined_at": joined_at,
        "premium_since": None,
        "deaf": False,
        "mute": False,
        "flags": 0,
        "pending": False,
        "communication_disabled_until": None,
    }


def text_channel_payload(
    channel_id: str, guild_id: str, name: str, position: int
) -> dict[str, Any]:
    """A guild text channel object (type 0)."""
    return {
        "id": channel_id,
        "type": 0,
        "guild_id": guild_id,
        "name": name,
        "position": position,
        "permission_overwrites": [],
        "topic": None,
        "nsfw": False,
        "last_message_id": None,
        "rate_limit_per_user": 0,
        "parent_id": None,
        "flags": 0,
    }


def dm_channel_payload(channel_id: str, recipient: dict[str, Any]) -> dict[str, Any]:
    """A DM channel object (type 1)."""
    return {"id": channel_id, "type": 1, "recipients": [recipient], "last_message_id": None}


def app_info_payload(
    app_id: str, bot_user: dict[str, Any], owner: dict[str, Any]
) -> dict[str, Any]:
    """GET /oauth2/applications/@me."""
    return {
        "id": app_id,
        "name": bot_user["username"],
        "description": "Discord stand-in application",
        "icon": None,
        "bot_public": True,
        "bot_require_code_grant": False,
        "owner": owner,
        "verify_key": "0" * 64,
        "team": None,
        "flags": 0,
        "bot": bot_user,
        "summary": "",
        "rpc_origins": [],
        "redirect_uris": [],
        "tags": [],
        "interactions_endpoint_url": None,
        "approximate_guild_count": 1,
    }


def attachment_payload(
    attachment_id: str, filename: str, size: int, url: str, content_type: str
) -> dict[str, Any]:
    """An attachment object served by the stand-in."""
    return {
        "id": attachment_id,
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
        "content_type": content_type,
        "flags": 0,
    }


def message_payload(
    message_id: str, channel_id: str, author: dict[str, Any], **fields: Any
) -> dict[str, Any]:
    """A message object; ``fields`` override the defaults (content, embeds, flags, ...)."""
    message: dict[str, Any] = {
        "id": message_id,
        "channel_id": channel_id,
        "author": author,
        "content": "",
        "embeds": [],
        "components": [],
        "attachments": [],
        "mentions": [],
        "mention_roles": [],
        "mention_everyone": False,
        "pinned": False,
        "tts": False,
        "timestamp": iso_now(),
        "edited_timestamp": None,
        "type": 0,
        "flags": 0,
        "reactions": [],
    }
    message.update(fields)
    return message


def visible_to_bot(message: dict[str, Any]) -> dict[str, Any]:
    """Copy of a message with content, embeds, attachments and components blanked."""
    blank = dict(message, content="", embeds=[], attachments=[], components=[])
    blank.pop("poll", None)
    return blank
