"""BM25 postings: for each term, the documents holding it with its frequency in each.

Each index segment's postings (``SegmentPostings``) are built from term counts a part at a
time (``TermMajor``) into compressed rows holding each document's term frequency.
``Postings`` scores the segments of an index as one: rarity (idf) and the average length
are counted over them, and BM25's term-frequency weights computed for the postings a
question reads, so the scores are those of one index built over everything whatever the
segments' history. (Weights baked into the files would be out of date after every change
of the average length: re-baking a 100,000-article segment took seconds and 560 MB of
weights, and questions read few postings.) Rare terms pick the candidates, common ones
add to them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

import numpy as np
from scipy import sparse

CANDIDATE_POSTINGS = 80_000  # postings read in full per question; the rest are looked up
ARTICLE_CANDIDATE_POSTINGS = 50_000  # the same for whole articles
# Articles scored in full per question, at most: past that, those holding the most of the
# question's rarest terms (``Postings.score``): never in an archive of 20,000 or fewer.
ARTICLE_CANDIDATES = 20_000
# A common term's postings are scanned once when at most this many times the candidates;
# for longer lists, each candidate is looked up by binary search (log n cache misses, but
# the candidates are sorted: numpy's search starts from the last one's place). Measured:
# a lookup costs 3-6 scanned postings (22-78 ns against 6-28), not 32; at a million
# articles scoring the sentences took 60 ms a question with 4, 126 ms with 32.
SCAN_RATIO = 4
# When the rare terms pick too many candidates (even the rarest holds more than the
# budget: each of a million generated articles' words is in 10% of them or more), the
# candidates are the documents holding at least two of the question's this many rarest
# terms, not every one holding the rarest: at a million articles 2,000 sentences, not
# 186,000.
PAIRED_TERMS = 3
COUNT_RATIO = 8  # documents per posting read below which each document's terms are counted


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


def _held(piece: Piece, local: np.ndarray, first: int) -> tuple[np.ndarray, np.ndarray]:
    """Which of the candidates ``local`` (sorted, numbered within the piece's segment; the
    first is candidate ``first``) the piece holds, by candidate number, and where their
    postings sit in the segment's arrays: a binary search per candidate."""
    at, found = locate(piece.docs, local)
    return first + np.flatnonzero(found), piece.lo + at[found]


def _slots(n_docs: int) -> np.ndarray:
    """This thread's map from a segment's document to candidate number, -1 for every
    other document: a common term's postings are matched against the candidates in one
    pass (a binary search per candidate cost 20-40 ms a question at 100,000 articles).
    A segment's, not the index's: 4 bytes a sentence of the largest segment per thread
    answering, not of the archive (320 MB each at a million articles)."""
    slots = getattr(_scratch, "slots", None)
    if slots is None or len(slots) < n_docs:
        slots = _scratch.slots = np.full(n_docs, -1, np.int32)
    return slots


def _firsts(ordered: np.ndarray) -> np.ndarray:
    """Where in the sorted ``ordered`` each distinct value first appears."""
    first = np.empty(len(ordered), bool)
    first[:1] = True
    np.not_equal(ordered[1:], ordered[:-1], out=first[1:])
    return first


def _union(runs: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The distinct documents of ``runs`` (sorted runs one after another), and where each
    of ``runs`` sits in them: ``np.unique``'s, but a merge of the runs (a stable sort finds
    them), not a sort from scratch: 2-4 times as fast for the candidates' postings."""
    order = np.argsort(runs, kind="stable")
    ordered = runs[order]
    first = _firsts(ordered)
    inverse = np.empty(len(runs), np.intp)
    inverse[order] = np.cumsum(first) - 1
    return ordered[first], inverse


def _picking(present: list[int], df: dict[int, int], budget: int) -> list[int]:
    """The rarest of the ``present`` terms (rarest first) whose postings, together, fit
    within ``budget``; the rarest one whatever its postings."""
    picking: list[int] = []
    total = 0
    for term in present:
        if picking and total + df[term] > budget:
            break
        picking.append(term)
        total += df[term]
    return picking


def _need(at_least: np.ndarray, terms: int, most: int) -> int:
    """How many of ``terms`` terms a candidate must hold (two at least): the fewest
    that brings the candidates down to ``most``, or the most that some document holds
    (``at_least[n]``: how many documents hold n of them or more)."""
    need = 2
    while need < terms and at_least[need] > most and at_least[need + 1]:
        need += 1
    return need


def _idf(n_docs: int, df: int) -> float:
    return float(np.log1p((n_docs - df + 0.5) / (df + 0.5)))


def _span_docs(spans: np.ndarray) -> int:
    return int((spans[:, 1] - spans[:, 0]).sum())


@dataclass(frozen=True, slots=True)
class SegmentPostings:
    """One segment's postings in compressed rows, one per term it holds (``terms``, the
    archive's ids, in increasing order: a small segment has a few thousand rows, not one
    per term of the archive): row i holds every document of the segment containing term
    ``terms[i]`` (numbered within the segment) and its term frequency."""

    terms: np.ndarray  # int64
    indptr: np.ndarray  # int64, len(terms) + 1
    docs: np.ndarray  # int32
    tf: np.ndarray  # uint16
    lengths: np.ndarray  # float32: each document's terms, repeats counted

    @property
    def n_docs(self) -> int:
        return len(self.lengths)

    @classmethod
    def from_parts(
        cls, parts: list[TermMajor], n_terms: int, lengths: np.ndarray
    ) -> SegmentPostings:
        """Postings from term counts built a part at a time (documents in order: the first
        part's documents come before the second's). Each part is freed once merged, so
        memory holds little more than the result (at 8 million sentences a term-major copy
        of the counts would take a gigabyte more)."""
        df = np.zeros(n_terms, np.int64)
        for part in parts:
            df[: part.n_terms] += np.diff(part.indptr)
        indptr = np.zeros(n_terms + 1, np.int64)  # a row per term of the archive, at first
        np.cumsum(df, out=indptr[1:])
        docs = np.empty(int(indptr[-1]), np.int32)
        tf = np.empty(int(indptr[-1]), np.uint16)
        free = indptr[:-1].copy()  # each term's next free slot
        while parts:
            part = parts.pop(0)
            counts = np.diff(part.indptr)
            at = np.repeat(free[: part.n_terms] - part.indptr[:-1], counts)
            at += np.arange(len(part.docs))
            docs[at] = part.docs
            tf[at] = part.tf
            free[: part.n_terms] += counts
            del part, at
        terms = np.flatnonzero(df)
        return cls(terms, np.r_[indptr[terms], indptr[-1]], docs, tf, lengths)

    def row(self, term_id: int) -> tuple[int, int]:
        """Where term ``term_id``'s postings sit in ``docs`` (an empty range if none)."""
        at = int(np.searchsorted(self.terms, term_id))
        if at == len(self.terms) or self.terms[at] != term_id:
            return 0, 0
        return int(self.indptr[at]), int(self.indptr[at + 1])

    def kept(self, live: np.ndarray, first_doc: int) -> TermMajor:
        """The counts of the ``live`` documents, renumbered in order from ``first_doc``."""
        keep = live[self.docs]
        number = np.cumsum(live, dtype=np.int64) - 1 + first_doc
        n_terms = int(self.terms[-1]) + 1 if len(self.terms) else 0
        terms = np.repeat(self.terms, np.diff(self.indptr))[keep]
        indptr = np.zeros(n_terms + 1, np.int64)
        np.cumsum(np.bincount(terms, minlength=n_terms), out=indptr[1:])
        return TermMajor(indptr, number[self.docs[keep]].astype(np.int32), self.tf[keep])


def length_norms(lengths: np.ndarray, bm25: Bm25, avg: float) -> np.ndarray:
    """k1 (1 - b + b len / avg) of documents of ``lengths``: BM25's weight of a term in a
    document is tf (k1 + 1) / (tf + its norm) (float32)."""
    norms = lengths * np.float32(bm25.k1 * bm25.b / avg)
    norms += np.float32(bm25.k1 * (1 - bm25.b))
    return norms


def tf_weights(tf: np.ndarray, norms: np.ndarray, bm25: Bm25) -> np.ndarray:
    """BM25's term-frequency weights of counts ``tf`` in documents of ``norms``."""
    weights = tf.astype(np.float32)
    denominator = weights + norms
    weights *= np.float32(bm25.k1 + 1)
    weights /= denominator
    return weights


class Piece(NamedTuple):
    """A part of one term's postings: ``docs[lo:hi]`` of one segment, those within one
    span of documents the reader may see."""

    segment: int  # its number in the index
    lo: int
    hi: int
    docs: np.ndarray  # numbered within the segment


@dataclass(frozen=True, slots=True, eq=False)
class Postings:
    """An index's postings: its segments' documents numbered one segment after another.
    Scored with the statistics of the documents a reader may see (``spans``; the index's
    live documents when None): their number and each term's document frequency; lengths
    are normalised by the index's live average ``avg``."""

    segments: tuple[SegmentPostings, ...]
    bm25: Bm25
    avg: float
    live: np.ndarray | None  # the live documents' ranges [start, stop); None: all
    offsets: np.ndarray = field(init=False)  # each segment's first document, and the total
    _df: np.ndarray = field(init=False)  # term -> documents holding it, dead ones too

    def __post_init__(self) -> None:
        offsets = np.zeros(len(self.segments) + 1, np.int64)
        np.cumsum([s.n_docs for s in self.segments], out=offsets[1:])
        object.__setattr__(self, "offsets", offsets)
        df = np.zeros(max((int(s.terms[-1]) + 1 for s in self.segments if len(s.terms)),
                          default=0), np.int64)
        for segment in self.segments:
            df[segment.terms] += np.diff(segment.indptr)
        object.__setattr__(self, "_df", df)

    @property
    def n_docs(self) -> int:
        """Documents numbered, live or not."""
        return int(self.offsets[-1])

    def _spans(self, spans: np.ndarray | None) -> np.ndarray | None:
        return self.live if spans is None else spans

    def cut(self, spans: np.ndarray | None = None) -> list[np.ndarray | None]:
        """``spans`` (the live documents' for None) as each segment's own ranges, flat
        (start, stop, start, stop...): None for all of its documents, empty for none."""
        spans = self._spans(spans)
        if spans is None:
            return [None] * len(self.segments)
        cuts: list[np.ndarray | None] = []
        for number, segment in enumerate(self.segments):
            local = np.clip(spans - self.offsets[number], 0, segment.n_docs)
            local = local[local[:, 1] > local[:, 0]]
            whole = len(local) == 1 and local[0, 0] == 0 and local[0, 1] == segment.n_docs
            cuts.append(None if whole else local.ravel())
        return cuts

    def pieces(
        self, term_id: int, spans: np.ndarray | None = None,
        cuts: list[np.ndarray | None] | None = None,
    ) -> list[Piece]:
        """The term's postings within ``spans`` (the live documents for None; ``cuts``:
        the same as ``cut`` gives them, to reuse)."""
        found = []
        for number, (segment, local) in enumerate(
            zip(self.segments, cuts if cuts is not None else self.cut(spans), strict=True)
        ):
            if local is not None and not len(local):
                continue
            lo, hi = segment.row(term_id)
            if lo == hi:
                continue
            docs = segment.docs[lo:hi]
            if local is None:
                found.append(Piece(number, lo, hi, docs))
                continue
            bounds = np.searchsorted(docs, local).reshape(-1, 2)
            found.extend(Piece(number, lo + a, lo + b, docs[a:b])
                         for a, b in bounds.tolist() if b > a)
        return found

    def norms(self, docs: np.ndarray, bounds: np.ndarray) -> np.ndarray:
        """``length_norms`` of the sorted document numbers ``docs`` (``bounds``: where
        each segment's start in them)."""
        lengths = np.empty(len(docs), np.float32)
        for number, segment in enumerate(self.segments):
            lo, hi = bounds[number], bounds[number + 1]
            if hi > lo:
                lengths[lo:hi] = segment.lengths[docs[lo:hi] - self.offsets[number]]
        return length_norms(lengths, self.bm25, self.avg)

    def holds(self, term_id: int, docs: np.ndarray) -> np.ndarray:
        """Which of ``docs`` (document numbers) contain term ``term_id``."""
        held = np.zeros(len(docs), bool)
        for piece in self.pieces(term_id):  # each searched in place, numbered in its segment
            local = docs - self.offsets[piece.segment]
            inside = np.flatnonzero((local >= 0) & (local < self.segments[piece.segment].n_docs))
            if len(inside):
                held[inside[locate(piece.docs, local[inside])[1]]] = True
        return held

    def df(self, term_id: int, spans: np.ndarray | None = None) -> int:
        """How many documents hold the term (of those in ``spans``, as ``score`` takes them)."""
        if spans is None and self.live is None:
            return int(self._df[term_id]) if term_id < len(self._df) else 0
        return sum(p.hi - p.lo for p in self.pieces(term_id, spans))

    def dfs(self, term_ids: np.ndarray) -> np.ndarray:
        """``df`` of many terms at once (of the live documents)."""
        if self.live is not None:
            return np.array([self.df(int(t)) for t in term_ids], np.int64)
        known = term_ids < len(self._df)
        return np.where(known, self._df[np.where(known, term_ids, 0)], 0)

    def seen(self, spans: np.ndarray | None = None) -> int:
        """How many documents the statistics count."""
        spans = self._spans(spans)
        return self.n_docs if spans is None else _span_docs(spans)

    def idf(self, term_id: int | None, spans: np.ndarray | None = None) -> float:
        """BM25 rarity of a term; ``None`` (a word the corpus lacks) is the rarest."""
        return _idf(self.seen(spans), 0 if term_id is None else self.df(term_id, spans))

    def score(
        self,
        term_weights: dict[int, float],
        budget: int = CANDIDATE_POSTINGS,
        spans: np.ndarray | None = None,
        most: int | None = None,
    ) -> tuple[np.ndarray, np.ndarray]:
        """Documents matching the query's rarer terms, with their summed weighted BM25 scores.

        Rare terms pick the candidates (up to ``budget`` postings in all); common terms,
        whose posting lists grow with the archive, only add to candidates' scores. So a
        question costs about the same at 1,000 or 100,000 articles, and only documents
        matching nothing but common words are passed over. When the rare terms pick more
        than ``most`` candidates (``budget`` for None; so when even the rarest term holds
        more than that), the candidates are those holding the most of the
        ``PAIRED_TERMS`` rarest (``_held_by_most``): each candidate costs a look-up per
        term, and at a million articles every word of a question is common.

        ``spans``: the ranges [start, stop) of document numbers the reader may see (their
        libraries' live documents; None: every live one). Only those parts of each posting
        list are read, and rarity is counted within them: the scores are those of an index
        of those documents alone (but for the average length, the whole index's).
        """
        most = budget if most is None else most
        cuts = self.cut(spans)
        rows = {t: self.pieces(t, cuts=cuts) for t in term_weights}
        df = {t: sum(p.hi - p.lo for p in row) for t, row in rows.items()}
        seen = self.seen(spans)
        weight = {t: w * _idf(seen, df[t]) for t, w in term_weights.items() if df[t]}
        present = sorted(weight, key=df.__getitem__)
        if not present:
            return np.empty(0, np.int32), np.empty(0, np.float32)
        picking = _picking(present, df, budget)
        picked = [(p, weight[t]) for t in picking for p in rows[t]]
        union = None  # the picked documents, and where each posting's is among them
        if len(present) > 1 and sum(df[t] for t in picking) > most:  # perhaps too many
            if len(picking) > 1:  # one term's documents are as many as its postings
                union = _union(self._global_docs([p for p, _w in picked]))
            if union is None or len(union[0]) > most:
                paired = present[:PAIRED_TERMS]
                fewer = self._held_by_most([p for t in paired for p in rows[t]],
                                           len(paired), most)
                if len(fewer):
                    union, picked, picking = (fewer, None), [], []
        candidates, inverse = union or _union(self._global_docs([p for p, _w in picked]))
        adding = present[len(picking) :]
        bounds = np.searchsorted(candidates, self.offsets)
        norms = self.norms(candidates, bounds)  # each candidate's length read once
        if picked:
            tf = np.concatenate([self.segments[p.segment].tf[p.lo : p.hi] for p, _w in picked])
            scale = np.repeat(np.array([w for _p, w in picked], np.float32),
                              [p.hi - p.lo for p, _w in picked])
            totals = np.bincount(
                inverse, weights=tf_weights(tf, norms[inverse], self.bm25) * scale)
        else:
            totals = np.zeros(len(candidates), np.float64)
        common = [(p, weight[t]) for t in adding for p in rows[t]]
        for number, segment in enumerate(self.segments):
            lo, hi = bounds[number], bounds[number + 1]
            pieces = [(p, w) for p, w in common if p.segment == number]
            if hi == lo or not pieces:
                continue
            local = candidates[lo:hi] - np.int32(self.offsets[number])
            slots = _slots(segment.n_docs)
            slots[local] = np.arange(lo, hi, dtype=np.int32)
            try:
                for piece, term_weight in pieces:
                    self._add(totals, local, norms, lo, slots, piece, term_weight)
            finally:
                slots[local] = -1
        return candidates.astype(np.int32), totals.astype(np.float32)

    def _global_docs(self, pieces: list[Piece]) -> np.ndarray:
        """The documents of ``pieces``, numbered in the index, one piece after another."""
        return np.concatenate([p.docs + np.int32(self.offsets[p.segment]) for p in pieces])

    def _held_by_most(self, pieces: list[Piece], terms: int, most: int) -> np.ndarray:
        """The documents, in increasing order, that hold at least two of the ``terms``
        terms whose postings ``pieces`` are, or more: as many as brings them down to
        ``most`` (all of them at most; the most that some document holds)."""
        if self.n_docs <= COUNT_RATIO * sum(p.hi - p.lo for p in pieces):  # count each's
            held = np.zeros(self.n_docs, np.uint8)
            for piece in pieces:  # a piece holds a document once
                held[self.offsets[piece.segment] :][piece.docs] += 1
            distinct = None
        else:  # a merge of the sorted runs
            ordered = np.sort(self._global_docs(pieces), kind="stable")
            starts = np.flatnonzero(_firsts(ordered))
            held = np.diff(np.r_[starts, len(ordered)])  # how many of the terms each holds
            distinct = ordered[starts]
        at_least = np.cumsum(np.bincount(held, minlength=terms + 1)[::-1])[::-1]
        chosen = np.flatnonzero(held >= _need(at_least, terms, most))
        return chosen.astype(np.int32) if distinct is None else distinct[chosen]

    def score_within(
        self, term_weights: dict[int, float], docs: np.ndarray, spans: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Like ``score`` (rarity counted within ``spans``), but only over the sorted
        ``docs`` (a few known live documents): those matching some term, with their summed
        weighted scores. Each term's postings are searched for them, none read in full."""
        totals = np.zeros(len(docs), np.float32)
        bounds = np.searchsorted(docs, self.offsets)
        norms = self.norms(docs, bounds)
        seen = self.seen(spans)
        cuts = self.cut(spans)
        for term, weight in term_weights.items():
            pieces = self.pieces(term, cuts=cuts)
            df = sum(p.hi - p.lo for p in pieces)
            if not df:
                continue
            scaled = np.float32(weight * _idf(seen, df))
            for piece in pieces:
                lo, hi = bounds[piece.segment], bounds[piece.segment + 1]
                if lo == hi:
                    continue
                local = (docs[lo:hi] - self.offsets[piece.segment]).astype(np.int32)
                held, at = _held(piece, local, lo)
                tf = self.segments[piece.segment].tf[at]
                totals[held] += tf_weights(tf, norms[held], self.bm25) * scaled
        matched = totals > 0
        return docs[matched], totals[matched]

    def _add(
        self,
        totals: np.ndarray,
        local: np.ndarray,
        norms: np.ndarray,
        first: int,
        slots: np.ndarray,
        piece: Piece,
        weight: float,
    ) -> None:
        """Add a common term's weighted postings to the candidates holding it: those of
        the piece's segment are ``local`` (numbered within it), candidates ``first``...
        (``norms``: every candidate's; ``slots``: the segment's document -> candidate
        number, set for them)."""
        segment = self.segments[piece.segment]
        if len(piece.docs) > SCAN_RATIO * len(local):  # few candidates: look each up
            held, at = _held(piece, local, first)
        else:
            slot = slots[piece.docs]
            found = slot >= 0
            held, at = slot[found], piece.lo + np.flatnonzero(found)
        totals[held] += tf_weights(segment.tf[at], norms[held], self.bm25) * weight


def combined_avg(segments: Sequence[SegmentPostings], live: Sequence[np.ndarray | None]) -> float:
    """The average length of the live documents of ``segments`` (``live``: each one's
    mask, None for all), 1.0 for none."""
    total = count = 0.0
    for segment, mask in zip(segments, live, strict=True):
        lengths = segment.lengths if mask is None else segment.lengths[mask]
        total += float(lengths.sum(dtype=np.float64))
        count += len(lengths)
    return total / count if count and total > 0 else 1.0


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
