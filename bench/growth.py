"""What a growing archive costs: one new article, a feed poll, a bulk load, a start.

    python bench/growth.py [--sizes 1000,10000,100000] [--code DIR] [--questions 200]

For each size, a generated corpus (bench/gen_corpus.py, files of 5,000 articles) is loaded
with `newsbot load` into a fresh database (indexing included, as the command does): bulk
rate (articles / loading time, indexing apart) and "indexed": the time until the load's
index is ready. Then, each a fresh process measured from outside:
- one more article through `newsbot load`: its wall time (Python's start included) and
  the bytes it wrote (the kernel's block-output count of the child, so every file counts);
- `newsbot ask` about that article: whether it cites it, and the wall time;
- a serving engine (as the bot holds it: stale index served while re-indexing) answers a
  stream of questions: ready time, median and p99; then, while another thread adds a
  50-article poll through ``Engine.load_bytes`` (the feed poller's path), the p99 of the
  questions meanwhile and the seconds until the poll's articles are cited; its peak RSS.

``--code DIR`` runs another checkout's `bot` package (the baseline) with this script (a
detached worktree of an older revision: `git worktree add --detach /tmp/base REV`).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_corpus import generate  # noqa: E402

FILE_ARTICLES = 5_000
POLL = 50


def write_jsonl(path: Path, records: list[dict]) -> None:
    path.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")


def run_cli(code: Path, *args: str) -> tuple[float, int, str]:
    """Wall seconds, bytes written to storage and stdout of one `newsbot` process."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", *args], cwd=code, capture_output=True, text=True,
        check=False, env={**os.environ, "PYTHONPATH": str(code)},
    )
    took = time.perf_counter() - start
    if result.returncode:
        sys.exit(f"newsbot {' '.join(args)} failed:\n{result.stderr}")
    written = (resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock - before) * 512
    return took, written, result.stdout + result.stderr


def question_about(record: dict) -> str:
    """A question made of the words of ``record``'s lead (its first long sentence).

    The lead, because that is what a reader asks about and what the ranker favours: a
    sentence from the middle of a generated article is found by BM25 but can rank below
    other articles' leads, which measured the ranker, not whether the article is indexed.
    """
    sentences = [s for s in record["text"].replace("\n", " ").split(". ") if len(s) > 60]
    return "What about " + sentences[0][:120] + "?"


def cites(answer: dict, url: str) -> bool:
    return any(e["url"] == url for e in answer.get("excerpts", []))


def serve(db: Path, poll: Path, questions: int) -> dict:
    """Runs in a child with the code under test on sys.path."""
    from bot.engine import Engine
    from bot.storage.store import ArticleStore

    start = time.perf_counter()
    engine = Engine(ArticleStore(db), serve_stale=True)
    engine.ask("What happened?")
    ready_s = time.perf_counter() - start
    index = engine.index()
    rng = random.Random(7)
    asked = []
    while len(asked) < questions:
        sentence = index.sentence_text(rng.randrange(index.n_sentences))
        if len(sentence) > 60:
            asked.append("What about " + sentence[:100] + "?")
    steady = []
    for question in asked:
        t = time.perf_counter()
        engine.ask(question)
        steady.append((time.perf_counter() - t) * 1000)
    records = [json.loads(line) for line in poll.read_text(encoding="utf-8").splitlines()]
    probe, url = question_about(records[-1]), records[-1]["url"]
    loader = threading.Thread(target=engine.load_bytes, args=(poll.read_bytes(), poll.name))
    during: list[float] = []
    began = time.perf_counter()
    loader.start()
    answered_s = None
    number = 0
    while answered_s is None and time.perf_counter() - began < 600:
        t = time.perf_counter()
        if number % 10 == 9:  # a probe every tenth question
            answer = engine.ask(probe)
            if any(e.citation.url == url for e in answer.excerpts):
                answered_s = time.perf_counter() - began
        else:
            engine.ask(asked[number % len(asked)])
        during.append((time.perf_counter() - t) * 1000)
        number += 1
    loader.join()
    steady.sort()
    during.sort()
    return {
        "ready_s": ready_s,
        "median_ms": statistics.median(steady),
        "p99_ms": steady[int(0.99 * len(steady))],
        "poll_p99_ms": during[min(len(during) - 1, int(0.99 * len(during)))],
        "poll_answered_s": answered_s,
        "serve_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def measure(size: int, code: Path, questions: int, workdir: Path) -> dict:
    records = list(generate(size + 1 + POLL, seed=1))
    corpus = workdir / "corpus"
    corpus.mkdir()
    for start in range(0, size, FILE_ARTICLES):
        write_jsonl(corpus / f"part-{start // FILE_ARTICLES:04d}.jsonl",
                    records[start : min(start + FILE_ARTICLES, size)])
    one, poll = workdir / "one.jsonl", workdir / "poll.jsonl"
    write_jsonl(one, records[size : size + 1])
    write_jsonl(poll, records[size + 1 :])
    db = str(workdir / "db.json")
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    load_s, _, out = run_cli(code, "load", "--db", db, str(corpus))
    load_rss = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    indexing = float(out.split("sentences in ")[1].split(" s")[0])
    one_s, one_bytes, _ = run_cli(code, "load", "--db", db, str(one))
    ask_s, _, out = run_cli(code, "ask", "--json", "--db", db, question_about(records[size]))
    child = subprocess.run(
        [sys.executable, __file__, "--serve", db, str(poll), "--code", str(code),
         "--questions", str(questions)],
        capture_output=True, text=True, check=False, env={**os.environ, "PYTHONPATH": str(code)},
    )
    if child.returncode:
        sys.exit(f"serving failed:\n{child.stderr}")
    served = json.loads(child.stdout.splitlines()[-1])
    return {
        "size": size,
        "bulk_per_s": size / max(load_s - indexing, 1e-9),
        "indexed_s": load_s,
        "load_rss_mb": max(before, load_rss) / 1024,
        "one_s": one_s,
        "one_mb": one_bytes / 1e6,
        "cited": cites(json.loads(out), records[size]["url"]),
        "ask_s": ask_s,
        **served,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--code", type=Path, default=ROOT)
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--keep", type=Path, help="keep each size's database under KEEP/SIZE")
    parser.add_argument("--serve", nargs=2, type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        sys.path.insert(0, str(args.code.resolve()))
        print(json.dumps(serve(*args.serve, args.questions)))
        return
    print(f"code: {args.code.resolve()}")
    print(f"{'articles':>9} {'bulk/s':>7} {'indexed s':>9} {'RSS load MB':>11} "
          f"{'1 load s':>8} {'1 load MB':>9} {'cited':>5} {'ask s':>6} {'ready s':>7} "
          f"{'median ms':>9} {'p99 ms':>7} {'poll p99':>8} {'poll s':>7} {'RSS serve MB':>12}")
    for size in (int(s) for s in args.sizes.split(",")):
        if args.keep:
            workdir = args.keep / str(size)
            workdir.mkdir(parents=True)
            r = measure(size, args.code.resolve(), args.questions, workdir)
        else:
            with tempfile.TemporaryDirectory() as tmp:
                r = measure(size, args.code.resolve(), args.questions, Path(tmp))
        poll_s = "never" if r["poll_answered_s"] is None else f"{r['poll_answered_s']:.1f}"
        print(f"{size:>9} {r['bulk_per_s']:>7.0f} {r['indexed_s']:>9.1f} "
              f"{r['load_rss_mb']:>11.0f} {r['one_s']:>8.2f} {r['one_mb']:>9.1f} "
              f"{'yes' if r['cited'] else 'no':>5} {r['ask_s']:>6.2f} {r['ready_s']:>7.2f} "
              f"{r['median_ms']:>9.1f} {r['p99_ms']:>7.1f} {r['poll_p99_ms']:>8.1f} "
              f"{poll_s:>7} {r['serve_rss_mb']:>12.0f}", flush=True)


if __name__ == "__main__":
    main()
