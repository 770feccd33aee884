"""Live news in: feeds whose items are teasers get their pages' text, URLs load from the
command line, the fetcher's limits hold, and feeds keep their health. All against the
loopback news site in tests/newsweb.py, with a real engine on a TinyDB file."""

from __future__ import annotations

import gzip
import itertools
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.engine import Engine
from bot.ingest.web.fetch import Fetcher, FetchError
from bot.ingest.web.pages import IN_FLIGHT, Pages
from bot.ingest.web.urls import read_url
from bot.polling import Poller, import_opml
from bot.storage.feeds import FAILURES_TO_PAUSE, TABLE, FeedList
from tests.newsweb import BOILERPLATE, NewsSite, serving, story_text
from tests.support import engine_at, newsbot

LOOPBACK = Fetcher(allow_private=True, contact_url="https://example.org/newsbot-admin")
PAUSE = 0.2
LOOPBACK_ENV = {"NEWSBOT_FEED_ALLOW_PRIVATE": "true", "NEWSBOT_PAGE_PAUSE_SECONDS": "0.05"}


@pytest.fixture
def site(request: pytest.FixtureRequest) -> Iterator[NewsSite]:
    """The loopback site; ``@pytest.mark.ports(n)`` serves it on n ports (n hosts)."""
    marker = request.node.get_closest_marker("ports")
    with serving(ports=marker.args[0] if marker else 1) as running:
        yield running


SHARED = None  # the feeds of no server (the command line's) load into the shared library


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    return engine_at(tmp_path / "db.json")


@pytest.fixture
def feeds(engine: Engine) -> FeedList:
    return FeedList(engine.table(TABLE))


async def poller_with(feeds: FeedList, engine: Engine, site: NewsSite, path: str) -> Poller:
    await feeds.add(SHARED, f"{site.base}{path}", None)
    return Poller(engine, feeds, LOOPBACK, pause=PAUSE)


async def only_feed(feeds: FeedList) -> dict:
    [record] = await feeds.all()
    return record


# -- full text ------------------------------------------------------------------------------
async def test_teasers_get_their_pages_text_without_boilerplate(
    site: NewsSite, engine: Engine, feeds: FeedList
) -> None:
    site.items = 3
    poller = await poller_with(feeds, engine, site, "/feed.xml")
    [result] = await poller.poll_all()
    assert result.error is None and result.report.loaded == 3 and len(result.new) == 3
    for n in range(3):
        [article] = [a for a in result.new if a.url.endswith(f"/story/{n}")]
        assert f"counted {n + 40} glass frogs" in article.text
        assert "Volunteers will repeat the count" in article.text
        assert not any(noise in article.text for noise in BOILERPLATE)
        assert article.source == "Valley Courier" and article.published is not None
    assert site.hits["/robots.txt"] == 1  # once per host
    assert site.most_in_flight == 1  # one host: one request at a time
    story_times = sorted(t for path, t in site.times if path.startswith("/story/"))
    assert all(b - a >= PAUSE * 0.9 for a, b in itertools.pairwise(story_times))
    assert site.user_agents == {"newsbot/0.1 (+https://example.org/newsbot-admin)"}
    assert engine.ask("How many glass frogs did survey number 2 count?").answered

    # The feed changes nothing: the pages are not fetched again.
    again = await poller.poll(await only_feed(feeds))
    assert again.new == [] and again.report.loaded == 0
    assert site.hits["/story/0"] == 1


@pytest.mark.ports(8)
async def test_at_most_four_pages_are_in_flight(
    site: NewsSite, engine: Engine, feeds: FeedList
) -> None:
    site.items = 16
    poller = await poller_with(feeds, engine, site, "/spread.xml")
    [result] = await poller.poll_all()
    assert result.error is None and result.report.loaded == 16
    assert all("Volunteers will repeat the count" in a.text for a in result.new)
    assert site.most_in_flight == IN_FLIGHT == 4  # reached, never passed


async def test_full_text_items_are_not_fetched_and_robots_is_honoured(
    site: NewsSite, engine: Engine, feeds: FeedList
) -> None:
    poller = await poller_with(feeds, engine, site, "/mixed.xml")
    [result] = await poller.poll_all()
    assert result.report.loaded == 4 and result.pending_pages == 1
    assert site.hits["/story/100"] == 0 and site.hits["/story/101"] == 0
    assert site.hits["/story/102"] == 1 and site.hits["/private/103"] == 0
    by_url = {a.url.rsplit("/", 1)[1]: a for a in result.new}
    assert by_url["100"].text == story_text(100)
    # A title-less item is titled by its first sentence.
    assert by_url["101"].title == ("The river survey counted 141 glass frogs along the Orvane "
                                   "this spring, survey number\u2026")
    assert "Volunteers" in by_url["102"].text
    # Disallowed: kept with the feed's teaser, marked as a summary (pending its page).
    assert by_url["103"].text == "Frogs."
    pages = (await only_feed(feeds))["pages"]
    assert pages[f"{site.base}/private/103"]["pending"] == "disallowed by the site's robots.txt"


async def test_a_page_that_fails_is_fetched_again_and_updates_once(
    site: NewsSite, engine: Engine, feeds: FeedList
) -> None:
    site.items = 2
    site.failing.add("/story/1")
    poller = await poller_with(feeds, engine, site, "/feed.xml")
    [first] = await poller.poll_all()
    assert first.report.loaded == 2 and len(first.new) == 2 and first.pending_pages == 1
    [teaser] = [a for a in first.new if a.url.endswith("/story/1")]
    assert teaser.text == "Survey 1: frogs are back."

    site.failing.clear()
    [second] = await poller.poll_all()
    assert second.report.updated == 1 and second.report.loaded == 0
    assert second.new == []  # updated, not announced again
    assert engine.article_count() == 2
    assert "counted 41 glass frogs" in engine.article(teaser.id).text
    assert (await only_feed(feeds))["items_loaded"] == 2
    assert not any(p.get("pending") for p in (await only_feed(feeds))["pages"].values())


async def test_an_edited_item_updates_and_is_not_announced_again(
    site: NewsSite, engine: Engine, feeds: FeedList
) -> None:
    poller = await poller_with(feeds, engine, site, "/edited.xml")
    [first] = await poller.poll_all()
    assert len(first.new) == 1 and "Correction number 1." in first.new[0].text
    site.edition = 2
    [second] = await poller.poll_all()
    assert second.report.updated == 1 and second.new == []
    assert engine.article_count() == 1
    assert "Correction number 2." in engine.article(first.new[0].id).text


async def test_ten_failures_pause_a_feed_until_retried(
    site: NewsSite, engine: Engine, feeds: FeedList
) -> None:
    poller = await poller_with(feeds, engine, site, "/status/500")
    for number in range(1, FAILURES_TO_PAUSE + 1):
        [result] = await poller.poll_all()
        assert result.error == "HTTP 500"
        assert (result.paused is not None) == (number == FAILURES_TO_PAUSE)
    record = await only_feed(feeds)
    assert record["failures"] == FAILURES_TO_PAUSE and record["last_error"].endswith("HTTP 500")
    assert record["paused"] == "10 failures in a row, the last: HTTP 500"
    assert await poller.poll_all() == []  # paused: not polled
    assert site.hits["/status/500"] == FAILURES_TO_PAUSE
    assert await feeds.retry(SHARED, f"{site.base}/status/500")
    assert not (await only_feed(feeds))["paused"]
    assert len(await poller.poll_all()) == 1


# -- the fetcher's limits ---------------------------------------------------------------------
async def test_fetcher_limits(site: NewsSite) -> None:
    fetched = await LOOPBACK.get(f"{site.base}/hop/2")  # three redirects
    assert fetched.url == f"{site.base}/story/7" and fetched.content_type == "text/html"
    with pytest.raises(FetchError, match="more than 3 redirects"):
        await LOOPBACK.get(f"{site.base}/hop/3")
    with pytest.raises(FetchError, match="timed out"):
        await Fetcher(allow_private=True, timeout=0.5).get(f"{site.base}/slow")
    with pytest.raises(FetchError, match="not a public address"):
        await Fetcher().get(f"{site.base}/story/1")
    unchanged = await LOOPBACK.get(f"{site.base}/story/1", etag='"story-1"')
    assert unchanged.body is None


async def test_urls_load_pages_and_feeds_and_reject_the_rest(site: NewsSite) -> None:
    pages = Pages(LOOPBACK, pause=0.01)
    [page] = await read_url(f"{site.base}/hop/1", pages)
    assert page.title == "Glass frog survey 7" and "counted 47 glass frogs" in page.text
    assert len(await read_url(f"{site.base}/feed.xml", pages)) == 5
    rejected = {path: (await read_url(f"{site.base}{path}", pages))[0] for path in
                ("/status/404", "/status/500", "/huge", "/image.png")}
    assert {path: r.reason for path, r in rejected.items()} == {
        "/status/404": "HTTP 404",
        "/status/500": "HTTP 500",
        "/huge": "too large (over 5 MiB)",
        "/image.png": "not a feed or a web page (image/png content type)",
    }
    assert rejected["/huge"].where == f"{site.base}/huge"


def test_cli_loads_urls_mixed_with_paths(site: NewsSite, tmp_path: Path) -> None:
    db = tmp_path / "db.json"
    local = tmp_path / "local.jsonl"
    local.write_text(json.dumps({"title": "Harbour", "text": "The harbour reopened."}) + "\n")
    result = newsbot("load", "--db", str(db), f"{site.base}/story/3", str(local),
                     f"{site.base}/status/404", env=LOOPBACK_ENV)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("loaded 2, updated 0, duplicate 0, rejected 1")
    assert f"rejected {site.base}/status/404: HTTP 404" in result.stderr
    assert "Glass frog survey 3" in result.stdout and "Harbour" in result.stdout

    refused = newsbot("load", "--db", str(db), f"{site.base}/story/4")
    assert refused.returncode == 1
    assert "127.0.0.1 is not a public address" in refused.stderr


# -- OPML ----------------------------------------------------------------------------------------
OPML = """<?xml version="1.0"?><opml version="2.0"><head><title>mine</title></head><body>
<outline text="News"><outline text="Courier" xmlUrl="{base}/feed.xml"/>
  <outline text="Deeper"><outline text="Mixed" xmlUrl="{base}/mixed.xml"/></outline></outline>
<outline text="Again" xmlUrl="{base}/feed.xml"/>
<outline text="Bad" xmlUrl="ftp://example.com/feed"/>
<outline text="No URL"/>
</body></opml>"""


async def test_opml_import_nested_duplicates_and_invalid(
    site: NewsSite, feeds: FeedList, tmp_path: Path
) -> None:
    data = OPML.format(base=site.base).encode()
    added = await import_opml(feeds, LOOPBACK, 7, data, "subs.opml")
    assert added.added == [f"{site.base}/feed.xml", f"{site.base}/mixed.xml"]
    assert [str(r) for r in added.rejected] == [
        "subs.opml outline 7: 'No URL' has no feed URL (xmlUrl)",
        f"subs.opml outline 5: {site.base}/feed.xml: already on the list",
        "subs.opml outline 6: ftp://example.com/feed: only http:// and https:// URLs can be "
        "fetched",
    ]
    bad = await import_opml(feeds, LOOPBACK, 7, b"<html></html>", "x.opml")
    assert [r.reason for r in bad.rejected] == ["not an OPML file (its root element is <html>)"]


def test_a_directory_load_skips_other_files_and_counts_them(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    (folder / "deep").mkdir(parents=True)
    (folder / "README.md").write_text("# Data\n\nHow this folder is laid out, not news.\n")
    (folder / "notes.docx").write_bytes(b"PK\x03\x04")
    (folder / "deep" / "story.txt").write_text("Harbour reopens\n\nThe harbour reopened.\n")
    (folder / "deep" / "dump.jsonl.gz").write_bytes(gzip.compress(
        json.dumps({"title": "Bridge", "text": "The bridge opened."}).encode() + b"\n"))
    explicit = tmp_path / "odd.name"
    explicit.write_text("Odd name\n\nA file named explicitly is always tried.\n")
    result = newsbot("load", "--db", str(tmp_path / "db.json"), str(folder), str(explicit))
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == (
        "loaded 3, updated 0, duplicate 0, rejected 0, skipped 2 non-article files")
    assert {"Harbour reopens", "Bridge", "Odd name"} == {
        line.split(" (")[0].removeprefix("  - ") for line in result.stdout.splitlines()[1:]}
