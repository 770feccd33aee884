"""The database snapshot: opening without parsing the JSON, never from a stale or damaged
copy, kept up to date by every write, and answers identical with or without it."""

from __future__ import annotations

import json
import marshal
import os
import shutil
import subprocess
import sys
import tracemalloc
from dataclasses import replace
from pathlib import Path

import orjson
import pytest

from bench.gen_corpus import generate
from bot.engine import Engine
from bot.models import LoadReport
from bot.storage import json_storage, snapshot
from bot.storage.atomic import StorageError
from bot.storage.changelog import log_path
from bot.storage.documents import article_to_doc
from bot.storage.snapshot import META, snapshot_path
from bot.storage.store import ArticleStore
from tests.storage.test_store import article
from tests.support import PROJECT_DIR, SAMPLES, engine_at, write_jsonl

QUESTIONS = [
    "What did Kim say about missile production?",
    "Who won the election?",
    "How many people were affected?",
]


def blob_of(db: Path) -> Path:
    meta = orjson.loads((snapshot_path(db) / META).read_bytes())
    return snapshot_path(db) / meta["blob"]


def tables_of(db: Path) -> Path:
    meta = orjson.loads((snapshot_path(db) / META).read_bytes())
    return snapshot_path(db) / meta["tables_file"]


@pytest.fixture
def rewrite_every_write(monkeypatch):
    """Every write rewrites the file (and so the snapshot) instead of appending to its log."""
    monkeypatch.setattr(json_storage, "COMPACT_MIN", 0)
    monkeypatch.setattr(json_storage, "COMPACT_RATIO", 0)


def parsed(db: Path) -> list:
    """The articles as the JSON file and its log hold them, read without any snapshot."""
    copy = db.parent / "parsed" / db.name
    copy.parent.mkdir(exist_ok=True)
    shutil.copyfile(db, copy)
    if log_path(db).exists():
        shutil.copyfile(log_path(db), log_path(copy))
    articles = list(ArticleStore(copy).articles())
    shutil.rmtree(copy.parent)
    return articles


def test_opening_reads_the_snapshot_not_the_json(tmp_path):
    db = tmp_path / "db.json"
    ArticleStore(db).save([article(1), article(2)], LoadReport())
    before = os.stat(db)
    # Same inode, size and modification time, different bytes: only a store that trusts
    # the snapshot (and never parses the file) still opens it.
    with db.open("r+b") as file:
        file.write(b"#" * before.st_size)
    os.utime(db, ns=(before.st_atime_ns, before.st_mtime_ns))
    assert list(ArticleStore(db).articles()) == [article(1), article(2)]


@pytest.mark.parametrize("version", [3, 4])
def test_a_snapshot_of_a_previous_version_opens_without_parsing_the_json(tmp_path, version):
    """Version 3 named each text's span as a JSON list (version 4 packs them), both kept
    the tables in meta.json (version 5 marshals them to a file of their own): a database
    snapshotted by a previous release still opens from its snapshot, which it rewrites in
    the new format (the blob kept)."""
    db = tmp_path / "db.json"
    ArticleStore(db).save([article(1), article(2)], LoadReport())
    meta_path = snapshot_path(db) / META
    meta = orjson.loads(meta_path.read_bytes())
    assert meta["version"] == 5 and isinstance(meta["spans"], str)
    tables_file = snapshot_path(db) / meta.pop("tables_file")
    meta["tables"] = marshal.loads(tables_file.read_bytes())
    del meta["tables_bytes"], meta["tables_crc"]
    tables_file.unlink()
    meta["version"] = version
    spans = snapshot._unpacked(meta["spans"])
    if version == 3:
        meta["spans"] = {doc_id: list(span) for doc_id, span in spans.items()}
    meta_path.write_bytes(orjson.dumps(meta))
    before = os.stat(db)
    with db.open("r+b") as file:  # as above: only a store reading the snapshot opens it
        file.write(b"#" * before.st_size)
    os.utime(db, ns=(before.st_atime_ns, before.st_mtime_ns))
    blob = blob_of(db)
    assert list(ArticleStore(db).articles()) == [article(1), article(2)]
    upgraded = orjson.loads(meta_path.read_bytes())
    assert upgraded["version"] == 5 and blob_of(db) == blob and "tables" not in upgraded
    assert snapshot._unpacked(upgraded["spans"]) == spans
    assert list(ArticleStore(db).articles()) == [article(1), article(2)]  # from version 5


def test_answers_are_identical_with_and_without_the_snapshot(tmp_path):
    db = tmp_path / "db.json"
    engine_at(db, SAMPLES).store.update_records("feeds", lambda rows: [{"url": "u"}])
    with_snapshot = Engine(ArticleStore(db))
    answers = [with_snapshot.ask(q) for q in QUESTIONS]
    articles = list(with_snapshot.store.articles())
    shutil.rmtree(snapshot_path(db))
    without = Engine(ArticleStore(db))  # parses the JSON, then writes a new snapshot
    assert [without.ask(q) for q in QUESTIONS] == answers
    assert list(without.store.articles()) == articles == parsed(db)
    assert without.store.records("feeds") == with_snapshot.store.records("feeds") == [{"url": "u"}]
    assert (snapshot_path(db) / META).exists()
    assert [Engine(ArticleStore(db)).ask(q) for q in QUESTIONS] == answers


def _edit_json(db: Path, change: str) -> None:
    """Another program rewrites the database (atomically, as ours would), knowing nothing
    of the snapshot."""
    code = (
        "import json, os, sys; db = sys.argv[1]; data = json.load(open(db)); "
        f"{change}; json.dump(data, open(db + '.tmp', 'w')); os.replace(db + '.tmp', db)"
    )
    subprocess.run([sys.executable, "-c", code, str(db)], check=True)


def test_a_change_by_another_program_is_seen_and_the_snapshot_rebuilt(tmp_path):
    db = tmp_path / "db.json"
    store = ArticleStore(db)
    store.save([article(1), article(2)], LoadReport())
    _edit_json(db, "data['articles']['2']['text'] = 'Rewritten elsewhere.'")
    assert store.refresh() is True
    assert store.get("id0002").text == "Rewritten elsewhere."
    assert ArticleStore(db).get("id0002").text == "Rewritten elsewhere."
    meta = orjson.loads((snapshot_path(db) / META).read_bytes())
    assert tuple(meta["signature"]) == (os.stat(db).st_ino, os.stat(db).st_size,
                                        os.stat(db).st_mtime_ns)


def test_a_load_in_another_process_is_seen_by_a_running_engine(tmp_path):
    db = tmp_path / "db.json"
    engine = engine_at(db, SAMPLES)
    before = engine.stats().articles
    corpus = write_jsonl(tmp_path / "more.jsonl", generate(30, seed=5))
    subprocess.run([sys.executable, "-m", "bot.cli", "load", "--db", str(db), str(corpus)],
                   cwd=PROJECT_DIR, check=True, capture_output=True,
                   env={**os.environ, "NEWSBOT_DB": ""})
    assert engine.stats().articles == before + 30
    assert list(engine.store.articles()) == parsed(db)


DAMAGE = {
    "garbage meta": lambda db: (snapshot_path(db) / META).write_bytes(b"{not json"),
    "empty meta": lambda db: (snapshot_path(db) / META).write_bytes(b""),
    "truncated blob": lambda db: os.truncate(blob_of(db), blob_of(db).stat().st_size // 2),
    "missing blob": lambda db: blob_of(db).unlink(),
    "not UTF-8": lambda db: blob_of(db).write_bytes(b"\xff" * blob_of(db).stat().st_size),
    "missing tables": lambda db: tables_of(db).unlink(),
    "damaged tables": lambda db: tables_of(db).write_bytes(
        bytes(b ^ 0x55 for b in tables_of(db).read_bytes())),
    "meta of another file": lambda db: (snapshot_path(db) / META).write_bytes(
        orjson.dumps({**orjson.loads((snapshot_path(db) / META).read_bytes()),
                      "signature": [1, 2, 3]})),
}


@pytest.mark.parametrize("damage", DAMAGE.values(), ids=DAMAGE.keys())
def test_a_damaged_or_stale_snapshot_is_not_used_and_is_repaired(tmp_path, damage):
    db = tmp_path / "db.json"
    engine = engine_at(db, SAMPLES)
    answers = [engine.ask(q) for q in QUESTIONS]
    damage(db)
    reopened = Engine(ArticleStore(db))
    assert list(reopened.store.articles()) == parsed(db)
    assert [reopened.ask(q) for q in QUESTIONS] == answers
    repaired = orjson.loads((snapshot_path(db) / META).read_bytes())
    assert tuple(repaired["signature"])[1] == db.stat().st_size


def test_a_damaged_text_is_reported_when_read_and_the_next_start_repairs_it(
    tmp_path, monkeypatch
):
    """Opening checks only a few texts' CRCs; the others are checked when read."""
    monkeypatch.setattr(snapshot, "SPOT_CHECKS", 0)
    db = tmp_path / "db.json"
    articles = [article(1), article(2, text="An unmistakable marker sentence.")]
    ArticleStore(db).save(articles, LoadReport())
    blob = blob_of(db)
    damaged = bytearray(blob.read_bytes())
    damaged[damaged.index(b"unmistakable")] ^= 0x01
    blob.write_bytes(bytes(damaged))
    reopened = ArticleStore(db)  # from the snapshot
    assert reopened.get("id0001") == article(1)
    with pytest.raises(StorageError) as failure:
        reopened.get("id0002")
    assert f"{blob}: not a valid database file" in str(failure.value)
    assert not (snapshot_path(db) / META).exists()  # so the next start rebuilds it
    assert list(ArticleStore(db).articles()) == articles
    assert (snapshot_path(db) / META).exists()


def test_writes_append_to_the_snapshot_and_reopen_to_the_same_articles(
    tmp_path, rewrite_every_write
):
    db = tmp_path / "db.json"
    store = ArticleStore(db)
    store.save([article(n) for n in range(1, 6)], LoadReport())
    blob = blob_of(db)
    store.save([article(6)], LoadReport())  # appended to the same blob
    assert blob_of(db) == blob
    store.save([replace(article(3), text="A corrected third text.")], LoadReport())
    assert store.remove("id0006")
    store.save([article(7)], LoadReport())  # takes the removed article's document id
    reopened = ArticleStore(db)  # from the snapshot
    assert list(reopened.articles()) == parsed(db)
    assert reopened.get("id0003").text == "A corrected third text."
    assert reopened.get("id0007") == article(7)
    assert reopened.get("id0006") is None
    reopened.save([article(8)], LoadReport())  # a write from a store opened on the snapshot
    assert list(ArticleStore(db).articles()) == parsed(db)
    assert json.loads(db.read_text())["articles"]["6"]["id"] == "id0007"


def test_a_blob_mostly_of_replaced_texts_is_rewritten_and_the_old_one_deleted(
    tmp_path, rewrite_every_write
):
    db = tmp_path / "db.json"
    store = ArticleStore(db)
    long = "word " * 300_000  # 1.5 MB: dead text soon outweighs the slack
    store.save([article(1, text=long + "one")], LoadReport())
    first = blob_of(db)
    for n in range(3):
        store.save([article(1, text=long + f"version {n}")], LoadReport())
    assert blob_of(db) != first and not first.exists()
    assert [p.name for p in snapshot_path(db).iterdir() if p.name.startswith("texts-")] == [
        blob_of(db).name
    ]
    assert blob_of(db).stat().st_size < 2 * len(long) + 100
    assert ArticleStore(db).get("id0001").text.endswith("version 2")


def test_an_unwritable_snapshot_costs_nothing_but_speed(tmp_path):
    db = tmp_path / "db.json"
    snapshot_path(db).write_text("a file where the snapshot directory should be")
    store = ArticleStore(db)
    store.save([article(1)], LoadReport())
    assert list(ArticleStore(db).articles()) == [article(1)]


def test_texts_stay_on_disk_and_a_write_does_not_read_them_all_into_memory(
    tmp_path, rewrite_every_write
):
    db = tmp_path / "db.json"
    texts_mb = 45
    def big(n: int) -> str:  # ~0.3 MB
        return f"Report {n}. " + "A sentence of a long report. " * 10_000
    store = ArticleStore(db)
    tracemalloc.start()
    try:
        store.save((article(n, text=big(n)) for n in range(1, 151)), LoadReport())
        held_mb = tracemalloc.get_traced_memory()[0] / 1e6
        tracemalloc.reset_peak()
        store.save([article(151)], LoadReport())  # rewrites the whole file
        write_peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    # A write holds a text or two at a time (orjson's buffer for a 0.3 MB one is ~4 MB).
    assert held_mb < texts_mb / 4 and write_peak_mb < texts_mb / 4
    on_disk = json.loads(db.read_text())["articles"]
    assert [doc["text"] for doc in on_disk.values()][:2] == [big(1), big(2)]
    assert len(on_disk) == 151 and list(ArticleStore(db).articles()) == parsed(db)


def test_a_database_without_a_snapshot_is_read_as_a_stream_into_a_new_one(tmp_path):
    db = tmp_path / "db.json"
    texts = {f"id{n:04d}": f"Report {n}. " + "A sentence of a long report. " * 10_000
             for n in range(1, 101)}  # 30 MB of text
    db.write_text(json.dumps({"feeds": {"1": {"url": "u"}}, "articles": {
        str(n): article_to_doc(article(n, text=texts[f"id{n:04d}"]), f"fp{n}")
        for n in range(1, 101)
    }}))
    tracemalloc.start()
    try:
        store = ArticleStore(db)
        peak_mb = tracemalloc.get_traced_memory()[1] / 1e6
    finally:
        tracemalloc.stop()
    assert peak_mb < 30 / 4
    assert {a.id: a.text for a in store.articles()} == texts
    assert store.records("feeds") == [{"url": "u"}]
    assert (snapshot_path(db) / META).exists()
    assert list(ArticleStore(db).articles()) == list(store.articles())
