"""render: embeds within Discord's limits for any input, escaped text, safe links."""

from __future__ import annotations

import re
from datetime import UTC, datetime

import discord
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answering.compose import MAX_EXCERPTS
from bot.discord import formatting as render
from bot.models import (
    Answer,
    Article,
    Citation,
    Excerpt,
    LoadReport,
    RecentPage,
    Rejection,
    RelatedArticle,
    Stats,
)

WHEN = datetime(2023, 8, 14, tzinfo=UTC)
NASTY = (
    "**bold** _it_ `code` ~~gone~~ ||spoiler|| [click](https://evil.example) "
    "@everyone @here <@123456789012345678> <@&123456789012345678> \\"
)


def citation(title: str = "Kim Calls for More Missiles", url: str = "https://example.com/a",
             source: str = "Demo Wire") -> Citation:
    return Citation("abc123", title, source, url, WHEN)


def excerpt(text: str = "Kim called for a boost in missile production.", **kwargs) -> Excerpt:
    spans = tuple((m.start(), m.end()) for m in re.finditer(r"missile|Kim", text))
    return Excerpt(text, spans, kwargs.pop("cite", citation()), 1.0, **kwargs)


def related(title: str = "Related story", url: str = "https://example.com/r") -> RelatedArticle:
    return RelatedArticle("rel1", title, "Example Herald", url, WHEN)


def article(title: str = "A title", text: str = "First paragraph.\n\nSecond one.",
            url: str = "https://example.com/x", authors: tuple[str, ...] = ()) -> Article:
    return Article("id42", url, title, "Demo Wire", WHEN, authors, text, WHEN)


def assert_within_limits(embed: discord.Embed) -> None:
    """Every documented embed limit, and the 6,000 total."""
    assert len(embed.title or "") <= render.TITLE
    assert len(embed.description or "") <= render.DESCRIPTION
    assert len(embed.fields) <= 25
    for f in embed.fields:
        assert 0 < len(f.name or "") <= 256  # Discord's field name limit
        assert 0 < len(f.value or "") <= render.FIELD_VALUE
    assert len(embed.footer.text or "") <= 2048  # Discord's footer limit
    assert len(embed) <= render.EMBED_TOTAL
    if embed.url:
        assert embed.url.startswith(("http://", "https://"))


# -- primitives ---------------------------------------------------------------------------
def test_clip_keeps_short_text_and_cuts_long_text_at_a_word() -> None:
    assert render.clip("short", 10) == "short"
    cut = render.clip("one two three four five six", 15)
    assert len(cut) <= 15 and cut.endswith("\u2026") and cut == "one two three\u2026"


def test_escape_neutralises_markdown_and_mentions() -> None:
    out = render.escape(NASTY)
    assert "**bold**" not in out and "\\*\\*bold\\*\\*" in out
    assert "\\_it\\_" in out and "\\`code\\`" in out and "\\|\\|spoiler" in out
    assert "@\u200beveryone" in out and "@\u200bhere" in out
    assert "<@\u200b123456789012345678>" in out and "<@\u200b&123456789012345678>" in out
    assert "\\[click\\](https://evil.example)" in out


def test_fit_counts_the_escaping() -> None:
    out = render.fit("*" * 1000, 100)
    assert len(out) <= 100 and out.startswith("\\*")


def test_only_http_urls_become_links() -> None:
    assert render.link("T", "https://example.com/a") == "[T](https://example.com/a)"
    assert render.link("T", "http://example.com/a") == "[T](http://example.com/a)"
    for bad in ("javascript:alert(1)", "ftp://example.com/f", "file:///etc/passwd",
                "https://", "example.com/a", "https://exa mple.com", "http://[::1", "",
                "https://example.com/" + "a" * 400):
        assert render.link("T", bad) == "T", bad
        assert render.safe_url(bad) is None, bad


def test_link_parentheses_and_brackets_cannot_break_out() -> None:
    out = render.link("a ] b [c]", "https://example.com/wiki/A_(b)")
    assert out == "[a \\] b \\[c\\]](https://example.com/wiki/A_%28b%29)"


def test_day_is_a_discord_timestamp() -> None:
    assert render.day(WHEN) == f"<t:{int(WHEN.timestamp())}:d>"
    assert render.day(datetime(2023, 8, 14)) == render.day(WHEN)  # naive = UTC
    assert render.day(None) == "undated"


# -- answers ------------------------------------------------------------------------------
def test_answer_embed_quotes_bolds_and_cites() -> None:
    answer = Answer("What did Kim say?", True, (excerpt(also_in=2),), (related(),), 0.9)
    embed = render.answer_embed(answer)
    assert embed.title == "What did Kim say?"
    assert "> **Kim** called for a boost in **missile** production." in embed.description
    assert "[Kim Calls for More Missiles](https://example.com/a)" in embed.description
    assert f"<t:{int(WHEN.timestamp())}:d>" in embed.description
    assert "Demo Wire" in embed.description and "also in 2 more outlets" in embed.description
    [field] = embed.fields
    assert field.name == "Related" and "[Related story](https://example.com/r)" in field.value
    assert render.asked_question([embed]) == "What did Kim say?"
    assert render.asked_question([render.help_embed()]) is None
    assert_within_limits(embed)


def test_the_answer_is_underlined_bold_and_question_words_stay_bold() -> None:
    text = "Kim called for 1,800 more missiles a year."
    answer = Answer("How many missiles did Kim want?", True,
                    (excerpt(text, answer_span=(15, 20)),), (), 0.9)
    description = render.answer_embed(answer).description
    assert "> **Kim** called for __**1,800**__ more **missile**s a year." in description


def test_answer_embed_escapes_article_and_question_text() -> None:
    cite = citation(title=NASTY, url="javascript:alert(1)", source=NASTY)
    answer = Answer(NASTY, True, (excerpt(NASTY, cite=cite),), (), 0.9)
    embed = render.answer_embed(answer)
    for text in (embed.title, embed.description):
        assert "@everyone" not in text and "@here" not in text
        assert "<@123456789012345678>" not in text and "**bold**" not in text
    assert "javascript:" not in embed.description
    assert render.asked_question([embed]) == NASTY.strip()  # the escaping undone
    assert_within_limits(embed)


def test_no_confident_answer_lists_the_closest_articles() -> None:
    embed = render.answer_embed(Answer("@everyone weather on Mars?", False, (), (related(),), 0.1))
    assert embed.title == "No confident answer"
    assert "@\u200beveryone weather on Mars?" in embed.description
    assert embed.fields[0].name == "Closest articles"
    assert "[Related story](https://example.com/r)" in embed.fields[0].value
    assert render.asked_question([embed]) == "@everyone weather on Mars?"  # for follow-ups


def test_huge_answer_stays_within_every_limit() -> None:
    huge = "missile " * 5000
    cite = citation(title="T" * 5000, url="https://example.com/" + "p" * 250, source="S" * 500)
    answer = Answer(
        "Q" * 10_000, True,
        tuple(excerpt(huge, cite=cite, also_in=99) for _ in range(MAX_EXCERPTS)),
        tuple(related("R" * 3000, "https://example.com/" + "r" * 250) for _ in range(50)),
        0.9,
    )
    embed = render.answer_embed(answer)
    assert_within_limits(embed)
    assert embed.description.count("\n> ") + 1 == MAX_EXCERPTS  # every excerpt shown
    assert len(embed.title) == render.TITLE and embed.title.endswith("\u2026")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    question=st.text(max_size=3000),
    texts=st.lists(st.text(min_size=1, max_size=3000), min_size=1, max_size=8),
    title=st.text(max_size=600),
    url=st.text(max_size=400),
)
def test_any_answer_fits(question: str, texts: list[str], title: str, url: str) -> None:
    cite = citation(title=title, url=url, source=title)
    excerpts = tuple(Excerpt(t, ((0, len(t)),), cite, 1.0) for t in texts)
    rel = (RelatedArticle("x", title, title, url, None),) * 6
    assert_within_limits(render.answer_embed(Answer(question, True, excerpts, rel, 0.5)))
    assert_within_limits(render.answer_embed(Answer(question, False, (), rel, 0.1)))


# -- browsing and admin -------------------------------------------------------------------
def test_recent_embed_pages() -> None:
    page = RecentPage((article("One"), article("Two")), 2, 3, 12)
    embed = render.recent_embed(page, source="Demo", keyword="missile")
    assert embed.footer.text == "Page 2/3 \u00b7 12 articles"
    assert "\u201cDemo\u201d" in embed.title and "\u201cmissile\u201d" in embed.title
    assert "[One](https://example.com/x)" in embed.description and "`id42`" in embed.description
    assert render.recent_embed(RecentPage((), 1, 1, 0)).description == "No articles match."


def test_recent_embed_with_huge_titles_fits() -> None:
    page = RecentPage(tuple(article("T" * 3000, url="https://e.com/" + "u" * 280)
                            for _ in range(10)), 1, 1, 10)
    assert_within_limits(render.recent_embed(page, "s" * 300, "k" * 300))


def test_article_embed_within_limits_for_a_huge_article() -> None:
    text = "\n\n".join(["word " * 2000] * 30)
    embed = render.article_embed(
        article("T" * 1000, text, url="https://example.com/a", authors=("A" * 900,) * 5)
    )
    assert_within_limits(embed)
    assert embed.url == "https://example.com/a"
    assert len(embed.description) <= render.ARTICLE_PREVIEW


def test_article_embed_shows_paragraphs_and_escapes() -> None:
    embed = render.article_embed(article(NASTY, "First @everyone.\n\nSecond.", url="ftp://x"))
    assert embed.url is None
    assert embed.description == "First @\u200beveryone.\n\nSecond."
    assert "@everyone" not in embed.title
    assert [f.name for f in embed.fields] == ["Source", "Published"]


def test_related_stats_help_feeds_fit() -> None:
    assert_within_limits(render.related_embed(article(), [related()] * 30))
    assert render.related_embed(article(), []).description == "No similar articles found."
    stats = Stats(12, 12, 0, 212, 5, WHEN, WHEN, "/secret/path/db.json", 30_000)
    embed = render.stats_embed(stats)
    assert "/secret/path" not in str(embed.to_dict()) and "db.json" in str(embed.to_dict())
    in_server = render.stats_embed(Stats(12, 9, 3, 212, 5, WHEN, WHEN, "", 0)).to_dict()
    fields = {f["name"]: f["value"] for f in in_server["fields"]}
    assert fields["This server's"] == "3" and fields["Shared"] == "9" and "File" not in fields
    assert_within_limits(render.help_embed())
    feeds = [{"url": "https://example.com/" + "f" * 250, "channel_id": 1}] * 40
    assert_within_limits(render.feeds_embed(feeds))
    assert_within_limits(render.announce_embed("https://x", [article("T" * 900)] * 40))


def test_load_report_lists_the_first_rejections() -> None:
    report = LoadReport(loaded=2, updated=1, duplicate=3,
                        rejected=[Rejection(f"file:{n}", "bad " * 200) for n in range(9)])
    embed = render.load_report_embed(report, "upload.jsonl")
    assert embed.description == "loaded 2, updated 1, duplicate 3, rejected 9"
    [field] = embed.fields
    assert field.value.count("\u2022") == render.MAX_REJECTIONS and "and 4 more" in field.value
    assert_within_limits(embed)


def test_choice_names_are_plain_and_short() -> None:
    name = render.choice_name(article("Title\nwith  lines " + "x" * 200))
    assert len(name) <= 100 and "\n" not in name


def test_short_texts() -> None:
    assert render.cooldown_text(2.1) == "One moment please: you can ask again in 3 s."
    assert render.channels_text([]).startswith("No ask channels")
    assert render.channels_text([2, 1]) == "I answer every message in: <#1>, <#2>"
