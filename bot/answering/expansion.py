"""Pseudo-relevance feedback: the question asked again with the rare words its best
stories share ("SNP leadership" brings "Yousaf"), to find passages that answer it in
words the question does not use.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import replace

import numpy as np

from bot.answering.query import Query
from bot.search.analysis import is_stopword, stem, words
from bot.search.index import Index

FEEDBACK_ARTICLES = 3  # the best-matching articles whose words expand the question
EXPANSION_TERMS = 10  # words added: the rarest of those the most of them hold
EXPANSION_WEIGHT = 0.3  # each added word's weight (the question's own weigh 1)


def best_first(scores: np.ndarray, k: int) -> np.ndarray:
    """Where the ``k`` best ``scores`` are, best first, ties in order: as a stable sort
    of them all would give, but only the few at least the k-th best sorted (a sort of a
    million articles' candidates took milliseconds)."""
    if len(scores) > k:
        few = np.flatnonzero(scores >= np.partition(scores, len(scores) - k)[len(scores) - k])
    else:
        few = np.arange(len(scores))
    return few[np.argsort(-scores[few], kind="stable")[:k]]


def expanded(query: Query, index: Index, articles: tuple[np.ndarray, np.ndarray]) -> Query:
    """``query`` with ``EXPANSION_TERMS`` words of its best ``articles`` (numbers and
    their scores, as ``Postings.score`` gives them) added at ``EXPANSION_WEIGHT``: words
    held by more of those articles and rarer in the archive first; words of a single
    article in the archive are left out (a typo or a one-off name cannot find others)."""
    docs, scores = articles
    postings = index.article_postings
    held: Counter[int] = Counter()
    for article in docs[best_first(scores, FEEDBACK_ARTICLES)].tolist():
        found = index.articles[article]
        distinct = set(words(f"{found.title} {found.text}"))  # each word stemmed once
        in_article = {index.term_ids.get(stem(word)) for word in distinct if not is_stopword(word)}
        held.update(in_article.difference(query.term_weights, (None,)))
    term_ids = np.fromiter(held.keys(), np.int64, len(held))
    counts = np.fromiter(held.values(), np.float64, len(held))
    df = postings.dfs(term_ids).astype(np.float64)
    idf = np.log1p((postings.seen() - df + 0.5) / (df + 0.5))  # as ``Postings.idf``, at once
    shared = df >= 2
    term_ids, score = term_ids[shared], (counts * idf)[shared]
    best = np.lexsort((term_ids, score))[::-1][:EXPANSION_TERMS]  # ties: the later term id
    weights = dict(query.term_weights)
    weights.update((int(term_id), EXPANSION_WEIGHT) for term_id in term_ids[best])
    return replace(query, term_weights=weights)
