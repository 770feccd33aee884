"""Feed items/s when their pages must be fetched, beside a full-text feed in the same run.

    python bench/fetch.py [--items 120] [--hosts 8] [--pause SECONDS]

The loopback news site (tests/newsweb.py) serves one feed of N teaser items whose pages
are spread over ``--hosts`` ports (each port another host to the crawler), and the same
items carrying their whole text. Each feed is polled once by the bot's Poller into a
fresh database, politeness on: at most 4 pages in flight, one at a time per host with
the default pause between two pages of a host (``NEWSBOT_PAGE_PAUSE_SECONDS``), robots.txt
read per host. Prints items/s, pages fetched and elapsed for both.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import Settings  # noqa: E402
from bot.engine import Engine  # noqa: E402
from bot.ingest.web.fetch import Fetcher  # noqa: E402
from bot.polling import Poller  # noqa: E402
from bot.storage.feeds import TABLE, FeedList  # noqa: E402
from bot.storage.store import ArticleStore  # noqa: E402
from tests.newsweb import NewsSite, serving  # noqa: E402

FEEDS = (("teasers, pages fetched", "/spread.xml"),
         ("full text (baseline)", "/spread-full.xml"))


def pages_fetched(site: NewsSite) -> int:
    return sum(count for path, count in site.hits.items() if path.startswith("/story/"))


async def poll_once(site: NewsSite, path: str, pause: float, db: Path) -> tuple[int, float]:
    """Poll the feed at ``path`` once into a fresh database: (items loaded, seconds)."""
    engine = Engine(ArticleStore(db))
    feeds = FeedList(engine.table(TABLE))
    await feeds.add(None, f"{site.base}{path}", None)
    poller = Poller(engine, feeds, Fetcher(allow_private=True), pause)
    started = time.perf_counter()
    [result] = await poller.poll_all()
    elapsed = time.perf_counter() - started
    engine.store.close()
    if result.error:
        raise SystemExit(f"{path}: {result.error}")
    return result.report.loaded, elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=120)
    parser.add_argument("--hosts", type=int, default=8)
    parser.add_argument("--pause", type=float, default=Settings.page_pause_seconds,
                        help="seconds between two pages of one host (default: the bot's)")
    args = parser.parse_args()
    site = NewsSite(items=args.items, spread_pages="story")
    print(f"{args.items} items over {args.hosts} hosts, pause {args.pause:g} s per host")
    print(f"{'feed':<24} {'items':>6} {'pages':>6} {'elapsed s':>10} {'items/s':>9}")
    with serving(site, ports=args.hosts), tempfile.TemporaryDirectory() as tmp:
        for number, (label, path) in enumerate(FEEDS):
            before = pages_fetched(site)
            loaded, elapsed = asyncio.run(
                poll_once(site, path, args.pause, Path(tmp) / f"db{number}.json"))
            pages = pages_fetched(site) - before
            print(f"{label:<24} {loaded:>6} {pages:>6} {elapsed:>10.2f} {loaded / elapsed:>9.1f}")


if __name__ == "__main__":
    main()
