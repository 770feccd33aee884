"""The bounded work queue on its own, then bursts of questions through the real bot.

Also home to the helpers that ask many questions and sort the replies (``ask_all``),
shared with test_faults.py and bench/discord_load.py.
"""

from __future__ import annotations

import asyncio
import re
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import pytest

from bot.discord.bot import NewsBot, create_bot
from bot.discord.errors import SORRY
from bot.discord.exts.ask._cog import BUSY, AskCog
from bot.discord.workqueue import WAITING, WORKERS, Busy, WorkQueue
from bot.engine import Engine
from tests.discord import test_bot as base
from tests.standin import FakeDiscord, InteractionRecord, RecordedRequest, running_bot

pytestmark = pytest.mark.usefixtures("fail_on_discord_errors", "fail_on_bot_errors")
sample_db, engine, fail_on_bot_errors = base.sample_db, base.engine, base.fail_on_bot_errors

T = TypeVar("T")
KIM = base.KIM
QUESTIONS = [
    KIM,
    "How much did Riverton budget for protected bike lanes?",
    "Who won the Continental Cup final?",
    "What interest rate did the Bank of Norland set?",
    "How many jobs is Brightloop cutting?",
    "How many people were evacuated after the Mount Teralu eruption?",
    "Who won the Valdoria presidential runoff?",
    "What will the Lumen-2 orbiter map?",
]
DEADLINE = 3.0  # Discord's limit for acknowledging an interaction


# -- asking many questions and sorting the replies (also used by test_faults.py
# and bench/discord_load.py): each question is tied to the REST calls answering it (a reply
# to the user's message; an interaction's callback, edits and followups), so that a lost or
# doubled answer shows.
ANSWER, COOLDOWN, BUSY_NOTE, APOLOGY, OTHER, NONE = (
    "answer", "cooldown", "busy", "apology", "other", "none")
COOLDOWN_PREFIX = "One moment please"
DEFERRED = 5  # interaction callback type: "thinking..."
CALLBACK = re.compile(r"/interactions/(?P<id>\d+)/(?P<token>[^/]+)/callback")
WEBHOOK = re.compile(r"/webhooks/\d+/(?P<token>[^/]+)(?:/messages/\S+)?")
CHANNEL_MESSAGES = re.compile(r"/channels/\d+/messages")


@dataclass(eq=False)
class Question:
    """A question a user asks by mention or by /ask; ``key`` and ``sent_at`` once sent."""

    text: str
    user: dict[str, Any]
    slash: bool = False
    key: str = ""  # the user message's or the interaction's id
    sent_at: float = 0.0  # event-loop time of the gateway dispatch
    record: InteractionRecord | None = None

    async def send(self, fd: FakeDiscord) -> None:
        """Dispatch the question to the bot."""
        if self.slash:
            self.record = await fd.run_command("ask", {"question": self.text}, self.user)
            self.key, self.sent_at = self.record.id, self.record.dispatched_at
        else:
            self.sent_at = asyncio.get_running_loop().time()
            self.key = (await fd.send_message(self.text, self.user, mention_bot=True))["id"]


def mixed_questions(texts: Sequence[str], users: Sequence[dict[str, Any]], count: int
                    ) -> list[Question]:
    """``count`` questions, users taking turns; each user alternates mention and /ask
    (every other user starts with /ask)."""
    return [Question(texts[n % len(texts)], users[n % len(users)],
                     slash=(n % len(users) + n // len(users)) % 2 == 1) for n in range(count)]


def message_body(request: RecordedRequest) -> dict[str, Any]:
    """The message a response carries (a callback's ``data``, else the JSON body)."""
    body = request.json if isinstance(request.json, dict) else {}
    return (body.get("data") or {}) if CALLBACK.fullmatch(request.path) else body


def is_deferral(request: RecordedRequest) -> bool:
    """Whether ``request`` is an interaction callback saying "thinking..."."""
    return bool(CALLBACK.fullmatch(request.path)) and request.json.get("type") == DEFERRED


def classify(request: RecordedRequest) -> str:
    """ANSWER (an embed), COOLDOWN, BUSY_NOTE, APOLOGY or OTHER."""
    body = message_body(request)
    text = body.get("content") or ""
    if body.get("embeds"):
        return ANSWER
    if text == BUSY:
        return BUSY_NOTE
    if text == SORRY:
        return APOLOGY
    return COOLDOWN if text.startswith(COOLDOWN_PREFIX) else OTHER


@dataclass
class Outcome:
    """What the bot did about one question: its successful responses, in order."""

    question: Question
    responses: list[RecordedRequest]

    @property
    def replies(self) -> list[RecordedRequest]:
        """What the user got to read: every response but the deferral."""
        return [r for r in self.responses if not is_deferral(r)]

    @property
    def kind(self) -> str:
        """The kind of the first reply (NONE without one)."""
        return classify(self.replies[0]) if self.replies else NONE

    @property
    def seconds(self) -> float:
        """From the dispatch of the question to its first reply."""
        return self.replies[0].at - self.question.sent_at

    @property
    def ack_seconds(self) -> float:
        """From the dispatch of the question to the first response (for /ask: the ack)."""
        return self.responses[0].at - self.question.sent_at


class ReplyLog:
    """The bot's successful REST calls grouped by the message or interaction they answer."""

    def __init__(self, fd: FakeDiscord) -> None:
        self.fd = fd
        self.by_key: defaultdict[str, list[RecordedRequest]] = defaultdict(list)
        self.replied: set[str] = set()  # keys with a reply users can read
        self._tokens: dict[str, str] = {}  # interaction token -> interaction id
        self._seen = 0

    def update(self) -> ReplyLog:
        """Take in the requests recorded since the last update."""
        requests = self.fd.requests
        for request in requests[self._seen:]:
            key = self._key(request) if request.status == 200 else None
            if key:
                self.by_key[key].append(request)
                if not is_deferral(request):
                    self.replied.add(key)
        self._seen = len(requests)
        return self

    def _key(self, request: RecordedRequest) -> str | None:
        if match := CALLBACK.fullmatch(request.path):
            self._tokens[match["token"]] = match["id"]
            return match["id"]
        if request.method not in ("POST", "PATCH"):
            return None
        if match := WEBHOOK.fullmatch(request.path):
            return self._tokens.get(match["token"])
        if request.method == "POST" and CHANNEL_MESSAGES.fullmatch(request.path):
            reference = message_body(request).get("message_reference") or {}
            return str(reference.get("message_id") or "")
        return None

    async def wait(self, questions: Sequence[Question], timeout: float) -> bool:
        """Until every question has a reply; False when ``timeout`` ran out first."""
        keys = {q.key for q in questions}
        try:
            await self.fd.wait_until(lambda: keys <= self.update().replied, timeout, "replies")
        except TimeoutError:
            return False
        return True

    def outcome(self, question: Question) -> Outcome:
        """The responses to ``question`` so far."""
        return Outcome(question, list(self.update().by_key.get(question.key, [])))


async def ask_all(fd: FakeDiscord, questions: Sequence[Question], timeout: float = 20.0,
                  quiet: float = 0.3) -> list[Outcome]:
    """Send every question (not sent yet) at once, wait for their replies (at most
    ``timeout`` s), then ``quiet`` s more so that a doubled reply would show."""
    log = ReplyLog(fd)
    await asyncio.gather(*(q.send(fd) for q in questions if not q.key))
    await log.wait(questions, timeout)
    await asyncio.sleep(quiet)
    return [log.outcome(q) for q in questions]


# -- test helpers -------------------------------------------------------------------------
class Gate:
    """Blocking work that waits until the test opens the gate; counts how many run at once."""

    def __init__(self) -> None:
        self.opened = threading.Event()
        self.running = 0
        self.most = 0
        self._lock = threading.Lock()

    def hold(self, work: Callable[..., T]) -> Callable[..., T]:
        """``work`` made to wait for the gate."""

        def held(*args: Any) -> T:
            with self._lock:
                self.running += 1
                self.most = max(self.most, self.running)
            try:
                if not self.opened.wait(10):
                    raise TimeoutError("the test never opened the gate")
                return work(*args)
            finally:
                with self._lock:
                    self.running -= 1

        return held


async def until(condition: Callable[[], bool], timeout: float = 5.0) -> None:
    """Poll ``condition`` (state changed by threads, which the stand-in can't signal)."""
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        await asyncio.sleep(0.01)


def start_bot(fd: FakeDiscord, engine: Engine, **settings: Any) -> NewsBot:
    return create_bot(base.bot_settings(fd, engine, **settings), engine, guild_ready_timeout=0.05)


def ask_cog(bot: NewsBot) -> AskCog:
    cog = bot.get_cog("AskCog")  # loaded by name: a fresh module each start, so no isinstance
    assert type(cog).__name__ == "AskCog"
    return cog  # type: ignore[return-value]


def assert_one_reply_each(outcomes: Sequence[Outcome]) -> None:
    """Every question got exactly one reply, and every /ask was acknowledged in time."""
    for outcome in outcomes:
        question = outcome.question
        assert len(outcome.replies) == 1, (question.text, outcome.responses)
        if question.record is not None:
            assert question.record.errors == []  # no 10062 (too late), no 40060 (twice)
            assert outcome.ack_seconds < DEADLINE, outcome.ack_seconds


# -- the queue alone ----------------------------------------------------------------------
async def test_at_most_workers_run_at_once() -> None:
    gate, queue = Gate(), WorkQueue(workers=2, waiting=10)
    tasks = [asyncio.ensure_future(queue.run(gate.hold(str), n)) for n in range(6)]
    await until(lambda: gate.running == 2)
    await asyncio.sleep(0.05)
    assert gate.running == 2 and queue.pending == 6
    gate.opened.set()
    assert await asyncio.gather(*tasks) == [str(n) for n in range(6)]
    assert gate.most == 2 and queue.pending == 0


async def test_a_full_queue_refuses_at_once_then_recovers() -> None:
    gate, queue = Gate(), WorkQueue(workers=1, waiting=2)
    tasks = [asyncio.ensure_future(queue.run(gate.hold(str), n)) for n in range(3)]
    await until(lambda: gate.running == 1)
    assert queue.full
    with pytest.raises(Busy):
        await queue.run(gate.hold(str), 3)
    with pytest.raises(Busy):
        queue.check()
    gate.opened.set()
    assert await asyncio.gather(*tasks) == ["0", "1", "2"]
    assert not queue.full and await queue.run(str, 4) == "4"


async def test_failing_work_frees_its_place() -> None:
    queue = WorkQueue(workers=1, waiting=0)
    with pytest.raises(ZeroDivisionError):
        await queue.run(lambda: 1 / 0)
    assert queue.pending == 0 and await queue.run(abs, -1) == 1


def test_a_queue_needs_a_worker() -> None:
    with pytest.raises(ValueError):
        WorkQueue(workers=0)


# -- through the bot ----------------------------------------------------------------------
async def test_a_full_queue_gets_busy_notes_in_time(
    discord_patched: FakeDiscord, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    fd, gate = discord_patched, Gate()
    monkeypatch.setattr(engine, "ask", gate.hold(engine.ask))
    alice, bob, carol, dave = (fd.add_member(name=name) for name in ("a", "b", "c", "d"))
    async with running_bot(start_bot(fd, engine, cooldown_seconds=60.0), fd, base.TOKEN) as bot:
        cog = ask_cog(bot)
        cog.questions = WorkQueue(workers=1, waiting=1)
        admitted = [Question(KIM, alice), Question(KIM, bob, slash=True)]
        for question in admitted:
            await question.send(fd)
        await until(lambda: cog.questions.full)

        refused = await ask_all(fd, [Question(KIM, carol), Question(KIM, dave, slash=True)])
        assert_one_reply_each(refused)
        assert [o.kind for o in refused] == [BUSY_NOTE, BUSY_NOTE]
        deferral, edit = refused[1].responses
        assert is_deferral(deferral) and edit.method == "PATCH"  # the deferral, edited

        gate.opened.set()
        log = ReplyLog(fd)
        assert await log.wait(admitted, timeout=10)
        assert [log.outcome(q).kind for q in admitted] == [ANSWER, ANSWER]
        # The refused were told to try again soon: no cooldown for them, unlike the others.
        again = await ask_all(fd, [Question(KIM, carol, slash=True), Question(KIM, dave),
                                   Question(KIM, alice)])
        assert_one_reply_each(again)
        assert [o.kind for o in again] == [ANSWER, ANSWER, COOLDOWN]


async def test_a_burst_with_cooldown(discord_patched: FakeDiscord, engine: Engine) -> None:
    """200 questions from 20 users at once: one answer per user, cooldown notes for the rest."""
    fd = discord_patched
    users = [fd.add_member(name=f"user{n}") for n in range(20)]
    questions = mixed_questions(QUESTIONS, users, 200)
    async with running_bot(start_bot(fd, engine, cooldown_seconds=60.0), fd, base.TOKEN):
        outcomes = await ask_all(fd, questions)
    assert_one_reply_each(outcomes)
    kinds: defaultdict[str, Counter[str]] = defaultdict(Counter)
    for outcome in outcomes:
        kinds[outcome.question.user["id"]][outcome.kind] += 1
    assert all(counts == {ANSWER: 1, COOLDOWN: 9} for counts in kinds.values()), kinds
    assert {o.question.slash for o in outcomes if o.kind == ANSWER} == {False, True}


async def test_a_burst_beyond_the_queue_gets_busy_notes(
    discord_patched: FakeDiscord, engine: Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without cooldown and with a slow engine, the questions the queue can't hold are
    refused at once with a busy note; every /ask is still acknowledged in time."""
    fd, ask = discord_patched, engine.ask

    def slow_ask(*args: Any) -> Any:
        time.sleep(0.05)
        return ask(*args)

    monkeypatch.setattr(engine, "ask", slow_ask)
    users = [fd.add_member(name=f"user{n}") for n in range(20)]
    async with running_bot(start_bot(fd, engine), fd, base.TOKEN):
        outcomes = await ask_all(fd, mixed_questions(QUESTIONS, users, 200))
    assert_one_reply_each(outcomes)
    kinds = Counter(o.kind for o in outcomes)
    assert kinds[ANSWER] >= WORKERS + WAITING and kinds[BUSY_NOTE] > 0, kinds
    assert kinds[ANSWER] + kinds[BUSY_NOTE] == 200, kinds
