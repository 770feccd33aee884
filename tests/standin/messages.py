"""Message storage, mention parsing and Discord's message limits."""

from __future__ import annotations

import re
from typing import Any

from tests.standin.payloads import EPHEMERAL
from tests.standin.util import ApiError, invalid_form

USER_MENTION = re.compile(r"<@!?(\d+)>")
ROLE_MENTION = re.compile(r"<@&(\d+)>")

EMBED_LIMITS = {"title": 256, "description": 4096}
EMBED_TOTAL = 6000
COMPONENTS_V2 = 1 << 15


class MessageStore:
    """Every message in the stand-in, in creation order, with edits applied."""

    def __init__(self) -> None:
        self._by_id: dict[str, dict[str, Any]] = {}
        self._deleted: set[str] = set()

    def add(self, message: dict[str, Any]) -> dict[str, Any]:
        """Store a new message."""
        self._by_id[message["id"]] = message
        return message

    def get(self, message_id: str | int) -> dict[str, Any] | None:
        """A live (not deleted) message by id."""
        mid = str(message_id)
        return None if mid in self._deleted else self._by_id.get(mid)

    def delete(self, message_id: str) -> None:
        """Mark a message deleted."""
        self._deleted.add(message_id)

    def in_channel(
        self, channel_id: str, author_id: str | None = None, include_ephemeral: bool = False
    ) -> list[dict[str, Any]]:
        """Live messages of a channel, optionally only one author's, oldest first."""
        return [
            m
            for mid, m in self._by_id.items()
            if m["channel_id"] == channel_id
            and mid not in self._deleted
            and (author_id is None or m["author"]["id"] == author_id)
            and (include_ephemeral or not m["flags"] & EPHEMERAL)
        ]


def mentioned_ids(content: str) -> tuple[list[str], list[str], bool]:
    """User ids, role ids and @everyone/@here found in message content."""
    users = list(dict.fromkeys(USER_MENTION.findall(content)))
    roles = list(dict.fromkeys(ROLE_MENTION.findall(content)))
    everyone = "@everyone" in content or "@here" in content
    return users, roles, everyone


def allowed_mentions_filter(
    content: str, allowed: dict[str, Any] | None
) -> tuple[list[str], list[str], bool]:
    """Mentions that actually ping, given the bot's ``allowed_mentions`` (None = all)."""
    users, roles, everyone = mentioned_ids(content)
    if allowed is None:
        return users, roles, everyone
    parse = allowed.get("parse", [])
    allowed_users = {str(u) for u in allowed.get("users", [])}
    allowed_roles = {str(r) for r in allowed.get("roles", [])}
    users = [u for u in users if "users" in parse or u in allowed_users]
    roles = [r for r in roles if "roles" in parse or r in allowed_roles]
    return users, roles, everyone and "everyone" in parse


def validate_message(body: dict[str, Any], has_files: bool = False) -> None:
    """Raise ApiError like Discord when a message payload breaks a documented limit."""
    content = body.get("content") or ""
    if len(content) > 2000:
        raise invalid_form("content", "Must be 2000 or fewer in length.")
    embeds = body.get("embeds") or []
    if len(embeds) > 10:
        raise invalid_form("embeds", "Must be 10 or fewer in length.")
    total = 0
    for index, embed in enumerate(embeds):
        total += _validate_embed(index, embed)
    if total > EMBED_TOTAL:
        raise invalid_form("embeds", f"Embed size exceeds maximum size of {EMBED_TOTAL}")
    components = body.get("components") or []
    if int(body.get("flags") or 0) & COMPONENTS_V2:
        for c, child in enumerate(iter_components(components)):
            _check_len(f"components.{c}.custom_id", child.get("custom_id"), 100)
    else:
        _validate_components(components)
    empty = not (content or embeds or body.get("components") or body.get("sticker_ids"))
    if empty and not has_files and not body.get("attachments") and not body.get("poll"):
        raise ApiError(400, 50006, "Cannot send an empty message")


def _check_len(field: str, value: Any, limit: int) -> int:
    text = value or ""
    if len(text) > limit:
        raise invalid_form(field, f"Must be {limit} or fewer in length.")
    return len(text)


def _validate_embed(index: int, embed: dict[str, Any]) -> int:
    """Check one embed; return its character count towards the 6,000 total."""
    prefix = f"embeds.{index}"
    size = sum(_check_len(f"{prefix}.{k}", embed.get(k), n) for k, n in EMBED_LIMITS.items())
    size += _check_len(f"{prefix}.footer.text", (embed.get("footer") or {}).get("text"), 2048)
    size += _check_len(f"{prefix}.author.name", (embed.get("author") or {}).get("name"), 256)
    fields = embed.get("fields") or []
    if len(fields) > 25:
        raise invalid_form(f"{prefix}.fields", "Must be 25 or fewer in length.")
    for i, fld in enumerate(fields):
        size += _check_len(f"{prefix}.fields.{i}.name", fld.get("name"), 256)
        size += _check_len(f"{prefix}.fields.{i}.value", fld.get("value"), 1024)
    return size


def _validate_components(rows: list[dict[str, Any]]) -> None:
    if len(rows) > 5:
        raise invalid_form("components", "Must be 5 or fewer in length.")
    for r, row in enumerate(rows):
        children = row.get("components") or []
        if len(children) > 5:
            raise invalid_form(f"components.{r}.components", "Must be 5 or fewer in length.")
        for c, child in enumerate(children):
            where = f"components.{r}.components.{c}"
            _check_len(f"{where}.custom_id", child.get("custom_id"), 100)
            _check_len(f"{where}.label", child.get("label"), 80)


def iter_components(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """All components of a message, flattened (rows and their children)."""
    found: list[dict[str, Any]] = []
    for comp in rows:
        found.append(comp)
        found.extend(iter_components(comp.get("components") or []))
    return found
