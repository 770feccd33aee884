"""The store's articles as an immutable sequence that builds each one when asked for.

At 100,000 articles the texts alone take 2 GB as Python strings (news text is rarely pure
Latin-1, so most take two bytes a character). Kept as TinyDB documents, with the texts
left in the snapshot's blob when the store opened from it, an article costs only what
its fields take until someone reads it; a question reads a few hundred.
"""

from __future__ import annotations

import functools
import hashlib
import mmap
import os
import zlib
from collections.abc import Callable, Iterable, Iterator, Mapping, MutableMapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, NamedTuple, TypeVar, overload

import numpy as np
import orjson

from bot.models import Article, Library
from bot.storage.atomic import StorageError

ARTICLES = "articles"  # the store's table of articles
TEXT = "text"
LIBRARY = "library"  # absent from shared articles (and from every article of older databases)
BUILT_CACHE = 4096  # articles kept built: a question reads ~300, mostly different ones
Span = tuple[int, int, int]  # a text's offset, length and CRC-32 in its file
T = TypeVar("T", bytes, memoryview)
# Spans as a snapshot's meta.json packs them: little-endian columns.
SPAN_COLUMNS = np.dtype([("doc", "<i8"), ("at", "<i8"), ("length", "<i8"), ("crc", "<u4")])


class Spans(MutableMapping[str, Span]):
    """Spans by document id, kept as the packed columns they were read from (sorted by
    document; looked up by binary search) under the changes made since: a million spans
    as a dict took a second of a start to build, and as much again to copy and sum."""

    def __init__(self, columns: np.ndarray) -> None:
        docs = columns["doc"]
        in_order = bool(np.all(docs[1:] > docs[:-1]))  # as a snapshot mostly writes them
        self._columns = columns if in_order else columns[np.argsort(docs, kind="stable")]
        # contiguous: np.searchsorted copies a strided column at each call
        self._docs, self._at, self._length, self._crc = (
            np.ascontiguousarray(self._columns[name]) for name in ("doc", "at", "length", "crc")
        )
        self._changed: dict[str, Span] = {}
        self._gone: set[str] = set()  # documents of the columns removed or changed since

    @classmethod
    def of(cls, spans: Mapping[str, Span]) -> Spans:
        if isinstance(spans, Spans):
            return spans
        columns = np.empty(len(spans), SPAN_COLUMNS)
        columns["doc"] = np.fromiter(map(int, spans), np.int64, len(spans))
        for number, name in enumerate(("at", "length", "crc")):
            columns[name] = np.fromiter((span[number] for span in spans.values()), np.int64,
                                        len(spans))
        return cls(columns)

    def _row(self, doc_id: str) -> int | None:
        """Where the columns hold ``doc_id`` (None: they do not, or no longer)."""
        if doc_id in self._gone or not doc_id.isdigit():
            return None
        number = int(doc_id)
        row = int(np.searchsorted(self._docs, number))
        if row < len(self._docs) and self._docs[row] == number and str(number) == doc_id:
            return row
        return None

    def __getitem__(self, doc_id: str) -> Span:
        if doc_id in self._changed:
            return self._changed[doc_id]
        row = self._row(doc_id)
        if row is None:
            raise KeyError(doc_id)
        return int(self._at[row]), int(self._length[row]), int(self._crc[row])

    def __contains__(self, doc_id: object) -> bool:
        if doc_id in self._changed:
            return True
        return isinstance(doc_id, str) and self._row(doc_id) is not None

    def __setitem__(self, doc_id: str, span: Span) -> None:
        if self._row(doc_id) is not None:
            self._gone.add(doc_id)
        self._changed[doc_id] = span

    def __delitem__(self, doc_id: str) -> None:
        if doc_id in self._changed:
            del self._changed[doc_id]
        elif self._row(doc_id) is not None:
            self._gone.add(doc_id)
        else:
            raise KeyError(doc_id)

    def __iter__(self) -> Iterator[str]:
        gone = self._gone
        yield from (doc_id for doc_id in map(str, self._docs.tolist()) if doc_id not in gone)
        yield from self._changed

    def __len__(self) -> int:
        return len(self._docs) - len(self._gone) + len(self._changed)

    def copy(self) -> Spans:
        copied = Spans.__new__(Spans)
        copied._columns = self._columns
        copied._docs, copied._at, copied._length, copied._crc = (
            self._docs, self._at, self._length, self._crc
        )
        copied._changed, copied._gone = dict(self._changed), set(self._gone)
        return copied

    def columns(self) -> np.ndarray:
        """Every span, as the columns hold them."""
        if not (self._gone or self._changed):
            return self._columns
        kept = self._columns[~np.isin(self._docs, np.fromiter(map(int, self._gone), np.int64))]
        return np.concatenate([kept, Spans.of(self._changed)._columns])

    def to_dict(self) -> dict[str, Span]:
        """The spans as a dict (for many changes to come: a snapshot's write)."""
        columns = self.columns()
        return dict(zip(
            map(str, columns["doc"].tolist()),
            zip(columns["at"].tolist(), columns["length"].tolist(), columns["crc"].tolist(),
                strict=True),
            strict=True,
        ))

    def total_length(self) -> int:
        return int(self.columns()["length"].sum())

    def max_end(self) -> int:
        columns = self.columns()
        return int((columns["at"] + columns["length"]).max(initial=0))

    def spread(self, count: int) -> list[str]:
        """About ``count`` document ids spread over the columns."""
        docs = self.columns()["doc"]
        step = max(1, len(docs) // max(count, 1))
        return [str(doc) for doc in docs[::step][:count].tolist()]


ArticleKey = tuple[Library, str, str]  # (library, id, fingerprint): one version of an article


class Header(NamedTuple):
    """An article's fields but its text: enough to list, sort and filter by."""

    number: int  # position in the sequence
    id: str
    url: str
    title: str
    source: str
    published: datetime | None
    authors: tuple[str, ...]
    added_at: datetime
    library: Library  # None: the shared library


class BlobTexts:
    """Texts of documents, read by document id from a file of spans, each a text encoded
    as a JSON string (so rewriting the database copies them as they are) with its CRC-32,
    checked at every read: damage is never served. Memory-mapped for questions (no system
    call; only the pages of texts read count towards memory); read with pread for full
    passes, which would otherwise leave every page resident. ``damaged`` is called before
    a text that fails its check is reported (a ``StorageError``)."""

    def __init__(
        self,
        path: Path,
        spans: Mapping[str, Span],
        damaged: Callable[[], None] | None = None,
    ) -> None:
        self.path = path
        self._file = path.open("rb", buffering=0)  # closed when the last reader is gone
        self.size = os.fstat(self._file.fileno()).st_size
        mapping = mmap.mmap(self._file.fileno(), 0, access=mmap.ACCESS_READ) if self.size else b""
        self._map = memoryview(mapping)  # slices decode in place, without a copy
        # its own: the snapshot's spans change with each write
        self._spans = spans.copy() if isinstance(spans, Spans) else dict(spans)
        self._damaged = damaged

    def holds(self, doc_id: str) -> bool:
        return doc_id in self._spans

    def ids(self) -> set[str]:
        return set(self._spans)

    def text(self, doc_id: str, mapped: bool = True) -> str:
        if not mapped:
            return orjson.loads(self.json(doc_id))
        at, length, crc = self._spans[doc_id]
        return orjson.loads(self._checked(doc_id, self._map[at : at + length], crc))

    def json(self, doc_id: str) -> bytes:
        """The text as a JSON string, read with pread."""
        at, length, crc = self._spans[doc_id]
        return self._checked(doc_id, os.pread(self._file.fileno(), length, at), crc)

    def _checked(self, doc_id: str, text: T, crc: int) -> T:
        if zlib.crc32(text) == crc:
            return text
        if self._damaged is not None:
            self._damaged()
        raise StorageError("read", self.path, ValueError(
            f"the text of document {doc_id} is not what was written"
        ))


class Texts:
    """Where the texts of documents held without one are: the log's spans first (newer),
    then the snapshot's blob."""

    def __init__(self, *sources: BlobTexts | None) -> None:
        self._sources = tuple(source for source in sources if source is not None)

    def _source(self, doc_id: str) -> BlobTexts:
        for source in self._sources:
            if source.holds(doc_id):
                return source
        raise KeyError(doc_id)

    def holds(self, doc_id: str) -> bool:
        return any(source.holds(doc_id) for source in self._sources)

    def text(self, doc_id: str, mapped: bool = True) -> str:
        return self._source(doc_id).text(doc_id, mapped)

    def json(self, doc_id: str) -> bytes:
        return self._source(doc_id).json(doc_id)


def without_text(doc: dict[str, Any]) -> dict[str, Any]:
    """The document without its text (itself when it has none)."""
    if TEXT not in doc:
        return doc
    return {key: value for key, value in doc.items() if key != TEXT}


def header(number: int, doc: dict[str, Any]) -> Header:
    published = doc.get("published")
    return Header(
        number,
        doc["id"],
        doc["url"],
        doc["title"],
        doc["source"],
        datetime.fromisoformat(published) if published else None,
        tuple(doc.get("authors") or ()),
        datetime.fromisoformat(doc["added_at"]),
        doc.get(LIBRARY),
    )


def fields_key(fields: Iterable[tuple[str, str, str]], salt: str = "") -> str:
    """Names articles by their (id, fingerprint, title), in order: equal keys, equal
    articles (the store's content key; the token cache's run keys, ``salt`` versioning it)."""
    h = hashlib.sha1(f"{salt}\n".encode() if salt else b"")
    for article_id, fingerprint, title in fields:
        h.update(f"{article_id}:{fingerprint}:{title}\n".encode())
    return h.hexdigest()


def article_to_doc(article: Article, fingerprint: str) -> dict[str, Any]:
    doc = {
        "id": article.id,
        "url": article.url,
        "title": article.title,
        "source": article.source,
        "published": article.published.isoformat() if article.published else None,
        "authors": list(article.authors),
        TEXT: article.text,
        "added_at": article.added_at.isoformat(),
        "fingerprint": fingerprint,
    }
    if article.library is not None:
        doc[LIBRARY] = article.library
    return doc


def article_from_doc(
    doc_id: str,
    doc: dict[str, Any],
    texts: Texts | None,
    fields: Header | None = None,
    mapped: bool = True,
) -> Article:
    """The article a TinyDB document holds; its text from ``texts`` when the document
    has none. ``fields``: its header, if already parsed."""
    text = doc[TEXT] if TEXT in doc else texts.text(doc_id, mapped)  # type: ignore[union-attr]
    h = fields or header(0, doc)
    return Article(
        h.id, h.url, h.title, h.source, h.published, h.authors, text, h.added_at,
        doc["fingerprint"], h.library,
    )


class Articles(Sequence[Article]):
    """Articles in the order they were added. ``docs`` are (document id, TinyDB document)
    pairs; a document without a text has it in ``texts``."""

    def __init__(self, docs: list[tuple[str, dict[str, Any]]], texts: Texts | None) -> None:
        self._docs = docs
        self._texts = texts
        self._built = functools.lru_cache(maxsize=BUILT_CACHE)(self._build)
        self._headers: list[Header] | None = None
        self._numbers: dict[tuple[Library, str], int] | None = None
        self._positions: dict[ArticleKey, int] | None = None
        self._matched: dict[int, tuple[Sequence[ArticleKey], np.ndarray]] = {}
        self._run_end = 0  # where the keys last matched as a run ended

    def __len__(self) -> int:
        return len(self._docs)

    @overload
    def __getitem__(self, number: int) -> Article: ...

    @overload
    def __getitem__(self, number: slice) -> list[Article]: ...

    def __getitem__(self, number: int | slice) -> Article | list[Article]:
        if isinstance(number, slice):
            return [self._built(n) for n in range(*number.indices(len(self._docs)))]
        if number < 0:
            number += len(self._docs)
        if not 0 <= number < len(self._docs):
            raise IndexError(number)
        return self._built(number)

    def __iter__(self) -> Iterator[Article]:
        """Each article built afresh and not cached: a full pass (indexing, export) must
        not hold every text at once."""
        return self.iter_range(0, len(self._docs))

    def iter_range(self, start: int, stop: int) -> Iterator[Article]:
        """Articles ``start``..``stop`` - 1, as ``iter`` builds them."""
        return (self._build(n, mapped=False) for n in range(start, stop))

    def _build(self, number: int, mapped: bool = True) -> Article:
        fields = self._headers[number] if self._headers is not None else None
        return article_from_doc(*self._docs[number], self._texts, fields, mapped)

    def headers(self) -> list[Header]:
        """Every article's header (built once; the sequence never changes). A second a
        million articles: what needs only a field or two reads its column instead."""
        if self._headers is None:
            self._headers = [header(n, doc) for n, (_doc_id, doc) in enumerate(self._docs)]
        return self._headers

    def libraries(self) -> list[Library]:
        """Each article's library, in order (None: the shared library)."""
        return [doc.get(LIBRARY) for _doc_id, doc in self._docs]

    def days(self) -> np.ndarray:
        """Each article's publication date as a proleptic ordinal (0: unknown), int32."""
        published = [doc.get("published") or "" for _doc_id, doc in self._docs]
        days = [stamp[:10] for stamp in published]  # an ISO date first: its own zone's day
        ordinals = {  # a day's articles share it: one parsed for each day
            day: datetime.fromisoformat(stamp).toordinal() if stamp else 0
            for day, stamp in dict(zip(days, published, strict=True)).items()
        }
        return np.fromiter(map(ordinals.__getitem__, days), np.int32, len(days))

    def number_of(self, article_id: str, library: Library = None) -> int | None:
        if self._numbers is None:
            self._numbers = {
                (doc.get(LIBRARY), doc["id"]): n for n, (_doc_id, doc) in enumerate(self._docs)
            }
        return self._numbers.get((library, article_id))

    def by_library(self) -> Articles:
        """The same articles with each library's together: the shared library's first,
        then each server's in the order its first article was added, each library's in the
        order added. The index numbers them so: a reader's libraries are then a few
        ranges of numbers (``search.libraries``)."""
        groups: dict[Library, list[tuple[str, dict[str, Any]]]] = {None: []}
        for item in self._docs:
            groups.setdefault(item[1].get(LIBRARY), []).append(item)
        if len(groups) == 1:
            return self
        return Articles([item for group in groups.values() for item in group], self._texts)

    def select(self, numbers: Iterable[int]) -> Articles:
        """The articles of these numbers, in this order."""
        return Articles([self._docs[n] for n in numbers], self._texts)

    def numbers_of(self, keys: Sequence[ArticleKey]) -> np.ndarray:
        """The number of each of ``keys`` here (-1: not here), int64. Remembered for the
        same (immutable) sequence of keys, a segment's: finding which articles the
        segments lack, then assembling them, asks twice (a second at a million)."""
        if id(keys) not in self._matched:  # the keys are kept: their id is not reused
            numbers = self._run(keys)
            if numbers is None:
                if self._positions is None:
                    self._positions = {key: n for n, key in enumerate(self.keys())}
                where = self._positions
                numbers = np.fromiter((where.get(key, -1) for key in keys), np.int64, len(keys))
            self._matched[id(keys)] = (keys, numbers)
        return self._matched[id(keys)][1].copy()

    def _run(self, keys: Sequence[ArticleKey]) -> np.ndarray | None:
        """The numbers of ``keys`` if they are the articles' that follow the last keys so
        matched (from the first), in order, as the segments of an archive mostly are:
        comparing them costs half of building the lookup of a million keys. Else None."""
        start = self._run_end
        docs = self._docs[start : start + len(keys)]
        if self._positions is not None or len(docs) != len(keys) or not all(
            (doc.get(LIBRARY), doc["id"], doc["fingerprint"]) == key
            for (_doc_id, doc), key in zip(docs, keys, strict=True)
        ):
            return None
        self._run_end = start + len(keys)
        return np.arange(start, self._run_end, dtype=np.int64)

    def keys(self) -> Iterator[ArticleKey]:
        """Each article's key, in order, without building any."""
        return ((doc.get(LIBRARY), doc["id"], doc["fingerprint"]) for _doc_id, doc in self._docs)

    def fields(self) -> Iterator[tuple[str, str, str]]:
        """(id, fingerprint, title) of each article, in order, without building any."""
        return ((doc["id"], doc["fingerprint"], doc["title"]) for _doc_id, doc in self._docs)
