"""The running bot under load through the Discord stand-in, at the rtqa-dev corpus size.

    python bench/discord_load.py [--questions 300] [--users 20] [--burst 1000]
                                 [--burst-users 50] [--burst-cooldown 5]

Loads ../shared/eval/rtqa-dev/articles.jsonl.gz into a temporary database, then starts the
real bot (real discord.py) against a loopback FakeDiscord, twice:

(a) throughput, cooldown off: ``--users`` users each ask their share of ``--questions``
    rtqa-dev questions one after the other (mentions and /ask alternating);
(b) burst, default settings (cooldown on): ``--burst`` questions from ``--burst-users``
    users all at once, mentions and /ask mixed (``--burst-cooldown 0``: the queue's limit).

Times run from the question's gateway dispatch to the reply the user sees: the POST of the
reply to a mention, the PATCH filling in a deferred /ask (or the ephemeral cooldown note).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.discord.bot import create_bot  # noqa: E402
from bot.discord.runner import use_endpoints  # noqa: E402
from bot.discord.workqueue import WAITING, WORKERS  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.storage.store import ArticleStore  # noqa: E402
from tests.discord.test_load import (  # noqa: E402
    ANSWER,
    BUSY_NOTE,
    COOLDOWN,
    Outcome,
    Question,
    ReplyLog,
    ask_all,
    mixed_questions,
)
from tests.standin import FakeDiscord, running_bot  # noqa: E402

EVAL = ROOT.parent / "shared" / "eval" / "rtqa-dev"
ARTICLES, QUESTIONS = EVAL / "articles.jsonl.gz", EVAL / "questions.jsonl"
TOKEN = "bench-token"
DEADLINE = 3.0

Phase = Callable[[FakeDiscord, list[dict[str, Any]]], Awaitable[list[Outcome]]]


class ErrorCount(logging.Handler):
    """Counts ERROR records (discord.py and the bot log failures instead of raising)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        self.count += 1


async def with_bot(engine: Engine, users: int, phase: Phase, **settings: float
                   ) -> tuple[list[Outcome], float]:
    """Run ``phase`` against a fresh stand-in with ``users`` members and the bot started;
    its outcomes and how long it took."""
    async with FakeDiscord() as fd:
        members = [fd.add_member(name=f"user{n}") for n in range(users)]
        use_endpoints(Settings(discord_api_base=fd.api_base, discord_gateway_url=fd.gateway_url))
        config = Settings(discord_token=TOKEN, db_path=engine.store.path,
                          dev_guild_id=int(fd.guild_id), **settings)
        bot = create_bot(config, engine, guild_ready_timeout=0.05)
        async with running_bot(bot, fd, TOKEN):
            start = time.perf_counter()
            outcomes = await phase(fd, members)
            return outcomes, time.perf_counter() - start


def closed_loop(texts: Sequence[str], total: int) -> Phase:
    """Each user asks their share of ``total`` questions, the next once the last is replied."""

    async def phase(fd: FakeDiscord, users: list[dict[str, Any]]) -> list[Outcome]:
        log, questions = ReplyLog(fd), mixed_questions(texts, users, total)

        async def user(mine: list[Question]) -> None:
            for question in mine:
                await question.send(fd)
                await log.wait([question], timeout=60)

        await asyncio.gather(*(user(questions[n::len(users)]) for n in range(len(users))))
        return [log.outcome(q) for q in questions]

    return phase


def burst(texts: Sequence[str], total: int) -> Phase:
    """``total`` questions at once."""

    async def phase(fd: FakeDiscord, users: list[dict[str, Any]]) -> list[Outcome]:
        return await ask_all(fd, mixed_questions(texts, users, total), timeout=300)

    return phase


def spread(seconds: Sequence[float]) -> str:
    """Median, 95th percentile and maximum, in milliseconds."""
    if not seconds:
        return "-"
    p95 = statistics.quantiles(seconds, n=20)[-1] if len(seconds) > 1 else seconds[0]
    return (f"p50 {statistics.median(seconds) * 1000:7.0f} ms  p95 {p95 * 1000:7.0f} ms  "
            f"max {max(seconds) * 1000:7.0f} ms")


def report(outcomes: list[Outcome], wall: float) -> None:
    """Acknowledgements, kinds of reply, and event-to-reply times."""
    slash = [o for o in outcomes if o.question.slash]
    acked = sum(1 for o in slash if o.responses and o.ack_seconds < DEADLINE)
    late = sum(1 for o in slash if o.question.record and 10062 in o.question.record.errors)
    doubled = sum(1 for o in outcomes if len(o.replies) > 1)
    kinds = Counter(o.kind for o in outcomes)
    print(f"  {len(outcomes)} questions ({len(outcomes) - len(slash)} mentions, {len(slash)} "
          f"/ask) in {wall:.1f} s: {len(outcomes) / wall:.1f} questions/s")
    print(f"  /ask acknowledged within {DEADLINE:.0f} s: {acked}/{len(slash)} "
          f"(10062 errors: {late}); replied twice: {doubled}")
    print("  replies: " + ", ".join(f"{kind} {n}" for kind, n in kinds.most_common()))
    replied = [o for o in outcomes if o.replies]
    print(f"  event to reply, all       {spread([o.seconds for o in replied])}")
    for kind in (ANSWER, COOLDOWN, BUSY_NOTE):
        times = [o.seconds for o in replied if o.kind == kind]
        if times:
            print(f"  event to reply, {kind:<9} {spread(times)}")
    print(f"  /ask acknowledgement      {spread([o.ack_seconds for o in slash if o.responses])}")


async def run(args: argparse.Namespace, engine: Engine, texts: list[str]) -> None:
    phases = [
        (f"(a) throughput: {args.questions} questions, {args.users} users asking in turn, "
         "cooldown off", args.users, closed_loop(texts, args.questions), {"cooldown_seconds": 0.0}),
        (f"(b) burst: {args.burst} questions at once from {args.burst_users} users, "
         f"cooldown {args.burst_cooldown:g} s", args.burst_users, burst(texts, args.burst),
         {"cooldown_seconds": args.burst_cooldown}),
    ]
    for title, users, phase, settings in phases:
        print(title)
        report(*await with_bot(engine, users, phase, **settings))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--questions", type=int, default=300, help="(a) questions in total")
    parser.add_argument("--users", type=int, default=20, help="(a) users asking at once")
    parser.add_argument("--burst", type=int, default=1000, help="(b) questions at once")
    parser.add_argument("--burst-users", type=int, default=50, help="(b) users asking")
    parser.add_argument("--burst-cooldown", type=float, default=Settings.cooldown_seconds,
                        help="(b) per-user cooldown in seconds (default: the bot's default)")
    args = parser.parse_args()
    missing = [str(p) for p in (ARTICLES, QUESTIONS) if not p.is_file()]
    if missing:
        sys.exit(f"rtqa-dev data not found: {', '.join(missing)} (expected beside the repo, "
                 "in ../shared/eval/rtqa-dev)")
    texts = [json.loads(line)["question"] for line in QUESTIONS.read_text().splitlines()]
    errors = ErrorCount()
    logging.getLogger().addHandler(errors)
    logging.getLogger("discord").setLevel(logging.ERROR)  # no per-request warnings
    with tempfile.TemporaryDirectory() as tmp:
        engine = Engine(ArticleStore(Path(tmp) / "db.json"))
        start = time.perf_counter()
        loaded = engine.load([ARTICLES])
        engine.warm_up()  # index before the bot starts (its setup would, within the timeout)
        print(f"corpus: {loaded.summary()}, indexed in {time.perf_counter() - start:.1f} s; "
              f"{len(texts)} questions; {os.cpu_count()} CPUs; work queue: {WORKERS} workers, "
              f"{WAITING} waiting")
        asyncio.run(run(args, engine, texts))
        engine.store.close()
    print(f"ERROR log records (discord.* and bot.*): {errors.count}")


if __name__ == "__main__":
    main()
