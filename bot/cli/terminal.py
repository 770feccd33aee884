"""Rendering engine results as text for a terminal (the CLI's only output module)."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

import click

from bot.models import Answer, Article, Excerpt, RecentPage, RelatedArticle, Stats, marks

if TYPE_CHECKING:
    from bot.polling import PollResult


def _day(value: datetime | None) -> str:
    return value.strftime("%Y-%m-%d") if value else "undated"


def marked(excerpt: Excerpt, color: bool) -> str:
    """The excerpt with question words in bold and the answer underlined in bold yellow
    (without colour: question words *starred*, the answer __underscored__)."""
    out, cursor = [], 0
    for start, end, is_answer in marks(excerpt):
        text = excerpt.text[start:end]
        out.append(excerpt.text[cursor:start])
        if color:
            out.append(click.style(text, bold=True, underline=is_answer,
                                   fg="yellow" if is_answer else None))
        else:
            out.append(f"__{text}__" if is_answer else f"*{text}*")
        cursor = end
    out.append(excerpt.text[cursor:])
    return "".join(out)


def listing_line(article_id: str, item: RelatedArticle | Article) -> str:
    link = f"  {item.url}" if item.url else ""
    return f"  - {item.title} ({item.source}, {_day(item.published)}) [{article_id}]{link}"


def answer_text(answer: Answer, color: bool = False) -> str:
    lines: list[str] = []
    if not answer.answered:
        lines.append("No confident answer in the indexed articles.")
        if answer.related:
            lines.append("Closest articles:")
    for number, excerpt in enumerate(answer.excerpts, 1):
        c = excerpt.citation
        also = f", also in {excerpt.also_in} more outlets" if excerpt.also_in else ""
        lines.append(f"{number}. \u201c{marked(excerpt, color)}\u201d")
        cited = f"{c.title} ({c.source}, {_day(c.published)}{also}) [{c.article_id}]"
        lines.append(f"   \u2014 {cited}")
        if c.url:
            lines.append(f"   {c.url}")
    if answer.answered and answer.related:
        lines.append("Related:")
    lines.extend(listing_line(r.article_id, r) for r in answer.related)
    return "\n".join(lines)


def recent_text(page: RecentPage) -> str:
    if not page.total:
        return "No articles match."
    lines = [f"Articles {page.total} (page {page.page} of {page.pages}):"]
    lines.extend(listing_line(a.id, a) for a in page.articles)
    return "\n".join(lines)


def article_text(article: Article) -> str:
    authors = f"By {', '.join(article.authors)}\n" if article.authors else ""
    url = f"{article.url}\n" if article.url else ""
    head = f"{article.title}\n{article.source}, {_day(article.published)} [{article.id}]\n"
    return f"{head}{authors}{url}\n{article.text}"


def stats_text(stats: Stats) -> str:
    lines = [
        f"articles   {stats.articles}" + (
            f" ({stats.own} the server's, {stats.shared} shared)" if stats.own else ""),
        f"sentences  {stats.sentences}",
        f"sources    {stats.sources}",
        f"published  {_day(stats.oldest)} .. {_day(stats.newest)}",
    ]
    if stats.db_path:
        lines.append(f"database   {stats.db_path} ({stats.db_bytes / 1e6:.1f} MB)")
    return "\n".join(lines)


def stored_text(shown: list[Article], stored: int) -> str:
    """The first articles a load stored, so one can `newsbot article` or `remove` it."""
    lines = [listing_line(a.id, a) for a in shown]
    if stored > len(shown):
        lines.append(f"  ... and {stored - len(shown)} more")
    return "\n".join(lines)


def feeds_text(feeds: list[dict]) -> str:
    """Each feed with its owner (a server, or shared) and health."""
    if not feeds:
        return "No feeds: add one with `newsbot feeds add URL` or `newsbot feeds import`."
    lines = []
    for feed in feeds:
        owner = f"server {feed['guild_id']}" if feed.get("guild_id") else "shared"
        paused = f"  PAUSED: {feed['paused']}" if feed.get("paused") else ""
        lines.append(f"{feed['url']} ({owner}){paused}")
        health = [f"{feed.get('items_loaded', 0)} items loaded",
                  f"last success {feed.get('last_success') or 'never'}"]
        if feed.get("failures"):
            health.append(f"{feed['failures']} failures in a row")
        if feed.get("last_error"):
            health.append(f"last error {feed['last_error']}")
        lines.append("  " + ", ".join(health))
    return "\n".join(lines)


def poll_text(result: PollResult) -> str:
    url = result.feed["url"]
    if result.error:
        paused = f" (paused: {result.paused['paused']})" if result.paused else ""
        return f"{url}: failed: {result.error}{paused}"
    pending = f", {result.pending_pages} pages pending" if result.pending_pages else ""
    return f"{url}: {result.report.summary()}{pending}"
