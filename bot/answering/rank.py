"""Re-rank: the first stage's best ``RERANK`` candidates (``retrieve``), ordered by the
features of ``features`` combined by weights fitted on half of a news-QA set (``weights``):
one set orders the stories, another chooses which passage of a story to quote (the one
that matches best often restates the question; the answer sits elsewhere in the report).
The excerpt is the sentence with its neighbours: the answer often sits beside the best match.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bot.answering import features
from bot.answering.query import Query
from bot.answering.retrieve import RERANK, first_stage
from bot.answering.spans import asked_kind
from bot.answering.weights import (
    KINDLESS_PASSAGE_WEIGHTS,
    KINDLESS_WEIGHTS,
    PASSAGE_WEIGHTS,
    WEIGHTS,
)
from bot.search.index import Index


def _vector(weights: dict[str, float]) -> np.ndarray:
    return np.array([weights.get(name, 0.0) for name in features.NAMES])


# A question asking for a kind of span (a number, a name, a date) is ranked by weights
# fitted with the features saying whether an excerpt holds one; a question asking for none
# by weights fitted without them (with them, the other weights shift to serve the former).
_VECTORS = {
    True: (_vector(WEIGHTS), _vector(PASSAGE_WEIGHTS)),
    False: (_vector(KINDLESS_WEIGHTS), _vector(KINDLESS_PASSAGE_WEIGHTS)),
}
_PLAIN = _VECTORS[False][0]  # the confidence's score (``Hit.plain``)


@dataclass(frozen=True, slots=True)
class Hit:
    """A ranked excerpt: sentences ``first``..``last`` (inclusive) around ``sentence``;
    ``score`` ranks it among all hits, ``passage`` among the hits of its own story;
    ``plain`` is its score by the weights without the kind features (the confidence's
    input: with them, every excerpt holding a number looks surer of a "how many")."""

    sentence: int
    first: int
    last: int
    article: int
    score: float
    passage: float
    plain: float

    def text(self, index: Index) -> str:
        return index.sentence_text(self.first, self.last)


def rank(query: Query, index: Index, limit: int = RERANK) -> list[Hit]:
    """Best excerpts for the query, best first; at most one per sentence."""
    candidates = first_stage(query, index, limit)
    if not candidates:
        return []
    described = features.matrix(query, index, candidates)
    stories, passage = _VECTORS[asked_kind(query.text) is not None]
    scores, passages, plain = described @ stories, described @ passage, described @ _PLAIN
    hits = [
        Hit(c.sentence, c.first, c.last, c.article, *values)
        for c, *values in zip(
            candidates, scores.tolist(), passages.tolist(), plain.tolist(), strict=True
        )
    ]
    hits.sort(key=lambda h: -h.score)
    return hits
