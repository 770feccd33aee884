"""The in-memory search index: BM25 postings over sentences and over whole articles.

Built from the store's articles (tokenize -> index), queried by ``answering.retrieve``.
Sentences are kept as offsets into their article's text, so each text is held once.
"""

from __future__ import annotations

import logging
from array import array
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial
from typing import TYPE_CHECKING

import numpy as np
from scipy import sparse

from bot.processes import in_order
from bot.search.libraries import Libraries
from bot.search.postings import ARTICLE_BM25, SENTENCE_BM25, Postings, TermMajor
from bot.search.tokens import Tokens, run_key, tokenize
from bot.storage.documents import Articles

if TYPE_CHECKING:
    from bot.search.token_cache import TokenCache

log = logging.getLogger(__name__)

TITLE_REPEAT = 3  # an article's title counts as this many copies of its words
# Articles tokenized before their counts are compacted into a part of the postings: the
# raw terms of all 8 million sentences of 100,000 articles would take 1.2 GB.
PART_ARTICLES = 2_000
# From this many articles, worker processes tokenize (starting them costs about a second).
PARALLEL_MIN_ARTICLES = 20_000


@dataclass(frozen=True, slots=True, eq=False)
class Index:
    articles: Articles
    sent_article: np.ndarray  # sentence -> article number
    sent_start: np.ndarray  # sentence -> start offset in its article's text
    sent_end: np.ndarray
    article_first: np.ndarray  # article -> its first sentence number (and n_sentences at the end)
    article_story: np.ndarray  # article -> its story: syndicated copies share one number
    article_day: np.ndarray  # article -> publication date as a proleptic ordinal, 0 if unknown
    sent_question: np.ndarray  # sentence -> whether it ends with "?" (a subhead, usually)
    sentences: Postings
    article_postings: Postings
    term_ids: dict[str, int]
    vocabulary: dict[str, int]  # surface word -> corpus frequency, for typo correction
    libraries: Libraries  # which library each article is in (from the store, not cached)

    @property
    def n_sentences(self) -> int:
        return len(self.sent_article)

    def sentence_text(self, first: int, last: int | None = None) -> str:
        """The text of sentence ``first``, or of sentences ``first``..``last`` of one article."""
        article = self.articles[int(self.sent_article[first])]
        end = first if last is None else last
        return article.text[int(self.sent_start[first]) : int(self.sent_end[end])]


def _counts(
    tokens: Tokens, ids: np.ndarray, first_sentence: int, first_article: int, n_terms: int
) -> tuple[TermMajor, TermMajor, np.ndarray, np.ndarray]:
    """Sentence and article term counts of one run (``ids``: its local term ids -> global
    ones), and their lengths (float32)."""
    n_sent, n_articles = len(tokens.sent_sizes), len(tokens.stories)
    sent_ends = np.zeros(n_sent + 1, np.int64)
    np.cumsum(np.frombuffer(tokens.sent_sizes, np.int32), out=sent_ends[1:])
    sentences = sparse.csr_matrix(
        (np.ones(len(tokens.sent_terms), np.float32),
         ids[np.frombuffer(tokens.sent_terms, np.int32)], sent_ends),
        shape=(n_sent, n_terms),
    )
    sentences.sum_duplicates()
    article_of = np.repeat(
        np.arange(n_articles, dtype=np.int32), np.frombuffer(tokens.article_sentences, np.int32)
    )
    membership = sparse.csr_matrix(
        (np.ones(n_sent, np.float32), (article_of, np.arange(n_sent))),
        shape=(n_articles, n_sent),
    )
    title_of = np.repeat(
        np.arange(n_articles, dtype=np.int32), np.frombuffer(tokens.title_sizes, np.int32)
    )
    titles = sparse.csr_matrix(
        (np.full(len(title_of), TITLE_REPEAT, np.float32),
         (title_of, ids[np.frombuffer(tokens.title_terms, np.int32)])),
        shape=(n_articles, n_terms),
    )
    articles = (membership @ sentences + titles).tocsr()
    return (
        TermMajor.of(sentences, first_sentence),
        TermMajor.of(articles, first_article),
        np.asarray(sentences.sum(axis=1), np.float32).ravel(),
        np.asarray(articles.sum(axis=1), np.float32).ravel(),
    )


def build_index(
    articles: Articles,
    part_articles: int = PART_ARTICLES,
    workers: int = 0,
    cache: TokenCache | None = None,
) -> Index:
    """The index of ``articles``, tokenized a run of ``part_articles`` at a time, by
    ``workers`` processes for an archive of PARALLEL_MIN_ARTICLES or more; runs whose
    tokens ``cache`` holds are not tokenized again."""
    if workers and len(articles) >= PARALLEL_MIN_ARTICLES:
        try:
            return _build(articles, part_articles, partial(in_order, workers=workers), cache)
        except (BrokenProcessPool, OSError) as exc:
            log.warning("indexing in worker processes failed (%s): indexing here", exc)
    return _build(articles, part_articles, _in_process, cache)


Run = tuple[str, "Tokens | list[tuple[str, str]]"]  # its key, and its tokens or texts


def _run_bounds(articles: Articles, size: int) -> Iterator[tuple[int, int]]:
    """Runs of at most ``size`` consecutive articles, none across two libraries: an
    article added to one library changes only the last run of that library."""
    libraries = [h.library for h in articles.headers()]
    start = 0
    for stop in range(1, len(libraries) + 1):
        if stop == len(libraries) or stop - start == size or libraries[stop] != libraries[start]:
            yield start, stop
            start = stop


def _runs(articles: Articles, size: int, cache: TokenCache | None) -> Iterator[Run]:
    """Each run of articles (``_run_bounds``): its key and its cached tokens, else its
    (text, title) pairs (read only for runs not cached)."""
    fields = list(articles.fields())
    for start, stop in _run_bounds(articles, size):
        key = run_key(fields[start:stop])
        tokens = cache.get(key) if cache else None
        if tokens is None:
            yield key, [(a.text, a.title) for a in articles.iter_range(start, stop)]
        else:
            yield key, tokens


def _cached(run: Run) -> Tokens | None:
    return run[1] if isinstance(run[1], Tokens) else None


def _tokenize_run(run: Run) -> Tokens:
    return tokenize(run[1])  # type: ignore[arg-type]


def _in_process(
    runs: Iterable[Run], run: Callable[[Run], Tokens], here: Callable[[Run], Tokens | None]
) -> Iterator[Tokens]:
    for task in runs:
        yield here(task) or run(task)


def _build(
    articles: Articles, part_articles: int, runner: Callable, cache: TokenCache | None
) -> Index:
    term_ids: dict[str, int] = {}
    vocabulary: Counter[str] = Counter()
    sent_start, sent_end, sent_question = array("i"), array("i"), array("b")
    article_sentences: list[np.ndarray] = []
    article_story, stories = array("i"), {}
    sentence_parts: list[TermMajor] = []
    article_parts: list[TermMajor] = []
    sentence_lengths: list[np.ndarray] = []
    article_lengths: list[np.ndarray] = []
    first_sentence = first_article = 0
    keys: deque[tuple[str, bool]] = deque()  # each run's key, and whether it was cached

    def runs() -> Iterator[Run]:
        for key, content in _runs(articles, part_articles, cache):
            keys.append((key, isinstance(content, Tokens)))
            yield key, content

    used: set[str] = set()
    for tokens in runner(runs(), _tokenize_run, here=_cached):
        key, was_cached = keys.popleft()
        used.add(key)
        if cache and not was_cached:
            cache.put(key, tokens)
        ids = np.fromiter(
            (term_ids.setdefault(t, len(term_ids)) for t in tokens.terms), np.int32,
            len(tokens.terms),
        )
        vocabulary.update(tokens.words)
        counts = _counts(tokens, ids, first_sentence, first_article, max(len(term_ids), 1))
        for kept, part in zip(
            (sentence_parts, article_parts, sentence_lengths, article_lengths), counts,
            strict=True,
        ):
            kept.append(part)
        sent_start.extend(tokens.sent_start)
        sent_end.extend(tokens.sent_end)
        sent_question.extend(tokens.sent_question)
        article_sentences.append(np.frombuffer(tokens.article_sentences, np.int32))
        article_story.extend(stories.setdefault(story, len(stories)) for story in tokens.stories)
        first_sentence += len(tokens.sent_sizes)
        first_article += len(tokens.stories)

    if cache:
        cache.keep_only(used)
    per_article = np.concatenate([np.zeros(1, np.int32), *article_sentences])
    n_terms = max(len(term_ids), 1)
    return Index(
        articles=articles,
        sent_article=np.repeat(np.arange(len(articles), dtype=np.int32), per_article[1:]),
        sent_start=np.frombuffer(sent_start, np.int32),
        sent_end=np.frombuffer(sent_end, np.int32),
        article_first=np.cumsum(per_article, dtype=np.int32),
        article_story=np.frombuffer(article_story, np.int32),
        article_day=np.fromiter(
            (h.published.toordinal() if h.published else 0 for h in articles.headers()),
            np.int32, len(articles),
        ),
        sent_question=np.frombuffer(sent_question, np.int8).astype(bool),
        sentences=Postings.from_parts(
            sentence_parts, n_terms, _joined(sentence_lengths), SENTENCE_BM25
        ),
        article_postings=Postings.from_parts(
            article_parts, n_terms, _joined(article_lengths), ARTICLE_BM25
        ),
        term_ids=term_ids,
        vocabulary=dict(vocabulary),
        libraries=Libraries.of(articles),
    )


def _joined(lengths: list[np.ndarray]) -> np.ndarray:
    joined = np.concatenate(lengths) if lengths else np.empty(0, np.float32)
    lengths.clear()
    return joined
