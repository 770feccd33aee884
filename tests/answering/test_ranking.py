"""The re-ranker's signals on small hand-made archives: dates, answer types, subheads,
agreement between stories, and the confidence that decides when to abstain."""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.answering import features
from bot.answering.compose import answer_confidence, pick
from bot.answering.places import ANY_PLACE, COUNTRY, US_STATE, asked_places, new_places
from bot.answering.query import Corrector, analyse
from bot.answering.rank import Hit, rank
from bot.answering.retrieve import MAX_EXCERPT_CHARS, first_stage
from bot.answering.weights import CONFIDENCE, PASSAGE_WEIGHTS, WEIGHTS
from tests.support import engine_at


def loaded(tmp_path, records: list[dict]):
    engine = engine_at(tmp_path / "db.json")
    engine.load_bytes("\n".join(json.dumps(r) for r in records).encode(), "fixture.jsonl")
    return engine


def record(slug: str, published: str, text: str, title: str = "") -> dict:
    return {"url": f"https://example.com/{slug}", "title": title or slug.replace("-", " "),
            "source": slug.split("-")[0], "published": published, "text": text}


def test_every_feature_has_a_fitted_weight():
    assert set(WEIGHTS) == set(PASSAGE_WEIGHTS) == set(features.NAMES)
    assert set(CONFIDENCE) == {"best_score", "unknown_names", "best_coverage", "bias"}


def test_the_story_from_the_question_s_week_wins_over_an_older_one(tmp_path):
    engine = loaded(tmp_path, [
        record("herald-storm", "2023-01-02",
               "The Brindle river flooded the Elm quarter after the storm, officials said."),
        record("times-storm", "2024-03-04",
               "The Brindle river flooded the Oak quarter after the storm, officials said."),
    ])
    answer = engine.ask("Which quarter did the Brindle river flood after the storm?",
                        datetime(2024, 3, 6, tzinfo=UTC))
    assert answer.excerpts[0].citation.url.endswith("times-storm")
    answer = engine.ask("Which quarter did the Brindle river flood after the storm?",
                        datetime(2023, 1, 4, tzinfo=UTC))
    assert answer.excerpts[0].citation.url.endswith("herald-storm")


def test_a_how_many_question_prefers_the_sentence_with_a_new_number(tmp_path):
    engine = loaded(tmp_path, [record("post-marathon", "2024-04-10", (
        "How many runners finished the Quillby marathon this year?\n\n"
        + "The city closed streets around the park early in the morning. " * 4
        + "\n\nRunners finished the Quillby marathon in warm weather on Sunday. "
        + "Cafes along the route stayed open late for the crowds. " * 4
        + "\n\nIn all, 8,412 runners finished the Quillby marathon, a record."))])
    top = engine.ask("How many runners finished the Quillby marathon?").excerpts[0]
    assert "8,412" in top.text
    assert "?" not in top.text


def test_candidates_describe_votes_types_and_subheads(tmp_path):
    engine = loaded(tmp_path, [
        record("herald-prize", "2024-05-01",
               "The Ostrava prize for poetry went to Mirela Kovac, the jury said."),
        record("times-prize", "2024-05-01",
               "Poet Mirela Kovac received the Ostrava prize for poetry on Friday evening."),
        record("post-prize", "2024-05-01",
               "Who will win the Ostrava prize for poetry?\n\nThe shortlist had six poets."),
    ])
    index = engine.index()
    query = analyse("Who won the Ostrava prize for poetry?", index, Corrector(index))
    assert query.answer_type == "name"
    candidates = first_stage(query, index)
    rows = features.matrix(query, index, candidates)
    column = {name: rows[:, i] for i, name in enumerate(features.NAMES)}
    texts = [index.sentence_text(c.sentence) for c in candidates]
    kovac = [i for i, t in enumerate(texts) if "Kovac" in t]
    asked = [i for i, t in enumerate(texts) if t.endswith("?")]
    assert len(kovac) == 2 and asked
    assert all(column["votes_best"][i] >= 1 for i in kovac)  # the other story agrees
    assert all(column["new_names_asked"][i] >= 1 for i in kovac)
    assert all(column["is_question"][i] == 1 for i in asked)
    assert "Kovac" in index.sentence_text(rank(query, index)[0].sentence)


def test_confidence_is_a_probability_that_falls_for_unknown_names(tmp_path):
    text = "The Tamsin bridge reopened after repairs costing 9 million."
    engine = loaded(tmp_path, [record("herald-bridge", "2024-02-02", text)])
    index = engine.index()
    corrector = Corrector(index)
    known = analyse("When did the Tamsin bridge reopen?", index, corrector)
    unknown = analyse("When did the Tamsin bridge reopen for Zyxwvut Qwerty?", index, corrector)
    assert unknown.unknown_names
    best_known, best_unknown = rank(known, index)[0], rank(unknown, index)[0]
    assert 0.0 < answer_confidence(known, best_known, 1.0, 0.0) < 1.0
    assert answer_confidence(unknown, best_unknown, 1.0, 0.2) < answer_confidence(
        known, best_known, 1.0, 0.0)
    assert answer_confidence(known, best_known, 1.0, 0.6) == 0.0  # mostly unknown words
    # a story holding less of the question is less likely to answer it
    assert answer_confidence(known, best_known, 0.3, 0.0) < answer_confidence(
        known, best_known, 1.0, 0.0)


DAM_FILLER = " ".join(f"Crowds walked the valley road for hour {n} of the day." for n in range(8))
DAM_REPORT = (
    "The Varnley dam opened on Tuesday after a decade of delays, the water board said."
    f"\n\n{DAM_FILLER}\n\n"
    "Once full, the Varnley dam will hold 41 million cubic metres of water, the board said."
)
DAM_QUESTION = "How much water will the Varnley dam hold once it opened?"


def test_the_best_report_is_quoted_again_where_the_answer_sits_before_a_third_story(tmp_path):
    engine = loaded(tmp_path, [
        record("herald-dam", "2024-06-05", DAM_REPORT, "Varnley dam opens"),
        record("post-dam", "2024-06-05",
               "The Varnley dam board met to discuss how much water the dam will hold in summer."),
        record("times-dam", "2024-06-05",
               "Water from the Varnley dam will hold the valley through the summer, farmers hope."),
        record("courier-dam", "2024-06-05",
               "The Varnley dam opened to visitors, who asked how much water it will hold."),
    ])
    answer = engine.ask(DAM_QUESTION, datetime(2024, 6, 6, tzinfo=UTC))
    cited = [e.citation.url.rsplit("/", 1)[1] for e in answer.excerpts]
    assert len(cited) == 3 and cited.count("herald-dam") == 2  # two passages of the best
    assert len(set(cited) - {"herald-dam"}) == 1  # and one other story, not two
    assert any("41 million" in e.text for e in answer.excerpts)  # the answer, further down
    first, second = (e.text for e in answer.excerpts if e.citation.url.endswith("herald-dam"))
    assert not set(first.split(". ")) & set(second.split(". "))  # no sentence twice


def test_each_story_is_cited_under_one_article_and_a_wire_copy_never(tmp_path):
    engine = loaded(tmp_path, [
        record("herald-dam", "2024-06-05", DAM_REPORT, "Varnley dam opens"),
        # The same wire story, its opening words edited: another article, one story.
        record("wire-dam", "2024-06-05", DAM_REPORT.replace("Tuesday", "Monday", 1),
               "Varnley dam opens"),
        record("post-dam", "2024-06-05", "The Varnley council met to discuss the dam budget."),
        record("times-dam", "2024-06-05", "Water in the Varnley valley is scarce in summer."),
    ])
    answer = engine.ask(DAM_QUESTION, datetime(2024, 6, 6, tzinfo=UTC))
    copies = {"https://example.com/herald-dam", "https://example.com/wire-dam"}
    cited = [e.citation.url for e in answer.excerpts]
    assert len(copies & set(cited)) == 1  # one of the copies, never both
    assert all(e.also_in == 1 for e in answer.excerpts if e.citation.url in copies)


def test_a_second_passage_of_a_cited_report_fills_in_when_fewer_stories_match(tmp_path):
    engine = loaded(tmp_path, [
        record("herald-dam", "2024-06-05", DAM_REPORT, "Varnley dam opens"),
        record("post-dam", "2024-06-05", "The Varnley council met to discuss the dam budget."),
    ])
    answer = engine.ask(DAM_QUESTION, datetime(2024, 6, 6, tzinfo=UTC))
    cited = [e.citation.url for e in answer.excerpts]
    assert cited.count("https://example.com/herald-dam") == 2
    passages = [e.text for e in answer.excerpts if e.citation.url.endswith("herald-dam")]
    assert "41 million" in " ".join(passages)
    first, second = (set(text.split(". ")) for text in passages)
    assert not first & second  # two passages, no sentence shown twice


def test_the_previous_neighbour_joins_the_excerpt_first_when_only_one_fits(tmp_path):
    before = "Harriet Ollander, the harbour master of Quenby, spoke to reporters " * 2
    match = "She said the new Quenby lighthouse will shine its beam across the bay from May, " * 2
    after = "Fishing crews of the town have asked for a brighter light for many years now " * 3
    engine = loaded(tmp_path, [record("herald-light", "2024-04-02",
                                      f"{before}.\n\n{match}.\n\n{after}.")])
    assert len(before + match + after) > MAX_EXCERPT_CHARS
    [excerpt] = engine.ask("When will the Quenby lighthouse shine across the bay?").excerpts
    assert "Harriet Ollander" in excerpt.text and "Fishing crews" not in excerpt.text


def test_an_older_report_ranks_lower_the_further_it_lies_outside_the_question_s_period(tmp_path):
    text = "The Marrow canal reopened to barges after the lock repairs, the port said."
    engine = loaded(tmp_path, [record("herald-canal", "2024-03-04", text),
                               record("times-canal", "2023-12-01", text + " Later."),
                               record("post-canal", "2020-12-01", text + " Earlier.")])
    index = engine.index()
    query = analyse("When did the Marrow canal reopen to barges?", index, Corrector(index),
                    datetime(2024, 3, 6, tzinfo=UTC))
    candidates = first_stage(query, index)
    days = features.matrix(query, index, candidates)[:, features.NAMES.index("log_days_outside")]
    by_source = {index.articles[c.article].source: d for c, d in zip(candidates, days, strict=True)}
    assert by_source["herald"] == 0 < by_source["times"] < by_source["post"]
    order = [index.articles[h.article].source for h in rank(query, index)]
    assert order == ["herald", "times", "post"]


def test_a_which_country_question_prefers_the_passage_naming_a_new_country(tmp_path):
    engine = loaded(tmp_path, [
        record("herald-summit", "2024-05-02",
               "Delegates to the Velmora water summit met this week in Portugal, hosts said."),
        record("times-summit", "2024-05-02",
               "Delegates from Spain to the Velmora water summit met in the old harbour hall."),
    ])
    index = engine.index()
    question = "Delegates from Spain met at the Velmora water summit in which country?"
    query = analyse(question, index, Corrector(index))
    candidates = first_stage(query, index)
    place = features.matrix(query, index, candidates)[:, features.NAMES.index("new_place_asked")]
    sources = [index.articles[c.article].source for c in candidates]
    by_source = dict(zip(sources, place.tolist(), strict=True))
    assert by_source == {"herald": 1.0, "times": 0.0}  # Spain is asked, Portugal is new
    assert "Portugal" in engine.ask(question).excerpts[0].text
    other = analyse("Who met at the Velmora water summit?", index, Corrector(index))
    rows = features.matrix(other, index, first_stage(other, index))
    assert not rows[:, features.NAMES.index("new_place_asked")].any()


def test_places_asked_for_by_kind():
    assert asked_places("Which US state passed the law?") is US_STATE
    assert asked_places("What European country won?") is COUNTRY
    assert asked_places("Where did the storm hit?") is ANY_PLACE
    assert asked_places("Who won the race?") is None
    assert new_places(US_STATE, "From West Virginia to Texas.", "Did Texas vote?") == {
        "West Virginia"}


def _texts(hit: Hit) -> list[str]:
    """A distinct text for every passage."""
    return [hashlib.sha1(f"{hit.article}/{hit.sentence}".encode()).hexdigest()]


def test_pick_cites_each_story_once_and_quotes_the_best_story_again_before_a_third():
    story = {0: 7, 1: 8, 2: 7, 3: 9}.__getitem__  # article 2 is a syndicated copy of 0
    hits = [Hit(1, 0, 2, 0, 9.0, 9.0, 9.0), Hit(11, 10, 12, 2, 8.5, 8.5, 8.5),
            Hit(2, 1, 3, 0, 8.0, 8.0, 8.0), Hit(21, 20, 22, 0, 7.0, 7.0, 7.0),
            Hit(31, 30, 32, 0, 6.0, 6.0, 6.0), Hit(5, 4, 6, 1, 1.0, 1.0, 1.0),
            Hit(41, 40, 42, 3, 0.5, 0.5, 0.5)]
    # Story 7 at article 0, story 8, then article 0's best passage not overlapping its
    # first (sentence 2's window does): the copy (article 2) and story 9 are not quoted.
    chosen = pick(hits, story, _texts)
    assert [(h.article, h.sentence) for h in chosen] == [(0, 1), (0, 21), (1, 5)]
    single_passage = [h for h in hits if h.article != 0 or h.sentence == 1]
    assert [(h.article, h.sentence) for h in pick(single_passage, story, _texts)] == [
        (0, 1), (1, 5), (3, 41)]  # no other passage of article 0: the third story


def test_the_best_storys_second_passage_is_quoted_when_the_other_stories_are_not_shown():
    story = {0: 0, 1: 1}.__getitem__
    hits = [Hit(1, 0, 2, 0, 9.0, 9.0, 9.0), Hit(5, 4, 6, 1, 8.0, 8.0, 8.0),
            Hit(21, 20, 22, 0, 1.0, 1.0, 1.0)]
    chosen = pick(hits, story, _texts, shown=lambda hit: hit.article != 1)
    assert [(h.article, h.sentence) for h in chosen] == [(0, 1), (0, 21)]
    # The rule does not hold the lead story back, but it does hold back other stories.
    assert pick(hits, story, _texts, shown=lambda hit: False) == chosen


def test_pick_orders_stories_by_score_and_quotes_the_passage_the_passage_model_prefers():
    story = {0: 0, 1: 1, 2: 2}.__getitem__
    hits = [Hit(1, 0, 2, 0, 9.0, 1.0, 9.0), Hit(3, 2, 4, 1, 8.0, 5.0, 8.0),
            Hit(20, 19, 21, 0, 7.0, 4.0, 7.0), Hit(40, 39, 41, 2, 6.0, 6.0, 6.0),
            Hit(30, 29, 31, 1, 5.0, 2.0, 5.0)]
    chosen = pick(hits, story, _texts)
    # Article 0 leads (score 9) but is quoted at sentence 20, which answers better (4 > 1);
    # its other passage (sentence 1) comes before story 2, as scored as it is ranked.
    assert [(h.article, h.sentence) for h in chosen] == [(0, 20), (0, 1), (1, 3)]
    assert [h.score for h in chosen] == [9.0, 9.0, 8.0]  # the lead ranked as its story


def test_pick_never_quotes_the_same_sentence_twice_from_two_versions_of_a_report():
    story = {0: 0, 1: 1, 2: 2, 3: 3, 4: 4}.__getitem__  # 1 is an update of 0
    text = {0: "The dam opened on Tuesday, the board said.", 1: "The dam opened on tuesday "
            "- the board said", 2: "The dam opened on Monday, the board said.",
            3: "Council met.", 4: "Rain fell."}
    hits = [Hit(1, 0, 2, article, 9.0 - article, 1.0, 9.0 - article) for article in range(5)]
    chosen = pick(hits, story, lambda hit: [text[hit.article]])
    assert [h.article for h in chosen] == [0, 2, 3]  # another day is another fact


def test_an_updated_version_of_a_report_is_not_quoted_beside_the_first(tmp_path):
    update = DAM_REPORT.replace("after a decade of delays", "after ten years of delay", 1)
    engine = loaded(tmp_path, [
        record("herald-dam", "2024-06-05", DAM_REPORT, "Varnley dam opens"),
        record("herald-dam-update", "2024-06-05", update, "Varnley dam opens (updated)"),
        record("post-dam", "2024-06-05", "The Varnley council met to discuss the dam budget."),
        record("times-dam", "2024-06-05", "Water in the Varnley valley is scarce in summer."),
    ])
    answer = engine.ask(DAM_QUESTION, datetime(2024, 6, 6, tzinfo=UTC))
    texts = [e.text for e in answer.excerpts]
    assert sum("41 million" in text for text in texts) == 1
    cited = [e.citation.url.rsplit("/", 1)[1] for e in answer.excerpts]
    assert len({"herald-dam", "herald-dam-update"} & set(cited)) == 1


def test_pick_fills_no_place_with_another_passage_of_a_repeated_report():
    story = {0: 0, 1: 1}.__getitem__  # 1 is an update of 0, under another URL
    text = {(0, 1): "The dam opened on Tuesday.", (1, 1): "The dam opened on Tuesday.",
            (1, 9): "It opened after ten years of delay."}
    hits = [Hit(1, 0, 2, 0, 9.0, 2.0, 9.0), Hit(1, 0, 2, 1, 8.0, 2.0, 8.0),
            Hit(9, 8, 10, 1, 7.0, 1.0, 7.0)]
    chosen = pick(hits, story, lambda hit: [text[(hit.article, hit.sentence)]])
    assert [h.article for h in chosen] == [0]


def brightloop(tmp_path):
    return loaded(tmp_path, [
        record("herald-cuts", "2024-05-01",
               "Brightloop is cutting jobs at its Pellham plant, the union said.\n\n"
               "Workers at the Pellham plant gathered outside on a grey morning.\n\n"
               "Brightloop will cut 1,800 jobs at the Pellham plant by June."),
        record("times-cuts", "2024-05-01",
               "Brightloop cut 1,800 of its Pellham staff and promised new jobs later."),
    ])


def test_candidates_holding_the_kind_asked_and_a_count_of_what_is_counted(tmp_path):
    index = brightloop(tmp_path).index()
    query = analyse("How many jobs is Brightloop cutting at the Pellham plant?", index,
                    Corrector(index))
    candidates = first_stage(query, index)
    rows = features.matrix(query, index, candidates)
    column = {name: rows[:, i] for i, name in enumerate(features.NAMES)}
    windows = [index.sentence_text(c.first, c.last) for c in candidates]
    with_number = [i for i, text in enumerate(windows) if "1,800" in text]
    without = [i for i, text in enumerate(windows) if "1,800" not in text]
    assert with_number and without
    assert all(column["number_of_kind"][i] == 1 for i in with_number)
    assert all(column["number_of_kind"][i] == 0 for i in without)
    assert all(column["name_of_kind"] == 0) and all(column["date_of_kind"] == 0)
    counting = {i for i in with_number if "1,800 jobs" in windows[i]}
    assert counting and all(column["counts_asked"][i] == 1 for i in counting)
    assert all(column["counts_asked"][i] == 0 for i in set(range(len(windows))) - counting)


def test_only_a_question_asking_a_kind_is_ranked_by_it_and_the_confidence_never_is(tmp_path):
    index = brightloop(tmp_path).index()
    corrector = Corrector(index)
    how_many = analyse("How many jobs is Brightloop cutting at the Pellham plant?", index,
                       corrector)
    hits = rank(how_many, index)
    assert "1,800 jobs" in hits[0].text(index)
    counting = [hit for hit in hits if "1,800 jobs" in hit.text(index)]
    assert all(hit.score - hit.plain > 1.0 for hit in counting)  # the kind features count
    # "What about X?" asks for no kind: ranked by the weights fitted without those features
    topic = rank(analyse("What about the Brightloop jobs at Pellham?", index, corrector), index)
    assert topic and all(hit.score == pytest.approx(hit.plain) for hit in topic)
    # the confidence reads the score without them: the same however they raise the score
    best = max(hits, key=lambda hit: hit.plain)
    raised = replace(best, score=best.score + 10.0)
    assert answer_confidence(how_many, raised, 1.0, 0.0) == answer_confidence(
        how_many, best, 1.0, 0.0)
