"""Feeds: the safe fetcher against a loopback HTTP server, and the poller end to end."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from aiohttp import web

from bot.config import Settings
from bot.discord.bot import create_bot
from bot.engine import Engine
from bot.ingest.web.fetch import Fetcher, FetchError, check_url, is_public
from bot.storage.feeds import TABLE, FeedList
from bot.storage.store import ArticleStore
from tests.standin import FakeDiscord, running_bot
from tests.support import SAMPLES, engine_at

RSS = b"""<?xml version="1.0" encoding="UTF-8"?>
<rss version="2.0"><channel><title>Valley Courier</title><link>https://courier.example/</link>
<item><title>Glass Frogs Return to the Orvane Valley</title>
<link>https://courier.example/frogs</link><pubDate>Thu, 02 Oct 2025 08:00:00 GMT</pubDate>
<description>Biologists counted forty glass frogs along the Orvane river this spring, the first
sighting of the translucent amphibians in the valley since 1998. The survey team credited a
decade of replanting along the riverbanks for the frogs' return.</description></item>
</channel></rss>"""
ETAG = '"v1"'
LOOPBACK = Fetcher(allow_private=True)


async def feed(request: web.Request) -> web.Response:
    if request.headers.get("If-None-Match") == ETAG:
        return web.Response(status=304)
    return web.Response(body=RSS, content_type="application/rss+xml", headers={"ETag": ETAG})


async def hop(request: web.Request) -> web.Response:
    left = int(request.match_info["n"])
    raise web.HTTPFound("/feed.xml" if left == 0 else f"/hop/{left - 1}")


async def gone(request: web.Request) -> web.Response:
    return web.Response(status=404)


async def huge(request: web.Request) -> web.StreamResponse:
    response = web.StreamResponse()
    await response.prepare(request)
    for _ in range(40):
        await response.write(b"x" * 1024)
    return response


@pytest_asyncio.fixture
async def server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_get("/feed.xml", feed)
    app.router.add_get("/hop/{n}", hop)
    app.router.add_get("/huge", huge)
    app.router.add_get("/gone", gone)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    yield f"http://127.0.0.1:{runner.addresses[0][1]}"
    await runner.cleanup()


# -- fetching -----------------------------------------------------------------------------
async def test_fetch_stores_and_sends_validators(server: str) -> None:
    first = await LOOPBACK.get(f"{server}/feed.xml")
    assert first.body == RSS and first.etag == ETAG
    again = await LOOPBACK.get(f"{server}/feed.xml", etag=first.etag)
    assert again.body is None and again.etag == ETAG


async def test_redirects_are_followed_at_most_three_times(server: str) -> None:
    fetched = await LOOPBACK.get(f"{server}/hop/2")
    assert fetched.body == RSS and fetched.url == f"{server}/feed.xml"
    with pytest.raises(FetchError, match="more than 3 redirects"):
        await LOOPBACK.get(f"{server}/hop/3")


async def test_size_cap_and_http_errors(server: str) -> None:
    with pytest.raises(FetchError, match="too large"):
        await LOOPBACK.get(f"{server}/huge", max_bytes=10_000)
    with pytest.raises(FetchError, match="HTTP 404"):
        await LOOPBACK.get(f"{server}/gone")


async def test_private_addresses_are_refused(server: str) -> None:
    with pytest.raises(FetchError, match="not a public address"):
        await Fetcher().get(f"{server}/feed.xml")
    port = server.rsplit(":", 1)[1]
    with pytest.raises(FetchError, match="non-public address"):
        await Fetcher().get(f"http://localhost:{port}/feed.xml")


def test_url_and_address_checks() -> None:
    for bad in ("file:///etc/passwd", "ftp://example.com/f", "gopher://x", "not a url", ""):
        with pytest.raises(FetchError):
            check_url(bad)
    for private in ("http://10.0.0.1/", "http://192.168.1.1/", "http://169.254.169.254/",
                    "http://[::1]/", "http://[::ffff:127.0.0.1]/", "http://0.0.0.0/"):
        with pytest.raises(FetchError):
            check_url(private)
        check_url(private, allow_private=True)
    assert str(check_url("https://example.com/rss")) == "https://example.com/rss"
    assert is_public("93.184.216.34") and not is_public("100.64.0.1")
    assert not is_public("224.0.0.1") and not is_public("fe80::1%eth0")


# -- polling ------------------------------------------------------------------------------
async def test_poller_loads_announces_and_then_waits_for_changes(
    server: str, discord_patched: FakeDiscord, tmp_path: Path, fail_on_discord_errors: object,
) -> None:
    fd = discord_patched
    engine_at(tmp_path / "db.json", SAMPLES).store.close()
    engine = Engine(ArticleStore(tmp_path / "db.json"))
    settings = Settings(discord_token="t", db_path=tmp_path / "db.json",
                        dev_guild_id=int(fd.guild_id), feed_allow_private=True)
    feeds = FeedList(engine.table(TABLE))
    await feeds.add(int(fd.guild_id), f"{server}/feed.xml", int(fd.other_channel_id))
    async with running_bot(create_bot(settings, engine, guild_ready_timeout=0.05), fd, "t") as bot:
        # The first round runs as soon as the bot is ready.
        announced = await fd.wait_for_request(
            lambda r: r.path == f"/channels/{fd.other_channel_id}/messages" and r.status == 200)
        assert "[Glass Frogs Return to the Orvane Valley](https://courier.example/frogs)" in \
            announced.json["embeds"][0]["description"]
        assert announced.json["allowed_mentions"]["parse"] == []
        [record] = await feeds.all()
        assert record["etag"] == ETAG
        # Extensions are loaded by name (a fresh module each start), so not isinstance.
        poller = bot.get_cog("FeedsCog")
        assert type(poller).__name__ == "FeedsCog"
        assert (await poller.poll_feed(record)).new == []  # 304: nothing new, nothing said
        assert len(fd.messages(fd.other_channel_id)) == 1
    frogs = "How many glass frogs were counted?"
    in_server = engine.ask(frogs, library=str(fd.guild_id))  # the feed's server's library
    assert in_server.excerpts[0].citation.url == "https://courier.example/frogs"
    assert engine.library_sizes()[str(fd.guild_id)] == 1
    for elsewhere in (None, str(int(fd.guild_id) + 1)):  # a direct message, another server
        assert all(e.citation.url != "https://courier.example/frogs"
                   for e in engine.ask(frogs, library=elsewhere).excerpts)
