"""Fetching feeds and pages safely: knows nothing of Discord or the engine.

http(s) only, at most 3 redirects (each hop checked again), 10 MiB (feeds) or 5 MiB
(pages), 20 s, conditional GET with the stored ETag / Last-Modified, a User-Agent naming a
contact URL, and no private, loopback or link-local addresses
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

FEED_MAX_BYTES = 10 * 1024 * 1024
PAGE_MAX_BYTES = 5 * 1024 * 1024
TIMEOUT_S = 20.0
MAX_REDIRECTS = 3
MAX_URL = 2048
REDIRECTS = {301, 302, 303, 307, 308}
PRODUCT = "newsbot/0.1"
ACCEPT_FEED = "application/rss+xml, application/atom+xml, application/xml;q=0.9, */*;q=0.1"
ACCEPT_PAGE = "text/html, application/xhtml+xml;q=0.9, */*;q=0.1"
ACCEPT_ANY = f"{ACCEPT_FEED.rsplit(',', 1)[0]}, {ACCEPT_PAGE}"


class FetchError(Exception):
    """Why a URL could not be fetched (one line: shown to admins, logged, rejected);
    ``status`` is the HTTP status when the server answered with an error."""

    def __init__(self, reason: str, status: int | None = None) -> None:
        super().__init__(reason)
        self.status = status


@dataclass(frozen=True)
class Fetched:
    """A fetch result; ``body`` is None when the resource has not changed (HTTP 304)."""

    url: str
    body: bytes | None
    etag: str | None
    modified: str | None
    content_type: str = ""


@dataclass(frozen=True)
class Fetcher:
    """The one way newsbot fetches anything (feeds, the pages they link to, URLs to load).

    ``contact_url`` goes into the User-Agent so that site owners can reach whoever runs
    this bot; ``allow_private`` lets it reach private, loopback and link-local addresses
    (tests, intranet feeds)."""

    allow_private: bool = False
    contact_url: str = ""
    timeout: float = TIMEOUT_S

    @property
    def user_agent(self) -> str:
        contact = f"+{self.contact_url}" if self.contact_url else "news feed reader"
        return f"{PRODUCT} ({contact})"

    def check(self, url: str) -> URL:
        return check_url(url, self.allow_private)

    async def get(
        self,
        url: str,
        *,
        max_bytes: int = FEED_MAX_BYTES,
        accept: str = ACCEPT_ANY,
        etag: str | None = None,
        modified: str | None = None,
    ) -> Fetched:
        """GET ``url``, following at most MAX_REDIRECTS redirects (each checked again), with
        a conditional GET when validators are given; FetchError on any problem."""
        headers = {"User-Agent": self.user_agent, "Accept": accept}
        if etag:
            headers["If-None-Match"] = etag
        if modified:
            headers["If-Modified-Since"] = modified
        resolver = None if self.allow_private else PublicResolver()
        connector = aiohttp.TCPConnector(resolver=resolver)
        try:
            async with (
                asyncio.timeout(self.timeout),
                aiohttp.ClientSession(connector=connector) as session,
            ):
                return await self._follow(session, url, headers, max_bytes)
        except TimeoutError:
            raise FetchError(f"timed out (no answer within {self.timeout:g} s)") from None
        except aiohttp.ClientError as exc:
            raise FetchError(f"could not fetch: {exc}") from None

    async def _follow(
        self, session: aiohttp.ClientSession, url: str, headers: dict[str, str], max_bytes: int
    ) -> Fetched:
        for _hop in range(MAX_REDIRECTS + 1):
            target = self.check(url)
            async with session.get(target, headers=headers, allow_redirects=False) as resp:
                if resp.status in REDIRECTS:
                    location = resp.headers.get("Location")
                    if not location:
                        raise FetchError(f"HTTP {resp.status} without a Location")
                    url = str(resp.url.join(URL(location)))
                    continue
                if resp.status == 304:
                    return Fetched(url, None, headers.get("If-None-Match"),
                                   headers.get("If-Modified-Since"))
                if resp.status != 200:
                    raise FetchError(f"HTTP {resp.status}", resp.status)
                body = await _read_capped(resp, max_bytes)
                return Fetched(url, body, resp.headers.get("ETag"),
                               resp.headers.get("Last-Modified"), resp.content_type)
        raise FetchError(f"more than {MAX_REDIRECTS} redirects")


def is_public(address: str) -> bool:
    """Whether an IP address is on the public internet (not private, loopback, ...)."""
    ip = ipaddress.ip_address(address.split("%", 1)[0])
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


def check_url(url: str, allow_private: bool = False) -> URL:
    """The parsed URL if it may be fetched, else FetchError."""
    if len(url) > MAX_URL:
        raise FetchError("the URL is too long")
    try:
        parsed = URL(url.strip())
    except ValueError as exc:
        raise FetchError(f"not a URL: {exc}") from None
    if parsed.scheme not in ("http", "https") or not parsed.host:
        raise FetchError("only http:// and https:// URLs can be fetched")
    if not allow_private and _is_ip(parsed.host) and not is_public(parsed.host):
        raise FetchError(f"{parsed.host} is not a public address")
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


async def _read_capped(resp: aiohttp.ClientResponse, max_bytes: int) -> bytes:
    too_big = FetchError(f"too large (over {max_bytes / 2**20:g} MiB)")
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
