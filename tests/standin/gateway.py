"""The gateway websocket: HELLO, IDENTIFY/READY, heartbeats, dispatches and RESUME."""

from __future__ import annotations

import asyncio
import contextlib
import json
import uuid
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

from tests.standin.util import Signal, Snowflakes
from tests.standin.world import World

# Opcodes.
DISPATCH, HEARTBEAT, IDENTIFY, PRESENCE, VOICE, RESUME = 0, 1, 2, 3, 4, 6
REQUEST_MEMBERS, INVALID_SESSION, HELLO, HEARTBEAT_ACK = 8, 9, 10, 11

# Intents.
GUILD_MEMBERS = 1 << 1
GUILD_MESSAGES = 1 << 9
DIRECT_MESSAGES = 1 << 12
MESSAGE_CONTENT = 1 << 15

HEARTBEAT_INTERVAL_MS = 41_250
BACKLOG = 1000


@dataclass
class Session:
    """A gateway session; survives a dropped socket so the client can RESUME it."""

    session_id: str
    intents: int
    shard: list[int] | None
    seq: int = 0
    backlog: deque[dict[str, Any]] = field(default_factory=lambda: deque(maxlen=BACKLOG))


class Gateway:
    """Serves /gateway for one bot connection at a time."""

    def __init__(self, world: World, ids: Snowflakes, signal: Signal, *,
                 content_granted: bool, strict_intents: bool) -> None:
        self.world = world
        self.ids = ids
        self.signal = signal
        self.content_granted = content_granted
        self.strict_intents = strict_intents
        self.url = ""  # set by the server once its port is known
        self.session: Session | None = None
        self.identify_payload: dict[str, Any] | None = None
        self.identify_count = 0
        self.resume_count = 0
        self.ready = False
        self._ws: web.WebSocketResponse | None = None
        self._sockets: set[web.WebSocketResponse] = set()
        self._lock = asyncio.Lock()

    @property
    def intents(self) -> int:
        """The intents of the current session (0 before IDENTIFY)."""
        return self.session.intents if self.session else 0

    @property
    def connected(self) -> bool:
        """Whether a socket is currently identified or resumed."""
        return self._ws is not None and not self._ws.closed

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        """aiohttp handler for the websocket endpoint."""
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        self._sockets.add(ws)
        try:
            await self._send(ws, {"op": HELLO, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}})
            async for msg in ws:
                if msg.type is WSMsgType.TEXT:
                    await self._on_frame(ws, json.loads(msg.data))
        finally:
            self._sockets.discard(ws)
            if self._ws is ws:
                self._ws = None
        return ws

    async def _on_frame(self, ws: web.WebSocketResponse, frame: dict[str, Any]) -> None:
        op, data = frame.get("op"), frame.get("d")
        if op == HEARTBEAT:
            await self._send(ws, {"op": HEARTBEAT_ACK})
        elif op == IDENTIFY:
            await self._identify(ws, data)
        elif op == RESUME:
            await self._resume(ws, data)
        elif op == REQUEST_MEMBERS:
            await self._members_chunk(data)

    async def _identify(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        intents = int(data.get("intents", 0))
        if intents & MESSAGE_CONTENT and not self.content_granted and self.strict_intents:
            await ws.close(code=4014, message=b"Disallowed intent(s).")
            return
        self.identify_payload = data
        self.identify_count += 1
        self.session = Session(uuid.uuid4().hex, intents, data.get("shard"))
        async with self._lock:
            self._ws = ws
        await self.dispatch("READY", self._ready_payload())
        for guild_id in self.world.guilds:
            await self.dispatch("GUILD_CREATE", self.world.guild_payload(guild_id))
        self.ready = True
        self.signal.notify()

    def _ready_payload(self) -> dict[str, Any]:
        assert self.session is not None
        ready: dict[str, Any] = {
            "v": 10,
            "user": dict(self.world.bot_user, verified=True, mfa_enabled=False, email=None),
            "guilds": [{"id": guild_id, "unavailable": True} for guild_id in self.world.guilds],
            "session_id": self.session.session_id,
            "session_type": "normal",
            "resume_gateway_url": self.url,
            "application": {"id": self.world.application_id, "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "user_settings": {},
            "geo_ordered_rtc_regions": [],
            "guild_join_requests": [],
        }
        if self.session.shard is not None:
            ready["shard"] = self.session.shard
        return ready

    async def _resume(self, ws: web.WebSocketResponse, data: dict[str, Any]) -> None:
        session = self.session
        if session is None or data.get("session_id") != session.session_id:
            await self._send(ws, {"op": INVALID_SESSION, "d": False})
            return
        last_seen = int(data.get("seq") or 0)
        async with self._lock:
            for frame in session.backlog:
                if frame["s"] > last_seen:
                    await self._send(ws, frame)
            self._ws = ws
            await self._dispatch_locked(session, "RESUMED", {})
        self.resume_count += 1
        self.signal.notify()

    async def _members_chunk(self, data: dict[str, Any]) -> None:
        guild = self.world.guild(data.get("guild_id"))
        members = [guild.member_payload(uid) for uid in guild.members]
        chunk = {"guild_id": guild.id, "members": members, "chunk_index": 0,
                 "chunk_count": 1, "not_found": []}
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        await self.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    async def dispatch(self, event: str, data: dict[str, Any]) -> None:
        """Send a DISPATCH; buffered for RESUME while the socket is down."""
        session = self.session
        if session is None:
            raise RuntimeError("stand-in: no gateway session yet (call wait_ready first)")
        async with self._lock:
            await self._dispatch_locked(session, event, data)

    async def _dispatch_locked(self, session: Session, event: str, data: dict[str, Any]) -> None:
        session.seq += 1
        frame = {"op": DISPATCH, "t": event, "s": session.seq, "d": data}
        session.backlog.append(frame)
        if self._ws is not None and not self._ws.closed:
            await self._send(self._ws, frame)

    async def _send(self, ws: web.WebSocketResponse, payload: dict[str, Any]) -> None:
        with contextlib.suppress(ConnectionError, RuntimeError):
            await ws.send_str(json.dumps(payload))

    def drop(self, code: int = 4000) -> asyncio.Task[None]:
        """Close the live socket with a resumable code; returns the closing task."""
        ws, self._ws = self._ws, None
        return asyncio.ensure_future(self._close(ws, code))

    async def _close(self, ws: web.WebSocketResponse | None, code: int) -> None:
        if ws is not None and not ws.closed:
            await ws.close(code=code, message=b"stand-in dropped the connection")

    async def close_all(self) -> None:
        """Close every socket (server shutdown)."""
        self._ws = None
        for ws in list(self._sockets):
            await self._close(ws, 1001)
