"""BM25 postings: built a part at a time or at once, the same index; scoring candidates by
scanning or by binary search gives the same sums."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from bench.gen_corpus import generate
from bot.search import index as index_module
from bot.search import postings as postings_module
from bot.search.index import build_index
from bot.search.index_cache import load_or_build
from bot.search.postings import Bm25, Postings, TermMajor
from bot.search.token_cache import TokenCache
from tests.support import engine_at, write_jsonl


def brute_force(counts: sparse.csr_matrix, postings: Postings, weights: dict, budget: int):
    """The documents and sums ``score`` should give, from a dense matrix of BM25 weights."""
    dense = np.zeros(counts.shape, np.float32)
    for term in range(counts.shape[1]):
        docs, w = postings._slice(term)
        dense[docs, term] = w
    present = sorted((t for t in weights if postings.df(t)), key=postings.df)
    picking, total = [], 0
    for term in present:
        if picking and total + postings.df(term) > budget:
            break
        picking.append(term)
        total += postings.df(term)
    candidates = np.flatnonzero(dense[:, picking].any(axis=1))
    sums = sum(dense[candidates, t].astype(np.float64) * w for t, w in weights.items())
    return candidates, sums


@pytest.mark.parametrize("scan_ratio", [0, 32, 10**9], ids=["search", "mixed", "scan"])
def test_scan_and_binary_search_give_the_same_scores(monkeypatch, scan_ratio):
    monkeypatch.setattr(postings_module, "SCAN_RATIO", scan_ratio)
    rng = np.random.default_rng(3)
    for _ in range(20):
        n_docs, n_terms = int(rng.integers(1, 400)), int(rng.integers(1, 30))
        density = rng.uniform(0.01, 0.5)
        counts = sparse.random(n_docs, n_terms, density, format="csr", dtype=np.float32,
                               random_state=rng)
        counts.data[:] = rng.integers(1, 4, len(counts.data))
        lengths = np.asarray(counts.sum(axis=1), np.float32).ravel()
        postings = Postings.from_parts([TermMajor.of(counts, 0)], n_terms, lengths, Bm25(b=0.5))
        weights = {int(t): float(rng.uniform(0.5, 2)) for t in rng.integers(0, n_terms, 4)}
        budget = int(rng.integers(1, n_docs + 2))
        docs, sums = postings.score(weights, budget)
        want_docs, want_sums = brute_force(counts, postings, weights, budget)
        np.testing.assert_array_equal(docs, want_docs)
        np.testing.assert_allclose(sums, want_sums, rtol=1e-5)


def test_scoring_within_given_documents_sums_every_term_over_those_alone():
    rng = np.random.default_rng(5)
    for _ in range(20):
        n_docs, n_terms = int(rng.integers(1, 300)), int(rng.integers(1, 20))
        counts = sparse.random(n_docs, n_terms, rng.uniform(0.02, 0.5), format="csr",
                               dtype=np.float32, random_state=rng)
        counts.data[:] = rng.integers(1, 4, len(counts.data))
        lengths = np.asarray(counts.sum(axis=1), np.float32).ravel()
        postings = Postings.from_parts([TermMajor.of(counts, 0)], n_terms, lengths, Bm25())
        weights = {int(t): float(rng.uniform(0.2, 2)) for t in rng.integers(0, n_terms, 5)}
        within = np.unique(rng.integers(0, n_docs, int(rng.integers(1, n_docs + 1))))
        docs, sums = postings.score_within(weights, within)
        dense = np.zeros(counts.shape, np.float64)
        for term in range(n_terms):
            term_docs, w = postings._slice(term)
            dense[term_docs, term] = w
        want = sum(dense[within, t] * w for t, w in weights.items())
        np.testing.assert_array_equal(docs, within[want > 0])
        np.testing.assert_allclose(sums, want[want > 0], rtol=1e-5)


def assert_same_index(got, want) -> None:
    for name in ("sent_article", "sent_start", "sent_end", "article_first", "article_story",
                 "article_day", "sent_question"):
        np.testing.assert_array_equal(getattr(got, name), getattr(want, name))
    for name in ("sentences", "article_postings"):
        got_postings, want_postings = getattr(got, name), getattr(want, name)
        assert got_postings.n_docs == want_postings.n_docs
        for array in ("indptr", "docs", "weights"):
            np.testing.assert_array_equal(
                getattr(got_postings, array), getattr(want_postings, array)
            )
    assert got.term_ids == want.term_ids and got.vocabulary == want.vocabulary


def test_building_a_run_at_a_time_or_in_workers_gives_the_same_index(
    tmp_path, monkeypatch, caplog
):
    corpus = write_jsonl(tmp_path / "corpus.jsonl", generate(120, seed=4))
    articles = engine_at(tmp_path / "db.json", corpus).store.articles()
    whole = build_index(articles, part_articles=10**9)
    assert whole.n_sentences > 5_000 and len(whole.term_ids) > 1_000
    for part_articles in (1, 7, 50):
        assert_same_index(build_index(articles, part_articles=part_articles), whole)
    monkeypatch.setattr(index_module, "PARALLEL_MIN_ARTICLES", 100)
    assert_same_index(build_index(articles, part_articles=13, workers=2), whole)
    assert "worker" not in caplog.text  # built by the workers, not in this process after all


def test_bm25_weights_of_a_tiny_index():
    """Two documents, two terms, by hand: w = idf * tf (k1 + 1) / (tf + k1 (1 - b + b len/avg))."""
    counts = sparse.csr_matrix(np.array([[2, 0], [1, 1]], np.float32))
    lengths = np.array([2, 2], np.float32)
    postings = Postings.from_parts([TermMajor.of(counts, 0)], 2, lengths, Bm25(k1=1.0, b=0.75))
    idf0, idf1 = np.log1p(0.5 / 2.5), np.log1p(1.5 / 1.5)
    np.testing.assert_array_equal(postings.indptr, [0, 2, 3])
    np.testing.assert_array_equal(postings.docs, [0, 1, 1])
    np.testing.assert_allclose(postings.weights, [idf0 * 4 / 3, idf0, idf1], rtol=1e-6)


def test_a_rebuild_tokenizes_only_the_runs_that_changed(tmp_path, monkeypatch):
    corpus = write_jsonl(tmp_path / "corpus.jsonl", generate(45, seed=5))
    engine = engine_at(tmp_path / "db.json", corpus)
    cache = TokenCache(tmp_path / "tokens")
    tokenized = []
    real_tokenize = index_module.tokenize
    monkeypatch.setattr(index_module, "tokenize", lambda run: tokenized.append(len(run))
                        or real_tokenize(run))
    build_index(engine.store.articles(), part_articles=10, cache=cache)
    assert tokenized == [10, 10, 10, 10, 5]

    engine.load([write_jsonl(tmp_path / "one.jsonl", generate(46, seed=5))])  # one more
    tokenized.clear()
    articles = engine.store.articles()
    rebuilt = build_index(articles, part_articles=10, cache=cache)
    assert tokenized == [6]  # the last run only
    assert_same_index(rebuilt, build_index(articles, part_articles=10))
    assert len(list(cache.path.glob("*.npz"))) == 5  # the replaced run's tokens are gone

    next(cache.path.glob("*.npz")).write_bytes(b"damaged")
    tokenized.clear()
    assert_same_index(build_index(articles, part_articles=10, cache=cache), rebuilt)
    assert tokenized == [10] or tokenized == [6]  # the damaged run, tokenized again


def test_a_fresh_index_is_served_from_its_cache_files(tmp_path):
    """The built arrays (2 GB at 100,000 articles) are let go: only touched pages count."""
    corpus = write_jsonl(tmp_path / "corpus.jsonl", generate(20, seed=6))
    articles = engine_at(tmp_path / "db.json", corpus).store.articles()
    index = load_or_build(articles, "key", tmp_path / "db.json.index")
    assert isinstance(index.sentences.docs.base, np.memmap)
    assert_same_index(index, build_index(articles))
