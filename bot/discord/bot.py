"""Builds the bot: intents, mentions policy, extensions, and the one command sync at start."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any

import discord
from discord.ext import commands

from bot.config import Settings
from bot.discord import errors
from bot.discord.formatting import NO_MENTIONS
from bot.discord.guilds import TABLE as GUILDS_TABLE
from bot.discord.guilds import GuildSettings
from bot.engine import Engine
from bot.storage.feeds import TABLE as FEEDS_TABLE
from bot.storage.feeds import FeedList

log = logging.getLogger(__name__)

EXTENSIONS = (  # loaded by name, so each can be reloaded alone
    "bot.discord.exts.ask",
    "bot.discord.exts.browse",
    "bot.discord.exts.admin",
    "bot.discord.exts.feeds",
    "bot.discord.exts.owner",
)

MESSAGE_CONTENT_HINT = (
    "Without the message content intent I still answer mentions, replies and slash "
    "commands, but not plain messages in ask channels. To enable it: Discord developer "
    "portal (https://discord.com/developers/applications) > your app > Bot > Privileged "
    "Gateway Intents > Message Content Intent, then set NEWSBOT_MESSAGE_CONTENT=true."
)


class NewsBot(commands.Bot):
    """commands.Bot holding the engine and settings; no prefix commands (slash and mentions)."""

    def __init__(self, settings: Settings, engine: Engine, **options: Any) -> None:
        intents = discord.Intents.default()
        intents.message_content = settings.message_content
        super().__init__(
            command_prefix=commands.when_mentioned,
            help_command=None,
            intents=intents,
            allowed_mentions=NO_MENTIONS,
            tree_cls=errors.NewsTree,
            **options,
        )
        self.settings = settings
        self.engine = engine
        self.guild_settings = GuildSettings(engine.table(GUILDS_TABLE))
        self.feeds = FeedList(engine.table(FEEDS_TABLE))
        self._indexing: asyncio.Task[None] | None = None  # held: asyncio keeps weak refs

    async def setup_hook(self) -> None:
        """Runs once, after login and before the gateway: load extensions, sync commands once.
        The index is built (or read from its cache) meanwhile, in a thread: after a bulk
        load of a large archive that takes minutes, and the bot should be online, browsing
        at once, with questions asked meanwhile answered as soon as it is ready."""
        self._indexing = asyncio.create_task(asyncio.to_thread(self._warm_up))
        await self.guild_settings.load()
        for extension in EXTENSIONS:
            await self.load_extension(extension)
        await self._sync_commands()

    def _warm_up(self) -> None:
        start = time.perf_counter()
        try:
            self.engine.warm_up()
        except Exception:  # questions will try again; say why now
            log.exception("building the index failed")
            return
        log.info("index ready: %d articles in %.1f s", self.engine.article_count(),
                 time.perf_counter() - start)

    @property
    def owner_guild_id(self) -> int | None:
        """Where the owner's commands are registered (None: nowhere)."""
        return self.settings.owner_guild_id or self.settings.dev_guild_id

    async def _sync_commands(self) -> None:
        if self.settings.dev_guild_id:
            guild = discord.Object(self.settings.dev_guild_id)
            self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d commands to guild %s", len(synced), guild.id)
        else:
            synced = await self.tree.sync()
            log.info("synced %d global commands (they may take a while to appear)", len(synced))
        if self.owner_guild_id and self.owner_guild_id != self.settings.dev_guild_id:
            synced = await self.tree.sync(guild=discord.Object(self.owner_guild_id))
            log.info("synced %d owner commands to guild %s", len(synced), self.owner_guild_id)

    async def on_guild_remove(self, guild: discord.Guild) -> None:
        """The server's library, feeds and settings are kept: it may add the bot back (the
        owner's /owner purge removes them)."""
        log.info("left guild %s (%s): its library is kept", guild.id, guild.name)

    async def on_ready(self) -> None:
        log.info("ready as %s (id %s) in %d guilds", self.user, self.user and self.user.id,
                 len(self.guilds))
        if not self.intents.message_content:
            log.warning("message content intent is off. %s", MESSAGE_CONTENT_HINT)

    async def on_message(self, message: discord.Message) -> None:
        """No prefix commands: questions in messages are the ask cog's listener's job."""

    async def on_error(self, event_method: str, /, *args: Any, **kwargs: Any) -> None:
        errors.event_failed(event_method)


class ShardedNewsBot(NewsBot, commands.AutoShardedBot):
    """The same bot on as many shards as Discord recommends (for thousands of guilds)."""


def create_bot(settings: Settings, engine: Engine, *, guild_ready_timeout: float = 2.0) -> NewsBot:
    """The bot for ``settings`` (sharded when ``settings.sharded``); not yet connected."""
    cls = ShardedNewsBot if settings.sharded else NewsBot
    return cls(settings, engine, guild_ready_timeout=guild_ready_timeout)
