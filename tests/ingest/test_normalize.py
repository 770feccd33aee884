"""The pure field functions: URLs, text, fingerprints, ids, dates and article validation."""

from __future__ import annotations

import time
from datetime import UTC, date, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.ingest.normalize import (
    MAX_TEXT_CHARS,
    _clean_untidy,
    article_id,
    build_article,
    canonical_url,
    clean_line,
    clean_text,
    content_fingerprint,
    parse_published,
)
from bot.ingest.normalize import _folded_fingerprint as folded_fingerprint
from bot.models import Article, Rejection
from bot.search.analysis import WORD_RE, words

NOW = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)


# -- canonical_url ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://example.com/news/a", "https://example.com/news/a"),
        ("HTTPS://WWW.Example.COM/News/A/", "https://example.com/News/A"),
        ("https://example.com:443/a", "https://example.com/a"),
        ("http://example.com:80/a", "http://example.com/a"),
        ("https://example.com:8443/a", "https://example.com:8443/a"),
        ("https://example.com/a#comments", "https://example.com/a"),
        ("https://example.com/", "https://example.com"),
        ("https://example.com./a", "https://example.com/a"),
        ("  https://example.com/a \n", "https://example.com/a"),
        ("https://user:secret@example.com/a", "https://example.com/a"),
        ("http://[2001:db8::1]:8080/a/", "http://[2001:db8::1]:8080/a"),
        ("https://example.com/a?b=2&a=1", "https://example.com/a?a=1&b=2"),
        ("https://example.com/a?a=2&a=1", "https://example.com/a?a=1&a=2"),
        ("https://example.com/a?empty=&x=1", "https://example.com/a?empty=&x=1"),
        (
            "https://example.com/a?utm_source=tw&UTM_Medium=s&fbclid=1&gclid=2&mc_cid=3"
            "&mc_eid=4&ref=home&cmpid=5&id=7",
            "https://example.com/a?id=7",
        ),
        ("https://example.com/a?utm_campaign=x", "https://example.com/a"),
    ],
)
def test_canonical_url(url: str, canonical: str) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    "url",
    [
        "",
        "   ",
        "ftp://example.com/a",
        "javascript:alert(1)",
        "mailto:news@example.com",
        "file:///etc/passwd",
        "/news/relative",
        "example.com/no-scheme",
        "https://",
        "http://example.com:99999/a",
        "http://[2001:db8::1/a",
    ],
)
def test_canonical_url_rejects_non_http(url: str) -> None:
    assert canonical_url(url) == ""


def test_canonical_url_keeps_meaningful_differences() -> None:
    urls = [
        "http://example.com/a",
        "https://example.com/a",
        "https://example.com/A",
        "https://example.com/a?id=1",
        "https://example.com/a?id=2",
        "https://news.example.com/a",
    ]
    assert len({canonical_url(url) for url in urls}) == len(urls)


# -- clean_text -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("  Hello   world \t again  ", "Hello world again"),
        ("One\nparagraph\r\nwraps\rhere", "One paragraph wraps here"),
        ("First\n\n\n\n  \t \nSecond\r\n\r\nThird", "First\n\nSecond\n\nThird"),
        ("\ufeffBOM\u200b and zero\u2060width\u00ad", "BOM and zerowidth"),
        ("bell\x07 and\x00 nul\x1b", "bell and nul"),
        ("non\u00a0breaking\u2003space", "non breaking space"),
        ("line\u2028sep\u2029para", "line sep\n\npara"),
        ("cafe\u0301 re\u0301sume\u0301", "café résumé"),
        ("\u202eevil override\u202c kept text", "evil override kept text"),
        ("מה קורה? مرحبا بالعالم", "מה קורה? مرحبا بالعالم"),
        ("emoji 👩\u200d💻 and flags 🇺🇦", "emoji 👩\u200d💻 and flags 🇺🇦"),
        ("lone \ud800surrogate", "lone surrogate"),
        (" \n\n \u200b \n ", ""),
    ],
)
def test_clean_text(raw: str, clean: str) -> None:
    assert clean_text(raw) == clean


@given(st.text())
def test_clean_text_shape(raw: str) -> None:
    cleaned = clean_text(raw)
    assert clean_text(cleaned) == cleaned
    assert cleaned == cleaned.strip()
    for paragraph in cleaned.split("\n\n") if cleaned else []:
        assert paragraph and "\n" not in paragraph and "  " not in paragraph


SPACING = " \n\t\r\x0b\x85\xa0\u2003\u2028\u2029\u200b\u00adab."


@given(st.text() | st.text(alphabet=st.sampled_from(SPACING)))
def test_the_shortcut_for_tidy_text_changes_nothing(raw: str) -> None:
    """clean_text returns tidy text as it is: exactly what the full cleaning gives."""
    assert clean_text(raw) == _clean_untidy(raw)
    assert clean_text(_clean_untidy(raw)) == _clean_untidy(raw)


def test_clean_line_joins_paragraphs() -> None:
    assert clean_line("  Big\nNews\n\n  Today\t ") == "Big News Today"


# -- fingerprints and ids ---------------------------------------------------------------


def test_fingerprint_ignores_spacing_case_punctuation_and_encoding() -> None:
    base = content_fingerprint("Café owners said: “Prices rose 5%.”\n\nMore later.")
    assert content_fingerprint("CAFE\u0301 OWNERS SAID — \"prices rose 5 %\". More later") == base
    assert content_fingerprint("Café owners said prices rose 6%. More later.") != base
    assert len(base) == 40 and int(base, 16) >= 0


MARKED_ASCII = "aZ09 _-.,'\"\n\u2018\u2019\u201c\u201d\u2013\u2014\u2022"


@given(st.text(alphabet=st.sampled_from(MARKED_ASCII)))
def test_the_fast_fingerprint_of_ascii_news_text_is_the_folded_one(text: str) -> None:
    """Stored fingerprints must never change: the shortcut for ASCII text with typographic
    marks gives exactly what NFKC, casefold and the regex give."""
    assert content_fingerprint(text) == folded_fingerprint(text)


def test_article_id_from_url_else_fingerprint() -> None:
    url = "https://example.com/a"
    one, another = content_fingerprint("one text"), content_fingerprint("another text")
    assert article_id(url, one) == article_id(url, another)
    assert article_id("", one) != article_id("", another)
    assert content_fingerprint("Same  story.") == content_fingerprint("same story")
    assert len(article_id(url, "")) == 16 and int(article_id(url, ""), 16) >= 0


def test_parsed_articles_carry_their_fingerprint() -> None:
    built = build_article({"url": "", "title": "T", "text": "Some  text."}, where="x", now=NOW)
    assert built.fingerprint == content_fingerprint("Some text.")
    assert built.id == article_id("", built.fingerprint)


# -- parse_published --------------------------------------------------------------------

PLUS_9 = timezone(timedelta(hours=9))


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2023-08-14", datetime(2023, 8, 14, tzinfo=UTC)),
        ("2023/08/14", datetime(2023, 8, 14, tzinfo=UTC)),
        ("2023-8-4", datetime(2023, 8, 4, tzinfo=UTC)),
        ("2023-08-14T10:00:00", datetime(2023, 8, 14, 10, tzinfo=UTC)),
        ("2023-08-14T10:00:00Z", datetime(2023, 8, 14, 10, tzinfo=UTC)),
        ("2023-08-14 10:00:00+09:00", datetime(2023, 8, 14, 10, tzinfo=PLUS_9)),
        ("Mon, 14 Aug 2023 10:00:00 GMT", datetime(2023, 8, 14, 10, tzinfo=UTC)),
        ("Mon, 14 Aug 2023 10:00:00 +0900", datetime(2023, 8, 14, 10, tzinfo=PLUS_9)),
        (1692007200, datetime(2023, 8, 14, 10, tzinfo=UTC)),
        (1692007200.5, datetime(2023, 8, 14, 10, 0, 0, 500000, tzinfo=UTC)),
        (time.gmtime(1692007200), datetime(2023, 8, 14, 10, tzinfo=UTC)),
        (datetime(2023, 8, 14, 10), datetime(2023, 8, 14, 10, tzinfo=UTC)),
        (datetime(2023, 8, 14, 10, tzinfo=PLUS_9), datetime(2023, 8, 14, 10, tzinfo=PLUS_9)),
        (date(2023, 8, 14), datetime(2023, 8, 14, tzinfo=UTC)),
    ],
)
def test_parse_published(value: object, expected: datetime) -> None:
    parsed = parse_published(value)
    assert parsed == expected
    assert parsed is not None and parsed.utcoffset() == expected.utcoffset()


@pytest.mark.parametrize("value", [None, "", "   "])
def test_parse_published_empty_is_none(value: object) -> None:
    assert parse_published(value) is None


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("xyz", "invalid date 'xyz'"),
        ("2023-13-01", "invalid date '2023-13-01'"),
        ("2023-02-30", "invalid date '2023-02-30'"),
        ("yesterday-ish", "invalid date 'yesterday-ish'"),
        ("1899-12-31", "invalid date '1899-12-31': year outside 1900..2100"),
        ("2101-01-01", "invalid date '2101-01-01': year outside 1900..2100"),
        (-5_000_000_000, "invalid date -5000000000: year outside 1900..2100"),
        (1e20, "invalid date 1e+20"),
        (float("nan"), "invalid date nan"),
        (True, "invalid date True"),
        ([2023, 8, 14], "invalid date [2023, 8, 14]"),
        ("x" * 100, "invalid date 'xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx..."),
    ],
)
def test_parse_published_rejects(value: object, message: str) -> None:
    with pytest.raises(ValueError) as caught:
        parse_published(value)
    assert str(caught.value) == message


# -- build_article ----------------------------------------------------------------------


def build(**fields: object) -> Article | Rejection:
    return build_article(fields, where="in.json", now=NOW)


def test_build_article_full_record() -> None:
    article = build(
        url="https://www.example.com/news/1/?utm_source=x",
        title="  Big\n news ",
        text="First line\nwraps.\n\n\n Second paragraph. ",
        published="2023-08-14T10:00:00Z",
        source=" Example  News ",
        authors="Ann Lee, Bo Chen and Cy Diaz; Ann Lee",
    )
    assert article == Article(
        id=article_id("https://example.com/news/1", content_fingerprint("")),
        url="https://example.com/news/1",
        title="Big news",
        source="Example News",
        published=datetime(2023, 8, 14, 10, tzinfo=UTC),
        authors=("Ann Lee", "Bo Chen", "Cy Diaz"),
        text="First line wraps.\n\nSecond paragraph.",
        added_at=NOW,
    )


def test_build_article_aliases_and_defaults() -> None:
    article = build(
        url="https://www.example.org/x",
        title="T",
        body="Body text.",
        pubDate="Mon, 14 Aug 2023 10:00:00 GMT",
        author="Solo Writer",
    )
    assert isinstance(article, Article)
    assert (article.text, article.source) == ("Body text.", "example.org")
    assert article.authors == ("Solo Writer",)
    assert article.published == datetime(2023, 8, 14, 10, tzinfo=UTC)
    bare = build(title="T", content="Text.", authors=[" A ", "", "B"])
    assert isinstance(bare, Article)
    assert (bare.url, bare.source, bare.published) == ("", "unknown", None)
    assert bare.authors == ("A", "B")
    assert bare.id == article_id("", content_fingerprint("Text."))


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        ({"title": "T"}, "empty text"),
        ({"title": "T", "text": " \n\u200b\n "}, "empty text"),
        ({"text": "Body."}, "missing title"),
        ({"title": "\u200b ", "text": "Body."}, "missing title"),
        ({"title": ["T"], "text": "Body."}, "title: expected a string, not array"),
        ({"title": "T", "body": {"p": 1}}, "body: expected a string, not object"),
        ({"title": "T", "text": "B", "url": 7}, "url: expected a string, not number"),
        ({"title": "T", "text": "B", "source": False}, "source: expected a string, not boolean"),
        ({"title": "T", "text": "B", "url": "ftp://x.org/a"}, "url: not an http(s) URL 'ftp://x.org/a'"),
        ({"title": "T", "text": "B", "published": "garbage"}, "published: invalid date 'garbage'"),
        ({"title": "T", "text": "B", "date": "1850-01-01"},
         "date: invalid date '1850-01-01': year outside 1900..2100"),
        ({"title": "T", "text": "B", "authors": 3},
         "authors: expected a string or a list of strings"),
        ({"title": "T", "text": "B", "author": ["A", 1]},
         "author: expected a string or a list of strings"),
    ],
)
def test_build_article_rejects(fields: dict[str, object], reason: str) -> None:
    assert build(**fields) == Rejection("in.json", reason)


def test_build_article_text_limit() -> None:
    assert isinstance(build(title="T", text="x" * MAX_TEXT_CHARS), Article)
    assert build(title="T", text="x" * (MAX_TEXT_CHARS + 1)) == Rejection(
        "in.json", "text too long (1000001 chars, limit 1000000)"
    )


# -- words ------------------------------------------------------------------------------


@given(st.text(alphabet=st.sampled_from("aZ09 '’._-\n\u00e9\u0130")) | st.text())
def test_the_ascii_word_shortcut_splits_as_the_unicode_pattern(text: str) -> None:
    assert words(text) == WORD_RE.findall(text.lower())


def test_words() -> None:
    assert words("The U.S. didn't—can’t say; 3.5% of C-SPAN") == [
        "the", "u.s", "didn't", "can’t", "say", "3.5", "of", "c", "span"
    ]
