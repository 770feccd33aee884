"""Live news end to end: the real bot (real discord.py against the stand-in, two servers)
loading URLs and polling feeds from a real loopback news site (tests/newsweb.py)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from bot.discord.bot import NewsBot, create_bot
from bot.engine import Engine
from bot.storage.feeds import FAILURES_TO_PAUSE
from tests.discord import test_bot as base
from tests.discord.test_bot import TOKEN, bot_settings, embed_text, ephemeral_text, reply_to
from tests.newsweb import BOILERPLATE, NewsSite, serving
from tests.standin import MANAGE_GUILD, FakeDiscord, InteractionRecord, running_bot
from tests.standin.world import Guild

pytestmark = pytest.mark.usefixtures("fail_on_discord_errors", "fail_on_bot_errors")
sample_db, engine, fail_on_bot_errors = base.sample_db, base.engine, base.fail_on_bot_errors

FROGS = "How many glass frogs did the river survey count along the Orvane?"
ONE_OF = "Give me either a file or a url, not both and not neither."
POLL_MINUTES = 0.002  # a poll round every 0.12 s: ten failures in about a second


@dataclass
class Live:
    fd: FakeDiscord
    bot: NewsBot
    site: NewsSite
    b: Guild  # a second server

    @property
    def a_library(self) -> str:
        return str(self.fd.guild_id)

    async def command(self, name: str, options: dict[str, Any], subcommand: str | None = None,
                      user: dict[str, Any] | None = None, **kwargs: Any) -> InteractionRecord:
        """``/name [subcommand]`` in server A, by A's owner unless ``user``."""
        return await self.fd.run_command(name, options, user or self.fd.owner,
                                         subcommand=subcommand, **kwargs)

    async def feeds_list(self) -> str:
        return await ephemeral_text(await self.command("feeds", {}, "list"))

    async def answer(self, user: dict[str, Any], channel_id: str) -> str:
        sent = await self.fd.send_message(FROGS, user, channel_id=channel_id, mention_bot=True)
        return embed_text((await reply_to(self.fd, sent)).json["embeds"][0])


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with serving() as running:
        yield running


async def live_bot(fd: FakeDiscord, engine: Engine, site: NewsSite,
                   interval: float) -> AsyncIterator[Live]:
    b = fd.add_guild("Server B")
    settings = bot_settings(fd, engine, dev_guild_id=None, feed_allow_private=True,
                            feed_interval_minutes=interval, page_pause_seconds=0.01)
    client = create_bot(settings, engine, guild_ready_timeout=0.05)
    async with running_bot(client, fd, TOKEN):
        yield Live(fd, client, site, b)


@pytest_asyncio.fixture
async def live(discord_patched: FakeDiscord, engine: Engine,
               site: NewsSite) -> AsyncIterator[Live]:
    """Commands only: no periodic poll."""
    async for running in live_bot(discord_patched, engine, site, 0):
        yield running


@pytest_asyncio.fixture
async def polling(discord_patched: FakeDiscord, engine: Engine,
                  site: NewsSite) -> AsyncIterator[Live]:
    """The periodic poll on, every POLL_MINUTES."""
    async for running in live_bot(discord_patched, engine, site, POLL_MINUTES):
        yield running


async def load_url(live: Live, url: str, **where: Any) -> dict[str, Any]:
    record = await live.command("load", {"url": url}, **where)
    return (await record.final_message())["embeds"][0]


# -- /load url: ---------------------------------------------------------------------------
async def test_load_url_of_a_page_and_a_feed_answers_in_that_server_only(live: Live) -> None:
    site, engine = live.site, live.bot.engine
    page = await load_url(live, f"{site.base}/story/42")
    assert page["title"] == f"Loaded {site.base}/story/42"
    assert page["description"] == "loaded 1, updated 0, duplicate 0, rejected 0"
    assert "Glass frog survey 42" in embed_text(page)  # the stored article, with its id
    fed = await load_url(live, f"{site.base}/feed.xml")
    assert fed["description"] == "loaded 5, updated 0, duplicate 0, rejected 0"
    assert all(site.hits[f"/story/{n}"] == 1 for n in range(5))  # teasers: pages read
    stored = [a for a in engine.recent(per_page=20, library=live.a_library).articles
              if a.library]
    assert len(stored) == 6 and engine.library_sizes()[live.a_library] == 6
    assert all("Volunteers will repeat the count" in a.text for a in stored)
    assert not any(junk in a.text for a in stored for junk in BOILERPLATE)

    in_a = await live.answer(live.fd.default_user, live.fd.channel_id)
    assert f"]({site.base}/story/" in in_a and "Glass frog survey" in in_a
    b_member = live.fd.add_member(name="bob", guild_id=live.b.id)
    in_b = await live.answer(b_member, live.b.channel_id)
    assert site.base not in in_b and "Glass frog survey" not in in_b


async def test_load_wants_exactly_one_of_file_and_url(live: Live) -> None:
    upload = live.fd.add_attachment("frogs.txt", base.NEW_STORY.encode(), "text/plain")
    both = await live.command("load", {"url": f"{live.site.base}/story/1"},
                              attachments={"file": upload})
    assert await ephemeral_text(both) == ONE_OF
    neither = await live.command("load", {})
    assert await ephemeral_text(neither) == ONE_OF
    missing = await load_url(live, f"{live.site.base}/status/404")
    assert missing["description"] == "loaded 0, updated 0, duplicate 0, rejected 1"
    assert "HTTP 404" in embed_text(missing)
    assert live.site.hits["/story/1"] == 0 and live.bot.engine.stats().articles == 12


# -- /feeds -------------------------------------------------------------------------------
HEALTH_OK = re.compile(r"5 items loaded \u00b7 last success \d{4}-\d\d-\d\dT[\d:]+\+00:00")


async def test_feeds_list_shows_each_feeds_health(live: Live) -> None:
    site = live.site
    good, bad = f"{site.base}/feed.xml", f"{site.base}/status/500"
    for url in (good, bad):
        await (await live.command("feeds", {"url": url}, "add")).final_message()
    assert "0 items loaded \u00b7 last success never" in await live.feeds_list()
    for url in (good, bad):  # retry: poll now
        await (await live.command("feeds", {"url": url}, "retry")).final_message()
    listed = await live.feeds_list()
    good_line, bad_line = listed.split(f"[{bad}]")[0], listed.split(bad)[-1]
    assert HEALTH_OK.search(good_line) and "failures" not in good_line
    assert "0 items loaded \u00b7 last success never \u00b7 1 failures in a row" in bad_line
    assert re.search(r"last error \d{4}-[\d\-T:+]+: HTTP 500", bad_line)
    assert "PAUSED" not in listed
    elsewhere = await ephemeral_text(await live.fd.run_command(
        "feeds", {}, live.b.owner, subcommand="list", channel_id=live.b.channel_id))
    assert "No feeds yet" in elsewhere and site.base not in elsewhere


async def test_ten_failures_pause_a_feed_and_tell_its_channel_until_retried(
    polling: Live,
) -> None:
    live, fd, site = polling, polling.fd, polling.site
    site.failing.add("/feed.xml")
    url = f"{site.base}/feed.xml?from=@everyone"  # the notice must not ping anyone
    await (await live.command("feeds", {"url": url, "channel": fd.other_channel_id},
                              "add")).final_message()
    notice = await fd.wait_for_request(
        lambda r: r.path == f"/channels/{fd.other_channel_id}/messages" and r.status == 200,
        timeout=20)
    assert site.hits["/feed.xml"] == FAILURES_TO_PAUSE
    shown_url = url.replace("@", "@\u200b")  # defused in the text as well
    assert notice.json["content"].startswith(f"Feed {shown_url} is paused: 10 failures in a row, "
                                             "the last: HTTP 500")
    assert notice.json["content"].endswith("An admin can resume it with /feeds retry.")
    assert notice.json["allowed_mentions"]["parse"] == []
    [shown] = fd.messages(fd.other_channel_id)
    assert shown["mention_everyone"] is False and shown["mentions"] == []
    listed = await live.feeds_list()
    assert "\u23f8 PAUSED (10 failures in a row, the last: HTTP 500" in listed
    assert "10 failures in a row" in listed

    site.failing.discard("/feed.xml")
    retry = await live.command("feeds", {"url": url}, "retry")
    await retry.final_message(timeout=30)  # polls the feed and its five pages first
    retried = await ephemeral_text(retry)
    assert "PAUSED" not in retried and "failures" not in retried
    assert HEALTH_OK.search(retried)
    announced = await fd.wait_for_request(
        lambda r: r.path == f"/channels/{fd.other_channel_id}/messages" and r.status == 200
        and bool(r.json.get("embeds")))
    assert "Glass frog survey 0" in announced.json["embeds"][0]["description"]
    await fd.wait_until(lambda: site.hits["/feed.xml"] >= FAILURES_TO_PAUSE + 3, 10,
                        "polled again")  # the periodic poll takes the feed up again
    assert len(fd.messages(fd.other_channel_id)) == 2  # the notice, one announcement
    assert live.bot.engine.library_sizes()[live.a_library] == 5


OPML = b"""<?xml version="1.0"?><opml version="2.0"><head><title>My feeds</title></head><body>
<outline text="News"><outline text="Local">
  <outline text="Courier" type="rss" xmlUrl="%(base)s/feed.xml"/>
  <outline text="Mixed" type="rss" xmlUrl="%(base)s/mixed.xml"/></outline>
  <outline text="Courier again" type="rss" xmlUrl="%(base)s/feed.xml"/></outline>
<outline text="Files" type="rss" xmlUrl="file:///etc/passwd"/>
<outline text="Bookmark"/>
</body></opml>"""


async def test_feeds_import_of_an_opml_attachment(live: Live) -> None:
    fd, site = live.fd, live.site
    opml = OPML % {b"base": site.base.encode()}
    upload = fd.add_attachment("subscriptions.opml", opml, "text/x-opml")
    record = await live.command("feeds", {"channel": fd.other_channel_id}, "import",
                                attachments={"file": upload})
    [embed] = (await record.final_message())["embeds"]
    assert embed["title"] == "Imported subscriptions.opml"
    assert embed["description"] == "added 2 feeds, rejected 3."
    text = embed_text(embed)
    for url in (f"{site.base}/feed.xml", f"{site.base}/mixed.xml"):
        assert f"[{url}]({url})" in text
    assert "subscriptions.opml outline 6: file:///etc/passwd: only http:// and https://" in text
    assert f"subscriptions.opml outline 5: {site.base}/feed.xml: already on the list" in text
    assert "subscriptions.opml outline 7: 'Bookmark' has no feed URL (xmlUrl)" in text
    assert all(len(line) < 200 for line in text.splitlines())  # one line each
    feeds = await live.bot.feeds.all()
    assert sorted(f["url"] for f in feeds) == [f"{site.base}/feed.xml", f"{site.base}/mixed.xml"]
    assert {(f["guild_id"], f["channel_id"]) for f in feeds} == {
        (int(fd.guild_id), int(fd.other_channel_id))}
    not_opml = fd.add_attachment("feeds.opml", b"<html>nope</html>", "text/x-opml")
    bad = await live.command("feeds", {}, "import", attachments={"file": not_opml})
    assert "not an OPML file (its root element is <html>)" in embed_text(
        (await bad.final_message())["embeds"][0])
    assert len(await live.bot.feeds.all()) == 2


async def test_non_admins_are_refused_feeds_and_url_loads(
    live: Live, fail_on_bot_errors: pytest.LogCaptureFixture,
) -> None:
    fd, site = live.fd, live.site
    [feeds] = [c for c in fd.synced_commands if c["name"] == "feeds"]
    assert feeds["default_member_permissions"] == str(MANAGE_GUILD)
    plain = fd.add_member(name="plain")
    upload = fd.add_attachment("subscriptions.opml", OPML % {b"base": site.base.encode()},
                               "text/x-opml")
    url = f"{site.base}/feed.xml"
    attempts = [("load", {"url": url}, None, {}), ("feeds", {"url": url}, "add", {}),
                ("feeds", {}, "list", {}), ("feeds", {"url": url}, "retry", {}),
                ("feeds", {"url": url}, "remove", {}),
                ("feeds", {}, "import", {"attachments": {"file": upload}})]
    for name, options, subcommand, extra in attempts:
        hidden = await live.command(name, options, subcommand, plain, **extra)
        assert not hidden.delivered
        forced = await live.command(name, options, subcommand, plain, force=True, **extra)
        assert "for server managers" in await ephemeral_text(forced)
    assert await live.bot.feeds.all() == [] and site.hits == {}
    assert live.bot.engine.stats().articles == 12
    refused = [r.getMessage() for r in fail_on_bot_errors.records
               if r.getMessage().startswith("refused")]
    assert len(refused) == len(attempts)
