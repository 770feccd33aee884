"""Bulk loading on every core: files parsed in worker processes, articles stored by the
caller, in the same order as ``iter_paths`` gives them.

Parsing (decoding, cleaning, fingerprinting) takes about as long as storing, so on a
two-core machine a loader that parses in one process while another stores nearly doubles
its rate. The unit of work is a file, or for a large JSON Lines file (of any size), a run
of its lines (``json_articles.Lines``): this process reads it and the workers parse it, a
few runs ahead at most, so memory stays flat. What cannot leave this process (stdin, a
large JSON array streamed item by item) is parsed here, in its turn.
"""

from __future__ import annotations

import logging
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from functools import partial
from itertools import chain
from pathlib import Path
from typing import BinaryIO

from bot.ingest import STDIN, Item, Piece, items_of, parse_path, read_path, walk
from bot.models import Rejection, Skipped
from bot.processes import cores, in_order

log = logging.getLogger(__name__)
Entry = Path | Rejection | Skipped  # what ``walk`` gives
Task = Piece | Path  # a file a worker reads whole, or a piece of one read here
# Starting a worker costs about as much as parsing 20 MB: smaller loads are parsed here.
PARALLEL_MIN_BYTES = 32 << 20
# Files larger than this are read here and their JSON lines handed out in runs.
SPLIT_BYTES = 16 << 20


def default_workers() -> int:
    """All cores but the one that stores; on two cores, two: parsing takes longer than
    storing, so the storing process leaves part of its core to a second parser."""
    return cores() if cores() <= 2 else cores() - 1


def iter_paths_parallel(
    paths: Iterable[str | Path],
    *,
    workers: int,
    stdin: BinaryIO | None = None,
    now: datetime | None = None,
    min_bytes: int = PARALLEL_MIN_BYTES,
) -> Iterator[Item]:
    """``iter_paths`` with files (and runs of lines of large JSON Lines files) parsed by
    ``workers`` processes, at most ``workers`` + 1 tasks ahead of the caller, when the
    files hold ``min_bytes`` in all. If the workers cannot start or die, the tasks not yet
    returned are parsed here."""
    now = now or datetime.now(UTC)
    entries = list(walk(paths))
    if sum(map(_size, entries)) < min_bytes:
        for entry in entries:
            yield from _here(entry, now, stdin)
        return
    tasks = _tasks(entries, now, stdin)
    pending: deque[Task] = deque()  # handed to the workers, not yet returned

    def handed() -> Iterator[Task]:
        for task in tasks:
            pending.append(task)
            yield task

    try:
        for items in in_order(handed(), partial(_parse_task, now=now), workers, _here_only):
            pending.popleft()
            yield from items
    except (BrokenProcessPool, OSError) as exc:
        log.warning("parsing in worker processes failed (%s): parsing here", exc)
        for task in chain(pending, tasks):
            yield from _run_here(task, now)


def _tasks(entries: list[Entry], now: datetime, stdin: BinaryIO | None) -> Iterator[Task]:
    """Small files whole; large ones and stdin read here, into pieces."""
    for entry in entries:
        if isinstance(entry, Path) and (_stdin(entry) or _size(entry) >= SPLIT_BYTES):
            yield from read_path(entry, now, stdin)
        else:
            yield entry


def _size(entry: Entry) -> int:
    if isinstance(entry, Rejection | Skipped) or _stdin(entry):
        return 0
    try:
        return entry.stat().st_size
    except OSError:
        return 0


def _stdin(entry: Entry) -> bool:
    return str(entry) == STDIN


def _here(entry: Entry, now: datetime, stdin: BinaryIO | None) -> Iterator[Item]:
    if isinstance(entry, Rejection | Skipped):
        yield entry
    else:
        yield from parse_path(entry, now, stdin)


def _here_only(task: Task) -> Iterable[Item] | None:
    """What is done already: a rejection, an article read here (None: a worker's task)."""
    return (task,) if isinstance(task, Item) else None


def _run_here(task: Task, now: datetime) -> Iterable[Item]:
    return parse_path(task, now) if isinstance(task, Path) else items_of(task, now)


def _parse_task(task: Path | Piece, now: datetime) -> list[Item]:
    """In a worker: a whole file, or a run of lines."""
    return list(_run_here(task, now))
