"""The stand-in's world: one guild with two text channels, members, roles, DMs, files."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from tests.standin import payloads as p
from tests.standin.util import Snowflakes, iso_now

UserRef = dict[str, Any] | str | int


@dataclass
class Member:
    """A guild member as the stand-in keeps it."""

    user: dict[str, Any]
    roles: list[str]
    extra_permissions: int = 0
    joined_at: str = field(default_factory=iso_now)


@dataclass
class StoredFile:
    """An attachment's metadata and bytes."""

    payload: dict[str, Any]
    data: bytes


class World:
    """Guild, channels, roles, members, DM channels and uploaded files."""

    def __init__(
        self, ids: Snowflakes, bot_name: str = "newsbot", bot_permissions: int | None = None
    ) -> None:
        self.ids = ids
        self.base_url = ""  # set by the server once its port is known
        self.application_id = ids.next()
        self.bot_user = p.user_payload(self.application_id, bot_name, bot=True)
        self.guild_id = ids.next()
        self.channels: dict[str, dict[str, Any]] = {}
        self.channel_id = self._add_text_channel("general")
        self.other_channel_id = self._add_text_channel("news")
        self.roles: dict[str, dict[str, Any]] = {
            self.guild_id: p.role_payload(self.guild_id, "@everyone", p.EVERYONE_PERMISSIONS)
        }
        self.members: dict[str, Member] = {}
        self.dm_channels: dict[str, dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}
        perms = p.EVERYONE_PERMISSIONS if bot_permissions is None else bot_permissions
        bot_role = self.add_role(bot_name, perms, bot_id=self.bot_user["id"])
        self.members[self.bot_user["id"]] = Member(self.bot_user, [bot_role["id"]])
        self.owner = self.add_member(name="owner", permissions=p.ADMINISTRATOR)

    def _add_text_channel(self, name: str) -> str:
        channel_id = self.ids.next()
        payload = p.text_channel_payload(channel_id, self.guild_id, name, len(self.channels))
        self.channels[channel_id] = payload
        return channel_id

    def add_role(self, name: str, permissions: int = 0, *, bot_id: str | None = None) -> dict:
        """Create a guild role and return its payload."""
        role = p.role_payload(self.ids.next(), name, permissions, position=len(self.roles),
                              bot_id=bot_id)
        self.roles[role["id"]] = role
        return role

    def add_member(
        self,
        user_id: str | int | None = None,
        name: str = "alice",
        permissions: int = 0,
        roles: Iterable[str | int] = (),
    ) -> dict[str, Any]:
        """Add a (human) member to the guild; returns the user dict."""
        uid = str(user_id) if user_id is not None else self.ids.next()
        user = p.user_payload(uid, name)
        self.members[uid] = Member(user, [str(r) for r in roles], permissions)
        return user

    def user_id(self, user: UserRef) -> str:
        """Normalise a user dict or id to an id string."""
        return str(user["id"]) if isinstance(user, dict) else str(user)

    def user(self, user: UserRef) -> dict[str, Any]:
        """The stored user dict for a user dict or id (unknown users are created)."""
        uid = self.user_id(user)
        if uid in self.members:
            return self.members[uid].user
        if isinstance(user, dict):
            return user
        return p.user_payload(uid, f"user{uid[-4:]}")

    def permissions(self, user: UserRef) -> int:
        """Guild-level permissions of a member, computed like Discord does."""
        uid = self.user_id(user)
        if uid == self.owner["id"]:
            return p.ALL_PERMISSIONS
        member = self.members.get(uid)
        if member is None:
            return 0
        perms = int(self.roles[self.guild_id]["permissions"]) | member.extra_permissions
        for role_id in member.roles:
            if role_id in self.roles:
                perms |= int(self.roles[role_id]["permissions"])
        return p.ALL_PERMISSIONS if perms & p.ADMINISTRATOR else perms

    def member_payload(self, user: UserRef, *, with_permissions: bool = False) -> dict[str, Any]:
        """The member object for a guild member (optionally with computed permissions)."""
        uid = self.user_id(user)
        member = self.members[uid]
        payload = p.member_payload(member.user, member.roles, member.joined_at)
        if with_permissions:
            payload["permissions"] = str(self.permissions(uid))
        return payload

    def is_member(self, user: UserRef) -> bool:
        """Whether the user is in the guild."""
        return self.user_id(user) in self.members

    def dm_channel(self, user: UserRef) -> dict[str, Any]:
        """The DM channel between the bot and a user (created on first use)."""
        uid = self.user_id(user)
        if uid not in self.dm_channels:
            self.dm_channels[uid] = p.dm_channel_payload(self.ids.next(), self.user(user))
        return self.dm_channels[uid]

    def channel(self, channel_id: str | int) -> dict[str, Any] | None:
        """A guild or DM channel by id."""
        cid = str(channel_id)
        if cid in self.channels:
            return self.channels[cid]
        return next((c for c in self.dm_channels.values() if c["id"] == cid), None)

    def add_file(self, filename: str, data: bytes, content_type: str) -> dict[str, Any]:
        """Store bytes and return an attachment dict whose URL the stand-in serves."""
        file_id = self.ids.next()
        url = f"{self.base_url}/attachments/{file_id}/{filename}"
        payload = p.attachment_payload(file_id, filename, len(data), url, content_type)
        self.files[file_id] = StoredFile(payload, data)
        return payload

    def guild_payload(self) -> dict[str, Any]:
        """The full GUILD_CREATE payload; member_count == len(members) so it counts as chunked."""
        members = [self.member_payload(uid) for uid in self.members]
        return {
            "id": self.guild_id,
            "name": "Stand-in Guild",
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": self.owner["id"],
            "afk_channel_id": None,
            "afk_timeout": 300,
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "premium_subscription_count": 0,
            "premium_progress_bar_enabled": False,
            "system_channel_id": self.channel_id,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "preferred_locale": "en-US",
            "features": [],
            "application_id": None,
            "max_members": 500000,
            "joined_at": self.members[self.bot_user["id"]].joined_at,
            "large": False,
            "unavailable": False,
            "lazy": True,
            "member_count": len(members),
            "members": members,
            "roles": list(self.roles.values()),
            "channels": [dict(c) for c in self.channels.values()],
            "threads": [],
            "emojis": [],
            "stickers": [],
            "voice_states": [],
            "presences": [],
            "stage_instances": [],
            "guild_scheduled_events": [],
            "soundboard_sounds": [],
            "incidents_data": None,
        }
