"""The write path of a store not read whole: new articles appended to the log.

At a million articles, ``newsbot load`` of one article spent 6 s reading every document
(snapshot, log, the lookups by id) and 2.7 s building the fingerprint lookups, to learn
that the article is new and which document id is next. Here the store opens from the
dedupe keys persisted beside the snapshot (``key_columns``), which cover the database up
to a point of its log, plus the records the log holds after it (the tail, read as any
reader catches up): as long as that tail only added or replaced documents, the keys of the
tail are held exactly in memory and the columns answer for the rest (the content an update
replaced stays in them: a hash there only ever sends a write to the whole store).

An article whose key or content none of them holds is new for certain, and is appended to
the log as one record (``changelog``), as the store's own write path would. Anything the
columns may hold (a duplicate, an update, or a hash that collides), a tail that removed
documents, or a write that would compact the log: the store reads itself whole
and takes its usual path (bot/storage/store.py), so the outcome never differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson

from bot.ingest.normalize import content_fingerprint
from bot.models import Article
from bot.storage import changelog, key_columns
from bot.storage.atomic import StorageError, file_signature
from bot.storage.dedupe import Key, Keys, same_story
from bot.storage.documents import (
    ARTICLES,
    LIBRARY,
    TEXT,
    Articles,
    BlobTexts,
    Span,
    Texts,
    article_from_doc,
    without_text,
)
from bot.storage.json_storage import outgrows

# Once the log's tail past the columns is this long, a write refreshes them: a start
# then reads a short tail (the columns themselves are 16 bytes an article).
TAIL_BYTES = 64 << 20
FIELDS_BYTES = 1024  # about what a document's fields take in a log record, beyond its text


class Appender:
    """The tail of the log over the persisted columns: which keys the store holds."""

    def __init__(self, db_path: Path, columns: key_columns.Columns, at: changelog.Position) -> None:
        self.path = db_path
        self.log_path = changelog.log_path(db_path)
        self.columns = columns
        self._at = at
        self.keys = Keys(last_doc_id=columns.cover.last_doc_id)  # of the tail's documents
        self._count = columns.cover.articles  # articles stored
        self._docs: dict[str, dict[str, Any]] = {}  # the tail's documents, without texts
        self._spans: dict[str, Span] = {}  # their texts in the log

    def __len__(self) -> int:
        return self._count

    def catch_up(self) -> bool:
        """Read what was appended since; False when the store must be read whole (the
        file was rewritten, or a record removed a document)."""
        if file_signature(self.path) != self.columns.cover.signature:
            return False
        try:
            found = changelog.read(self.log_path, self.columns.cover.generation, self._at)
        except OSError as exc:
            raise StorageError("read", self.path, exc) from exc
        if found is None:
            return False
        records, self._at = found
        older = self.columns.cover.last_doc_id  # ids up to it: documents the columns hold
        for record in records:
            for doc_id, doc in record.tables.get(ARTICLES, {}).items():
                if doc is None:
                    return False
                if doc_id not in self._docs and int(doc_id) > older:  # else an update
                    self._count += 1
                self._docs[doc_id] = doc
                self.keys.remember((doc.get(LIBRARY), doc["id"]), int(doc_id), doc["fingerprint"])
            self._spans.update(record.texts)
        return True

    def fingerprinted(self, articles: Iterable[Article]) -> list[Article]:
        return [
            article if article.fingerprint else replace(
                article, fingerprint=content_fingerprint(article.text)
            )
            for article in articles
        ]

    def takes(self, articles: list[Article]) -> bool:
        """Whether these (fingerprinted) articles are certainly new to the columns and to
        the tail's keys, and appending them leaves the log short of compaction."""
        adding = sum(len(a.text) + len(a.title) + len(a.url) + FIELDS_BYTES for a in articles)
        if outgrows(self._at.end, adding, self.columns.cover.signature[1]):
            return False
        return not any(self._may_hold((a.library, a.id), a.fingerprint) for a in articles)

    def _may_hold(self, key: Key, fingerprint: str) -> bool:
        """Whether the store may hold ``key`` or its story (the tail's stories are the
        store's own path's to judge: ``Keys.same_story_stored`` holds them exactly)."""
        columns = self.columns
        return (self.keys.doc_id(key) is not None or columns.holds_key(key)
                or same_story(key, fingerprint, columns.holds_key, columns.holds_fingerprint))

    def append(self, docs: dict[str, dict[str, Any]]) -> None:
        """Write the new documents (with their texts) to the log in one record."""
        fields = {ARTICLES: {doc_id: without_text(doc) for doc_id, doc in docs.items()}}
        texts = ((doc_id, orjson.dumps(doc[TEXT])) for doc_id, doc in docs.items())
        try:
            self._at, spans = changelog.append(self.log_path, self._at, fields, texts)
        except OSError as exc:
            raise StorageError("write", self.path, exc) from exc
        self._docs.update(fields[ARTICLES])
        self._spans.update(spans)
        self._count += len(docs)

    def holds(self, key: Key) -> bool | None:
        """Whether the store holds ``key``: None when only reading it whole can tell."""
        if self.keys.doc_id(key) is not None:
            return True
        return None if self.columns.holds_key(key) else False

    def articles_of(self, keys: Iterable[Key]) -> Articles | None:
        """The tail's articles of these keys (those the store holds); None when one may be
        older than the tail."""
        doc_ids = []
        for key in keys:
            held = self.holds(key)
            if held is None:
                return None
            if held:
                doc_ids.append(str(self.keys.doc_id(key)))
        docs = [(doc_id, self._docs[doc_id]) for doc_id in dict.fromkeys(doc_ids)]
        return Articles(docs, self._texts()).by_library()

    def get(self, key: Key) -> Article:
        """The tail's article of ``key`` (which ``holds``)."""
        doc_id = str(self.keys.doc_id(key))
        return article_from_doc(doc_id, self._docs[doc_id], self._texts())

    def _texts(self) -> Texts:
        return Texts(BlobTexts(self.log_path, self._spans))

    def save_keys(self) -> None:
        """Refresh the columns on disk once the tail is long (with the file lock held):
        the columns' hashes merged with the tail's."""
        cover = self.columns.cover
        if self._at.end - cover.log_end < TAIL_BYTES:
            return
        keys, fingerprints, last_doc_id = self.keys.persisted()
        fresh = key_columns.Columns(
            replace(cover, log_end=self._at.end, last_doc_id=last_doc_id, articles=len(self)),
            key_columns.merged(self.columns.keys, keys),
            key_columns.merged(self.columns.fingerprints, fingerprints),
        )
        key_columns.write(self.path, fresh.cover, fresh.keys, fresh.fingerprints)
        self.columns = fresh


def open_tail(db_path: Path) -> Appender | None:
    """The store at ``db_path`` opened from its columns and its log's tail; None when it
    must be read whole (no usable columns, or a tail that is more than additions)."""
    columns = key_columns.read(db_path)
    if columns is None or file_signature(db_path) != columns.cover.signature:
        return None
    log_path = changelog.log_path(db_path)
    try:
        at = changelog.position(log_path, columns.cover.generation, columns.cover.log_end)
    except OSError:
        return None
    if at is None:
        return None
    appender = Appender(db_path, columns, at)
    return appender if appender.catch_up() else None
