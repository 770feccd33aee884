"""Tokenizing articles: runs of (text, title) pairs -> ``Tokens``, the index's raw input.

Done here or in worker processes, so it has its own module apart from the segment that
merges the runs.
"""

from __future__ import annotations

from array import array
from collections import Counter
from typing import NamedTuple

from bot.search.analysis import is_stopword, sentence_spans, stem, words


def story_key(text: str) -> str:
    """Wire copies of one story under other URLs share their words past the opening
    (where datelines and credits differ): 50 words from the 11th on name the story."""
    found = words(text)
    return " ".join(found[10:60] if len(found) >= 30 else found)


class Tokens(NamedTuple):
    """A run of articles tokenized (here or in a worker process), term ids local to the run
    and numbered in order of first appearance, so runs merge into the index a sequential
    pass would build."""

    terms: list[str]  # local term id -> stemmed term
    words: dict[str, int]  # indexed surface word -> occurrences, in order of appearance
    sent_terms: array  # each sentence's local term ids, one sentence after another
    sent_sizes: array  # terms per sentence
    sent_start: array
    sent_end: array
    sent_question: array
    article_sentences: array  # sentences per article
    title_terms: array  # each title's local term ids, one after another
    title_sizes: array
    stories: list[str]  # story_key of each article


def tokenize(articles: list[tuple[str, str]]) -> Tokens:
    """Tokens of (text, title) pairs."""
    term_ids: dict[str, int] = {}
    word_term: dict[str, int] = {}  # surface word -> local term id, -1 for a stopword
    vocabulary: Counter[str] = Counter()

    def ids_of(text: str) -> list[int]:
        found = words(text)
        for word in dict.fromkeys(found):  # in order of appearance: ids are reproducible
            if word not in word_term:
                word_term[word] = -1 if is_stopword(word) else term_ids.setdefault(
                    stem(word), len(term_ids)
                )
        vocabulary.update(found)
        return [t for t in map(word_term.__getitem__, found) if t >= 0]

    tokens = Tokens(
        [], {}, array("i"), array("i"), array("i"), array("i"), array("b"), array("i"),
        array("i"), array("i"), [],
    )
    for text, title in articles:
        spans = list(sentence_spans(text))
        for start, end in spans:
            ids = ids_of(text[start:end])
            tokens.sent_terms.extend(ids)
            tokens.sent_sizes.append(len(ids))
            tokens.sent_start.append(start)
            tokens.sent_end.append(end)
            tokens.sent_question.append(text[end - 1] == "?")
        tokens.article_sentences.append(len(spans))
        title_ids = ids_of(title)
        tokens.title_terms.extend(title_ids)
        tokens.title_sizes.append(len(title_ids))
        tokens.stories.append(story_key(text))
    tokens.terms.extend(term_ids)
    tokens.words.update((w, n) for w, n in vocabulary.items() if word_term[w] >= 0)
    return tokens
