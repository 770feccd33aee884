"""Candidate excerpts described as numbers, for the learned re-ranker (``ranking``).

Each feature is a signal that real QA systems use and that helped on news questions:
how well the sentence and its article match, how close its date is to the question's,
whether the excerpt brings the kind of answer asked for (a number, a name, a country or
state), whether other stories agree on that answer, and where the sentence sits in its
article. The weights that combine them are fitted by ``bench/train_ranker.py`` (see
``weights``).
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NamedTuple

import numpy as np

from bot.answering.places import asked_places, new_places
from bot.answering.query import NOT_SENTENCE_INITIAL, NUMBER, Query
from bot.answering.spans import asked_kind, counted, counts, holds_kind
from bot.search.analysis import stem, words
from bot.search.index import Index

NUMBER_RE = re.compile(rf"\b{NUMBER}")
NAME_RE = re.compile(rf"{NOT_SENTENCE_INITIAL}[A-Z][\w’'-]+")  # as written: "O'Neill", "Al-Sham"
NOVELTY_CAP = 3  # new numbers or names counted per excerpt
VOTERS = 30  # the best candidates whose new names and numbers count as votes
VOTES_BEST_CAP = 5  # stories agreeing on the excerpt's best-supported word
VOTES_PER_WORD_CAP = 3  # stories counted per word towards the total
VOTES_TOTAL_CAP = 10  # of the total, scaled to 0..1
SPAN_CAP = 20.0  # words spanned per question word; also a sentence with none of them
NAME_KINDS = frozenset({"person", "name", "place", "object"})  # of ``spans.asked_kind``
PRONOUNS = frozenset("he she it they his her its their this that these those we i".split())


class Features(NamedTuple):
    """One candidate described for the re-ranker; ``weights`` holds one weight per name."""

    log_bm25: float
    bm25_share: float  # of the best candidate's
    article_support: float
    log_days_outside: float  # a year apart is not a month
    in_date_window: bool
    votes_best: int
    votes_total: float
    coverage_window: float
    coverage_sentence: float
    new_numbers_asked: int
    new_names_asked: int
    new_of_asked_type: int
    log_position: float
    is_question: bool
    starts_pronoun: bool
    log_span: float
    new_place_asked: bool
    number_of_kind: bool  # a span of the kind asked (``spans``), by kind: a number,
    name_of_kind: bool  # a person, organisation, place, name or object,
    date_of_kind: bool  # a date
    counts_asked: bool  # a number of what a "how many" question counts ("1,200 jobs")


NAMES = Features._fields
# Zero for a question asking for no kind of span (``spans.asked_kind`` None): such questions
# are ranked by weights fitted without them (``weights.KINDLESS_WEIGHTS``).
KIND_NAMES = ("number_of_kind", "name_of_kind", "date_of_kind", "counts_asked")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A sentence picked by BM25 with the first-stage signals the ranker computed."""

    sentence: int
    first: int  # its excerpt window, sentences first..last
    last: int
    article: int
    bm25: float
    support: float  # the article's match, as a share of the best article's
    days_from_question: int | None  # published this many days outside the question's period
    is_question: bool


@dataclass(frozen=True, slots=True)
class _Sentence:
    """What the features need of one sentence, computed once per question."""

    stems: list[str]
    first_word: str
    numbers: frozenset[str]  # new to the question
    names: frozenset[str]
    places: frozenset[str]  # of the kind asked for ("which country"), new to the question
    of_kind: bool  # holds a span of the kind asked, new to the question (``spans``)
    counts: bool  # gives a number of what the question counts


def matrix(query: Query, index: Index, candidates: Sequence[Candidate]) -> np.ndarray:
    """One row of ``Features`` per candidate, in the candidates' order (best
    first-stage score first: the first ``VOTERS`` vote)."""
    seen: dict[int, _Sentence] = {}
    asked = _Asked(asked_places(query.text), asked_kind(query.text), counted(query.text))

    def sentence(number: int) -> _Sentence:
        if number not in seen:
            seen[number] = _describe(query, index.sentence_text(number), asked)
        return seen[number]

    windows = [[sentence(n) for n in range(c.first, c.last + 1)] for c in candidates]
    found = [
        (frozenset().union(*(s.numbers for s in w)), frozenset().union(*(s.names for s in w)))
        for w in windows
    ]
    votes = _votes(index, candidates, found)
    best = max((c.bm25 for c in candidates), default=1.0) or 1.0
    rows: list[Features] = []
    for rank, (candidate, window, (numbers, names)) in enumerate(
        zip(candidates, windows, found, strict=True)
    ):
        own = sentence(candidate.sentence)
        agreeing = [votes[word] - (rank < VOTERS) for word in numbers | names]
        days = candidate.days_from_question
        new_asked = {"number": numbers, "name": names}.get(query.answer_type, numbers | names)
        rows.append(Features(
            log_bm25=math.log(candidate.bm25 + 1e-3),
            bm25_share=candidate.bm25 / best,
            article_support=candidate.support,
            log_days_outside=math.log1p(abs(days)) if days is not None else 0.0,
            in_date_window=not days,
            votes_best=min(max(agreeing, default=0), VOTES_BEST_CAP),
            votes_total=min(sum(min(v, VOTES_PER_WORD_CAP) for v in agreeing), VOTES_TOTAL_CAP)
            / VOTES_TOTAL_CAP,
            coverage_window=coverage(query, {stem for s in window for stem in s.stems}),
            coverage_sentence=coverage(query, set(own.stems)),
            new_numbers_asked=min(len(numbers), NOVELTY_CAP) if query.answer_type == "number"
            else 0,
            new_names_asked=min(len(names), NOVELTY_CAP) if query.answer_type == "name" else 0,
            new_of_asked_type=min(len(new_asked), NOVELTY_CAP),
            log_position=math.log1p(
                candidate.sentence - int(index.article_first[candidate.article])
            ),
            is_question=candidate.is_question,
            starts_pronoun=own.first_word in PRONOUNS,
            log_span=math.log(_span(query, own.stems)),
            new_place_asked=any(s.places for s in window),
            number_of_kind=asked.kind == "number" and any(s.of_kind for s in window),
            name_of_kind=asked.kind in NAME_KINDS and any(s.of_kind for s in window),
            date_of_kind=asked.kind == "date" and any(s.of_kind for s in window),
            counts_asked=any(s.counts for s in window),
        ))
    return np.asarray(rows, np.float64).reshape(len(rows), len(NAMES))


def coverage(query: Query, present: set[str]) -> float:
    """Share of the question's content words, weighted by rarity, among ``present`` stems."""
    total = sum(query.importance.values())
    if not total:
        return 0.0
    return sum(v for term, v in query.importance.items() if term in present) / total


class _Asked(NamedTuple):
    """What the question asks for, found once per question."""

    place: re.Pattern[str] | None  # "which country": the places of that kind
    kind: str | None  # ``spans.asked_kind``
    counted: frozenset[str]  # ``spans.counted``


def _describe(query: Query, text: str, asked: _Asked) -> _Sentence:
    """A sentence's stems, and the numbers, names, asked-for places and spans of the kind
    asked in it that the question does not already hold: an answer is new information."""
    found = words(text)
    return _Sentence(
        [stem(w) for w in found],
        found[0] if found else "",
        frozenset({m.lower() for m in NUMBER_RE.findall(text)} - query.asked_words),
        frozenset({m.lower() for m in NAME_RE.findall(text)} - query.asked_words),
        new_places(asked.place, text, query.text) if asked.place else frozenset(),
        asked.kind is not None and holds_kind(asked.kind, text, query.text),
        counts(text, asked.counted),
    )


def _votes(
    index: Index,
    candidates: Sequence[Candidate],
    found: Sequence[tuple[frozenset[str], frozenset[str]]],
) -> Counter[str]:
    """In how many stories among the best candidates each new word appears: an answer
    that several stories give is more likely right (a voter's own story is subtracted
    from its count in ``matrix``)."""
    seen: set[tuple[str, int]] = set()
    for candidate, (numbers, names) in zip(candidates[:VOTERS], found[:VOTERS], strict=False):
        story = int(index.article_story[candidate.article])
        seen.update((word, story) for word in numbers | names)
    return Counter(word for word, _story in seen)


def _span(query: Query, stems: list[str]) -> float:
    """Words spanned per distinct question word found: phrases found together score low."""
    at = [i for i, s in enumerate(stems) if s in query.stems]
    if not at:
        return SPAN_CAP
    return min((at[-1] - at[0] + 1) / len({stems[i] for i in at}), SPAN_CAP)
