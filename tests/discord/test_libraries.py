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
from tests.standin import MANAGE_GUILD, FakeDiscord, running_bot
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
    ops: dict[str, Any]  # in NEWSBOT_OWNER_IDS (the stand-in's app owner is A's owner)

    @property
    def a_library(self) -> str:
        return str(self.fd.guild_id)


@pytest_asyncio.fixture
async def servers(discord_patched: FakeDiscord, engine: Engine) -> AsyncIterator[Servers]:
    """Server A (the stand-in's first guild, also the owner guild) and server B; commands
    synced globally, as a bot in many servers does."""
    b = discord_patched.add_guild("Server B")
    b_member = discord_patched.add_member(name="bob", guild_id=b.id)
    ops = discord_patched.add_member(name="ops")
    settings = bot_settings(discord_patched, engine, dev_guild_id=None,
                            owner_guild_id=int(discord_patched.guild_id),
                            owner_ids=frozenset({int(ops["id"])}))
    client = create_bot(settings, engine, guild_ready_timeout=0.05)
    async with running_bot(client, discord_patched, TOKEN):
        yield Servers(discord_patched, client, b, b_member, ops)


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
        assert TITLE in in_a and "**counted** __**forty glass frogs**__" in in_a
        in_b = await ask(s, FROGS, s.b_member, s.b.channel_id)
        unsaid = in_b.replace(FROGS, "")  # the abstention repeats the question
        assert TITLE not in in_b and "forty" not in in_b and "Orvane" not in unsaid
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


# -- the owner ----------------------------------------------------------------------------
async def test_owner_commands_exist_only_in_the_owner_guild_and_refuse_server_admins(
    servers: Servers, fail_on_bot_errors: pytest.LogCaptureFixture
) -> None:
    s = servers
    [owner] = [c for c in s.fd.synced_commands if c["name"] == "owner"]
    assert owner["guild_id"] == s.fd.guild_id
    assert all(c.get("guild_id") is None for c in s.fd.synced_commands if c["name"] != "owner")
    with pytest.raises(TimeoutError):
        await s.fd.wait_for_command("owner", 0.2, guild_id=s.b.id)

    manager = s.fd.add_member(name="manager", permissions=MANAGE_GUILD)
    upload = s.fd.add_attachment("frogs.txt", NEW_STORY.encode(), "text/plain")
    for subcommand, options in (("load", {"file": upload}), ("libraries", {}),
                                ("purge", {"server": s.b.id})):
        refused = await s.fd.run_command("owner", options, manager, subcommand=subcommand,
                                         force=True)
        assert await ephemeral_text(refused) == "This command is for the bot's owner."
    assert s.bot.engine.library_sizes() == {None: 12}
    refusals = [r.getMessage() for r in fail_on_bot_errors.records
                if r.getMessage().startswith("refused /owner")]
    assert refusals == [f"refused /owner {name} for user {manager['id']}: This command is for "
                        "the bot's owner." for name in ("load", "libraries", "purge")]


async def test_the_owner_loads_and_removes_shared_articles_for_every_server(
    servers: Servers,
) -> None:
    s = servers
    upload = s.fd.add_attachment("frogs.txt", NEW_STORY.encode(), "text/plain")
    loaded = await s.fd.run_command("owner", {"file": upload}, s.fd.owner, subcommand="load")
    report = (await loaded.final_message())["embeds"][0]
    assert report["description"] == "loaded 1, updated 0, duplicate 0, rejected 0"
    assert TITLE in await mention_answer(s, FROGS, s.b_member, s.b.channel_id)
    [frogs] = s.bot.engine.find_titles(TITLE, 1)
    assert frogs.library is None
    refused = await s.fd.run_command("remove", {"article": frogs.id}, s.fd.owner)
    assert "don't know that article" in await ephemeral_text(refused)  # /remove: A's own only
    removed = await s.fd.run_command("owner", {"article": frogs.id}, s.ops, subcommand="remove")
    assert "Removed" in await ephemeral_text(removed)
    assert TITLE not in await mention_answer(s, FROGS, s.b_member, s.b.channel_id)


async def test_a_server_left_keeps_its_library_until_the_owner_purges_it(
    servers: Servers,
) -> None:
    s = servers
    upload = s.fd.add_attachment("frogs.txt", NEW_STORY.encode(), "text/plain")
    await (await s.fd.run_command("load", attachments={"file": upload}, user=s.b.owner,
                                  channel_id=s.b.channel_id)).final_message()
    await (await s.fd.run_command("feeds", {"url": "https://example.com/rss"}, s.b.owner,
                                  subcommand="add", channel_id=s.b.channel_id)).final_message()
    await (await s.fd.run_command("askchannel", {}, s.b.owner, subcommand="add",
                                  channel_id=s.b.channel_id)).final_message()
    b_id = int(s.b.id)
    assert s.bot.guild_settings.ask_channels(b_id) == {int(s.b.channel_id)}

    await s.fd.remove_guild(b_id)
    await s.fd.wait_until(lambda: s.bot.get_guild(b_id) is None, 5.0, "B gone")
    assert s.bot.engine.library_sizes()[s.b.id] == 1  # kept: B may add the bot back
    listed = await ephemeral_text(await s.fd.run_command("owner", {}, s.ops,
                                                         subcommand="libraries"))
    assert listed == (f"Shared library: 12 articles.\n`{s.b.id}` (I am not in it): 1 articles, "
                      "1 feeds")

    purged = await s.fd.run_command("owner", {"server": s.b.id}, s.fd.owner, subcommand="purge")
    assert await ephemeral_text(purged) == (f"Purged server {s.b.id}: 1 articles, 1 feeds and "
                                            "its settings.")
    assert s.bot.engine.library_sizes() == {None: 12}
    assert await s.bot.feeds.all() == []
    assert s.bot.engine.store.records("guilds") == []
    assert s.bot.guild_settings.ask_channels(b_id) == frozenset()
