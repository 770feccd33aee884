"""Shared helpers for tests (and benchmarks) that drive the bot against the Discord stand-in.

Questions and their outcomes: ``Question`` (a mention or an /ask from one member),
``ask_all`` (send many at once, wait for every reply), ``ReplyLog`` (which REST calls
answered which question) and ``Outcome`` (the replies, what kind they were, how long they
took). The real ``newsbot run`` entry point in a subprocess: ``newsbot_run``. Inspecting
what the bot sent: ``request_text`` and ``live_links``.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import signal
import sys
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.discord.errors import SORRY
from bot.discord.exts.ask._cog import BUSY
from tests.standin import FakeDiscord, InteractionRecord, RecordedRequest
from tests.support import PROJECT_DIR

# What kind of reply a question got.
ANSWER = "answer"  # an embed: cited excerpts, or "no confident answer"
APOLOGY = "apology"  # something failed on the bot's side
BUSY_NOTE = "busy"  # the work queue was full
COOLDOWN = "cooldown"  # the user asked again too soon
OTHER = "other"
NONE = "none"  # no reply at all

DEFERRED = 5  # interaction callback: "thinking..."
SETTLE_SECONDS = 0.2  # after the last expected reply, how long to watch for a second one


# -- questions and their outcomes ------------------------------------------------------------
@dataclass(eq=False)
class Question:
    """One question from ``user``: a mention of the bot, or ``/ask`` when ``slash``."""

    text: str
    user: dict[str, Any]
    slash: bool = False
    message: dict[str, Any] | None = None  # the user's message (mentions)
    record: InteractionRecord | None = None  # the interaction (/ask)
    sent_at: float = 0.0  # event-loop time of the gateway dispatch

    async def send(self, fd: FakeDiscord) -> None:
        """Dispatch the question to the bot."""
        if self.slash:
            self.record = await fd.run_command("ask", {"question": self.text}, self.user)
            self.sent_at = self.record.dispatched_at
        else:
            self.sent_at = asyncio.get_running_loop().time()
            self.message = await fd.send_message(self.text, self.user, mention_bot=True)


def mixed_questions(texts: Sequence[str], users: Sequence[dict[str, Any]],
                    total: int) -> list[Question]:
    """``total`` questions: question n asks ``texts[n % len]`` from ``users[n % len]``,
    mentions and /ask alternating."""
    return [Question(texts[n % len(texts)], users[n % len(users)], slash=n % 2 == 1)
            for n in range(total)]


@dataclass
class Outcome:
    """What the bot did about one question."""

    question: Question
    responses: list[RecordedRequest] = field(default_factory=list)  # every related call

    @property
    def replies(self) -> list[RecordedRequest]:
        """The successful calls that showed the user a message (not the deferral)."""
        return [r for r in self.responses if 200 <= r.status < 300 and not is_deferral(r)
                and _message_body(r) is not None]

    @property
    def kind(self) -> str:
        replies = self.replies
        return reply_kind(_message_body(replies[-1]) or {}) if replies else NONE

    @property
    def seconds(self) -> float:
        """From the question's dispatch to the first reply the user saw."""
        replies = self.replies
        return replies[0].at - self.question.sent_at if replies else float("inf")

    @property
    def ack_seconds(self) -> float:
        """From the dispatch to the bot's first successful response (an /ask's callback)."""
        done = [r for r in self.responses if 200 <= r.status < 300]
        return done[0].at - self.question.sent_at if done else float("inf")


def is_deferral(request: RecordedRequest) -> bool:
    """An interaction callback that only says "thinking..."."""
    body = request.json if isinstance(request.json, dict) else {}
    return request.path.endswith("/callback") and body.get("type") == DEFERRED


def _message_body(request: RecordedRequest) -> dict[str, Any] | None:
    body = request.json if isinstance(request.json, dict) else {}
    if request.path.endswith("/callback"):
        body = body.get("data") or {}
    return body if ("content" in body or "embeds" in body) else None


def reply_kind(body: dict[str, Any]) -> str:
    """ANSWER, APOLOGY, BUSY_NOTE, COOLDOWN or OTHER for a message body the bot sent."""
    content = body.get("content") or ""
    if content == SORRY:
        return APOLOGY
    if content == BUSY:
        return BUSY_NOTE
    if content.startswith("One moment please"):
        return COOLDOWN
    return ANSWER if body.get("embeds") else OTHER


class ReplyLog:
    """Which of the stand-in's recorded requests respond to which question."""

    def __init__(self, fd: FakeDiscord) -> None:
        self.fd = fd
        self._seen = 0
        self._by_message: defaultdict[str, list[RecordedRequest]] = defaultdict(list)
        self._by_token: defaultdict[str, list[RecordedRequest]] = defaultdict(list)

    def _update(self) -> None:
        requests = self.fd.requests
        for request in requests[self._seen:]:
            body = request.json if isinstance(request.json, dict) else {}
            reference = (body.get("message_reference") or {}).get("message_id")
            if request.method == "POST" and reference is not None:
                self._by_message[str(reference)].append(request)
            parts = request.path.split("/")
            if len(parts) > 3 and parts[1] in ("interactions", "webhooks"):
                self._by_token[parts[3]].append(request)
        self._seen = len(requests)

    def responses(self, question: Question) -> list[RecordedRequest]:
        """Every call made about ``question``, in order (failed attempts included)."""
        self._update()
        if question.record is not None:
            return list(self._by_token.get(question.record.token, ()))
        if question.message is not None:
            return list(self._by_message.get(str(question.message["id"]), ()))
        return []

    def outcome(self, question: Question) -> Outcome:
        return Outcome(question, self.responses(question))

    def all_replied(self, questions: Sequence[Question]) -> bool:
        return all(self.outcome(q).replies for q in questions)

    async def wait(self, questions: Sequence[Question], timeout: float = 10.0) -> bool:
        """Until every question has a reply; False when ``timeout`` passed first."""
        try:
            await self.fd.wait_until(lambda: self.all_replied(questions), timeout,
                                     "a reply to every question")
        except TimeoutError:
            return False
        return True


async def ask_all(fd: FakeDiscord, questions: Sequence[Question],
                  timeout: float = 30.0) -> list[Outcome]:
    """Send every question at once, wait for a reply to each, then a moment more so that
    a second reply would be seen; the outcomes in the order of ``questions``."""
    await asyncio.gather(*(q.send(fd) for q in questions))
    log = ReplyLog(fd)
    await log.wait(questions, timeout)
    await asyncio.sleep(SETTLE_SECONDS)
    return [log.outcome(q) for q in questions]


# -- the real entry point ------------------------------------------------------------------
def bot_environment(fd: FakeDiscord, token: str, **extra: str) -> dict[str, str]:
    """The environment that points the real ``newsbot run`` at the stand-in."""
    return {**os.environ, "DISCORD_TOKEN": token, "DISCORD_API_BASE": fd.api_base,
            "DISCORD_GATEWAY_URL": fd.gateway_url, "NEWSBOT_DB": "", "DEV_GUILD_ID": "",
            "NEWSBOT_SHARDED": "false", "NEWSBOT_COOLDOWN_SECONDS": "0",
            "NEWSBOT_MESSAGE_CONTENT": "true", **extra}


@asynccontextmanager
async def newsbot_run(
    fd: FakeDiscord, db: Path, output: Path, token: str, **extra_env: str
) -> AsyncIterator[asyncio.subprocess.Process]:
    """``python -m bot.cli run --db DB`` in a subprocess, connected to the stand-in, its
    stdout and stderr in ``output``; stopped with SIGTERM at the end (check returncode)."""
    with output.open("wb") as log_file:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot.cli", "run", "--db", str(db), cwd=PROJECT_DIR,
            env=bot_environment(fd, token, **extra_env), stdout=log_file,
            stderr=asyncio.subprocess.STDOUT)
        try:
            await fd.wait_ready(timeout=60)
            yield process
        finally:
            if process.returncode is None:
                with suppress(ProcessLookupError):
                    process.send_signal(signal.SIGTERM)
            await asyncio.wait_for(process.wait(), 30)


# -- what the bot sent ---------------------------------------------------------------------
# A markdown link Discord would render: [label](target), the "[" not escaped by a backslash.
_LIVE_LINK = re.compile(r"(?<!\\)\[((?:\\.|[^\]\\])*)\]\(\s*<?([^)\s>]*)")


def request_text(request: RecordedRequest, *, skip_headers: tuple[str, ...] = ()) -> str:
    """Everything the bot sent in one request, as text: path, query, headers (but
    ``skip_headers``, lower case), JSON body and uploaded files."""
    headers = {k: v for k, v in request.headers.items() if k.lower() not in skip_headers}
    parts = [request.method, request.path, json.dumps(request.query), json.dumps(headers),
             json.dumps(request.json, ensure_ascii=False)]
    parts += [name + "\n" + data.decode("utf-8", "replace") for name, data in request.files]
    return "\n".join(parts)


def live_links(markdown: str) -> list[tuple[str, str]]:
    """(label, target) of every masked link Discord would render in ``markdown``."""
    return [(m[1], m[2]) for m in _LIVE_LINK.finditer(markdown)]
