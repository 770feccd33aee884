"""Bulk loading on every core: files parsed in worker processes, articles stored by the
caller, in the same order as ``iter_paths`` gives them.

Parsing (decoding, cleaning, fingerprinting) takes about as long as storing, so on a
two-core machine a loader that parses in one process while another stores nearly doubles
its rate. A file is the unit of work (files are capped at 64 MiB); stdin is read here.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import BinaryIO

from bot.ingest import STDIN, Item, parse_path, walk
from bot.models import Rejection, Skipped
from bot.processes import cores, in_order

log = logging.getLogger(__name__)
Entry = Path | Rejection | Skipped  # what ``walk`` gives
# Starting a worker costs about as much as parsing 20 MB: smaller loads are parsed here.
PARALLEL_MIN_BYTES = 32 << 20


def default_workers() -> int:
    """All cores but the one that stores."""
    return max(1, cores() - 1)


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
        here = partial(_here_only, now=now, stdin=stdin)
        for items in in_order(entries, partial(_parse_file, now=now), workers, here):
            yield from items
            done += 1
    except (BrokenProcessPool, OSError) as exc:
        log.warning("parsing in worker processes failed (%s): parsing here", exc)
        for entry in entries[done:]:
            yield from _here(entry, now, stdin)


def _size(path: Entry) -> int:
    try:
        return path.stat().st_size  # type: ignore[union-attr]
    except OSError:
        return 0


def _local(entry: Entry) -> bool:
    return isinstance(entry, Rejection | Skipped) or str(entry) == STDIN


def _here(entry: Entry, now: datetime, stdin: BinaryIO | None) -> Iterator[Item]:
    if isinstance(entry, Rejection | Skipped):
        yield entry
    else:
        yield from parse_path(entry, now, stdin)


def _here_only(entry: Entry, now: datetime, stdin: BinaryIO | None) -> list[Item] | None:
    """What cannot go to a worker: a rejection, or stdin."""
    return list(_here(entry, now, stdin)) if _local(entry) else None


def _parse_file(path: Path, now: datetime) -> list[Item]:
    return list(parse_path(path, now))
