"""The stand-in's world: guilds with two text channels each, members, roles, DMs, files."""

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


class Guild:
    """One server: its text channels, roles and members (the bot among them)."""

    def __init__(self, ids: Snowflakes, name: str, bot_user: dict[str, Any], bot_name: str,
                 bot_permissions: int | None) -> None:
        self.ids = ids
        self.id = ids.next()
        self.name = name
        self.channels: dict[str, dict[str, Any]] = {}
        self.channel_id = self._add_text_channel("general")
        self.other_channel_id = self._add_text_channel("news")
        self.roles: dict[str, dict[str, Any]] = {
            self.id: p.role_payload(self.id, "@everyone", p.EVERYONE_PERMISSIONS)
        }
        self.members: dict[str, Member] = {}
        self.bot_user = bot_user
        perms = p.EVERYONE_PERMISSIONS if bot_permissions is None else bot_permissions
        bot_role = self.add_role(bot_name, perms, bot_id=bot_user["id"])
        self.members[bot_user["id"]] = Member(bot_user, [bot_role["id"]])
        self.owner = self.add_member(name="owner", permissions=p.ADMINISTRATOR)

    def _add_text_channel(self, name: str) -> str:
        channel_id = self.ids.next()
        payload = p.text_channel_payload(channel_id, self.id, name, len(self.channels))
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
        user: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Add a (human) member to the guild (``user``: one known from another guild);
        returns the user dict."""
        if user is None:
            uid = str(user_id) if user_id is not None else self.ids.next()
            user = p.user_payload(uid, name)
        self.members[user["id"]] = Member(user, [str(r) for r in roles], permissions)
        return user

    def permissions(self, uid: str) -> int:
        """Guild-level permissions of a member, computed like Discord does."""
        if uid == self.owner["id"]:
            return p.ALL_PERMISSIONS
        member = self.members.get(uid)
        if member is None:
            return 0
        perms = int(self.roles[self.id]["permissions"]) | member.extra_permissions
        for role_id in member.roles:
            if role_id in self.roles:
                perms |= int(self.roles[role_id]["permissions"])
        return p.ALL_PERMISSIONS if perms & p.ADMINISTRATOR else perms

    def member_payload(self, uid: str, *, with_permissions: bool = False) -> dict[str, Any]:
        """The member object for a guild member (optionally with computed permissions)."""
        member = self.members[uid]
        payload = p.member_payload(member.user, member.roles, member.joined_at)
        if with_permissions:
            payload["permissions"] = str(self.permissions(uid))
        return payload


class World:
    """Guilds (the first is the one tests use unless they name another), DM channels and
    uploaded files. The bot application's owner is the first guild's owner."""

    def __init__(
        self, ids: Snowflakes, bot_name: str = "newsbot", bot_permissions: int | None = None
    ) -> None:
        self.ids = ids
        self.base_url = ""  # set by the server once its port is known
        self.application_id = ids.next()
        self.bot_user = p.user_payload(self.application_id, bot_name, bot=True)
        self._bot = (bot_name, bot_permissions)
        self.guilds: dict[str, Guild] = {}
        self.primary = self.add_guild("Stand-in Guild")
        self.dm_channels: dict[str, dict[str, Any]] = {}
        self.files: dict[str, StoredFile] = {}

    def add_guild(self, name: str) -> Guild:
        """Another server the bot is in (with its own owner, channels and roles)."""
        guild = Guild(self.ids, name, self.bot_user, *self._bot)
        self.guilds[guild.id] = guild
        return guild

    def guild(self, guild_id: str | int | None = None) -> Guild:
        """A guild by id (the first one when None)."""
        return self.primary if guild_id is None else self.guilds[str(guild_id)]

    def guild_of_channel(self, channel_id: str | int) -> Guild | None:
        """The guild a channel is in (None: a DM channel or unknown)."""
        return next((g for g in self.guilds.values() if str(channel_id) in g.channels), None)

    @property
    def guild_id(self) -> str:
        return self.primary.id

    @property
    def channel_id(self) -> str:
        return self.primary.channel_id

    @property
    def other_channel_id(self) -> str:
        return self.primary.other_channel_id

    @property
    def owner(self) -> dict[str, Any]:
        return self.primary.owner

    @property
    def members(self) -> dict[str, Member]:
        return self.primary.members

    @property
    def channels(self) -> dict[str, dict[str, Any]]:
        """Every guild's text channels."""
        return {cid: c for g in self.guilds.values() for cid, c in g.channels.items()}

    @property
    def roles(self) -> dict[str, dict[str, Any]]:
        """Every guild's roles."""
        return {rid: r for g in self.guilds.values() for rid, r in g.roles.items()}

    def known_user(self, uid: str) -> dict[str, Any] | None:
        """The user dict of a member of any guild (a user keeps their id and name)."""
        return next((g.members[uid].user for g in self.guilds.values() if uid in g.members),
                    None)

    def user_id(self, user: UserRef) -> str:
        """Normalise a user dict or id to an id string."""
        return str(user["id"]) if isinstance(user, dict) else str(user)

    def user(self, user: UserRef) -> dict[str, Any]:
        """The stored user dict for a user dict or id (unknown users are created)."""
        uid = self.user_id(user)
        known = self.known_user(uid)
        if known is not None:
            return known
        if isinstance(user, dict):
            return user
        return p.user_payload(uid, f"user{uid[-4:]}")

    def permissions(self, user: UserRef, guild_id: str | int | None = None) -> int:
        """Guild-level permissions of a member, computed like Discord does."""
        return self.guild(guild_id).permissions(self.user_id(user))

    def member_payload(self, user: UserRef, *, with_permissions: bool = False,
                       guild_id: str | int | None = None) -> dict[str, Any]:
        """The member object for a guild member (optionally with computed permissions)."""
        return self.guild(guild_id).member_payload(self.user_id(user),
                                                   with_permissions=with_permissions)

    def is_member(self, user: UserRef, guild_id: str | int | None = None) -> bool:
        """Whether the user is in the guild."""
        return self.user_id(user) in self.guild(guild_id).members

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

    def guild_payload(self, guild_id: str | int | None = None) -> dict[str, Any]:
        """The full GUILD_CREATE payload; member_count == len(members) so it counts as chunked."""
        guild = self.guild(guild_id)
        members = [guild.member_payload(uid) for uid in guild.members]
        return {
            "id": guild.id,
            "name": guild.name,
            "icon": None,
            "splash": None,
            "discovery_splash": None,
            "banner": None,
            "description": None,
            "owner_id": guild.owner["id"],
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
            "system_channel_id": guild.channel_id,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "safety_alerts_channel_id": None,
            "vanity_url_code": None,
            "preferred_locale": "en-US",
            "features": [],
            "application_id": None,
            "max_members": 500000,
            "joined_at": guild.members[self.bot_user["id"]].joined_at,
            "large": False,
            "unavailable": False,
            "lazy": True,
            "member_count": len(members),
            "members": members,
            "roles": list(guild.roles.values()),
            "channels": [dict(c) for c in guild.channels.values()],
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
