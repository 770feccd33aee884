"""Run a real discord.py client against a FakeDiscord for the duration of a block."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import TypeVar

import discord

from tests.standin.server import FakeDiscord

ClientT = TypeVar("ClientT", bound=discord.Client)


@asynccontextmanager
async def running_bot(
    bot: ClientT, fd: FakeDiscord, token: str = "standin-token", timeout: float = 10.0
) -> AsyncIterator[ClientT]:
    """Start ``bot`` (login + gateway), wait for its on_ready, yield it, then close it.

    Needs discord.py pointed at ``fd`` first (the ``discord_patched`` fixture). If the bot's
    task dies while starting, its exception is raised instead of a timeout.
    """
    if fd.api_base != discord.http.Route.BASE:
        raise RuntimeError("discord.py is not patched to this FakeDiscord: use discord_patched")
    task = asyncio.ensure_future(bot.start(token))
    try:
        await _until_ready(bot, task, timeout)
        yield bot
    finally:
        await asyncio.wait_for(bot.close(), timeout)
        await asyncio.wait_for(task, timeout)


async def _until_ready(bot: discord.Client, task: asyncio.Future[None], timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not bot.is_ready():
        if task.done():
            task.result()
            raise RuntimeError("bot.start() returned before the bot was ready")
        if loop.time() > deadline:
            raise TimeoutError(f"bot not ready after {timeout}s")
        await asyncio.sleep(0.01)
