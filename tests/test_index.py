"""BM25 postings: scoring candidates by scanning or by binary search gives the same sums."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import sparse

from bot.engine import index
from bot.engine.index import Postings


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
    monkeypatch.setattr(index, "SCAN_RATIO", scan_ratio)
    rng = np.random.default_rng(3)
    for _ in range(20):
        n_docs, n_terms = int(rng.integers(1, 400)), int(rng.integers(1, 30))
        density = rng.uniform(0.01, 0.5)
        counts = sparse.random(n_docs, n_terms, density, format="csr", dtype=np.float32,
                               random_state=rng)
        counts.data[:] = rng.integers(1, 4, len(counts.data))
        postings = Postings.from_counts(counts.copy(), b=0.5)
        weights = {int(t): float(rng.uniform(0.5, 2)) for t in rng.integers(0, n_terms, 4)}
        budget = int(rng.integers(1, n_docs + 2))
        docs, sums = postings.score(weights, budget)
        want_docs, want_sums = brute_force(counts, postings, weights, budget)
        np.testing.assert_array_equal(docs, want_docs)
        np.testing.assert_allclose(sums, want_sums, rtol=1e-5)
