"""Starting the bot: logging that never shows the token, the Discord endpoints, the run loop."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from dataclasses import replace

import discord
import yarl

from bot.config import Settings
from bot.discord.bot import MESSAGE_CONTENT_HINT, create_bot
from bot.engine import Engine

log = logging.getLogger(__name__)

REDACTED = "[token]"


class RedactToken(logging.Filter):
    """Replaces the token in a record's message, arguments, traceback and stack text."""

    def __init__(self, token: str) -> None:
        super().__init__()
        self.token = token

    def filter(self, record: logging.LogRecord) -> bool:
        if not self.token:
            return True
        message = record.getMessage()
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        record.msg, record.args = message.replace(self.token, REDACTED), ()
        if record.exc_text:
            record.exc_text = record.exc_text.replace(self.token, REDACTED)
        if record.stack_info:
            record.stack_info = record.stack_info.replace(self.token, REDACTED)
        return True


def configure_logging(settings: Settings) -> None:
    """Log to stderr at ``settings.log_level``; every handler (ours, discord.py's, any
    installed earlier) gets the token filter."""
    logging.basicConfig(
        level=settings.log_level, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    logging.getLogger().setLevel(settings.log_level)
    redact = RedactToken(settings.discord_token)
    for name in ("", "discord"):
        for handler in logging.getLogger(name).handlers:
            handler.addFilter(redact)


def use_endpoints(settings: Settings) -> None:
    """Point discord.py at DISCORD_API_BASE / DISCORD_GATEWAY_URL (testing only)."""
    if settings.discord_api_base:
        discord.http.Route.BASE = settings.discord_api_base.rstrip("/")
        log.warning("using the Discord API at %s (testing only)", discord.http.Route.BASE)
    if settings.discord_gateway_url:
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(settings.discord_gateway_url)
        log.warning("using the Discord gateway at %s (testing only)", settings.discord_gateway_url)


async def serve(settings: Settings, engine: Engine, **options: float) -> None:
    """Run the bot until it is closed; when Discord refuses the message content intent
    (close code 4014), explain how to enable it and run without it."""
    try:
        await _run_once(settings, engine, **options)
    except discord.PrivilegedIntentsRequired:
        if not settings.message_content:
            raise
        log.warning("Discord refused the message content intent: running without it. %s",
                    MESSAGE_CONTENT_HINT)
        await _run_once(replace(settings, message_content=False), engine, **options)


async def _run_once(settings: Settings, engine: Engine, **options: float) -> None:
    async with create_bot(settings, engine, **options) as bot:
        await bot.start(settings.discord_token)


async def _main(settings: Settings, engine: Engine) -> None:
    task = asyncio.current_task()
    with contextlib.suppress(NotImplementedError, AttributeError):  # no signals on Windows
        asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)  # type: ignore[union-attr]
    await serve(settings, engine)


def run_bot(settings: Settings, engine: Engine) -> None:
    """The ``newsbot run`` entry point: blocks until Ctrl-C or SIGTERM."""
    configure_logging(settings)
    use_endpoints(settings)
    try:
        asyncio.run(_main(settings, engine))
    except (KeyboardInterrupt, asyncio.CancelledError):
        log.info("stopped")
    except discord.LoginFailure:
        log.error("Discord refused the token: check DISCORD_TOKEN (developer portal, Bot tab)")
        raise SystemExit(1) from None
