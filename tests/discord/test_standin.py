"""The Discord stand-in driven by the real discord.py library (login, gateway, interactions)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable

import aiohttp
import discord
import pytest
import pytest_asyncio
from discord import app_commands
from discord.ext import commands

from tests.standin import EPHEMERAL, MANAGE_GUILD, FakeDiscord, RecordedRequest, running_bot
from tests.standin.pytest_plugin import DiscordErrorLog

pytestmark = pytest.mark.usefixtures("fail_on_discord_errors")

TOPICS = ["elections", "economy", "energy", "sport", "science"]


class ClickView(discord.ui.View):
    """One button that edits its message when clicked."""

    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Click", custom_id="standin:click")
    async def click(self, interaction: discord.Interaction, button: discord.ui.Button) -> None:
        await interaction.response.edit_message(content="clicked", view=None)


class StandinBot(commands.Bot):
    """A minimal bot: replies to mentions, plus a few slash commands."""

    def __init__(self, *, message_content: bool = True, guild_id: str | None = None) -> None:
        intents = discord.Intents.default()
        intents.message_content = message_content
        super().__init__(command_prefix="!", intents=intents, guild_ready_timeout=0.1)
        self.sync_guild = discord.Object(int(guild_id)) if guild_id else None
        self.seen: list[discord.Message] = []
        self.callback_errors: list[int] = []

    async def setup_hook(self) -> None:
        for command in build_commands(self):
            self.tree.add_command(command)
        if self.sync_guild is not None:
            self.tree.copy_global_to(guild=self.sync_guild)
        await self.tree.sync(guild=self.sync_guild)

    async def on_message(self, message: discord.Message) -> None:
        self.seen.append(message)
        if message.author.bot:
            return
        if self.user in message.mentions:
            await message.reply(f"echo: {message.content}")


def build_commands(bot: StandinBot) -> list[app_commands.Command]:
    """The test bot's slash commands."""

    @app_commands.command(description="Defer, then edit")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.edit_original_response(content="pong")

    @app_commands.command(description="Answers after the deadline")
    async def late(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.4)
        try:
            await interaction.response.send_message("too late")
        except discord.NotFound as exc:
            bot.callback_errors.append(exc.code)

    @app_commands.command(description="Managers only")
    @app_commands.default_permissions(manage_guild=True)
    @app_commands.checks.has_permissions(manage_guild=True)
    async def admin(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("ok", ephemeral=True)

    @admin.error
    async def admin_error(interaction: discord.Interaction, error: Exception) -> None:
        if not isinstance(error, app_commands.MissingPermissions):
            raise error
        await interaction.response.send_message("denied", ephemeral=True)

    @app_commands.command(description="A message with a button")
    async def buttons(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("press it", view=ClickView())

    @app_commands.command(description="Reads an attachment")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(f"{file.filename}: {data.decode()}")

    @app_commands.command(description="Autocompleted topic")
    async def search(interaction: discord.Interaction, topic: str) -> None:
        await interaction.response.send_message(topic)

    @search.autocomplete("topic")
    async def topic_choices(interaction: discord.Interaction, current: str
                            ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=t, value=t) for t in TOPICS if current in t]

    news = app_commands.Group(name="news", description="News commands")

    @news.command(description="Ephemeral defer, then a followup")
    @app_commands.describe(count="How many")
    async def latest(interaction: discord.Interaction, count: app_commands.Range[int, 1, 5]
                     ) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send(f"{count} items")

    @app_commands.command(description="Raises")
    async def broken(interaction: discord.Interaction) -> None:
        raise RuntimeError("boom")

    return [ping, late, admin, buttons, upload, search, news, broken]


@pytest_asyncio.fixture
async def bot(discord_patched: FakeDiscord) -> AsyncIterator[StandinBot]:
    """A StandinBot logged in to the stand-in and ready."""
    client = StandinBot()
    async with running_bot(client, discord_patched):
        yield client


async def eventually(probe: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll until ``probe()`` is true (bounded generously: on a busy 2-core machine a bot's
    start and three gateway events once took longer than 5 s)."""
    async with asyncio.timeout(timeout):
        while not probe():
            await asyncio.sleep(0.01)


def human_messages(client: StandinBot) -> list[discord.Message]:
    """Messages the bot received from users (not its own echoes)."""
    return [m for m in client.seen if not m.author.bot]


def is_post_message(channel_id: str) -> Callable[[RecordedRequest], bool]:
    """Predicate: a POST /channels/{channel_id}/messages."""
    return lambda r: r.method == "POST" and r.path == f"/channels/{channel_id}/messages"


async def test_login_ready_and_guild(bot: StandinBot, fake_discord: FakeDiscord) -> None:
    paths = [r.path for r in fake_discord.requests]
    assert paths[:2] == ["/users/@me", "/oauth2/applications/@me"]
    guild = bot.get_guild(int(fake_discord.guild_id))
    assert guild is not None and guild.me is not None
    assert {c.name for c in guild.text_channels} == {"general", "news"}
    assert guild.default_role.id == guild.id
    assert fake_discord.intents & (1 << 15)
    assert bot.application_id == int(fake_discord.application_id)
    assert [c["name"] for c in fake_discord.synced_commands] == [
        "ping", "late", "admin", "buttons", "upload", "search", "news", "broken"]


async def test_json_content_type_is_exact(fake_discord: FakeDiscord) -> None:
    headers = {"Authorization": "Bot x"}
    async with aiohttp.ClientSession() as session:
        async with session.get(fake_discord.api_base + "/users/@me", headers=headers) as resp:
            assert resp.headers["Content-Type"] == "application/json"
        async with session.get(fake_discord.api_base + "/nope", headers=headers) as resp:
            assert resp.status == 404
            assert await resp.json() == {"message": "404: Not Found", "code": 0}
    assert fake_discord.requests[-1].status == 404


async def test_replies_to_mention(bot: StandinBot, fake_discord: FakeDiscord) -> None:
    alice = fake_discord.add_member(name="alice")
    sent = await fake_discord.send_message("what's new?", alice, mention_bot=True)
    request = await fake_discord.wait_for_request(is_post_message(fake_discord.channel_id))
    assert request.status == 200
    assert request.json["content"] == f"echo: <@{fake_discord.bot_user['id']}> what's new?"
    assert str(request.json["message_reference"]["message_id"]) == sent["id"]
    [reply] = fake_discord.messages(fake_discord.channel_id)
    assert reply["type"] == 19 and reply["referenced_message"]["id"] == sent["id"]
    await eventually(lambda: any(m.author == bot.user for m in bot.seen))  # echoed back


@pytest.mark.parametrize(
    ("granted", "requested"), [(False, True), (True, False)], ids=["portal", "identify"])
async def test_content_needs_intent_unless_mentioned(
    discord_patched: FakeDiscord, granted: bool, requested: bool
) -> None:
    fd = discord_patched
    fd.message_content_intent_granted = granted
    client = StandinBot(message_content=requested)
    async with running_bot(client, fd):
        await fd.send_message("secret headline")
        await fd.send_message("hello", mention_bot=True)
        await fd.send_message("in a DM", dm=True)
        await eventually(lambda: len(human_messages(client)) >= 3)
    contents = [m.content for m in human_messages(client)]
    assert contents == ["", f"<@{fd.bot_user['id']}> hello", "in a DM"]


async def test_ping_deferred_then_edited(bot: StandinBot, fake_discord: FakeDiscord) -> None:
    record = await fake_discord.run_command("ping", {})
    assert (await record.wait_response())["type"] == 5
    final = await record.final_message()
    assert final["content"] == "pong" and final["type"] == 20
    patch = await fake_discord.wait_for_request(
        lambda r: r.method == "PATCH" and r.path.endswith("/messages/@original"))
    assert patch.json["content"] == "pong"
    callback_index = next(i for i, r in enumerate(fake_discord.requests)
                          if r.path.endswith("/callback"))
    assert fake_discord.requests.index(patch) > callback_index


async def test_second_callback_is_rejected(bot: StandinBot, fake_discord: FakeDiscord) -> None:
    record = await fake_discord.run_command("ping", {})
    await record.final_message()
    url = f"{fake_discord.api_base}/interactions/{record.id}/{record.token}/callback"
    body = {"type": 4, "data": {"content": "again"}}
    async with aiohttp.ClientSession() as session, session.post(url, json=body) as resp:
        assert resp.status == 400
        assert (await resp.json())["code"] == 40060
    assert record.error == 40060 and len(record.callbacks) == 1


@pytest.mark.fake_discord(interaction_deadline=0.2)
async def test_late_callback_is_unknown_interaction(
    bot: StandinBot, fake_discord: FakeDiscord
) -> None:
    record = await fake_discord.run_command("late", {})
    await fake_discord.wait_for_request(lambda r: r.path.endswith(f"{record.token}/callback"))
    assert record.error == 10062 and record.callbacks == []
    assert bot.callback_errors == [10062]


async def test_rate_limit_is_retried_once(bot: StandinBot, fake_discord: FakeDiscord) -> None:
    fake_discord.inject_rate_limit("POST", r"^/channels/\d+/messages$", retry_after=0.05)
    await fake_discord.send_message("hi", mention_bot=True)
    await fake_discord.wait_for_request(
        lambda r: is_post_message(fake_discord.channel_id)(r) and r.status == 200)
    statuses = [r.status for r in fake_discord.requests
                if is_post_message(fake_discord.channel_id)(r)]
    assert statuses == [429, 200]
    assert len(fake_discord.messages(fake_discord.channel_id)) == 1


async def test_injected_error_reaches_the_bot(bot: StandinBot, fake_discord: FakeDiscord) -> None:
    fake_discord.inject_error("POST", r"/messages$", status=403, code=50013,
                              message="Missing Permissions")
    channel = bot.get_channel(int(fake_discord.other_channel_id))
    with pytest.raises(discord.Forbidden) as caught:
        await channel.send("blocked")
    assert caught.value.code == 50013
    await channel.send("allowed")
    assert [m["content"] for m in fake_discord.messages(fake_discord.other_channel_id)] == [
        "allowed"]


async def test_message_limits_are_enforced(bot: StandinBot, fake_discord: FakeDiscord) -> None:
    channel = bot.get_channel(int(fake_discord.channel_id))
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send("x" * 2001)
    assert caught.value.status == 400 and caught.value.code == 50035
    with pytest.raises(discord.HTTPException):
        await channel.send(embed=discord.Embed(title="t" * 257))
    assert fake_discord.messages(fake_discord.channel_id) == []


async def test_button_click_is_delivered(bot: StandinBot, fake_discord: FakeDiscord) -> None:
    message = await (await fake_discord.run_command("buttons", {})).final_message()
    assert message["components"][0]["components"][0]["custom_id"] == "standin:click"
    click = await fake_discord.click_button(message, "standin:click")
    assert (await click.wait_response())["type"] == 7
    edited = fake_discord.get_message(message["id"])
    assert edited["content"] == "clicked" and edited["components"] == []


async def test_default_member_permissions(bot: StandinBot, fake_discord: FakeDiscord) -> None:
    [synced] = [c for c in fake_discord.synced_commands if c["name"] == "admin"]
    assert synced["default_member_permissions"] == str(MANAGE_GUILD)
    plain = fake_discord.add_member(name="plain")
    manager = fake_discord.add_member(name="manager", permissions=MANAGE_GUILD)

    refused = await fake_discord.run_command("admin", {}, plain)
    assert not refused.delivered
    with pytest.raises(PermissionError):
        await refused.wait_response()

    allowed = await fake_discord.run_command("admin", {}, manager)
    answer = await allowed.wait_response()
    assert answer["data"]["content"] == "ok" and answer["data"]["flags"] & EPHEMERAL

    forced = await fake_discord.run_command("admin", {}, plain, force=True)
    assert (await forced.wait_response())["data"]["content"] == "denied"


async def test_attachment_option_is_readable(bot: StandinBot, fake_discord: FakeDiscord) -> None:
    attachment = fake_discord.add_attachment("note.txt", b"hello file", "text/plain")
    record = await fake_discord.run_command("upload", attachments={"file": attachment})
    assert record.payload["data"]["resolved"]["attachments"][attachment["id"]] == attachment
    assert (await record.final_message())["content"] == "note.txt: hello file"


async def test_autocomplete_choices(bot: StandinBot, fake_discord: FakeDiscord) -> None:
    record = await fake_discord.autocomplete("search", {}, focused="topic")
    assert (await record.wait_response())["type"] == 8
    assert [c["value"] for c in record.choices] == TOPICS
    record = await fake_discord.autocomplete("search", {"topic": "ec"}, focused="topic")
    await record.wait_response()
    assert [c["value"] for c in record.choices] == ["elections", "economy"]


async def test_gateway_drop_then_resume(bot: StandinBot, fake_discord: FakeDiscord) -> None:
    resumed = asyncio.Event()

    async def on_resumed() -> None:
        resumed.set()

    bot.add_listener(on_resumed)
    fake_discord.drop_gateway()
    await fake_discord.send_message("while away", mention_bot=True)
    await fake_discord.wait_resumed()
    await asyncio.wait_for(resumed.wait(), 5)
    request = await fake_discord.wait_for_request(is_post_message(fake_discord.channel_id))
    assert request.json["content"].endswith("while away")
    assert (fake_discord.identify_count, fake_discord.resume_count) == (1, 1)


async def test_guild_commands_and_sharded_login(discord_patched: FakeDiscord) -> None:
    fd = discord_patched
    client = StandinBot(guild_id=fd.guild_id)
    async with running_bot(client, fd):
        command = await fd.wait_for_command("ping")
        assert command["guild_id"] == fd.guild_id
        record = await fd.run_command("ping", {})
        assert record.payload["data"]["guild_id"] == fd.guild_id
        assert (await record.final_message())["content"] == "pong"
    sharded = commands.AutoShardedBot(command_prefix="!", intents=discord.Intents.default(),
                                      guild_ready_timeout=0.1)
    async with running_bot(sharded, fd):
        assert sharded.shard_count == 1
    assert fd.identify_payload["shard"] == [0, 1]
    assert any(r.path == "/gateway/bot" for r in fd.requests)


@pytest.mark.fake_discord(message_content_intent_granted=False, strict_privileged_intents=True)
async def test_strict_intents_close_4014(discord_patched: FakeDiscord) -> None:
    with pytest.raises(discord.PrivilegedIntentsRequired):
        async with running_bot(StandinBot(), discord_patched):
            pass


async def test_subcommand_ephemeral_followup(bot: StandinBot, fake_discord: FakeDiscord) -> None:
    record = await fake_discord.run_command("news", {"count": 3}, subcommand="latest")
    [option] = record.payload["data"]["options"]
    assert option["name"] == "latest" and option["options"][0] == {
        "type": 4, "name": "count", "value": 3}
    assert (await record.wait_response()) == {"type": 5, "data": {"flags": EPHEMERAL}}
    final = await record.final_message()
    assert final["content"] == "3 items" and final["flags"] & EPHEMERAL
    assert fake_discord.messages() == []
    assert fake_discord.messages(include_ephemeral=True)[0]["id"] == final["id"]
    with pytest.raises(ValueError, match="outside"):
        await fake_discord.run_command("news", {"count": 9}, subcommand="latest")


async def test_handler_errors_are_captured(
    bot: StandinBot, fake_discord: FakeDiscord, fail_on_discord_errors: DiscordErrorLog
) -> None:
    await fake_discord.run_command("broken", {})
    await eventually(lambda: bool(fail_on_discord_errors.records))
    assert "boom" in fail_on_discord_errors.report()
    fail_on_discord_errors.clear()


@pytest.mark.fake_discord(message_content_intent_granted=False)
async def test_reply_to_bot_is_visible_without_intent(
    bot: StandinBot, fake_discord: FakeDiscord
) -> None:
    channel = bot.get_channel(int(fake_discord.channel_id))
    posted = await channel.send("headline of the day")
    reply = await fake_discord.send_message("tell me more", reference_message_id=posted.id)
    assert reply["referenced_message"]["id"] == str(posted.id)
    await eventually(lambda: any(m.content == "tell me more" for m in bot.seen))
    [seen] = [m for m in bot.seen if m.content == "tell me more"]
    assert seen.reference.message_id == posted.id and bot.user in seen.mentions
    await fake_discord.send_message("quiet reply", reference_message_id=posted.id,
                                    reply_ping=False)
    await eventually(lambda: len(human_messages(bot)) == 2)
    assert human_messages(bot)[-1].content == ""
