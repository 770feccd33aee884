"""Fetching one RSS/Atom feed safely: knows nothing of Discord or the engine.

http(s) only, at most 3 redirects (each hop checked again), 10 MiB, 20 s, conditional GET
with the stored ETag / Last-Modified, and no private, loopback or link-local addresses
unless allowed: names are checked when aiohttp resolves them (so a name cannot resolve to a
public address for the check and a private one for the connection), IP literals up front.
"""

from __future__ import annotations

import asyncio
import errno
import ipaddress
import socket
from dataclasses import dataclass

import aiohttp
from aiohttp.abc import AbstractResolver, ResolveResult
from yarl import URL

MAX_BYTES = 10 * 1024 * 1024
TIMEOUT_S = 20.0
MAX_REDIRECTS = 3
MAX_URL = 2048
REDIRECTS = {301, 302, 303, 307, 308}
HEADERS = {
    "User-Agent": "newsbot/0.1 (+feed poller)",
    "Accept": "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.1",
}


class FeedFetchError(Exception):
    """Why a feed could not be fetched (shown to admins, logged)."""


@dataclass(frozen=True)
class Fetched:
    """A fetch result; ``body`` is None when the feed has not changed (HTTP 304)."""

    url: str
    body: bytes | None
    etag: str | None
    modified: str | None


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet (not private, loopback, ...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, allow_private: bool = False) -> URL:
    """The parsed URL if it may be fetched, else FeedFetchError."""
    if len(url) > MAX_URL:
        raise FeedFetchError("the URL is too long")
    try:
        parsed = URL(url.strip())
    except ValueError as exc:
        raise FeedFetchError(f"not a URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FeedFetchError("only http:// and https:// URLs can be fetched")
    if not allow_private and _is_ip(parsed.host) and not is_public(parsed.host):
        raise FeedFetchError(f"{parsed.host} is not a public address")
    return parsed


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return True


class PublicResolver(AbstractResolver):
    """Resolves like aiohttp does, but refuses names with any non-public address."""

    def __init__(self) -> None:
        self._inner = aiohttp.ThreadedResolver()

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[ResolveResult]:
        found = await self._inner.resolve(host, port, family)
        if any(not is_public(r["host"]) for r in found):
            raise OSError(errno.EACCES, f"{host} resolves to a non-public address")
        return found

    async def close(self) -> None:
        await self._inner.close()


async def fetch_feed(
    url: str,
    *,
    etag: str | None = None,
    modified: str | None = None,
    allow_private: bool = False,
    max_bytes: int = MAX_BYTES,
    timeout: float = TIMEOUT_S,
) -> Fetched:
    """GET a feed, following at most MAX_REDIRECTS redirects; FeedFetchError on any problem."""
    headers = dict(HEADERS)
    if etag:
        headers["If-None-Match"] = etag
    if modified:
        headers["If-Modified-Since"] = modified
    connector = aiohttp.TCPConnector(resolver=None if allow_private else PublicResolver())
    try:
        async with asyncio.timeout(timeout), aiohttp.ClientSession(connector=connector) as session:
            return await _follow(session, url, headers, allow_private, max_bytes)
    except TimeoutError:
        raise FeedFetchError(f"no answer within {timeout:g} s") from None
    except aiohttp.ClientError as exc:
        raise FeedFetchError(f"could not fetch: {exc}") from None


async def _follow(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str], allow_private: bool,
    max_bytes: int,
) -> Fetched:
    for _hop in range(MAX_REDIRECTS + 1):
        target = check_url(url, allow_private)
        async with session.get(target, headers=headers, allow_redirects=False) as resp:
            if resp.status in REDIRECTS:
                location = resp.headers.get("Location")
                if not location:
                    raise FeedFetchError(f"HTTP {resp.status} without a Location")
                url = str(resp.url.join(URL(location)))
                continue
            if resp.status == 304:
                return Fetched(url, None, headers.get("If-None-Match"),
                               headers.get("If-Modified-Since"))
            if resp.status != 200:
                raise FeedFetchError(f"HTTP {resp.status}")
            body = await _read_capped(resp, max_bytes)
            return Fetched(url, body, resp.headers.get("ETag"), resp.headers.get("Last-Modified"))
    raise FeedFetchError(f"more than {MAX_REDIRECTS} redirects")


async def _read_capped(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    too_big = FeedFetchError(f"larger than {max_bytes:,} bytes")
    if (resp.content_length or 0) > max_bytes:
        raise too_big
    chunks: list[bytes] = []
    size = 0
    async for chunk in resp.content.iter_chunked(64 * 1024):
        size += len(chunk)
        if size > max_bytes:
            raise too_big
        chunks.append(chunk)
    return b"".join(chunks)
