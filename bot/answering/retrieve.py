"""First stage: BM25 picks candidate sentences, cheap signals order them, each gets its
excerpt window.

The signals: the sentence's BM25 match, its article's match (title counted extra), a date
prior (news questions are about recent events relative to when they are asked) and a
penalty for question-shaped subheads ("How many ...?"), which match well and never answer.
The last few places go to candidates of the question expanded by its best stories' words
(pseudo-relevance feedback, ``expansion``), found among the sentences of the stories the
expanded question matches best.
"""

from __future__ import annotations

import numpy as np

from bot.answering.expansion import expanded
from bot.answering.features import Candidate
from bot.answering.query import Query
from bot.search.index import Index
from bot.search.libraries import View
from bot.search.postings import ARTICLE_CANDIDATE_POSTINGS, ARTICLE_CANDIDATES, locate

CANDIDATES = 300  # BM25 candidates ordered by the cheap signals
RERANK = 40  # of those, how many go on to the learned re-ranker
FEEDBACK_CANDIDATES = 5  # of those, places for the expanded question's best (``expansion``)
FEEDBACK_POOL = 40  # the expanded question's best articles, whose sentences it is scored in
ARTICLE_WEIGHT = 0.35  # share of the article-level match added to each sentence
QUESTION_PENALTY = 0.3  # multiplier for sentences that are themselves questions
OUT_OF_WINDOW = 0.75  # multiplier for articles published outside the question's period
MAX_EXCERPT_CHARS = 450  # the sentence and its neighbours, as far as they fit


def first_stage(query: Query, index: Index, limit: int = RERANK) -> list[Candidate]:
    """The ``limit`` best BM25 candidates by the cheap signals, best first: the question's
    own best but ``FEEDBACK_CANDIDATES``, then the best of the question expanded by its
    best stories' words (``expansion``) not already among them. All are described by the
    question's own match: the added words find candidates, they do not rank them."""
    if not query.term_weights or index.n_sentences == 0:
        return []
    view = query.view  # the asker's libraries only
    article_spans = None if view is None else view.spans
    sentence_spans = None if view is None else view.sentence_spans(index.article_first)

    sentences = index.sentences.score(query.term_weights, spans=sentence_spans)
    articles = _article_matches(query, index, article_spans)
    chosen = _best(query, index, sentences, articles, limit)
    if len(chosen) and FEEDBACK_CANDIDATES:
        broader = expanded(query, index, articles)
        more = _best(broader, index, *_within_best_articles(broader, index, view), limit)
        reserved = min(FEEDBACK_CANDIDATES, limit // 2)
        own = chosen[: limit - reserved]
        added = more[~np.isin(more, own)][:reserved]
        chosen = np.r_[own, added]
    return _described(query, index, chosen, sentences, articles)


Matches = tuple[np.ndarray, np.ndarray]  # documents in increasing order, and their scores


def _within_best_articles(
    query: Query, index: Index, view: View | None
) -> tuple[Matches, Matches]:
    """The sentence and article matches of ``query`` with its sentences scored only within
    its ``FEEDBACK_POOL`` best articles: a second pass over every sentence cost as much as
    the first, and nearly every passage it added lies in those stories (on rtqa-dev, right
    windows among the 40 candidates: 0.461 of questions, 0.463 with the whole pass)."""
    articles = _article_matches(query, index, None if view is None else view.spans)
    pool = np.sort(top_k(*articles, FEEDBACK_POOL)[0])
    spans = None if view is None else view.sentence_spans(index.article_first)
    sentences = index.sentences.score_within(
        query.term_weights, _sentences_of(index, pool), spans
    )
    return sentences, articles


def _article_matches(query: Query, index: Index, spans: np.ndarray | None) -> Matches:
    return index.article_postings.score(
        query.term_weights, ARTICLE_CANDIDATE_POSTINGS, spans, ARTICLE_CANDIDATES)


def _sentences_of(index: Index, articles: np.ndarray) -> np.ndarray:
    """Every sentence of the sorted ``articles``, in increasing order."""
    first, end = index.article_first[articles], index.article_first[articles + 1]
    counts = end - first
    return (np.repeat(first - np.cumsum(counts) + counts, counts)
            + np.arange(int(counts.sum()))).astype(np.int64)


def _best(
    query: Query, index: Index, sentences: Matches, articles: Matches, limit: int
) -> np.ndarray:
    """The ``limit`` best sentences of ``CANDIDATES`` by BM25, by the cheap signals."""
    docs, bm25 = top_k(*sentences, CANDIDATES)
    scores = bm25 * _multiplier(query, index, docs, articles)
    best = top_k(np.arange(len(docs)), scores, limit)[0]
    return docs[best[np.argsort(-scores[best], kind="stable")]]


def _multiplier(query: Query, index: Index, docs: np.ndarray, articles: Matches) -> np.ndarray:
    """What the cheap signals make of each sentence's BM25 match."""
    in_article = index.sent_article[docs]
    days = _days_from_question(query, index, in_article)
    in_window = np.array([not d for d in days], bool)
    return ((1 + ARTICLE_WEIGHT * _article_support(articles, in_article))
            * np.where(index.sent_question[docs], QUESTION_PENALTY, 1.0)
            * np.where(in_window, 1.0, OUT_OF_WINDOW))


def _described(
    query: Query, index: Index, chosen: np.ndarray, sentences: Matches, articles: Matches
) -> list[Candidate]:
    """The ``chosen`` sentences as candidates, by the question's own ``sentences`` and
    ``articles`` matches (0 for a sentence it does not match)."""
    in_article = index.sent_article[chosen]
    support = _article_support(articles, in_article)
    days = _days_from_question(query, index, in_article)
    bm25 = _lookup(*sentences, chosen)
    return [
        Candidate(sentence, *excerpt_window(index, sentence), article, float(score),
                  float(share), day, bool(index.sent_question[sentence]))
        for sentence, article, score, share, day in zip(
            chosen.tolist(), in_article.tolist(), bm25.tolist(), support.tolist(), days,
            strict=True)
    ]


def _lookup(docs: np.ndarray, scores: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """The scores of the ``wanted`` documents among sorted ``docs``, 0 for those absent."""
    if not len(docs):
        return np.zeros(len(wanted), np.float32)
    at, found = locate(docs, wanted)
    return np.where(found, scores[at], 0.0)


def top_k(docs: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` best-scoring documents with their scores, in no particular order (a
    partition, not a sort: callers sort the few they keep)."""
    if len(docs) <= k:
        return docs, scores
    best = np.argpartition(-scores, k)[:k]
    return docs[best], scores[best]


def _article_support(articles: Matches, in_article: np.ndarray) -> np.ndarray:
    """Each candidate's article-level match, as a share of the best article's."""
    scores = articles[1]
    if not len(scores):
        return np.zeros(len(in_article), np.float32)
    return _lookup(*articles, in_article) / (scores.max() or 1.0)


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
