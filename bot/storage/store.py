"""The system of record: articles (and the bot's settings) in one TinyDB file.

Writers take a file lock, catch up with what another process wrote, apply a whole batch,
and append it to the database's log in one fsynced record (bot/storage/json_storage.py).
Readers never take the file lock: whole log records and renames are all they can observe,
and they catch up by reading the records appended since. Within a process, one re-entrant
lock makes each method atomic for threads.

Opening reads the snapshot beside the file (bot/storage/snapshot.py) when it copies the file
as it is now, and parses the JSON only when it does not, then the log; each rewrite of the
file refreshes the snapshot. Texts stay in the snapshot's blob or the log, not in memory.
The documents are read only once something needs them: until then the store knows its
keys from the columns persisted beside the snapshot and the log's tail, and appends new
articles to the log without reading the rest (bot/storage/appending.py).
"""

from __future__ import annotations

import contextlib
import functools
import glob
import logging
import os
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from itertools import pairwise
from pathlib import Path
from typing import Any

from filelock import FileLock, Timeout
from tinydb import TinyDB

from bot.heap import paused_gc
from bot.ingest.normalize import content_fingerprint
from bot.models import Article, Library, LoadReport
from bot.storage import appending, key_columns, snapshot
from bot.storage.atomic import StorageError, file_signature
from bot.storage.dedupe import Key, Keys
from bot.storage.documents import (
    ARTICLES,
    LIBRARY,
    Articles,
    article_from_doc,
    article_to_doc,
    fields_key,
)
from bot.storage.json_storage import LoggedJSONStorage

log = logging.getLogger(__name__)
LOCK_TIMEOUT_S = 120
# Within bulk(), when another writer waits (the bot, while `newsbot load` runs), the lock is
# let go once it has been held this long, so waiting writers wait well under LOCK_TIMEOUT_S.
LOCK_HOLD_S = 30.0
LET_IN_S = 0.2  # long enough for a waiting writer's next try (filelock polls every 0.05 s)
WAITING = ".waiting-"  # a writer waiting for the file lock: <db>.waiting-<pid>-<thread>


def _synchronised(method: Callable) -> Callable:
    @functools.wraps(method)
    def locked(self: ArticleStore, *args: Any, **kwargs: Any) -> Any:
        with self._mutex:
            return method(self, *args, **kwargs)

    return locked


def _whole(method: Callable) -> Callable:
    """A method that needs the documents: read them first if not yet read."""
    @functools.wraps(method)
    def read_whole(self: ArticleStore, *args: Any, **kwargs: Any) -> Any:
        with self._mutex:
            self._read_whole()
            return method(self, *args, **kwargs)

    return read_whole



class ArticleStore:
    """Articles by library and id, deduplicated within a library by canonical URL (the id)
    and by content; a server library's article that the shared library holds (same id or
    content) is a duplicate too: readers in that server already see it."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._storage = LoggedJSONStorage(self.path, detached_table=ARTICLES)
        self._db = TinyDB(self.path, storage=lambda _path: self._storage)
        self._lock = FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT_S)
        self._mutex = threading.RLock()
        self._keys = Keys()
        self._snapshot: snapshot.Snapshot | None = None  # what the snapshot on disk holds
        self._view: Articles | None = None
        self._in_bulk = False
        self._locked_at = 0.0  # within bulk(): when the file lock was last taken
        self._tail: appending.Appender | None = None  # while the documents are unread
        self._keys_stale = False  # the key columns on disk need writing afresh
        self._open()

    def _open(self) -> None:
        """From the key columns and the log's tail if they can tell, else read whole."""
        self._tail = appending.open_tail(self.path)
        if self._tail is not None:
            self._keys = self._tail.keys
            return
        self._keys_stale = True
        self._load(freeze=True)

    def _read_whole(self) -> None:
        if self._tail is not None:
            self._tail = None
            self._load(freeze=True)

    # -- reading -------------------------------------------------------------------------
    @_synchronised
    def refresh(self) -> bool:
        """Catch up with what another process wrote; True when it had changed."""
        if self._tail is not None:
            known = len(self._tail)
            if self._tail.catch_up():
                return len(self._tail) != known
            self._keys_stale = True
            self._read_whole()
            return True
        applied = self._storage.catch_up()
        if applied is None:  # the file was rewritten: read it afresh
            self._load()
            return True
        if applied:
            self._index_documents()
        return applied

    @_whole
    def articles(self) -> Articles:
        """Every article, in the order they were first added (each built when read)."""
        if self._view is None:
            with paused_gc():
                self._view = self._articles()
        return self._view

    def _articles(self) -> Articles:
        docs = list(self._table().items())
        numbers = [int(doc_id) for doc_id, _doc in docs]
        if any(b < a for a, b in pairwise(numbers)):
            docs.sort(key=lambda item: int(item[0]))  # as written, it is in order already
        return Articles(docs, self._storage.texts)

    @_whole
    def content_key(self) -> str:
        """Names the exact articles held, in order: equal keys, equal article sets."""
        return fields_key(self.articles().fields())

    @_synchronised
    def articles_of(self, keys: Iterable[Key]) -> Articles:
        """The articles of these (library, id) keys that the store holds, each library's
        together (as the index numbers them), without building the whole sequence."""
        keys = list(keys)
        if self._tail is not None:
            found = self._tail.articles_of(keys)
            if found is not None:
                return found
            self._read_whole()
        doc_ids = (self._keys.doc_id(key) for key in keys)
        table = self._table()
        docs = [(str(doc_id), table[str(doc_id)]) for doc_id in dict.fromkeys(doc_ids) if doc_id]
        return Articles(docs, self._storage.texts).by_library()

    @_synchronised
    def get(self, article_id: str, library: Library = None) -> Article | None:
        """The article ``library`` holds under ``article_id`` (None: the shared library's)."""
        key = (library, article_id)
        if self._tail is not None:
            held = self._tail.holds(key)
            if held is not None:
                return self._tail.get(key) if held else None
            self._read_whole()
        return self._get(key)

    def _get(self, key: Key) -> Article | None:
        doc_id = self._keys.doc_id(key)
        if doc_id is None:
            return None
        return article_from_doc(str(doc_id), self._table()[str(doc_id)], self._storage.texts)

    @_synchronised
    def __len__(self) -> int:
        return len(self._tail) if self._tail is not None else len(self._keys)

    @_whole
    def library_sizes(self) -> Counter[Library]:
        """Articles held by each library that holds any (None: the shared library)."""
        return self._keys.library_sizes()

    @property
    def documents_read(self) -> bool:
        """Whether the documents are in memory (else only the keys: see ``_open``)."""
        return self._tail is None

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def _table(self) -> dict[str, dict[str, Any]]:
        """The articles table as TinyDB holds it (most texts left in the snapshot)."""
        return self._storage.read().get(ARTICLES, {})

    def _load(self, freeze: bool = False) -> None:
        """Read the file as it is now: from the snapshot if it copies this very file, else
        by parsing it (then snapshot it, so the next start need not). ``freeze``: the
        documents read live as long as the store (``paused_gc``)."""
        with paused_gc(freeze):
            self._load_paused()

    def _load_paused(self) -> None:
        signature = file_signature(self.path)
        opened = snapshot.read(self.path, signature, ARTICLES) if signature else None
        if opened is None and signature is not None:
            opened = self._snapshot_afresh()
        if opened is not None and opened.version < snapshot.FORMAT_VERSION:
            self._upgrade_snapshot(opened)
        if opened is not None:
            self._snapshot = opened.snapshot
            self._storage.adopt(opened.tables, opened.snapshot.signature, opened.texts)
        else:
            self._storage.reload()
            self._snapshot = None
        self._index_documents()
        self._save_snapshot()

    def _upgrade_snapshot(self, opened: snapshot.Opened) -> None:
        """Rewrite a snapshot of an older format in this one, if the file lock is free and
        the file is still the one it copies; else (or failing) it is read as it is again."""
        try:
            self._lock.acquire(blocking=False)
        except (Timeout, OSError):
            return
        try:
            if file_signature(self.path) == opened.snapshot.signature:
                snapshot.upgrade(self.path, opened, ARTICLES)
        except OSError as exc:
            log.warning("could not upgrade the database snapshot of %s: %s", self.path, exc)
        finally:
            self._lock.release()

    def _snapshot_afresh(self) -> snapshot.Opened | None:
        """The file read as a stream into a new snapshot; None when no snapshot can be
        written (the file is then parsed whole)."""
        try:
            return snapshot.build(self.path, ARTICLES)
        except ValueError as exc:
            raise StorageError("read", self.path, exc) from exc
        except OSError as exc:
            log.warning("could not snapshot the database %s: %s", self.path, exc)
            return None

    def _save_snapshot(self) -> None:
        """Bring the snapshot up to the file in memory, then let go of the texts it now
        holds; failing costs speed and memory, not data."""
        signature = self._storage.signature
        if signature is None or (self._snapshot and self._snapshot.signature == signature):
            return
        if self._snapshot is not None:  # the logs' texts go to the blob too
            for doc_id in self._storage.logged_ids():
                self._snapshot.forget(int(doc_id))
        try:
            self._snapshot = snapshot.write(
                self.path, signature, self._storage.read(), ARTICLES, self._snapshot,
                self._storage.texts,
            )
            self._storage.detach(snapshot.texts_of(self.path, self._snapshot))
        except OSError as exc:
            log.warning("could not save the database snapshot of %s: %s", self.path, exc)
            self._snapshot = None
        self._view = None

    def _index_documents(self) -> None:
        """Ids and fingerprints from TinyDB's raw table; articles are built when read."""
        table = self._table()  # in the order added, as written

        def doc_ids() -> dict[Key, int]:
            with paused_gc():
                return {(doc.get(LIBRARY), doc["id"]): int(i) for i, doc in table.items()}

        self._keys = Keys(
            doc_ids,
            lambda: (((doc.get(LIBRARY), doc["id"]), doc["fingerprint"])
                     for doc in table.values()),
        )
        self._view = None

    # -- writing -------------------------------------------------------------------------
    @contextmanager
    def _writing(self) -> Iterator[None]:
        """Apply one change under the file lock and write it; on any failure (the change
        itself, or a full or read-only disk) memory is rolled back to what is on disk."""
        with self._locked_file():
            self.refresh()
            try:
                yield
                self._storage.flush()
            except BaseException:
                self._reopen()  # drop the half-applied or unwritten batch
                raise
            self._save_snapshot()
            self._save_keys()

    def _reopen(self) -> None:
        """Back to what is on disk, read as it was read before."""
        if self._tail is not None:
            self._open()
        else:
            self._load()

    @contextmanager
    def _locked_file(self) -> Iterator[None]:
        """The inter-process write lock; failing to take it is a ``StorageError``."""
        try:
            self._acquire()
        except OSError as exc:  # no lock file in a read-only directory; filelock.Timeout
            raise StorageError("write", self.path, exc) from exc
        try:
            yield
        finally:
            self._lock.release()

    def _acquire(self) -> None:
        """Take the file lock; while it is held elsewhere, wait with a marker file beside
        the database that tells a bulk session holding it to let go soon."""
        try:
            self._lock.acquire(blocking=False)
            return
        except Timeout:
            pass
        marker = self.path.with_name(
            f"{self.path.name}{WAITING}{os.getpid()}-{threading.get_ident()}"
        )
        with contextlib.suppress(OSError):  # unmarked, it waits for the session's end
            marker.touch()
        try:
            self._lock.acquire()
        finally:
            marker.unlink(missing_ok=True)

    def _others_waiting(self) -> bool:
        """Whether another writer waits for the file lock. A marker older than
        LOCK_TIMEOUT_S is of a writer that died waiting (one alive has given up): deleted."""
        oldest = time.time() - LOCK_TIMEOUT_S
        for marker in self.path.parent.glob(f"{glob.escape(self.path.name)}{WAITING}*"):
            with contextlib.suppress(OSError):  # gone meanwhile: that writer got in
                if marker.stat().st_mtime > oldest:
                    return True
                marker.unlink()
        return False

    @contextmanager
    def bulk(self) -> Iterator[None]:
        """Saves within are one write session (a bulk load): the file lock is held
        throughout (let go for a moment once held LOCK_HOLD_S while another writer waits),
        each save one record of the log. A failure loses nothing saved before it."""
        with self._locked_file():
            with self._mutex:
                self.refresh()
                self._in_bulk = True
                self._locked_at = time.monotonic()
            try:
                yield
                with self._mutex:
                    self._save_keys()
            except BaseException:
                with self._mutex:
                    self._reopen()
                raise
            finally:
                self._in_bulk = False

    @_synchronised
    def save(self, articles: Iterable[Article], report: LoadReport) -> None:
        """Insert new articles and update changed ones in one atomic write."""
        if not self._in_bulk:
            with self._writing():
                self._store(articles, report)
            return
        self._store(articles, report)
        self._commit()
        if time.monotonic() - self._locked_at > LOCK_HOLD_S and self._others_waiting():
            self._let_others_write()

    def _let_others_write(self) -> None:
        """Within bulk(), everything written: let go of the file lock for a moment."""
        self._lock.release()
        time.sleep(LET_IN_S)
        try:
            self._lock.acquire()
        except OSError as exc:  # filelock.Timeout (bulk()'s release is then a no-op)
            raise StorageError("write", self.path, exc) from exc
        self._locked_at = time.monotonic()
        self.refresh()  # what they wrote, under ours

    def _commit(self) -> None:
        self._storage.flush()
        self._save_snapshot()

    def _store(self, articles: Iterable[Article], report: LoadReport) -> None:
        """Insert and update: new articles appended to the log while the documents are
        unread, else into TinyDB's raw table (written by the next flush). The documents go
        in directly: TinyDB's insert re-keys the whole table, a pass over every document
        for each save of a bulk load."""
        if self._tail is not None:
            articles = self._tail.fingerprinted(articles)
            if self._tail.takes(articles):
                self._tail.append(self._apply(articles, report))
                return
            self._read_whole()
        changed = self._apply(articles, report)
        if changed:
            data = self._storage.read()
            data.setdefault(ARTICLES, {}).update(changed)
            self._storage.write(data)

    def _save_keys(self) -> None:
        """With the file lock held, after a write: refresh the key columns on disk if the
        write left them behind (a long tail, or changes beyond additions since)."""
        if self._tail is not None:
            try:
                self._tail.save_keys()
            except OSError as exc:
                log.warning("could not save the dedupe keys of %s: %s", self.path, exc)
            return
        storage = self._storage
        cover = key_columns.cover_on_disk(self.path)
        if cover is None or (cover.signature, cover.generation) != (
            storage.signature, storage.generation
        ):
            self._keys_stale = True
        if not self._keys_stale or storage.signature is None or storage.generation is None:
            return
        keys, fingerprints, last_doc_id = self._keys.persisted()
        cover = key_columns.Cover(storage.signature, storage.generation, storage.log_end,
                                  last_doc_id, len(self._keys))
        try:
            key_columns.write(self.path, cover, key_columns.hashes(keys),
                              key_columns.hashes(fingerprints))
        except OSError as exc:
            log.warning("could not save the dedupe keys of %s: %s", self.path, exc)
            return
        self._keys_stale = False

    def _apply(
        self, articles: Iterable[Article], report: LoadReport
    ) -> dict[str, dict[str, Any]]:
        """The documents inserted and updated (by document id), the keys kept in step."""
        batch: dict[Key, tuple[Article, int, dict[str, Any]]] = {}  # an id may come twice
        next_id = self._keys.next_doc_id()
        for article in articles:
            fingerprint = article.fingerprint or content_fingerprint(article.text)
            key = (article.library, article.id)
            known = batch[key][0] if key in batch else self._get(key)
            if known is None and self._keys.same_story_stored(key, fingerprint):
                report.duplicate += 1
                continue
            if known is not None and _same(known, article):
                report.duplicate += 1
                continue
            if known is not None:
                article = _keep_added_at(article, known)
                doc_id = self._keys.doc_id(key)  # type: ignore[assignment]
                self._forget_text(doc_id)
                report.updated += 1
            else:
                doc_id, next_id = next_id, next_id + 1
                report.loaded += 1
            batch[key] = (article, doc_id, article_to_doc(article, fingerprint))
            self._keys.remember(key, doc_id, fingerprint)
            self._view = None
            report.article_ids.append(article.id)
            report.stored.append(key)
        return {str(doc_id): doc for _article, doc_id, doc in batch.values()}

    @_whole
    def remove(self, article_id: str, library: Library = None) -> bool:
        """Remove ``library``'s article ``article_id``; False when it holds none."""
        found = lambda: [d for d in [self._keys.doc_id((library, article_id))] if d]  # noqa: E731
        return self._remove(found) == 1

    @_whole
    def purge(self, library: str) -> int:
        """Remove every article of a server's library; how many there were."""
        return self._remove(
            lambda: list(self._keys.of_library(library))
        )

    def _remove(self, chosen: Callable[[], list[int]]) -> int:
        """Remove the documents ``chosen`` names once the file is locked and re-read."""
        with self._writing():
            doc_ids = chosen()
            if not doc_ids:
                return 0
            self._db.table(ARTICLES).remove(doc_ids=doc_ids)
            for doc_id in doc_ids:
                self._forget_text(doc_id)
            self._index_documents()
            self._keys_stale = True
        return len(doc_ids)

    def _forget_text(self, doc_id: int) -> None:
        if self._snapshot is not None:
            self._snapshot.forget(doc_id)

    # -- small settings tables (guild settings, feeds) -------------------------------------
    @_whole
    def records(self, table: str) -> list[dict[str, Any]]:
        return [dict(doc) for doc in self._db.table(table).all()]

    @_whole
    def update_records(self, table: str, change: Callable[[list[dict]], list[dict]]) -> None:
        """Replace a settings table with ``change(current records)``, under the write lock."""
        with self._writing():
            current = self.records(table)
            new = change(current)
            handle = self._db.table(table)
            handle.truncate()
            handle.insert_multiple(new)

    def close(self) -> None:
        self._db.close()


def _same(a: Article, b: Article) -> bool:
    fields = ("url", "title", "source", "published", "authors", "text")
    return all(getattr(a, f) == getattr(b, f) for f in fields)


def _keep_added_at(new: Article, old: Article) -> Article:
    return replace(new, added_at=old.added_at)
