"""Answer time on an existing database, this code against others in the same run.

    python bench/answer_time.py DB [--code DIR ...] [--questions 200]

Each checkout (this one, then every ``--code DIR``: e.g. a detached worktree of the
baseline) serves in its own process with the engine opened once, as the bot holds it
(``serve_stale``: the database is only read). The questions are sentences of random
articles ("What about ...?", as ``bench/growth.py`` asks them), the same for every
checkout, sent to the processes in turn one question at a time so that the machine's other
work falls on all of them alike. The checkouts share the page cache, so the first to ask a
question reads its postings from disk for the others: which one asks first goes round.
Then every question is asked again (warm: the pages each reads are in memory). Prints each
one's ready time, median, p90, p99 and mean, for both passes, and how often it cited the
article the question was taken from.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def serve(db: Path, questions: int) -> None:
    """The child: open the engine, send the questions it draws, then time each one read
    from stdin (one JSON string a line), answering with its milliseconds."""
    from bot.engine import Engine
    from bot.storage.store import ArticleStore

    start = time.perf_counter()
    engine = Engine(ArticleStore(db), serve_stale=True)
    engine.ask("What happened?")
    index = engine.index()
    rng = random.Random(7)
    asked: list[tuple[str, str]] = []  # the question and its sentence's article's link
    while len(asked) < questions:
        number = rng.randrange(index.n_sentences)
        sentence = index.sentence_text(number)
        if len(sentence) > 60:
            url = index.articles[int(index.sent_article[number])].url
            asked.append(("What about " + sentence[:100] + "?", url))
    print(json.dumps({"ready_s": time.perf_counter() - start, "questions": asked}), flush=True)
    for line in sys.stdin:
        question, url = json.loads(line)
        t = time.perf_counter()
        answer = engine.ask(question)
        took = (time.perf_counter() - t) * 1000
        cited = any(e.citation.url == url for e in answer.excerpts)
        print(json.dumps([took, cited]), flush=True)


def percentile(sorted_ms: list[float], share: float) -> float:
    return sorted_ms[min(len(sorted_ms) - 1, int(share * len(sorted_ms)))]


def ask_in_turn(
    children: list[subprocess.Popen], questions: list[list[str]]
) -> list[list[tuple[float, bool]]]:
    """Each child's milliseconds for each question and whether it cited the question's
    article, the child asking first going round."""
    times: list[list[tuple[float, bool]]] = [[] for _ in children]
    pairs = list(zip(children, times, strict=True))
    for number, question in enumerate(questions):
        turn = number % len(pairs)
        for child, took in pairs[turn:] + pairs[:turn]:
            child.stdin.write(json.dumps(question) + "\n")
            child.stdin.flush()
            took.append(json.loads(child.stdout.readline()))
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("db", type=Path)
    parser.add_argument("--code", type=Path, action="append", default=[])
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.db, args.questions)
        return
    codes = [ROOT, *(c.resolve() for c in args.code)]
    children = [
        subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(args.db), "--serve",
             "--questions", str(args.questions)],
            cwd=code, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            env={**os.environ, "PYTHONPATH": str(code)},
        )
        for code in codes
    ]
    opened = [json.loads(child.stdout.readline()) for child in children]
    questions = opened[0]["questions"]
    passes = {"first": ask_in_turn(children, questions), "again": ask_in_turn(children, questions)}
    for child in children:
        child.stdin.close()
        child.wait()
    print(f"{args.db}: {len(questions)} questions, each checkout in turn")
    print(f"{'code':<40} {'pass':<6} {'ready s':>8} {'median':>8} {'p90':>8} {'p99':>8} "
          f"{'mean':>8} {'cites':>6}")
    for name, times in passes.items():
        for code, start, answers in zip(codes, opened, times, strict=True):
            ms = sorted(took for took, _cited in answers)
            cites = statistics.fmean(cited for _took, cited in answers)
            print(f"{code!s:<40} {name:<6} {start['ready_s']:>8.1f} "
                  f"{statistics.median(ms):>8.1f} {percentile(ms, 0.9):>8.1f} "
                  f"{percentile(ms, 0.99):>8.1f} {statistics.fmean(ms):>8.1f} {cites:>6.3f}")
    print("cites: share of questions answered citing the article the question's sentence is from")
    first = [cited for _took, cited in passes["first"][0]]
    for code, answers in zip(codes[1:], passes["first"][1:], strict=True):
        other = [cited for _took, cited in answers]
        print(f"{codes[0].name} against {code.name}, same questions: cited by it alone "
              f"{sum(a and not b for a, b in zip(first, other, strict=True))}, by {code.name} "
              f"alone {sum(b and not a for a, b in zip(first, other, strict=True))}")


if __name__ == "__main__":
    main()
