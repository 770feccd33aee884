"""What servers' libraries cost a question: one server's question beside the shared library's.

    python bench/libraries.py [--eval DIR] [--servers 100] [--per-server 1000] [--questions N]
                              [--work DIR]

Two databases, built through the real loader: "shared alone" holds the rtqa-dev articles
(../shared/eval), "with servers" holds the same shared articles plus ``--servers`` server
libraries of ``--per-server`` generated articles each (bench/gen_corpus.py). Each rtqa-dev
question is then asked, in turn within the same run: in the shared-alone database (the
baseline), in the big one as a direct message (shared library only) and in the big one
from one server (its library and the shared one). Prints the median and p95 latency of
each, the ratio of the server's median to the baseline's (target: at most 1.2), and how
often the server's answer cites what the baseline's does (the servers' generated news
shares the shared articles' common words, not their stories).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_corpus import generate  # noqa: E402
from bench.quality import DEFAULT_EVAL, asked_at, dev_set  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.ingest.parallel import default_workers  # noqa: E402
from bot.models import Answer  # noqa: E402
from bot.storage.store import ArticleStore  # noqa: E402

SERVER = "server-17"  # the server whose members ask


def server_corpus(folder: Path, servers: int, per_server: int) -> Path:
    """Generated articles as an export would name their libraries (server-0, server-1...),
    a file per server."""
    folder.mkdir()
    for number, record in enumerate(generate(servers * per_server, seed=13)):
        if number % per_server == 0:
            out = (folder / f"server-{number // per_server}.jsonl").open("w", encoding="utf-8")
        record["library"] = f"server-{number // per_server}"
        out.write(json.dumps(record) + "\n")
        if number % per_server == per_server - 1:
            out.close()
    return folder


def built(db: Path, *loads: tuple[Path, bool]) -> Engine:
    """A database of ``loads`` ((path, as recorded) pairs), its index built."""
    engine = Engine(ArticleStore(db))
    for path, as_recorded in loads:
        start = time.perf_counter()
        report = engine.load([path], workers=default_workers(), as_recorded=as_recorded)
        print(f"{db.parent.name}: {path.name}: {report.summary()} in "
              f"{time.perf_counter() - start:.0f} s", flush=True)
    start = time.perf_counter()
    engine.warm_up()
    print(f"{db.parent.name}: index of {engine.index().n_sentences:,} sentences in "
          f"{time.perf_counter() - start:.0f} s", flush=True)
    return engine


def timed(
    ask: Callable[..., Answer], latencies: list[float], *args: object, **kwargs: object
) -> Answer:
    start = time.perf_counter()
    answer = ask(*args, **kwargs)
    latencies.append((time.perf_counter() - start) * 1000)
    return answer


def top_citation(answer: Answer) -> str | None:
    return answer.excerpts[0].citation.url if answer.excerpts else None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--eval", type=Path, default=DEFAULT_EVAL)
    parser.add_argument("--servers", type=int, default=100)
    parser.add_argument("--per-server", type=int, default=1000)
    parser.add_argument("--questions", type=int, default=0, help="0: every rtqa-dev question")
    parser.add_argument("--work", type=Path, help="keep the databases here (reused if there)")
    args = parser.parse_args()
    dev, questions = dev_set(args.eval)
    questions = questions[: args.questions or None]
    shared = dev / "articles.jsonl.gz"
    with tempfile.TemporaryDirectory() as tmp:
        work = args.work or Path(tmp)
        if (work / "servers").is_dir():  # kept from an earlier run: just open them
            alone = built(work / "alone" / "db.json")
            big = built(work / "servers" / "db.json")
        else:
            (work / "alone").mkdir(parents=True)
            (work / "servers").mkdir()
            alone = built(work / "alone" / "db.json", (shared, False))
            corpus = server_corpus(work / "corpus", args.servers, args.per_server)
            big = built(work / "servers" / "db.json", (shared, False), (corpus, True))
        sizes = big.library_sizes()
        print(f"libraries: shared {sizes[None]:,}, {len(sizes) - 1} servers of "
              f"{sizes[SERVER]:,}", flush=True)
        runs: dict[str, list[float]] = {"shared alone": [], "direct message": [], SERVER: []}
        same_top = same_dm = 0
        for q in questions:  # interleaved, so load from other work hits all three alike
            asked = (q["question"], asked_at(q))
            base = timed(alone.ask, runs["shared alone"], *asked)
            dm = timed(big.ask, runs["direct message"], *asked)
            server = timed(big.ask, runs[SERVER], *asked, library=SERVER)
            same_top += top_citation(server) == top_citation(base)
            same_dm += top_citation(dm) == top_citation(base)
    baseline = statistics.median(runs["shared alone"])
    print(f"\n{len(questions)} questions, latency in ms (same run):")
    print(f"{'asked':>16} {'median':>8} {'p95':>8} {'x baseline':>11}")
    for name, latencies in runs.items():
        median = statistics.median(latencies)
        p95 = statistics.quantiles(latencies, n=20)[-1]
        print(f"{name:>16} {median:8.1f} {p95:8.1f} {median / baseline:11.2f}")
    print(f"top citation as with the shared library alone: in {SERVER} "
          f"{same_top / len(questions):.3f}, in a direct message {same_dm / len(questions):.3f}")


if __name__ == "__main__":
    main()
