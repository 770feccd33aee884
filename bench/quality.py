"""Answer quality and latency on ../shared/eval/rtqa-dev, newsbot beside a bm25s baseline.

    python bench/quality.py [--eval DIR] [--min-confidence X] [--baseline REV]

Loads the development articles through the real loader into a temporary database, then
answers every question in the same run: with newsbot's engine, with plain BM25 (bm25s,
English stopwords, Snowball stemmer) over the very same sentences, one sentence per
excerpt, and (``--baseline REV``) with an earlier revision of newsbot, exported by git and
run through its own ``newsbot ask --json`` on the same database. Scores them with the set's
own score.py definition and prints hit@1, hit@3, the mean number of excerpts shown per
answered question, the share of questions whose first excerpt's marked answer holds a
correct answer string, the answerable fraction, abstention on answerable vs unanswerable
questions and by where the answer is (``bench/evidence.py``), latency, and the even/odd
week split that shows whether tuned weights generalise.
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
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import bm25s
import Stemmer

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.evidence import ANSWERABLE_KINDS, KINDS, Archive  # noqa: E402
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
    hit1: list[bool] = field(default_factory=list)
    hit3: list[bool] = field(default_factory=list)
    answered: list[bool] = field(default_factory=list)
    latency_ms: list[float] = field(default_factory=list)
    shown: list[int] = field(default_factory=list)  # excerpts per question
    answer_hit: list[bool] = field(default_factory=list)  # first excerpt's "answer" right

    def add(self, question: dict, answer: dict) -> None:
        """One question's ``ask --json`` object, scored."""
        excerpts = answer["excerpts"]
        h1, h3 = hits(question, [e["text"] for e in excerpts])
        self.hit1.append(h1)
        self.hit3.append(h3)
        self.answered.append(answer["answered"])
        self.shown.append(len(excerpts))
        marked = excerpts[0].get("answer") if excerpts else None
        self.answer_hit.append(bool(marked) and hits(question, [marked])[0])


def asked_at(question: dict) -> datetime:
    return datetime.fromisoformat(question["date"].replace("/", "-")[:10]).replace(tzinfo=UTC)


def iso_week(question: dict) -> int:
    return datetime.strptime(question["week"], "%Y%m%d").isocalendar().week


def hits(question: dict, texts: list[str]) -> tuple[bool, bool]:
    answers = [norm(a) for a in question["answers"] if norm(a).strip()]
    found = [any(a in norm(t) for a in answers) for t in texts[:3]]
    return bool(found[:1] and found[0]), any(found)


def run_engine(engine: Engine, questions: list[dict], out_path: Path) -> Row:
    row = Row("newsbot")
    with out_path.open("w", encoding="utf-8") as out:
        for q in questions:
            start = time.perf_counter()
            answer = answer_to_json(engine.ask(q["question"], asked_at(q)))
            row.latency_ms.append((time.perf_counter() - start) * 1000)
            out.write(json.dumps(answer) + "\n")
            row.add(q, answer)
    return row


def run_revision(revision: str, dev: Path, questions: list[dict], workdir: Path) -> Row:
    """An earlier revision's answers, through its own command line on a database it loads
    itself (the storage formats differ between revisions; its latency is not comparable:
    one process answers all the questions)."""
    code = workdir / "baseline"
    code.mkdir()
    archive = subprocess.run(["git", "-C", str(ROOT), "archive", revision],
                             capture_output=True, check=True).stdout
    subprocess.run(["tar", "-x", "-C", str(code)], input=archive, check=True)
    db = workdir / "baseline.json"
    subprocess.run(
        [sys.executable, "-m", "bot.cli", "load", "--db", str(db), str(dev / "articles.jsonl.gz")],
        capture_output=True, cwd=code, check=True,
    )
    lines = "".join(
        json.dumps({"question": q["question"], "asked_at": asked_at(q).date().isoformat()})
        + "\n" for q in questions
    )
    out = subprocess.run(
        [sys.executable, "-m", "bot.cli", "ask", "--json", "--db", str(db), "-"],
        input=lines, capture_output=True, text=True, cwd=code, check=True,
    ).stdout.splitlines()
    row = Row(f"@{revision[:7]}")
    for q, line in zip(questions, out, strict=True):
        row.add(q, json.loads(line))
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
    row = Row("bm25s")
    for q in questions:
        start = time.perf_counter()
        tokens = bm25s.tokenize(
            [q["question"]], stopwords="en", stemmer=stemmer, show_progress=False
        )
        ids, _scores = retriever.retrieve(tokens, k=3, show_progress=False, n_threads=1)
        row.latency_ms.append((time.perf_counter() - start) * 1000)
        row.add(q, {"answered": True, "excerpts": [{"text": sentences[i]} for i in ids[0]]})
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
        f"{'even@3':>7} {'odd@3':>6} {'shown':>5} {'answer':>6} {'even':>5} {'odd':>5} "
        f"{'median ms':>9} {'p95 ms':>7}"
    )
    for r in rows:
        shown = [n for n, a in zip(r.shown, r.answered, strict=True) if a]
        timing = (f"{statistics.median(r.latency_ms):9.1f} {pct(r.latency_ms, 0.95):7.1f}"
                  if r.latency_ms else f"{'-':>9} {'-':>7}")
        print(
            f"{r.name:<9} {mean(r.hit1):6.3f} {mean(r.hit3):6.3f} {mean(r.hit1, even):7.3f} "
            f"{mean(r.hit1, odd):6.3f} {mean(r.hit3, even):7.3f} {mean(r.hit3, odd):6.3f} "
            f"{statistics.mean(shown or [0]):5.2f} {mean(r.answer_hit):6.3f} "
            f"{mean(r.answer_hit, even):5.3f} {mean(r.answer_hit, odd):5.3f} {timing}"
        )
    print("shown: mean excerpts per answered question; answer: share of all questions whose "
          "first excerpt's marked answer holds a correct answer string")
    ours, base = rows[0], next(r for r in rows if r.name == "bm25s")
    print(
        f"ratio newsbot/bm25s: hit@1 {mean(ours.hit1) / max(mean(base.hit1), 1e-9):.2f}x, "
        f"hit@3 {mean(ours.hit3) / max(mean(base.hit3), 1e-9):.2f}x"
    )
    unanswerable = [not a for a in answerable]
    for r in (r for r in rows if r.name != "bm25s"):
        abstained = [not a for a in r.answered]
        print(
            f"{r.name}: abstains on unanswerable {mean(abstained, unanswerable):.3f}, "
            f"on answerable {mean(abstained, answerable):.3f}; "
            f"answered questions right at 3: {mean(r.hit3, r.answered):.3f}"
        )
    for r in (r for r in rows if r.name.startswith("@")):
        hidden = [h and not a for h, a in zip(r.hit3, ours.answered, strict=True)]
        print(f"right at 3 for {r.name} that newsbot now abstains on: {mean(hidden):.3f}")


def report_kinds(rows: list[Row], questions: list[dict], kinds: list[str]) -> None:
    """Abstention and right answers by where the answer is (``bench/evidence.py``)."""
    print("where the answer is: questions; for each method abstains / right at 3")
    print(f"{'kind':<12} {'n':>4}" + "".join(f" {r.name:>16}" for r in rows))
    for kind in KINDS:
        chosen = [i for i, k in enumerate(kinds) if k == kind]
        cells = "".join(
            f" {sum(not r.answered[i] for i in chosen) / max(1, len(chosen)):7.3f} / "
            f"{sum(r.hit3[i] for i in chosen):4d}"
            for r in rows
        )
        print(f"{kind:<12} {len(chosen):4d}{cells}")


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
    parser.add_argument("--baseline", metavar="REV",
                        help="also score this git revision's answers (e.g. main)")
    args = parser.parse_args()
    dev, questions = dev_set(args.eval)
    with tempfile.TemporaryDirectory() as tmp:
        engine = load_dev(dev, Path(tmp), args.min_confidence)
        archive = Archive(list(engine.store.articles()), norm)
        kinds = [archive.kind(q["question"], q["answers"]) for q in questions]
        answerable = [k in ANSWERABLE_KINDS for k in kinds]
        answers_path = Path(tmp) / "answers.jsonl"
        rows = [run_engine(engine, questions, answers_path), run_bm25s(engine, questions)]
        if args.baseline:
            rows.append(run_revision(args.baseline, dev, questions, Path(tmp)))
        report(rows, questions, answerable)
        report_kinds(rows, questions, kinds)
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
