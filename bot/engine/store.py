"""The system of record: articles (and the bot's settings) in one TinyDB file.

Writers take a file lock, re-read the file if another process changed it, apply a whole
batch, and write once, atomically. Readers never take the file lock: a rename is all they
can observe. Within a process, one re-entrant lock makes each method atomic for threads.
"""

from __future__ import annotations

import functools
import hashlib
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Any

from filelock import FileLock
from tinydb import TinyDB
from tinydb.table import Document

from bot.engine.models import Article, LoadReport
from bot.engine.normalize import content_fingerprint
from bot.engine.storage import AtomicJSONStorage, StorageError

ARTICLES = "articles"
LOCK_TIMEOUT_S = 120


def _synchronised(method: Callable) -> Callable:
    @functools.wraps(method)
    def locked(self: ArticleStore, *args: Any, **kwargs: Any) -> Any:
        with self._mutex:
            return method(self, *args, **kwargs)

    return locked


def article_to_doc(article: Article, fingerprint: str) -> dict[str, Any]:
    return {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "source": article.source,
        "published": article.published.isoformat() if article.published else None,
        "authors": list(article.authors),
        "text": article.text,
        "added_at": article.added_at.isoformat(),
        "fingerprint": fingerprint,
    }


def doc_to_article(doc: dict[str, Any]) -> Article:
    published = doc.get("published")
    return Article(
        id=doc["id"],
        url=doc["url"],
        title=doc["title"],
        source=doc["source"],
        published=datetime.fromisoformat(published) if published else None,
        authors=tuple(doc.get("authors") or ()),
        text=doc["text"],
        added_at=datetime.fromisoformat(doc["added_at"]),
    )


class ArticleStore:
    """Articles by id, deduplicated by canonical URL (the id) and by content."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        self._storage = AtomicJSONStorage(self.path)
        self._db = TinyDB(self.path, storage=lambda _path: self._storage)
        self._lock = FileLock(str(self.path) + ".lock", timeout=LOCK_TIMEOUT_S)
        self._mutex = threading.RLock()
        self._by_id: dict[str, int] = {}
        self._by_fingerprint: dict[str, str] = {}
        self._fingerprints: dict[str, str] = {}
        self._articles: dict[str, Article] = {}
        self._index_documents()

    # -- reading -------------------------------------------------------------------------
    @_synchronised
    def refresh(self) -> bool:
        """Re-read the file if another process wrote it; True when it had changed."""
        if not self._storage.changed_on_disk():
            return False
        self._storage.reload()
        self._index_documents()
        return True

    @_synchronised
    def articles(self) -> list[Article]:
        """Every article, in the order they were first added."""
        return list(self._articles.values())

    @_synchronised
    def content_key(self) -> str:
        """Names the exact articles held, in order: equal keys, equal article sets."""
        h = hashlib.sha1()
        for article_id, article in self._articles.items():
            h.update(f"{article_id}:{self._fingerprints[article_id]}:{article.title}\n".encode())
        return h.hexdigest()

    @_synchronised
    def get(self, article_id: str) -> Article | None:
        return self._articles.get(article_id)

    @_synchronised
    def __len__(self) -> int:
        return len(self._articles)

    @property
    def size_bytes(self) -> int:
        return self.path.stat().st_size if self.path.exists() else 0

    def _index_documents(self) -> None:
        table = self._db.table(ARTICLES)
        self._by_id, self._by_fingerprint, self._articles = {}, {}, {}
        self._fingerprints = {}
        for doc in sorted(table.all(), key=lambda d: d.doc_id):
            self._remember(doc_to_article(doc), doc.doc_id, doc["fingerprint"])

    def _remember(self, article: Article, doc_id: int, fingerprint: str) -> None:
        old = self._fingerprints.get(article.id)
        if old is not None and self._by_fingerprint.get(old) == article.id:
            del self._by_fingerprint[old]
        self._by_id[article.id] = doc_id
        self._by_fingerprint[fingerprint] = article.id
        self._fingerprints[article.id] = fingerprint
        self._articles[article.id] = article

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
                self._storage.reload()  # drop the half-applied or unwritten batch
                self._index_documents()
                raise

    @contextmanager
    def _locked_file(self) -> Iterator[None]:
        """The inter-process write lock; failing to take it is a ``StorageError``."""
        try:
            self._lock.acquire()
        except OSError as exc:  # no lock file in a read-only directory; filelock.Timeout
            raise StorageError("write", self.path, exc) from exc
        try:
            yield
        finally:
            self._lock.release()

    @_synchronised
    def save(self, articles: Iterable[Article], report: LoadReport) -> None:
        """Insert new articles and update changed ones in one atomic write."""
        with self._writing():
            table = self._db.table(ARTICLES)
            inserts: list[Document] = []
            replaced: list[Document] = []
            next_id = max(self._by_id.values(), default=0) + 1
            for article in articles:
                fingerprint = content_fingerprint(article.text)
                known = self._articles.get(article.id)
                same_story = self._by_fingerprint.get(fingerprint)
                if known is None and same_story is not None:
                    report.duplicate += 1
                    continue
                if known is not None and _same(known, article):
                    report.duplicate += 1
                    continue
                if known is not None:
                    article = _keep_added_at(article, known)
                    doc = Document(article_to_doc(article, fingerprint), self._by_id[article.id])
                    replaced.append(doc)
                    report.updated += 1
                else:
                    doc = Document(article_to_doc(article, fingerprint), next_id)
                    next_id += 1
                    inserts.append(doc)
                    report.loaded += 1
                self._remember(article, doc.doc_id, fingerprint)
                report.article_ids.append(article.id)
            if replaced:
                table.remove(doc_ids=[d.doc_id for d in replaced])
            if inserts or replaced:
                table.insert_multiple(inserts + replaced)

    @_synchronised
    def remove(self, article_id: str) -> bool:
        with self._writing():
            doc_id = self._by_id.get(article_id)
            if doc_id is None:
                return False
            self._db.table(ARTICLES).remove(doc_ids=[doc_id])
            self._index_documents()
            return True

    # -- small settings tables (guild settings, feeds) -------------------------------------
    @_synchronised
    def records(self, table: str) -> list[dict[str, Any]]:
        return [dict(doc) for doc in self._db.table(table).all()]

    @_synchronised
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
