"""The engine's front door: articles in, answers out. Knows nothing of Discord or terminals.

Asking, browsing and loading; the index they answer from is ``search.holder``'s.

Every article belongs to a library: the shared one (None) or a server's (its id). Each
method takes the ``library`` of whoever asks: a reader in a server sees the shared library
and that server's, a reader elsewhere (None) the shared library alone; a change made in a
library touches only that library.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from itertools import chain, islice
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

import numpy as np
from rapidfuzz import fuzz, process, utils

from bot import ingest
from bot.answering.compose import closest_articles, compose
from bot.answering.query import Corrector, analyse
from bot.answering.weights import MIN_CONFIDENCE
from bot.ingest.parallel import iter_paths_parallel
from bot.ingest.web import is_url
from bot.models import (
    Answer,
    Article,
    Library,
    LoadReport,
    RecentPage,
    Rejection,
    RelatedArticle,
    Skipped,
    Stats,
)
from bot.processes import cores
from bot.search.holder import IndexHolder
from bot.search.index import Index
from bot.storage.documents import Header
from bot.storage.settings import SettingsTable
from bot.storage.store import ArticleStore

if TYPE_CHECKING:
    from bot.ingest.web.fetch import Fetcher

SAVE_BATCH = 2_000  # the fewest articles parsed ahead of storing them during a load
# The most text one save holds (memory holds a batch's texts: a fixed share of a large
# load's memory, rather than a tenth of the store's texts).
BATCH_TEXT_CHARS = 40 << 20
Progress = Callable[[int], None]  # called with the number of items just processed


class Engine:
    def __init__(
        self,
        store: ArticleStore,
        min_confidence: float = MIN_CONFIDENCE,
        cache_index: bool = True,
        serve_stale: bool = False,
        index_workers: int | None = None,
        fetcher: Callable[[], Fetcher] | None = None,
    ) -> None:
        self.store = store
        self._make_fetcher = fetcher  # None: a default Fetcher
        self._fetcher: Fetcher | None = None
        self.min_confidence = min_confidence
        # Processes tokenizing a large archive (None: one per core; 0: this one alone).
        workers = cores() if index_workers is None else index_workers
        self.indexes = IndexHolder(store, cache_index, serve_stale, workers)
        self._write_lock = threading.Lock()

    @property
    def fetcher(self) -> Fetcher:
        """The fetcher of URLs given to load(), made when first needed: its HTTP client
        takes a third of a second to import, which loading files need not pay."""
        if self._fetcher is None:
            if self._make_fetcher is None:
                from bot.ingest.web.fetch import Fetcher

                self._make_fetcher = Fetcher
            self._fetcher = self._make_fetcher()
        return self._fetcher

    def _current(self) -> tuple[Index, Corrector]:
        return self.indexes.current()

    def _refresh_store(self) -> None:
        self.indexes.refresh_store()

    def article_count(self) -> int:
        return len(self.store)

    def table(self, name: str) -> SettingsTable:
        """A small table of plain records beside the articles (feeds, server settings)."""
        return SettingsTable(self.store, name)

    def export(self) -> Iterator[Article]:
        """Every stored article, in the order they were added."""
        self._refresh_store()
        yield from self.store.articles()

    def warm_up(self) -> None:
        self._current()

    def index(self) -> Index:
        """The current index, for benchmarks and diagnostics."""
        return self._current()[0]

    # -- questions -----------------------------------------------------------------------
    def ask(
        self,
        question: str,
        asked_at: datetime | None = None,
        previous: str | None = None,
        library: Library = None,
    ) -> Answer:
        """The answer to ``question`` from ``library`` and the shared library; ``previous``:
        the question it follows up."""
        index, corrector = self._current()
        view = index.libraries.visible(library)
        query = analyse(question, index, corrector, asked_at, view)
        before = analyse(previous, index, corrector, asked_at, view) if previous else None
        return compose(query, index, self.min_confidence, before)

    def related(
        self, article_id: str, limit: int = 5, library: Library = None
    ) -> tuple[RelatedArticle, ...]:
        index, corrector = self._current()
        article = self._visible_article(article_id, library)
        if article is None:
            return ()
        query = analyse(article.title, index, corrector, view=index.libraries.visible(library))
        number = index.articles.number_of(article.id, article.library)
        exclude = set() if number is None else {number}  # None: not indexed yet
        return closest_articles(query, index, exclude=exclude, limit=limit)

    # -- browsing ------------------------------------------------------------------------
    def article(self, article_id: str, library: Library = None) -> Article | None:
        """An article ``library``'s readers see, by id or by an unambiguous id prefix of at
        least 6 characters."""
        self._refresh_store()
        wanted = article_id.strip()
        found = self._visible_article(wanted, library)
        if found or len(wanted) < 6:
            return found
        articles = self.store.articles()
        matches = [h for h in _visible(articles.headers(), library) if h.id.startswith(wanted)]
        return articles[matches[0].number] if len(matches) == 1 else None

    def _visible_article(self, article_id: str, library: Library) -> Article | None:
        """The server's own copy first: it is what its admins loaded (and may remove)."""
        own = self.store.get(article_id, library) if library is not None else None
        return own or self.store.get(article_id)

    def find_titles(self, text: str, limit: int = 25, library: Library = None) -> list[Article]:
        """Articles whose titles fuzzily match ``text`` (newest first when ``text`` is empty)."""
        self._refresh_store()
        articles = self.store.articles()
        headers = _visible(articles.headers(), library)
        if not text.strip():
            return [articles[h.number] for h in _newest_first(headers)[:limit]]
        matches = process.extract(
            text, [h.title for h in headers], scorer=fuzz.WRatio,
            processor=utils.default_process, limit=limit, score_cutoff=50,
        )
        return [articles[headers[at].number] for _title, _score, at in matches]

    def recent(
        self,
        page: int = 1,
        per_page: int = 10,
        source: str | None = None,
        keyword: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        library: Library = None,
    ) -> RecentPage:
        self._refresh_store()
        articles = self.store.articles()
        chosen = [
            h.number
            for h in _newest_first(_visible(articles.headers(), library))
            if _matches(h, source=source, since=since, until=until)
            and (not keyword or _mentions(articles[h.number], keyword))
        ]
        pages = max(1, -(-len(chosen) // per_page))
        page = min(max(page, 1), pages)
        shown = tuple(articles[n] for n in chosen[(page - 1) * per_page : page * per_page])
        return RecentPage(shown, page, pages, len(chosen))

    def stats(self, library: Library = None) -> Stats:
        index, _ = self._current()
        headers = _visible(index.articles.store.headers(), library)
        dates = [h.published for h in headers if h.published]
        sentences = np.diff(index.article_first)
        view = index.libraries.visible(library)
        own = sum(h.library is not None for h in headers)
        return Stats(
            articles=len(headers),
            shared=len(headers) - own,
            own=own,
            sentences=int(sentences.sum() if view is None else sentences[view.allowed].sum()),
            sources=len({h.source for h in headers}),
            newest=max(dates, default=None),
            oldest=min(dates, default=None),
            # The file holds every library: its size is the operator's to see, not a server's.
            db_path=str(self.store.path) if library is None else "",
            db_bytes=self.store.size_bytes if library is None else 0,
        )

    def library_sizes(self) -> Counter[Library]:
        """Articles in each library that holds any (None: the shared library)."""
        self._refresh_store()
        return self.store.library_sizes()

    # -- loading -------------------------------------------------------------------------
    def load(
        self,
        paths: Iterable[str | Path],
        stdin: BinaryIO | None = None,
        progress: Progress | None = None,
        workers: int = 0,
        library: Library = None,
        as_recorded: bool = False,
    ) -> LoadReport:
        """Load files, directories and http(s) URLs (fetched first: feeds with their items'
        pages, or pages) into ``library``; ``workers`` > 0 parses files in that many
        processes while this one stores (bulk loads). ``as_recorded``: each article goes to
        the library its record names (an export's), else the shared one."""
        paths = [str(path) for path in paths]
        files = [path for path in paths if not is_url(path)]
        if workers > 0:
            items = iter_paths_parallel(files, workers=workers, stdin=stdin)
        else:
            items = ingest.iter_paths(files, stdin=stdin)
        urls = [path for path in paths if is_url(path)]
        if urls:
            from bot.ingest.web.urls import read_urls

            items = chain(read_urls(urls, self.fetcher), items)
        return self._save_all(items, progress, library, as_recorded)

    def index_loaded(self, report: LoadReport) -> int:
        """Index what ``load`` stored (``report``'s articles), for a process that ends
        before any question: a few go into a segment of their own, without assembling the
        archive's index (``IndexHolder.add``). The sentences indexed."""
        return self.indexes.add(self.store.articles_of(report.stored))

    def load_bytes(self, data: bytes, name: str, library: Library = None) -> LoadReport:
        return self._save_all(ingest.parse_bytes(data, name), None, library, False)

    def load_items(self, items: Iterable[ingest.Item], library: Library = None) -> LoadReport:
        """Store what was read elsewhere (fetched feeds and pages) into ``library``."""
        return self._save_all(iter(items), None, library, False)

    def _save_all(
        self,
        items: Iterator[ingest.Item],
        progress: Progress | None,
        library: Library,
        as_recorded: bool,
    ) -> LoadReport:
        if not as_recorded:  # a record naming another library is not let in there
            items = (
                replace(item, library=library) if isinstance(item, Article) else item
                for item in items
            )
        report = LoadReport()
        try:
            self._save_batches(items, progress, report)
        finally:  # what was written before a failure is indexed too
            if report.loaded or report.updated:
                self.indexes.changed()
        return report

    def _save_batches(
        self, items: Iterator[ingest.Item], progress: Progress | None, report: LoadReport
    ) -> None:
        with self._write_lock, self.store.bulk():
            while batch := _batch(items, len(self.store)):
                articles = [item for item in batch if isinstance(item, Article)]
                report.rejected.extend(item for item in batch if isinstance(item, Rejection))
                report.skipped += sum(isinstance(item, Skipped) for item in batch)
                self.store.save(articles, report)
                if progress:
                    progress(len(batch))

    def remove(self, article_id: str, library: Library = None) -> bool:
        """Remove ``library``'s own article (another library's is not found)."""
        with self._write_lock:
            removed = self.store.remove(article_id, library)
        if removed:
            self.indexes.changed()
        return removed

    def purge(self, library: str) -> int:
        """Remove every article of a server's library; how many there were."""
        with self._write_lock:
            removed = self.store.purge(library)
        if removed:
            self.indexes.changed()
        return removed


def _batch(items: Iterator[ingest.Item], stored: int) -> list[ingest.Item]:
    """The next items to save at once. Each save still costs a quick pass over the
    database's documents (staging texts in the snapshot), so batches grow with it, by a
    tenth, keeping a load's passes few; but they hold at most BATCH_TEXT_CHARS of text."""
    batch: list[ingest.Item] = []
    chars = 0
    for item in islice(items, max(SAVE_BATCH, stored // 10)):
        batch.append(item)
        chars += len(item.text) if isinstance(item, Article) else 0
        if chars >= BATCH_TEXT_CHARS:
            break
    return batch


def _visible(headers: list[Header], library: Library) -> list[Header]:
    """The headers of the articles ``library``'s readers see."""
    return [h for h in headers if h.library is None or h.library == library]


def first_stored(
    engine: Engine, report: LoadReport, library: Library = None, limit: int = 5
) -> list[Article]:
    """The first few articles a load into ``library`` stored, for its summary (ids to
    /article or remove)."""
    found = (engine.article(article_id, library) for article_id in report.article_ids[:limit])
    return [article for article in found if article is not None]


def _newest_first(headers: list[Header]) -> list[Header]:
    oldest = datetime.min.replace(tzinfo=UTC)
    return sorted(headers, key=lambda h: (h.published or oldest, h.added_at), reverse=True)


def _matches(
    header: Header, source: str | None, since: datetime | None, until: datetime | None
) -> bool:
    if source and source.lower() not in header.source.lower():
        return False
    if since and (header.published is None or header.published < since):
        return False
    return not (until and (header.published is None or header.published > until))


def _mentions(article: Article, keyword: str) -> bool:
    return keyword.lower() in (article.title + "\n" + article.text).lower()
