"""What one new article costs a large archive's store, and what a start costs: two
checkouts side by side, each step interleaved, in one run.

    python bench/growth.py [--sizes 10000,100000] [--base DIR] [--repeat 2]

For each size a generated corpus (bench/gen_corpus.py, files of 5,000 articles) is loaded
with `newsbot load` (indexing included) into a fresh database per checkout: this one and
``--base`` (e.g. an export of main: ``git archive main | tar -x -C DIR``). Then, for each
checkout in turn and each a fresh process measured from outside:
- "open s": a process that opens the store (``ArticleStore(db)``, then ``len``), Python's
  start included;
- "ask s": `newsbot ask --json` of a question about the corpus (start, index, answer);
- "1 store s / MB": `newsbot load --no-index` of one new article: its wall time and the
  bytes it wrote (the kernel's block-output count of the child: every file counts);
- "1 load s / MB": `newsbot load` of one more article, which also rebuilds the index (the
  index's share is not the store's: this column shows what a user waits for today);
- "cited": whether `newsbot ask` then cites that article.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.gen_corpus import generate  # noqa: E402
from tests.support import write_jsonl  # noqa: E402

FILE_ARTICLES = 5_000
OPEN = "import sys; from bot.storage.store import ArticleStore; len(ArticleStore(sys.argv[1]))"


def run(code: Path, *args: str) -> tuple[float, int, str]:
    """Wall seconds, bytes written to storage and stdout of one process running ``code``."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock
    start = time.perf_counter()
    result = subprocess.run(
        [sys.executable, *args], cwd=code, capture_output=True, text=True, check=False,
        env={**os.environ, "PYTHONPATH": str(code), "NEWSBOT_DB": ""},
    )
    took = time.perf_counter() - start
    if result.returncode:
        sys.exit(f"{' '.join(args)} in {code} failed:\n{result.stderr}")
    written = (resource.getrusage(resource.RUSAGE_CHILDREN).ru_oublock - before) * 512
    return took, written, result.stdout


def newsbot(code: Path, *args: str) -> tuple[float, int, str]:
    return run(code, "-m", "bot.cli", *args)


def question_about(record: dict) -> str:
    """A question made of the words of a sentence of the middle of ``record``'s text."""
    sentences = [s for s in record["text"].replace("\n", " ").split(". ") if len(s) > 60]
    return "What about " + sentences[len(sentences) // 2][:120] + "?"


def cites(answer: str, url: str) -> bool:
    return any(e["url"] == url for e in json.loads(answer).get("excerpts", []))


def measure(size: int, codes: dict[str, Path], repeat: int, workdir: Path) -> dict[str, dict]:
    records = list(generate(size + 2, seed=1))
    corpus = workdir / "corpus"
    corpus.mkdir()
    for start in range(0, size, FILE_ARTICLES):
        write_jsonl(corpus / f"part-{start // FILE_ARTICLES:04d}.jsonl",
                    records[start : min(start + FILE_ARTICLES, size)])
    store_one, index_one = workdir / "store_one.jsonl", workdir / "index_one.jsonl"
    write_jsonl(store_one, records[size : size + 1])
    write_jsonl(index_one, records[size + 1 :])
    dbs = {name: str(workdir / name / "db.json") for name in codes}
    results: dict[str, dict] = {name: {"open_s": [], "ask_s": []} for name in codes}
    for name, code in codes.items():
        Path(dbs[name]).parent.mkdir()
        results[name]["bulk_s"] = newsbot(code, "load", "--db", dbs[name], str(corpus))[0]
    question = question_about(records[size // 2])
    for _ in range(repeat):  # starts of the database as the bulk load left it
        for name, code in codes.items():
            results[name]["open_s"].append(run(code, "-c", OPEN, dbs[name])[0])
            results[name]["ask_s"].append(
                newsbot(code, "ask", "--json", "--db", dbs[name], question)[0]
            )
    for name, code in codes.items():
        took, wrote, _ = newsbot(code, "load", "--no-index", "--db", dbs[name], str(store_one))
        results[name].update(store_s=took, store_mb=wrote / 1e6)
    for name, code in codes.items():
        took, wrote, _ = newsbot(code, "load", "--db", dbs[name], str(index_one))
        results[name].update(load_s=took, load_mb=wrote / 1e6)
    for name, code in codes.items():
        _, _, answer = newsbot(code, "ask", "--json", "--db", dbs[name],
                               question_about(records[size + 1]))
        results[name]["cited"] = cites(answer, records[size + 1]["url"])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="10000,100000")
    parser.add_argument("--base", type=Path, required=True, help="the baseline checkout")
    parser.add_argument("--repeat", type=int, default=2, help="starts measured per checkout")
    args = parser.parse_args()
    codes = {"base": args.base.resolve(), "this": ROOT}
    for name, code in codes.items():
        print(f"{name}: {code}")
    print(f"{'articles':>9} {'code':>5} {'bulk s':>7} {'open s':>13} {'ask s':>13} "
          f"{'1 store s':>9} {'1 store MB':>10} {'1 load s':>8} {'1 load MB':>9} {'cited':>5}")
    for size in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            results = measure(size, codes, args.repeat, Path(tmp))
        for name, r in results.items():
            opens = " ".join(f"{s:.2f}" for s in r["open_s"])
            asks = " ".join(f"{s:.2f}" for s in r["ask_s"])
            print(f"{size:>9} {name:>5} {r['bulk_s']:>7.1f} {opens:>13} {asks:>13} "
                  f"{r['store_s']:>9.2f} {r['store_mb']:>10.2f} {r['load_s']:>8.2f} "
                  f"{r['load_mb']:>9.1f} {'yes' if r['cited'] else 'no':>5}", flush=True)


if __name__ == "__main__":
    main()
