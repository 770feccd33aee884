"""Where a serving engine's memory goes, and what the first questions after a poll cost.

    python bench/serve_memory.py DB [POLL] [--code DIR] [--questions 200] [--memory-limit MB]

Opens DB as the bot does (stale index served while re-indexing), answers a stream of
questions, then (given POLL) loads POLL (a JSONL file of new articles, through
``Engine.load_bytes``: the feed poller's path) and answers the same stream again at once.
Prints one JSON line: ready time; median and p99 before the poll; the worst and median of
the first questions after it (until the background work that follows it is done), and how
long that work took; resident memory (/proc/self/smaps_rollup: anonymous vs file-backed,
now and at its peak), the resident pages of each kind of mapped file, and the index's numpy
arrays held in memory (not views of mapped files), by structure.

``--code DIR`` runs another checkout's ``bot`` package (a baseline worktree). DB is
changed by the poll: run each revision on its own copy. ``--memory-limit MB`` first moves
this process into a memory cgroup of that size (page cache counted: bench/memory_limit.py),
drops the database's cached pages so that the run reads (and is charged for) them itself,
and adds the group's peak use to the line.
"""

from __future__ import annotations

import argparse
import json
import mmap
import random
import statistics
import sys
import time
from collections import Counter
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.memory_limit import evict, limited


def rollup() -> dict[str, float]:
    """This process's resident memory in MB: all, anonymous, file-backed."""
    fields = {}
    for line in Path("/proc/self/smaps_rollup").read_text().splitlines()[1:]:
        name, value, *_ = line.split()
        fields[name.rstrip(":")] = int(value) / 1024
    return {"rss_mb": fields["Rss"], "anon_mb": fields["Anonymous"],
            "file_mb": fields["Rss"] - fields["Anonymous"]}


def mapped_files() -> dict[str, float]:
    """Resident MB of file mappings, grouped by kind (index segment files, the store's
    snapshot, shared libraries, the rest)."""
    resident: Counter[str] = Counter()
    path = ""
    for line in Path("/proc/self/smaps").read_text().splitlines():
        head = line.split()
        if "-" in head[0] and len(head) >= 5:  # a mapping's header line
            path = head[5] if len(head) > 5 else ""
        elif head[0] == "Rss:" and path.startswith("/"):
            kind = (".index" if ".index/" in path else ".snapshot" if ".snapshot" in path
                    else "libraries" if ".so" in path else "other")
            resident[kind] += int(head[1]) / 1024
    return dict(resident)


def in_memory(array: object) -> int:
    """Bytes of a numpy array held in memory (0 for a view of a mapped file; an array
    read in its segments' arrays counts theirs)."""
    if hasattr(array, "parts"):
        return sum(in_memory(part) for part in array.parts)
    if not isinstance(array, np.ndarray):
        return 0
    base: object = array
    while isinstance(base, np.ndarray) and base.base is not None:
        base = base.base
    return 0 if isinstance(base, mmap.mmap) else array.nbytes


def arrays(index: object) -> dict[str, float]:
    """MB of the index's numpy arrays held in memory, by structure."""
    held: Counter[str] = Counter()
    for name in ("sent_article", "sent_start", "sent_end", "sent_question", "article_first",
                 "article_story", "article_day"):
        held[name] += in_memory(getattr(index, name, None))
    for segment in index.segments:
        for name in ("sent_article", "sent_start", "sent_end", "sent_question",
                     "article_first", "stories"):
            held[f"segment.{name}"] += in_memory(getattr(segment, name))
        for kind in ("sentences", "articles"):
            postings = getattr(segment, kind)
            for name in ("terms", "indptr", "docs", "tf", "weights", "lengths"):
                held[f"segment.{kind}.{name}"] += in_memory(getattr(postings, name, None))
    held["articles.numbers"] += in_memory(index.articles.numbers)
    held["libraries.codes"] += in_memory(index.libraries.codes)
    return {name: round(size / 2**20, 1) for name, size in held.items() if size}


def questions(index: object, count: int) -> list[str]:
    rng = random.Random(7)
    asked: list[str] = []
    while len(asked) < count:
        sentence = index.sentence_text(rng.randrange(index.n_sentences))
        if len(sentence) > 60:
            asked.append("What about " + sentence[:100] + "?")
    return asked


def timed(engine: object, question: str) -> float:
    start = time.perf_counter()
    engine.ask(question)
    return (time.perf_counter() - start) * 1000


def measure(db: Path, poll: Path | None, count: int) -> dict:
    from bot.engine import Engine
    from bot.storage.store import ArticleStore

    before = rollup()
    start = time.perf_counter()
    engine = Engine(ArticleStore(db), serve_stale=True)
    engine.ask("What happened?")
    ready_s = time.perf_counter() - start
    index = engine.index()
    asked = questions(index, count)
    steady = sorted(timed(engine, q) for q in asked)
    served = {"after_start": rollup(), "mapped_after_start": mapped_files(),
              "arrays_after_start": arrays(engine.index())}
    figures = {
        "before_engine": before,
        "ready_s": round(ready_s, 2),
        "median_ms": round(statistics.median(steady), 1),
        "p99_ms": round(steady[int(0.99 * len(steady))], 1),
        **served,
    }
    if poll is not None:
        figures.update(polled(engine, poll, asked))
    status = dict(line.split(":", 1) for line in
                  Path("/proc/self/status").read_text().splitlines())
    return {**figures, "peak_rss_mb": int(status["VmHWM"].split()[0]) / 1024}


def polled(engine: object, poll: Path, asked: list[str]) -> dict:
    """The questions right after loading ``poll``, and the memory once its work is done."""
    engine.load_bytes(poll.read_bytes(), poll.name)  # indexed before it returns
    polled = time.perf_counter()
    after = [timed(engine, asked[0])]
    holder = engine.indexes
    while holder._background is not None and holder._background.is_alive():
        after.append(timed(engine, asked[len(after) % len(asked)]))
    settled_s = time.perf_counter() - polled
    after.extend(timed(engine, q) for q in asked[:20])  # and right after that work
    return {
        "after_poll_worst_ms": round(max(after), 1),
        "after_poll_first_ms": round(after[0], 1),
        "after_poll_median_ms": round(statistics.median(after), 1),
        "after_poll_questions": len(after),
        "background_after_poll_s": round(settled_s, 2),
        "after_poll": rollup(),
        "mapped_after_poll": mapped_files(),
        "arrays_after_poll": arrays(engine.index()),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("poll", type=Path, nargs="?")
    parser.add_argument("--code", type=Path, default=Path(__file__).resolve().parent.parent)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--memory-limit", type=int, metavar="MB")
    args = parser.parse_args()
    limit = limited(args.memory_limit) if args.memory_limit else None
    if limit is not None:
        evict(args.db)
    sys.path.insert(0, str(args.code.resolve()))
    figures = measure(args.db, args.poll, args.questions)
    if limit is not None:
        figures.update(memory_limit_mb=limit.megabytes, cgroup_peak_mb=limit.peak_mb())
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
