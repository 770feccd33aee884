"""A news site on a loopback port for tests and bench/fetch.py: teaser feeds whose items
link to article pages (with navigation, cookie banner and footer around the story), and
the hostile rest: redirects, errors, a slow page, a huge page, robots.txt rules, a page
that fails once. It runs in its own thread, so that blocking callers (the CLI in a
subprocess, a synchronous engine) can fetch from it too."""

from __future__ import annotations

import asyncio
import inspect
import threading
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

from aiohttp import web

ROBOTS = "User-agent: *\nDisallow: /private/\n"
BOILERPLATE = ("Accept all cookies", "Home | World | Sport | Weather", "Copyright Valley Courier")
SLOW_S = 3.0
PACED_S = 0.3


def story_text(number: int) -> str:
    """About 120 words; the number makes each story its own."""
    return (
        f"The river survey counted {number + 40} glass frogs along the Orvane this spring, "
        f"survey number {number}. Biologists walked the banks at night with red lamps, "
        "because white light startles the translucent amphibians into the water. The team "
        "credited a decade of replanting along the riverbanks, which shaded the shallows "
        "and cooled them enough for the frogs to lay eggs on the undersides of leaves. "
        "Farmers upstream agreed to leave a strip of willow and alder untouched, and the "
        "county paid for fences that keep cattle out of the water. Volunteers will repeat "
        "the count each spring for the next five years, the team said, and publish every "
        "figure so that other valleys can compare their own rivers with the Orvane."
    )


def page_html(title: str, text: str) -> str:
    return (
        "<!DOCTYPE html><html><head>"
        f"<title>{title}</title><meta property='og:title' content='{title}'>"
        "<meta property='og:site_name' content='Valley Courier'>"
        "<meta property='article:published_time' content='2025-10-02'></head><body>"
        f"<div id='cookie-banner' class='cookie-consent'><p>{BOILERPLATE[0]}</p>"
        "<button>OK</button></div>"
        f"<nav><ul><li><a href='/'>{BOILERPLATE[1]}</a></li></ul></nav>"
        f"<main><article><h1>{title}</h1><p>{text}</p></article></main>"
        f"<footer><p>{BOILERPLATE[2]} 2025. All rights reserved.</p></footer>"
        "</body></html>"
    )


def rss(items: list[dict[str, str]]) -> bytes:
    day = datetime(2025, 10, 2, 8, tzinfo=UTC)
    parts = []
    for n, item in enumerate(items):
        title = f"<title>{item['title']}</title>" if item.get("title") else ""
        date = format_datetime(day + timedelta(minutes=n), usegmt=True)
        parts.append(f"<item>{title}<link>{item['link']}</link><pubDate>{date}</pubDate>"
                     f"<description>{item['text']}</description></item>")
    return ("<?xml version='1.0' encoding='UTF-8'?><rss version='2.0'><channel>"
            "<title>Valley Courier</title><link>https://courier.example/</link>"
            + "".join(parts) + "</channel></rss>").encode()


@dataclass
class NewsSite:
    """The site's state: what was asked for, how many requests overlapped per host."""

    base: str = ""
    bases: list[str] = field(default_factory=list)  # one per port, base the first
    hits: Counter[str] = field(default_factory=Counter)
    times: list[tuple[str, float]] = field(default_factory=list)
    in_flight: int = 0
    most_in_flight: int = 0
    edition: int = 1  # /edited.xml's text changes with it
    user_agents: set[str] = field(default_factory=set)
    failing: set[str] = field(default_factory=set)  # paths answering 500 (until discarded)
    items: int = 5  # how many items /feed.xml, /spread.xml and /spread-full.xml carry
    spread_pages: str = "paced"  # where /spread.xml's items link: "paced" or "story"

    def teaser_feed(self, prefix: str = "story") -> bytes:
        return rss([{"title": f"Glass frog survey {n}", "link": f"{self.base}/{prefix}/{n}",
                     "text": f"Survey {n}: frogs are back."} for n in range(self.items)])

    @web.middleware
    async def count(self, request: web.Request, handler):  # type: ignore[no-untyped-def]
        self.hits[request.path] += 1
        self.times.append((request.path, time.monotonic()))
        self.user_agents.add(request.headers.get("User-Agent", ""))
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            if request.path in self.failing:
                return web.Response(status=500)
            return await handler(request)
        finally:
            self.in_flight -= 1

    def app(self) -> web.Application:
        app = web.Application(middlewares=[self.count])
        routes = [
            ("/robots.txt", lambda r: web.Response(text=ROBOTS)),
            ("/feed.xml", lambda r: self._feed(self.teaser_feed())),
            ("/mixed.xml", lambda r: self._feed(self._mixed())),
            ("/edited.xml", lambda r: self._feed(self._edited())),
            ("/spread.xml", lambda r: self._feed(self._spread())),
            ("/spread-full.xml", lambda r: self._feed(self._spread(full=True))),
            ("/story/{n}", self._story),
            ("/private/{n}", self._story),
            ("/hop/{n}", self._hop),
            ("/status/{code}", lambda r: web.Response(status=int(r.match_info["code"]))),
            ("/slow", self._slow),
            ("/paced/{n}", self._paced),
            ("/huge", self._huge),
            ("/image.png", lambda r: web.Response(body=b"\x89PNG\r\n", content_type="image/png")),
        ]
        for path, handler in routes:
            app.router.add_get(path, _async(handler))
        return app

    @staticmethod
    def _feed(body: bytes) -> web.Response:
        return web.Response(body=body, content_type="application/rss+xml")

    def _mixed(self) -> bytes:
        """A full-text item, a title-less full-text item, and two teasers (one robots
        disallows)."""
        return rss([
            {"title": "Full story", "link": f"{self.base}/story/100", "text": story_text(100)},
            {"link": f"{self.base}/story/101", "text": story_text(101)},
            {"title": "Teaser", "link": f"{self.base}/story/102", "text": "Frogs again."},
            {"title": "Disallowed", "link": f"{self.base}/private/103", "text": "Frogs."},
        ])

    def _spread(self, full: bool = False) -> bytes:
        """Items linking to pages on every port in turn (as many hosts): teasers, or with
        ``full`` the whole story (nothing to fetch)."""
        return rss([{"title": f"Glass frog survey {n}",
                     "text": story_text(n) if full else f"Survey {n}.",
                     "link": f"{self.bases[n % len(self.bases)]}/{self.spread_pages}/{n}"}
                    for n in range(self.items)])

    def _edited(self) -> bytes:
        text = story_text(200) + f" Correction number {self.edition}."
        return rss([{"title": "Edited story", "link": f"{self.base}/story/200", "text": text}])

    async def _story(self, request: web.Request) -> web.Response:
        number = int(request.match_info["n"])
        etag = f'"story-{number}"'
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304)
        html = page_html(f"Glass frog survey {number}", story_text(number))
        return web.Response(text=html, content_type="text/html", headers={"ETag": etag})

    @staticmethod
    async def _hop(request: web.Request) -> web.Response:
        left = int(request.match_info["n"])
        raise web.HTTPFound("/story/7" if left == 0 else f"/hop/{left - 1}")

    async def _paced(self, request: web.Request) -> web.Response:
        """A story that takes PACED_S to serve, so that requests overlap."""
        await asyncio.sleep(PACED_S)
        return await self._story(request)

    @staticmethod
    async def _slow(request: web.Request) -> web.Response:
        await asyncio.sleep(SLOW_S)
        return web.Response(text=page_html("Slow", story_text(1)), content_type="text/html")

    @staticmethod
    async def _huge(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/html"})
        await response.prepare(request)
        await response.write(b"<html><body><p>")
        for _ in range(6 * 16):
            await response.write(b"frogs " * (64 * 1024 // 6))
        return response


def _async(handler: Callable[[web.Request], Any]) -> Callable[[web.Request], Awaitable[Any]]:
    async def answer(request: web.Request) -> Any:
        response = handler(request)
        return await response if inspect.isawaitable(response) else response

    return answer


@contextmanager
def serving(site: NewsSite | None = None, ports: int = 1) -> Iterator[NewsSite]:
    """The site on 127.0.0.1 in a thread of its own, for the duration; on ``ports`` ports,
    each one another host to a crawler (``site.bases``)."""
    site = site or NewsSite()
    loop = asyncio.new_event_loop()
    runner = web.AppRunner(site.app(), access_log=None)
    loop.run_until_complete(runner.setup())
    for _ in range(ports):
        loop.run_until_complete(web.TCPSite(runner, "127.0.0.1", 0).start())
    site.bases = [f"http://127.0.0.1:{address[1]}" for address in runner.addresses]
    site.base = site.bases[0]
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    try:
        yield site
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
