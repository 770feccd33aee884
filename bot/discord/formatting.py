"""Everything the bot shows on Discord: embeds and short texts, built from engine results.

The only module that formats messages. Pure functions: every embed stays within Discord's
limits by construction (each part is clipped to a budget computed up front), article and
user text is escaped so it can neither format nor mention, and only http(s) URLs become links.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

import discord
from discord.utils import escape_markdown, escape_mentions, format_dt

from bot.models import (
    Answer,
    Article,
    Excerpt,
    LoadReport,
    RecentPage,
    Rejection,
    RelatedArticle,
    Stats,
    marks,
)

if TYPE_CHECKING:
    from bot.polling import Added

# Discord's documented limits.
TITLE = 256
DESCRIPTION = 4096
FIELD_VALUE = 1024
EMBED_TOTAL = 6000
CONTENT = 2000
CHOICE_NAME = 100

# Our own budgets, chosen so that the limits above hold whatever the input.
QUOTE = 700  # longest quoted passage
LINK_TEXT = 150  # longest linked title
SOURCE = 60
LINKED_URL_CHARS = 300  # a longer URL would crowd the embed: its title is shown unlinked
MAX_LISTED = 10
REJECTION = 180
MAX_REJECTIONS = 5
ARTICLE_PREVIEW = 1500

ELLIPSIS = "\u2026"
SEP = " \u00b7 "
ANSWER_FOOTER = "Reply to this message to ask a follow-up."
NO_MENTIONS = discord.AllowedMentions.none()

BLUE = discord.Colour.blurple()
GREY = discord.Colour.light_grey()
GREEN = discord.Colour.green()
ORANGE = discord.Colour.orange()


# -- text primitives ---------------------------------------------------------------------
def clip(text: str, limit: int) -> str:
    """``text`` cut to ``limit`` characters (at a word boundary when one is near), with an
    ellipsis when shortened. The result minus the ellipsis is a prefix of ``text``."""
    if len(text) <= limit:
        return text
    if limit <= 1:
        return ELLIPSIS[:limit]
    cut = text[: limit - 1]
    space = cut.rfind(" ")
    if space > limit * 0.6:
        cut = cut[:space]
    return cut.rstrip() + ELLIPSIS


_BRACKET = re.compile(r"(?<!\\)[\[\]]")  # a bracket escape_markdown left bare


def escape(text: str) -> str:
    """Text that renders literally: no markdown, no mentions, no masked links (brackets
    are escaped too, so no "[label](url)" can form, with or without bold inside)."""
    return _BRACKET.sub(r"\\\g<0>", escape_mentions(escape_markdown(text)))


def fit(raw: str, limit: int, render: Callable[[str], str] = escape) -> str:
    """``render(clip(raw, n))`` for the largest ``n`` whose rendering is within ``limit``
    (escaping makes text longer, so the clip is shrunk until the result fits)."""
    size = limit
    while size > 0:
        out = render(clip(raw, size))
        if len(out) <= limit:
            return out
        size = min(size - 1, size * limit // len(out))
    return ""


def fit_lines(lines: list[str], limit: int) -> str:
    """As many whole lines as fit within ``limit``, then how many were left out."""
    shown: list[str] = []
    for number, line in enumerate(lines):
        more = f"\n{ELLIPSIS} and {len(lines) - number} more"
        if len("\n".join([*shown, line])) + len(more) > limit:
            return "\n".join([*shown, more.strip()])
        shown.append(line)
    return "\n".join(shown)


def safe_url(url: str | None) -> str | None:
    """``url`` fit for a markdown link or an embed URL: http(s) only, short, no spaces."""
    url = (url or "").strip()
    if not url or len(url) > LINKED_URL_CHARS or any(c.isspace() for c in url):
        return None
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not host:
        return None
    return url.replace("(", "%28").replace(")", "%29").replace("<", "%3C").replace(">", "%3E")


def link(text: str, url: str | None, limit: int = LINK_TEXT) -> str:
    """``[text](url)`` with escaped text, or the escaped text alone for unsafe URLs."""
    label = fit(text.strip() or "untitled", limit, escape)
    target = safe_url(url)
    return f"[{label}]({target})" if target else label


def day(value: datetime | None, style: str = "d") -> str:
    """A Discord timestamp shown in each reader's timezone (naive times are UTC)."""
    if value is None:
        return "undated"
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return format_dt(value, style)  # type: ignore[arg-type]


def marked(excerpt: Excerpt, limit: int) -> str:
    """The excerpt escaped, question words in bold, the answer underlined bold, within
    ``limit`` characters."""
    raw = re.sub(r"\s", " ", excerpt.text)  # one line; same length, so spans stay valid

    def render(shown: str) -> str:
        visible = len(shown) if shown == raw else len(shown) - 1  # minus the ellipsis
        out, cursor = [], 0
        for start, end, is_answer in marks(excerpt):
            if start < cursor or end > visible or start >= end:
                continue
            style = "__**" if is_answer else "**"
            out += [escape(shown[cursor:start]), style, escape(shown[start:end]), style[::-1]]
            cursor = end
        out.append(escape(shown[cursor:]))
        return "".join(out)

    return fit(raw, limit, render)


def _lines(lines: Iterable[str], limit: int) -> str:
    """As many whole lines as fit in ``limit`` characters, joined by newlines."""
    kept: list[str] = []
    size = -1
    for line in lines:
        if size + 1 + len(line) > limit:
            break
        kept.append(line)
        size += 1 + len(line)
    return "\n".join(kept)


def _listing(item: Article | RelatedArticle) -> str:
    """One article on one line (< 600 characters): link, source, date, id."""
    article_id = item.id if isinstance(item, Article) else item.article_id
    tail = SEP.join([fit(item.source, SOURCE), day(item.published), f"`{clip(article_id, 40)}`"])
    return f"\u2022 {link(item.title, item.url)}{SEP}{tail}"


def _outlets(count: int) -> str:
    return f"also in {count} more outlet{'s' if count != 1 else ''}"


# -- answers -----------------------------------------------------------------------------
def _citation(excerpt: Excerpt) -> str:
    c = excerpt.citation
    parts = [link(c.title, c.url), fit(c.source, SOURCE), day(c.published)]
    if excerpt.also_in:
        parts.append(_outlets(excerpt.also_in))
    return "\u2014 " + SEP.join(parts)


def _excerpts(excerpts: Sequence[Excerpt]) -> str:
    """Quoted excerpts with their citations, sharing the description's budget."""
    citations = [_citation(e) for e in excerpts]
    overhead = sum(len(c) + len("> \n\n\n") for c in citations)
    quote = min(QUOTE, (DESCRIPTION - overhead) // max(1, len(excerpts)))
    blocks = [f"> {marked(e, quote)}\n{c}" for e, c in zip(excerpts, citations, strict=True)]
    return "\n\n".join(blocks)


def answer_embed(answer: Answer) -> discord.Embed:
    """The reply to a question: cited excerpts and related articles, or an honest
    no-confident-answer with the closest articles."""
    if not answer.answered:
        return _no_answer_embed(answer)
    embed = discord.Embed(
        title=fit(answer.question, TITLE),
        description=_excerpts(answer.excerpts),
        colour=BLUE,
    )
    if answer.related:
        related = _lines((_listing(r) for r in answer.related), FIELD_VALUE)
        embed.add_field(name="Related", value=related, inline=False)
    return embed.set_footer(text=ANSWER_FOOTER)


NO_ANSWER_TITLE = "No confident answer"
_NO_ANSWER = re.compile(r"I found nothing in my articles that answers \*\*(.*)\*\* well\.", re.S)


def _no_answer_embed(answer: Answer) -> discord.Embed:
    question = fit(answer.question, 300)
    embed = discord.Embed(
        title=NO_ANSWER_TITLE,
        description=f"I found nothing in my articles that answers **{question}** well.",
        colour=GREY,
    )
    if answer.related:
        closest = _lines((_listing(r) for r in answer.related), FIELD_VALUE)
        embed.add_field(name="Closest articles", value=closest, inline=False)
    return embed.set_footer(text=ANSWER_FOOTER)


def asked_question(embeds: Sequence[discord.Embed]) -> str | None:
    """The question one of our answers answered (as shown: escaped, perhaps clipped), as
    plain text, for a follow-up replying to it; None when the embeds are not an answer."""
    for embed in embeds:
        if embed.footer.text != ANSWER_FOOTER:
            continue
        shown = embed.title or ""
        if shown == NO_ANSWER_TITLE:
            found = _NO_ANSWER.fullmatch(embed.description or "")
            shown = found.group(1) if found else ""
        plain = re.sub(r"\\(.)", r"\1", shown.removesuffix(ELLIPSIS)).replace("\u200b", "")
        return plain.strip() or None
    return None


def cooldown_text(seconds: float) -> str:
    return f"One moment please: you can ask again in {math.ceil(seconds)} s."


def empty_question_text() -> str:
    return "Ask me something about the news, for example: *what did Kim say about missiles?*"


# -- browsing ----------------------------------------------------------------------------
def _filters(source: str | None, keyword: str | None) -> str:
    parts = [
        f"from \u201c{source}\u201d" if source else "",
        f"with \u201c{keyword}\u201d" if keyword else "",
    ]
    return " ".join(p for p in parts if p)


def recent_embed(
    page: RecentPage, source: str | None = None, keyword: str | None = None
) -> discord.Embed:
    """One page of the article list, newest first."""
    title = " ".join(p for p in ["Recent articles", _filters(source, keyword)] if p)
    lines = (_listing(a) for a in page.articles[:MAX_LISTED])
    embed = discord.Embed(
        title=fit(title, TITLE),
        description=_lines(lines, DESCRIPTION) if page.total else "No articles match.",
        colour=BLUE,
    )
    return embed.set_footer(text=f"Page {page.page}/{page.pages} \u00b7 {page.total} articles")


def article_embed(article: Article) -> discord.Embed:
    """An article: title (linked), source, date, authors, and its first paragraphs."""
    paragraphs = [re.sub(r"\s+", " ", p).strip() for p in article.paragraphs]
    preview = fit(paragraphs[0], ARTICLE_PREVIEW) if paragraphs else ""
    for paragraph in paragraphs[1:]:
        more = escape(paragraph)
        if len(preview) + 2 + len(more) > ARTICLE_PREVIEW:
            break
        preview += "\n\n" + more
    embed = discord.Embed(
        title=fit(article.title or "untitled", TITLE),
        url=safe_url(article.url),
        description=preview or "(no text)",
        colour=BLUE,
    )
    embed.add_field(name="Source", value=fit(article.source, SOURCE) or "unknown")
    embed.add_field(name="Published", value=day(article.published, "D"))
    if article.authors:
        embed.add_field(name="By", value=fit(", ".join(article.authors), FIELD_VALUE))
    return embed.set_footer(text=f"id {clip(article.id, 100)} \u00b7 /related for similar stories")


def related_embed(article: Article, related: Sequence[RelatedArticle]) -> discord.Embed:
    lines = (_listing(r) for r in related[:MAX_LISTED])
    return discord.Embed(
        title=fit(f"Related to: {article.title}", TITLE),
        description=_lines(lines, DESCRIPTION) if related else "No similar articles found.",
        colour=BLUE,
    )


def announce_embed(feed_url: str, articles: Sequence[Article]) -> discord.Embed:
    """New articles a feed brought in."""
    lines = (_listing(a) for a in articles[:MAX_LISTED])
    more = len(articles) - MAX_LISTED
    embed = discord.Embed(
        title="New articles", description=_lines(lines, DESCRIPTION), colour=GREEN
    )
    footer = f"from {clip(feed_url, 200)}" + (f" and {more} more" if more > 0 else "")
    return embed.set_footer(text=footer)


def choice_name(article: Article) -> str:
    """An autocomplete choice's label (plain text: choices show no markdown)."""
    label = f"{article.title.strip() or 'untitled'} \u2014 {article.source}"
    return clip(re.sub(r"\s+", " ", label), CHOICE_NAME)


def help_embed() -> discord.Embed:
    embed = discord.Embed(
        title="newsbot",
        description=(
            "I answer questions about the news with quotes from the articles I have, "
            "each with its source.\n\n"
            "**Ask**: mention me with a question, reply to one of my answers to follow "
            "up, or use `/ask`. In an ask channel, just write the question."
        ),
        colour=BLUE,
    )
    embed.add_field(
        name="Browse",
        value="`/recent` newest articles \u00b7 `/article` read one \u00b7 "
        "`/related` similar stories",
        inline=False,
    )
    embed.add_field(
        name="Admins (Manage Server)",
        value="`/load` a file \u00b7 `/remove` an article \u00b7 `/askchannel` \u00b7 "
        "`/feeds` \u00b7 `/stats`",
        inline=False,
    )
    return embed


# -- admin -------------------------------------------------------------------------------
def stats_embed(stats: Stats) -> discord.Embed:
    embed = discord.Embed(title="Database", colour=BLUE)
    embed.add_field(name="Articles", value=f"{stats.articles:,}")
    if stats.own:
        embed.add_field(name="This server's", value=f"{stats.own:,}")
        embed.add_field(name="Shared", value=f"{stats.shared:,}")
    embed.add_field(name="Sentences", value=f"{stats.sentences:,}")
    embed.add_field(name="Sources", value=f"{stats.sources:,}")
    embed.add_field(name="Published", value=f"{day(stats.oldest)} \u2013 {day(stats.newest)}")
    if stats.db_path:  # the whole file: not shown in a server (it counts the others' too)
        size = f"{fit(Path(stats.db_path).name, 200)} ({stats.db_bytes / 1e6:.1f} MB)"
        embed.add_field(name="File", value=size)
    return embed


def load_report_embed(
    report: LoadReport, filename: str, loaded: Sequence[Article] = ()
) -> discord.Embed:
    """What a load did: the first few articles it stored (with their ids, for /article or
    /remove) and the first few rejection reasons."""
    ok = report.loaded or report.updated or report.duplicate
    embed = discord.Embed(
        title=fit(f"Loaded {filename}", TITLE),
        description=report.summary(),
        colour=GREEN if ok else ORANGE,
    )
    if loaded:
        more = len(report.article_ids) - len(loaded)
        lines = [*map(_listing, loaded), *([f"\u2026 and {more} more"] if more > 0 else [])]
        embed.add_field(name="Stored", value=_lines(lines, FIELD_VALUE), inline=False)
    _add_rejections(embed, report.rejected)
    return embed


def _add_rejections(embed: discord.Embed, rejected: Sequence[Rejection]) -> None:
    if rejected:
        reasons = [f"\u2022 {fit(str(r), REJECTION)}" for r in rejected[:MAX_REJECTIONS]]
        more = len(rejected) - MAX_REJECTIONS
        if more > 0:
            reasons.append(f"\u2026 and {more} more")
        embed.add_field(name="Rejected", value="\n".join(reasons), inline=False)


def feeds_added_embed(added: Added, filename: str) -> discord.Embed:
    """What an OPML import did."""
    embed = discord.Embed(title=fit(f"Imported {filename}", TITLE),
                          description=added.summary() + ".",
                          colour=GREEN if added.added else ORANGE)
    if added.added:
        lines = [f"\u2022 {link(url, url, 200)}" for url in added.added]
        embed.add_field(name="Added", value=_lines(lines, FIELD_VALUE), inline=False)
    _add_rejections(embed, added.rejected)
    return embed


def feed_paused_text(feed: dict) -> str:
    return fit(f"Feed {feed['url']} is paused: {feed['paused']}. An admin can resume it "
               "with /feeds retry.", CONTENT)


def removed_text(article: Article) -> str:
    return f"Removed \u201c{fit(article.title, 300)}\u201d (`{clip(article.id, 100)}`)."


def too_big_text(size: int, limit: int) -> str:
    return f"That file is {size / 1e6:.1f} MB; I accept files up to {limit / 1e6:.1f} MB."


def channels_text(channel_ids: Iterable[int]) -> str:
    """Ask channels as channel mentions (they render as names and never ping)."""
    ids = sorted(channel_ids)
    if not ids:
        return "No ask channels: I answer mentions and replies only."
    listed = ", ".join(f"<#{i}>" for i in ids)
    return clip(f"I answer every message in: {listed}", CONTENT)


def feeds_embed(feeds: Sequence[dict]) -> discord.Embed:
    """Each feed with its health: paused or not, failures, last success and error."""
    lines = (
        f"\u2022 {link(f['url'], f['url'], 200)}"
        + (f" \u2192 <#{f['channel_id']}>" if f.get("channel_id") else "")
        + "\n" + escape(_feed_health(f))
        for f in feeds
    )
    return discord.Embed(
        title="Feeds",
        description=_lines(lines, DESCRIPTION) if feeds else "No feeds yet: add one with "
        "`/feeds add` or `/feeds import`.",
        colour=BLUE,
    )


def _feed_health(feed: dict) -> str:
    parts = [f"{feed.get('items_loaded', 0)} items loaded",
             f"last success {feed.get('last_success') or 'never'}"]
    pending = sum(1 for page in (feed.get("pages") or {}).values() if page.get("pending"))
    if pending:
        parts.append(f"{pending} stored as summaries until their pages can be read")
    if feed.get("failures"):
        parts.append(f"{feed['failures']} failures in a row")
    if feed.get("last_error"):
        parts.append(f"last error {clip(feed['last_error'], 200)}")
    state = f"\u23f8 PAUSED ({clip(feed['paused'], 300)}), /feeds retry resumes it: " \
        if feed.get("paused") else ""
    return "  " + state + SEP.join(parts)
