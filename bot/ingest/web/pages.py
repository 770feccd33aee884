"""Fetching the pages that feed items link to, as a polite crawler does: at most
IN_FLIGHT pages at once, one at a time per host with a pause between them, and robots.txt
(read once per host, with the same fetcher) honoured."""

from __future__ import annotations

import asyncio
import time
from collections import defaultdict
from urllib.robotparser import RobotFileParser

from yarl import URL

from bot.ingest.web.fetch import ACCEPT_PAGE, PAGE_MAX_BYTES, PRODUCT, Fetched, Fetcher, FetchError

IN_FLIGHT = 4
PAUSE_S = 1.0
ROBOTS_MAX_BYTES = 512 * 1024
ROBOTS_TTL_S = 24 * 3600.0
ROBOTS_AGENT = PRODUCT.split("/")[0]
DISALLOWED = "disallowed by the site's robots.txt"


class Pages:
    """Shared by every fetch of one poll (or one load), so that its limits hold across
    feeds; robots.txt stays cached for ROBOTS_TTL_S."""

    def __init__(self, fetcher: Fetcher, pause: float = PAUSE_S, in_flight: int = IN_FLIGHT):
        self.fetcher = fetcher
        self.pause = pause
        self._slots = asyncio.Semaphore(in_flight)
        self._hosts: defaultdict[str, asyncio.Lock] = defaultdict(asyncio.Lock)
        self._last: dict[str, float] = {}  # host -> when its last request ended
        self._robots: dict[str, tuple[float, RobotFileParser | None]] = {}

    async def get(self, url: str, etag: str | None = None, modified: str | None = None
                  ) -> Fetched:
        """The page (body None when unchanged); FetchError when it cannot be had."""
        host = _origin(self.fetcher.check(url))
        async with self._hosts[host]:
            robots = await self._robots_of(host)
            if robots is not None and not robots.can_fetch(ROBOTS_AGENT, url):
                raise FetchError(DISALLOWED)
            return await self._polite_get(host, url, PAGE_MAX_BYTES, etag, modified)

    async def _polite_get(self, host: str, url: str, max_bytes: int, etag: str | None = None,
                          modified: str | None = None) -> Fetched:
        """One request to ``host`` (its lock held): after the pause, within a slot."""
        wait = self._last.get(host, -self.pause) + self.pause - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)
        try:
            async with self._slots:
                return await self.fetcher.get(url, max_bytes=max_bytes, accept=ACCEPT_PAGE,
                                              etag=etag, modified=modified)
        finally:
            self._last[host] = time.monotonic()

    async def _robots_of(self, host: str) -> RobotFileParser | None:
        """The host's rules; None allows everything (no robots.txt: HTTP 4xx). A server
        error or no answer is a FetchError (RFC 9309: assume nothing is allowed), uncached,
        so the page is tried again later."""
        cached = self._robots.get(host)
        if cached and time.monotonic() - cached[0] < ROBOTS_TTL_S:
            return cached[1]
        rules: RobotFileParser | None = RobotFileParser()
        try:
            fetched = await self._polite_get(host, f"{host}/robots.txt", ROBOTS_MAX_BYTES)
            rules.parse((fetched.body or b"").decode("utf-8", "replace").splitlines())
        except FetchError as exc:
            if exc.status is None or exc.status >= 500:
                raise FetchError(f"could not read robots.txt: {exc}") from None
            rules = None
        self._robots[host] = (time.monotonic(), rules)
        return rules


def _origin(url: URL) -> str:
    return str(url.origin())
