"""`newsbot feeds add|list|remove|retry|import|poll`, the real command in subprocesses,
against the loopback news site."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.storage.feeds import FAILURES_TO_PAUSE, TABLE, FeedList
from tests.newsweb import NewsSite, serving
from tests.support import engine_at, newsbot

LOOPBACK_ENV = {"NEWSBOT_FEED_ALLOW_PRIVATE": "true", "NEWSBOT_PAGE_PAUSE_SECONDS": "0.05"}
OPML = """<?xml version="1.0"?><opml version="2.0"><body>
<outline text="News"><outline text="Deeper"><outline xmlUrl="{base}/mixed.xml"/></outline>
<outline xmlUrl="{base}/feed.xml"/></outline><outline text="No URL"/></body></opml>"""


@pytest.fixture
def site() -> Iterator[NewsSite]:
    with serving() as running:
        running.items = 3
        yield running


def feeds(db: Path, *args: str):
    return newsbot("feeds", *args, "--db", str(db), env=LOOPBACK_ENV)


def listed(db: Path) -> list[dict]:
    done = feeds(db, "list", "--json")
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in done.stdout.splitlines()]


def test_add_list_poll_remove(site: NewsSite, tmp_path: Path) -> None:
    db = tmp_path / "db.json"
    feed = f"{site.base}/feed.xml"
    added = feeds(db, "add", feed, "ftp://example.com/x", feed)
    assert added.returncode == 0
    assert added.stdout.splitlines() == [f"added {feed}", "added 1 feeds, rejected 2"]
    assert added.stderr.splitlines() == [
        "rejected argument 2: ftp://example.com/x: only http:// and https:// URLs can be fetched",
        f"rejected argument 3: {feed}: already on the list",
    ]
    [record] = listed(db)
    assert record["url"] == feed and record["guild_id"] is None
    assert record["last_success"] is None and record["items_loaded"] == 0

    polled = feeds(db, "poll", "--json")
    assert polled.returncode == 0, polled.stderr
    [result] = [json.loads(line) for line in polled.stdout.splitlines()]
    assert result["error"] is None and result["loaded"] == 3 and len(result["new"]) == 3
    [record] = listed(db)
    assert record["items_loaded"] == 3 and record["last_success"] and record["failures"] == 0
    article = newsbot("article", result["new"][0], "--db", str(db))
    assert "Volunteers will repeat the count" in article.stdout  # the page's text, not a teaser

    again = feeds(db, "poll")
    assert again.stdout.strip() == f"{feed}: loaded 0, updated 0, duplicate 0, rejected 0"
    text = feeds(db, "list").stdout
    assert f"{feed} (shared)" in text and "3 items loaded" in text

    assert feeds(db, "remove", feed).stdout.strip() == f"removed {feed}"
    assert listed(db) == []
    missing = feeds(db, "remove", feed)
    assert missing.returncode == 1 and f"no shared feed {feed}" in missing.stderr


def test_a_servers_feeds_are_listed_and_polled_but_not_removed(
    site: NewsSite, tmp_path: Path
) -> None:
    db = tmp_path / "db.json"
    server_feeds = FeedList(engine_at(db).table(TABLE))
    asyncio.run(server_feeds.add(42, f"{site.base}/feed.xml", 7))
    [record] = listed(db)
    assert record["guild_id"] == 42 and record["channel_id"] == 7
    assert feeds(db, "remove", f"{site.base}/feed.xml").returncode == 1
    assert json.loads(feeds(db, "poll", "--json").stdout)["loaded"] == 3


def test_failures_pause_a_feed_until_retried(site: NewsSite, tmp_path: Path) -> None:
    db = tmp_path / "db.json"
    broken = f"{site.base}/status/500"
    assert feeds(db, "add", broken).returncode == 0
    for _ in range(FAILURES_TO_PAUSE):
        failed = feeds(db, "poll")
        assert failed.returncode == 1 and f"{broken}: failed: HTTP 500" in failed.stderr
    assert "(paused: 10 failures in a row" in failed.stderr
    [record] = listed(db)
    assert record["paused"].startswith("10 failures in a row") and record["failures"] == 10
    assert feeds(db, "poll").stdout == ""  # paused: not polled
    assert feeds(db, "retry", broken).stdout.strip() == f"resumed {broken}"
    [record] = listed(db)
    assert record["paused"] is None and record["failures"] == 0


def test_opml_import(site: NewsSite, tmp_path: Path) -> None:
    db = tmp_path / "db.json"
    opml = tmp_path / "subs.opml"
    opml.write_text(OPML.format(base=site.base))
    done = feeds(db, "import", str(opml))
    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        f"added {site.base}/mixed.xml", f"added {site.base}/feed.xml", "added 2 feeds, rejected 1"
    ]
    assert done.stderr.strip() == f"rejected {opml} outline 5: 'No URL' has no feed URL (xmlUrl)"
    assert [r["url"] for r in listed(db)] == [f"{site.base}/mixed.xml", f"{site.base}/feed.xml"]
    again = feeds(db, "import", str(opml))
    assert again.returncode == 1 and "already on the list" in again.stderr
