"""First stage: BM25 picks candidate sentences, cheap signals order them, each gets its
excerpt window.

The signals: the sentence's BM25 match, its article's match (title counted extra), a date
prior (news questions are about recent events relative to when they are asked) and a
penalty for question-shaped subheads ("How many ...?"), which match well and never answer.
"""

from __future__ import annotations

import numpy as np

from bot.answering.features import Candidate
from bot.answering.query import Query
from bot.search.index import Index
from bot.search.libraries import admit_articles, admit_sentences
from bot.search.postings import ARTICLE_CANDIDATE_POSTINGS

CANDIDATES = 300  # BM25 candidates ordered by the cheap signals
RERANK = 40  # of those, how many go on to the learned re-ranker
ARTICLE_WEIGHT = 0.35  # share of the article-level match added to each sentence
QUESTION_PENALTY = 0.3  # multiplier for sentences that are themselves questions
OUT_OF_WINDOW = 0.75  # multiplier for articles published outside the question's period
MAX_EXCERPT_CHARS = 450  # the sentence and its neighbours, as far as they fit


def first_stage(query: Query, index: Index, limit: int = RERANK) -> list[Candidate]:
    """The ``limit`` best BM25 candidates by the cheap signals, best first."""
    if not query.term_weights or index.n_sentences == 0:
        return []
    admit = admit_sentences(query.allowed, index.sent_article)
    docs, bm25 = index.sentences.score(query.term_weights, admit=admit)
    docs, bm25 = top_k(docs, bm25, CANDIDATES)
    articles = index.sent_article[docs]
    support = _article_support(query, index, articles)
    is_question = index.sent_question[docs]
    days = _days_from_question(query, index, articles)
    in_window = np.array([not d for d in days], bool)
    scores = (bm25 * (1 + ARTICLE_WEIGHT * support) * np.where(is_question, QUESTION_PENALTY, 1.0)
              * np.where(in_window, 1.0, OUT_OF_WINDOW))
    best = top_k(np.arange(len(docs)), scores, limit)[0]
    best = best[np.argsort(-scores[best], kind="stable")]
    return [
        Candidate(int(docs[i]), *excerpt_window(index, int(docs[i])), int(articles[i]),
                  float(bm25[i]), float(support[i]), days[i], bool(is_question[i]))
        for i in best.tolist()
    ]


def top_k(docs: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best-scoring documents with their scores, in no particular order (a
    partition, not a sort: callers sort the few they keep)."""
    if len(docs) <= k:
        return docs, scores
    best = np.argpartition(-scores, k)[:k]
    return docs[best], scores[best]


def _article_support(query: Query, index: Index, articles: np.ndarray) -> np.ndarray:
    """Each candidate's article-level match, as a share of the best article's."""
    matched, scores = index.article_postings.score(
        query.term_weights, ARTICLE_CANDIDATE_POSTINGS, admit_articles(query.allowed)
    )
    if not len(scores):
        return np.zeros(len(articles), np.float32)
    at = np.minimum(np.searchsorted(matched, articles), len(matched) - 1)
    return np.where(matched[at] == articles, scores[at] / (scores.max() or 1.0), 0.0)


def excerpt_window(index: Index, sentence: int) -> tuple[int, int]:
    """The sentence with its previous and next neighbours, as far as the excerpt stays
    short: the answer often sits beside the sentence that matches the question best. The
    previous one comes first when only one fits: it often names whom the match is about."""
    article = index.sent_article[sentence]
    lo = int(index.article_first[article])
    hi = int(index.article_first[article + 1]) - 1
    first = last = sentence

    def length(a: int, b: int) -> int:
        return int(index.sent_end[b] - index.sent_start[a])

    if sentence > lo and length(sentence - 1, sentence) <= MAX_EXCERPT_CHARS:
        first = sentence - 1
    if sentence < hi and length(first, sentence + 1) <= MAX_EXCERPT_CHARS:
        last = sentence + 1
    return first, last


def _days_from_question(query: Query, index: Index, articles: np.ndarray) -> list[int | None]:
    """Days each article was published outside the question's period (0 inside, None
    when either date is unknown)."""
    if query.period is None:
        return [None] * len(articles)
    days = index.article_day[articles]
    outside = query.period.days_outside(days).tolist()
    return [None if day == 0 else d for day, d in zip(days.tolist(), outside, strict=True)]
