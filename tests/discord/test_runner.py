"""Starting the bot: the real `newsbot run` entry point, token hygiene, intents fallback."""

from __future__ import annotations

import asyncio
import io
import logging
import os
import signal
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.config import Settings
from bot.discord.bot import create_bot
from bot.discord.runner import RedactToken, serve
from bot.engine import Engine
from bot.storage.store import ArticleStore
from tests.standin import FakeDiscord, running_bot
from tests.support import PROJECT_DIR, SAMPLES, engine_at

pytestmark = pytest.mark.usefixtures("fail_on_discord_errors")

SECRET = "fake.MTIzNDU2Nzg5.secret-token-value"
KIM = "What did Kim say about missile production?"


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    engine_at(tmp_path / "db.json", SAMPLES).store.close()
    return Engine(ArticleStore(tmp_path / "db.json"))


def is_reply(fd: FakeDiscord, sent: dict) -> object:
    return lambda r: (r.method == "POST" and r.path == f"/channels/{sent['channel_id']}/messages"
                      and r.status == 200
                      and str((r.json.get("message_reference") or {}).get("message_id"))
                      == sent["id"])


async def until(probe: Callable[[], bool], timeout: float = 20.0) -> None:
    async with asyncio.timeout(timeout):
        while not probe():
            await asyncio.sleep(0.02)


def test_token_is_redacted_from_messages_arguments_and_tracebacks() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RedactToken(SECRET))
    logger = logging.getLogger("tests.redaction")
    logger.addHandler(handler)
    try:
        logger.warning("token is %s", SECRET)
        logger.warning(f"inline {SECRET}")
        try:
            raise RuntimeError(f"bad token {SECRET}")
        except RuntimeError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    text = out.getvalue()
    assert SECRET not in text
    assert text.count("[token]") == 3 and "RuntimeError: bad token [token]" in text


async def test_newsbot_run_answers_a_mention(fake_discord: FakeDiscord, tmp_path: Path) -> None:
    """The real entry point in a subprocess, pointed at the stand-in by environment."""
    fd = fake_discord
    db = tmp_path / "db.json"
    engine_at(db, SAMPLES).store.close()
    output = tmp_path / "bot.log"
    env = {**os.environ, "DISCORD_TOKEN": SECRET, "DISCORD_API_BASE": fd.api_base,
           "DISCORD_GATEWAY_URL": fd.gateway_url, "NEWSBOT_LOG_LEVEL": "DEBUG",
           "NEWSBOT_DB": "", "DEV_GUILD_ID": "", "NEWSBOT_SHARDED": "false",
           "NEWSBOT_COOLDOWN_SECONDS": "0", "NEWSBOT_MESSAGE_CONTENT": "true"}
    with output.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", "--db", str(db),
            cwd=PROJECT_DIR, env=env, stdout=log_file, stderr=asyncio.subprocess.STDOUT)
        try:
            await fd.wait_ready(timeout=60)
            sent = await fd.send_message(KIM, mention_bot=True)
            reply = await fd.wait_for_request(is_reply(fd, sent), timeout=30)
            await until(lambda: "ready as newsbot" in output.read_text())
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            code = await asyncio.wait_for(process.wait(), 30)
    text = output.read_text()
    assert reply.json["embeds"][0]["title"] == KIM, text
    assert reply.json["allowed_mentions"]["parse"] == []
    assert fd.requests[0].headers["Authorization"] == f"Bot {SECRET}"  # it did use the token
    assert SECRET not in text
    assert "ready as newsbot" in text and "synced" in text
    assert code == 0, text
    assert any(c["name"] == "ask" and "guild_id" not in c for c in fd.synced_commands)


@pytest.mark.fake_discord(message_content_intent_granted=False, strict_privileged_intents=True)
async def test_refused_intent_falls_back_without_it(
    discord_patched: FakeDiscord, engine: Engine, caplog: pytest.LogCaptureFixture
) -> None:
    fd = discord_patched
    settings = Settings(discord_token="t", db_path=engine.store.path, cooldown_seconds=0,
                        dev_guild_id=int(fd.guild_id))
    task = asyncio.create_task(serve(settings, engine, guild_ready_timeout=0.05))
    try:
        await fd.wait_ready()  # the refused IDENTIFY is not counted
        assert fd.identify_count == 1 and not fd.intents & (1 << 15)
        sent = await fd.send_message(KIM, mention_bot=True)
        reply = await fd.wait_for_request(is_reply(fd, sent))
        assert reply.json["embeds"][0]["title"] == KIM
    finally:
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
    assert "Privileged Gateway Intents > Message Content Intent" in caplog.text


async def test_sharded_bot_answers(discord_patched: FakeDiscord, engine: Engine) -> None:
    fd = discord_patched
    settings = Settings(discord_token="t", db_path=engine.store.path, cooldown_seconds=0,
                        sharded=True)
    async with running_bot(create_bot(settings, engine, guild_ready_timeout=0.05), fd, "t"):
        sent = await fd.send_message(KIM, mention_bot=True)
        await fd.wait_for_request(is_reply(fd, sent))
    assert fd.identify_payload["shard"] == [0, 1]
