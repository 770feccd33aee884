"""The REST API (/api/v10): request recording, fault injection, and the route table."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import BodyPartReader, web

from tests.standin.outbox import Upload
from tests.standin.util import ApiError, Signal, json_reply

API_PREFIX = "/api/v10"
NO_AUTH_PREFIXES = ("/interactions/", "/webhooks/")


@dataclass
class RecordedRequest:
    """One REST call the bot made, with the status the stand-in answered."""

    method: str
    path: str
    query: dict[str, str]
    json: Any
    files: list[tuple[str, bytes]]
    headers: dict[str, str]
    status: int = 0
    response: Any = field(default=None, repr=False)
    at: float = 0.0  # event-loop time when the stand-in answered


@dataclass
class Injection:
    """A queued fault: the next ``remaining`` matching calls fail."""

    method: str
    pattern: re.Pattern[str]
    remaining: int
    status: int
    code: int = 0
    message: str = ""
    retry_after: float | None = None

    def matches(self, method: str, path: str) -> bool:
        """Whether this fault applies to the call."""
        same_method = self.method in ("*", method)
        return self.remaining > 0 and same_method and self.pattern.search(path) is not None

    def response(self) -> web.Response:
        """The failing response (a Discord-style 429 when retry_after is set)."""
        self.remaining -= 1
        if self.retry_after is None:
            return json_reply({"message": self.message, "code": self.code}, self.status)
        body = {"message": "You are being rate limited.", "retry_after": self.retry_after,
                "global": False, "code": 0}
        return json_reply(body, 429, _rate_limit_headers(self.retry_after))


@dataclass
class Delay:
    """A slow API: matching calls wait ``seconds`` before being handled."""

    method: str
    pattern: re.Pattern[str]
    seconds: float
    remaining: int | None = None  # None: every matching call

    def take(self, method: str, path: str) -> float:
        """The delay for this call (0 when it does not match); counts the call."""
        if self.remaining == 0 or self.method not in ("*", method):
            return 0.0
        if self.pattern.search(path) is None:
            return 0.0
        if self.remaining is not None:
            self.remaining -= 1
        return self.seconds


def _rate_limit_headers(retry_after: float) -> dict[str, str]:
    return {
        "Via": "1.1 google",
        "Retry-After": str(max(1, round(retry_after))),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + retry_after:.3f}",
        "X-RateLimit-Reset-After": f"{retry_after:.3f}",
        "X-RateLimit-Bucket": "standin-bucket",
        "X-RateLimit-Scope": "user",
    }


@dataclass
class Call:
    """A parsed REST call handed to a route handler."""

    record: RecordedRequest
    params: dict[str, str]
    uploads: list[Upload]

    @property
    def body(self) -> dict[str, Any]:
        """The JSON body (or multipart payload_json), {} when absent."""
        return self.record.json if isinstance(self.record.json, dict) else {}


Handler = Callable[[Call], Awaitable[Any]]


class RestServer:
    """Records every call, applies injected faults, then dispatches to route handlers."""

    def __init__(self, signal: Signal) -> None:
        self.signal = signal
        self.requests: list[RecordedRequest] = []
        self.injections: list[Injection] = []
        self.delays: list[Delay] = []
        self._routes: list[tuple[str, re.Pattern[str], Handler]] = []

    def route(self, method: str, pattern: str, handler: Handler) -> None:
        """Register a handler for a method and a full-match path regex."""
        self._routes.append((method, re.compile(pattern), handler))

    async def handle(self, request: web.Request) -> web.Response:
        """aiohttp handler for everything under /api/v10."""
        body, uploads = await _read_body(request)
        record = RecordedRequest(
            method=request.method,
            path=request.path[len(API_PREFIX):] or "/",
            query=dict(request.query),
            json=body,
            files=[(u.filename, u.data) for u in uploads],
            headers=dict(request.headers),
        )
        delay = sum(d.take(record.method, record.path) for d in self.delays)
        if delay:
            await asyncio.sleep(delay)
        response = await self._respond(record, uploads)
        record.status = response.status
        record.at = asyncio.get_running_loop().time()
        self.requests.append(record)
        self.signal.notify()
        return response

    async def _respond(self, record: RecordedRequest, uploads: list[Upload]) -> web.Response:
        for injection in self.injections:
            if injection.matches(record.method, record.path):
                return injection.response()
        try:
            self._check_auth(record)
            handler, params = self._resolve(record.method, record.path)
            result = await handler(Call(record, params, uploads))
        except ApiError as exc:
            record.response = exc.body()
            return json_reply(record.response, exc.status)
        record.response = result
        return web.Response(status=204) if result is None else json_reply(result)

    def _check_auth(self, record: RecordedRequest) -> None:
        if record.path.startswith(NO_AUTH_PREFIXES):
            return
        if not record.headers.get("Authorization", "").startswith("Bot "):
            raise ApiError(401, 0, "401: Unauthorized")

    def _resolve(self, method: str, path: str) -> tuple[Handler, dict[str, str]]:
        path_known = False
        for route_method, pattern, handler in self._routes:
            match = pattern.fullmatch(path)
            if match is None:
                continue
            path_known = True
            if route_method == method:
                params = {k: v for k, v in match.groupdict().items() if v is not None}
                return handler, params
        if path_known:
            raise ApiError(405, 0, "405: Method Not Allowed")
        raise ApiError(404, 0, "404: Not Found")


async def _read_body(request: web.Request) -> tuple[Any, list[Upload]]:
    """JSON body, or multipart payload_json plus uploaded files."""
    if request.content_type == "multipart/form-data":
        return await _read_multipart(request)
    raw = await request.read()
    if not raw:
        return None, []
    try:
        return json.loads(raw), []
    except ValueError:
        return raw.decode(errors="replace"), []


async def _read_multipart(request: web.Request) -> tuple[Any, list[Upload]]:
    payload: Any = None
    uploads: list[Upload] = []
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        if not isinstance(part, BodyPartReader):
            continue
        if part.name == "payload_json":
            payload = json.loads(await part.text())
        elif part.filename is not None:
            content_type = part.headers.get("Content-Type", "application/octet-stream")
            data = bytes(await part.read())
            uploads.append(Upload(part.name or "", part.filename, data, content_type))
    return payload, uploads
