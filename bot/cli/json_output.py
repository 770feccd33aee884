"""Plain-JSON forms of engine results: the stable contract of ``newsbot ask --json``,
``feeds list --json`` and ``feeds poll --json``."""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING, Any

from bot.models import Answer, Article

if TYPE_CHECKING:
    from bot.polling import PollResult


def _date(value: datetime | None) -> str | None:
    return value.isoformat() if value else None


def answer_to_json(answer: Answer) -> dict[str, Any]:
    return {
        "question": answer.question,
        "answered": answer.answered,
        "confidence": round(answer.confidence, 4),
        "excerpts": [
            {
                "text": e.text,
                "article_id": e.citation.article_id,
                "title": e.citation.title,
                "url": e.citation.url,
                "source": e.citation.source,
                "published": _date(e.citation.published),
                "score": e.score,
                "also_in": e.also_in,
                "answer": e.answer,
            }
            for e in answer.excerpts
        ],
        "related": [
            {
                "article_id": r.article_id,
                "title": r.title,
                "url": r.url,
                "published": _date(r.published),
            }
            for r in answer.related
        ],
    }


def article_to_json(article: Article) -> dict[str, Any]:
    """An article in the load format (JSONL), so an export loads back as it was (into its
    own library: "library" is absent for the shared one)."""
    record = {
        "url": article.url,
        "title": article.title,
        "text": article.text,
        "published": _date(article.published),
        "source": article.source,
        "authors": list(article.authors),
    }
    if article.library is not None:
        record["library"] = article.library
    return record


def feed_to_json(feed: dict[str, Any]) -> dict[str, Any]:
    """A feed and its health; ``guild_id`` null for a shared feed."""
    pages = feed.get("pages") or {}
    return {
        "url": feed["url"],
        "guild_id": feed.get("guild_id"),
        "channel_id": feed.get("channel_id"),
        "paused": feed.get("paused"),
        "failures": feed.get("failures", 0),
        "last_success": feed.get("last_success"),
        "last_error": feed.get("last_error"),
        "items_loaded": feed.get("items_loaded", 0),
        "pending_pages": sum(1 for page in pages.values() if page.get("pending")),
    }


def poll_to_json(result: PollResult) -> dict[str, Any]:
    report = result.report
    return {
        "url": result.feed["url"],
        "guild_id": result.feed.get("guild_id"),
        "error": result.error,
        "paused": result.paused["paused"] if result.paused else None,
        "loaded": report.loaded,
        "updated": report.updated,
        "duplicate": report.duplicate,
        "rejected": [str(r) for r in report.rejected],
        "new": [article.id for article in result.new],
        "pending_pages": result.pending_pages,
    }
