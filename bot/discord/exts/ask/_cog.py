"""Questions: mentions, replies to the bot's answers, ask channels, DMs, and /ask.

Every question goes through one bounded work queue: a few are answered at once, a few
dozen wait, and the rest get a "busy" note at once instead of a late answer or none.
"""

from __future__ import annotations

import re
import time
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.discord import errors
from bot.discord import formatting as render
from bot.discord.interactions import respond, say
from bot.discord.workqueue import Busy, WorkQueue
from bot.models import Answer, library_of

if TYPE_CHECKING:
    from bot.discord.bot import NewsBot

MAX_QUESTION = 1000
BUSY = "I'm busy right now — please try again in a few seconds."


class UserCooldown:
    """At most one question per user every ``seconds``."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self._until: dict[int, float] = {}

    def retry_after(self, user_id: int) -> float:
        """0 and starts the user's cooldown when they may ask now, else seconds to wait."""
        now = time.monotonic()
        wait = self._until.get(user_id, 0.0) - now
        if wait > 0:
            return wait
        if len(self._until) > 10_000:
            self._until = {u: t for u, t in self._until.items() if t > now}
        self._until[user_id] = now + self.seconds
        return 0.0

    def forgive(self, user_id: int) -> None:
        """End the user's cooldown (their question was not answered after all)."""
        self._until.pop(user_id, None)


class AskCog(commands.Cog):
    """Turns messages and /ask into engine questions and replies with answer embeds."""

    def __init__(self, bot: NewsBot) -> None:
        self.bot = bot
        self.cooldown = UserCooldown(bot.settings.cooldown_seconds)
        self.questions = WorkQueue()

    # -- messages --------------------------------------------------------------------------
    @commands.Cog.listener()
    async def on_message(self, message: discord.Message) -> None:
        if message.author.bot or self.bot.user is None:
            return
        mentioned = self._mentions_me(message)
        if not (mentioned or self._replies_to_answer(message) or self._in_ask_channel(message)):
            return
        question = self._strip_mentions(message).strip()[:MAX_QUESTION]
        if not question:
            if mentioned:
                await self._reply(message, content=render.empty_question_text())
            return
        try:
            await self._answer(message, question, self._followed_up(message))
        except Exception as exc:
            await errors.message_failed(message, exc)

    async def _answer(self, message: discord.Message, question: str, previous: str | None
                      ) -> None:
        async def typing_while_answered() -> Answer:
            self.questions.check()  # refuse before "typing...", itself a REST call
            async with message.channel.typing():
                return await self.questions.run(
                    self.bot.engine.ask, question, message.created_at, previous,
                    library_of(message.guild and message.guild.id),
                )

        async def send(text: str | None, embed: discord.Embed | None) -> None:
            await self._reply(message, content=text, embed=embed)

        await self._ask_once(message.author.id, typing_while_answered, send)

    async def _ask_once(
        self,
        user_id: int,
        answered: Callable[[], Awaitable[Answer]],
        send: Callable[[str | None, discord.Embed | None], Awaitable[None]],
    ) -> None:
        """The one path of every question: the user's cooldown, the bounded queue (a
        "busy" note when full, and no cooldown for it), then the answer embed."""
        wait = self.cooldown.retry_after(user_id)
        if wait:
            await send(render.cooldown_text(wait), None)
            return
        try:
            answer = await answered()
        except Busy:
            self.cooldown.forgive(user_id)  # they are told to try again soon
            await send(BUSY, None)
            return
        await send(None, render.answer_embed(answer))

    @staticmethod
    async def _reply(message: discord.Message, **body: object) -> None:
        await message.reply(mention_author=False, allowed_mentions=render.NO_MENTIONS, **body)

    def _my_ids(self, message: discord.Message) -> set[int]:
        """The bot user's id, plus its managed role's (people sometimes pick the role)."""
        me = message.guild.me if message.guild else None
        ids = {self.bot.user.id}  # type: ignore[union-attr]
        if me is not None:
            ids |= {r.id for r in me.roles if r.is_bot_managed()}
        return ids

    def _mentions_me(self, message: discord.Message) -> bool:
        mine = self._my_ids(message)
        return any(m.id in mine for m in message.mentions) or any(
            r.id in mine for r in message.role_mentions
        )

    def _replies_to_answer(self, message: discord.Message) -> bool:
        return self._followed_up(message) is not None

    def _followed_up(self, message: discord.Message) -> str | None:
        """The question of the bot's answer this message replies to, if it does."""
        ref = message.reference.resolved if message.reference else None
        if isinstance(ref, discord.Message) and ref.author.id == self.bot.user.id:  # type: ignore[union-attr]
            return render.asked_question(ref.embeds)
        return None

    def _in_ask_channel(self, message: discord.Message) -> bool:
        if message.guild is None:
            return True  # a direct message is always a question
        channels = self.bot.guild_settings.ask_channels(message.guild.id)
        parent = getattr(message.channel, "parent_id", None)
        return message.channel.id in channels or parent in channels

    def _strip_mentions(self, message: discord.Message) -> str:
        ids = "|".join(str(i) for i in self._my_ids(message))
        return re.sub(rf"<@[!&]?(?:{ids})>", " ", message.content)

    # -- /ask ------------------------------------------------------------------------------
    @app_commands.command(description="Ask a question about the news")
    @app_commands.describe(question="What do you want to know?")
    async def ask(
        self, interaction: discord.Interaction, question: app_commands.Range[str, 1, MAX_QUESTION]
    ) -> None:
        async def deferred_answer() -> Answer:
            await interaction.response.defer(thinking=True)  # first: the 3 s deadline
            return await self.questions.run(self.bot.engine.ask, question,
                                            interaction.created_at, None,  # no previous
                                            library_of(interaction.guild_id))

        async def send(text: str | None, embed: discord.Embed | None) -> None:
            if interaction.response.is_done():
                await respond(interaction, embed, content=text)
            else:  # the cooldown note: private, before anything was deferred
                await say(interaction, text or "")

        await self._ask_once(interaction.user.id, deferred_answer, send)
