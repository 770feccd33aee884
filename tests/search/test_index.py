"""BM25 postings: built a part at a time or at once, the same index; scoring candidates by
scanning or by binary search gives the same sums; scoring within a reader's ranges gives
the scores of an index of those documents alone."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import sparse

from bench.gen_corpus import generate
from bot.search import postings as postings_module
from bot.search import segment as segment_module
from bot.search.index import build_index
from bot.search.postings import Bm25, Postings, SegmentPostings, TermMajor
from tests.support import engine_at, write_jsonl


def postings_of(counts: sparse.csr_matrix, bm25: Bm25 | None = None) -> Postings:
    bm25 = bm25 or Bm25()
    lengths = np.asarray(counts.sum(axis=1), np.float32).ravel()
    avg = float(lengths.mean()) if lengths.mean() > 0 else 1.0
    segment = SegmentPostings.from_parts([TermMajor.of(counts, 0)], counts.shape[1], lengths)
    return Postings((segment,), bm25, avg, None)


def brute_force(
    counts: sparse.csr_matrix, postings: Postings, weights: dict, budget: int,
    most: int | None = None,
):
    """The documents and sums ``score`` should give, from a dense matrix of BM25 weights:
    tf (k1 + 1) / (tf + k1 (1 - b + b len / avg)) idf."""
    most = budget if most is None else most
    k1, b = postings.bm25.k1, postings.bm25.b
    tf = counts.toarray().astype(np.float64)
    lengths = tf.sum(axis=1, keepdims=True)
    norms = k1 * (1 - b + b * lengths / postings.avg)
    idf = np.array([postings.idf(term) for term in range(counts.shape[1])])
    dense = tf * (k1 + 1) / (tf + norms) * idf
    present = sorted((t for t in weights if postings.df(t)), key=postings.df)
    picking, total = [], 0
    for term in present:
        if picking and total + postings.df(term) > budget:
            break
        picking.append(term)
        total += postings.df(term)
    candidates = np.flatnonzero(dense[:, picking].any(axis=1))
    if len(candidates) > most and len(present) > 1:  # those holding most of the rarest
        paired = present[:postings_module.PAIRED_TERMS]
        held = (dense[:, paired] > 0).sum(axis=1)
        need = 2
        while need < len(paired) and (held >= need).sum() > most and (held > need).any():
            need += 1
        if (held >= need).any():
            candidates = np.flatnonzero(held >= need)
    sums = sum(dense[candidates, t].astype(np.float64) * w for t, w in weights.items())
    return candidates, sums


def random_counts(rng: np.random.Generator) -> sparse.csr_matrix:
    n_docs, n_terms = int(rng.integers(1, 400)), int(rng.integers(1, 30))
    counts = sparse.random(n_docs, n_terms, rng.uniform(0.01, 0.5), format="csr",
                           dtype=np.float32, random_state=rng)
    counts.data[:] = rng.integers(1, 4, len(counts.data))
    return counts


@pytest.mark.parametrize("count_ratio", [0, 10**9], ids=["merged", "counted"])
@pytest.mark.parametrize("scan_ratio", [0, 32, 10**9], ids=["search", "mixed", "scan"])
def test_scan_and_binary_search_give_the_same_scores(monkeypatch, scan_ratio, count_ratio):
    monkeypatch.setattr(postings_module, "SCAN_RATIO", scan_ratio)
    monkeypatch.setattr(postings_module, "COUNT_RATIO", count_ratio)  # _held_by_most's ways
    rng = np.random.default_rng(3)
    for _ in range(20):
        counts = random_counts(rng)
        postings = postings_of(counts, Bm25(b=0.5))
        n_terms = counts.shape[1]
        weights = {int(t): float(rng.uniform(0.5, 2)) for t in rng.integers(0, n_terms, 4)}
        budget = int(rng.integers(1, counts.shape[0] + 2))
        most = int(rng.integers(1, budget + 1))
        docs, sums = postings.score(weights, budget)
        want_docs, want_sums = brute_force(counts, postings, weights, budget)
        np.testing.assert_array_equal(docs, want_docs)
        np.testing.assert_allclose(sums, want_sums, rtol=1e-5)
        docs, sums = postings.score(weights, budget, most=most)
        want_docs, want_sums = brute_force(counts, postings, weights, budget, most)
        np.testing.assert_array_equal(docs, want_docs)
        np.testing.assert_allclose(sums, want_sums, rtol=1e-5)


@pytest.mark.parametrize("scan_ratio", [0, 10**9], ids=["search", "scan"])
def test_scores_within_spans_are_those_of_an_index_of_those_documents(monkeypatch, scan_ratio):
    """A reader's libraries are ranges of document numbers: scoring within them reads
    nothing else and counts rarity among them alone (every document here has the same
    length, so the average length BM25 normalises by is the same too)."""
    monkeypatch.setattr(postings_module, "SCAN_RATIO", scan_ratio)
    rng = np.random.default_rng(5)
    for _ in range(20):
        n_docs, n_terms = int(rng.integers(10, 300)), int(rng.integers(2, 25))
        terms = rng.integers(0, n_terms, (n_docs, 6))  # six terms a document, repeats too
        rows = np.repeat(np.arange(n_docs), 6)
        counts = sparse.csr_matrix((np.ones(rows.size, np.float32), (rows, terms.ravel())),
                                   shape=(n_docs, n_terms))
        counts.sum_duplicates()
        cuts = np.sort(rng.choice(np.arange(1, n_docs), 3, replace=False))
        spans = np.array([[0, cuts[0]], [cuts[1], cuts[2]]])
        seen = np.r_[0 : cuts[0], cuts[1] : cuts[2]]
        weights = {int(t): float(rng.uniform(0.5, 2)) for t in rng.integers(0, n_terms, 4)}
        budget = int(rng.integers(1, n_docs))
        docs, sums = postings_of(counts).score(weights, budget, spans)
        alone_docs, alone_sums = postings_of(counts[seen]).score(weights, budget)
        np.testing.assert_array_equal(docs, seen[alone_docs])
        np.testing.assert_allclose(sums, alone_sums, rtol=1e-5)


def test_scores_of_segments_are_those_of_one_segment_of_all_their_documents(monkeypatch):
    """The documents cut into segments at random, each built alone: the same candidates
    and scores, the average length and rarity counted over all of them."""
    rng = np.random.default_rng(11)
    for _ in range(20):
        counts = random_counts(rng)
        whole = postings_of(counts, Bm25(b=0.75))
        cuts = np.unique(rng.integers(0, counts.shape[0] + 1, 3)).tolist()
        parts = [counts[lo:hi] for lo, hi in zip([0, *cuts], [*cuts, counts.shape[0]],
                                                  strict=True) if hi > lo]
        split = Postings(tuple(postings_of(p).segments[0] for p in parts), Bm25(b=0.75),
                         whole.avg, None)
        weights = {int(t): 1.0 for t in rng.integers(0, counts.shape[1], 4)}
        for ratio in (0, 10**9):
            monkeypatch.setattr(postings_module, "SCAN_RATIO", ratio)
            budget = int(rng.integers(1, counts.shape[0] + 2))
            want, got = whole.score(weights, budget), split.score(weights, budget)
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_allclose(got[1], want[1], rtol=1e-5)
            docs = np.sort(rng.choice(counts.shape[0], min(5, counts.shape[0]), replace=False))
            want, got = whole.score_within(weights, docs), split.score_within(weights, docs)
            np.testing.assert_array_equal(got[0], want[0])
            np.testing.assert_allclose(got[1], want[1], rtol=1e-5)


def assert_same_segment(got, want) -> None:
    for name in ("sent_article", "sent_start", "sent_end", "article_first", "sent_question",
                 "stories"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
    for name in ("sentences", "articles"):
        got_postings, want_postings = getattr(got, name), getattr(want, name)
        for array in ("indptr", "docs", "tf", "lengths"):
            np.testing.assert_array_equal(
                getattr(got_postings, array), getattr(want_postings, array)
            )
    assert got.keys == want.keys and got.words == want.words


def test_building_a_run_at_a_time_or_in_workers_gives_the_same_index(
    tmp_path, monkeypatch, caplog
):
    corpus = write_jsonl(tmp_path / "corpus.jsonl", generate(120, seed=4))
    articles = engine_at(tmp_path / "db.json", corpus).store.articles()
    whole = build_index(articles, part_articles=10**9)
    assert whole.n_sentences > 5_000 and len(whole.term_ids) > 1_000
    for part_articles in (1, 7, 50):
        index = build_index(articles, part_articles=part_articles)
        assert_same_segment(index.segments[0], whole.segments[0])
        assert index.term_ids == whole.term_ids
    monkeypatch.setattr(segment_module, "PARALLEL_MIN_ARTICLES", 100)
    assert_same_segment(build_index(articles, part_articles=13, workers=2).segments[0],
                        whole.segments[0])
    assert "worker" not in caplog.text  # built by the workers, not in this process after all


def test_bm25_of_a_tiny_index():
    """Two documents, two terms, by hand: w = idf * tf (k1 + 1) / (tf + k1 (1 - b + b len/avg))."""
    counts = sparse.csr_matrix(np.array([[2, 0], [1, 1]], np.float32))
    postings = postings_of(counts, Bm25(k1=1.0, b=0.75))
    [segment] = postings.segments
    np.testing.assert_array_equal(segment.indptr, [0, 2, 3])
    np.testing.assert_array_equal(segment.docs, [0, 1, 1])
    np.testing.assert_array_equal(segment.tf, [2, 1, 1])
    idf0, idf1 = np.log1p(0.5 / 2.5), np.log1p(1.5 / 1.5)
    docs, scores = postings.score({0: 1.0, 1: 2.0})
    np.testing.assert_array_equal(docs, [0, 1])
    np.testing.assert_allclose(scores, [idf0 * 4 / 3, idf0 + 2 * idf1], rtol=1e-6)


def test_each_librarys_new_articles_are_numbered_together(tmp_path):
    """Articles of two servers loaded in turns: a reader's libraries are a few ranges."""
    engine = engine_at(tmp_path / "db.json", write_jsonl(tmp_path / "shared.jsonl",
                                                         generate(12, seed=8)))
    stories = list(generate(30, seed=9))
    for _turn in range(3):  # A, B, A, B, ...: interleaved in the store
        for library in ("A", "B"):
            batch = stories[:4]
            del stories[:4]
            engine.load_bytes("\n".join(map(json.dumps, batch)).encode(), "x.jsonl", library)
    articles = engine.store.articles().by_library()
    assert [h.library for h in articles.headers()] == [None] * 12 + ["A"] * 12 + ["B"] * 12
    index = build_index(articles)
    assert index.libraries.visible("A").spans.tolist() == [[0, 24]]
    assert index.libraries.visible("B").spans.tolist() == [[0, 12], [24, 36]]


def test_when_every_term_is_common_candidates_hold_most_of_the_rarest_three():
    # Terms 0-2 are the rarest: document 0 holds the three, 1-3 two of them, 4-11 one
    # only; term 3, held by every document, is the most common.
    holders = {0: [0, 1, 2, 6, 7], 1: [0, 1, 3, 4, 8, 9], 2: [0, 2, 3, 5, 10, 11]}
    rows, cols = zip(*((d, t) for t, docs in holders.items() for d in docs), strict=True)
    counts = sparse.csr_matrix((np.ones(len(rows), np.float32), (rows, cols)), shape=(12, 4))
    counts = counts + sparse.csr_matrix(np.c_[np.zeros((12, 3)), np.ones(12)])
    postings = postings_of(counts)
    weights = {0: 1.0, 1: 1.0, 2: 1.0, 3: 1.0}
    docs, sums = postings.score(weights, budget=3)  # the rarest term alone holds 5
    assert docs.tolist() == [0]  # four hold two of them, more than 3: the one holding all
    docs, sums = postings.score(weights, budget=4)
    assert docs.tolist() == [0, 1, 2, 3]
    full = dict(zip(*postings.score(weights, budget=10**9), strict=True))
    np.testing.assert_allclose(sums, [full[d] for d in range(4)], rtol=1e-6)
    docs, _ = postings.score(weights, budget=5)  # within the budget: as before
    assert docs.tolist() == [0, 1, 2, 6, 7]


def test_scoring_within_known_documents_gives_their_full_scores():
    rng = np.random.default_rng(13)
    for _ in range(20):
        counts = random_counts(rng)
        postings = postings_of(counts)
        n_docs, n_terms = counts.shape
        weights = {int(t): float(rng.uniform(0.5, 2)) for t in rng.integers(0, n_terms, 4)}
        everywhere = dict(zip(*postings.score(weights, budget=10**9), strict=True))
        docs = np.sort(rng.choice(n_docs, min(n_docs, 10), replace=False))
        got_docs, got = postings.score_within(weights, docs)
        assert got_docs.tolist() == [d for d in docs.tolist() if d in everywhere]
        np.testing.assert_allclose(got, [everywhere[d] for d in got_docs.tolist()], rtol=1e-5)
        terms = np.arange(n_terms + 3)
        want = [postings.df(int(t)) for t in terms[:n_terms]] + [0] * 3
        assert postings.dfs(terms).tolist() == want
