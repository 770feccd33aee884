"""Retrieve and re-rank: BM25 picks candidate sentences, news-aware signals order them.

Signals (each measured on real news questions, see bench/quality.py):
- the article's own BM25 match (title counted extra) supports its sentences;
- a date prior: news questions are about recent events relative to when they are asked;
- novelty: an answer brings names and numbers the question does not already hold;
- question-shaped subheads ("How many ...?") match well and never answer;
- the excerpt window: the answer often sits in a sentence beside the best match.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

import numpy as np

from bot.engine.index import ARTICLE_CANDIDATE_POSTINGS, Index
from bot.engine.query import Query
from bot.engine.text import stem, words

CANDIDATES = 300  # BM25 candidates ordered by the cheap signals
RERANK = 60  # of those, how many get the text signals
ARTICLE_WEIGHT = 0.35  # share of the article-level match added to each sentence
QUESTION_PENALTY = 0.3  # multiplier for sentences that are themselves questions
NOVELTY_BONUS = 0.12  # per new name or number in the excerpt window (at most NOVELTY_CAP)
NOVELTY_CAP = 3
DATE_WINDOW_DAYS = (-3, 10)  # published from 10 days before to 3 days after the question
OUT_OF_WINDOW = 0.75
MAX_EXCERPT_CHARS = 500  # the window; the median excerpt stays well under 400
NUMBER = re.compile(r"\b\d[\d,.]*")
NAME = re.compile(r"(?<=\w[\s,;:(\"'“‘-])[A-Z][\w’'-]+")  # capitalised, not sentence-initial
NOVELTY = {"number": (NUMBER,), "name": (NAME,), "any": (NUMBER, NAME)}


@dataclass(frozen=True, slots=True)
class Hit:
    """A ranked excerpt: sentences ``first``..``last`` (inclusive) around ``sentence``."""

    sentence: int
    first: int
    last: int
    article: int
    score: float

    def text(self, index: Index) -> str:
        return index.articles[self.article].text[
            int(index.sent_start[self.first]) : int(index.sent_end[self.last])
        ]


def rank(query: Query, index: Index, limit: int = RERANK) -> list[Hit]:
    """Best excerpts for the query, best first; at most one per sentence.

    Cheap signals order all BM25 candidates; the costlier text signals (the excerpt
    window, novelty) are computed for the best ``limit`` only.
    """
    if not query.term_weights or index.n_sentences == 0:
        return []
    docs, scores = index.sentences.score(query.term_weights)
    docs, scores = _top(docs, scores, CANDIDATES)
    articles = index.sent_article[docs]
    support = _article_support(query, index, articles)
    subheads = np.fromiter(
        (index.articles[a].text[e - 1] == "?" for a, e in
         zip(articles.tolist(), index.sent_end[docs].tolist(), strict=True)),
        bool, len(docs),
    )
    scores = scores * (1 + ARTICLE_WEIGHT * support) * np.where(subheads, QUESTION_PENALTY, 1.0)
    scores = scores * _date_factors(query, index, articles)
    docs, scores = _top(docs, scores, limit)
    hits = [_hit(query, index, d, s) for d, s in zip(docs.tolist(), scores.tolist(), strict=True)]
    hits.sort(key=lambda h: -h.score)
    return hits


def _top(docs: np.ndarray, scores: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    if len(docs) <= k:
        return docs, scores
    best = np.argpartition(-scores, k)[:k]
    return docs[best], scores[best]


def _article_support(query: Query, index: Index, articles: np.ndarray) -> np.ndarray:
    """Each candidate's article-level match, as a share of the best article's."""
    matched, scores = index.article_postings.score(
        query.term_weights, ARTICLE_CANDIDATE_POSTINGS
    )
    if not len(scores):
        return np.zeros(len(articles), np.float32)
    at = np.minimum(np.searchsorted(matched, articles), len(matched) - 1)
    return np.where(matched[at] == articles, scores[at] / (scores.max() or 1.0), 0.0)


def _hit(query: Query, index: Index, sentence: int, score: float) -> Hit:
    first, last = excerpt_window(index, sentence)
    hit = Hit(sentence, first, last, int(index.sent_article[sentence]), score)
    novelty = min(_novel_count(query, hit.text(index)), NOVELTY_CAP)
    return replace(hit, score=score * (1 + NOVELTY_BONUS * novelty))


def excerpt_window(index: Index, sentence: int) -> tuple[int, int]:
    """The sentence with its next and previous neighbours, as far as the excerpt stays
    short: the answer often sits beside the sentence that matches the question best."""
    article = index.sent_article[sentence]
    lo = int(index.article_first[article])
    hi = int(index.article_first[article + 1]) - 1
    first = last = sentence

    def length(a: int, b: int) -> int:
        return int(index.sent_end[b] - index.sent_start[a])

    if sentence < hi and length(sentence, sentence + 1) <= MAX_EXCERPT_CHARS:
        last = sentence + 1
    if sentence > lo and length(sentence - 1, last) <= MAX_EXCERPT_CHARS:
        first = sentence - 1
    return first, last


def _date_factors(query: Query, index: Index, articles: np.ndarray) -> np.ndarray:
    """1 for articles published in the window around the question's date, else less."""
    if query.asked_at is None:
        return np.ones(len(articles))
    asked = query.asked_at.date()
    low, high = -DATE_WINDOW_DAYS[1], -DATE_WINDOW_DAYS[0]

    def factor(article: int) -> float:
        published = index.articles[article].published
        if published is None:
            return 1.0
        return 1.0 if low <= (published.date() - asked).days <= high else OUT_OF_WINDOW

    return np.fromiter(map(factor, articles.tolist()), float, len(articles))


def _novel_count(query: Query, window: str) -> int:
    """Names or numbers (as the question asks for) in the window that the question lacks."""
    found = {m for pattern in NOVELTY[query.answer_type] for m in pattern.findall(window)}
    return len({m for m in found if m.lower() not in query.asked_words})


def coverage(query: Query, text: str) -> float:
    """Share of the question's content words, weighted by rarity, that the text contains."""
    total = sum(query.importance.values())
    if not total:
        return 0.0
    present = {stem(w) for w in words(text)}
    return sum(v for term, v in query.importance.items() if term in present) / total
