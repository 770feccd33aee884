"""Plain-JSON forms of engine results: the stable contract of ``newsbot ask --json``."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.models import Answer, Article


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
