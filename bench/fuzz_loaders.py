"""Mutation fuzzing of every loader: crashes, hangs and multi-line rejections are counted.

    python bench/fuzz_loaders.py [--per-format 10000] [--seed 1] [--hang-seconds 2]

Starts from one valid file per format and mutates it (bit flips, byte insertions and
deletions, truncation, chunk duplication, splices of hostile fragments such as deep
nesting, NUL bytes and entity declarations). Every input goes through the same
``parse_bytes`` the CLI and the bot use. Prints, per format: inputs tried / crashes /
hangs / rejections whose reason is not one line (goal >= 10,000 / 0 / 0 / 0).
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
import traceback
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.ingest import parse_bytes  # noqa: E402
from bot.models import Rejection  # noqa: E402

ARTICLE = {
    "url": "https://example.com/a/1",
    "title": "Council approves budget",
    "text": "The council voted 7-2 on Tuesday.\n\nThe plan costs $4.2 million.",
    "published": "2024-03-05",
    "source": "Example Herald",
    "authors": ["A. Writer"],
}
RSS = (
    '<?xml version="1.0"?><rss version="2.0"><channel><title>Feed</title>'
    "<item><title>Council approves budget</title><link>https://example.com/a/1</link>"
    "<description>The council voted 7-2 on Tuesday.</description>"
    "<pubDate>Tue, 05 Mar 2024 10:00:00 GMT</pubDate></item></channel></rss>"
)
ATOM = (
    '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>Feed</title>'
    "<entry><title>Council approves budget</title><link href=\"https://example.com/a/1\"/>"
    "<updated>2024-03-05T10:00:00Z</updated><content>The council voted 7-2.</content></entry>"
    "</feed>"
)
HTML = (
    "<!doctype html><html><head><title>Council approves budget</title></head><body>"
    "<article><h1>Council approves budget</h1><p>The council voted 7-2 on Tuesday after a "
    "long debate about the bike lanes.</p><p>The plan costs $4.2 million and starts in May, "
    "officials said.</p></article></body></html>"
)
TEXT = (
    "Council approves budget\nSource: Example Herald\nPublished: 2024-03-05\n\n"
    "The council voted."
)
SEEDS = {
    "json": ("a.json", json.dumps([ARTICLE, ARTICLE]).encode()),
    "jsonl": ("a.jsonl", (json.dumps(ARTICLE) + "\n" + json.dumps(ARTICLE)).encode()),
    "rss": ("a.xml", RSS.encode()),
    "atom": ("a.atom", ATOM.encode()),
    "html": ("a.html", HTML.encode()),
    "txt": ("a.txt", TEXT.encode()),
    "gz": ("a.jsonl.gz", gzip.compress(json.dumps(ARTICLE).encode())),
}
HOSTILE = [
    b"\x00", b"[" * 5000, b"{" * 5000, b'<!DOCTYPE x [<!ENTITY a "aaaa"><!ENTITY b "&a;&a;">]>',
    b"&b;", b"\xff\xfe", b"\xed\xa0\x80", "\u202e\u200b".encode(), b"\r\n" * 50,
    b"<![CDATA[", b"]]>", b'"published": "9999-99-99"', b"\x1f\x8b\x08\x00",
]


def mutate(data: bytes, rng: random.Random) -> bytes:
    buf = bytearray(data)
    for _ in range(rng.randint(1, 4)):
        op = rng.randrange(6)
        pos = rng.randrange(len(buf) + 1)
        if op == 0 and buf:
            buf[min(pos, len(buf) - 1)] ^= 1 << rng.randrange(8)
        elif op == 1:
            buf[pos:pos] = bytes([rng.randrange(256)]) * rng.randint(1, 8)
        elif op == 2 and buf:
            del buf[pos : pos + rng.randint(1, 32)]
        elif op == 3:
            del buf[pos:]
        elif op == 4 and buf:
            start = rng.randrange(len(buf))
            buf[pos:pos] = buf[start : start + rng.randint(1, 64)] * rng.randint(1, 20)
        else:
            buf[pos:pos] = rng.choice(HOSTILE)
    return bytes(buf)


def fuzz(name: str, data: bytes, count: int, rng: random.Random, hang_s: float) -> tuple:
    crashes = hangs = multiline = 0
    slowest = 0.0
    for _ in range(count):
        sample = mutate(data, rng)
        start = time.perf_counter()
        try:
            items = list(parse_bytes(sample, name))
        except Exception:  # a crash is what this counts
            crashes += 1
            if crashes <= 3:
                traceback.print_exc()
            continue
        elapsed = time.perf_counter() - start
        slowest = max(slowest, elapsed)
        hangs += elapsed > hang_s
        multiline += sum(1 for i in items if isinstance(i, Rejection) and "\n" in str(i))
    return crashes, hangs, multiline, slowest


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--per-format", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--hang-seconds", type=float, default=2.0)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    print(f"{'format':<7} {'inputs':>7} {'crashes':>7} {'hangs':>6} {'multi-line':>10} "
          f"{'slowest s':>9}")
    for fmt, (name, data) in SEEDS.items():
        crashes, hangs, multiline, slowest = fuzz(name, data, args.per_format, rng,
                                                  args.hang_seconds)
        print(f"{fmt:<7} {args.per_format:>7} {crashes:>7} {hangs:>6} {multiline:>10} "
              f"{slowest:>9.3f}", flush=True)


if __name__ == "__main__":
    main()
