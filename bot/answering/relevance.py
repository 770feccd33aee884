"""Whether a story is about the question: the share of the question's words, weighted by
rarity, that the article holds anywhere (title or text).

A story that shares only the question's common words ("cut", "said") with it holds a small
share; one about the question's subject holds its rare words and names. Words no article
contains count against every story.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from bot.answering.query import Query
from bot.answering.rank import Hit
from bot.answering.weights import SHOW_THRESHOLD, SHOWN
from bot.search.index import Index


def story_coverage(query: Query, index: Index, articles: np.ndarray) -> np.ndarray:
    """For each article number in ``articles``, the rarity-weighted share of the question's
    content words it holds (0..1)."""
    articles = np.asarray(articles, np.int64)
    total = sum(query.importance.values())
    held = np.zeros(len(articles), np.float64)
    if not total or not len(articles):
        return held
    for term, weight in query.importance.items():
        term_id = index.term_ids.get(term)
        if term_id is not None:
            held += np.where(index.article_postings.holds(term_id, articles), weight, 0.0)
    return held / total


def unknown_share(query: Query, index: Index) -> float:
    """The share of the question's content words that no article contains: a question
    mostly about something the archive never mentions ("Who won the chess tournament?"
    without a chess story) is not answered by any of its stories."""
    if not query.importance:
        return 0.0
    missing = sum(
        1 for term in query.importance
        if (term_id := index.term_ids.get(term)) is None or not index.article_postings.df(term_id)
    )
    return missing / len(query.importance)


def shown_probability(
    score_gap: np.ndarray, coverage: np.ndarray, fit: dict[str, float] = SHOWN
) -> np.ndarray:
    """How likely an excerpt after the first holds the answer, from how far its score
    falls below the best one and how much of the question its story holds (a logistic
    model fitted on the even weeks of a news-QA set: ``weights.SHOWN``)."""
    z = fit["score_gap"] * score_gap + fit["coverage"] * coverage + fit["bias"]
    return 0.5 * (1 + np.tanh(z / 2))  # the logistic function, without overflow


def shown_rule(query: Query, index: Index, hits: Sequence[Hit]) -> Callable[[Hit], bool]:
    """Whether a hit is worth quoting beside the best one (``SHOW_THRESHOLD``)."""
    if not hits:
        return lambda hit: False
    articles = np.unique([hit.article for hit in hits])
    coverage = dict(zip(articles.tolist(), story_coverage(query, index, articles).tolist(),
                        strict=True))
    best = hits[0].score

    def shown(hit: Hit) -> bool:
        p = shown_probability(np.float64(best - hit.score), np.float64(coverage[hit.article]))
        return bool(p >= SHOW_THRESHOLD)

    return shown
