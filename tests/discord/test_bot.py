"""The real bot (real discord.py) against the loopback Discord stand-in, on a real engine."""

from __future__ import annotations

import asyncio
import logging
import shutil
import threading
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio

from bot.answering.query import Corrector
from bot.config import Settings
from bot.discord import formatting as render
from bot.discord.bot import NewsBot, create_bot
from bot.discord.exts.browse._cog import MAX_KEYWORD, MAX_SOURCE, PAGE_ID, Listing
from bot.engine import Engine
from bot.search.holder import IndexHolder
from bot.search.index import Index
from bot.storage.store import ArticleStore
from tests.standin import EPHEMERAL, MANAGE_GUILD, FakeDiscord, RecordedRequest, running_bot
from tests.support import SAMPLES, engine_at

pytestmark = pytest.mark.usefixtures("fail_on_discord_errors", "fail_on_bot_errors")

TOKEN = "standin-token"
KIM = "What did Kim say about missile production?"
NEW_STORY = """Glass Frogs Return to the Orvane Valley
Source: Valley Courier
Published: 2025-10-02

Biologists counted forty glass frogs along the Orvane river this spring, the first sighting
of the translucent amphibians in the valley since 1998.

The survey team credited a decade of replanting along the riverbanks for the frogs' return.
"""


# -- fixtures -----------------------------------------------------------------------------
@pytest.fixture(scope="session")
def sample_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database of the sample articles, built once; tests get copies."""
    path = tmp_path_factory.mktemp("samples") / "db.json"
    engine_at(path, SAMPLES).store.close()
    return path


@pytest.fixture
def engine(sample_db: Path, tmp_path: Path) -> Engine:
    shutil.copy(sample_db, tmp_path / "db.json")
    return Engine(ArticleStore(tmp_path / "db.json"))


@pytest.fixture
def fail_on_bot_errors(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Fail when the bot's own code logged an error (its handlers log instead of raising)."""
    caplog.set_level(logging.INFO, logger="bot.discord")
    yield caplog
    errors = [r for r in caplog.records
              if r.name.startswith("bot.discord") and r.levelno >= logging.ERROR]
    assert not errors, "\n".join(r.getMessage() for r in errors)


def bot_settings(fd: FakeDiscord, engine: Engine, **changes: Any) -> Settings:
    defaults = dict(discord_token=TOKEN, db_path=engine.store.path,
                    dev_guild_id=int(fd.guild_id), cooldown_seconds=0.0)
    return Settings(**{**defaults, **changes})


@pytest_asyncio.fixture
async def bot(discord_patched: FakeDiscord, engine: Engine) -> AsyncIterator[NewsBot]:
    client = create_bot(bot_settings(discord_patched, engine), engine, guild_ready_timeout=0.05)
    async with running_bot(client, discord_patched, TOKEN):
        yield client


# -- helpers ------------------------------------------------------------------------------
def posts_to(channel_id: str) -> Callable[[RecordedRequest], bool]:
    return lambda r: r.method == "POST" and r.path == f"/channels/{channel_id}/messages"


async def reply_to(fd: FakeDiscord, sent: dict[str, Any]) -> RecordedRequest:
    """The bot's message posted in reply to ``sent``."""
    return await fd.wait_for_request(
        lambda r: posts_to(sent["channel_id"])(r) and r.status == 200
        and str((r.json.get("message_reference") or {}).get("message_id")) == sent["id"])


def message_bodies(fd: FakeDiscord) -> list[dict[str, Any]]:
    """Every request body that carries a message (sends, edits, interaction responses)."""
    bodies = []
    for r in fd.requests:
        body = r.json if isinstance(r.json, dict) else {}
        if r.path.endswith("/callback"):
            body = body.get("data") or {}
        if "content" in body or "embeds" in body:
            bodies.append(body)
    return bodies


def assert_pings_nobody(fd: FakeDiscord) -> None:
    bodies = message_bodies(fd)
    assert bodies
    for body in bodies:
        assert body["allowed_mentions"]["parse"] == [], body
        assert not body["allowed_mentions"].get("replied_user"), body


def embed_text(embed: dict[str, Any]) -> str:
    parts = [embed.get("title", ""), embed.get("description", "")]
    parts += [f["name"] + "\n" + f["value"] for f in embed.get("fields", [])]
    return "\n".join(parts)


async def ephemeral_text(record: Any) -> str:
    message = await record.final_message()
    assert message["flags"] & EPHEMERAL
    return message["content"] or embed_text(message["embeds"][0])


# -- asking -------------------------------------------------------------------------------
async def test_mention_gets_a_cited_answer(bot: NewsBot, fake_discord: FakeDiscord) -> None:
    sent = await fake_discord.send_message(KIM, mention_bot=True)
    request = await reply_to(fake_discord, sent)
    [embed] = request.json["embeds"]
    assert embed["title"] == KIM
    assert "**missile**" in embed["description"] and "**production**" in embed["description"]
    assert "[North Korea Fires Two Short-Range Ballistic Missiles" in embed["description"]
    assert "(https://example.com/news/2025/09/north-korea-missile-launch-sample)" in \
        embed["description"]
    assert "<t:1691971200:d>" in embed["description"]  # 2023-08-14 as a Discord timestamp
    assert embed["footer"]["text"] == "Reply to this message to ask a follow-up."
    assert request.json["allowed_mentions"] == {"parse": [], "replied_user": False}
    assert any(r.path == f"/channels/{fake_discord.channel_id}/typing"
               for r in fake_discord.requests)
    [reply] = fake_discord.messages()
    assert reply["referenced_message"]["id"] == sent["id"] and reply["mentions"] == []


async def test_reply_to_an_answer_is_a_follow_up(bot: NewsBot, fake_discord: FakeDiscord) -> None:
    first = await reply_to(fake_discord, await fake_discord.send_message(
        "What did the Riverton council approve?", mention_bot=True))
    follow_up = await fake_discord.send_message(
        "How much did it cost?", reference_message_id=first.response["id"], reply_ping=False)
    [embed] = (await reply_to(fake_discord, follow_up)).json["embeds"]
    assert embed["title"] == "How much did it cost?"
    # about the council's bike lanes, its answer marked, though "cost" alone is elsewhere too
    assert embed["description"].startswith("> ")
    first_quote = embed["description"].split("\n\n")[0]
    assert "__**$4.2 million**__" in first_quote and "Riverton City Council" in first_quote
    alone = await reply_to(fake_discord, await fake_discord.send_message(
        "How much did it cost?", mention_bot=True))
    assert "Riverton City Council" not in alone.json["embeds"][0]["description"].split(
        "\n\n")[0]


async def test_a_reply_on_a_new_topic_gets_its_own_answer(
    bot: NewsBot, fake_discord: FakeDiscord
) -> None:
    first = await reply_to(fake_discord, await fake_discord.send_message(
        "How many jobs is Brightloop cutting?", mention_bot=True))
    assert "__**1,800 jobs**__" in first.json["embeds"][0]["description"]
    follow_up = await fake_discord.send_message(
        "Who won the Continental Cup final?", reference_message_id=first.response["id"],
        reply_ping=False)
    [embed] = (await reply_to(fake_discord, follow_up)).json["embeds"]
    assert "__**Harbor City FC**__" in embed["description"]
    assert "Brightloop" not in embed["description"]


async def test_ask_channel_answers_every_message(bot: NewsBot, fake_discord: FakeDiscord) -> None:
    news = fake_discord.other_channel_id
    record = await fake_discord.run_command(
        "askchannel", {"channel": news}, fake_discord.owner, subcommand="add")
    assert f"<#{news}>" in await ephemeral_text(record)
    await fake_discord.send_message("just chatting", channel_id=fake_discord.channel_id)
    sent = await fake_discord.send_message(KIM, channel_id=news)
    assert (await reply_to(fake_discord, sent)).json["embeds"][0]["title"] == KIM
    assert fake_discord.messages(fake_discord.channel_id) == []  # general stays quiet
    assert bot.guild_settings.ask_channels(int(fake_discord.guild_id)) == {int(news)}
    [stored] = bot.engine.store.records("guilds")
    assert stored == {"guild_id": int(fake_discord.guild_id), "ask_channels": [int(news)]}


async def test_direct_messages_are_questions(bot: NewsBot, fake_discord: FakeDiscord) -> None:
    sent = await fake_discord.send_message(KIM, dm=True)
    assert (await reply_to(fake_discord, sent)).json["embeds"][0]["title"] == KIM


async def test_a_bare_mention_gets_a_hint(bot: NewsBot, fake_discord: FakeDiscord) -> None:
    sent = await fake_discord.send_message("", mention_bot=True)
    assert (await reply_to(fake_discord, sent)).json["content"].startswith("Ask me something")


async def test_slash_ask_defers_then_edits(bot: NewsBot, fake_discord: FakeDiscord) -> None:
    record = await fake_discord.run_command("ask", {"question": KIM})
    assert (await record.wait_response())["type"] == 5
    final = await record.final_message()
    assert final["embeds"][0]["title"] == KIM and not final["flags"] & EPHEMERAL
    patch = await fake_discord.wait_for_request(
        lambda r: r.method == "PATCH" and r.path.endswith("/messages/@original"))
    assert patch.json["allowed_mentions"]["parse"] == []


async def test_no_confident_answer(bot: NewsBot, fake_discord: FakeDiscord) -> None:
    sent = await fake_discord.send_message("zxqv wvvy plorf?", mention_bot=True)
    embed = (await reply_to(fake_discord, sent)).json["embeds"][0]
    assert embed["title"] == "No confident answer"


async def test_cooldown_is_polite(discord_patched: FakeDiscord, engine: Engine) -> None:
    fd = discord_patched
    settings = bot_settings(fd, engine, cooldown_seconds=60.0)
    async with running_bot(create_bot(settings, engine, guild_ready_timeout=0.05), fd, TOKEN):
        await reply_to(fd, await fd.send_message(KIM, mention_bot=True))
        again = await reply_to(fd, await fd.send_message(KIM, mention_bot=True))
        assert again.json["content"].startswith("One moment please")
        record = await fd.run_command("ask", {"question": KIM})
        assert (await ephemeral_text(record)).startswith("One moment please")


# -- browsing -----------------------------------------------------------------------------
def footer(message: dict[str, Any]) -> str:
    return message["embeds"][0]["footer"]["text"]


def buttons(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {b["label"]: b for row in message["components"] for b in row["components"]}


async def test_recent_pages_with_buttons(bot: NewsBot, fake_discord: FakeDiscord) -> None:
    record = await fake_discord.run_command("recent", {"count": 5})
    first = await record.final_message()
    assert footer(first) == "Page 1/3 \u00b7 12 articles"
    assert first["embeds"][0]["description"].count("\u2022") == 5
    previous, following = buttons(first)["\u25c0 Previous"], buttons(first)["Next \u25b6"]
    assert previous["disabled"] and not following.get("disabled")

    click = await fake_discord.click_button(first, following["custom_id"])
    assert (await click.wait_response())["type"] == 7  # the message itself is updated
    second = fake_discord.get_message(first["id"])
    assert footer(second) == "Page 2/3 \u00b7 12 articles"
    assert second["embeds"][0]["description"] != first["embeds"][0]["description"]

    other = fake_discord.add_member(name="bob")  # anyone may page
    await (await fake_discord.click_button(second, buttons(second)["Next \u25b6"]["custom_id"],
                                           other)).wait_response()
    third = fake_discord.get_message(first["id"])
    assert footer(third) == "Page 3/3 \u00b7 12 articles"
    assert buttons(third)["Next \u25b6"]["disabled"]
    await (await fake_discord.click_button(third, buttons(third)["\u25c0 Previous"]["custom_id"]
                                           )).wait_response()
    assert footer(fake_discord.get_message(first["id"])) == "Page 2/3 \u00b7 12 articles"


async def test_recent_filters_survive_paging(bot: NewsBot, fake_discord: FakeDiscord) -> None:
    record = await fake_discord.run_command("recent", {"count": 1, "query": "Kim"})
    first = await record.final_message()
    assert footer(first) == "Page 1/2 \u00b7 2 articles"
    assert "\u201cKim\u201d" in first["embeds"][0]["title"]
    await (await fake_discord.click_button(first, buttons(first)["Next \u25b6"]["custom_id"]
                                           )).wait_response()
    second = fake_discord.get_message(first["id"])
    assert footer(second) == "Page 2/2 \u00b7 2 articles"
    assert "\u201cKim\u201d" in second["embeds"][0]["title"]


def test_page_button_ids_fit_with_the_longest_filters() -> None:
    listing = Listing(10**8, render.MAX_LISTED, "s" * MAX_SOURCE, ":" * MAX_KEYWORD)
    assert len(listing.custom_id) <= 100
    assert Listing.from_match(PAGE_ID.fullmatch(listing.custom_id)) == listing


async def test_article_autocomplete_and_lookup(bot: NewsBot, fake_discord: FakeDiscord) -> None:
    record = await fake_discord.autocomplete("article", {"article": "missile"}, focused="article")
    assert (await record.wait_response())["type"] == 8
    choices = record.choices
    assert 0 < len(choices) <= 25 and all(len(c["name"]) <= 100 for c in choices)
    assert choices[0]["name"].startswith("Kim Calls for North Korea to Boost Missile Production")
    kim_id = choices[0]["value"]

    everything = await fake_discord.autocomplete("article", {}, focused="article")
    await everything.wait_response()
    assert len(everything.choices) == 12

    shown = await (await fake_discord.run_command("article", {"article": kim_id})).final_message()
    embed = shown["embeds"][0]
    assert embed["title"] == "Kim Calls for North Korea to Boost Missile Production: KCNA"
    assert embed["description"].startswith("North Korean leader Kim Jong Un")

    related = await fake_discord.run_command("related", {"article": kim_id})
    assert (await related.wait_response())["type"] == 5
    listing = (await related.final_message())["embeds"][0]
    assert "North Korea Fires Two Short-Range Ballistic Missiles" in listing["description"]

    unknown = await fake_discord.run_command("article", {"article": "no-such-article"})
    assert "don't know that article" in await ephemeral_text(unknown)


async def test_help(bot: NewsBot, fake_discord: FakeDiscord) -> None:
    text = await ephemeral_text(await fake_discord.run_command("help", {}))
    assert "/recent" in text and "/load" in text


# -- admin --------------------------------------------------------------------------------
async def test_admin_load_makes_the_story_answerable(
    bot: NewsBot, fake_discord: FakeDiscord
) -> None:
    manager = fake_discord.add_member(name="manager", permissions=MANAGE_GUILD)
    upload = fake_discord.add_attachment("frogs.txt", NEW_STORY.encode(), "text/plain")
    record = await fake_discord.run_command("load", attachments={"file": upload}, user=manager)
    assert (await record.wait_response())["data"]["flags"] & EPHEMERAL  # deferred, privately
    report = (await record.final_message())["embeds"][0]
    assert report["title"] == "Loaded frogs.txt"
    assert report["description"] == "loaded 1, updated 0, duplicate 0, rejected 0"

    sent = await fake_discord.send_message("How many glass frogs were counted?", mention_bot=True)
    embed = (await reply_to(fake_discord, sent)).json["embeds"][0]
    assert "Glass Frogs Return to the Orvane Valley" in embed["description"]
    assert "**frogs**" in embed["description"]


async def test_non_admin_is_refused_even_when_forced(
    bot: NewsBot, fake_discord: FakeDiscord, fail_on_bot_errors: pytest.LogCaptureFixture
) -> None:
    [load] = [c for c in fake_discord.synced_commands if c["name"] == "load"]
    assert load["default_member_permissions"] == str(MANAGE_GUILD)
    plain = fake_discord.add_member(name="plain")
    upload = fake_discord.add_attachment("frogs.txt", NEW_STORY.encode(), "text/plain")
    hidden = await fake_discord.run_command("load", attachments={"file": upload}, user=plain)
    assert not hidden.delivered

    forced = await fake_discord.run_command("load", attachments={"file": upload}, user=plain,
                                            force=True)
    assert "for server managers" in await ephemeral_text(forced)
    forced_sub = await fake_discord.run_command("askchannel", {}, plain, subcommand="add",
                                                force=True)
    assert "for server managers" in await ephemeral_text(forced_sub)
    assert bot.engine.stats().articles == 12
    assert bot.guild_settings.ask_channels(int(fake_discord.guild_id)) == frozenset()
    refusals = [r.getMessage() for r in fail_on_bot_errors.records if "refused" in r.getMessage()]
    assert refusals == [f"refused /load for user {plain['id']}: {_refusal()}",
                        f"refused /askchannel add for user {plain['id']}: {_refusal()}"]


def _refusal() -> str:
    return "This command is for server managers (Manage Server or the admin role)."


async def test_admin_role_by_name(discord_patched: FakeDiscord, engine: Engine) -> None:
    fd = discord_patched
    editors = fd.add_role("editors")
    editor = fd.add_member(name="editor", roles=[editors["id"]])
    settings = bot_settings(fd, engine, admin_role="editors")
    async with running_bot(create_bot(settings, engine, guild_ready_timeout=0.05), fd, TOKEN):
        record = await fd.run_command("stats", {}, editor, force=True)
        assert "Articles\n12" in await ephemeral_text(record)


async def test_load_refuses_oversized_files_before_reading(
    discord_patched: FakeDiscord, engine: Engine
) -> None:
    fd = discord_patched
    settings = bot_settings(fd, engine, max_upload_bytes=100)
    async with running_bot(create_bot(settings, engine, guild_ready_timeout=0.05), fd, TOKEN):
        upload = fd.add_attachment("frogs.txt", NEW_STORY.encode(), "text/plain")
        record = await fd.run_command("load", attachments={"file": upload}, user=fd.owner)
        assert "I accept files up to" in await ephemeral_text(record)
    assert engine.stats().articles == 12


async def test_remove_and_feeds(bot: NewsBot, fake_discord: FakeDiscord) -> None:
    owner, library = fake_discord.owner, str(fake_discord.guild_id)
    await asyncio.to_thread(bot.engine.load_bytes, NEW_STORY.encode(), "frogs.txt", library)
    [frogs] = bot.engine.find_titles("Glass Frogs Return", 1, library)
    removed = await fake_discord.run_command("remove", {"article": frogs.id}, owner)
    assert "Removed" in await ephemeral_text(removed)
    assert bot.engine.article(frogs.id, library) is None
    [kim] = bot.engine.find_titles("Kim Calls for North Korea", 1)
    shared = await fake_discord.run_command("remove", {"article": kim.id}, owner)
    assert "I don't know that article" in await ephemeral_text(shared)
    assert bot.engine.article(kim.id) is not None  # the shared library is the owner's

    add = await fake_discord.run_command("feeds", {"url": "https://example.com/rss"}, owner,
                                         subcommand="add")
    assert "https://example.com/rss" in await ephemeral_text(add)
    bad = await fake_discord.run_command("feeds", {"url": "file:///etc/passwd"}, owner,
                                         subcommand="add")
    assert "only http:// and https://" in await ephemeral_text(bad)
    [feed] = bot.engine.store.records("feeds")
    assert feed["url"] == "https://example.com/rss"
    gone = await fake_discord.run_command("feeds", {"url": "https://example.com/rss"}, owner,
                                          subcommand="remove")
    assert "No feeds yet" in await ephemeral_text(gone)


# -- safety -------------------------------------------------------------------------------
async def test_everyone_in_question_and_article_pings_nobody(
    bot: NewsBot, fake_discord: FakeDiscord
) -> None:
    story = NEW_STORY.replace("Biologists counted", "@everyone Biologists counted")
    await asyncio.to_thread(bot.engine.load_bytes, story.encode(), "frogs.txt")
    sent = await fake_discord.send_message("@everyone how many glass frogs? @here",
                                           mention_bot=True)
    request = await reply_to(fake_discord, sent)
    text = embed_text(request.json["embeds"][0])
    assert "@\u200beveryone" in text and "@everyone" not in text
    record = await fake_discord.run_command("ask", {"question": "@everyone glass frogs?"})
    await record.final_message()
    assert_pings_nobody(fake_discord)
    for message in fake_discord.messages(include_ephemeral=True):
        assert not message["mention_everyone"] and message["mentions"] == []


async def test_rate_limited_reply_is_retried(bot: NewsBot, fake_discord: FakeDiscord) -> None:
    fake_discord.inject_rate_limit("POST", r"^/channels/\d+/messages$", retry_after=0.05)
    sent = await fake_discord.send_message(KIM, mention_bot=True)
    await reply_to(fake_discord, sent)
    statuses = [r.status for r in fake_discord.requests if posts_to(fake_discord.channel_id)(r)]
    assert statuses == [429, 200]
    assert len(fake_discord.messages()) == 1


async def test_a_failing_engine_gets_an_apology_and_the_bot_goes_on(
    bot: NewsBot, fake_discord: FakeDiscord, monkeypatch: pytest.MonkeyPatch,
    fail_on_bot_errors: pytest.LogCaptureFixture,
) -> None:
    real_ask = bot.engine.ask

    def broken(*args: object) -> None:
        raise RuntimeError("index on fire")

    monkeypatch.setattr(bot.engine, "ask", broken)
    record = await fake_discord.run_command("ask", {"question": KIM})
    assert "something went wrong" in (await record.final_message())["content"]
    sent = await fake_discord.send_message(KIM, mention_bot=True)
    assert "something went wrong" in (await reply_to(fake_discord, sent)).json["content"]
    failures = [r for r in fail_on_bot_errors.records if r.levelno == logging.ERROR]
    assert len(failures) == 2 and all("index on fire" in r.exc_text for r in failures)
    fail_on_bot_errors.clear()  # expected

    monkeypatch.setattr(bot.engine, "ask", real_ask)
    sent = await fake_discord.send_message(KIM, mention_bot=True)
    assert (await reply_to(fake_discord, sent)).json["embeds"][0]["title"] == KIM


class GatedIndex(IndexHolder):
    """An index holder whose build waits for the test, as a large archive's first start
    after a bulk load waits minutes for its build."""

    def __init__(self, store: ArticleStore, gate: threading.Event) -> None:
        super().__init__(store, cache_index=True, serve_stale=False, workers=0)
        self.gate = gate

    def _update(self) -> tuple[Index, Corrector]:
        assert self.gate.wait(20), "the test never opened the gate"
        return super()._update()


async def test_online_and_browsing_before_the_index_is_built_questions_answered_after(
    discord_patched: FakeDiscord, sample_db: Path, tmp_path: Path
) -> None:
    fd, gate = discord_patched, threading.Event()
    shutil.copy(sample_db, tmp_path / "db.json")
    engine = Engine(ArticleStore(tmp_path / "db.json"))
    engine.indexes = GatedIndex(engine.store, gate)
    client = create_bot(bot_settings(fd, engine), engine, guild_ready_timeout=0.05)
    try:
        async with running_bot(client, fd, TOKEN):  # ready while the index waits
            listing = await (await fd.run_command("recent", {"count": 5})).final_message()
            assert footer(listing) == "Page 1/3 \u00b7 12 articles"
            sent = await fd.send_message(KIM, mention_bot=True)
            await fd.wait_for_request(lambda r: r.path == f"/channels/{fd.channel_id}/typing")
            await asyncio.sleep(0.3)
            assert not any(posts_to(fd.channel_id)(r) for r in fd.requests)  # still waiting
            gate.set()
            request = await reply_to(fd, sent)
            assert request.json["embeds"][0]["title"] == KIM
            assert "**missile**" in request.json["embeds"][0]["description"]
    finally:
        gate.set()
