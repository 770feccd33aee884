"""The index in segments: whatever the history of loads, removals, replacements and
merges, questions get the scores one index built over the live articles gives."""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np
import pytest

from bench.gen_corpus import generate
from bot.engine import Engine
from bot.search import holder as holder_module
from bot.search import merging
from bot.search.index import Index, build_index
from bot.storage.store import ArticleStore

QUESTIONS = ("What did the minister announce about the budget?",
             "How many people were evacuated after the flood?",
             "Who won the election in the capital?")


def engine(db: Path, **options) -> Engine:
    return Engine(ArticleStore(db), index_workers=0, **options)


def load(db: Path, records: list[dict], name: str = "batch.jsonl", **options) -> Engine:
    """A new process's engine loading ``records`` and indexing them, as `newsbot load` does."""
    loader = engine(db, **options)
    report = loader.load_bytes("\n".join(map(json.dumps, records)).encode(), name)
    assert not report.rejected
    loader.warm_up()
    return loader


def ranking(index: Index, terms: list[str]) -> dict[tuple[str, int], float]:
    """(article id, sentence start) -> BM25 score of every candidate for these terms."""
    weights = {index.term_ids[t]: 1.0 for t in terms if t in index.term_ids}
    docs, scores = index.sentences.score(weights, budget=10**9)
    return {
        (index.articles[int(index.sent_article[d])].id, int(index.sent_start[d])): float(s)
        for d, s in zip(docs.tolist(), scores.tolist(), strict=True)
    }


def assert_as_one_index(serving: Engine) -> None:
    """The engine's segmented index scores as one index built over the store's articles."""
    index = serving.index()
    whole = build_index(serving.store.articles())
    assert index.sentences.seen() == whole.sentences.seen()
    for terms in (["minist", "budget"], ["flood", "evacu"], ["elect", "capit", "won"]):
        got, want = ranking(index, terms), ranking(whole, terms)
        assert got.keys() == want.keys() and want
        np.testing.assert_allclose([got[k] for k in want], list(want.values()), rtol=1e-5)
    live = index.articles.numbers[index.articles.numbers >= 0]
    if np.any(np.diff(live) < 0):
        return  # numbered otherwise than the store: ties in BM25 may rank the other way
    for question in QUESTIONS:
        got, want = serving.ask(question), Engine(serving.store, cache_index=False).ask(question)
        assert [e.text for e in got.excerpts] == [e.text for e in want.excerpts]
        assert [e.score for e in got.excerpts] == pytest.approx([e.score for e in want.excerpts])


@pytest.fixture
def small_tiers(monkeypatch):
    """Merges after three segments, tiers from four articles: a test-sized archive merges."""
    monkeypatch.setattr(merging, "MERGE_FACTOR", 3)
    monkeypatch.setattr(merging, "TIER_ARTICLES", 4)


def remove(db: Path, records: list[dict]) -> None:
    editor = engine(db)
    for record in records:
        editor.remove(next(a.id for a in editor.store.articles() if a.url == record["url"]))


def edited(record: dict) -> dict:
    return {**record, "text": record["text"] + "\n\nThe flood forced the minister to act."}


def test_loads_removals_and_replacements_score_as_one_index(tmp_path, monkeypatch):
    db = tmp_path / "db.json"
    records = list(generate(90, seed=21))
    built = []
    real = holder_module.build_segment
    monkeypatch.setattr(holder_module, "build_segment",
                        lambda arts, *a, **kw: built.append(len(arts)) or real(arts, *a, **kw))
    for start, stop in ((0, 40), (40, 70), (70, 85), (85, 90)):  # each by its own process
        load(db, records[start:stop])
    assert built == [40, 30, 15, 5]  # each load indexed its own articles only
    remove(db, records[10:13])
    load(db, [edited(r) for r in records[50:53]], "edits.jsonl")  # replaced: same URL
    assert built[-1] == 3
    serving = engine(db)
    index = serving.index()
    assert built[-1] == 3 and len(index.segments) == 5  # a start reads the segments
    assert (index.articles.numbers < 0).sum() == 6  # removed and replaced: dead
    assert index.sentences.avg != index.segments[0].sentences.lengths.mean()
    assert_as_one_index(serving)


@pytest.mark.usefixtures("small_tiers")
def test_merges_keep_few_segments_and_the_same_scores(tmp_path):
    db = tmp_path / "db.json"
    records = list(generate(40, seed=22))
    for start in range(0, 40, 2):
        load(db, records[start : start + 2])
    remove(db, records[:20])  # most of the oldest segment's articles: dropped by a merge
    serving = load(db, [records[0]], "again.jsonl")  # its old version is live again
    index = serving.index()
    assert len(index.segments) <= 2 * merging.MERGE_FACTOR
    assert merging.due_merge(index.segments, index.live()) is None
    assert sum(s.n_articles for s in index.segments) == 21  # dead articles merged away
    assert_as_one_index(serving)


@pytest.mark.usefixtures("small_tiers")
def test_the_bot_merges_in_the_background(tmp_path):
    db = tmp_path / "db.json"
    records = list(generate(30, seed=23))
    load(db, records[:24])
    bot = engine(db, serve_stale=True)
    assert bot.ask(QUESTIONS[0]).question
    for start in range(24, 30, 2):  # polls: each indexed before load_bytes returns
        bot.load_bytes("\n".join(map(json.dumps, records[start : start + 2])).encode(), "p.jsonl")
        assert bot.stats().articles == start + 2
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        index = bot.index()
        if merging.due_merge(index.segments, index.live()) is None:
            break
        time.sleep(0.05)
    index = bot.index()
    assert len(index.segments) < 4
    assert_as_one_index(bot)


def test_a_damaged_segment_is_indexed_again(tmp_path, monkeypatch):
    db = tmp_path / "db.json"
    records = list(generate(20, seed=24))
    load(db, records[:10])
    load(db, records[10:])
    [first, _second] = sorted((tmp_path / "db.json.index").glob("seg-*"),
                              key=lambda p: p.stat().st_mtime)
    (first / "sentences.docs.npy").write_bytes(b"damaged")
    built = []
    real = holder_module.build_segment
    monkeypatch.setattr(holder_module, "build_segment",
                        lambda arts, *a, **kw: built.append(len(arts)) or real(arts, *a, **kw))
    serving = engine(db)
    whole = build_index(serving.store.articles())
    assert serving.index().sentences.seen() == whole.sentences.seen()
    assert built == [10]
    assert_as_one_index(serving)


def test_two_processes_adding_segments_lose_nothing(tmp_path):
    db = tmp_path / "db.json"
    records = list(generate(24, seed=25))
    first, second = engine(db), engine(db)
    for start in range(0, 24, 4):  # alternating writers, each with its own view of the files
        writer = first if start % 8 == 0 else second
        writer.load_bytes("\n".join(map(json.dumps, records[start : start + 4])).encode(), "x")
        writer.warm_up()
    index = engine(db).index()
    every = [key for segment in index.segments for key in segment.keys]
    live = [key for key, n in zip(every, index.articles.numbers.tolist(), strict=True) if n >= 0]
    assert len(live) == 24 == len(set(live))
    assert_as_one_index(engine(db))


def test_the_index_files_are_mapped_not_read_nor_copied(tmp_path):
    db = tmp_path / "db.json"
    records = list(generate(12, seed=26))
    load(db, records[:10])
    load(db, records[10:])
    index = engine(db).index()
    assert len(index.segments) == 2
    assert isinstance(index.segments[0].sentences.docs.base, np.memmap)
    for name in ("sent_article", "sent_start", "sent_end", "sent_question"):
        for part, segment in zip(getattr(index, name).parts, index.segments, strict=True):
            assert part is getattr(segment, name) and isinstance(part.base, np.memmap)


def test_segments_an_older_version_wrote_are_read_as_they_are(tmp_path, monkeypatch):
    """Its segments held BM25 weights baked for an average length, and that length in
    their meta.json: both are left unread, nothing is indexed again."""
    db = tmp_path / "db.json"
    records = list(generate(30, seed=29))
    load(db, records[:20])
    load(db, records[20:])
    for directory in (tmp_path / "db.json.index").glob("seg-*"):
        for kind in ("sentences", "articles"):
            tf = np.load(directory / f"{kind}.tf.npy")
            np.save(directory / f"{kind}.weights.npy", np.full(len(tf), 7.0, np.float32))
        meta = json.loads((directory / "meta.json").read_text())
        meta["avg"] = {"sentences": 3.0, "articles": 99.0}
        (directory / "meta.json").write_text(json.dumps(meta))
    built = []
    monkeypatch.setattr(holder_module, "build_segment", lambda *a, **kw: built.append(a))
    serving = engine(db)
    assert len(serving.index().segments) == 2 and not built
    monkeypatch.undo()  # the full build assert_as_one_index compares with
    assert_as_one_index(serving)


def test_no_segment_grows_past_the_cap(tmp_path, monkeypatch):
    """A bulk load is indexed as segments of at most the cap, each written before the next
    is built, and merges stop there."""
    for module in (holder_module, merging):
        monkeypatch.setattr(module, "MAX_SEGMENT_ARTICLES", 10)
    monkeypatch.setattr(merging, "MERGE_FACTOR", 2)
    monkeypatch.setattr(merging, "TIER_ARTICLES", 100)  # one tier for all of them
    db = tmp_path / "db.json"
    records = list(generate(31, seed=27))
    on_disk = []  # segments written when each is built: a large load holds one at a time
    real = holder_module.build_segment
    monkeypatch.setattr(holder_module, "build_segment", lambda *a, **kw: on_disk.append(
        len(list(tmp_path.glob("db.json.index/seg-*")))) or real(*a, **kw))
    serving = load(db, records[:25])
    assert on_disk == [0, 1, 2]
    assert [s.n_articles for s in serving.index().segments] == [10, 10, 5]
    serving = load(db, records[25:])  # 5 + 6 would pass the cap: no merge
    assert [s.n_articles for s in serving.index().segments] == [10, 10, 5, 6]
    assert_as_one_index(serving)


def test_a_one_article_segment_holds_rows_for_its_own_terms_only(tmp_path):
    """Not one per term of the archive: adding an article writes kilobytes, not megabytes."""
    db = tmp_path / "db.json"
    records = list(generate(41, seed=28))
    load(db, records[:40])
    index = load(db, records[40:]).index()
    big, small = index.segments
    assert len(small.sentences.terms) < len(big.sentences.terms) / 4
    assert small.sentences.terms[-1] >= big.sentences.terms[-1]  # new terms, ids after
    sizes = sorted(sum(f.stat().st_size for f in d.iterdir())
                   for d in (tmp_path / "db.json.index").glob("seg-*"))
    assert len(sizes) == 2 and sizes[0] < 64_000 < sizes[1]
