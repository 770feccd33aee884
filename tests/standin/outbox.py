"""Messages the bot creates, edits and deletes (REST channel messages and interactions)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from tests.standin import payloads as p
from tests.standin.messages import MessageStore, allowed_mentions_filter, validate_message
from tests.standin.util import ApiError, Snowflakes, iso_now
from tests.standin.world import World

# Message flags the sender may set.
SETTABLE_FLAGS = (1 << 2) | (1 << 6) | (1 << 12) | (1 << 15)
EDITABLE_FIELDS = ("content", "embeds", "components", "flags", "poll")

Emit = Callable[[str, dict[str, Any]], Awaitable[None]]


@dataclass
class Upload:
    """One file part of a multipart request."""

    field: str
    filename: str
    data: bytes
    content_type: str


class Outbox:
    """Applies the bot's message payloads to the store and echoes gateway events."""

    def __init__(self, world: World, store: MessageStore, ids: Snowflakes, emit: Emit) -> None:
        self.world = world
        self.store = store
        self.ids = ids
        self.emit = emit

    async def create(
        self,
        channel_id: str,
        body: dict[str, Any],
        uploads: list[Upload],
        check: bool = True,
        **fields: Any,
    ) -> dict[str, Any]:
        """Create a bot message from a send payload; ``fields`` override message keys."""
        if check:
            validate_message(body, has_files=bool(uploads))
        if self.world.channel(channel_id) is None:
            raise ApiError(404, 10003, "Unknown Channel")
        flags = int(body.get("flags") or 0) & SETTABLE_FLAGS | fields.pop("flags", 0)
        message = p.message_payload(
            self.ids.next(), channel_id, self.world.bot_user,
            content=body.get("content") or "",
            embeds=body.get("embeds") or [],
            components=body.get("components") or [],
            attachments=self._attachments(body, uploads, []),
            tts=bool(body.get("tts")),
            flags=flags,
            **self._guild_fields(channel_id),
            **fields,
        )
        if body.get("poll"):
            message["poll"] = body["poll"]
        self._apply_reference(message, body.get("message_reference"))
        self._apply_mentions(message, body.get("allowed_mentions"))
        self.store.add(message)
        await self._echo("MESSAGE_CREATE", message)
        return message

    async def edit(self, message: dict[str, Any], body: dict[str, Any], uploads: list[Upload]
                   ) -> dict[str, Any]:
        """Apply an edit payload (only keys present change), validate, echo MESSAGE_UPDATE."""
        if message["author"]["id"] != self.world.bot_user["id"]:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        updated = dict(message)
        for key in EDITABLE_FIELDS:
            if key in body and body[key] is not None:
                updated[key] = body[key]
        if "content" in body and body["content"] is None:
            updated["content"] = ""
        updated["flags"] = _edited_flags(message["flags"], int(updated["flags"] or 0))
        if "attachments" in body or uploads:
            updated["attachments"] = self._attachments(body, uploads, message["attachments"])
        validate_message(updated)
        self._apply_mentions(updated, body.get("allowed_mentions"))
        updated["edited_timestamp"] = iso_now()
        message.clear()
        message.update(updated)
        await self._echo("MESSAGE_UPDATE", message)
        return message

    async def delete(self, message: dict[str, Any]) -> None:
        """Delete a message and echo MESSAGE_DELETE."""
        self.store.delete(message["id"])
        event = {"id": message["id"], "channel_id": message["channel_id"]}
        if "guild_id" in message:
            event["guild_id"] = message["guild_id"]
        if not message["flags"] & p.EPHEMERAL:
            await self.emit("MESSAGE_DELETE", event)

    def _guild_fields(self, channel_id: str) -> dict[str, Any]:
        guild = self.world.guild_of_channel(channel_id)
        if guild is None:
            return {}
        member = guild.member_payload(self.world.bot_user["id"])
        member.pop("user")
        return {"guild_id": guild.id, "member": member}

    def _attachments(self, body: dict[str, Any], uploads: list[Upload], existing: list[dict]
                     ) -> list[dict[str, Any]]:
        """Attachments after a send/edit: kept existing ones plus newly uploaded files."""
        listed = body.get("attachments")
        by_id = {a["id"]: a for a in existing}
        kept = existing if listed is None else [by_id[str(a["id"])] for a in listed
                                                if str(a.get("id")) in by_id]
        new = [self.world.add_file(u.filename, u.data, u.content_type) for u in uploads]
        return [*kept, *new]

    def _apply_reference(self, message: dict[str, Any], reference: dict[str, Any] | None) -> None:
        if not reference or not reference.get("message_id"):
            return
        target = self.store.get(reference["message_id"])
        if target is None:
            if reference.get("fail_if_not_exists", True):
                raise ApiError(400, 50035, "Invalid Form Body: Unknown message")
            return
        message["type"] = 19
        message["message_reference"] = {"type": 0, "message_id": target["id"],
                                        "channel_id": target["channel_id"],
                                        "guild_id": target.get("guild_id")}
        message["referenced_message"] = {
            k: v for k, v in target.items() if k != "referenced_message"
        }

    def _apply_mentions(self, message: dict[str, Any], allowed: dict[str, Any] | None) -> None:
        users, roles, everyone = allowed_mentions_filter(message["content"], allowed)
        mentions = [self.world.user(uid) for uid in users]
        replied = (message.get("referenced_message") or {}).get("author")
        ping_reply = allowed is None or allowed.get("replied_user", True)
        if replied and ping_reply and replied["id"] not in users:
            mentions.append(replied)
        message["mentions"] = mentions
        message["mention_roles"] = [r for r in roles if r in self.world.roles]
        message["mention_everyone"] = everyone

    async def _echo(self, event: str, message: dict[str, Any]) -> None:
        if not message["flags"] & p.EPHEMERAL:
            await self.emit(event, message)


def _edited_flags(old: int, requested: int) -> int:
    """Flags after an edit: LOADING cleared, EPHEMERAL fixed at creation, settable bits replaced."""
    kept = old & ~SETTABLE_FLAGS & ~p.LOADING
    return kept | (requested & SETTABLE_FLAGS & ~p.EPHEMERAL) | (old & p.EPHEMERAL)
