"""How each cost grows with the archive: load, index, start-up, answer latency, memory.

    python bench/scale.py [--sizes 1000,10000,100000] [--questions 300]

For each size, a generated corpus (bench/gen_corpus.py, deterministic) is loaded through
the engine from ONE JSON Lines file into a fresh database, as `newsbot load` does (runs
of its lines parsed in worker processes): load rate and peak RSS. A second process opens
the database as the bot's first start after a load does and builds the index (then
cached): build time and peak RSS. A third opens it as any later start (time until the
first answer, with the index cache), answers questions made from random sentences of the
corpus, and reports latency percentiles and its own peak RSS.
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_corpus import generate  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.ingest.parallel import default_workers  # noqa: E402
from bot.search.analysis import is_stopword, words  # noqa: E402
from bot.storage.store import ArticleStore  # noqa: E402


def peak_rss_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024


def load_phase(size: int, workdir: Path) -> dict:
    corpus = workdir / "corpus.jsonl"  # one dump, as an export is
    with corpus.open("w") as out:
        for record in generate(size, seed=1):
            out.write(json.dumps(record) + "\n")
    engine = Engine(ArticleStore(workdir / "db.json"))
    start = time.perf_counter()
    report = engine.load([corpus], workers=default_workers())
    load_s = time.perf_counter() - start
    assert report.loaded == size, report.summary()
    # The storing process and its largest parsing worker, each at its peak: together, at
    # most what the load held at once.
    load_rss = peak_rss_mb() + peak_rss_mb(resource.RUSAGE_CHILDREN)
    return {"load_per_s": size / load_s, "load_rss_mb": load_rss}


def index_phase(workdir: Path) -> dict:
    start = time.perf_counter()
    Engine(ArticleStore(workdir / "db.json")).warm_up()
    return {"build_s": time.perf_counter() - start, "build_rss_mb": peak_rss_mb()}


def questions_from(engine: Engine, count: int) -> list[str]:
    """Questions made of 4-7 content words of random sentences (deterministic)."""
    index = engine.index()
    rng = random.Random(7)
    out = []
    while len(out) < count:
        sentence = index.sentence_text(rng.randrange(index.n_sentences))
        content = [w for w in words(sentence) if not is_stopword(w)]
        if len(content) >= 4:
            start = rng.randrange(0, max(1, len(content) - 6))
            out.append("What about " + " ".join(content[start : start + rng.randint(4, 7)]) + "?")
    return out


def serve_phase(workdir: Path, questions: int) -> dict:
    start = time.perf_counter()
    engine = Engine(ArticleStore(workdir / "db.json"))
    engine.ask("What happened?")
    ready_s = time.perf_counter() - start
    latencies = []
    for question in questions_from(engine, questions):
        t = time.perf_counter()
        engine.ask(question)
        latencies.append((time.perf_counter() - t) * 1000)
    latencies.sort()
    index = engine.index()
    return {
        "sentences": index.n_sentences,
        "ready_s": ready_s,
        "median_ms": statistics.median(latencies),
        "p95_ms": latencies[int(0.95 * len(latencies))],
        "p99_ms": latencies[int(0.99 * len(latencies))],
        "serve_rss_mb": peak_rss_mb(),
    }


def child(phase: str, *args: str) -> dict:
    result = subprocess.run(
        [sys.executable, __file__, "--phase", phase, *args],
        capture_output=True, text=True, check=False,
    )
    if result.returncode:
        sys.exit(f"{phase} failed:\n{result.stderr}")
    return json.loads(result.stdout.splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--questions", type=int, default=300)
    parser.add_argument("--phase", choices=["load", "index", "serve"], help=argparse.SUPPRESS)
    parser.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.phase == "load":
        print(json.dumps(load_phase(int(args.sizes), args.workdir)))
        return
    if args.phase == "index":
        print(json.dumps(index_phase(args.workdir)))
        return
    if args.phase == "serve":
        print(json.dumps(serve_phase(args.workdir, args.questions)))
        return
    print(f"{'articles':>9} {'sentences':>10} {'load/s':>8} {'index s':>8} {'ready s':>8} "
          f"{'median ms':>9} {'p95 ms':>7} {'p99 ms':>7} {'RSS load MB':>11} "
          f"{'RSS index MB':>12} {'RSS serve MB':>12}")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            loaded = child("load", "--sizes", str(size), "--workdir", tmp)
            built = child("index", "--workdir", tmp)
            served = child("serve", "--workdir", tmp, "--questions", str(args.questions))
        print(f"{size:>9} {served['sentences']:>10} {loaded['load_per_s']:>8.0f} "
              f"{built['build_s']:>8.1f} {served['ready_s']:>8.2f} {served['median_ms']:>9.1f} "
              f"{served['p95_ms']:>7.1f} {served['p99_ms']:>7.1f} {loaded['load_rss_mb']:>11.0f} "
              f"{built['build_rss_mb']:>12.0f} {served['serve_rss_mb']:>12.0f}", flush=True)


if __name__ == "__main__":
    main()
