"""The database's log: a write appends what it changes, readers replay it, and a torn or
stale log never shows a state that was not committed."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import replace

import pytest

from bench.gen_corpus import generate
from bot.models import LoadReport
from bot.storage import json_storage
from bot.storage.atomic import StorageError
from bot.storage.changelog import GENERATION_TABLE, UNWRITTEN, log_path
from bot.storage.store import ArticleStore
from tests.storage.test_store import article
from tests.support import PROJECT_DIR, SAMPLES, newsbot, write_jsonl


def file_version(db) -> tuple[int, int]:
    st = db.stat()
    return st.st_ino, st.st_mtime_ns


def test_a_write_appends_to_the_log_and_leaves_the_file_alone(tmp_path):
    db = tmp_path / "db.json"
    store = ArticleStore(db)
    store.save([article(n) for n in range(1, 51)], LoadReport())  # creates the file
    version, logged = file_version(db), log_path(db).stat().st_size
    text = "A new report.\n\n" + "Its second paragraph is long enough to count. " * 40
    store.save([article(51, text=text)], LoadReport())
    store.save([replace(article(2), text="A corrected second text.")], LoadReport())
    assert store.remove("id0003")
    assert file_version(db) == version
    grown = log_path(db).stat().st_size - logged
    assert len(text) < grown < len(text) + 3_000  # the texts and a few fields, no more
    reopened = ArticleStore(db)
    assert [a.id for a in reopened.articles()] == [
        f"id{n:04d}" for n in range(1, 52) if n != 3
    ]
    assert reopened.get("id0051").text == text
    assert reopened.get("id0002").text == "A corrected second text."


def test_settings_tables_are_logged_too(tmp_path):
    db = tmp_path / "db.json"
    store = ArticleStore(db)
    store.save([article(1)], LoadReport())
    version = file_version(db)
    store.update_records("feeds", lambda rows: [*rows, {"url": "https://example.com/a"}])
    store.update_records("feeds", lambda rows: [{"url": "https://example.com/b"}])
    assert file_version(db) == version
    assert ArticleStore(db).records("feeds") == [{"url": "https://example.com/b"}]


def test_a_torn_last_record_is_ignored_and_cut_off_by_the_next_write(tmp_path):
    db = tmp_path / "db.json"
    store = ArticleStore(db)
    store.save([article(1)], LoadReport())
    store.save([article(2)], LoadReport())
    log = log_path(db)
    whole = log.read_bytes()
    store.save([article(3)], LoadReport())
    record = log.read_bytes()[len(whole):]
    for cut in (5, len(record) // 2, len(record) - 1):  # a writer killed mid-append
        log.write_bytes(whole + record[:cut])
        assert [a.id for a in ArticleStore(db).articles()] == ["id0001", "id0002"]
    # killed after the texts and fields were written, before the header that shows them
    log.write_bytes(whole + UNWRITTEN + record[len(UNWRITTEN):])
    assert [a.id for a in ArticleStore(db).articles()] == ["id0001", "id0002"]
    damaged = bytearray(whole + record)
    damaged[-10] ^= 0xFF  # a whole record whose bytes are not what was written
    log.write_bytes(bytes(damaged))
    writer = ArticleStore(db)
    assert [a.id for a in writer.articles()] == ["id0001", "id0002"]
    writer.save([article(4)], LoadReport())
    assert [a.id for a in ArticleStore(db).articles()] == ["id0001", "id0002", "id0004"]


def test_a_log_of_before_a_rewrite_is_ignored(tmp_path, monkeypatch):
    """A crash between the rename of a rewritten file and the start of its fresh log."""
    db = tmp_path / "db.json"
    store = ArticleStore(db)
    store.save([article(1)], LoadReport())
    store.save([article(2)], LoadReport())
    old_log = log_path(db).read_bytes()
    monkeypatch.setattr(json_storage, "COMPACT_MIN", 0)
    monkeypatch.setattr(json_storage, "COMPACT_RATIO", 0)
    store.save([replace(article(2), text="Second, corrected.")], LoadReport())  # a rewrite
    log_path(db).write_bytes(old_log)
    reopened = ArticleStore(db)
    assert [a.id for a in reopened.articles()] == ["id0001", "id0002"]
    assert reopened.get("id0002").text == "Second, corrected."


def test_a_copy_of_the_file_and_its_log_reads_whole(tmp_path):
    db = tmp_path / "db.json"
    store = ArticleStore(db)
    store.save([article(1)], LoadReport())
    store.save([article(2)], LoadReport())
    backup = tmp_path / "backup" / "db.json"
    backup.parent.mkdir()
    shutil.copy(db, backup)
    shutil.copy(log_path(db), log_path(backup))
    assert list(ArticleStore(backup).articles()) == [article(1), article(2)]


def test_a_file_written_before_logs_is_rewritten_once_then_appended_to(tmp_path):
    db = tmp_path / "db.json"
    store = ArticleStore(db)
    store.save([article(1)], LoadReport())
    tables = json.loads(db.read_text())
    del tables[GENERATION_TABLE]
    db.write_text(json.dumps(tables))  # as the code before logs wrote it
    log_path(db).unlink()
    old = ArticleStore(db)
    old.save([article(2)], LoadReport())
    version = file_version(db)
    old.save([article(3)], LoadReport())
    assert file_version(db) == version
    assert [a.id for a in ArticleStore(db).articles()] == ["id0001", "id0002", "id0003"]


def test_a_reader_catches_up_with_appended_records_only(tmp_path):
    db = tmp_path / "db.json"
    writer = ArticleStore(db)
    writer.save([article(1)], LoadReport())
    reader = ArticleStore(db)
    writer.save([article(2)], LoadReport())
    writer.save([replace(article(1), text="First, corrected.")], LoadReport())
    assert reader.refresh() is True
    assert reader.get("id0001").text == "First, corrected."
    assert [a.id for a in reader.articles()] == ["id0001", "id0002"]
    assert reader.refresh() is False
    with log_path(db).open("ab") as log:  # a record being appended right now
        log.write(b"\x10\x00")
    assert reader.refresh() is False


def test_a_damaged_text_in_the_log_is_reported_when_read_never_served(tmp_path):
    """Catching up reads the records' fields, not their texts: each text's CRC is checked
    when it is read."""
    db = tmp_path / "db.json"
    store = ArticleStore(db)
    store.save([article(1)], LoadReport())
    store.save([article(2, text="An unmistakable marker sentence in the second text.")],
               LoadReport())
    log = log_path(db)
    damaged = bytearray(log.read_bytes())
    damaged[damaged.index(b"unmistakable")] ^= 0x01  # "t" for "u": still valid JSON
    log.write_bytes(bytes(damaged))
    reopened = ArticleStore(db)
    assert [h.id for h in reopened.articles().headers()] == ["id0001", "id0002"]
    assert reopened.get("id0001") == article(1)
    with pytest.raises(StorageError) as failure:
        reopened.get("id0002")
    message = str(failure.value)
    assert "\n" not in message and str(log) in message
    assert "the text of document 2 is not what was written" in message


def test_newsbot_load_of_one_article_appends_and_export_reads_it(tmp_path):
    """The real commands: the one article goes to the log, the file stays as it was, and
    `newsbot export` (a fresh process, file and log) writes it with the rest."""
    db = tmp_path / "db.json"
    assert newsbot("load", "--no-index", "--db", str(db), str(SAMPLES)).returncode == 0
    version = file_version(db)
    one = write_jsonl(tmp_path / "one.jsonl", generate(1, seed=11))
    loaded = newsbot("load", "--no-index", "--db", str(db), str(one))
    assert loaded.stdout.startswith("loaded 1,"), loaded.stderr
    assert file_version(db) == version
    exported = newsbot("export", "--db", str(db))
    assert exported.returncode == 0, exported.stderr
    urls = [json.loads(line)["url"] for line in exported.stdout.splitlines()]
    assert len(urls) == len(list(SAMPLES.glob("*.txt"))) + 1
    assert urls[-1] == next(generate(1, seed=11))["url"]


WRITER = """
import sys
from bot.models import LoadReport
from bot.storage.store import ArticleStore
from tests.storage.test_store import article
store = ArticleStore(sys.argv[1])
for n in range(1, 100_000):
    store.save([article(n, text=f"Text {n}. " + "A sentence of the story. " * 200)], LoadReport())
    print(n, flush=True)  # committed: save() returned
"""


@pytest.mark.parametrize("delay", [0.0, 0.03, 0.2])
def test_a_writer_killed_between_appends_loses_no_committed_write(tmp_path, delay):
    """kill -9 of a process appending one article per write: every write it saw return is
    there, at most the one in flight besides, and the next writer goes on from there."""
    db = tmp_path / "db.json"
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(db)], cwd=PROJECT_DIR,
                              stdout=subprocess.PIPE, text=True)
    committed = [int(writer.stdout.readline()) for _ in range(5)]  # under way
    time.sleep(delay)
    os.kill(writer.pid, signal.SIGKILL)
    committed += [int(line) for line in writer.communicate(timeout=30)[0].split()]
    kept = [int(h.id[2:]) for h in ArticleStore(db).articles().headers()]
    assert kept[: len(committed)] == committed
    assert kept == list(range(1, len(kept) + 1)) and len(kept) <= len(committed) + 1
    ArticleStore(db).save([article(len(kept) + 1)], LoadReport())
    reopened = ArticleStore(db)
    assert len(reopened) == len(kept) + 1
    assert reopened.get(f"id{len(kept):04d}").text.startswith(f"Text {len(kept)}. ")
