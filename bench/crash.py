"""Crash injection: SIGKILL `newsbot load` at random moments; nothing may be lost or broken.

    python bench/crash.py [--kills 100] [--articles 20000] [--seed 1]

A first load of 500 articles completes. Then, again and again, `newsbot load` of a large
batch is started and killed with SIGKILL after a random delay. After every kill the
database must open, and every article of the completed load must be in it. At the end the
batch is loaded to completion and must hold every article exactly once.
Prints: kills / unreadable databases / articles lost / duplicates (goal N/0/0/0).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_corpus import generate  # noqa: E402
from bot.ingest.normalize import canonical_url  # noqa: E402
from bot.storage.store import ArticleStore  # noqa: E402


def write_jsonl(path: Path, records: list[dict]) -> None:
    with path.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")


def load(db: Path, source: Path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "load", "--db", str(db), str(source)],
        cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--kills", type=int, default=100)
    parser.add_argument("--articles", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    corpus = list(generate(args.articles + 500, seed=args.seed))
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "db.json"
        first, batch = Path(tmp) / "first.jsonl", Path(tmp) / "batch"
        write_jsonl(first, corpus[:500])
        batch.mkdir()  # several files, as an archive would come
        for part in range(0, args.articles, 5_000):
            write_jsonl(batch / f"part-{part:06d}.jsonl", corpus[500 + part : 500 + part + 5_000])
        assert load(db, first).wait() == 0
        kept = {canonical_url(r["url"]) for r in corpus[:500]}
        start = time.perf_counter()
        full_run = _time_full_load(db, batch, Path(tmp))
        unreadable = lost = 0
        for _ in range(args.kills):
            proc = load(db, batch)
            time.sleep(rng.uniform(0.05, full_run))
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            try:
                urls = {a.url for a in ArticleStore(db).articles()}
            except Exception:  # any failure to open counts
                unreadable += 1
                continue
            lost += len(kept - urls)
        assert load(db, batch).wait() == 0
        final = ArticleStore(db).articles()
        duplicates = len(final) - len({a.url for a in final})
        missing = args.articles + 500 - len({a.url for a in final})
        print(f"kills {args.kills} / unreadable {unreadable} / lost {lost + missing} / "
              f"duplicates {duplicates}  ({time.perf_counter() - start:.0f} s)")


def _time_full_load(db: Path, batch: Path, tmp: Path) -> float:
    """How long a full load of the batch takes, so kills land anywhere within it."""
    scratch = tmp / "timing.json"
    scratch.write_bytes(db.read_bytes())
    start = time.perf_counter()
    assert load(scratch, batch).wait() == 0
    return time.perf_counter() - start


if __name__ == "__main__":
    main()
