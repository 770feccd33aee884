"""Follow-up questions: "How much did it cost?" asked after "When did the museum reopen?"
is about the museum. The previous question's words join the new one's at a lower weight,
and the stories its answer cited are preferred; a reply about something else (a new
topic) is asked on its own.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bot.answering.query import Query
from bot.answering.rank import Hit
from bot.answering.relevance import story_coverage
from bot.search.index import Index

PREFERRED_BONUS = 1.0  # added to the re-ranker's score of the previously cited stories
PREVIOUS_WEIGHT = 0.5  # the previous question's words count this much of the new one's
NEW_TOPIC_COVERAGE = 0.5  # cited stories holding less of the new question: a new topic


def with_context(query: Query, previous: Query) -> Query:
    """``query`` with ``previous``'s words added at ``PREVIOUS_WEIGHT`` (its own words keep
    their weight); its own time words, else the previous question's period."""
    weights = {term: weight * PREVIOUS_WEIGHT for term, weight in previous.term_weights.items()}
    weights.update(
        {term: max(weight, weights.get(term, 0.0)) for term, weight in query.term_weights.items()}
    )
    importance = {term: value * PREVIOUS_WEIGHT for term, value in previous.importance.items()}
    importance.update(query.importance)
    return replace(
        query,
        period=query.period if query.period is not None else previous.period,
        term_weights=weights,
        stems=query.stems | previous.stems,
        importance=importance,
        newest=query.newest or previous.newest,
    )


def is_new_topic(query: Query, index: Index, cited: set[int], alone_best: int | None) -> bool:
    """Whether ``query`` is about something else than the stories of the previous answer
    (``cited`` article numbers): they hold less than ``NEW_TOPIC_COVERAGE`` of its words
    (weighted by rarity) while the best story it finds on its own (``alone_best``) holds
    more."""
    if not cited or alone_best is None:  # nothing to stay with, or nothing found alone
        return False
    held = story_coverage(query, index, np.array(sorted(cited))).max()
    alone = story_coverage(query, index, np.array([alone_best]))[0]
    return bool(held < NEW_TOPIC_COVERAGE <= alone)


def prefer(hits: list[Hit], index: Index, cited: set[int]) -> list[Hit]:
    """``hits`` with the stories of ``cited`` articles raised by ``PREFERRED_BONUS``."""
    stories = {int(index.article_story[a]) for a in cited}
    raised = [
        replace(hit, score=hit.score + PREFERRED_BONUS)
        if int(index.article_story[hit.article]) in stories else hit
        for hit in hits
    ]
    return sorted(raised, key=lambda hit: -hit.score)
