"""The current index of a store, kept up to date segment by segment.

A change indexes only what changed: articles the index lacks go into a new segment,
articles removed or replaced are dead in theirs (``search.index``), and segments are
merged by a tiered policy (``search.merging``), so a change costs about its own size
whatever the archive's. Thread-safe for one writer and many readers: an index is
immutable once assembled, and a new one replaces it in a single assignment. With
``serve_stale`` (the bot), a change made by another process is indexed in a background
thread while questions go on being answered from the previous index, and merges run
there too; a change made through this holder is indexed before
``changed`` returns.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterator

import numpy as np

from bot.answering.query import Corrector
from bot.heap import paused_gc
from bot.search.index import Index, assemble
from bot.search.merging import MAX_SEGMENT_ARTICLES, due_merge
from bot.search.segment import PART_ARTICLES, Segment, Terms, build_segment, merge
from bot.search.segment_files import SegmentFiles, index_path
from bot.storage.documents import Articles
from bot.storage.store import ArticleStore

log = logging.getLogger(__name__)
Current = tuple[Index, Corrector]


class IndexHolder:
    def __init__(
        self, store: ArticleStore, cache_index: bool, serve_stale: bool, workers: int
    ) -> None:
        self.store = store
        self.workers = workers  # processes tokenizing a large batch (0: this one alone)
        self.files = SegmentFiles(index_path(store.path)) if cache_index else None
        self.serve_stale = serve_stale
        self._index: Current | None = None
        self._stale = False
        self._segments: list[tuple[str | None, Segment]] = []  # in index order, named on disk
        self._terms = Terms()
        self._listed: tuple[int, int] | None = None  # the list on disk they were read from
        self._state_lock = threading.Lock()  # guards _index, _stale and store refreshes
        self._build_lock = threading.Lock()  # one change of the segments at a time
        self._background: threading.Thread | None = None

    def current(self) -> Current:
        """The index, brought up to date if the database changed (here or elsewhere)."""
        with self._state_lock:
            self._stale |= self.store.refresh()
            if self._index is not None and not self._stale:
                return self._index
            if self._index is not None and self.serve_stale:
                self._in_background()
                return self._index
        return self._update()

    def refresh_store(self) -> None:
        """Browsing needs the latest articles, not the index: re-read a changed file only."""
        with self._state_lock:
            self._stale |= self.store.refresh()

    def changed(self) -> None:
        """After a change made through this process. The bot indexes it before returning,
        so what an admin loads is answerable at once; a bulk load from the CLI leaves it to
        the next question."""
        with self._state_lock:
            self._stale = True
        if self.serve_stale:
            self._update()
            self._in_background()

    def add(self, articles: Articles) -> int:
        """Index ``articles`` (just stored here) without assembling the index: the command
        line's load, whose process ends before any question. A few (one tokenizing part,
        not worth worker processes) go into a new segment on disk, the others' segments
        unread: the next index assembled (here or in another process) serves it,
        merging when due; an article another process indexed meanwhile too is live in its
        first segment only. More, or without writable segment files, bring the whole index
        up to date. The sentences indexed."""
        if self.files is not None and 0 < len(articles) <= PART_ARTICLES:
            with self._build_lock, self._files_locked() as writable:
                if writable:
                    names, terms = self.files.listed()
                    segment = build_segment(articles, terms)
                    if self.files.add(names, segment, terms):
                        return len(segment.sent_article)
        return self._update()[0].n_sentences if len(articles) else 0

    def _update(self) -> Current:
        with self._build_lock:
            with self._state_lock:
                if self._index is not None and not self._stale:
                    return self._index  # another thread brought it up to date meanwhile
                articles = self.store.articles()
                self._stale = False
            with self._files_locked() as writable:
                with paused_gc():
                    self._read_files()
                    added = _unindexed(self._segments, articles)
                for start in range(0, len(added), MAX_SEGMENT_ARTICLES):
                    batch = added.select(range(start, min(start + MAX_SEGMENT_ARTICLES,
                                                          len(added))))
                    self._segments.append(
                        (None, build_segment(batch, self._terms, workers=self.workers))
                    )
                    if writable:  # a large load holds one built segment at a time
                        self._save()
                index = self._assembled(articles, save=writable and self._unsaved())
                if not self.serve_stale and writable:  # the bot merges in the background
                    index = self._merged(index, articles)
            current = self._swap(index)
        if self.serve_stale and due_merge(index.segments, index.live()) is not None:
            self._in_background()
        return current

    def _assembled(self, articles: Articles, save: bool) -> Index:
        if save:
            self._save()
        with paused_gc():
            return assemble([s for _n, s in self._segments], articles, self._terms)

    def _save(self) -> None:
        if self.files is not None:
            self._segments = list(self.files.save(self._segments, self._terms))
            self._listed = self.files.signature()

    def _unsaved(self) -> bool:
        return self.files is not None and any(name is None for name, _s in self._segments)

    def _merged(self, index: Index, articles: Articles) -> Index:
        """Merge segments while the policy says so (call with the files locked)."""
        while (due := due_merge(index.segments, live := index.live())) is not None:
            merged = merge(index.segments[due], live[due], len(self._terms))
            self._segments[due] = [(None, merged)]
            index = self._assembled(articles, save=True)
        return index

    def _swap(self, index: Index) -> Current:
        built = (index, Corrector(index))
        with self._state_lock:
            self._index = built
        return built

    @contextlib.contextmanager
    def _files_locked(self) -> Iterator[bool]:
        """The segment files' lock, if they are kept; whether they may be written (not in
        a read-only directory: the index is then kept in memory only)."""
        if self.files is None:
            yield False
            return
        with contextlib.ExitStack() as stack:
            try:
                stack.enter_context(self.files.locked())
            except OSError as exc:  # read-only, or filelock.Timeout
                log.warning("index segments not saved (%s): indexing in memory", exc)
                writable = False
            else:
                writable = True
            yield writable

    def _read_files(self) -> bool:
        """Start from the segments on disk when another process changed them (or at the
        first use), so segments it added are not built again; whether it did."""
        if self.files is None or self.files.signature() == self._listed:
            return False
        named, terms = self.files.load()
        self._segments, self._terms = list(named), terms
        self._listed = self.files.signature()
        return True

    def _in_background(self) -> None:
        if self._background is None or not self._background.is_alive():
            self._background = threading.Thread(target=self._maintain, name="index", daemon=True)
            self._background.start()

    def _maintain(self) -> None:
        """The bot's background work: index what changed, and merge."""
        try:
            with self._state_lock:
                behind = self._stale or self._index is None
            index = self._update()[0] if behind else self._index[0]  # type: ignore[index]
            with self._build_lock:
                articles = index.articles.store
                with self._files_locked() as writable:
                    if self._read_files():  # another process changed them meanwhile
                        index = self._assembled(articles, save=False)
                    if writable:
                        index = self._merged(index, articles)
                self._swap(index)
        except Exception:  # the bot goes on answering from the index it has
            log.exception("index maintenance failed")


def _unindexed(segments: list[tuple[str | None, Segment]], articles: Articles) -> Articles:
    """The store's articles no segment holds, each library's together."""
    indexed = np.zeros(len(articles), bool)
    for _name, segment in segments:
        found = articles.numbers_of(segment.keys)
        indexed[found[found >= 0]] = True
    return articles.select(np.flatnonzero(~indexed).tolist()).by_library()
