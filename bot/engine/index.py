"""The in-memory search index: BM25 postings over sentences and over whole articles.

Built from the store's articles (tokenize -> index), queried by ``ranking`` (retrieve).
Sentences are kept as offsets into their article's text, so each text is held once.
"""

from __future__ import annotations

import threading
from array import array
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

from bot.engine.articles import Articles
from bot.engine.models import Article
from bot.engine.text import is_stopword, sentence_spans, stem, words

BM25_K1 = 1.0
# Length normalisation: weak for sentences (a long sentence that matches usually carries
# the answer with it; b=0.2 beat 0.75 by 3 points of hit@1 on news questions), the usual
# strength for whole articles.
SENTENCE_B = 0.2
ARTICLE_B = 0.75
TITLE_REPEAT = 3  # an article's title counts as this many copies of its words
CANDIDATE_POSTINGS = 80_000  # postings read in full per question; the rest are looked up
ARTICLE_CANDIDATE_POSTINGS = 50_000  # the same for whole articles
# A common term's postings are scanned once when at most this many times the candidates;
# for longer lists, each candidate is looked up by binary search (log n cache misses).
SCAN_RATIO = 32


_scratch = threading.local()


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
    def from_counts(cls, counts: sparse.csr_matrix, b: float, k1: float = BM25_K1):
        """``counts``: documents x terms term frequencies (float32 CSR, overwritten in place:
        at 8 million sentences every copy of it costs a gigabyte)."""
        n_docs = counts.shape[0]
        lengths = np.asarray(counts.sum(axis=1), np.float32).ravel()
        avg = float(lengths.mean()) if n_docs and lengths.mean() > 0 else 1.0
        df = np.bincount(counts.indices, minlength=counts.shape[1]).astype(np.float32)
        idf = np.log1p((n_docs - df + 0.5) / (df + 0.5)).astype(np.float32)
        norm = (k1 * (1 - b + b * lengths / avg)).astype(np.float32)
        tf = counts.data
        denominator = np.repeat(norm, np.diff(counts.indptr))
        denominator += tf
        tf *= k1 + 1
        tf /= denominator
        del denominator
        tf *= idf[counts.indices]
        by_term = counts.T.tocsr()
        by_term.sort_indices()
        return cls(
            by_term.indptr.astype(np.int64),
            by_term.indices.astype(np.int32, copy=False),
            by_term.data,
            n_docs,
        )

    def df(self, term_id: int) -> int:
        return int(self.indptr[term_id + 1] - self.indptr[term_id])

    def idf(self, term_id: int | None) -> float:
        """BM25 rarity of a term; ``None`` (a word the corpus lacks) is the rarest."""
        df = 0 if term_id is None else self.df(term_id)
        return float(np.log1p((self.n_docs - df + 0.5) / (df + 0.5)))

    def score(
        self, term_weights: dict[int, float], budget: int = CANDIDATE_POSTINGS
    ) -> tuple[np.ndarray, np.ndarray]:
        """Documents matching the query's rarer terms, with their summed weighted BM25 scores.

        Rare terms pick the candidates (up to ``budget`` postings in all); common terms,
        whose posting lists grow with the archive, only add to candidates' scores. So a
        question costs about the same at 1,000 or 100,000 articles, and only documents
        matching nothing but common words are passed over.
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
                        at = np.minimum(np.searchsorted(term_docs, candidates), len(term_docs) - 1)
                        found = term_docs[at] == candidates
                        totals[found] += term_weights_[at[found]] * term_weights[term]
                    else:
                        slot = slots[term_docs]
                        found = slot >= 0
                        totals[slot[found]] += term_weights_[found] * term_weights[term]
            finally:
                slots[candidates] = -1
        return candidates, totals.astype(np.float32)

    def _slice(self, term_id: int) -> tuple[np.ndarray, np.ndarray]:
        lo, hi = self.indptr[term_id], self.indptr[term_id + 1]
        return self.docs[lo:hi], self.weights[lo:hi]


@dataclass(frozen=True, slots=True, eq=False)
class Index:
    articles: Articles
    sent_article: np.ndarray  # sentence -> article number
    sent_start: np.ndarray  # sentence -> start offset in its article's text
    sent_end: np.ndarray
    article_first: np.ndarray  # article -> its first sentence number (and n_sentences at the end)
    article_story: np.ndarray  # article -> its story: syndicated copies share one number
    article_day: np.ndarray  # article -> publication date as a proleptic ordinal, 0 if unknown
    sent_question: np.ndarray  # sentence -> whether it ends with "?" (a subhead, usually)
    sentences: Postings
    article_postings: Postings
    term_ids: dict[str, int]
    vocabulary: dict[str, int]  # surface word -> corpus frequency, for typo correction

    @property
    def n_sentences(self) -> int:
        return len(self.sent_article)

    def sentence_text(self, first: int, last: int | None = None) -> str:
        """The text of sentence ``first``, or of sentences ``first``..``last`` of one article."""
        article = self.articles[int(self.sent_article[first])]
        end = first if last is None else last
        return article.text[int(self.sent_start[first]) : int(self.sent_end[end])]


def story_key(text: str) -> str:
    """Wire copies of one story under other URLs share their words past the opening
    (where datelines and credits differ): 50 words from the 11th on name the story."""
    found = words(text)
    return " ".join(found[10:60] if len(found) >= 30 else found)


def story_numbers(articles: Sequence[Article]) -> np.ndarray:
    numbers: dict[str, int] = {}
    return np.fromiter(
        (numbers.setdefault(story_key(a.text), len(numbers)) for a in articles),
        np.int32,
        len(articles),
    )


def build_index(articles: Articles) -> Index:
    term_ids: dict[str, int] = {}
    vocabulary: Counter[str] = Counter()
    word_term: dict[str, int] = {}  # surface word -> term id, so each word is stemmed once

    def ids_of(text: str) -> list[int]:
        found = words(text)
        for word in set(found).difference(word_term):
            word_term[word] = -1 if is_stopword(word) else term_ids.setdefault(
                stem(word), len(term_ids)
            )
        vocabulary.update(found)
        return [t for t in map(word_term.__getitem__, found) if t >= 0]

    # Compact C arrays, not lists of Python ints: 8 million sentences hold ~150 million terms.
    sent_ends, sent_cols = array("q", [0]), array("i")
    sent_article, starts, ends, article_first = array("i"), array("i"), array("i"), array("i")
    title_rows, title_cols = array("i"), array("i")
    article_day, sent_question = array("i"), array("b")
    for number, article in enumerate(articles):
        article_first.append(len(sent_article))
        article_day.append(article.published.toordinal() if article.published else 0)
        for start, end in sentence_spans(article.text):
            sent_cols.extend(ids_of(article.text[start:end]))
            sent_ends.append(len(sent_cols))
            sent_article.append(number)
            starts.append(start)
            ends.append(end)
            sent_question.append(article.text[end - 1] == "?")
        title_ids = ids_of(article.title)
        title_rows.extend([number] * len(title_ids) * TITLE_REPEAT)
        title_cols.extend(title_ids * TITLE_REPEAT)
    article_first.append(len(sent_article))

    n_terms = max(len(term_ids), 1)
    n_sent = len(sent_article)
    sent_counts = sparse.csr_matrix(
        (np.ones(len(sent_cols), np.float32), np.frombuffer(sent_cols, np.int32),
         np.frombuffer(sent_ends, np.int64)),
        shape=(n_sent, n_terms),
    )
    del sent_cols, sent_ends
    sent_counts.sum_duplicates()
    membership = sparse.csr_matrix(
        (np.ones(n_sent, np.float32), (np.frombuffer(sent_article, np.int32), np.arange(n_sent))),
        shape=(len(articles), n_sent),
    )
    titles = sparse.csr_matrix(
        (np.ones(len(title_rows), np.float32),
         (np.frombuffer(title_rows, np.int32), np.frombuffer(title_cols, np.int32))),
        shape=(len(articles), n_terms),
    )
    article_postings = Postings.from_counts(
        (membership @ sent_counts + titles).tocsr().astype(np.float32, copy=False), ARTICLE_B
    )
    del membership, titles
    return Index(
        articles=articles,
        sent_article=np.frombuffer(sent_article, np.int32),
        sent_start=np.frombuffer(starts, np.int32),
        sent_end=np.frombuffer(ends, np.int32),
        article_first=np.frombuffer(article_first, np.int32),
        article_story=story_numbers(articles),
        article_day=np.frombuffer(article_day, np.int32),
        sent_question=np.frombuffer(sent_question, np.int8).astype(bool),
        sentences=Postings.from_counts(sent_counts, SENTENCE_B),
        article_postings=article_postings,
        term_ids=term_ids,
        vocabulary={w: n for w, n in vocabulary.items() if word_term[w] >= 0},
    )
