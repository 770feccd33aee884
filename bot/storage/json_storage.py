"""A TinyDB storage that appends each write to a log and rewrites its JSON file rarely.

TinyDB's stock JSONStorage rewrites the whole file in place on every insert: loading is
quadratic, a crash mid-write corrupts the file, and one new article in a 1 GB database
writes 1 GB. This storage keeps the database in memory; ``flush()`` appends what changed
since the last one (documents added, replaced or removed, with their texts) to the log
beside the file (bot/storage/changelog.py) and fsyncs it. When the log has grown as large
as the file (``COMPACT_RATIO``; and at least ``COMPACT_MIN`` bytes), ``flush()`` instead
writes the whole database to a temporary file that is fsynced and renamed over the old one,
and starts a fresh log: a write costs what it changes, and the file is rewritten each time
the data has about doubled.
Reading is the JSON file (or its snapshot) plus the log's records, in order.

What changed is found by comparing with what was last written: the detached table's
documents by identity (the store replaces documents, never changes one in place), the
small tables' by value.

The documents of one table (the articles) may be held without their text, which then
lives in the snapshot's blob (bot/storage/snapshot.py) or in the log: a write to a
100,000-article database holds neither every text (2 GB as Python strings) nor the file
as one string.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import orjson
from tinydb.storages import Storage

from bot.storage import changelog
from bot.storage.atomic import (
    FileSignature,
    StorageError,
    file_signature,
    fsync_dir,
    mode_of,
    replace_file,
    signature_of,
)
from bot.storage.documents import TEXT, BlobTexts, Span, Texts, without_text

COMPACT_MIN = 64 << 20  # log bytes below which the JSON file is never rewritten
COMPACT_RATIO = 1.0  # the log is compacted once it outgrows this many times the file


class LoggedJSONStorage(Storage):
    """TinyDB storage: reads once, writes on ``flush()`` by appending to a log (or, when
    the log is large, by rewriting the file atomically). A document of ``detached_table``
    without a text has it in ``texts``."""

    def __init__(self, path: str | os.PathLike[str], detached_table: str) -> None:
        self.path = Path(path)
        self.log_path = changelog.log_path(self.path)
        self.detached_table = detached_table
        self._data: dict[str, Any] | None = None
        self._dirty = False
        self.signature: FileSignature | None = None  # of the JSON file as read
        self._generation: str | None = None  # the file's, which its log names
        self._log: changelog.Position | None = None
        self._log_spans: dict[str, Span] = {}  # texts in the current log
        self._retired: list[BlobTexts] = []  # texts in logs compacted since the snapshot
        self._blob: BlobTexts | None = None
        self._committed: dict[str, dict[str, Any]] = {}  # what the file and log hold
        self.texts = Texts()

    def read(self) -> dict[str, Any] | None:
        if self._data is None:
            self.reload()
        return self._data

    def write(self, data: dict[str, Any]) -> None:
        self._data = data
        self._dirty = True

    # -- reading -------------------------------------------------------------------------
    def reload(self) -> None:
        """Drop the in-memory copy and read the file (and its log) as on disk now."""
        try:
            signature, data = self._read_file()
        except FileNotFoundError:
            signature, data = None, {}
        except (OSError, ValueError) as exc:  # orjson.JSONDecodeError is a ValueError
            raise StorageError("read", self.path, exc) from exc
        self.adopt(data, signature)

    def adopt(
        self,
        data: dict[str, Any],
        signature: FileSignature | None,
        texts: BlobTexts | None = None,
    ) -> None:
        """Take ``data`` as the content of the file with ``signature`` (read some other
        way, its detached texts in ``texts``), then apply its log."""
        self.signature, self._data, self._dirty, self._blob = signature, data, False, texts
        self._log, self._log_spans, self._retired = None, {}, []
        self._committed = {name: self._copy(name, docs) for name, docs in data.items()}
        self._generation = changelog.generation_of(data)
        if self._generation is not None:
            self._replay(self._read_log(None))
        self._set_texts()

    def catch_up(self) -> bool | None:
        """Apply what other processes appended to the log since: whether they appended
        anything; None when the file was rewritten or the log replaced (reload then)."""
        if file_signature(self.path) != self.signature:
            return None
        if self._generation is None:
            return False
        found = self._read_log(self._log)
        if found is None:
            return None if self._log is not None else False
        applied = self._replay(found)
        if applied:  # its texts mapped anew only when it grew (10 ms a question at 1M)
            self._set_texts()
        return applied

    def logged_ids(self) -> set[str]:
        """Documents of the detached table whose texts are in a log, not the blob."""
        return set(self._log_spans).union(*(texts.ids() for texts in self._retired))

    def _read_log(
        self, since: changelog.Position | None
    ) -> tuple[list[changelog.Record], changelog.Position] | None:
        try:
            return changelog.read(self.log_path, self._generation, since)  # type: ignore[arg-type]
        except OSError as exc:
            raise StorageError("read", self.path, exc) from exc

    def _replay(
        self, found: tuple[list[changelog.Record], changelog.Position] | None
    ) -> bool:
        if found is None:
            return False
        records, self._log = found
        for record in records:
            self._apply(record.tables)
            self._log_spans.update(record.texts)
        return bool(records)

    def _apply(self, changes: changelog.Changes) -> None:
        """Changes now on disk: into the data and into what was written."""
        for name, docs in changes.items():
            table = self._data.setdefault(name, {})  # type: ignore[union-attr]
            written = self._committed.setdefault(name, {})
            for doc_id, doc in docs.items():
                if doc is None:
                    table.pop(doc_id, None)
                    written.pop(doc_id, None)
                else:
                    table[doc_id] = doc
                    written[doc_id] = doc if name == self.detached_table else _deep(doc)

    def _copy(self, name: str, docs: dict[str, Any]) -> dict[str, Any]:
        return dict(docs) if name == self.detached_table else _deep(docs)

    def _set_texts(self) -> None:
        log = BlobTexts(self.log_path, self._log_spans) if self._log_spans else None
        self.texts = Texts(log, *self._retired, self._blob)

    def detach(self, texts: BlobTexts) -> None:
        """``texts`` (the snapshot's blob) now holds the detached table's texts, those
        in the logs included: drop the copies held in memory. Documents are replaced, not
        changed: articles built from them stay valid."""
        self._blob, self._retired, self._log_spans = texts, [], {}
        docs = (self._data or {}).get(self.detached_table, {})
        written = self._committed.get(self.detached_table, {})
        for doc_id, doc in docs.items():
            if TEXT in doc and texts.holds(doc_id):
                docs[doc_id] = without_text(doc)
                if written.get(doc_id) is doc:
                    written[doc_id] = docs[doc_id]
        self._set_texts()

    def _read_file(self) -> tuple[FileSignature, dict[str, Any]]:
        """The file's content and the signature of exactly the file read (a rename
        meanwhile cannot pair one file's signature with another's content)."""
        with self.path.open("rb") as file:
            signature = signature_of(os.fstat(file.fileno()))
            data = orjson.loads(file.read()) if signature[1] else {}
        if not isinstance(data, dict):
            raise ValueError(f"expected a JSON object, not {type(data).__name__}")
        return signature, data

    # -- writing -------------------------------------------------------------------------
    def flush(self) -> None:
        """Write what changed since the last flush.

        On failure the files on disk hold what they held (a record half appended is
        invisible, and cut off by the next write) and ``StorageError`` is raised; the
        unwritten change stays in memory until ``reload()``.
        """
        if not self._dirty or self._data is None:
            return
        changes = self._changes()
        fields = {  # the changes as the log holds them: the detached table's texts apart
            name: {i: d and without_text(d) for i, d in docs.items()}
            if name == self.detached_table else docs
            for name, docs in changes.items()
        }
        try:
            if changes and self._rewrites(changes, fields):
                self._compact()
            elif changes:
                self._append(changes, fields)
        except OSError as exc:
            raise StorageError("write", self.path, exc) from exc
        self._dirty = False

    def _rewrites(self, changes: changelog.Changes, fields: changelog.Changes) -> bool:
        """Whether this write rewrites the file: there is none yet, or one written before
        logs, or appending these changes would make the log outgrow it. The write that
        crosses the line pays for the rewrite, so the log at rest stays below it."""
        if self.signature is None or self._generation is None:
            return True
        texts = changes.get(self.detached_table, {}).values()
        adding = len(orjson.dumps(fields)) + sum(  # about: texts counted in characters
            len(doc[TEXT]) for doc in texts if doc and TEXT in doc
        )
        return outgrows(self.log_end, adding, self.signature[1])

    @property
    def generation(self) -> str | None:
        """The generation of the file read (None: written before logs were)."""
        return self._generation

    @property
    def log_end(self) -> int:
        """How far into the log what is held goes (0: no log read or written)."""
        return self._log.end if self._log else 0

    def _changes(self) -> changelog.Changes:
        """Documents changed since the last write (None: removed)."""
        changes: changelog.Changes = {}
        for name in self._data.keys() | self._committed.keys():  # type: ignore[union-attr]
            now = self._data.get(name, {})  # type: ignore[union-attr]
            before = self._committed.get(name, {})
            detached = name == self.detached_table
            changed = {
                doc_id: doc for doc_id, doc in now.items()
                if (before.get(doc_id) is not doc if detached else before.get(doc_id) != doc)
            }
            changed.update((doc_id, None) for doc_id in before.keys() - now.keys())
            if changed:
                changes[name] = changed
        return changes

    def _texts_of(self, docs: dict[str, Any]) -> Iterator[tuple[str, bytes]]:
        """The texts of the detached table's changed documents as JSON strings, each
        encoded only when the log is about to write it (a batch's are never all held)."""
        for doc_id, doc in docs.items():
            if doc is not None:
                yield doc_id, orjson.dumps(doc[TEXT]) if TEXT in doc else self.texts.json(doc_id)

    def _append(self, changes: changelog.Changes, fields: changelog.Changes) -> None:
        if self._log is None:
            self._log = changelog.start(self.log_path, self._generation, mode_of(self.path))  # type: ignore[arg-type]
        texts = self._texts_of(changes.get(self.detached_table, {}))
        self._log, spans = changelog.append(self.log_path, self._log, fields, texts)
        self._apply(fields)  # documents without their texts, which are on disk now
        self._log_spans.update(spans)
        self._set_texts()

    def _compact(self) -> None:
        """Rewrite the file whole and start a fresh log continuing it."""
        generation = changelog.new_generation(self._data)  # type: ignore[arg-type]
        replace_file(self.path, self._json(self._data), mode_of(self.path))  # type: ignore[arg-type]
        fsync_dir(self.path.parent)
        self.signature, self._generation = file_signature(self.path), generation
        if self._log_spans:  # still read from the old log until the snapshot holds them
            self._retired.append(BlobTexts(self.log_path, self._log_spans))
        self._log = changelog.start(self.log_path, generation, mode_of(self.path))
        self._log_spans = {}
        self._committed = {name: self._copy(name, docs) for name, docs in self._data.items()}  # type: ignore[union-attr]
        self._set_texts()

    def _json(self, data: dict[str, Any]) -> Iterator[bytes]:
        """``data`` as TinyDB's JSON, a document at a time, detached texts filled in."""
        yield b"{"
        for number, (name, docs) in enumerate(data.items()):
            yield b"%s%s:{" % (b"," if number else b"", orjson.dumps(name))
            detached = name == self.detached_table
            for count, (doc_id, doc) in enumerate(docs.items()):
                encoded = orjson.dumps(doc)
                if detached and TEXT not in doc:  # '{...}' becomes '{...,"text":"..."}'
                    text = self.texts.json(doc_id)
                    comma = b"," if doc else b""
                    encoded = b'%s%s"%s":%s}' % (encoded[:-1], comma, TEXT.encode(), text)
                yield b"%s%s:%s" % (b"," if count else b"", orjson.dumps(doc_id), encoded)
            yield b"}"
        yield b"}"

    def close(self) -> None:
        self.flush()


def outgrows(logged: int, adding: int, file_bytes: int) -> bool:
    """Whether a log of ``logged`` bytes appended ``adding`` more would outgrow the JSON
    file it continues (of ``file_bytes``): then the file is rewritten instead."""
    return logged + adding > max(COMPACT_MIN, COMPACT_RATIO * file_bytes)


def _deep(value: Any) -> Any:
    return orjson.loads(orjson.dumps(value))
