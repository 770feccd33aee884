"""A store not read whole: new articles appended from the persisted dedupe keys and the
log's tail, and everything else exactly as when read whole."""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from bot.models import LoadReport
from bot.storage import key_columns
from bot.storage.changelog import log_path
from bot.storage.snapshot import snapshot_path
from bot.storage.store import ArticleStore
from tests.storage.test_store import article


def saved(store: ArticleStore, *articles) -> LoadReport:
    report = LoadReport()
    store.save(list(articles), report)
    return report


def stored_db(tmp_path, count: int = 20):
    db = tmp_path / "db.json"
    assert saved(ArticleStore(db), *(article(n) for n in range(count))).loaded == count
    return db


def test_a_new_article_is_appended_without_reading_the_documents(tmp_path):
    db = stored_db(tmp_path)
    store = ArticleStore(db)
    assert not store.documents_read and len(store) == 20
    report = saved(store, article(20), article(21))
    assert (report.loaded, report.duplicate) == (2, 0)
    assert not store.documents_read and len(store) == 22
    assert store.get("id0021").text == article(21).text  # from the log's tail
    assert [a.id for a in store.articles_of([(None, "id0020")])] == ["id0020"]
    whole = ArticleStore(db)
    whole.articles()
    assert whole.documents_read
    assert [a.id for a in whole.articles()] == [f"id{n:04d}" for n in range(22)]
    assert whole.articles()[21] == replace(article(21), fingerprint=whole.get("id0021").fingerprint)


def test_a_duplicate_is_found_by_the_persisted_keys(tmp_path):
    db = stored_db(tmp_path)
    store = ArticleStore(db)
    assert not store.documents_read
    assert saved(store, article(3)).duplicate == 1  # same id
    same_story = article(99, text=article(4).text, url="https://example.com/elsewhere")
    assert saved(ArticleStore(db), same_story).duplicate == 1
    shared_copy = replace(article(5), library="guild-1")  # the shared library holds it
    assert saved(ArticleStore(db), shared_copy).duplicate == 1
    assert len(ArticleStore(db)) == 20 and len(ArticleStore(db).articles()) == 20


def test_a_duplicate_found_only_in_the_logs_tail(tmp_path):
    db = stored_db(tmp_path)
    covered = key_columns.cover_on_disk(db)
    assert saved(ArticleStore(db), article(30)).loaded == 1  # appended past the columns
    assert key_columns.cover_on_disk(db) == covered  # a short tail: columns left as they are
    assert log_path(db).stat().st_size > covered.log_end
    store = ArticleStore(db)
    assert not store.documents_read and store.get("id0030") is not None
    assert saved(store, article(30)).duplicate == 1
    same_story = article(98, text=article(30).text, url="https://example.com/again")
    fresh = ArticleStore(db)
    assert (saved(fresh, same_story).duplicate, saved(fresh, article(31)).loaded) == (1, 1)
    assert [a.id for a in ArticleStore(db).articles()][-2:] == ["id0030", "id0031"]


def test_another_processes_append_is_seen_under_the_lock(tmp_path):
    db = stored_db(tmp_path)
    first, second = ArticleStore(db), ArticleStore(db)
    assert saved(first, article(40)).loaded == 1
    assert saved(second, article(40)).duplicate == 1  # caught up before deciding
    assert saved(second, article(41)).loaded == 1
    assert first.refresh() and len(first) == 22 and first.get("id0041") is not None
    assert not first.documents_read and second.documents_read  # the duplicate read it
    numbers = [a.id for a in ArticleStore(db).articles()]
    assert numbers[-2:] == ["id0040", "id0041"] and len(set(numbers)) == 22


def test_damaged_or_missing_keys_are_rebuilt(tmp_path):
    db = stored_db(tmp_path)
    meta = snapshot_path(db) / key_columns.META
    columns = next(snapshot_path(db).glob("keys-*.bin"))
    columns.write_bytes(b"\0" * columns.stat().st_size)  # damaged: fails its CRC
    store = ArticleStore(db)
    assert store.documents_read  # not used: read whole instead
    assert (saved(store, article(2)).duplicate, saved(store, article(50)).loaded) == (1, 1)
    assert key_columns.read(db) is not None  # written afresh by the write
    assert not ArticleStore(db).documents_read
    meta.unlink()
    store = ArticleStore(db)
    assert store.documents_read and saved(store, article(51)).loaded == 1
    lazy = ArticleStore(db)
    assert not lazy.documents_read and saved(lazy, article(51)).duplicate == 1


def test_a_hash_the_columns_hold_but_no_article_has_loads_it_read_whole(tmp_path):
    db = stored_db(tmp_path)
    on_disk = key_columns.read(db)
    collides = key_columns.hashes([(None, "id0060")])  # as if another key's hash were equal
    keys = np.sort(np.concatenate([on_disk.keys, collides]))
    key_columns.write(db, on_disk.cover, keys, on_disk.fingerprints)
    store = ArticleStore(db)
    assert not store.documents_read
    assert saved(store, article(60)).loaded == 1 and store.documents_read


def test_updates_are_read_from_the_tail_and_removals_rewrite_the_keys(tmp_path):
    db = stored_db(tmp_path)
    changed = replace(article(7, text="Wholly new text of seven."), title="Retitled")
    store = ArticleStore(db)
    assert saved(store, changed).updated == 1 and store.documents_read
    lazy = ArticleStore(db)  # the update is in the tail: its new content held exactly
    assert not lazy.documents_read and len(lazy) == 20
    assert lazy.get("id0007").title == "Retitled" and not lazy.documents_read
    again = article(97, text=changed.text, url="https://example.com/seven-again")
    assert saved(lazy, again).duplicate == 1 and not lazy.documents_read
    old_story = article(96, text=article(7).text, url="https://example.com/old-seven")
    assert saved(lazy, old_story).loaded == 1  # the columns' old content: decided whole
    assert lazy.documents_read and len(lazy) == 21
    assert ArticleStore(db).remove("id0008")
    lazy = ArticleStore(db)  # the removal rewrote the columns
    assert not lazy.documents_read and lazy.get("id0008") is None and len(lazy) == 20
    assert saved(lazy, article(8)).loaded == 1  # removed, so new again
    assert len(ArticleStore(db).articles()) == len(ArticleStore(db)) == 21


def test_a_tail_that_is_not_only_additions_reads_whole(tmp_path):
    db = stored_db(tmp_path)
    stale = key_columns.read(db)
    assert ArticleStore(db).remove("id0009")
    key_columns.write(db, stale.cover, stale.keys, stale.fingerprints)  # columns from before
    store = ArticleStore(db)
    assert store.documents_read and store.get("id0009") is None and len(store) == 19
    assert saved(store, article(9)).loaded == 1
    assert not ArticleStore(db).documents_read  # the write rewrote the columns


def test_a_rewrite_by_another_process_meanwhile_reads_whole(tmp_path, monkeypatch):
    db = stored_db(tmp_path)
    lazy = ArticleStore(db)
    from bot.storage import json_storage

    monkeypatch.setattr(json_storage, "COMPACT_MIN", 0)  # the other's write compacts
    assert saved(ArticleStore(db), article(70)).loaded == 1
    assert saved(lazy, article(70)).duplicate == 1 and lazy.documents_read
    assert saved(lazy, article(71)).loaded == 1
    assert [a.id for a in ArticleStore(db).articles()][-2:] == ["id0070", "id0071"]


def test_a_database_from_before_the_key_columns_opens_and_gets_them(tmp_path):
    db = stored_db(tmp_path)  # then left as the code before the columns wrote it:
    for made in [snapshot_path(db) / key_columns.META, *snapshot_path(db).glob("keys-*.bin")]:
        made.unlink()
    store = ArticleStore(db)
    assert store.documents_read and len(store) == 20 and store.get("id0003") is not None
    assert (saved(store, article(3)).duplicate, saved(store, article(80)).loaded) == (1, 1)
    lazy = ArticleStore(db)
    assert not lazy.documents_read and len(lazy) == 21
    assert saved(lazy, article(80)).duplicate == 1
    assert saved(ArticleStore(db), article(81)).loaded == 1
    assert len(ArticleStore(db).articles()) == 22


def test_a_long_tail_is_merged_into_the_columns(tmp_path, monkeypatch):
    from bot.storage import appending

    db = stored_db(tmp_path)
    monkeypatch.setattr(appending, "TAIL_BYTES", 0)
    store = ArticleStore(db)
    assert saved(store, article(90), article(91)).loaded == 2 and not store.documents_read
    columns = key_columns.read(db)
    assert columns.cover.log_end == log_path(db).stat().st_size  # covers the whole log now
    assert columns.cover.last_doc_id == 22 and len(columns.keys) == 22
    assert columns.holds_key((None, "id0091")) and not columns.holds_key((None, "id0092"))
    lazy = ArticleStore(db)
    assert not lazy.documents_read and len(lazy) == 22
    assert saved(lazy, article(91)).duplicate == 1
    assert saved(ArticleStore(db), article(92)).loaded == 1
    assert [a.id for a in ArticleStore(db).articles()][-3:] == ["id0090", "id0091", "id0092"]
