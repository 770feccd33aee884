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
from dataclasses import dataclass

import numpy as np

from bot.engine.index import Index
from bot.engine.query import Query
from bot.engine.text import stem, words

CANDIDATES = 300
ARTICLE_WEIGHT = 0.35  # share of the article-level match added to each sentence
QUESTION_PENALTY = 0.3  # multiplier for sentences that are themselves questions
NOVELTY_BONUS = 0.12  # per new name or number in the excerpt window (at most NOVELTY_CAP)
NOVELTY_CAP = 3
DATE_WINDOW_DAYS = (-3, 10)  # published from 10 days before to 3 days after the question
OUT_OF_WINDOW = 0.75
MAX_EXCERPT_CHARS = 600  # the window; the median excerpt stays near 340
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
    coverage: float  # share of the question's weighted terms found in the excerpt


def rank(query: Query, index: Index, limit: int = 50) -> list[Hit]:
    """Best excerpts for the query, best first; at most one per sentence."""
    if not query.term_weights or index.n_sentences == 0:
        return []
    docs, scores = index.sentences.score(query.term_weights)
    if len(docs) > CANDIDATES:
        top = np.argpartition(-scores, CANDIDATES)[:CANDIDATES]
        docs, scores = docs[top], scores[top]
    article_scores = _article_support(query, index)
    hits = [
        _hit(query, index, int(d), float(s), article_scores)
        for d, s in zip(docs.tolist(), scores.tolist(), strict=True)
    ]
    hits.sort(key=lambda h: -h.score)
    return hits[:limit]


def _article_support(query: Query, index: Index) -> dict[int, float]:
    articles, scores = index.article_postings.score(query.term_weights)
    if not len(scores):
        return {}
    best = float(scores.max()) or 1.0
    return dict(zip(articles.tolist(), (scores / best).tolist(), strict=False))


def _hit(query: Query, index: Index, sentence: int, bm25: float, support: dict) -> Hit:
    article = int(index.sent_article[sentence])
    first, last = excerpt_window(index, sentence)
    window = index.articles[article].text[
        int(index.sent_start[first]) : int(index.sent_end[last])
    ]
    score = bm25 * (1 + ARTICLE_WEIGHT * support.get(article, 0.0))
    if index.sentence_text(sentence).rstrip().endswith("?"):
        score *= QUESTION_PENALTY
    score *= _date_factor(query, index, article)
    score *= 1 + NOVELTY_BONUS * min(_novel_count(query, window), NOVELTY_CAP)
    return Hit(sentence, first, last, article, score, coverage(query, window))


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


def _date_factor(query: Query, index: Index, article: int) -> float:
    published = index.articles[article].published
    if query.asked_at is None or published is None:
        return 1.0
    days = (published.date() - query.asked_at.date()).days
    low, high = -DATE_WINDOW_DAYS[1], -DATE_WINDOW_DAYS[0]
    return 1.0 if low <= days <= high else OUT_OF_WINDOW


def _novel_count(query: Query, window: str) -> int:
    """Names or numbers (as the question asks for) in the window that the question lacks."""
    asked = {w.lower() for w in words(query.text)}
    found = {m for pattern in NOVELTY[query.answer_type] for m in pattern.findall(window)}
    return len({m for m in found if m.lower() not in asked})


def coverage(query: Query, text: str) -> float:
    """Share of the question's content words, weighted by rarity, that the text contains."""
    total = sum(query.importance.values())
    if not total:
        return 0.0
    present = {stem(w) for w in words(text)}
    return sum(v for term, v in query.importance.items() if term in present) / total
