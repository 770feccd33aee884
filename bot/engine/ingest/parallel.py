"""Bulk loading on every core: files parsed in worker processes, articles stored by the
caller, in the same order as ``iter_paths`` gives them.

Parsing (decoding, cleaning, fingerprinting) takes about as long as storing, so on a
two-core machine a loader that parses in one process while another stores nearly doubles
its rate. A file is the unit of work (files are capped at 64 MiB); stdin is read here.
Workers are spawned, not forked: a fork of a threaded process can deadlock.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO

from bot.engine.ingest import STDIN, Item, parse_path, walk
from bot.engine.models import Rejection

log = logging.getLogger(__name__)
# Starting a worker costs about as much as parsing 20 MB: smaller loads are parsed here.
PARALLEL_MIN_BYTES = 32 << 20
PARENT_CHECK_S = 0.5


def default_workers() -> int:
    """All cores but the one that stores."""
    return max(1, (os.cpu_count() or 1) - 1)


def iter_paths_parallel(
    paths: Iterable[str | Path],
    *,
    workers: int,
    stdin: BinaryIO | None = None,
    now: datetime | None = None,
    min_bytes: int = PARALLEL_MIN_BYTES,
) -> Iterator[Item]:
    """``iter_paths`` with files parsed by ``workers`` processes (at most ``workers`` + 1
    files parsed ahead of the caller) when there are several files of ``min_bytes`` in
    all. If the workers cannot start or die, the files not yet returned are parsed here."""
    now = now or datetime.now(UTC)
    entries = list(walk(paths))
    files = [entry for entry in entries if not _local(entry)]
    if len(files) < 2 or sum(map(_size, files)) < min_bytes:
        for entry in entries:
            yield from _here(entry, now, stdin)
        return
    done = 0
    try:
        for items in _in_workers(entries, workers, now, stdin):
            yield from items
            done += 1
    except (BrokenProcessPool, OSError) as exc:
        log.warning("parsing in worker processes failed (%s): parsing here", exc)
        for entry in entries[done:]:
            yield from _here(entry, now, stdin)


def _in_workers(
    entries: list[Path | Rejection], workers: int, now: datetime, stdin: BinaryIO | None
) -> Iterator[list[Item]]:
    """Each entry's items, in order."""
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(
        workers, mp_context=context, initializer=_exit_with, initargs=(os.getpid(),)
    ) as pool:
        ahead: deque[Future[list[Item]] | Path | Rejection] = deque()
        queued = iter(entries)
        for entry in queued:
            ahead.append(entry if _local(entry) else pool.submit(_parse_file, entry, now))
            if len(ahead) > workers:
                break
        while ahead:
            head = ahead.popleft()
            items = head.result() if isinstance(head, Future) else list(_here(head, now, stdin))
            entry = next(queued, None)
            if entry is not None:
                ahead.append(entry if _local(entry) else pool.submit(_parse_file, entry, now))
            yield items


def _size(path: Path | Rejection) -> int:
    try:
        return path.stat().st_size  # type: ignore[union-attr]
    except OSError:
        return 0


def _local(entry: Path | Rejection) -> bool:
    return isinstance(entry, Rejection) or str(entry) == STDIN


def _here(entry: Path | Rejection, now: datetime, stdin: BinaryIO | None) -> Iterator[Item]:
    if isinstance(entry, Rejection):
        yield entry
    else:
        yield from parse_path(entry, now, stdin)


def _exit_with(parent: int) -> None:
    """End this worker when the loader is gone (killed, say): nothing else would."""

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(PARENT_CHECK_S)
        os._exit(1)

    threading.Thread(target=watch, daemon=True).start()


def _parse_file(path: Path, now: datetime) -> list[Item]:
    return list(parse_path(path, now))
