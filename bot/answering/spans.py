"""The answer inside an excerpt: the span of the kind the question asks for (a number or
amount for "how many", a person or organisation for "who", a date for "when", a place for
"where", a name for "which") that the question does not already hold, nearest the
question's own words in the excerpt (the answer usually sits beside what the question
restates).
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Iterable, Iterator, Sequence
from functools import lru_cache
from itertools import chain

from bot.answering.places import ANY_PLACE, asked_places
from bot.answering.query import NUMBER_QUESTION
from bot.search.analysis import is_stopword, stem, words

Span = tuple[int, int]

DATE_QUESTION = re.compile(  # "when" asking, not joining ("this week when it announced")
    r"(?:^|[.?!,:;]\s*)when\b|\bwhen (?:did|does|do|is|was|will|are|were|has|have|can)\b"
    r"|\b(?:what|which) (?:day|date|month|year|week)\b|\bin what (?:month|year)\b"
)
AMOUNT_QUESTION = re.compile(
    r"\b(?:what|which) (?:rate|price|amount|score|share|total|sum|cost|fee|fare|salary|"
    r"temperature|speed|distance|height|weight|size|population)\b"
)
CALLED = re.compile(
    r"\bwhat (?:is|was|are|were|will) .*\b(?:called|named)\b|\bwhat is the name of\b"
)
# "What about X?" asks for news of X, whatever X says ("the man who ...", "Friday, when ..."):
# no span answers it.
TOPIC_QUESTION = re.compile(r"^\W*(?:and\s+|so\s+)?(?:what|how)\s+about\b")
PERSON_QUESTION = re.compile(r"\b(?:who|whom|whose)\b")
NAME_QUESTION = re.compile(r"\bwhich\b|\bwhat (?!(?:is|was|are|were|did|does|do|will|has|have|"
                           r"had|can|could|would|should|might|may|happened|caused|made|about)\b)\w+")

_MONTHS = "|".join(name for name in calendar.month_name if name)
_WEEKDAYS = "|".join(calendar.day_name)
_NUMBER_WORDS = (
    "one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|"
    "fifteen|sixteen|seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|"
    "eighty|ninety|hundred|hundreds|thousand|thousands|dozen|dozens|half"
)
_SCALE = (
    r"(?:\s?(?:%|percent|per cent)|\s(?:million|billion|trillion|thousand|hundred))?"
    r"(?:\s(?:dollars|euros|pounds|crowns|francs|yen|yuan|rupees|pesos|roubles|rubles))?"
)
NUMBER_SPAN = re.compile(
    rf"(?:[$£€¥]\s?)?\d[\d,.]*\d{_SCALE}|(?:[$£€¥]\s?)?\d{_SCALE}"
    rf"|\b(?:{_NUMBER_WORDS})(?:[\s-](?:{_NUMBER_WORDS}))*\b{_SCALE}",
    re.IGNORECASE,
)
DATE_SPAN = re.compile(
    rf"\b(?:(?:{_MONTHS})(?:\s\d{{1,2}}(?:st|nd|rd|th)?)?(?:,?\s\d{{4}})?"
    rf"|\d{{1,2}}\s(?:{_MONTHS})(?:\s\d{{4}})?|(?:{_WEEKDAYS})|(?:19|20)\d\d)\b"
)
_CAPITALISED = r"[A-Z]\.(?=\s[A-Z])|[A-Z][\w'’.&-]*\w|[A-Z]"  # "E. Jean", "U.S.", "RSV"
_JOINERS = r"of|de|du|del|der|la|le|van|von|al|bin|the|and|for|&"
NAME_SPAN = re.compile(
    rf"(?<![\w'’])(?:{_CAPITALISED})(?:\s(?:(?:{_JOINERS})\s)?(?:{_CAPITALISED}))*"
)
ASKED_FOR = re.compile(r"\b(?:which|what)\s+((?:(?!(?:is|was|are|were|did|does|do|will|has|"
                       r"have|had|of|in|to|for|on|at|by)\b)[\w'’-]+\s*){1,4})")
# "What did X call for?" and "What was X charged with?": the thing asked follows a verb of
# the question; "... banning the sale of what?": it follows the word before "what".
WHAT_AT_START = re.compile(r"(?:^|[.?!:;]\s+)what\s+(did|does|do|will|would|could|can|should|"
                           r"is|was|are|were|has|have|had)\s+(.*)", re.IGNORECASE)
WHAT_IN_PLACE = re.compile(r"(?<![.?!:;])\s+what\b(?!\s+[\w'’-])|(?<![.?!:;])\s+what\s+(?=(?:on|in|"
                           r"at|to|for|from|with|by|as|into|about|after|before)\b)", re.IGNORECASE)
_PARTICIPLE = re.compile(r"(?:ed|en|wn|ung|ound|old|ought)$")  # "charged", "found", "sold"
OBJECT_TOKEN = re.compile(r"([$£€¥]?[\w'’.%-]*[\w%])|[^\w\s]")  # a word, or punctuation
# The answer sits beside what the question restates: the mean gap to the nearest two
# distinct question words (one word alone is often a common one, "one", "city"). Chosen
# among 1, 2, 3, 4, 6 on the even weeks of rtqa-dev (2 best there, and on all weeks).
NEAREST_WORDS = 2
MAX_ANSWER_WORDS = 8  # an answer is a phrase, not the rest of the sentence
# Words that open a phrase an answer cut short ends before ("... preparations | at a key").
PHRASE_STARTS = frozenset("at in on near from by across after before during with".split())
COUNTED = re.compile(r"\bhow (?:many|much)\s+((?:(?!(?:is|was|are|were|did|does|do|will|has|have|"
                     r"had|can|could|would)\b)[\w'’-]+\s*){1,3})")  # "how many glass frogs"
TOWN_QUESTION = re.compile(r"\b(?:which|what)\s+(?:[\w.'’-]+\s+){0,2}?(?:city|cities|town|county|"
                           r"region|province|territory|island|capital|village|state)\b")
LOCATIVE = re.compile(r"\b(?:in|at|from|near|to|of)\s+(?:the\s+)?$", re.IGNORECASE)
WORD = re.compile(r"[\w'’-]+")
COUNT_GAP = 3  # words after a number that may name what it counts
COUNT_REACH = 40  # characters after a number in which to look for them
UNIT = re.compile(r"\s+([A-Za-z]+)")  # a word after a number: "600 years", "24 hours"
TIME_UNIT = re.compile(r"\b(?:second|minute|hour|day|week|month|year|decade|centur)",
                       re.IGNORECASE)
PERCENT = re.compile(r"%|\bper ?cent\b", re.IGNORECASE)
DURATION_QUESTION = re.compile(r"\bhow long\b|\bfor how many\b")
PERCENT_QUESTION = re.compile(r"\b(?:percentage|percent|share|proportion)\b")
WITHIN = re.compile(r"\s+in\s+(?:the\s+)?[A-Z]")  # "NRG Stadium in Houston"
QUOTED = re.compile(r"[\"“]([A-Z][^\"“”]{1,59})[\"”]")  # a title in quotes: "Oppenheimer"
_MONTH_OR_DAY = re.compile(rf"^(?:{_MONTHS}|{_WEEKDAYS})$")


def asked_kind(question: str) -> str | None:
    """What kind of span answers the question: "number", "date", "person", "place",
    "name", or None (a "what is..." or "why" question has no single-span answer)."""
    lowered = question.lower()
    if TOPIC_QUESTION.search(lowered):
        return None
    if DATE_QUESTION.search(lowered):
        return "date"
    if NUMBER_QUESTION.search(lowered) or AMOUNT_QUESTION.search(lowered):
        return "number"
    if asked_places(question) is not None or TOWN_QUESTION.search(lowered):
        return "place"
    if PERSON_QUESTION.search(lowered):
        return "person"
    if CALLED.search(lowered):
        return "name"
    if object_anchor(question) is not None:
        return "object"
    return "name" if NAME_QUESTION.search(lowered) else None


def answer_span(
    kind: str | None, text: str, question: str, near: Sequence[Span],
    others: Sequence[str] = (),
) -> Span | None:
    """The character span in ``text`` answering a question of ``kind``: a candidate of
    that kind not made only of the question's words, nearest the spans ``near`` (the
    question's words in ``text``), the distance shrunk for each of the ``others`` (texts of
    other matching passages) that names it too (names only); None when the excerpt holds
    no such candidate."""
    if kind is None:
        return None
    restated = _restated(question)
    if kind in ("number", "date"):  # "two", "Monday": agreeing by chance, not by fact
        others = ()
    candidates = kind_spans(kind, text, question)
    if not candidates:
        return None

    own = {stem(word) for word in words(question)}  # not a followed-up question's words
    near = [(start, end) for start, end in near if stem(text[start:end].lower()) in own]

    def distance(span: Span) -> float:
        nearest: dict[str, int] = {}  # by question word, its nearest occurrence's gap
        for start, end in near:
            word = text[start:end].lower()
            gap = max(start - span[1], span[0] - end, 0)
            nearest[word] = min(gap, nearest.get(word, gap))
        gaps = sorted(nearest.values())[:NEAREST_WORDS] or [0]
        found = text[span[0]:span[1]].lower()
        return sum(gaps) / len(gaps) / (1 + sum(found in other for other in others))

    def restates(span: Span) -> bool:  # a quoted title or place the question names
        return kind != "number" and bool(_stems(text[span[0]:span[1]]) & restated)

    def unplaced(span: Span) -> bool:  # a country, or a name after "in": "in Houston",
        if kind != "place" or ANY_PLACE.fullmatch(text, *span):  # not a venue in a place
            return False
        return not LOCATIVE.search(text[max(0, span[0] - 12):span[0]]) or bool(
            WITHIN.match(text, span[1])
        )

    return min(
        candidates, key=lambda span: (restates(span), unplaced(span), distance(span), span[0])
    )


def kind_spans(kind: str, text: str, question: str) -> list[Span]:
    """The spans of ``text`` of the ``kind`` asked that are not made only of the question's
    words: the answers the excerpt could give."""
    return list(_new_spans(kind, text, question))


def holds_kind(kind: str, text: str, question: str) -> bool:
    """Whether ``text`` holds one of ``kind_spans`` (found without looking for the rest)."""
    return any(_new_spans(kind, text, question))


def _new_spans(kind: str, text: str, question: str) -> Iterator[Span]:
    asked = _bare(question)
    return (
        span for span in _candidates(kind, text, question, _restated(question))
        if not _bare(text[span[0]:span[1]]) <= asked
    )


def counted(question: str) -> frozenset[str]:
    """The stems of what a "how many" question counts ("jobs" in "how many jobs is it
    cutting"), empty for other questions."""
    found = COUNTED.search(question.lower())
    return _stems(found[1]) if found else frozenset()


def counts(text: str, things: frozenset[str]) -> bool:
    """Whether ``text`` gives a number of the ``things`` counted: a number followed, within
    ``COUNT_GAP`` words, by one of them ("1,200 more jobs")."""
    return bool(things) and any(
        things & {stem(word.lower()) for word in
                  WORD.findall(text, number.end(), number.end() + COUNT_REACH)[:COUNT_GAP]}
        for number in NUMBER_SPAN.finditer(text)
    )


def object_anchor(question: str) -> str | None:
    """The stem of the question's word that the thing asked follows in a sentence: the verb
    after "what did X" or "what was X", the word before an in-place "what" (skipping a
    preposition: "the sale of what" -> "sale"); None for other questions."""
    if start := WHAT_AT_START.search(question):
        aux, rest = start[1].lower(), re.findall(r"[\w'’-]+", start[2])
        for word, after in zip(rest, [*rest[1:], None], strict=True):
            if (
                word[0].islower() and not is_stopword(word)
                and (after is None or is_stopword(after.lower()))  # "call for", "approve?"
                and (aux not in ("is", "was", "are", "were", "has", "have", "had")
                     or _PARTICIPLE.search(word))
            ):
                return stem(word)
        return None
    if in_place := WHAT_IN_PLACE.search(question):
        before = re.findall(r"[\w'’-]+", question[:in_place.start()])[-2:]
        content = [word for word in before if not is_stopword(word.lower())]
        return stem(content[-1].lower()) if content else None
    return None


# Cached: the excerpts of one question are described with the same question and many of
# the same words (the re-ranker looks for the kind asked in each candidate's sentences).
@lru_cache(maxsize=4096)
def _bare(text: str) -> frozenset[str]:
    """Words without case, dots or possessives ("U.S." and "US", "Ford's" and "Ford")."""
    plain = re.sub(r"['’]s\b", "", text.lower()).replace(".", "")
    return frozenset(words(plain))


@lru_cache(maxsize=256)
def _restated(question: str) -> frozenset[str]:
    """The question's content words an answer would not repeat: all but the stopwords and
    the words naming the kind asked ("city" in "which city": "Salt Lake City" is fine)."""
    asked_for = ASKED_FOR.search(question.lower())
    category = _stems(asked_for[1]) if asked_for else frozenset()
    return _stems(question) - category


@lru_cache(maxsize=4096)
def _stems(text: str) -> frozenset[str]:
    """The stems of the content words ("Airlines" and "airline")."""
    return frozenset(stem(word) for word in _bare(text) if not is_stopword(word))


def _candidates(
    kind: str, text: str, question: str, restated: frozenset[str]
) -> Iterable[Span]:
    """The spans of ``kind`` in ``text``, names found only as far as they are asked for."""
    if kind == "object":
        return _objects(text, question, restated)
    if kind == "number":
        return _numbers(text, question)
    if kind == "date":
        return [m.span() for m in DATE_SPAN.finditer(text)]
    if kind == "place" and (listed := asked_places(question.replace("U.S.", "US"))):
        places = [m.span() for m in listed.finditer(text)]
        if places:
            return places
    names = (
        part for m in NAME_SPAN.finditer(text) for part in _name_parts(text, m, restated)
    )
    titles = (m.span(1) for m in QUOTED.finditer(text)) if kind == "name" else ()
    return chain(names, titles)


def _numbers(text: str, question: str) -> list[Span]:
    """The numbers and amounts in ``text``, each with its unit when the question names it
    ("600 years" for "how many years", "forty glass frogs") or asks how long ("three
    weeks"); only durations for "how long" and only percentages for "what percentage",
    when the text holds any."""
    lowered = question.lower()
    counted = COUNTED.search(lowered)
    asked = _stems(counted[1]) if counted else set()
    duration = DURATION_QUESTION.search(lowered) is not None
    spans = []
    for number in NUMBER_SPAN.finditer(text):
        start, end = number.span()
        while (
            (unit := UNIT.match(text, end))
            and len(text[start:end].split()) < MAX_ANSWER_WORDS
            and (stem(unit[1].lower()) in asked or (duration and TIME_UNIT.match(unit[1])))
        ):
            end = unit.end()  # "forty glass frogs" for "how many glass frogs"
        spans.append((start, end))
    for wanted, asks in ((TIME_UNIT, duration), (PERCENT, PERCENT_QUESTION.search(lowered))):
        if asks and (kept := [span for span in spans if wanted.search(text, *span)]):
            spans = kept
    return spans


def _objects(text: str, question: str, restated: frozenset[str]) -> list[Span]:
    """The phrases following the question's anchor word in ``text``, each up to
    punctuation, a word the question restates, or ``MAX_ANSWER_WORDS`` words."""
    anchor = object_anchor(question)
    asked = set(words(question))
    tokens = list(OBJECT_TOKEN.finditer(text))
    spans = []
    for at, token in enumerate(tokens):
        if stem(token.group().lower()) != anchor:
            continue
        phrase: list[re.Match[str]] = []
        ended = False  # at punctuation: the phrase is whole
        for word in tokens[at + 1:at + 1 + MAX_ANSWER_WORDS]:
            if word[1] is None:
                ended = True
                break
            if phrase and _stems(word.group()) & restated:
                break
            phrase.append(word)
        if len(phrase) > 1 and phrase[0].group().lower() in asked:
            phrase.pop(0)  # "sale of dog meat" for "the sale of what": "of" is asked
        if not ended:  # cut short: end before the phrase that was cut, not inside it
            starts = [n for n, word in enumerate(phrase[2:], 2)
                      if word.group().lower() in PHRASE_STARTS]
            del phrase[starts[-1] if starts else len(phrase):]
        while phrase and is_stopword(phrase[-1].group().lower()):
            phrase.pop()
        if phrase:
            spans.append((phrase[0].start(), phrase[-1].end()))
    return spans


def _name_parts(text: str, name: re.Match[str], restated: frozenset[str]) -> list[Span]:
    """A capitalised phrase split where it restates the question ("Former Starbucks CEO
    Howard Schultz" for "the former CEO of which company" holds "Starbucks" and "Howard
    Schultz") or names a day or month, each part without common words at its ends."""
    parts: list[list[re.Match[str]]] = [[]]
    for token in re.finditer(r"\S+", name.group()):
        if _stems(token.group()) & restated or _MONTH_OR_DAY.match(token.group().rstrip(",")):
            parts.append([])
        else:
            parts[-1].append(token)
    spans = []
    for part in parts:
        while part and is_stopword(part[0].group().lower()):
            part.pop(0)
        while part and is_stopword(part[-1].group().lower()):
            part.pop()
        if part:
            spans.append((name.start() + part[0].start(), name.start() + part[-1].end()))
    return spans
