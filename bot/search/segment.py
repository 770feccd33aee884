"""Index segments: the index of a batch of articles, built once and never changed.

New articles go into a new small segment (tokenized a run at a time, by worker processes
for a large batch); segments are merged from their counts, without tokenizing again,
dropping the articles removed or replaced since (``search.merging`` says when).
"""

from __future__ import annotations

import hashlib
import logging
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from functools import partial

import numpy as np
from scipy import sparse

from bot.processes import in_order
from bot.search.postings import SegmentPostings, TermMajor
from bot.search.tokens import Tokens, tokenize
from bot.storage.documents import ArticleKey, Articles

log = logging.getLogger(__name__)

TITLE_REPEAT = 3  # an article's title counts as this many copies of its words
# Articles tokenized before their counts are compacted into a part of the postings: the
# raw terms of all 8 million sentences of 100,000 articles would take 1.2 GB.
PART_ARTICLES = 2_000
# From this many articles, worker processes tokenize (starting them costs about a second).
PARALLEL_MIN_ARTICLES = 20_000

@dataclass(frozen=True, slots=True, eq=False)
class Segment:
    """The index of a batch of articles, numbered within it. Term ids are the archive's
    (``Terms``): a segment's postings have rows for the terms known when it was built."""

    keys: tuple[ArticleKey, ...]
    stories: np.ndarray  # uint64: each article's story, hashed: syndicated copies share one
    sent_article: np.ndarray  # sentence -> article number within the segment
    sent_start: np.ndarray  # sentence -> start offset in its article's text
    sent_end: np.ndarray
    sent_question: np.ndarray  # sentence -> whether it ends with "?" (a subhead, usually)
    article_first: np.ndarray  # article -> its first sentence (and n_sentences at the end)
    sentences: SegmentPostings
    articles: SegmentPostings
    words: dict[str, int]  # indexed surface word -> occurrences, for typo correction

    @property
    def n_articles(self) -> int:
        return len(self.keys)


class Terms:
    """The archive's term ids, only ever appended to, so every segment's ids stay valid."""

    def __init__(self, terms: Iterable[str] = ()) -> None:
        self.ids: dict[str, int] = {}
        self.extend(terms)

    def __len__(self) -> int:
        return len(self.ids)

    def extend(self, terms: Iterable[str]) -> None:
        for term in terms:
            self.ids.setdefault(term, len(self.ids))

    def since(self, count: int) -> list[str]:
        """The terms given ids from ``count`` on, in id order."""
        return list(self.ids)[count:]


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


def build_segment(
    articles: Articles,
    terms: Terms,
    part_articles: int = PART_ARTICLES,
    workers: int = 0,
) -> Segment:
    """The segment of ``articles``, tokenized a run of ``part_articles`` at a time (by
    ``workers`` processes for PARALLEL_MIN_ARTICLES or more). New terms are added to
    ``terms``."""
    if workers and len(articles) >= PARALLEL_MIN_ARTICLES:
        try:
            return _build(articles, part_articles, terms,
                          partial(in_order, run=tokenize, workers=workers))
        except (BrokenProcessPool, OSError) as exc:
            log.warning("indexing in worker processes failed (%s): indexing here", exc)
    return _build(articles, part_articles, terms, lambda runs: map(tokenize, runs))


def _runs(articles: Articles, size: int) -> Iterator[list[tuple[str, str]]]:
    """(text, title) pairs of each run of ``size`` articles, read as they are needed."""
    for start in range(0, len(articles), size):
        stop = min(start + size, len(articles))
        yield [(a.text, a.title) for a in articles.iter_range(start, stop)]


def _build(
    articles: Articles,
    part_articles: int,
    terms: Terms,
    runner: Callable[[Iterable[list[tuple[str, str]]]], Iterator[Tokens]],
) -> Segment:
    words: Counter[str] = Counter()
    sent_start, sent_end, sent_question = array("i"), array("i"), array("b")
    article_sentences: list[np.ndarray] = []
    stories: list[int] = []
    sentence_parts: list[TermMajor] = []
    article_parts: list[TermMajor] = []
    sentence_lengths: list[np.ndarray] = []
    article_lengths: list[np.ndarray] = []
    first_sentence = first_article = 0
    for tokens in runner(_runs(articles, part_articles)):
        terms.extend(tokens.terms)
        ids = np.fromiter(map(terms.ids.__getitem__, tokens.terms), np.int32, len(tokens.terms))
        words.update(tokens.words)
        counts = _counts(tokens, ids, first_sentence, first_article, max(len(terms), 1))
        for kept, part in zip(
            (sentence_parts, article_parts, sentence_lengths, article_lengths), counts,
            strict=True,
        ):
            kept.append(part)
        sent_start.extend(tokens.sent_start)
        sent_end.extend(tokens.sent_end)
        sent_question.extend(tokens.sent_question)
        article_sentences.append(np.frombuffer(tokens.article_sentences, np.int32))
        stories.extend(map(story_hash, tokens.stories))
        first_sentence += len(tokens.sent_sizes)
        first_article += len(tokens.stories)
    per_article = np.concatenate([np.zeros(1, np.int32), *article_sentences])
    return _segment(
        tuple(articles.keys()), np.array(stories, np.uint64), np.frombuffer(sent_start, np.int32),
        np.frombuffer(sent_end, np.int32), np.frombuffer(sent_question, np.int8).astype(bool),
        per_article[1:], sentence_parts, article_parts, _joined(sentence_lengths),
        _joined(article_lengths), max(len(terms), 1), dict(words),
    )


def _segment(
    keys: tuple[ArticleKey, ...],
    stories: np.ndarray,
    sent_start: np.ndarray,
    sent_end: np.ndarray,
    sent_question: np.ndarray,
    per_article: np.ndarray,
    sentence_parts: list[TermMajor],
    article_parts: list[TermMajor],
    sentence_lengths: np.ndarray,
    article_lengths: np.ndarray,
    n_terms: int,
    words: dict[str, int],
) -> Segment:
    return Segment(
        keys=keys,
        stories=stories,
        sent_article=np.repeat(np.arange(len(keys), dtype=np.int32), per_article),
        sent_start=sent_start,
        sent_end=sent_end,
        sent_question=sent_question,
        article_first=np.r_[0, np.cumsum(per_article)].astype(np.int32),
        sentences=SegmentPostings.from_parts(sentence_parts, n_terms, sentence_lengths),
        articles=SegmentPostings.from_parts(article_parts, n_terms, article_lengths),
        words=words,
    )


def merge(segments: Sequence[Segment], live: Sequence[np.ndarray], n_terms: int) -> Segment:
    """One segment of the ``live`` articles (a mask per segment) of ``segments``, from
    their counts: memory holds the merged segments' counts and the result, whatever the
    size of the archive."""
    keys: list[ArticleKey] = []
    stories: list[np.ndarray] = []
    words: Counter[str] = Counter()
    arrays: dict[str, list[np.ndarray]] = {n: [] for n in (
        "sent_start", "sent_end", "sent_question", "per_article", "sentence_lengths",
        "article_lengths")}
    sentence_parts: list[TermMajor] = []
    article_parts: list[TermMajor] = []
    first_sentence = first_article = 0
    for segment, articles in zip(segments, live, strict=True):
        sentences = np.repeat(articles, np.diff(segment.article_first))
        keys.extend(k for k, alive in zip(segment.keys, articles.tolist(), strict=True) if alive)
        stories.append(np.asarray(segment.stories)[articles])
        words.update(segment.words)  # words of dropped articles too: a hint, not a count
        for name, values in (("sent_start", segment.sent_start), ("sent_end", segment.sent_end),
                             ("sent_question", segment.sent_question),
                             ("sentence_lengths", segment.sentences.lengths)):
            arrays[name].append(np.asarray(values)[sentences])
        arrays["per_article"].append(np.diff(segment.article_first)[articles])
        arrays["article_lengths"].append(np.asarray(segment.articles.lengths)[articles])
        sentence_parts.append(segment.sentences.kept(sentences, first_sentence))
        article_parts.append(segment.articles.kept(articles, first_article))
        first_sentence += int(sentences.sum())
        first_article += int(articles.sum())
    joined = {name: np.concatenate(parts) if parts else np.empty(0)
              for name, parts in arrays.items()}
    return _segment(
        tuple(keys), np.concatenate(stories) if stories else np.empty(0, np.uint64),
        joined["sent_start"].astype(np.int32),
        joined["sent_end"].astype(np.int32), joined["sent_question"].astype(bool),
        joined["per_article"].astype(np.int32), sentence_parts, article_parts,
        joined["sentence_lengths"].astype(np.float32),
        joined["article_lengths"].astype(np.float32), n_terms, dict(words),
    )


def story_hash(story: str) -> int:
    """A story key as 8 bytes (the keys are 50 words: a million would take 300 MB)."""
    return int.from_bytes(hashlib.blake2b(story.encode(), digest_size=8).digest(), "little")


def _joined(lengths: list[np.ndarray]) -> np.ndarray:
    joined = np.concatenate(lengths) if lengths else np.empty(0, np.float32)
    lengths.clear()
    return joined
