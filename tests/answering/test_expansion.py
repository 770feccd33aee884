"""Pseudo-relevance feedback: a passage that answers in words the question does not use,
found through the words the question's best stories share, and ranked by the question's
own words only."""

from __future__ import annotations

import numpy as np

from bot.answering.expansion import EXPANSION_WEIGHT, best_first, expanded
from bot.answering.query import Corrector, analyse
from bot.answering.retrieve import first_stage
from bot.search.postings import ARTICLE_CANDIDATE_POSTINGS
from tests.answering.test_ranking import loaded, record

QUESTION = "Which striker did the Harrowgate club sign?"
SIGNING = ("Harrowgate club signed a striker on Friday, its manager said. The striker, "
           "Quillon Brenner, joins from Ostvale.")
FAREWELL = "Brenner scored twice for Ostvale in his farewell match, fans cheered him."
# Other stories matching the question's common words, enough to fill the candidates.
FILLER = [record(f"post-club{n}", "2024-05-01",
                 f"The chess club number {n} met to sign up players for the autumn league.")
          for n in range(60)]


def archive(tmp_path):
    return loaded(tmp_path, [
        record("herald-signing", "2024-05-03", SIGNING),
        record("times-signing", "2024-05-03", SIGNING.replace("Friday", "Thursday")),
        record("gazette-farewell", "2024-05-04", FAREWELL),
        *FILLER,
    ])


def test_the_best_stories_rare_words_join_the_question_at_a_lower_weight(tmp_path):
    index = archive(tmp_path).index()
    query = analyse(QUESTION, index, Corrector(index))
    articles = index.article_postings.score(query.term_weights, ARTICLE_CANDIDATE_POSTINGS)
    broader = expanded(query, index, articles)
    added = {term for term, term_id in index.term_ids.items()
             if term_id in broader.term_weights and term_id not in query.term_weights}
    assert {"brenner", "ostval"} <= added
    assert "chess" not in added  # only the best stories' words
    assert all(broader.term_weights[index.term_ids[t]] == EXPANSION_WEIGHT for t in added)
    assert all(broader.term_weights[t] == w for t, w in query.term_weights.items())


def test_a_passage_sharing_no_word_with_the_question_becomes_a_candidate(tmp_path):
    index = archive(tmp_path).index()
    query = analyse(QUESTION, index, Corrector(index))
    candidates = first_stage(query, index)
    found = [c for c in candidates if index.sentence_text(c.sentence) == FAREWELL]
    assert len(found) == 1
    assert found[0].bm25 == 0.0  # described by the question's own words: it matches none
    assert len(candidates) == 40
    assert index.sentence_text(candidates[0].sentence) != FAREWELL  # added last, not first


def test_the_best_few_come_as_a_stable_sort_of_all_would_give_them():
    rng = np.random.default_rng(0)
    for n in (0, 1, 3, 50, 1000):
        for _ in range(50):
            scores = rng.integers(0, 5, n).astype(np.float32)  # many ties
            k = int(rng.integers(1, 6))
            assert np.array_equal(best_first(scores, k), np.argsort(-scores, kind="stable")[:k])
