"""Small helpers shared by the Discord stand-in: snowflakes, JSON replies, waiting."""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import time
from collections.abc import Callable
from typing import Any, TypeVar

from aiohttp import web

T = TypeVar("T")

DISCORD_EPOCH_MS = 1_420_070_400_000


class Snowflakes:
    """Generates unique, strictly increasing snowflake strings based on the clock."""

    def __init__(self) -> None:
        self._last = 0

    def next(self) -> str:
        """Return a new snowflake id as a string, like Discord does."""
        now = ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (1 << 17)
        self._last = max(now, self._last + 1)
        return str(self._last)


def iso_now() -> str:
    """Current UTC time in Discord's ISO-8601 format."""
    return dt.datetime.now(dt.UTC).isoformat()


def json_reply(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    """JSON response with Content-Type exactly ``application/json`` (no charset)."""
    resp = web.Response(
        body=json.dumps(body).encode(), status=status, headers=headers or {}
    )
    resp.content_type = "application/json"
    return resp


class ApiError(Exception):
    """An error the stand-in answers with, in Discord's JSON error shape."""

    def __init__(self, status: int, code: int, message: str, errors: Any = None) -> None:
        super().__init__(f"{status} {code} {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """The JSON body Discord would send."""
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def invalid_form(field: str, message: str) -> ApiError:
    """Discord's 50035 "Invalid Form Body" for one field."""
    errors = {field: {"_errors": [{"code": "BASE_TYPE_BAD_LENGTH", "message": message}]}}
    return ApiError(400, 50035, "Invalid Form Body", errors)


class Signal:
    """Wakes every waiter whenever the stand-in's state changes."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def notify(self) -> None:
        """Wake all current waiters (they re-check their predicate)."""
        self._event.set()
        self._event = asyncio.Event()

    async def wait_until(self, probe: Callable[[], T | None], timeout: float, what: str) -> T:
        """Wait until ``probe()`` returns something other than None/False; bounded by timeout."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = probe()
            if result is not None and result is not False:
                return result
            event = self._event
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"stand-in: timed out after {timeout}s waiting for {what}")
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue
