"""Question analysis: which index terms a question asks about, typos corrected."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime

from rapidfuzz import fuzz, process

from bot.answering.timewords import Period, asks_newest, named_period, period
from bot.search.analysis import is_stopword, stem, words
from bot.search.index import Index
from bot.search.libraries import View

FUZZY_CUTOFF = 75  # rapidfuzz ratio (0-100) for a vocabulary word to replace a question word
FUZZY_WEIGHT = 0.8  # a corrected word is a guess: it counts a little less
CORRECTIONS_TRIED = 5  # closest vocabulary words tried for one the asker's libraries hold
NUMBER_QUESTION = re.compile(
    r"\bhow (many|much|long|old|far)\b|\bwhat (percentage|percent|year|number|age)\b"
    r"|\bin what year\b"
)
NAME_QUESTION = re.compile(
    r"\b(who|whom|whose|which|where)\b|\bwhat (country|city|state|company|team|name)\b"
)
# A name is a capitalised word that does not start a sentence; a number starts with a digit.
NOT_SENTENCE_INITIAL = r"(?<=\w[\s,;:(\"'“‘-])"
NUMBER = r"\d[\d,.]*"
# Names and numbers of the question, one word each as the index splits words (to look up).
NAME_RE = re.compile(rf"{NOT_SENTENCE_INITIAL}[A-Z][^\W_]+|{NUMBER}")


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    period: Period | None  # publication dates the answer likely carries (None: any)
    term_weights: dict[int, float]  # index term id -> weight
    asked_words: frozenset[str]  # every word of the question, lower-cased
    stems: frozenset[str]
    importance: dict[str, float]  # every content word's stem -> 1 + rarity; unknown words most
    unknown_names: frozenset[str]  # names and numbers asked about that no article contains
    answer_type: str  # "number", "name" or "any": what kind of words the answer brings
    newest: bool = False  # asks for the latest report ("latest", "still"): newest first
    # Articles the asker may see (their server's library and the shared one; None: all):
    # the engine sets it, and every candidate is chosen among them.
    view: View | None = None


def analyse(
    question: str,
    index: Index,
    corrector: Corrector,
    asked_at: datetime | None = None,
    view: View | None = None,
) -> Query:
    """The question's terms and what they say; ``view``: the articles the asker may see
    (None: all), the only ones whose words count as known."""
    spans = None if view is None else view.sentence_spans(index.article_first)
    article_spans = None if view is None else view.spans

    def known(term: str) -> int | None:
        """The term's id if a sentence the asker may see holds it."""
        term_id = index.term_ids.get(term)
        return term_id if term_id is not None and index.sentences.df(term_id, spans) else None

    def seen(word: str) -> bool:
        """Whether an article the asker may see holds the word (in a title, say)."""
        term_id = index.term_ids.get(stem(word))
        return term_id is not None and index.article_postings.df(term_id, article_spans) > 0

    weights: dict[int, float] = {}
    asked_words = words(question)
    stems: set[str] = set()
    importance: dict[str, float] = {}
    unknown_names: set[str] = set()
    names = {w.lower() for w in NAME_RE.findall(question)}
    for word in asked_words:
        if is_stopword(word):
            continue
        term = stem(word)
        weight = 1.0
        term_id = known(term)
        if term_id is None:
            fixed = corrector.correct(word, seen)
            if fixed is None:
                importance[term] = 1 + index.sentences.idf(None, spans)
                if word in names or word[0].isdigit():
                    unknown_names.add(word)
                continue
            word, term, weight = fixed, stem(fixed), FUZZY_WEIGHT
            term_id = index.term_ids[term]
        weights[term_id] = max(weights.get(term_id, 0.0), weight)
        stems.add(term)
        importance[term] = 1 + index.sentences.idf(term_id, spans)
    return Query(
        question,
        _period(question, asked_at),
        weights,
        frozenset(asked_words),
        frozenset(stems),
        importance,
        frozenset(unknown_names),
        answer_type(question),
        asks_newest(question),
        view,
    )


def _period(question: str, asked_at: datetime | None) -> Period | None:
    """Without a date for the question, only its own time words ("yesterday") point at
    dates, counted from today."""
    if asked_at is not None:
        return period(question, asked_at.date())
    return named_period(question, datetime.now(UTC).date())


def answer_type(question: str) -> str:
    lowered = question.lower()
    if NUMBER_QUESTION.search(lowered):
        return "number"
    return "name" if NAME_QUESTION.search(lowered) else "any"


class Corrector:
    """Maps an unknown word to the closest frequent vocabulary word of similar length.

    One per index: it buckets the vocabulary by first letter on first use.
    """

    def __init__(self, index: Index) -> None:
        self._vocabulary = index.vocabulary
        self._buckets: dict[str, list[str]] | None = None

    def correct(self, word: str, known: Callable[[str], bool]) -> str | None:
        """The best correction of ``word`` among the vocabulary words ``known`` accepts
        (the asker's libraries hold them: a word only another server's articles use is
        neither suggested nor searched)."""
        if len(word) < 4 or word.isdigit():
            return None
        bucket = self._bucketed().get(word[0], [])
        candidates = [w for w in bucket if abs(len(w) - len(word)) <= 2]
        # Vocabulary and question words are already lower-cased by text.words, so no
        # processor is needed here (rapidfuzz 3 would not lowercase on its own).
        matches = process.extract(
            word, candidates, scorer=fuzz.ratio, score_cutoff=FUZZY_CUTOFF, limit=CORRECTIONS_TRIED
        )
        return next((match for match, _score, _at in matches if known(match)), None)

    def _bucketed(self) -> dict[str, list[str]]:
        """Vocabulary words by first letter, most frequent first (ties go to the common
        spelling)."""
        if self._buckets is None:
            self._buckets = {}
            ranked = sorted(self._vocabulary.items(), key=lambda item: -item[1])
            for word, _count in ranked:
                if not word.isdigit():
                    self._buckets.setdefault(word[0], []).append(word)
        return self._buckets
