"""Ingestion end to end: real files in every format, hostile input, and the path walker."""

from __future__ import annotations

import gzip
import io
import json
import os
import random
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import ingest
from bot.ingest import parallel
from bot.ingest.detect import Format, detect_format
from bot.ingest.formats import feed
from bot.ingest.parallel import iter_paths_parallel
from bot.models import Article, Rejection, Skipped
from tests.support import PROJECT_DIR

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
BINARY = "binary file, not an article format"
TOO_LARGE = "file too large (over 64 MiB; a larger dump loads as JSON Lines, .jsonl)"


def record(n: int, **extra: object) -> dict[str, object]:
    return {
        "url": f"https://example.com/news/{n}",
        "title": f"Story {n}",
        "text": f"Paragraph one of story {n}.\n\nParagraph two.",
        "published": "2023-08-14",
        "source": "Example News",
        **extra,
    }


def jsonl(*records: object) -> bytes:
    return b"".join(json.dumps(r).encode() + b"\n" for r in records)


RSS = b"""<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/"
     xmlns:content="http://purl.org/rss/1.0/modules/content/">
<channel><title>Example Wire</title><link>https://www.example.com/</link>
<item><title>Relative &amp; summarised</title><link>/news/1?utm_source=rss</link>
  <description>&lt;p&gt;Para &lt;b&gt;one&lt;/b&gt;.&lt;/p&gt;
    &lt;p&gt;Para two.&lt;/p&gt;</description>
  <pubDate>Mon, 14 Aug 2023 10:00:00 GMT</pubDate><dc:creator>Jane Doe</dc:creator></item>
<item><title>Full content</title><link>https://example.com/news/2</link>
  <description>Short teaser.</description>
  <content:encoded><![CDATA[<p>Full text.</p><ul><li>Point A</li></ul>line<br/>break]]>
  </content:encoded>
  <pubDate>Tue, 15 Aug 2023 08:30:00 +0200</pubDate></item>
<item><title>Bad date</title><link>https://example.com/news/3</link>
  <description>Text.</description><pubDate>sometime soon</pubDate></item>
</channel></rss>"""

ATOM = b"""<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom"><title>Atom Site</title>
<link href="https://atom.example.org/"/>
<entry><title type="html">A &lt;i&gt;styled&lt;/i&gt; title</title>
  <link href="https://atom.example.org/e1"/><updated>2023-08-15T08:00:00+02:00</updated>
  <author><name>Ann</name></author><author><name>Bob</name></author>
  <content type="html">&lt;p&gt;Hello &amp;amp; welcome.&lt;/p&gt;&lt;p&gt;Bye.&lt;/p&gt;
  </content></entry>
<entry><title>No text</title><link href="https://atom.example.org/e2"/>
  <updated>2023-08-15T09:00:00Z</updated></entry>
</feed>"""

BILLION_LAUGHS = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 <!ENTITY lol1 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol2 "&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;&lol1;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<rss version="2.0"><channel><title>&lol9;</title>
<item><title>&lol9;</title><link>https://example.com/a</link><description>&lol9;</description></item>
</channel></rss>"""

XXE = b"""<?xml version="1.0"?>
<!DOCTYPE rss [<!ENTITY secret SYSTEM "file:///etc/passwd">]>
<rss version="2.0"><channel><title>T</title><item><title>&secret;</title>
<description>x</description></item></channel></rss>"""

PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<title>Harbor Bridge Reopens | Example News</title>
<meta name="author" content="Jane Doe; John Roe">
<meta property="article:published_time" content="2023-08-14T10:00:00Z">
<meta property="og:site_name" content="Example News">
<link rel="canonical" href="https://www.example.com/news/bridge?utm_source=x">
</head><body>
<nav><a href="/">Home</a> | <a href="/world">World</a></nav>
<article><h1>Harbor Bridge Reopens</h1>
<p>The Harbor Bridge reopened to traffic on Monday after an eight-month repair project that
cost the city more than 40 million dollars, officials said at a morning ceremony.</p>
<p>Commuters had faced detours of up to forty minutes while crews replaced corroded steel
cables and resurfaced the deck, according to the city transport department café.</p>
</article>
<footer>Copyright Example News</footer></body></html>"""

TEXT_WITH_HEADERS = """\ufeffKim Calls for a Boost in Missile Production
URL: https://www.example.com/kim?utm_medium=x
source: Example Wire
Published: 2023-08-14T10:00:00+00:00
AUTHORS: Ann Lee and Bo Chen

First paragraph
wraps here.

Update: second paragraph.
"""

TEXT_PLAIN = "\n\n# Plain Title\nFirst paragraph.\n\nSecond paragraph.\n"

FORMATS = {
    "a.json": json.dumps(record(1)).encode(),
    "a.jsonl": jsonl(record(1)),
    "a.xml": RSS,
    "a.atom": ATOM,
    "a.html": PAGE.encode(),
    "a.txt": TEXT_WITH_HEADERS.encode(),
    "a.md": TEXT_PLAIN.encode(),
}


def load(path: Path, data: bytes | str | None = None) -> list[Article | Rejection]:
    if data is not None:
        path.write_bytes(data.encode() if isinstance(data, str) else data)
    return list(ingest.iter_paths([path], now=NOW))


def split(items: list[Article | Rejection]) -> tuple[list[Article], list[Rejection]]:
    return (
        [item for item in items if isinstance(item, Article)],
        [item for item in items if isinstance(item, Rejection)],
    )


def parse(data: bytes, name: str) -> list[Article | Rejection]:
    return list(ingest.parse_bytes(data, name, now=NOW))


# -- JSON -------------------------------------------------------------------------------


def test_json_object(tmp_path: Path) -> None:
    [article] = load(tmp_path / "one.json", json.dumps(record(1, authors=["Ann", "Bo"])))
    assert isinstance(article, Article)
    assert article.url == "https://example.com/news/1"
    assert article.title == "Story 1"
    assert article.text == "Paragraph one of story 1.\n\nParagraph two."
    assert article.published == datetime(2023, 8, 14, tzinfo=UTC)
    assert (article.source, article.authors) == ("Example News", ("Ann", "Bo"))
    assert article.added_at == NOW


def test_json_list_with_bad_items(tmp_path: Path) -> None:
    path = tmp_path / "list.json"
    items = load(path, json.dumps([record(0), {"text": "no title"}, "a string", record(3)]))
    assert [type(item) for item in items] == [Article, Rejection, Rejection, Article]
    assert items[1] == Rejection(f"{path}[1]", "missing title")
    assert items[2] == Rejection(f"{path}[2]", "expected a JSON object, not string")


def test_jsonl_bad_line_does_not_stop_the_rest(tmp_path: Path) -> None:
    path = tmp_path / "feed.jsonl"
    lines = [
        json.dumps(record(1)),
        '{"title": "broken", "text": ',
        "",
        json.dumps(record(4, published="not a date")),
        "[1, 2]",
        json.dumps(record(6)),
    ]
    articles, rejections = split(load(path, "\n".join(lines) + "\n"))
    assert [a.title for a in articles] == ["Story 1", "Story 6"]
    assert [r.where for r in rejections] == [f"{path}:2", f"{path}:4", f"{path}:5"]
    assert rejections[0].reason.startswith("invalid JSON: ")
    assert rejections[1].reason == "published: invalid date 'not a date'"
    assert rejections[2].reason == "expected a JSON object, not array"


UNTITLED = {"text": "Body only."}  # rejected, so each record shows where it was read


@pytest.mark.parametrize(
    ("name", "data", "wheres"),
    [
        # JSON Lines content under a .json name: read line by line.
        ("lines.json", jsonl(UNTITLED, UNTITLED), [":1", ":2"]),
        # A pretty-printed document under a .jsonl name: read whole.
        ("pretty.jsonl", json.dumps([UNTITLED, UNTITLED], indent=2).encode(), ["[0]", "[1]"]),
        # A .jsonl file whose first line is broken still yields the good lines.
        ("first-bad.jsonl", b"{oops\n" + jsonl(UNTITLED), [":1", ":2"]),
        # No extension at all: sniffed.
        ("noext", jsonl(UNTITLED, UNTITLED), [":1", ":2"]),
        ("one-line.jsonl", jsonl(UNTITLED), [":1"]),
        ("bom.json", b"\xef\xbb\xbf" + json.dumps(UNTITLED).encode(), [""]),
    ],
)
def test_json_layout_is_sniffed(name: str, data: bytes, wheres: list[str]) -> None:
    rejections = parse(data, name)
    assert all(isinstance(r, Rejection) for r in rejections)
    assert [r.where for r in rejections if isinstance(r, Rejection)] == [name + w for w in wheres]


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (json.dumps([record(1), record(2)])[:-30].encode(), "invalid JSON: "),
        (b"", "invalid JSON: "),
        (b"[" * 10_000 + b"]" * 10_000, "invalid JSON: "),
        (b'{"title": "caf\xe9", "text": "x"}', "invalid UTF-8 at byte 14"),
        (b"42", "expected a JSON object, not number"),
    ],
)
def test_json_document_rejections(data: bytes, reason: str) -> None:
    [rejection] = parse(data, "bad.json")
    assert isinstance(rejection, Rejection)
    assert rejection.where == "bad.json"
    assert rejection.reason.startswith(reason)


def test_json_nested_10000_deep_in_a_line() -> None:
    data = jsonl(record(1)) + b'{"a": ' * 10_000 + b"1" + b"}" * 10_000 + b"\n" + jsonl(record(3))
    articles, rejections = split(parse(data, "deep.jsonl"))
    assert len(articles) == 2
    assert [r.where for r in rejections] == ["deep.jsonl:2"]
    assert "depth" in rejections[0].reason


def test_jsonl_invalid_utf8_costs_one_line() -> None:
    data = jsonl(record(1)) + b'{"title": "\xff\xfe", "text": "x"}\n' + jsonl(record(3))
    articles, rejections = split(parse(data, "mixed.jsonl"))
    assert len(articles) == 2
    assert rejections == [Rejection("mixed.jsonl:2", "invalid UTF-8 at byte 11")]


def test_odd_unicode_survives() -> None:
    text = "שלום עולם. مرحبا بالعالم.\u200b Emoji 👩\u200d🚀 🇯🇵.\n\nCafe\u0301 nai\u0308ve\ufeff."
    [article] = parse(jsonl(record(1, title="\u202bעברית\u202c 🎉", text=text)), "u.jsonl")
    assert isinstance(article, Article)
    assert article.title == "עברית 🎉"
    assert article.text == "שלום עולם. مرحبا بالعالم. Emoji 👩\u200d🚀 🇯🇵.\n\nCafé naïve."


def test_50_mb_single_line(tmp_path: Path) -> None:
    path = tmp_path / "huge.jsonl"
    big = b'{"title": "Huge", "text": "' + b"a" * (50 * 1024 * 1024) + b'"}'
    assert load(path, big) == [
        Rejection(f"{path}:1", "text too long (52428800 chars, limit 1000000)")
    ]


# -- feeds ------------------------------------------------------------------------------


def test_rss(tmp_path: Path) -> None:
    path = tmp_path / "feed.xml"
    articles, rejections = split(load(path, RSS))
    first, second = articles
    assert first.url == "https://example.com/news/1"
    assert first.title == "Relative & summarised"
    assert first.text == "Para one.\n\nPara two."
    assert first.published == datetime(2023, 8, 14, 10, tzinfo=UTC)
    assert (first.source, first.authors) == ("Example Wire", ("Jane Doe",))
    assert second.text == "Full text.\n\nPoint A\n\nline break"
    assert second.published == datetime(2023, 8, 15, 6, 30, tzinfo=UTC)
    assert rejections == [Rejection(f"{path} entry 3", "published: invalid date 'sometime soon'")]


def test_atom(tmp_path: Path) -> None:
    path = tmp_path / "site.atom"
    articles, rejections = split(load(path, ATOM))
    [article] = articles
    assert article.title == "A styled title"
    assert article.text == "Hello & welcome.\n\nBye."
    assert article.authors == ("Ann", "Bob")
    assert article.published == datetime(2023, 8, 15, 6, tzinfo=UTC)
    assert article.source == "Atom Site"
    assert rejections == [Rejection(f"{path} entry 2", "empty text")]


def test_feed_without_title_uses_host() -> None:
    data = b"""<rss version="2.0"><channel><item><title>T</title>
    <link>https://www.host.example/a</link><description>Body.</description></item></channel></rss>"""
    [article] = parse(data, "untitled.rss")
    assert isinstance(article, Article)
    assert article.source == "host.example"


@pytest.mark.parametrize("data", [BILLION_LAUGHS, XXE])
def test_feed_entity_declarations_refused(data: bytes) -> None:
    assert parse(data, "evil.xml") == [Rejection("evil.xml", feed.ENTITIES_REFUSED)]


def test_not_a_feed() -> None:
    [rejection] = parse(b"<?xml version='1.0'?><catalog><book/></catalog>", "books.xml")
    assert rejection == Rejection("books.xml", "not an RSS or Atom feed")
    [broken] = parse(b"<?xml version='1.0'?><oops", "broken.xml")
    assert isinstance(broken, Rejection) and broken.where == "broken.xml"
    assert broken.reason.startswith("not an RSS or Atom feed (")
    assert broken.reason.endswith("unclosed token)")


# -- HTML -------------------------------------------------------------------------------


def test_html_page(tmp_path: Path) -> None:
    [article] = load(tmp_path / "page.html", PAGE)
    assert isinstance(article, Article)
    assert article.title == "Harbor Bridge Reopens"
    assert article.url == "https://example.com/news/bridge"
    assert article.source == "Example News"
    assert article.authors == ("Jane Doe", "John Roe")
    assert article.published == datetime(2023, 8, 14, tzinfo=UTC)
    assert len(article.paragraphs) == 2
    assert article.paragraphs[0].startswith("The Harbor Bridge reopened")
    assert article.paragraphs[1].endswith("transport department café.")


def test_html_legacy_encoding() -> None:
    [article] = parse(PAGE.replace('charset="utf-8"', 'charset="cp1252"').encode("cp1252"), "p.htm")
    assert isinstance(article, Article)
    assert article.paragraphs[1].endswith("department café.")


def test_html_without_main_text() -> None:
    data = b"<!doctype html><html><head><title>Empty</title></head><body><script>x()</script>"
    assert parse(data, "e.html") == [Rejection("e.html", "no main text found in the HTML page")]


# -- plain text -------------------------------------------------------------------------


def test_text_with_headers(tmp_path: Path) -> None:
    [article] = load(tmp_path / "kim.txt", TEXT_WITH_HEADERS)
    assert isinstance(article, Article)
    assert article.title == "Kim Calls for a Boost in Missile Production"
    assert article.url == "https://example.com/kim"
    assert article.source == "Example Wire"
    assert article.published == datetime(2023, 8, 14, 10, tzinfo=UTC)
    assert article.authors == ("Ann Lee", "Bo Chen")
    assert article.text == "First paragraph wraps here.\n\nUpdate: second paragraph."


def test_text_without_headers(tmp_path: Path) -> None:
    [article] = load(tmp_path / "plain.md", TEXT_PLAIN)
    assert isinstance(article, Article)
    assert (article.title, article.url, article.source) == ("Plain Title", "", "unknown")
    assert article.text == "First paragraph.\n\nSecond paragraph."


def test_text_header_block_ends_at_first_other_line() -> None:
    data = b"Title\nSource: Wire\nNote: not a header\nPublished: 2023-01-01\n\nBody."
    [article] = parse(data, "t.txt")
    assert isinstance(article, Article)
    assert (article.source, article.published) == ("Wire", None)
    assert article.text == "Note: not a header Published: 2023-01-01\n\nBody."


@pytest.mark.parametrize(
    ("data", "reason"),
    [
        (b"", "empty text"),
        (b"Only a title\n", "empty text"),
        (b"Title\nPublished: tomorrow\n\nBody.", "published: invalid date 'tomorrow'"),
        (b"Title\nURL: gopher://x.org/1\n\nBody.", "url: not an http(s) URL 'gopher://x.org/1'"),
    ],
)
def test_text_rejections(data: bytes, reason: str) -> None:
    assert parse(data, "t.txt") == [Rejection("t.txt", reason)]


def test_text_legacy_encoding() -> None:
    [article] = parse("Café news\n\nNaïve “quotes”.".encode("cp1252"), "old.txt")
    assert isinstance(article, Article)
    assert (article.title, article.text) == ("Café news", "Naïve “quotes”.")


# -- detection, binary, size ------------------------------------------------------------


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"  {\"a\": 1}", "x.json", Format.JSON),
        (b"{\"a\": 1}", "x.ndjson", Format.JSONL),
        (b"[1]", "x.txt", Format.JSON),
        (b"<?xml version='1.0'?><rss>", "x.html", Format.FEED),
        (b"<feed xmlns='http://www.w3.org/2005/Atom'>", "", Format.FEED),
        (b"<rdf:RDF xmlns:rdf='x'>", "x", Format.FEED),
        (b"<?xml version='1.0'?><!DOCTYPE html><html>", "x.xml", Format.HTML),
        (b"\xef\xbb\xbf<!DOCTYPE HTML>", "x.txt", Format.HTML),
        (b"<html><body>", "x.json", Format.HTML),
        (b"<p>fragment</p>", "x.htm", Format.HTML),
        (b"<p>fragment</p>", "x", Format.TEXT),
        (b"Title\n\nBody", "x.XML", Format.FEED),
        (b"Title\n\nBody", "x.md", Format.TEXT),
        (b"Title\n\nBody", "no-extension", Format.TEXT),
    ],
)
def test_detect_format(data: bytes, name: str, expected: Format) -> None:
    assert detect_format(data, name) == expected


@pytest.mark.parametrize(
    "data",
    [
        random.Random(7).randbytes(4096),
        b"Title\n\nA perfectly normal body\x00 with one NUL byte.",
        bytes(range(1, 32)) * 100,
    ],
)
@pytest.mark.parametrize("name", ["junk.json", "junk.txt", "junk.html", "junk"])
def test_binary_rejected(data: bytes, name: str) -> None:
    assert parse(data, name) == [Rejection(name, BINARY)]


def test_too_large() -> None:
    assert parse(b" " * (ingest.MAX_FILE_BYTES + 1), "big.txt") == [Rejection("big.txt", TOO_LARGE)]


# -- gzip -------------------------------------------------------------------------------


def outcome(items: list[Article | Rejection], path: Path) -> list[object]:
    """Titles of the articles, and the where (after the file name) and reason of rejections."""
    return [
        item.title
        if isinstance(item, Article)
        else (item.where.removeprefix(str(path)), item.reason)
        for item in items
    ]


@pytest.mark.parametrize("name", sorted(FORMATS))
def test_gz_of_each_format(tmp_path: Path, name: str) -> None:
    plain, packed = tmp_path / name, tmp_path / f"{name}.gz"
    expected = outcome(load(plain, FORMATS[name]), plain)
    assert any(isinstance(title, str) for title in expected)
    assert outcome(load(packed, gzip.compress(FORMATS[name])), packed) == expected


def test_gzip_is_sniffed_and_checked() -> None:
    assert [type(i) for i in parse(gzip.compress(FORMATS["a.jsonl"]), "noext")] == [Article]
    [broken] = parse(gzip.compress(FORMATS["a.json"])[:-12], "cut.json.gz")
    assert isinstance(broken, Rejection) and broken.reason.startswith("broken gzip file (")
    assert parse(gzip.compress(b"\0" * 100), "z.txt.gz") == [Rejection("z.txt.gz", BINARY)]


@pytest.mark.parametrize(
    ("name", "filler", "reason"),
    [
        ("bomb.txt.gz", b" ", TOO_LARGE),
        ("bomb.jsonl.gz", b"\0", BINARY),
        ("bomb.txt.gz", b"\0", BINARY),
    ],
)
def test_gzip_bomb_stops_early(tmp_path: Path, name: str, filler: bytes, reason: str) -> None:
    """Inflating stops at the cap, or at the first bytes when they are binary."""
    member = gzip.compress(filler * (8 * 1024 * 1024), compresslevel=9)
    bomb = member * 128  # 1 GiB in ~1 MB; inflating it all would take a second or more
    assert len(bomb) < 2 * 1024 * 1024
    path = tmp_path / name
    assert load(path, bomb) == [Rejection(str(path), reason)]


# -- paths ------------------------------------------------------------------------------


def test_directory_recursion(tmp_path: Path) -> None:
    (tmp_path / "b" / "deeper").mkdir(parents=True)
    (tmp_path / ".hidden").mkdir()
    (tmp_path / "a.jsonl").write_bytes(jsonl(record(1), record(2)))
    (tmp_path / "b" / "c.txt").write_text(TEXT_PLAIN)
    (tmp_path / "b" / "deeper" / "d.json").write_text("{broken")
    (tmp_path / "b" / ".secret.json").write_bytes(jsonl(record(9)))
    (tmp_path / ".hidden" / "e.json").write_bytes(jsonl(record(9)))
    (tmp_path / "z.html").write_text(PAGE)
    os.symlink(tmp_path / "b", tmp_path / "loop")  # symlinked directories are not followed
    items = list(ingest.iter_paths([tmp_path], now=NOW))
    wheres = [item.where for item in items if isinstance(item, Rejection)]
    titles = [item.title for item in items if isinstance(item, Article)]
    assert titles == ["Story 1", "Story 2", "Plain Title", "Harbor Bridge Reopens"]
    assert wheres == [str(tmp_path / "b" / "deeper" / "d.json")]
    assert len(list(ingest.walk([tmp_path]))) == 4


def test_bad_paths_do_not_stop_the_rest(tmp_path: Path) -> None:
    good = tmp_path / "good.jsonl"
    good.write_bytes(jsonl(record(1)))
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\0\1\2")
    missing = tmp_path / "missing.txt"
    under_a_file = good / "child.json"
    items = list(ingest.iter_paths([missing, junk, under_a_file, str(good)], now=NOW))
    assert items[:3] == [
        Rejection(str(missing), "no such file"),
        Rejection(str(junk), BINARY),
        Rejection(str(under_a_file), "not a directory"),
    ]
    assert [type(item) for item in items] == [Rejection, Rejection, Rejection, Article]
    assert len(list(ingest.walk([missing, junk, under_a_file, good, "-"]))) == 5


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read anything")
def test_unreadable_file(tmp_path: Path) -> None:
    path = tmp_path / "locked.json"
    path.write_bytes(jsonl(record(1)))
    path.chmod(0)
    assert load(path) == [Rejection(str(path), "permission denied")]


def test_stdin(tmp_path: Path) -> None:
    good = tmp_path / "after.txt"
    good.write_text(TEXT_PLAIN)
    stdin = io.BytesIO(jsonl(record(1)) + b"nope\n")
    items = list(ingest.iter_paths(["-", good], stdin=stdin, now=NOW))
    assert [type(item) for item in items] == [Article, Rejection, Article]
    assert items[1].where == "<stdin>:2"


def test_stdin_gz_and_too_large() -> None:
    packed = io.BytesIO(gzip.compress(FORMATS["a.xml"]))
    assert [type(i) for i in ingest.iter_paths(["-"], stdin=packed, now=NOW)] == [
        Article, Article, Rejection
    ]
    huge = io.BytesIO(b"x" * (ingest.MAX_FILE_BYTES + 1))
    assert list(ingest.iter_paths(["-"], stdin=huge, now=NOW)) == [Rejection("<stdin>", TOO_LARGE)]


def _mixed_tree(root: Path) -> list[object]:
    """Paths of every kind: good files in three formats, broken, binary, missing, stdin."""
    (root / "feeds").mkdir()
    for n in range(4):
        (root / f"part-{n}.jsonl").write_bytes(jsonl(*(record(10 * n + i) for i in range(10))))
    (root / "feeds" / "a.xml").write_bytes(FORMATS["a.xml"])
    (root / "feeds" / "broken.json").write_text("{broken")
    (root / "junk.bin").write_bytes(b"\0\1\2")
    return [root / "part-0.jsonl", "-", root / "missing.txt", root]


def test_parallel_parsing_gives_what_sequential_parsing_gives(tmp_path: Path) -> None:
    paths = _mixed_tree(tmp_path)
    sequential = list(ingest.iter_paths(paths, stdin=io.BytesIO(jsonl(record(99))), now=NOW))
    stdin = io.BytesIO(jsonl(record(99)))
    parallel = list(iter_paths_parallel(paths, workers=2, stdin=stdin, now=NOW, min_bytes=0))
    assert parallel == sequential
    assert len([i for i in parallel if isinstance(i, Article)]) == 10 + 1 + 40 + 2
    assert len([i for i in parallel if isinstance(i, Rejection)]) == 3
    assert [i for i in parallel if isinstance(i, Skipped)] == [Skipped(str(tmp_path / "junk.bin"))]


def _die(path: Path, now: datetime) -> list[object]:
    os._exit(3)  # a worker killed mid-file (out of memory, a crash in a C parser)


def test_a_dead_worker_leaves_the_rest_to_be_parsed_here(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    paths = _mixed_tree(tmp_path)
    monkeypatch.setattr(parallel, "_parse_task", _die)
    items = list(
        iter_paths_parallel(paths, workers=1, stdin=io.BytesIO(b""), now=NOW, min_bytes=0)
    )
    assert "parsing in worker processes failed" in caplog.text
    assert items == list(ingest.iter_paths(paths, stdin=io.BytesIO(b""), now=NOW))
    assert len([i for i in items if isinstance(i, Article)]) == 10 + 40 + 2


WORKERS_THEN_WAIT = """
import multiprocessing, sys, time
from datetime import datetime, timezone
from bot.ingest.parallel import iter_paths_parallel
items = iter_paths_parallel(sys.argv[1:], workers=2, now=datetime.now(timezone.utc), min_bytes=0)
next(items)
print(" ".join(str(p.pid) for p in multiprocessing.active_children()), flush=True)
time.sleep(60)
"""


def test_workers_end_when_the_loader_is_killed(tmp_path: Path) -> None:
    paths = [str(p) for p in _mixed_tree(tmp_path) if p != "-"]
    loader = subprocess.Popen(
        [sys.executable, "-c", WORKERS_THEN_WAIT, *paths], cwd=PROJECT_DIR,
        stdout=subprocess.PIPE, text=True,
    )
    workers = [int(pid) for pid in loader.stdout.readline().split()]
    assert workers and all(_alive(pid) for pid in workers)
    loader.kill()
    loader.wait()
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert not any(_alive(pid) for pid in workers)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"  # a zombie has ended
    except FileNotFoundError:
        return False


def test_small_loads_are_parsed_without_starting_workers(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    paths = _mixed_tree(tmp_path)
    monkeypatch.setattr(parallel, "_parse_task", _die)  # a worker would die: none starts
    items = list(iter_paths_parallel(paths, workers=1, stdin=io.BytesIO(b""), now=NOW))
    assert items == list(ingest.iter_paths(paths, stdin=io.BytesIO(b""), now=NOW))
    assert "worker" not in caplog.text


def test_parser_crash_is_contained(monkeypatch: pytest.MonkeyPatch) -> None:
    def explode(*_args: object) -> None:
        raise RuntimeError("parser bug\nsecond line")

    monkeypatch.setattr(feed.feedparser, "parse", explode)
    assert parse(RSS, "f.xml") == [
        Rejection("f.xml", "could not parse: RuntimeError('parser bug\\nsecond line')")
    ]


# -- never raises -----------------------------------------------------------------------

FRAGMENTS = [
    b"{", b"}", b"[", b"]", b'"title": "t"', b'"text": "x"', b",", b"\n", b"\n\n", b"<rss>",
    b"<item>", b"<title>", b"</title>", b"<?xml version='1.0'?>", b"<!DOCTYPE x [", b"<html>",
    b"<p>", b"Title", b"URL: http://x", b"Published: 2023", b"\xff", b"\x1f\x8b", b"\xef\xbb\xbf",
    b"&amp;", b"&#0;", b"\x00", "\u202e".encode(),
]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(st.binary(max_size=512), st.lists(st.sampled_from(FRAGMENTS)).map(b"".join)),
    name=st.sampled_from(
        ["f.json", "f.jsonl", "f.xml", "f.atom", "f.html", "f.txt", "f.md", "f.gz", "f"]
    ),
)
def test_parse_bytes_never_raises(data: bytes, name: str) -> None:
    for item in ingest.parse_bytes(data, name, now=NOW):
        assert isinstance(item, Article | Rejection)
        if isinstance(item, Rejection):
            assert item.where.startswith(name) and item.reason and "\n" not in item.reason
