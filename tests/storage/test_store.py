"""The TinyDB store: dedup, updates, atomic batched writes, two processes, crashes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from dataclasses import replace
from datetime import UTC, datetime
from itertools import pairwise

import pytest

from bench.gen_corpus import generate
from bot.models import Article, LoadReport
from bot.storage import json_storage
from bot.storage import store as store_module
from bot.storage.changelog import log_path
from bot.storage.store import ArticleStore
from tests.support import PROJECT_DIR, write_jsonl

NOW = datetime(2024, 5, 1, tzinfo=UTC)


def article(n: int, text: str | None = None, url: str | None = None) -> Article:
    return Article(
        id=f"id{n:04d}",
        url=url or f"https://example.com/a/{n}",
        title=f"Title {n}",
        source="Example",
        published=datetime(2024, 1, 1 + n % 28, tzinfo=UTC),
        authors=("A. Writer",),
        text=text or f"Paragraph one of article {n}.\n\nParagraph two, number {n}.",
        added_at=NOW,
    )


def test_save_then_reopen_round_trips(tmp_path):
    db = tmp_path / "db.json"
    store = ArticleStore(db)
    report = LoadReport()
    store.save([article(1), article(2)], report)
    assert (report.loaded, report.updated, report.duplicate) == (2, 0, 0)
    reopened = ArticleStore(db)
    assert list(reopened.articles()) == [article(1), article(2)]
    assert json.loads(db.read_text())["articles"]["1"]["title"] == "Title 1"


def test_same_id_same_content_is_duplicate_and_changed_content_is_update(tmp_path):
    store = ArticleStore(tmp_path / "db.json")
    store.save([article(1)], LoadReport())
    report = LoadReport()
    changed = replace(article(1, text="A corrected text.\n\nWith a new paragraph."),
                      added_at=datetime(2025, 1, 1, tzinfo=UTC))
    store.save([article(1), changed], report)
    assert (report.loaded, report.updated, report.duplicate) == (0, 1, 1)
    assert len(store) == 1
    kept = ArticleStore(tmp_path / "db.json").get("id0001")
    assert kept.text.startswith("A corrected text.")
    assert kept.added_at == NOW  # an update keeps when the article was first added


def test_one_id_several_times_in_a_batch(tmp_path):
    store = ArticleStore(tmp_path / "db.json")
    store.save([article(2)], LoadReport())
    report = LoadReport()
    changed = [replace(article(n), text=f"Second version of {n}.") for n in (1, 2)]
    store.save([article(1), article(1), *changed, article(3)], report)
    assert (report.loaded, report.updated, report.duplicate) == (2, 2, 1)
    reopened = ArticleStore(tmp_path / "db.json")
    assert [a.id for a in reopened.articles()] == ["id0002", "id0001", "id0003"]
    assert reopened.get("id0001").text == "Second version of 1."
    assert reopened.get("id0002").text == "Second version of 2."


def test_same_content_under_another_url_is_duplicate(tmp_path):
    store = ArticleStore(tmp_path / "db.json")
    report = LoadReport()
    original = article(1, text="Identical wire story text.")
    copy = replace(article(2, text="identical   WIRE story text"), url="https://example.com/x")
    store.save([original, copy], report)
    assert (report.loaded, report.duplicate) == (1, 1)


def test_remove_and_settings_records(tmp_path):
    store = ArticleStore(tmp_path / "db.json")
    store.save([article(1), article(2)], LoadReport())
    assert store.remove("id0001") is True
    assert store.remove("id0001") is False
    store.update_records("guilds", lambda rows: [*rows, {"guild_id": 5, "ask_channels": [7]}])
    reopened = ArticleStore(tmp_path / "db.json")
    assert [a.id for a in reopened.articles()] == ["id0002"]
    assert reopened.records("guilds") == [{"guild_id": 5, "ask_channels": [7]}]


def test_a_batch_is_one_write_and_no_temp_files_remain(tmp_path):
    db = tmp_path / "db.json"
    store = ArticleStore(db)
    store.save([article(n) for n in range(300)], LoadReport())
    first = db.stat().st_mtime_ns, log_path(db).stat().st_size
    store.save([article(n) for n in range(300)], LoadReport())  # all duplicates: no write
    assert (db.stat().st_mtime_ns, log_path(db).stat().st_size) == first
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "db.json", "db.json.lock", "db.json.log", "db.json.snapshot"
    ]
    kept = sorted(p.name for p in (tmp_path / "db.json.snapshot").iterdir())
    assert len(kept) == 5 and kept[1:3] == ["keys.json", "meta.json"]
    assert kept[0].startswith("keys-") and kept[0].endswith(".bin")
    assert kept[3].startswith("tables-") and kept[4].startswith("texts-")


def test_another_process_write_is_seen_by_refresh(tmp_path):
    db = tmp_path / "db.json"
    reader = ArticleStore(db)
    writer = ArticleStore(db)
    writer.save([article(1)], LoadReport())
    assert len(reader) == 0
    assert reader.refresh() is True
    assert [a.id for a in reader.articles()] == ["id0001"]
    assert reader.refresh() is False


def _load_proc(db, path) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "load", "--db", str(db), str(path)],
        cwd=PROJECT_DIR,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_two_processes_loading_at_once_keep_everything_once(tmp_path):
    db = tmp_path / "db.json"
    corpus = list(generate(1200, seed=7))
    first = write_jsonl(tmp_path / "first.jsonl", corpus[:600])
    second = write_jsonl(tmp_path / "second.jsonl", corpus[600:])
    procs = [_load_proc(db, first), _load_proc(db, second)]
    outputs = [p.communicate(timeout=180) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outputs
    store = ArticleStore(db)
    urls = [a.url for a in store.articles()]
    assert len(urls) == 1200 == len(set(urls))


@pytest.mark.parametrize("delay", [0.4, 0.9, 1.6])
def test_a_loader_killed_mid_write_leaves_a_readable_database(tmp_path, delay):
    db = tmp_path / "db.json"
    corpus = list(generate(6000, seed=3))
    done = write_jsonl(tmp_path / "done.jsonl", corpus[:200])
    big = write_jsonl(tmp_path / "big.jsonl", corpus[200:])
    assert _load_proc(db, done).wait(timeout=120) == 0
    proc = _load_proc(db, big)
    time.sleep(delay)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait(timeout=30)
    store = ArticleStore(db)  # opens: never a half-written file
    urls = {a.url for a in store.articles()}
    assert {r["url"] for r in corpus[:200]} <= urls
    rerun = _load_proc(db, big)
    _out, err = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, err
    final = ArticleStore(db).articles()
    assert len(final) == len({a.url for a in final}) == 6000


def test_rewrites_keep_the_database_file_mode(tmp_path):
    db = tmp_path / "db.json"
    store = ArticleStore(db)
    store.save([article(1)], LoadReport())
    assert db.stat().st_mode & 0o777 == 0o644
    db.chmod(0o664)
    store.save([article(2)], LoadReport())
    assert db.stat().st_mode & 0o777 == 0o664


def test_a_bulk_session_appends_and_rewrites_the_file_as_the_log_outgrows_it(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(json_storage, "COMPACT_MIN", 0)
    db = tmp_path / "db.json"
    store = ArticleStore(db)
    files, logs = [], []
    with store.bulk():
        for n in range(1, 65):
            store.save([article(n)], LoadReport())
            files.append(db.stat().st_ino)
            logs.append(log_path(db).stat().st_size)
    rewrites = [n for n in range(1, 64) if files[n] != files[n - 1]]
    assert 3 <= len(rewrites) <= 8  # the file grows about twofold between rewrites
    assert all(b - a > a // 3 for a, b in pairwise(rewrites))
    assert all(logs[n] > logs[n - 1] for n in range(1, 64) if n not in rewrites)
    assert logs[-1] <= db.stat().st_size  # at rest the log is below the file it continues
    assert list(ArticleStore(db).articles()) == [article(n) for n in range(1, 65)]


def test_a_bulk_session_lets_a_waiting_writer_in_and_clears_a_dead_ones_marker(
    tmp_path, monkeypatch
):
    monkeypatch.setattr(store_module, "LOCK_HOLD_S", 0.0)
    db = tmp_path / "db.json"
    marker = tmp_path / f"db.json{store_module.WAITING}999-1"
    marker.touch()
    old = time.time() - store_module.LOCK_TIMEOUT_S - 1
    os.utime(marker, (old, old))  # a writer that died waiting long ago
    store = ArticleStore(db)
    with store.bulk():
        for n in range(1, 5):
            store.save([article(n)], LoadReport())
    assert not marker.exists()
    assert list(ArticleStore(db).articles()) == [article(n) for n in range(1, 5)]


def test_a_bulk_session_updates_articles_it_saved_and_ones_stored_before(tmp_path):
    db = tmp_path / "db.json"
    store = ArticleStore(db)
    store.save([article(1), article(2)], LoadReport())
    report = LoadReport()
    with store.bulk():
        store.save([article(3), article(4), article(5)], report)
        store.save([article(1, text="Stored before, edited.")], report)
        store.save([article(4, text="Saved in this session, edited.")], report)
        store.save([article(6)], report)
    assert (report.loaded, report.updated) == (4, 2)
    expected = [
        article(1, text="Stored before, edited."), article(2), article(3),
        article(4, text="Saved in this session, edited."), article(5), article(6),
    ]
    assert list(store.articles()) == expected
    assert list(ArticleStore(db).articles()) == expected
    (db.parent / "db.json.snapshot" / "meta.json").unlink()  # the file itself holds them
    assert list(ArticleStore(db).articles()) == expected


def test_a_failed_bulk_session_keeps_every_save_before_the_failure(tmp_path):
    db = tmp_path / "db.json"
    store = ArticleStore(db)
    with pytest.raises(RuntimeError), store.bulk():
        for n in range(1, 4):
            store.save([article(n)], LoadReport())
        raise RuntimeError("the load failed")
    assert [a.id for a in store.articles()] == ["id0001", "id0002", "id0003"]
    assert list(ArticleStore(db).articles()) == [article(1), article(2), article(3)]
    store.save([article(4)], LoadReport())
    assert list(ArticleStore(db).articles()) == [article(n) for n in range(1, 5)]


def test_other_writers_get_in_during_a_long_bulk_session(tmp_path, monkeypatch):
    """The bot writing while `newsbot load` runs: the session lets go of the lock often."""
    monkeypatch.setattr(store_module, "LOCK_HOLD_S", 0.3)
    db = tmp_path / "db.json"
    loader, bot = ArticleStore(db), ArticleStore(db)  # two file locks, like two processes
    bot._lock.timeout = 5  # fails the test rather than waiting out the whole session
    session_over = threading.Event()

    def bulk_load() -> None:
        with loader.bulk():
            for n in range(1, 41):
                loader.save([article(n)], LoadReport())
                time.sleep(0.05)
        session_over.set()

    thread = threading.Thread(target=bulk_load)
    thread.start()
    time.sleep(0.1)
    bot.update_records("feeds", lambda rows: [*rows, {"url": "https://example.com/feed"}])
    assert not session_over.is_set()  # it got in during the session
    thread.join()
    assert not list(tmp_path.glob("db.json.waiting-*"))  # the writer's marker, gone
    reopened = ArticleStore(db)
    assert reopened.records("feeds") == [{"url": "https://example.com/feed"}]
    assert list(reopened.articles()) == [article(n) for n in range(1, 41)]
