"""BM25 postings: for each term, the documents holding it with their weights.

Built from term counts a part at a time (``TermMajor``), merged into compressed rows, and
scored by ``Postings.score``: rare terms pick the candidates, common ones add to them.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy import sparse

CANDIDATE_POSTINGS = 80_000  # postings read in full per question; the rest are looked up
ARTICLE_CANDIDATE_POSTINGS = 50_000  # the same for whole articles
# A common term's postings are scanned once when at most this many times the candidates;
# for longer lists, each candidate is looked up by binary search (log n cache misses).
SCAN_RATIO = 32


@dataclass(frozen=True, slots=True)
class Bm25:
    """BM25's parameters: term-frequency saturation ``k1`` and length normalisation ``b``."""

    k1: float = 1.0
    b: float = 0.75


# Weak length normalisation for sentences: a long sentence that matches usually carries
# the answer with it (README, "What moved answer quality"). The usual strength for articles.
SENTENCE_BM25 = Bm25(b=0.2)
ARTICLE_BM25 = Bm25(b=0.75)

_scratch = threading.local()


def locate(docs: np.ndarray, wanted: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Where each of ``wanted`` sits in the sorted, non-empty ``docs``, and whether it is
    there (a binary search per wanted document)."""
    at = np.minimum(np.searchsorted(docs, wanted), len(docs) - 1)
    return at, docs[at] == wanted


def _slots(n_docs: int) -> np.ndarray:
    """This thread's map from document to candidate number, -1 for every other document:
    a common term's postings are matched against the candidates in one pass (a binary
    search per candidate cost 20-40 ms a question at 100,000 articles)."""
    slots = getattr(_scratch, "slots", None)
    if slots is None or len(slots) < n_docs:
        slots = _scratch.slots = np.full(n_docs, -1, np.int32)
    return slots


@dataclass(frozen=True, slots=True)
class Postings:
    """BM25 weights in compressed rows: row t holds (document, weight) for every document
    containing term t."""

    indptr: np.ndarray
    docs: np.ndarray
    weights: np.ndarray
    n_docs: int

    @classmethod
    def from_parts(
        cls, parts: list[TermMajor], n_terms: int, lengths: np.ndarray, bm25: Bm25
    ) -> Postings:
        """BM25 postings from term counts built a part at a time (documents in order: the
        first part's documents come before the second's). Each part is freed once merged,
        so memory holds little more than the result (at 8 million sentences a term-major
        copy of the counts would take a gigabyte more).

        ``lengths``: every document's length (its terms, repeats counted), float32."""
        k1, b = bm25.k1, bm25.b
        n_docs = len(lengths)
        df = np.zeros(n_terms, np.int64)
        for part in parts:
            df[: part.n_terms] += np.diff(part.indptr)
        indptr = np.zeros(n_terms + 1, np.int64)
        np.cumsum(df, out=indptr[1:])
        avg = float(lengths.mean()) if n_docs and lengths.mean() > 0 else 1.0
        df32 = df.astype(np.float32)
        idf = np.log1p((n_docs - df32 + 0.5) / (df32 + 0.5)).astype(np.float32)
        norm = (k1 * (1 - b + b * lengths / avg)).astype(np.float32)
        docs = np.empty(int(indptr[-1]), np.int32)
        weights = np.empty(int(indptr[-1]), np.float32)
        free = indptr[:-1].copy()  # each term's next free slot
        while parts:
            part = parts.pop(0)
            counts = np.diff(part.indptr)
            at = np.repeat(free[: part.n_terms] - part.indptr[:-1], counts)
            at += np.arange(len(part.docs))
            docs[at] = part.docs
            tf = part.tf.astype(np.float32)
            denominator = norm[part.docs]
            denominator += tf
            tf *= k1 + 1
            tf /= denominator
            tf *= np.repeat(idf[: part.n_terms], counts)
            weights[at] = tf
            free[: part.n_terms] += counts
            del part, at, tf, denominator
        return cls(indptr, docs, weights, n_docs)

    def holds(self, term_id: int, docs: np.ndarray) -> np.ndarray:
        """Which of ``docs`` (document numbers) contain term ``term_id``."""
        term_docs = self._slice(term_id)[0]
        if not len(term_docs):
            return np.zeros(len(docs), bool)
        return locate(term_docs, docs)[1]

    def df(self, term_id: int) -> int:
        return int(self.indptr[term_id + 1] - self.indptr[term_id])

    def idf(self, term_id: int | None) -> float:
        """BM25 rarity of a term; ``None`` (a word the corpus lacks) is the rarest."""
        df = 0 if term_id is None else self.df(term_id)
        return float(np.log1p((self.n_docs - df + 0.5) / (df + 0.5)))

    def score(
        self,
        term_weights: dict[int, float],
        budget: int = CANDIDATE_POSTINGS,
        admit: Callable[[np.ndarray], np.ndarray] | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Documents matching the query's rarer terms, with their summed weighted BM25 scores.

        Rare terms pick the candidates (up to ``budget`` postings in all); common terms,
        whose posting lists grow with the archive, only add to candidates' scores. So a
        question costs about the same at 1,000 or 100,000 articles, and only documents
        matching nothing but common words are passed over. ``admit``: which documents
        may be candidates at all (the reader's libraries); the others are dropped before
        the common terms are looked up.
        """
        present = sorted((t for t in term_weights if self.df(t)), key=self.df)
        picking: list[int] = []
        total = 0
        for term in present:
            if picking and total + self.df(term) > budget:
                break
            picking.append(term)
            total += self.df(term)
        if not picking:
            return np.empty(0, np.int32), np.empty(0, np.float32)
        docs = np.concatenate([self._slice(t)[0] for t in picking])
        scores = np.concatenate([self._slice(t)[1] * np.float32(term_weights[t]) for t in picking])
        if admit is not None:
            shown = admit(docs)
            docs, scores = docs[shown], scores[shown]
        candidates, inverse = np.unique(docs, return_inverse=True)
        totals = np.bincount(inverse, weights=scores)
        common = present[len(picking) :]
        if common:
            slots = _slots(self.n_docs)
            slots[candidates] = np.arange(len(candidates), dtype=np.int32)
            try:
                for term in common:
                    term_docs, term_weights_ = self._slice(term)
                    if len(term_docs) > SCAN_RATIO * len(candidates):  # few candidates
                        at, found = locate(term_docs, candidates)
                        totals[found] += term_weights_[at[found]] * term_weights[term]
                    else:
                        slot = slots[term_docs]
                        found = slot >= 0
                        totals[slot[found]] += term_weights_[found] * term_weights[term]
            finally:
                slots[candidates] = -1
        return candidates, totals.astype(np.float32)

    def score_within(self, term_weights: dict[int, float], docs: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray]:
        """Like ``score``, but only over the sorted ``docs`` (a few known documents): those
        matching some term, with their summed weighted scores. Each term's postings are
        searched for them, none read in full."""
        totals = np.zeros(len(docs), np.float32)
        for term, weight in term_weights.items():
            term_docs, term_weights_ = self._slice(term)
            if len(term_docs):
                at, found = locate(term_docs, docs)
                totals[found] += term_weights_[at[found]] * np.float32(weight)
        matched = totals > 0
        return docs[matched], totals[matched]

    def _slice(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.indptr[term_id], self.indptr[term_id + 1]
        return self.docs[lo:hi], self.weights[lo:hi]


@dataclass(frozen=True, slots=True)
class TermMajor:
    """Term counts of a run of consecutive documents, by term: ``docs[indptr[t]:indptr[t+1]]``
    are the documents holding term ``t`` (numbered from 0 for the first document of all
    parts), ``tf`` their counts. Terms past ``n_terms`` appear in no document here."""

    indptr: np.ndarray
    docs: np.ndarray
    tf: np.ndarray

    @property
    def n_terms(self) -> int:
        return len(self.indptr) - 1

    @classmethod
    def of(cls, counts: sparse.csr_matrix, first_doc: int) -> TermMajor:
        """From documents x terms counts (duplicates summed) of documents ``first_doc``..."""
        by_term = counts.tocsc()
        by_term.sort_indices()
        docs = by_term.indices.astype(np.int32)
        docs += first_doc
        tf = np.minimum(by_term.data, np.iinfo(np.uint16).max).astype(np.uint16)
        return cls(by_term.indptr.astype(np.int64), docs, tf)
