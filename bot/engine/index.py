"""The in-memory search index: BM25 postings over sentences and over whole articles.

Built from the store's articles (tokenize -> index), queried by ``ranking`` (retrieve).
Sentences are kept as offsets into their article's text, so each text is held once.
"""

from __future__ import annotations

from array import array
from collections import Counter
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse

from bot.engine.articles import Articles
from bot.engine.postings import Postings, TermMajor
from bot.engine.text import is_stopword, sentence_spans, stem, words

# Length normalisation: weak for sentences (a long sentence that matches usually carries
# the answer with it; b=0.2 beat 0.75 by 3 points of hit@1 on news questions), the usual
# strength for whole articles.
SENTENCE_B = 0.2
ARTICLE_B = 0.75
TITLE_REPEAT = 3  # an article's title counts as this many copies of its words
# Sentences tokenized before their counts are compacted into a part of the postings: the
# raw terms of all 8 million sentences of 100,000 articles would take 1.2 GB.
PART_SENTENCES = 500_000


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

    @property
    def n_sentences(self) -> int:
        return len(self.sent_article)

    def sentence_text(self, first: int, last: int | None = None) -> str:
        """The text of sentence ``first``, or of sentences ``first``..``last`` of one article."""
        article = self.articles[int(self.sent_article[first])]
        end = first if last is None else last
        return article.text[int(self.sent_start[first]) : int(self.sent_end[end])]


def story_key(text: str) -> str:
    """Wire copies of one story under other URLs share their words past the opening
    (where datelines and credits differ): 50 words from the 11th on name the story."""
    found = words(text)
    return " ".join(found[10:60] if len(found) >= 30 else found)


class _Terms:
    """Term ids of texts, and how often each surface word occurs (for typo correction)."""

    def __init__(self) -> None:
        self.term_ids: dict[str, int] = {}
        self.vocabulary: Counter[str] = Counter()
        self._word_term: dict[str, int] = {}  # surface word -> term id: each stemmed once

    def ids_of(self, text: str) -> list[int]:
        found = words(text)
        for word in set(found).difference(self._word_term):
            self._word_term[word] = -1 if is_stopword(word) else self.term_ids.setdefault(
                stem(word), len(self.term_ids)
            )
        self.vocabulary.update(found)
        return [t for t in map(self._word_term.__getitem__, found) if t >= 0]

    def indexed_vocabulary(self) -> dict[str, int]:
        return {w: n for w, n in self.vocabulary.items() if self._word_term[w] >= 0}


@dataclass
class _Part:
    """The raw terms of a run of consecutive articles' sentences and titles, in compact C
    arrays (not lists of Python ints), until ``close`` turns them into term counts."""

    first_sentence: int
    first_article: int
    n_articles: int = 0
    sent_ends: array = field(default_factory=lambda: array("q", [0]))
    sent_terms: array = field(default_factory=lambda: array("i"))
    sent_article: array = field(default_factory=lambda: array("i"))  # article within the part
    title_rows: array = field(default_factory=lambda: array("i"))
    title_terms: array = field(default_factory=lambda: array("i"))

    def close(self, n_terms: int) -> tuple[TermMajor, TermMajor, np.ndarray, np.ndarray]:
        """Sentence and article term counts, and their lengths (float32)."""
        n_sent, n_articles = len(self.sent_article), self.n_articles
        sentences = sparse.csr_matrix(
            (np.ones(len(self.sent_terms), np.float32), np.frombuffer(self.sent_terms, np.int32),
             np.frombuffer(self.sent_ends, np.int64)),
            shape=(n_sent, n_terms),
        )
        sentences.sum_duplicates()
        membership = sparse.csr_matrix(
            (np.ones(n_sent, np.float32),
             (np.frombuffer(self.sent_article, np.int32), np.arange(n_sent))),
            shape=(n_articles, n_sent),
        )
        titles = sparse.csr_matrix(
            (np.ones(len(self.title_rows), np.float32),
             (np.frombuffer(self.title_rows, np.int32), np.frombuffer(self.title_terms, np.int32))),
            shape=(n_articles, n_terms),
        )
        articles = (membership @ sentences + titles).tocsr()
        return (
            TermMajor.of(sentences, self.first_sentence),
            TermMajor.of(articles, self.first_article),
            np.asarray(sentences.sum(axis=1), np.float32).ravel(),
            np.asarray(articles.sum(axis=1), np.float32).ravel(),
        )


def build_index(articles: Articles, part_sentences: int = PART_SENTENCES) -> Index:
    terms = _Terms()
    sent_article, starts, ends, article_first = array("i"), array("i"), array("i"), array("i")
    article_day, sent_question, article_story = array("i"), array("b"), array("i")
    stories: dict[str, int] = {}
    sentence_parts: list[TermMajor] = []
    article_parts: list[TermMajor] = []
    sentence_lengths: list[np.ndarray] = []
    article_lengths: list[np.ndarray] = []

    def close(part: _Part) -> None:
        sentences, articles_, s_lengths, a_lengths = part.close(max(len(terms.term_ids), 1))
        sentence_parts.append(sentences)
        article_parts.append(articles_)
        sentence_lengths.append(s_lengths)
        article_lengths.append(a_lengths)

    part = _Part(0, 0)
    for number, article in enumerate(articles):
        if len(part.sent_article) >= part_sentences:
            close(part)
            part = _Part(len(sent_article), number)
        local = number - part.first_article
        part.n_articles += 1
        article_first.append(len(sent_article))
        article_story.append(stories.setdefault(story_key(article.text), len(stories)))
        article_day.append(article.published.toordinal() if article.published else 0)
        for start, end in sentence_spans(article.text):
            part.sent_terms.extend(terms.ids_of(article.text[start:end]))
            part.sent_ends.append(len(part.sent_terms))
            part.sent_article.append(local)
            sent_article.append(number)
            starts.append(start)
            ends.append(end)
            sent_question.append(article.text[end - 1] == "?")
        title_ids = terms.ids_of(article.title)
        part.title_rows.extend([local] * len(title_ids) * TITLE_REPEAT)
        part.title_terms.extend(title_ids * TITLE_REPEAT)
    article_first.append(len(sent_article))
    close(part)
    del part

    n_terms = max(len(terms.term_ids), 1)
    return Index(
        articles=articles,
        sent_article=np.frombuffer(sent_article, np.int32),
        sent_start=np.frombuffer(starts, np.int32),
        sent_end=np.frombuffer(ends, np.int32),
        article_first=np.frombuffer(article_first, np.int32),
        article_story=np.frombuffer(article_story, np.int32),
        article_day=np.frombuffer(article_day, np.int32),
        sent_question=np.frombuffer(sent_question, np.int8).astype(bool),
        sentences=Postings.from_parts(
            sentence_parts, n_terms, _joined(sentence_lengths), SENTENCE_B
        ),
        article_postings=Postings.from_parts(
            article_parts, n_terms, _joined(article_lengths), ARTICLE_B
        ),
        term_ids=terms.term_ids,
        vocabulary=terms.indexed_vocabulary(),
    )


def _joined(lengths: list[np.ndarray]) -> np.ndarray:
    joined = np.concatenate(lengths) if lengths else np.empty(0, np.float32)
    lengths.clear()
    return joined
