"""Security end to end through the Discord stand-in: the token never leaks, admin commands
refuse non-managers even when delivered anyway, nothing the bot sends can ping anyone, and
article text can neither format nor link.

Complements discord/test_bot.py (refusal of /load and /askchannel add; @everyone/@here)
and discord/test_runner.py (the token absent from a plain run's output).
"""

from __future__ import annotations

import asyncio
import logging
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from bot.discord.bot import NewsBot
from bot.models import Article, LoadReport
from bot.storage.store import ArticleStore
from tests.discord import test_bot as base
from tests.discord.support import live_links, newsbot_run, request_text
from tests.discord.test_runner import until
from tests.standin import EPHEMERAL, MANAGE_GUILD, FakeDiscord
from tests.support import SAMPLES, engine_at

pytestmark = pytest.mark.usefixtures("fail_on_discord_errors", "fail_on_bot_errors")
sample_db, engine, fail_on_bot_errors, bot = (
    base.sample_db, base.engine, base.fail_on_bot_errors, base.bot)

KIM = base.KIM
TOKEN = "MTE5ODc2NTQzMjEw.GsEcRt.zz-newsbot-token-9f8e7d6c5b4a"
REFUSAL = "This command is for server managers (Manage Server or the admin role)."
FEED = "https://example.com/rss"
LIVE_MENTION = re.compile(r"<@[!&]?\d{17,20}>|@everyone|@here")  # as Discord resolves them


# -- (a) the token ----------------------------------------------------------------------------
async def test_token_never_appears_in_output_or_requests(
    fake_discord: FakeDiscord, tmp_path: Path
) -> None:
    """The real `newsbot run` at DEBUG: a question, an admin /stats, a REST call Discord
    refuses and an engine failure with a traceback; the token is nowhere but the
    Authorization header."""
    fd = fake_discord
    db = tmp_path / "db.json"
    engine_at(db, SAMPLES).store.close()
    output = tmp_path / "bot.log"
    async with newsbot_run(fd, db, output, TOKEN, NEWSBOT_LOG_LEVEL="DEBUG") as process:
        answered = await base.reply_to(fd, await fd.send_message(KIM, mention_bot=True))
        stats = await fd.run_command("stats", {}, fd.owner)
        assert "Articles" in base.embed_text((await stats.final_message())["embeds"][0])

        fd.inject_error("POST", r"^/channels/\d+/messages$", 403, count=2, code=50013,
                        message="Missing Permissions")
        refused = await fd.send_message(KIM, mention_bot=True)
        await until(lambda: f"answering message {refused['id']}" in output.read_text())

        good = db.read_bytes()
        db.write_text("{not json", encoding="utf-8")  # the engine fails: a logged traceback
        broken = await fd.send_message(KIM, mention_bot=True)
        sorry = await base.reply_to(fd, broken)
        db.write_bytes(good)
        again = await base.reply_to(fd, await fd.send_message(KIM, mention_bot=True))
    log = output.read_text()
    assert process.returncode == 0, log
    assert answered.json["embeds"][0]["title"] == KIM
    assert sorry.json["content"].startswith("Sorry, something went wrong"), log
    assert "Traceback" in log and "cannot read the database" in log  # the failure was logged
    assert again.json["embeds"][0]["title"] == KIM
    assert [r.status for r in fd.requests].count(403) == 2
    assert "DEBUG" in log  # the most talkative level was on
    for secret in (TOKEN, *TOKEN.split(".")):  # nor any piece of it
        assert secret not in log
    assert all(r.headers["Authorization"] == f"Bot {TOKEN}" for r in fd.requests
               if "Authorization" in r.headers)  # it was really in use
    for request in fd.requests:
        assert TOKEN not in request_text(request, skip_headers=("authorization",)), request.path


# -- (b) admin commands --------------------------------------------------------------------
ADMIN_COMMANDS: list[tuple[str, str | None, dict[str, Any]]] = [
    ("remove", None, {"article": "ARTICLE"}),
    ("stats", None, {}),
    ("askchannel", "remove", {"channel": "CHANNEL"}),
    ("askchannel", "list", {}),
    ("feeds", "add", {"url": "https://example.org/other.xml"}),
    ("feeds", "remove", {"url": FEED}),
    ("feeds", "list", {}),
]  # /load and /askchannel add: test_bot.test_non_admin_is_refused_even_when_forced


async def test_every_admin_command_refuses_a_plain_member(
    bot: NewsBot, fake_discord: FakeDiscord, fail_on_bot_errors: pytest.LogCaptureFixture
) -> None:
    fd = fake_discord
    news = fd.other_channel_id
    for name, sub, options in [("askchannel", "add", {"channel": news}),
                               ("feeds", "add", {"url": FEED})]:  # something to remove
        await (await fd.run_command(name, options, fd.owner, subcommand=sub)).final_message()
    [kim] = bot.engine.find_titles("Kim Calls for North Korea", 1)
    values = {"ARTICLE": kim.id, "CHANNEL": news}
    guild = int(fd.guild_id)
    before = (bot.engine.stats().articles, bot.engine.store.records("feeds"),
              bot.guild_settings.ask_channels(guild))

    plain = fd.add_member(name="plain")
    for name, sub, options in ADMIN_COMMANDS:
        filled = {k: values.get(v, v) for k, v in options.items()}
        command = f"/{name} {sub}" if sub else f"/{name}"
        hidden = await fd.run_command(name, filled, plain, subcommand=sub)
        assert not hidden.delivered, command  # Discord hides it from them...
        forced = await fd.run_command(name, filled, plain, subcommand=sub, force=True)
        message = await forced.final_message()  # ...and the bot refuses it when delivered
        assert message["flags"] & EPHEMERAL, command
        assert message["content"] == REFUSAL, command

    after = (bot.engine.stats().articles, bot.engine.store.records("feeds"),
             bot.guild_settings.ask_channels(guild))
    assert after == before
    refusals = [r for r in fail_on_bot_errors.records if r.getMessage().startswith("refused")]
    assert [r.getMessage() for r in refusals] == [
        f"refused /{name}{' ' + sub if sub else ''} for user {plain['id']}: {REFUSAL}"
        for name, sub, _options in ADMIN_COMMANDS
    ]
    assert all(r.levelno == logging.WARNING for r in refusals)


# -- (c) mentions --------------------------------------------------------------------------
def pings(fd: FakeDiscord) -> str:
    """Every mention form, with a real member's and a real role's id as well as made-up ids."""
    member, role = fd.add_member(name="victim"), fd.add_role("everybody-role")
    return (f"@everyone @here <@123> <@!123> <@&456> <@{member['id']}> "
            f"<@&{role['id']}> <#{fd.channel_id}>")


async def test_no_mention_in_questions_or_articles_pings_anyone(
    bot: NewsBot, fake_discord: FakeDiscord
) -> None:
    """Mentions in a loaded article and in questions, through every way of asking and
    browsing: each message body pings nobody and no stored message mentions anyone."""
    fd = fake_discord
    mentions = pings(fd)
    story = base.NEW_STORY.replace("Biologists counted", f"{mentions} Biologists counted")
    story = story.replace("Glass Frogs Return", f"Glass Frogs {mentions} Return")
    manager = fd.add_member(name="manager", permissions=MANAGE_GUILD)
    upload = fd.add_attachment("frogs.txt", story.encode(), "text/plain")
    await (await fd.run_command("load", attachments={"file": upload}, user=manager)
           ).final_message()

    question = f"{mentions} how many glass frogs were counted?"
    first = await base.reply_to(fd, await fd.send_message(question, mention_bot=True))
    assert "Glass Frogs" in base.embed_text(first.json["embeds"][0])
    follow = await fd.send_message(f"{mentions} where?", reference_message_id=first.response["id"])
    await base.reply_to(fd, follow)
    in_dm = await fd.send_message(f"{mentions} glass frogs", dm=True)
    await base.reply_to(fd, in_dm)
    for name, options in [("ask", {"question": question}), ("recent", {"query": "frogs"}),
                          ("help", {})]:
        await (await fd.run_command(name, options)).final_message()
    [frogs] = bot.engine.find_titles("Glass Frogs", 1, str(fd.guild_id))  # its library
    for name in ("article", "related"):
        await (await fd.run_command(name, {"article": frogs.id})).final_message()

    bodies = base.message_bodies(fd)
    assert len(bodies) >= 9
    for body in bodies:
        allowed = body["allowed_mentions"]
        assert allowed["parse"] == [] and not allowed.get("replied_user"), body
        assert not allowed.get("users") and not allowed.get("roles"), body
        for embed in body.get("embeds") or []:
            text = base.embed_text(embed)
            assert not LIVE_MENTION.search(text), text  # escaped: shown, not resolved
    for message in [*fd.messages(include_ephemeral=True), *fd.messages(in_dm["channel_id"])]:
        assert message["mentions"] == [] and message["mention_roles"] == []
        assert not message["mention_everyone"]


# -- (d) markdown and links in article text -------------------------------------------------
MARKDOWN = ("**loud** __under__ *lean* _it_ `tick` ~~gone~~ ||hidden|| > quoted "
            "# heading -# small [masked](http://evil.example/steal) "
            "<https://evil.example/angle> [spaced] (http://evil.example/x)")


def article(article_id: str, title: str, text: str, url: str) -> Article:
    """A stored article as an older version or a hand-edited database might hold it."""
    return Article(article_id, url, title, "Wire", None, (), text,
                   datetime(2025, 1, 1, tzinfo=UTC))


def write_behind_the_engine(bot: NewsBot, articles: list[Article]) -> None:
    """Save articles the loader would refuse, as another process writing the database."""
    ArticleStore(bot.engine.store.path).save(articles, LoadReport())


def assert_inert(markdown: str, allowed_targets: set[str]) -> None:
    """No formatting from the article survives, and links only go where we put them."""
    for label, target in live_links(markdown):
        assert target in allowed_targets, (label, target, markdown)
    for token in ("**loud**", "__under__", "*lean*", "`tick`", "~~gone~~", "||hidden||"):
        assert token not in markdown, (token, markdown)


async def test_article_markdown_and_masked_links_are_inert(
    bot: NewsBot, fake_discord: FakeDiscord
) -> None:
    fd = fake_discord
    good = article("zeppelin1", "Zeppelin [masked](http://evil.example/t) **Parade**",
                   f"Zeppelin parade news. {MARKDOWN}\n\nThe zeppelin parade ended.",
                   "https://example.com/zeppelin")
    bad = article("zeppelin2", "Zeppelin javascript story",
                  f"Zeppelin hangar report. {MARKDOWN}", "javascript:alert(1)")
    await asyncio.to_thread(write_behind_the_engine, bot, [good, bad])
    own = {a.url for a in ArticleStore(bot.engine.store.path).articles()
           if a.url.startswith(("http://", "https://"))}  # the links we make ourselves
    assert good.url in own and bad.url not in own

    answer = await base.reply_to(fd, await fd.send_message("zeppelin parade news",
                                                           mention_bot=True))
    [embed] = answer.json["embeds"]
    assert "loud" in embed["description"] and "evil.example" in embed["description"]
    assert_inert(base.embed_text(embed), own)
    for item in (good, bad):
        shown = await (await fd.run_command("article", {"article": item.id})).final_message()
        [embed] = shown["embeds"]
        assert_inert(base.embed_text(embed), own)
        if item is bad:
            assert "url" not in embed  # only http(s) URLs become links
        else:
            assert embed["url"] == good.url
    listing = await (await fd.run_command("recent", {"query": "zeppelin"})).final_message()
    assert_inert(base.embed_text(listing["embeds"][0]), own)


@pytest.mark.parametrize("question", ["click here zeppelin", "zeppelin parade"],
                         ids=["a label word is asked about", "two links in one line"])
async def test_masked_links_stay_inert_in_every_position(
    bot: NewsBot, fake_discord: FakeDiscord, question: str
) -> None:
    text = ("Zeppelin parade: see [the map](http://evil.example/map) and "
            "[click here](http://evil.example/steal) for tickets.")
    story = article("zeppelin3", "Zeppelin parade", text, "https://example.com/zeppelin")
    await asyncio.to_thread(write_behind_the_engine, bot, [story])
    sent = await fake_discord.send_message(question, mention_bot=True)
    reply = await base.reply_to(fake_discord, sent)
    [embed] = reply.json["embeds"]
    assert "evil.example" in embed["description"]
    # Other cited stories link to their own pages; nothing links to evil.example.
    assert_inert(embed["description"], {a.url for a in bot.engine.store.articles()})
