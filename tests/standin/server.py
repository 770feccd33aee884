"""FakeDiscord: a loopback Discord stand-in (REST v10 + gateway) for driving real discord.py."""

from __future__ import annotations

import asyncio
import copy
import re
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

from aiohttp import web

from tests.standin.commands import (
    CommandStore,
    OptionBuilder,
    definitions_for,
    member_may_use,
    nest,
)
from tests.standin.gateway import (
    DIRECT_MESSAGES,
    GUILD_MEMBERS,
    GUILD_MESSAGES,
    MESSAGE_CONTENT,
    Gateway,
)
from tests.standin.inbox import AttachmentArg, Inbox, as_seen
from tests.standin.interactions import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    MESSAGE_COMPONENT,
    InteractionHub,
    InteractionRecord,
)
from tests.standin.messages import MessageStore, iter_components
from tests.standin.outbox import Outbox
from tests.standin.rest import API_PREFIX, Delay, Injection, RecordedRequest, RestServer
from tests.standin.routes import Routes
from tests.standin.util import Signal, Snowflakes
from tests.standin.world import Guild, UserRef, World

T = TypeVar("T")


class FakeDiscord:
    """A Discord stand-in on 127.0.0.1: a guild with two text channels (``add_guild`` for
    more), one bot connection."""

    def __init__(
        self,
        message_content_intent_granted: bool = True,
        *,
        interaction_deadline: float = 3.0,
        strict_privileged_intents: bool = False,
        bot_name: str = "newsbot",
        bot_permissions: int | None = None,
    ) -> None:
        self._ids = Snowflakes()
        self._signal = Signal()
        self._world = World(self._ids, bot_name, bot_permissions)
        self._store = MessageStore()
        self._commands = CommandStore(self._ids, self._world.application_id)
        self._gateway = Gateway(self._world, self._ids, self._signal,
                                content_granted=message_content_intent_granted,
                                strict_intents=strict_privileged_intents)
        self._inbox = Inbox(self._world, self._store, self._ids)
        self._outbox = Outbox(self._world, self._store, self._ids, self._emit)
        self._hub = InteractionHub(self._world, self._store, self._outbox, self._ids,
                                   self._signal, interaction_deadline)
        self._rest = RestServer(self._signal)
        Routes(self._world, self._store, self._outbox, self._hub, self._commands,
               self._gateway).register(self._rest)
        self._runner: web.AppRunner | None = None
        self._drops = 0
        self._background: set[asyncio.Future[None]] = set()
        self.base_url = ""
        self.default_user = self.add_member(name="tester")

    # --- lifecycle -----------------------------------------------------------------

    async def start(self) -> None:
        """Listen on an ephemeral 127.0.0.1 port."""
        app = web.Application()
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._rest.handle)
        app.router.add_get("/gateway", self._gateway.handle)
        app.router.add_get("/attachments/{file_id}/{filename}", self._serve_file)
        self._runner = web.AppRunner(app, shutdown_timeout=1.0, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{port}"
        self._world.base_url = self.base_url
        self._gateway.url = f"ws://127.0.0.1:{port}/gateway"

    async def stop(self) -> None:
        """Close websockets and the HTTP server (idempotent)."""
        if self._runner is None:
            return
        await asyncio.wait_for(self._gateway.close_all(), 5.0)
        await asyncio.wait_for(self._runner.cleanup(), 10.0)
        self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _serve_file(self, request: web.Request) -> web.Response:
        stored = self._world.files.get(request.match_info["file_id"])
        if stored is None or stored.payload["filename"] != request.match_info["filename"]:
            return web.Response(status=404, text="asset not found")
        return web.Response(body=stored.data, content_type=stored.payload["content_type"])

    @property
    def message_content_intent_granted(self) -> bool:
        """Whether the developer portal grants the privileged MESSAGE_CONTENT intent."""
        return self._gateway.content_granted

    @message_content_intent_granted.setter
    def message_content_intent_granted(self, granted: bool) -> None:
        self._gateway.content_granted = granted

    # --- identity --------------------------------------------------------------------

    @property
    def api_base(self) -> str:
        """Value for ``discord.http.Route.BASE``."""
        return self.base_url + API_PREFIX

    @property
    def gateway_url(self) -> str:
        """Value for ``discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY``."""
        return self._gateway.url

    @property
    def bot_user(self) -> dict[str, Any]:
        """The bot's user object."""
        return self._world.bot_user

    @property
    def application_id(self) -> str:
        """The application's id (same as the bot user's id, like Discord)."""
        return self._world.application_id

    @property
    def guild_id(self) -> str:
        """The only guild."""
        return self._world.guild_id

    @property
    def channel_id(self) -> str:
        """The guild's first text channel ("general")."""
        return self._world.channel_id

    @property
    def other_channel_id(self) -> str:
        """The guild's second text channel ("news")."""
        return self._world.other_channel_id

    @property
    def owner(self) -> dict[str, Any]:
        """The guild owner (has every permission)."""
        return self._world.owner

    def add_member(self, user_id: str | int | None = None, name: str = "alice",
                   permissions: int = 0, roles: Iterable[str | int] = (),
                   guild_id: str | int | None = None) -> dict[str, Any]:
        """Add a member to a guild (default: the first); ``permissions`` are added on top of
        @everyone. Returns the user. While the bot is connected this also dispatches
        GUILD_MEMBER_ADD."""
        guild = self._world.guild(guild_id)
        known = self._world.known_user(str(user_id)) if user_id is not None else None
        user = guild.add_member(user_id, name, permissions, roles, user=known)
        if self.intents & GUILD_MEMBERS:
            event = dict(guild.member_payload(user["id"]), guild_id=guild.id)
            self._dispatch_later("GUILD_MEMBER_ADD", event)
        return user

    def add_guild(self, name: str) -> Guild:
        """Another server with the bot in it, its own owner and two text channels (call
        before the bot connects, or it learns of it with GUILD_CREATE)."""
        guild = self._world.add_guild(name)
        if self._gateway.session is not None:
            self._dispatch_later("GUILD_CREATE", self._world.guild_payload(guild.id))
        return guild

    async def remove_guild(self, guild_id: str | int) -> None:
        """The bot leaves (or is removed from) a guild: GUILD_DELETE."""
        guild = self._world.guilds.pop(str(guild_id))
        await self._gateway.dispatch("GUILD_DELETE", {"id": guild.id})

    def add_role(self, name: str, permissions: int = 0) -> dict[str, Any]:
        """Create a role; while the bot is connected this dispatches GUILD_ROLE_CREATE."""
        role = self._world.primary.add_role(name, permissions)
        if self._gateway.session is not None:
            self._dispatch_later("GUILD_ROLE_CREATE", {"guild_id": self.guild_id, "role": role})
        return role

    def _dispatch_later(self, event: str, data: dict[str, Any]) -> None:
        """Dispatch from synchronous API methods (keeps a reference to the task)."""
        task = asyncio.ensure_future(self._gateway.dispatch(event, copy.deepcopy(data)))
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    def permissions_of(self, user: UserRef) -> int:
        """A member's computed guild permissions."""
        return self._world.permissions(user)

    # --- observation -----------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every REST call made so far, in completion order."""
        return self._rest.requests

    async def wait_for_request(self, predicate: Callable[[RecordedRequest], bool],
                               timeout: float = 10.0) -> RecordedRequest:
        """The first recorded request (past or future) matching ``predicate``."""
        return await self._signal.wait_until(
            lambda: next((r for r in self._rest.requests if predicate(r)), None), timeout,
            "a matching REST request")

    async def wait_until(self, probe: Callable[[], T | None], timeout: float = 10.0,
                         what: str = "a condition") -> T:
        """The first truthy ``probe()``, re-checked whenever the stand-in's state changes
        (cheaper than ``wait_for_request`` when many waiters watch many requests)."""
        return await self._signal.wait_until(probe, timeout, what)

    async def wait_ready(self, timeout: float = 10.0) -> None:
        """Until the bot has IDENTIFYed and been sent READY + GUILD_CREATE."""
        await self._signal.wait_until(lambda: self._gateway.ready, timeout, "IDENTIFY/READY")

    async def wait_resumed(self, timeout: float = 10.0, count: int | None = None) -> None:
        """Until the bot has RESUMEd ``count`` times (default: once per drop_gateway call)."""
        target = self._drops if count is None else count
        await self._signal.wait_until(lambda: self._gateway.resume_count >= target, timeout,
                                      f"{target} RESUME(s)")

    @property
    def identify_count(self) -> int:
        """How many IDENTIFYs the bot sent."""
        return self._gateway.identify_count

    @property
    def resume_count(self) -> int:
        """How many successful RESUMEs."""
        return self._gateway.resume_count

    @property
    def intents(self) -> int:
        """The intents bitfield from the latest IDENTIFY."""
        return self._gateway.intents

    @property
    def identify_payload(self) -> dict[str, Any] | None:
        """The latest IDENTIFY ``d`` payload."""
        return self._gateway.identify_payload

    def messages(self, channel_id: str | int | None = None, *,
                 include_ephemeral: bool = False) -> list[dict[str, Any]]:
        """The bot's live messages in a channel (state after edits), oldest first."""
        cid = str(channel_id or self.channel_id)
        found = self._store.in_channel(cid, self.bot_user["id"], include_ephemeral)
        return copy.deepcopy(found)

    def get_message(self, message_id: str | int) -> dict[str, Any] | None:
        """Any live message by id (bot's or users')."""
        found = self._store.get(message_id)
        return copy.deepcopy(found) if found else None

    @property
    def synced_commands(self) -> list[dict[str, Any]]:
        """Commands the bot synced: global ones, then guild ones (with ``guild_id``)."""
        return copy.deepcopy(self._commands.all())

    async def wait_for_command(self, name: str, timeout: float = 10.0,
                               guild_id: str | int | None = None) -> dict[str, Any]:
        """The synced command a member of a guild (default: the first) would invoke as
        ``/name``."""
        guild = str(guild_id or self.guild_id)
        return await self._signal.wait_until(
            lambda: self._commands.find(name, guild), timeout, f"/{name} to be synced")

    @property
    def interactions(self) -> list[InteractionRecord]:
        """Every interaction created so far."""
        return list(self._hub.records.values())

    # --- faults ------------------------------------------------------------------------

    def inject_rate_limit(self, method: str, path_regex: str, count: int = 1,
                          retry_after: float = 0.05) -> None:
        """The next ``count`` matching calls (``re.search`` on the path) answer 429."""
        self._rest.injections.append(
            Injection(method.upper(), re.compile(path_regex), count, 429, retry_after=retry_after))

    def inject_error(self, method: str, path_regex: str, status: int = 500, count: int = 1, *,
                     code: int = 0, message: str | None = None) -> None:
        """The next ``count`` matching calls fail with ``status`` (JSON {message, code})."""
        text = message or f"{status}: injected by stand-in"
        self._rest.injections.append(
            Injection(method.upper(), re.compile(path_regex), count, status, code, text))

    def inject_delay(self, method: str, path_regex: str, seconds: float,
                     count: int | None = None) -> None:
        """Matching calls (all, or the next ``count``) wait ``seconds`` before being handled:
        a slow API or network. Interaction deadlines are checked after the wait."""
        self._rest.delays.append(
            Delay(method.upper(), re.compile(path_regex), seconds, count))

    def drop_gateway(self, code: int = 4000) -> asyncio.Task[None]:
        """Close the gateway socket with a resumable code; the client should RESUME.
        Returns the closing task (awaiting it is optional)."""
        self._drops += 1
        return self._gateway.drop(code)

    # --- files -------------------------------------------------------------------------

    def add_attachment(self, filename: str, data: bytes,
                       content_type: str = "application/octet-stream") -> dict[str, Any]:
        """Store bytes; the returned attachment's ``url`` is served by the stand-in."""
        return self._world.add_file(filename, data, content_type)

    # --- users' actions ----------------------------------------------------------------

    async def send_message(
        self,
        content: str,
        author: UserRef | None = None,
        channel_id: str | int | None = None,
        mention_bot: bool = False,
        reference_message_id: str | int | None = None,
        attachments: Iterable[AttachmentArg] = (),
        *,
        dm: bool = False,
        reply_ping: bool = True,
    ) -> dict[str, Any]:
        """A user posts a message: MESSAGE_CREATE as the bot would see it. Returns the full
        (unblanked) message. ``mention_bot`` prefixes ``<@bot_id>`` unless already present."""
        if self._gateway.session is None:
            raise RuntimeError("stand-in: the bot is not connected (await wait_ready() first)")
        author_user = self._world.user(author or self.default_user)
        if mention_bot and f"<@{self.bot_user['id']}>" not in content:
            content = f"<@{self.bot_user['id']}> {content}"
        channel = self._world.dm_channel(author_user) if dm else self._guild_channel(channel_id)
        ref = None if reference_message_id is None else str(reference_message_id)
        message = self._inbox.post(content, author_user, channel, attachments, ref, reply_ping)
        await self._emit("MESSAGE_CREATE", message)
        return copy.deepcopy(message)

    async def run_command(
        self,
        name: str,
        options: list[dict[str, Any]] | dict[str, Any] | None = None,
        user: UserRef | None = None,
        channel_id: str | int | None = None,
        attachments: dict[str, dict[str, Any]] | None = None,
        subcommand: str | None = None,
        force: bool = False,
    ) -> InteractionRecord:
        """A member runs ``/name`` (chat input). Not delivered when the member lacks the
        command's default_member_permissions, unless ``force``."""
        channel = self._guild_channel(channel_id)
        command = await self.wait_for_command(name, 5.0, channel["guild_id"])
        defs, path = definitions_for(command, subcommand)
        builder = OptionBuilder(self._world, defs)
        if isinstance(options, list):
            built = builder.build(options) + builder.build(attachments or {}, complete=False)
        else:
            built = builder.build({**(options or {}), **(attachments or {})})
        data = self._command_data(command, nest(command, path, built), builder.resolved)
        record = self._hub.new_record(APPLICATION_COMMAND, data, user or self.default_user,
                                      channel["id"])
        return await self._deliver(record, command, force)

    async def autocomplete(self, name: str, options: dict[str, Any], focused: str,
                           user: UserRef | None = None, subcommand: str | None = None,
                           channel_id: str | int | None = None) -> InteractionRecord:
        """A member types in option ``focused``; the bot should answer with callback type 8."""
        channel = self._guild_channel(channel_id)
        command = await self.wait_for_command(name, 5.0, channel["guild_id"])
        defs, path = definitions_for(command, subcommand)
        values = dict(options)
        values.setdefault(focused, "")
        built = OptionBuilder(self._world, defs).build(values, focused=focused)
        data = self._command_data(command, nest(command, path, built), {})
        record = self._hub.new_record(AUTOCOMPLETE, data, user or self.default_user,
                                      channel["id"])
        return await self._deliver(record, command, False)

    async def click_button(self, message: dict[str, Any] | str | int, custom_id: str,
                           user: UserRef | None = None) -> InteractionRecord:
        """A member clicks an enabled button of a message the bot sent."""
        data = {"custom_id": custom_id, "component_type": 2}
        return await self._component(message, custom_id, (2,), data, user)

    async def select(self, message: dict[str, Any] | str | int, custom_id: str,
                     values: list[str], user: UserRef | None = None) -> InteractionRecord:
        """A member picks ``values`` in a string select menu of a bot message."""
        data = {"custom_id": custom_id, "component_type": 3, "values": list(values)}
        return await self._component(message, custom_id, (3,), data, user)

    # --- internals -----------------------------------------------------------------------

    def _guild_channel(self, channel_id: str | int | None) -> dict[str, Any]:
        cid = str(channel_id or self.channel_id)
        if cid not in self._world.channels:
            raise ValueError(f"unknown guild channel {cid}")
        return self._world.channels[cid]

    def _command_data(self, command: dict[str, Any], options: list[dict[str, Any]],
                      resolved: dict[str, Any]) -> dict[str, Any]:
        data: dict[str, Any] = {"id": command["id"], "name": command["name"],
                                "type": command["type"], "options": options}
        if "guild_id" in command:
            data["guild_id"] = command["guild_id"]
        if resolved:
            data["resolved"] = resolved
        return data

    async def _deliver(self, record: InteractionRecord, command: dict[str, Any] | None,
                       force: bool) -> InteractionRecord:
        user = record.payload["member"]["user"]
        perms = self._world.permissions(user, record.payload["guild_id"])
        allowed = command is None or member_may_use(command, perms)
        if not allowed and not force:
            record.delivered = False
            record.denied = ("member lacks default_member_permissions="
                             f"{command.get('default_member_permissions') if command else None}")
            return record
        record.dispatched_at = asyncio.get_running_loop().time()
        await self._gateway.dispatch("INTERACTION_CREATE", record.payload)
        return record

    async def _component(self, message: dict[str, Any] | str | int, custom_id: str,
                         kinds: tuple[int, ...], data: dict[str, Any], user: UserRef | None
                         ) -> InteractionRecord:
        mid = str(message["id"]) if isinstance(message, dict) else str(message)
        stored = self._store.get(mid)
        if stored is None:
            raise ValueError(f"no live message {mid}")
        found = [c for c in iter_components(stored["components"])
                 if c.get("custom_id") == custom_id and c.get("type") in kinds]
        if not found or found[0].get("disabled"):
            raise ValueError(f"message {mid} has no enabled component {custom_id!r}")
        record = self._hub.new_record(MESSAGE_COMPONENT, data, user or self.default_user,
                                      stored["channel_id"], message=stored)
        return await self._deliver(record, None, False)

    def _has_content_intent(self) -> bool:
        return bool(self.intents & MESSAGE_CONTENT) and self.message_content_intent_granted

    async def _emit(self, event: str, data: dict[str, Any]) -> None:
        """Dispatch a message event if the bot is connected and subscribed to it."""
        if self._gateway.session is None:
            return
        if event.startswith("MESSAGE_"):
            needed = GUILD_MESSAGES if "guild_id" in data else DIRECT_MESSAGES
            if not self.intents & needed:
                return
            if event != "MESSAGE_DELETE":
                data = as_seen(data, self.bot_user["id"], self._has_content_intent())
        await self._gateway.dispatch(event, copy.deepcopy(data))
