"""Route handlers for the REST endpoints a typical discord.py bot uses."""

from __future__ import annotations

from typing import Any

from tests.standin import payloads as p
from tests.standin.commands import CommandStore
from tests.standin.gateway import Gateway
from tests.standin.interactions import InteractionHub
from tests.standin.messages import MessageStore
from tests.standin.outbox import Outbox
from tests.standin.rest import Call, RestServer
from tests.standin.util import ApiError
from tests.standin.world import World

CHANNEL = r"/channels/(?P<cid>\d+)"
MESSAGE = CHANNEL + r"/messages/(?P<mid>\d+)"
REACTION = MESSAGE + r"/reactions/(?P<emoji>[^/]+)/@me"
COMMANDS = r"/applications/(?P<app>\d+)(?:/guilds/(?P<gid>\d+))?/commands"
WEBHOOK = r"/webhooks/(?P<app>\d+)/(?P<token>[^/]+)"
WEBHOOK_MESSAGE = WEBHOOK + r"/messages/(?P<mid>@original|\d+)"


class Routes:
    """Handlers bound to the stand-in's state; ``register`` installs them."""

    def __init__(self, world: World, store: MessageStore, outbox: Outbox, hub: InteractionHub,
                 commands: CommandStore, gateway: Gateway) -> None:
        self.world = world
        self.store = store
        self.outbox = outbox
        self.hub = hub
        self.commands = commands
        self.gateway = gateway

    def register(self, rest: RestServer) -> None:
        """Install every route on the REST server."""
        table = [
            ("GET", r"/users/@me", self.get_me),
            ("GET", r"/users/(?P<uid>\d+)", self.get_user),
            ("GET", r"/(?:oauth2/)?applications/@me", self.get_application),
            ("GET", r"/gateway", self.get_gateway),
            ("GET", r"/gateway/bot", self.get_gateway_bot),
            ("GET", CHANNEL, self.get_channel),
            ("GET", CHANNEL + "/messages", self.list_messages),
            ("POST", CHANNEL + "/messages", self.create_message),
            ("GET", MESSAGE, self.get_message),
            ("PATCH", MESSAGE, self.edit_message),
            ("DELETE", MESSAGE, self.delete_message),
            ("POST", CHANNEL + "/typing", self.typing),
            ("PUT", REACTION, self.add_reaction),
            ("DELETE", REACTION, self.remove_reaction),
            ("POST", r"/users/@me/channels", self.create_dm),
            ("GET", r"/guilds/(?P<gid>\d+)/members/(?P<uid>\d+)", self.get_member),
            ("GET", COMMANDS, self.list_commands),
            ("PUT", COMMANDS, self.put_commands),
            ("POST", COMMANDS, self.post_command),
            ("DELETE", COMMANDS + r"/(?P<cmd>\d+)", self.delete_command),
            ("POST", r"/interactions/(?P<iid>\d+)/(?P<token>[^/]+)/callback", self.callback),
            ("POST", WEBHOOK, self.followup),
            ("GET", WEBHOOK_MESSAGE, self.get_webhook_message),
            ("PATCH", WEBHOOK_MESSAGE, self.edit_webhook_message),
            ("DELETE", WEBHOOK_MESSAGE, self.delete_webhook_message),
        ]
        for method, pattern, handler in table:
            rest.route(method, pattern, handler)

    # --- login and gateway ---------------------------------------------------------

    async def get_me(self, call: Call) -> dict[str, Any]:
        """GET /users/@me."""
        return dict(self.world.bot_user, verified=True, mfa_enabled=False, email=None)

    async def get_user(self, call: Call) -> dict[str, Any]:
        """GET /users/{id}."""
        return self.world.user(call.params["uid"])

    async def get_application(self, call: Call) -> dict[str, Any]:
        """GET /oauth2/applications/@me."""
        return p.app_info_payload(self.world.application_id, self.world.bot_user,
                                  self.world.owner)

    async def get_gateway(self, call: Call) -> dict[str, Any]:
        """GET /gateway."""
        return {"url": self.gateway.url}

    async def get_gateway_bot(self, call: Call) -> dict[str, Any]:
        """GET /gateway/bot (AutoShardedBot)."""
        limit = {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}
        return {"url": self.gateway.url, "shards": 1, "session_start_limit": limit}

    # --- channels and messages -----------------------------------------------------

    def _channel(self, call: Call) -> dict[str, Any]:
        channel = self.world.channel(call.params["cid"])
        if channel is None:
            raise ApiError(404, 10003, "Unknown Channel")
        return channel

    def _message(self, call: Call) -> dict[str, Any]:
        self._channel(call)
        message = self.store.get(call.params["mid"])
        if message is None or message["channel_id"] != call.params["cid"]:
            raise ApiError(404, 10008, "Unknown Message")
        return message

    async def get_channel(self, call: Call) -> dict[str, Any]:
        """GET /channels/{id}."""
        return self._channel(call)

    async def list_messages(self, call: Call) -> list[dict[str, Any]]:
        """GET /channels/{id}/messages (newest first; limit, before, after)."""
        channel = self._channel(call)
        found = self.store.in_channel(channel["id"])
        before, after = call.record.query.get("before"), call.record.query.get("after")
        found = [m for m in found if (not before or int(m["id"]) < int(before))
                 and (not after or int(m["id"]) > int(after))]
        limit = int(call.record.query.get("limit", 50))
        return list(reversed(found))[:limit]

    async def create_message(self, call: Call) -> dict[str, Any]:
        """POST /channels/{id}/messages (JSON or multipart)."""
        return await self.outbox.create(self._channel(call)["id"], call.body, call.uploads)

    async def get_message(self, call: Call) -> dict[str, Any]:
        """GET /channels/{id}/messages/{id}."""
        return self._message(call)

    async def edit_message(self, call: Call) -> dict[str, Any]:
        """PATCH /channels/{id}/messages/{id}."""
        return await self.outbox.edit(self._message(call), call.body, call.uploads)

    async def delete_message(self, call: Call) -> None:
        """DELETE /channels/{id}/messages/{id}."""
        await self.outbox.delete(self._message(call))

    async def typing(self, call: Call) -> None:
        """POST /channels/{id}/typing."""
        self._channel(call)

    async def add_reaction(self, call: Call) -> None:
        """PUT .../reactions/{emoji}/@me."""
        message = self._message(call)
        emoji = call.params["emoji"]
        if not any(r["emoji"]["name"] == emoji for r in message["reactions"]):
            message["reactions"].append({"count": 1, "me": True,
                                         "emoji": {"id": None, "name": emoji}})

    async def remove_reaction(self, call: Call) -> None:
        """DELETE .../reactions/{emoji}/@me."""
        message = self._message(call)
        emoji = call.params["emoji"]
        message["reactions"] = [r for r in message["reactions"] if r["emoji"]["name"] != emoji]

    async def create_dm(self, call: Call) -> dict[str, Any]:
        """POST /users/@me/channels."""
        return self.world.dm_channel(str(call.body.get("recipient_id")))

    async def get_member(self, call: Call) -> dict[str, Any]:
        """GET /guilds/{id}/members/{id}."""
        guild_id = call.params["gid"]
        if guild_id not in self.world.guilds or not self.world.is_member(
                call.params["uid"], guild_id):
            raise ApiError(404, 10007, "Unknown Member")
        return self.world.member_payload(call.params["uid"], guild_id=guild_id)

    # --- application commands ------------------------------------------------------

    def _scope(self, call: Call) -> str | None:
        if call.params["app"] != self.world.application_id:
            raise ApiError(403, 50001, "Missing Access")
        guild_id = call.params.get("gid")
        if guild_id is not None and guild_id not in self.world.guilds:
            raise ApiError(403, 50001, "Missing Access")
        return guild_id

    async def list_commands(self, call: Call) -> list[dict[str, Any]]:
        """GET /applications/{app}[/guilds/{gid}]/commands."""
        return self.commands.listing(self._scope(call))

    async def put_commands(self, call: Call) -> list[dict[str, Any]]:
        """PUT (bulk overwrite) /applications/{app}[/guilds/{gid}]/commands."""
        body = call.record.json if isinstance(call.record.json, list) else []
        return self.commands.overwrite(self._scope(call), body)

    async def post_command(self, call: Call) -> dict[str, Any]:
        """POST /applications/{app}[/guilds/{gid}]/commands."""
        return self.commands.upsert(self._scope(call), call.body)

    async def delete_command(self, call: Call) -> None:
        """DELETE /applications/{app}[/guilds/{gid}]/commands/{id}."""
        if not self.commands.delete(self._scope(call), call.params["cmd"]):
            raise ApiError(404, 10063, "Unknown application command")

    # --- interactions --------------------------------------------------------------

    async def callback(self, call: Call) -> dict[str, Any]:
        """POST /interactions/{id}/{token}/callback (with_response → JSON, never 204)."""
        return await self.hub.callback(call.params["iid"], call.params["token"], call.body,
                                       call.uploads)

    async def followup(self, call: Call) -> dict[str, Any] | None:
        """POST /webhooks/{app}/{token} (followup message)."""
        rec = self.hub.webhook_record(call.params["app"], call.params["token"])
        message = await self.hub.followup(rec, call.body, call.uploads)
        wait = call.record.query.get("wait", "false").lower() in ("1", "true")
        return message if wait else None

    async def get_webhook_message(self, call: Call) -> dict[str, Any]:
        """GET /webhooks/{app}/{token}/messages/{id|@original}."""
        rec = self.hub.webhook_record(call.params["app"], call.params["token"])
        return self.hub.webhook_message(rec, call.params["mid"])

    async def edit_webhook_message(self, call: Call) -> dict[str, Any]:
        """PATCH /webhooks/{app}/{token}/messages/{id|@original}."""
        rec = self.hub.webhook_record(call.params["app"], call.params["token"])
        return await self.hub.edit(rec, call.params["mid"], call.body, call.uploads)

    async def delete_webhook_message(self, call: Call) -> None:
        """DELETE /webhooks/{app}/{token}/messages/{id|@original}."""
        rec = self.hub.webhook_record(call.params["app"], call.params["token"])
        await self.hub.delete(rec, call.params["mid"])
