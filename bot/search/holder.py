"""The current index of a store, rebuilt when the store changes.

Thread-safe for one writer and many readers: an index is immutable once built, and a
rebuilt one replaces it in a single assignment. With ``serve_stale`` (the bot), a change
made by another process is indexed in a background thread while questions go on being
answered from the previous index; a change made through this holder is indexed before
``changed`` returns.
"""

from __future__ import annotations

import threading

from bot.answering.query import Corrector
from bot.search.index import Index
from bot.search.index_cache import cache_path, load_or_build
from bot.storage.store import ArticleStore

Current = tuple[Index, Corrector]


class IndexHolder:
    def __init__(
        self, store: ArticleStore, cache_index: bool, serve_stale: bool, workers: int
    ) -> None:
        self.store = store
        self.workers = workers  # processes tokenizing a large archive (0: this one alone)
        self.path = cache_path(store.path) if cache_index else None
        self.serve_stale = serve_stale
        self._index: Current | None = None
        self._stale = False
        self._state_lock = threading.Lock()  # guards _index, _stale and store refreshes
        self._build_lock = threading.Lock()  # one index build at a time
        self._background: threading.Thread | None = None

    def current(self) -> Current:
        """The index, rebuilt if the database changed (here or in another process)."""
        with self._state_lock:
            self._stale |= self.store.refresh()
            if self._index is not None and not self._stale:
                return self._index
            if self._index is not None and self.serve_stale:
                self._rebuild_in_background()
                return self._index
        return self._rebuild()

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
            self._rebuild()

    def _rebuild(self) -> Current:
        with self._build_lock:
            with self._state_lock:
                if self._index is not None and not self._stale:
                    return self._index  # another thread built it meanwhile
                articles, key = self.store.articles().by_library(), self.store.content_key()
                self._stale = False
            index = load_or_build(articles, key, self.path, self.workers)
            built = (index, Corrector(index))
            with self._state_lock:
                self._index = built
            return built

    def _rebuild_in_background(self) -> None:
        if self._background is None or not self._background.is_alive():
            self._background = threading.Thread(target=self._rebuild, name="reindex", daemon=True)
            self._background.start()
