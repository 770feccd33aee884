"""Two servers, one bot (real discord.py against the stand-in): each server's articles are
its own; the shared sample articles are everyone's."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from typing import Any

import pytest
import pytest_asyncio

from bot.discord.bot import NewsBot, create_bot
from bot.engine import Engine
from tests.discord import test_bot as base
from tests.discord.test_bot import (
    KIM,
    NEW_STORY,
    TOKEN,
    bot_settings,
    embed_text,
    ephemeral_text,
    reply_to,
)
from tests.standin import FakeDiscord, running_bot
from tests.standin.world import Guild

pytestmark = pytest.mark.usefixtures("fail_on_discord_errors", "fail_on_bot_errors")
sample_db, engine, fail_on_bot_errors = base.sample_db, base.engine, base.fail_on_bot_errors

FROGS = "How many glass frogs did the biologists count along the Orvane river?"
TITLE = "Glass Frogs Return to the Orvane Valley"


@dataclass
class Servers:
    fd: FakeDiscord
    bot: NewsBot
    b: Guild  # the second server (the first is the stand-in's own)
    b_member: dict[str, Any]

    @property
    def a_library(self) -> str:
        return str(self.fd.guild_id)


@pytest_asyncio.fixture
async def servers(discord_patched: FakeDiscord, engine: Engine) -> AsyncIterator[Servers]:
    """Server A (the stand-in's first guild) and server B; commands synced globally, as a
    bot in many servers does."""
    b = discord_patched.add_guild("Server B")
    b_member = discord_patched.add_member(name="bob", guild_id=b.id)
    settings = bot_settings(discord_patched, engine, dev_guild_id=None)
    client = create_bot(settings, engine, guild_ready_timeout=0.05)
    async with running_bot(client, discord_patched, TOKEN):
        yield Servers(discord_patched, client, b, b_member)


async def load_frogs_in_a(s: Servers) -> str:
    """A's admin loads the frog story; its article id."""
    upload = s.fd.add_attachment("frogs.txt", NEW_STORY.encode(), "text/plain")
    record = await s.fd.run_command("load", attachments={"file": upload}, user=s.fd.owner)
    report = (await record.final_message())["embeds"][0]
    assert report["description"] == "loaded 1, updated 0, duplicate 0, rejected 0"
    [frogs] = s.bot.engine.find_titles(TITLE, 1, s.a_library)
    return frogs.id


async def mention_answer(s: Servers, question: str, user: dict, channel_id: str) -> str:
    sent = await s.fd.send_message(question, user, channel_id=channel_id, mention_bot=True)
    return embed_text((await reply_to(s.fd, sent)).json["embeds"][0])


async def slash_answer(s: Servers, question: str, user: dict, channel_id: str) -> str:
    record = await s.fd.run_command("ask", {"question": question}, user, channel_id=channel_id)
    return embed_text((await record.final_message())["embeds"][0])


async def test_a_servers_upload_is_quoted_in_that_server_only(servers: Servers) -> None:
    s = servers
    await load_frogs_in_a(s)
    for ask in (mention_answer, slash_answer):
        in_a = await ask(s, FROGS, s.fd.default_user, s.fd.channel_id)
        assert TITLE in in_a and "counted** forty" in in_a
        in_b = await ask(s, FROGS, s.b_member, s.b.channel_id)
        assert TITLE not in in_b and "forty" not in in_b and "Orvane" not in in_b.split("\n", 1)[1]
    dm = await s.fd.send_message(FROGS, s.b_member, dm=True)
    assert TITLE not in embed_text((await reply_to(s.fd, dm)).json["embeds"][0])
    for user, channel in ((s.fd.default_user, s.fd.channel_id), (s.b_member, s.b.channel_id)):
        shared = await mention_answer(s, KIM, user, channel)
        assert "Kim Calls for North Korea to Boost Missile Production" in shared


async def test_b_cannot_list_find_show_or_remove_as_article(servers: Servers) -> None:
    s = servers
    frogs = await load_frogs_in_a(s)
    recent = await s.fd.run_command("recent", {"count": 10}, s.b_member, channel_id=s.b.channel_id)
    listing = embed_text((await recent.final_message())["embeds"][0])
    assert TITLE not in listing and "Kim Calls for North Korea" in listing
    for typed in ("Glass Frogs", ""):
        record = await s.fd.autocomplete("article", {"article": typed}, focused="article",
                                         user=s.b_member, channel_id=s.b.channel_id)
        await record.wait_response()
        assert all(c["value"] != frogs and "Frogs" not in c["name"] for c in record.choices)
    in_a = await s.fd.autocomplete("article", {"article": "Glass Frogs"}, focused="article")
    await in_a.wait_response()
    assert in_a.choices[0]["value"] == frogs
    for command in ("article", "related"):
        shown = await s.fd.run_command(command, {"article": frogs}, s.b_member,
                                       channel_id=s.b.channel_id)
        assert "don't know that article" in await ephemeral_text(shown)

    removed = await s.fd.run_command("remove", {"article": frogs}, s.b.owner,
                                     channel_id=s.b.channel_id)
    assert "don't know that article" in await ephemeral_text(removed)
    assert s.bot.engine.article(frogs, s.a_library) is not None
    shown_in_a = await s.fd.run_command("article", {"article": frogs})
    assert (await shown_in_a.final_message())["embeds"][0]["title"] == TITLE


async def test_stats_and_remove_in_a_see_only_a_and_the_shared_library(servers: Servers) -> None:
    s = servers
    frogs = await load_frogs_in_a(s)
    in_b = await s.fd.run_command("stats", {}, s.b.owner, channel_id=s.b.channel_id)
    text_b = await ephemeral_text(in_b)
    assert "Articles\n12" in text_b and "This server's" not in text_b and "File" not in text_b
    in_a = await ephemeral_text(await s.fd.run_command("stats", {}, s.fd.owner))
    assert "Articles\n13" in in_a and "This server's\n1" in in_a and "Shared\n12" in in_a
    removed = await s.fd.run_command("remove", {"article": frogs}, s.fd.owner)
    assert "Removed" in await ephemeral_text(removed)
    assert s.bot.engine.library_sizes() == {None: 12}


async def test_the_same_file_in_both_servers_is_two_copies(servers: Servers) -> None:
    s = servers
    frogs = await load_frogs_in_a(s)
    upload = s.fd.add_attachment("frogs.txt", NEW_STORY.encode(), "text/plain")
    record = await s.fd.run_command("load", attachments={"file": upload}, user=s.b.owner,
                                    channel_id=s.b.channel_id)
    report = (await record.final_message())["embeds"][0]
    assert report["description"] == "loaded 1, updated 0, duplicate 0, rejected 0"
    removed = await s.fd.run_command("remove", {"article": frogs}, s.b.owner,
                                     channel_id=s.b.channel_id)
    assert "Removed" in await ephemeral_text(removed)
    assert await asyncio.to_thread(s.bot.engine.article, frogs, s.a_library) is not None
    assert TITLE not in await mention_answer(s, FROGS, s.b_member, s.b.channel_id)
