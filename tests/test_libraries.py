"""Libraries in the engine: each server's articles are its own, the shared ones everyone's."""

from __future__ import annotations

import json
import shutil
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.answering.query import Corrector, analyse
from bot.engine import Engine
from bot.models import Article
from bot.storage.documents import LIBRARY, article_to_doc
from bot.storage.store import ArticleStore
from tests.support import SEED, engine_at

A, B = "111", "222"  # two servers' libraries
FROG = "How many glass frogs did biologists count along the Orvane river?"


def frog_record(n: int = 0, url: str = "https://valley.example/frogs") -> dict:
    return {
        "url": url if n == 0 else f"{url}/{n}",
        "title": f"Glass frogs return to the Orvane valley {n or ''}".strip(),
        "source": "Valley Courier",
        "published": "2025-10-02",
        "text": f"Biologists counted {40 + n} glass frogs along the Orvane river this spring, "
        "the first sighting of the translucent amphibians in the valley since 1998.\n\n"
        f"The survey team, report {n}, credited years of replanting for the return.",
    }


def jsonl(*records: dict) -> bytes:
    return "\n".join(json.dumps(r) for r in records).encode()


def cited_ids(engine: Engine, question: str, library: str | None) -> set[str]:
    answer = engine.ask(question, library=library)
    return {e.citation.article_id for e in answer.excerpts} | {
        r.article_id for r in answer.related
    }


@pytest.fixture
def engine(tmp_path: Path) -> Engine:
    """The seed article shared; a frog story in server A's library."""
    engine = engine_at(tmp_path / "db.json", SEED)
    report = engine.load_bytes(jsonl(frog_record()), "frogs.jsonl", library=A)
    assert report.loaded == 1
    return engine


def frog_id(engine: Engine) -> str:
    [found] = engine.find_titles("Glass frogs", library=A)
    return found.id


def test_a_servers_article_is_answered_in_that_server_only(engine):
    answer = engine.ask(FROG, library=A)
    assert answer.answered and "40 glass frogs" in answer.excerpts[0].text
    for elsewhere in (B, None):
        answer = engine.ask(FROG, library=elsewhere)
        assert frog_id(engine) not in cited_ids(engine, FROG, elsewhere)
        assert not any("frog" in e.text.lower() for e in answer.excerpts)
    shared = engine.ask("What did Kim Jong Un call for?", library=A)
    assert shared.answered and "drastic boost" in shared.excerpts[0].text


def test_other_servers_articles_never_crowd_out_a_servers_own(tmp_path):
    """B holds far more matching articles than the first stage keeps as candidates: A's one
    article is still found, so the scoping is inside the search, not after it."""
    engine = engine_at(tmp_path / "db.json")
    crowd = [frog_record(n, "https://crowd.example/frogs") for n in range(1, 400)]
    engine.load_bytes(jsonl(*crowd), "crowd.jsonl", library=B)
    engine.load_bytes(jsonl(frog_record()), "frogs.jsonl", library=A)
    answer = engine.ask(FROG, library=A)
    assert answer.answered
    assert [e.citation.url for e in answer.excerpts] == ["https://valley.example/frogs"]
    assert answer.excerpts[0].also_in == 0  # B's copies of the story are not counted either
    assert engine.related(frog_id(engine), library=A) == ()
    assert not engine.ask(FROG).excerpts  # a direct message: the shared library alone


def test_words_only_another_servers_articles_hold_are_unknown_to_a_question(engine):
    """Nothing of A's library counts in B: its names are unknown there (the strongest
    sign that no article answers), and a misspelling is not corrected to them."""
    index = engine.index()
    corrector = Corrector(index)

    def analysed(question: str, library: str | None):
        return analyse(question, index, corrector, view=index.libraries.visible(library))

    assert analysed(FROG, A).unknown_names == frozenset()
    assert {"orvane"} <= analysed(FROG, B).unknown_names
    orvane = index.term_ids["orvan"]
    assert orvane in analysed("Glass frogs of the Orvanne?", A).term_weights  # corrected
    assert orvane not in analysed("Glass frogs of the Orvanne?", B).term_weights
    assert not engine.ask("How many glass frogs live by the Orvanne?", library=B).excerpts


def test_browsing_shows_only_the_readers_libraries(engine):
    frog = frog_id(engine)
    assert engine.article(frog, library=A) is not None
    assert engine.article(frog, library=B) is None and engine.article(frog) is None
    assert engine.article(frog[:8], library=B) is None  # nor by an id prefix
    assert engine.find_titles("Glass frogs", library=B) == []
    assert [a.id for a in engine.find_titles("", library=B)] == [
        a.id for a in engine.find_titles("")
    ]
    assert frog in {a.id for a in engine.recent(per_page=50, library=A).articles}
    assert engine.recent(per_page=50, library=B).total == engine.recent(per_page=50).total == 1
    seed = engine.find_titles("Kim missile")[0].id
    assert frog not in {r.article_id for r in engine.related(seed, library=B)}
    assert engine.related(frog, library=B) == ()


def test_remove_in_a_server_finds_only_its_own_articles(engine):
    frog = frog_id(engine)
    seed = engine.find_titles("Kim missile")[0].id
    assert not engine.remove(frog, library=B)
    assert not engine.remove(seed, library=A)  # shared: not A's to remove
    assert engine.article(frog, library=A) is not None and engine.article(seed) is not None
    assert engine.remove(frog, library=A)
    assert engine.article(frog, library=A) is None


def test_stats_count_the_servers_library_and_the_shared_one(engine):
    in_a, in_b, shared = engine.stats(A), engine.stats(B), engine.stats()
    assert (in_a.articles, in_a.own, in_a.shared) == (2, 1, 1)
    assert (in_b.articles, in_b.own, in_b.shared) == (1, 0, 1)
    assert in_b.sentences == shared.sentences < in_a.sentences
    assert in_b.db_bytes == 0 and not in_b.db_path and shared.db_bytes > 0
    assert engine.library_sizes() == {None: 1, A: 1}


def test_dedupe_is_per_library_and_a_shared_copy_is_a_duplicate(engine):
    again = engine.load_bytes(jsonl(frog_record()), "frogs.jsonl", library=B)
    assert again.loaded == 1  # the same URL in another server: its own copy
    assert engine.load_bytes(jsonl(frog_record()), "f.jsonl", library=A).duplicate == 1
    seed = engine.find_titles("Kim missile")[0]
    record = {"url": seed.url, "title": seed.title, "text": seed.text, "source": seed.source}
    assert engine.load_bytes(jsonl(record), "kim.jsonl", library=A).duplicate == 1
    reworded = dict(record, url="https://elsewhere.example/kim")  # same text, other URL
    assert engine.load_bytes(jsonl(reworded), "kim2.jsonl", library=A).duplicate == 1
    assert engine.library_sizes() == {None: 1, A: 1, B: 1}
    assert engine.remove(frog_id(engine), library=B)
    assert engine.article(frog_id(engine), library=A) is not None


def test_a_record_cannot_pick_its_library_unless_loaded_as_recorded(engine):
    record = dict(frog_record(7), library=B)
    assert engine.load_bytes(jsonl(record), "x.jsonl", library=A).loaded == 1
    assert engine.library_sizes() == {None: 1, A: 2}
    path = Path(engine.store.path).with_name("export.jsonl")
    path.write_bytes(jsonl(dict(frog_record(8), library=B)))
    assert engine.load([path], as_recorded=True).loaded == 1
    assert engine.library_sizes() == {None: 1, A: 2, B: 1}


def test_libraries_survive_a_restart_and_a_reindex(engine, tmp_path):
    frog = frog_id(engine)
    engine.store.close()
    shutil.rmtree(tmp_path / "db.json.index", ignore_errors=True)
    for _ in range(2):  # rebuilt, then read from the index cache
        reopened = Engine(ArticleStore(tmp_path / "db.json"))
        assert reopened.ask(FROG, library=A).answered
        assert frog not in cited_ids(reopened, FROG, B)
        assert reopened.article(frog, library=B) is None
        reopened.store.close()


def test_an_older_database_is_the_shared_library(tmp_path):
    """A database written before libraries: no article names one; all are shared."""
    frog = Article("frog-1", "https://valley.example/frogs", "Glass frogs return", "Courier",
                   None, (), frog_record()["text"], datetime(2025, 10, 2, tzinfo=UTC))
    doc = article_to_doc(frog, "fp-frog")
    assert LIBRARY not in doc
    (tmp_path / "old.json").write_text(json.dumps({"articles": {"1": doc}}))
    engine = Engine(ArticleStore(tmp_path / "old.json"))
    assert engine.library_sizes() == {None: 1}
    for library in (A, B, None):
        assert engine.ask(FROG, library=library).answered
        assert engine.article("frog-1", library=library) is not None
    assert not engine.remove("frog-1", library=A)
    assert engine.remove("frog-1")
