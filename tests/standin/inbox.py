"""Messages users post, and how the bot sees messages (MESSAGE_CONTENT rules)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from tests.standin import payloads as p
from tests.standin.messages import MessageStore, mentioned_ids
from tests.standin.util import Snowflakes
from tests.standin.world import World

AttachmentArg = dict[str, Any] | tuple[str, bytes]


class Inbox:
    """Builds user messages like Discord does: mentions, replies, member data, files."""

    def __init__(self, world: World, store: MessageStore, ids: Snowflakes) -> None:
        self.world = world
        self.store = store
        self.ids = ids

    def post(self, content: str, author: dict[str, Any], channel: dict[str, Any],
             attachments: Iterable[AttachmentArg], reference_id: str | None,
             reply_ping: bool) -> dict[str, Any]:
        """Store and return a user's message in a guild or DM channel."""
        message = p.message_payload(
            self.ids.next(), channel["id"], author, content=content,
            attachments=[self._as_attachment(a) for a in attachments])
        guild = self.world.guild_of_channel(channel["id"])
        if guild is not None:
            message["guild_id"] = guild.id
            message["member"] = self.partial_member(author, guild.id)
        self._add_mentions(message)
        if reference_id is not None:
            self._add_reference(message, reference_id, reply_ping)
        return self.store.add(message)

    def partial_member(self, user: dict[str, Any], guild_id: str) -> dict[str, Any]:
        """The member object without ``user``, as messages carry it."""
        if not self.world.is_member(user, guild_id):
            raise ValueError(f"{user['username']} is not a guild member: call add_member()")
        member = self.world.member_payload(user, guild_id=guild_id)
        member.pop("user")
        return member

    def _as_attachment(self, item: AttachmentArg) -> dict[str, Any]:
        if isinstance(item, dict):
            return item
        filename, data = item
        return self.world.add_file(filename, data, "application/octet-stream")

    def _add_mentions(self, message: dict[str, Any]) -> None:
        users, roles, everyone = mentioned_ids(message["content"])
        message["mentions"] = [self._mention(uid, message.get("guild_id")) for uid in users]
        message["mention_roles"] = [r for r in roles if r in self.world.roles]
        message["mention_everyone"] = everyone

    def _mention(self, user_id: str, guild_id: str | None) -> dict[str, Any]:
        user = dict(self.world.user(user_id))
        if guild_id is not None and self.world.is_member(user_id, guild_id):
            user["member"] = self.partial_member(user, guild_id)
        return user

    def _add_reference(self, message: dict[str, Any], target_id: str, ping: bool) -> None:
        target = self.store.get(target_id)
        if target is None:
            raise ValueError(f"no message {target_id} to reply to")
        message["type"] = 19
        message["message_reference"] = {"type": 0, "message_id": target_id,
                                        "channel_id": target["channel_id"],
                                        "guild_id": target.get("guild_id")}
        message["referenced_message"] = {k: v for k, v in target.items()
                                         if k != "referenced_message"}
        mentioned = {m["id"] for m in message["mentions"]}
        if ping and target["author"]["id"] not in mentioned:
            author_id = target["author"]["id"]
            message["mentions"].append(self._mention(author_id, message.get("guild_id")))


def content_visible(message: dict[str, Any], bot_id: str, has_content_intent: bool) -> bool:
    """Discord's rule: own messages, DMs and messages mentioning the bot keep their content;
    others only with the (granted and requested) MESSAGE_CONTENT intent."""
    if message["author"]["id"] == bot_id or "guild_id" not in message:
        return True
    if any(m["id"] == bot_id for m in message.get("mentions", [])):
        return True
    return has_content_intent


def as_seen(message: dict[str, Any], bot_id: str, has_content_intent: bool) -> dict[str, Any]:
    """The message as the bot receives it (content, embeds, files blanked when not visible)."""
    seen = message
    if not content_visible(message, bot_id, has_content_intent):
        seen = p.visible_to_bot(message)
    referenced = seen.get("referenced_message")
    if referenced and not content_visible(referenced, bot_id, has_content_intent):
        seen = dict(seen, referenced_message=p.visible_to_bot(referenced))
    return seen
