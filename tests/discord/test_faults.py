"""Faults between the bot and Discord: every question is still answered, and only once."""

from __future__ import annotations

import logging
from collections.abc import Sequence

import pytest

from bot.discord.bot import NewsBot
from tests.discord import test_bot as base
from tests.discord.test_load import (
    ANSWER,
    APOLOGY,
    Outcome,
    Question,
    ask_all,
    assert_one_reply_each,
)
from tests.standin import FakeDiscord

pytestmark = pytest.mark.usefixtures("fail_on_discord_errors", "fail_on_bot_errors")
sample_db, engine, fail_on_bot_errors, bot = (
    base.sample_db, base.engine, base.fail_on_bot_errors, base.bot)

KIM = base.KIM
REPLY = r"^/channels/\d+/messages$"  # a reply to a mention
EDIT = r"^/webhooks/\d+/[^/]+/messages/@original$"  # /ask's answer, filling in the deferral
CALLBACK = r"^/interactions/\d+/[^/]+/callback$"  # /ask's acknowledgement


def both_ways(fd: FakeDiscord, count: int = 1) -> list[Question]:
    """``count`` mentions and ``count`` /ask, each from its own user (no cooldown in play)."""
    users = [fd.add_member(name=f"user{n}") for n in range(2 * count)]
    return [Question(KIM, user, slash=n % 2 == 1) for n, user in enumerate(users)]


def assert_answered_once(outcomes: Sequence[Outcome], kind: str = ANSWER) -> None:
    """One reply each, of ``kind``; every /ask acknowledged in time."""
    assert_one_reply_each(outcomes)
    assert [o.kind for o in outcomes] == [kind] * len(outcomes)


async def test_rate_limits_delay_but_never_double(bot: NewsBot, fake_discord: FakeDiscord) -> None:
    fd = fake_discord
    fd.inject_rate_limit("POST", REPLY, count=2, retry_after=0.1)
    fd.inject_rate_limit("PATCH", EDIT, count=2, retry_after=0.1)
    fd.inject_rate_limit("POST", CALLBACK, count=1, retry_after=0.1)
    outcomes = await ask_all(fd, both_ways(fd, 2))
    assert_answered_once(outcomes)
    assert [r.status for r in fd.requests].count(429) == 5


async def test_a_server_error_is_retried_once(bot: NewsBot, fake_discord: FakeDiscord) -> None:
    """discord.py retries a 500 after 1 s (then 3, 5, 7 s): one 500 costs a second."""
    fd = fake_discord
    fd.inject_error("POST", REPLY, 500)
    fd.inject_error("PATCH", EDIT, 500)
    outcomes = await ask_all(fd, both_ways(fd))
    assert_answered_once(outcomes)
    assert [r.status for r in fd.requests].count(500) == 2


async def test_a_failed_reply_is_logged_and_the_bot_goes_on(
    bot: NewsBot, fake_discord: FakeDiscord, fail_on_bot_errors: pytest.LogCaptureFixture
) -> None:
    """A reply Discord refuses without retry (503 on a channel, 400 on a webhook) is lost:
    the user gets an apology instead, the log the traceback, and the next question its
    answer."""
    fd = fake_discord
    fd.inject_error("POST", REPLY, 503)
    fd.inject_error("PATCH", EDIT, 400, code=50035, message="Invalid Form Body")
    failed = await ask_all(fd, both_ways(fd))
    assert_answered_once(failed, APOLOGY)
    errors = [r for r in fail_on_bot_errors.records if r.levelno >= logging.ERROR]
    assert len(errors) == 2 and all(r.exc_info for r in errors)
    fail_on_bot_errors.clear()  # expected

    assert_answered_once(await ask_all(fd, both_ways(fd)))


async def test_a_dropped_gateway_resumes_and_answers_once(
    bot: NewsBot, fake_discord: FakeDiscord
) -> None:
    fd = fake_discord
    await fd.drop_gateway()
    during = both_ways(fd)
    for question in during:
        await question.send(fd)
    assert fd.resume_count == 0  # so they were sent while the socket was down: replayed
    assert_answered_once(await ask_all(fd, during))

    fd.drop_gateway()
    await fd.wait_resumed()
    assert_answered_once(await ask_all(fd, both_ways(fd)))
    assert fd.identify_count == 1 and fd.resume_count == 2


async def test_a_slow_api_still_answers_once(bot: NewsBot, fake_discord: FakeDiscord) -> None:
    fd = fake_discord
    fd.inject_delay("*", ".", 0.3)  # every call, acknowledgements included
    outcomes = await ask_all(fd, both_ways(fd, 3))
    assert_answered_once(outcomes)
