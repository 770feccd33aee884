"""The search index: BM25 postings over sentences and over whole articles, in segments.

An ``Index`` is one version of the archive's index: its segments (``search.segment``)
read as one, their articles numbered one segment after another, matched to the store's
articles by key. An article removed or replaced since its segment was built is dead:
never a candidate and not counted in BM25's statistics, until a merge drops it. Sentences
are kept as offsets into their article's text, so each text is held once. Queried by
``answering.retrieve``.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass

import numpy as np

from bot.models import Article, Library
from bot.search.libraries import DEAD, Libraries
from bot.search.postings import (
    ARTICLE_BM25,
    SENTENCE_BM25,
    Postings,
    combined_avg,
)
from bot.search.segment import PART_ARTICLES, Segment, Terms, build_segment
from bot.search.segmented import Segmented
from bot.storage.documents import Articles


class IndexedArticles(Sequence[Article]):
    """The index's articles by index number, read from the store's articles (``store``);
    ``numbers``: each one's number there, -1 for a dead one (never read)."""

    def __init__(self, store: Articles, numbers: np.ndarray) -> None:
        self.store = store
        self.numbers = numbers
        self._inverse: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.numbers)

    def __getitem__(self, number: int) -> Article:  # type: ignore[override]
        found = int(self.numbers[number])
        if found < 0:
            raise IndexError(f"article {number} of the index was removed or replaced")
        return self.store[found]

    def __iter__(self) -> Iterator[Article]:
        return (self[n] for n in range(len(self.numbers)) if self.numbers[n] >= 0)

    def number_of(self, article_id: str, library: Library = None) -> int | None:
        """The index number of the store's article, None if it is not indexed."""
        found = self.store.number_of(article_id, library)
        if found is None:
            return None
        if self._inverse is None:
            inverse = np.full(len(self.store), -1, np.int64)
            live = self.numbers >= 0
            inverse[self.numbers[live]] = np.flatnonzero(live)
            self._inverse = inverse
        number = int(self._inverse[found])
        return None if number < 0 else number


@dataclass(frozen=True, slots=True, eq=False)
class Index:
    segments: tuple[Segment, ...]
    articles: IndexedArticles
    # Per sentence, read in each segment's own array (no copy per index version):
    sent_article: Segmented  # sentence -> article number
    sent_start: Segmented  # sentence -> start offset in its article's text
    sent_end: Segmented
    sent_question: Segmented  # sentence -> whether it ends with "?" (a subhead, usually)
    article_first: np.ndarray  # article -> its first sentence number (and n_sentences at the end)
    article_story: np.ndarray  # article -> its story: syndicated copies share one number
    article_day: np.ndarray  # article -> publication date as a proleptic ordinal, 0 if unknown
    sentences: Postings
    article_postings: Postings
    term_ids: dict[str, int]
    vocabulary: dict[str, int]  # surface word -> corpus frequency, for typo correction
    libraries: Libraries  # which library each article is in (DEAD: removed or replaced)

    @property
    def n_sentences(self) -> int:
        return len(self.sent_article)

    def sentence_text(self, first: int, last: int | None = None) -> str:
        """The text of sentence ``first``, or of sentences ``first``..``last`` of one article."""
        article = self.articles[int(self.sent_article[first])]
        end = first if last is None else last
        return article.text[int(self.sent_start[first]) : int(self.sent_end[end])]

    def live(self) -> list[np.ndarray]:
        """Each segment's mask of live articles."""
        return per_segment(self.articles.numbers >= 0, self.segments)


def per_segment(mask: np.ndarray, segments: Sequence[Segment]) -> list[np.ndarray]:
    """A mask over the index's articles, cut into each segment's."""
    bounds = np.cumsum([s.n_articles for s in segments])[:-1]
    return np.split(mask, bounds) if segments else []


def build_index(articles: Articles, part_articles: int = PART_ARTICLES, workers: int = 0) -> Index:
    """The index of ``articles`` in one segment."""
    terms = Terms()
    return assemble([build_segment(articles, terms, part_articles, workers)], articles, terms)


def assemble(segments: Sequence[Segment], store: Articles, terms: Terms) -> Index:
    """The index of ``segments`` for the store's articles ``store``: each segment article
    the store holds (same library, id and fingerprint) is live, the rest dead."""
    numbers = _first_only(np.concatenate(
        [store.numbers_of(segment.keys) for segment in segments] or [np.empty(0, np.int64)]
    ))
    live = per_segment(numbers >= 0, segments)
    bounds = np.r_[0, np.cumsum([s.n_articles for s in segments])].astype(np.int64)
    sentence_live = [np.repeat(m, np.diff(s.article_first)) for s, m in zip(segments, live,
                                                                            strict=True)]
    sentence_avg = combined_avg([s.sentences for s in segments], sentence_live)
    article_avg = combined_avg([s.articles for s in segments], live)
    sentence_counts = [len(s.sent_article) for s in segments]
    sentence_offsets = np.r_[0, np.cumsum(sentence_counts)].astype(np.int64)
    store_libraries = store.libraries()
    libraries = Libraries.of(
        [store_libraries[n] if n >= 0 else DEAD for n in numbers.tolist()]
    )
    article_first = np.concatenate(
        [s.article_first[:-1] + sentence_offsets[i] for i, s in enumerate(segments)]
        + [sentence_offsets[-1:]]
    ).astype(np.int32)
    article_spans = libraries.live_spans()
    return Index(
        segments=tuple(segments),
        articles=IndexedArticles(store, numbers),
        sent_article=Segmented([s.sent_article for s in segments], np.int32,
                               [int(b) for b in bounds[:-1]]),
        sent_start=Segmented([s.sent_start for s in segments], np.int32),
        sent_end=Segmented([s.sent_end for s in segments], np.int32),
        sent_question=Segmented([s.sent_question for s in segments], bool),
        article_first=article_first,
        article_story=np.unique(_joined([s.stories for s in segments], np.uint64),
                                return_inverse=True)[1].astype(np.int32).ravel(),
        article_day=_days(store, numbers),
        sentences=Postings(
            tuple(s.sentences for s in segments), SENTENCE_BM25, sentence_avg,
            None if article_spans is None else article_first[article_spans].astype(np.int64),
        ),
        article_postings=Postings(
            tuple(s.articles for s in segments), ARTICLE_BM25, article_avg, article_spans
        ),
        term_ids=terms.ids,
        vocabulary=_vocabulary(segments),
        libraries=libraries,
    )


def _first_only(numbers: np.ndarray) -> np.ndarray:
    """``numbers`` with every repeat of a number -1: an article indexed twice is live in
    its first segment only."""
    found = np.flatnonzero(numbers >= 0)
    first = np.unique(numbers[found], return_index=True)[1]
    repeats = np.ones(len(found), bool)
    repeats[first] = False
    numbers[found[repeats]] = -1
    return numbers


def _days(store: Articles, numbers: np.ndarray) -> np.ndarray:
    """Each indexed article's publication day (0: unknown, or dead)."""
    days = np.zeros(len(numbers), np.int32)
    live = numbers >= 0
    days[live] = store.days()[numbers[live]]
    return days


def _joined(parts: list[np.ndarray], dtype: type) -> np.ndarray:
    return np.concatenate(parts).astype(dtype, copy=False) if parts else np.empty(0, dtype)


def _vocabulary(segments: Sequence[Segment]) -> dict[str, int]:
    """Every segment's words with their counts, summed (the largest's copied first)."""
    if not segments:
        return {}
    ordered = sorted(segments, key=lambda s: -len(s.words))
    vocabulary = dict(ordered[0].words)
    for segment in ordered[1:]:
        for word, count in segment.words.items():
            vocabulary[word] = vocabulary.get(word, 0) + count
    return vocabulary

