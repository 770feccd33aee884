"""The engine end to end: real files in, cited answers out (no Discord)."""

from __future__ import annotations

import json
import time
from datetime import UTC, datetime

import pytest

from bench.gen_corpus import generate
from bot.answering.retrieve import MAX_EXCERPT_CHARS
from bot.engine import Engine
from bot.storage.store import ArticleStore
from tests.support import SAMPLES, SEED, engine_at


@pytest.fixture(scope="module")
def samples(tmp_path_factory) -> Engine:
    return engine_at(tmp_path_factory.mktemp("samples") / "db.json", SAMPLES)


def test_the_seed_question_cites_the_drastic_boost_sentence(tmp_path):
    engine = engine_at(tmp_path / "db.json", SEED)
    answer = engine.ask("What did Kim Jong Un call for?")
    assert answer.answered
    top = answer.excerpts[0]
    assert "drastic boost" in top.text
    assert top.citation.title == "Kim Calls for North Korea to Boost Missile Production: KCNA"
    assert top.citation.published.date().isoformat() == "2023-08-14"
    marked = {top.text[a:b].lower() for a, b in top.highlights}
    assert {"kim", "jong", "un"} <= marked


def test_the_seed_question_among_all_samples(samples):
    answer = samples.ask("What did Kim call for at the missile factory?")
    assert answer.answered
    assert any("boost" in e.text for e in answer.excerpts)
    cited = {e.citation.article_id for e in answer.excerpts}
    assert len(cited) == 2  # both North Korea articles, before a second excerpt of either
    assert not cited & {r.article_id for r in answer.related}


def test_related_links_are_similar_articles_that_were_not_cited(tmp_path):
    engine = engine_at(tmp_path / "db.json")
    lines = [
        f'{{"url": "https://example.com/z/{n}", "title": "Zorblat festival day {n}", '
        f'"published": "2024-02-0{n}", "source": "Test Wire", "text": "On day {n} the Zorblat '
        f'festival parade drew {n * 1000} visitors to the harbour, organisers said."}}'
        for n in range(1, 7)
    ]
    engine.load_bytes("\n".join(lines).encode(), "zorblat.jsonl")
    answer = engine.ask("How many visitors did the Zorblat festival parade draw?")
    cited = {e.citation.article_id for e in answer.excerpts}
    related = {r.article_id for r in answer.related}
    assert len(cited) == 3 and len(related) == 3 and not cited & related


def test_misspelled_question_still_finds_missile_production(samples):
    answer = samples.ask("mislle producton")
    assert answer.answered
    assert any("missile production" in e.text.lower() for e in answer.excerpts)


def test_absent_subject_gets_no_confident_answer(samples):
    answer = samples.ask("Who won the 1998 World Cup?")
    assert not answer.answered
    assert answer.excerpts == ()


@pytest.mark.parametrize("question", ["", "   ", "the of and what", "🙂🙂🙂", "\u200b\u200f"])
def test_questions_without_words_are_not_answered(samples, question):
    answer = samples.ask(question)
    assert not answer.answered and answer.excerpts == ()


def test_excerpts_are_short_sentences_not_paragraphs(samples):
    answer = samples.ask("What did the central bank decide about interest rates?")
    assert answer.answered
    assert all(len(e.text) <= MAX_EXCERPT_CHARS for e in answer.excerpts)
    assert all(e.text.count(". ") <= 3 for e in answer.excerpts)  # at most three sentences


def test_recent_is_newest_first_with_paging_and_filters(samples):
    first = samples.recent(page=1, per_page=4)
    assert first.total == len(samples.store) and first.pages == -(-first.total // 4)
    dates = [a.published for a in first.articles]
    assert dates == sorted(dates, reverse=True)
    second = samples.recent(page=2, per_page=4)
    assert not {a.id for a in first.articles} & {a.id for a in second.articles}
    kim = samples.recent(keyword="missile")
    assert kim.total >= 2 and all("missile" in a.text.lower() for a in kim.articles)
    since = datetime(2025, 1, 1, tzinfo=UTC)
    assert all(a.published >= since for a in samples.recent(since=since).articles)
    source = samples.recent(source="example herald")
    assert source.total >= 1 and all(a.source == "Example Herald" for a in source.articles)


def test_article_by_id_prefix_titles_and_related(samples):
    seed = next(a for a in samples.store.articles() if a.title.startswith("Kim Calls"))
    assert samples.article(seed.id) == seed
    assert samples.article(seed.id[:8]) == seed
    assert samples.article("nope") is None
    assert samples.find_titles("kim missle")[0].id == seed.id
    related = samples.related(seed.id)
    assert related and seed.id not in {r.article_id for r in related}
    assert "North Korea" in related[0].title


def test_loaded_article_becomes_answerable_and_removal_forgets_it(tmp_path):
    engine = engine_at(tmp_path / "db.json", SEED)
    assert not engine.ask("What colour is the Zorblat festival banner?").answered
    report = engine.load_bytes(
        b"Zorblat festival opens\nSource: Test Wire\nPublished: 2024-02-02\n\n"
        b"The Zorblat festival banner is bright orange this year, organisers said.",
        "zorblat.txt",
    )
    assert report.loaded == 1
    answer = engine.ask("What colour is the Zorblat festival banner?")
    assert answer.answered and "orange" in answer.excerpts[0].text
    assert engine.remove(report.article_ids[0])
    assert not engine.ask("What colour is the Zorblat festival banner?").answered


def test_a_running_engine_sees_another_writer_without_restart(tmp_path):
    db = tmp_path / "db.json"
    running = engine_at(db, SEED)
    assert running.stats().articles == 1
    Engine(ArticleStore(db)).load([SAMPLES])
    assert running.stats().articles == len(list(SAMPLES.glob("*.txt")))
    assert running.ask("Who won the Continental Cup final?").answered


def test_index_segments_are_reused_and_a_change_indexes_only_what_changed(
    tmp_path, monkeypatch
):
    db = tmp_path / "db.json"
    engine_at(db, SAMPLES).warm_up()
    assert (tmp_path / "db.json.index" / "segments.json").is_file()
    import bot.search.holder as holder

    built = []
    real = holder.build_segment
    monkeypatch.setattr(holder, "build_segment",
                        lambda arts, *a, **kw: built.append(len(arts)) or real(arts, *a, **kw))
    Engine(ArticleStore(db)).warm_up()
    assert built == []  # read from the segments
    other = Engine(ArticleStore(db))
    other.remove(other.store.articles()[0].id)
    other.warm_up()
    assert built == []  # a removal only marks the article dead
    other.load_bytes(json.dumps(next(generate(1, seed=3))).encode(), "one.jsonl")
    other.warm_up()
    assert built == [1]  # the new article alone


def test_the_bot_keeps_answering_from_the_old_index_while_another_load_is_indexed(tmp_path):
    db = tmp_path / "db.json"
    running = Engine(ArticleStore(db), serve_stale=True)
    running.load([SEED])
    Engine(ArticleStore(db)).load([SAMPLES])
    assert running.stats().articles == 1  # answered at once, from the previous index
    deadline = time.monotonic() + 60
    while running.stats().articles == 1 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert running.stats().articles == len(list(SAMPLES.glob("*.txt")))
    assert running.ask("Who won the Continental Cup final?").answered


def test_syndicated_copies_are_cited_once_with_the_outlet_count(tmp_path):
    engine = engine_at(tmp_path / "db.json")
    wire = (
        "The Lakeport harbour authority said on Monday that the new ferry terminal will open "
        "in June after three years of work, with room for twelve ferries and a covered "
        "market for local fishermen, and that tickets will cost the same as on the old "
        "route, officials said. The terminal cost 48 million dollars, paid by the region."
    )
    records = [
        {"url": f"https://example.com/{outlet}/ferry", "title": "Lakeport ferry terminal to open",
         "source": outlet, "published": "2024-05-06", "text": f"{outlet.upper()} - {wire}"}
        for outlet in ("herald", "times", "wire")
    ]
    records.append({"url": "https://example.com/other", "title": "Lakeport ferry fares",
                    "source": "post", "published": "2024-05-07",
                    "text": "Ferry fares in Lakeport will not change when the terminal opens."})
    engine.load_bytes("\n".join(json.dumps(r) for r in records).encode(), "wire.jsonl")
    assert len(engine.store) == 4
    answer = engine.ask("How much did the Lakeport ferry terminal cost?")
    assert answer.answered
    top = answer.excerpts[0]
    assert "48 million" in top.text and top.also_in == 2
    copies = {a.id for a in engine.store.articles() if a.title.endswith("to open")}
    cited = [e.citation.article_id for e in answer.excerpts]
    assert len(copies & set(cited)) == 1
    assert not copies & {r.article_id for r in answer.related}
