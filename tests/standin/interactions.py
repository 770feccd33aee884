"""Interactions: INTERACTION_CREATE payloads, callbacks, and the interaction webhooks."""

from __future__ import annotations

import asyncio
import copy
from dataclasses import dataclass, field
from typing import Any

from tests.standin import payloads as p
from tests.standin.messages import MessageStore
from tests.standin.outbox import Outbox, Upload
from tests.standin.util import ApiError, Signal, Snowflakes, invalid_form
from tests.standin.world import UserRef, World

# Interaction types.
APPLICATION_COMMAND, MESSAGE_COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5
# Callback types.
PONG, MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE, CHOICES, MODAL = 1, 4, 5, 6, 7, 8, 9
ALLOWED_CALLBACKS = {
    APPLICATION_COMMAND: {MESSAGE, DEFERRED_MESSAGE, MODAL},
    MESSAGE_COMPONENT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE, MODAL},
    AUTOCOMPLETE: {CHOICES},
    MODAL_SUBMIT: {MESSAGE, DEFERRED_MESSAGE, DEFERRED_UPDATE, UPDATE},
}
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024
TOKEN_LIFETIME = 15 * 60.0


@dataclass(eq=False)
class InteractionRecord:
    """One interaction the stand-in dispatched (or refused to), and what the bot did with it."""

    id: str
    token: str
    type: int
    payload: dict[str, Any]
    hub: InteractionHub = field(repr=False)
    delivered: bool = True
    denied: str | None = None
    dispatched_at: float = 0.0
    callbacks: list[dict[str, Any]] = field(default_factory=list)
    errors: list[int] = field(default_factory=list)
    original_id: str | None = None
    followup_ids: list[str] = field(default_factory=list)
    changes: int = 0

    @property
    def error(self) -> int | None:
        """The first Discord error code the bot got for this interaction (10062, 40060...)."""
        return self.errors[0] if self.errors else None

    @property
    def choices(self) -> list[dict[str, Any]]:
        """Autocomplete choices the bot answered with (callback type 8)."""
        for body in self.callbacks:
            if body.get("type") == CHOICES:
                return list((body.get("data") or {}).get("choices") or [])
        return []

    def messages(self) -> list[dict[str, Any]]:
        """Live messages of this interaction: original response first, then followups."""
        ids = [self.original_id, *self.followup_ids]
        found = [self.hub.store.get(mid) for mid in ids if mid]
        return [copy.deepcopy(m) for m in found if m is not None]

    async def wait_response(self, timeout: float = 5.0) -> dict[str, Any]:
        """The first callback body ({"type": ..., "data": ...}) once the bot sent it."""
        self._check_delivered()
        return await self.hub.signal.wait_until(
            lambda: self.callbacks[0] if self.callbacks else None, timeout,
            f"a callback for interaction {self.id} (errors: {self.errors})")

    async def final_message(self, timeout: float = 10.0, quiet: float = 0.1) -> dict[str, Any]:
        """The last live message of the interaction once it is no longer "thinking"
        and has not changed for ``quiet`` seconds (original response or latest followup)."""
        self._check_delivered()
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        await self.hub.signal.wait_until(self._settled, timeout,
                                         f"a final message for interaction {self.id}")
        while (remaining := deadline - loop.time()) > 0:
            if not await self._changed_within(min(quiet, remaining)):
                break
        return self.messages()[-1]

    async def _changed_within(self, seconds: float) -> bool:
        seen = self.changes
        try:
            await self.hub.signal.wait_until(lambda: self.changes != seen, seconds, "edits")
        except TimeoutError:
            return False
        return True

    def _settled(self) -> bool:
        live = self.messages()
        return bool(live) and not live[-1]["flags"] & p.LOADING

    def _check_delivered(self) -> None:
        if not self.delivered:
            raise PermissionError(f"interaction {self.id} was not delivered: {self.denied}")


class InteractionHub:
    """Builds interactions and serves their callback and webhook endpoints."""

    def __init__(self, world: World, store: MessageStore, outbox: Outbox, ids: Snowflakes,
                 signal: Signal, deadline: float) -> None:
        self.world = world
        self.store = store
        self.outbox = outbox
        self.ids = ids
        self.signal = signal
        self.deadline = deadline
        self.records: dict[str, InteractionRecord] = {}
        self._by_token: dict[str, InteractionRecord] = {}

    def new_record(self, kind: int, data: dict[str, Any], user: UserRef, channel_id: str,
                   message: dict[str, Any] | None = None) -> InteractionRecord:
        """Create (but do not dispatch) an interaction from a guild member in a channel."""
        guild = self.world.guild_of_channel(channel_id)
        if guild is None:
            raise ValueError(f"unknown guild channel {channel_id}")
        if not self.world.is_member(user, guild.id):
            raise ValueError("interactions come from guild members: call add_member() first")
        channel = guild.channels[channel_id]
        iid = self.ids.next()
        token = f"aW50ZXJhY3Rpb24.{iid}.{self.ids.next()}"
        payload = self._payload(iid, token, kind, data, user, channel)
        if message is not None:
            payload["message"] = copy.deepcopy(message)
        record = InteractionRecord(iid, token, kind, payload, hub=self)
        self.records[iid] = record
        self._by_token[token] = record
        return record

    def _payload(self, iid: str, token: str, kind: int, data: dict[str, Any], user: UserRef,
                 channel: dict[str, Any]) -> dict[str, Any]:
        guild_id = channel["guild_id"]
        perms = str(self.world.permissions(user, guild_id))
        return {
            "id": iid,
            "application_id": self.world.application_id,
            "type": kind,
            "data": data,
            "guild_id": guild_id,
            "guild": {"id": guild_id, "locale": "en-US", "features": []},
            "channel_id": channel["id"],
            "channel": dict(channel, permissions=perms),
            "member": self.world.member_payload(user, with_permissions=True, guild_id=guild_id),
            "token": token,
            "version": 1,
            "app_permissions": str(self.world.permissions(self.world.bot_user, guild_id)),
            "locale": "en-US",
            "guild_locale": "en-US",
            "entitlements": [],
            "authorizing_integration_owners": {"0": guild_id},
            "context": 0,
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }

    async def callback(self, iid: str, token: str, body: dict[str, Any],
                       uploads: list[Upload]) -> dict[str, Any]:
        """POST /interactions/{id}/{token}/callback."""
        rec = self.records.get(iid)
        if rec is None or rec.token != token or not rec.delivered:
            raise ApiError(404, 10062, "Unknown interaction")
        try:
            resource = await self._respond(rec, body, uploads)
        except ApiError as exc:
            rec.errors.append(exc.code)
            self.signal.notify()
            raise
        rec.callbacks.append(body)
        self._changed(rec)
        return self._callback_reply(rec, body, resource)

    async def _respond(self, rec: InteractionRecord, body: dict[str, Any],
                       uploads: list[Upload]) -> dict[str, Any] | None:
        if rec.callbacks:
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        if asyncio.get_running_loop().time() - rec.dispatched_at > self.deadline:
            raise ApiError(404, 10062, "Unknown interaction")
        kind, data = body.get("type"), body.get("data") or {}
        if kind not in ALLOWED_CALLBACKS[rec.type]:
            raise invalid_form("type", f"callback type {kind} is invalid for this interaction")
        if kind in (MESSAGE, DEFERRED_MESSAGE):
            return await self._new_response(rec, kind, data, uploads)
        if kind in (DEFERRED_UPDATE, UPDATE):
            return await self._update_source(rec, kind, data, uploads)
        if kind == CHOICES:
            _validate_choices(data.get("choices") or [])
        return None

    async def _new_response(self, rec: InteractionRecord, kind: int, data: dict[str, Any],
                            uploads: list[Upload]) -> dict[str, Any]:
        fields = self._message_fields(rec)
        if kind == DEFERRED_MESSAGE:
            loading = {"flags": int(data.get("flags") or 0) & p.EPHEMERAL}
            msg = await self.outbox.create(rec.payload["channel_id"], loading, [], check=False,
                                           flags=p.LOADING, **fields)
        else:
            msg = await self.outbox.create(rec.payload["channel_id"], data, uploads, **fields)
        rec.original_id = msg["id"]
        return {"type": kind, "message": msg}

    async def _update_source(self, rec: InteractionRecord, kind: int, data: dict[str, Any],
                             uploads: list[Upload]) -> dict[str, Any] | None:
        source = self.store.get((rec.payload.get("message") or {}).get("id", ""))
        if source is None:
            raise ApiError(404, 10008, "Unknown Message")
        rec.original_id = source["id"]
        if kind == DEFERRED_UPDATE:
            return None
        msg = await self.outbox.edit(source, data, uploads)
        return {"type": kind, "message": msg}

    def _callback_reply(self, rec: InteractionRecord, body: dict[str, Any],
                        resource: dict[str, Any] | None) -> dict[str, Any]:
        original = self.store.get(rec.original_id) if rec.original_id else None
        interaction: dict[str, Any] = {
            "id": rec.id,
            "type": rec.type,
            "response_message_loading": body.get("type") == DEFERRED_MESSAGE,
            "response_message_ephemeral": bool(original and original["flags"] & p.EPHEMERAL),
        }
        if original is not None:
            interaction["response_message_id"] = original["id"]
        reply: dict[str, Any] = {"interaction": interaction}
        if resource is not None:
            reply["resource"] = resource
        return reply

    def _message_fields(self, rec: InteractionRecord) -> dict[str, Any]:
        user = rec.payload["member"]["user"]
        metadata: dict[str, Any] = {
            "id": rec.id,
            "type": rec.type,
            "user": user,
            "authorizing_integration_owners": {"0": rec.payload["guild_id"]},
        }
        if rec.type == APPLICATION_COMMAND:
            metadata["name"] = rec.payload["data"]["name"]
        if "message" in rec.payload:
            metadata["interacted_message_id"] = rec.payload["message"]["id"]
        return {
            "type": 20 if rec.type == APPLICATION_COMMAND else 0,
            "webhook_id": self.world.application_id,
            "application_id": self.world.application_id,
            "interaction_metadata": metadata,
        }

    def _changed(self, rec: InteractionRecord) -> None:
        rec.changes += 1
        self.signal.notify()

    # --- webhook endpoints -------------------------------------------------------------

    def webhook_record(self, app_id: str, token: str) -> InteractionRecord:
        """The interaction behind /webhooks/{app}/{token}, checking the token's lifetime."""
        rec = self._by_token.get(token)
        if rec is None or app_id != self.world.application_id:
            raise ApiError(404, 10015, "Unknown Webhook")
        if asyncio.get_running_loop().time() - rec.dispatched_at > TOKEN_LIFETIME:
            raise ApiError(401, 50027, "Invalid Webhook Token")
        return rec

    def webhook_message(self, rec: InteractionRecord, message_id: str) -> dict[str, Any]:
        """A message of the interaction by id or ``@original``."""
        mid = rec.original_id if message_id == "@original" else message_id
        msg = self.store.get(mid) if mid in (rec.original_id, *rec.followup_ids) else None
        if msg is None:
            raise ApiError(404, 10008, "Unknown Message")
        return msg

    async def edit(self, rec: InteractionRecord, message_id: str, body: dict[str, Any],
                   uploads: list[Upload]) -> dict[str, Any]:
        """PATCH /webhooks/{app}/{token}/messages/{id|@original}."""
        msg = await self.outbox.edit(self.webhook_message(rec, message_id), body, uploads)
        self._changed(rec)
        return msg

    async def delete(self, rec: InteractionRecord, message_id: str) -> None:
        """DELETE /webhooks/{app}/{token}/messages/{id|@original}."""
        await self.outbox.delete(self.webhook_message(rec, message_id))
        self._changed(rec)

    async def followup(self, rec: InteractionRecord, body: dict[str, Any],
                       uploads: list[Upload]) -> dict[str, Any]:
        """POST /webhooks/{app}/{token}; the first followup after a defer replaces "thinking"."""
        if not rec.callbacks:
            raise ApiError(404, 10015, "Unknown Webhook")
        original = self.store.get(rec.original_id) if rec.original_id else None
        if original is not None and original["flags"] & p.LOADING:
            msg = await self.outbox.edit(original, body, uploads)
        else:
            fields = self._message_fields(rec)
            msg = await self.outbox.create(rec.payload["channel_id"], body, uploads, **fields)
            rec.followup_ids.append(msg["id"])
        self._changed(rec)
        return msg


def _validate_choices(choices: list[dict[str, Any]]) -> None:
    """Autocomplete limits: at most 25 choices, names and string values 1–100 chars."""
    if len(choices) > 25:
        raise invalid_form("data.choices", "Must be 25 or fewer in length.")
    for i, choice in enumerate(choices):
        name, value = str(choice.get("name", "")), choice.get("value")
        if not 1 <= len(name) <= 100:
            raise invalid_form(f"data.choices.{i}.name", "Must be between 1 and 100 in length.")
        if isinstance(value, str) and not 1 <= len(value) <= 100:
            raise invalid_form(f"data.choices.{i}.value", "Must be between 1 and 100 in length.")
