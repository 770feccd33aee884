"""Answer quality and latency on ../shared/eval/rtqa-dev, newsbot beside a bm25s baseline.

    python bench/quality.py [--eval DIR] [--min-confidence X]

Loads the development articles through the real loader into a temporary database, then
answers every question twice in the same run: with newsbot's engine, and with plain BM25
(bm25s, English stopwords, Snowball stemmer) over the very same sentences, one sentence
per excerpt. Scores both with the set's own score.py definition and prints hit@1, hit@3,
the answerable fraction, abstention on answerable vs unanswerable questions, latency,
and the even/odd week split that shows whether tuned weights generalise.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import bm25s
import Stemmer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.answering.weights import MIN_CONFIDENCE  # noqa: E402
from bot.cli.json_output import answer_to_json  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.storage.store import ArticleStore  # noqa: E402

DEFAULT_EVAL = ROOT.parent / "shared" / "eval"


def norm(text: str) -> str:
    """score.py's normalisation: lower case, punctuation and quotes ignored."""
    return " " + " ".join(re.sub(r"[^a-z0-9]+", " ", text.lower()).split()) + " "


@dataclass
class Row:
    name: str
    hit1: list[bool]
    hit3: list[bool]
    answered: list[bool]
    latency_ms: list[float]


def asked_at(question: dict) -> datetime:
    return datetime.fromisoformat(question["date"].replace("/", "-")[:10]).replace(tzinfo=UTC)


def iso_week(question: dict) -> int:
    return datetime.strptime(question["week"], "%Y%m%d").isocalendar().week


def hits(question: dict, texts: list[str]) -> tuple[bool, bool]:
    answers = [norm(a) for a in question["answers"] if norm(a).strip()]
    found = [any(a in norm(t) for a in answers) for t in texts[:3]]
    return bool(found[:1] and found[0]), any(found)


def run_engine(engine: Engine, questions: list[dict], out_path: Path) -> Row:
    row = Row("newsbot", [], [], [], [])
    with out_path.open("w", encoding="utf-8") as out:
        for q in questions:
            start = time.perf_counter()
            answer = engine.ask(q["question"], asked_at(q))
            row.latency_ms.append((time.perf_counter() - start) * 1000)
            out.write(json.dumps(answer_to_json(answer)) + "\n")
            h1, h3 = hits(q, [e.text for e in answer.excerpts])
            row.hit1.append(h1)
            row.hit3.append(h3)
            row.answered.append(answer.answered)
    return row


def run_bm25s(engine: Engine, questions: list[dict]) -> Row:
    index = engine.index()
    sentences = [index.sentence_text(i) for i in range(index.n_sentences)]
    stemmer = Stemmer.Stemmer("english")
    retriever = bm25s.BM25()
    retriever.index(
        bm25s.tokenize(sentences, stopwords="en", stemmer=stemmer, show_progress=False),
        show_progress=False,
    )
    row = Row("bm25s", [], [], [], [])
    for q in questions:
        start = time.perf_counter()
        tokens = bm25s.tokenize(
            [q["question"]], stopwords="en", stemmer=stemmer, show_progress=False
        )
        ids, _scores = retriever.retrieve(tokens, k=3, show_progress=False, n_threads=1)
        row.latency_ms.append((time.perf_counter() - start) * 1000)
        h1, h3 = hits(q, [sentences[i] for i in ids[0]])
        row.hit1.append(h1)
        row.hit3.append(h3)
        row.answered.append(True)
    return row


def pct(values: list[float], q: float) -> float:
    return sorted(values)[min(len(values) - 1, int(q * len(values)))]


def report(rows: list[Row], questions: list[dict], answerable: list[bool]) -> None:
    def mean(flags: list[bool], mask: list[bool] | None = None) -> float:
        chosen = [f for f, m in zip(flags, mask or [True] * len(flags), strict=False) if m]
        return sum(chosen) / len(chosen) if chosen else 0.0

    even = [iso_week(q) % 2 == 0 for q in questions]
    odd = [not e for e in even]
    print(f"questions {len(questions)}  answerable {mean(answerable):.3f}")
    print(
        f"{'method':<9} {'hit@1':>6} {'hit@3':>6} {'even@1':>7} {'odd@1':>6} "
        f"{'even@3':>7} {'odd@3':>6} {'median ms':>9} {'p95 ms':>7}"
    )
    for r in rows:
        print(
            f"{r.name:<9} {mean(r.hit1):6.3f} {mean(r.hit3):6.3f} {mean(r.hit1, even):7.3f} "
            f"{mean(r.hit1, odd):6.3f} {mean(r.hit3, even):7.3f} {mean(r.hit3, odd):6.3f} "
            f"{statistics.median(r.latency_ms):9.1f} {pct(r.latency_ms, 0.95):7.1f}"
        )
    ours, base = rows[0], rows[1]
    print(
        f"ratio newsbot/bm25s: hit@1 {mean(ours.hit1) / max(mean(base.hit1), 1e-9):.2f}x, "
        f"hit@3 {mean(ours.hit3) / max(mean(base.hit3), 1e-9):.2f}x"
    )
    unanswerable = [not a for a in answerable]
    abstained = [not a for a in ours.answered]
    print(
        f"abstains on unanswerable {mean(abstained, unanswerable):.3f}, "
        f"on answerable {mean(abstained, answerable):.3f}; "
        f"answered questions right at 3: {mean(ours.hit3, ours.answered):.3f}"
    )


def dev_set(eval_dir: Path) -> tuple[Path, list[dict]]:
    dev = eval_dir / "rtqa-dev"
    if not dev.is_dir():
        sys.exit(f"no evaluation data at {dev} (it lives in ../shared/eval, beside the repo)")
    return dev, [json.loads(line) for line in (dev / "questions.jsonl").open()]


def load_dev(dev: Path, workdir: Path, min_confidence: float = MIN_CONFIDENCE) -> Engine:
    """The development articles loaded through the real loader into a fresh database."""
    engine = Engine(ArticleStore(workdir / "db.json"), min_confidence=min_confidence)
    start = time.perf_counter()
    loaded = engine.load([dev / "articles.jsonl.gz"])
    load_s = time.perf_counter() - start
    start = time.perf_counter()
    engine.warm_up()
    index_s = time.perf_counter() - start
    print(
        f"loaded {loaded.summary()} in {load_s:.1f} s "
        f"({len(engine.store) / load_s:.0f} articles/s); index of "
        f"{engine.index().n_sentences} sentences built in {index_s:.1f} s"
    )
    return engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--min-confidence", type=float, default=MIN_CONFIDENCE)
    args = parser.parse_args()
    dev, questions = dev_set(args.eval)
    with tempfile.TemporaryDirectory() as tmp:
        engine = load_dev(dev, Path(tmp), args.min_confidence)
        corpus = norm(" ".join(a.text for a in engine.store.articles()))
        answerable = [any(norm(a) in corpus for a in q["answers"]) for q in questions]
        answers_path = Path(tmp) / "answers.jsonl"
        rows = [run_engine(engine, questions, answers_path), run_bm25s(engine, questions)]
        report(rows, questions, answerable)
        official = subprocess.run(
            [
                sys.executable,
                str(args.eval / "score.py"),
                str(dev / "questions.jsonl"),
                str(answers_path),
            ],
            capture_output=True,
            text=True,
        )
        print("score.py:", official.stdout.strip())


if __name__ == "__main__":
    main()
