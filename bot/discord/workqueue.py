"""A bounded work queue: blocking calls in a few worker threads, a limited number waiting.

Discord does not wait forever (3 s to acknowledge an interaction, 15 min to answer it, and
people much less): rather than letting questions pile up, a full queue refuses new work at
once with ``Busy`` so the caller can say so.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")

WORKERS = 2  # the engine is CPU-bound (and mostly holds the GIL): one thread per core
WAITING = 50  # about 1-3 s of answering at 4,000 articles (bench/discord_load.py)


class Busy(Exception):
    """The queue is full: the work was refused, not started."""


class WorkQueue:
    """At most ``workers`` calls run at once in threads; at most ``waiting`` more wait."""

    def __init__(self, workers: int = WORKERS, waiting: int = WAITING) -> None:
        if workers < 1 or waiting < 0:
            raise ValueError("a work queue needs at least one worker and waiting >= 0")
        self.workers = workers
        self.waiting = waiting
        self._slots = asyncio.Semaphore(workers)
        self._admitted = 0  # running or waiting

    @property
    def pending(self) -> int:
        """Calls running or waiting."""
        return self._admitted

    @property
    def full(self) -> bool:
        """Whether the next call would be refused."""
        return self._admitted >= self.workers + self.waiting

    def check(self) -> None:
        """Raise ``Busy`` when the queue is full (to refuse early, before other work)."""
        if self.full:
            raise Busy(f"{self.workers} running, {self.waiting} waiting")

    async def run(self, work: Callable[..., T], *args: object) -> T:
        """``work(*args)`` in a worker thread once one is free; ``Busy`` when full."""
        self.check()
        self._admitted += 1
        try:
            async with self._slots:
                return await asyncio.to_thread(work, *args)
        finally:
            self._admitted -= 1
