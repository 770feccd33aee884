"""Words, terms and sentences: the one tokenizer the index and the questions share."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache

import Stemmer
from sentencex import segment

WORD_RE = re.compile(r"[^\W_]+(?:['’.][^\W_]+)*", re.UNICODE)
# The same on ASCII lower-case text (most sentences), in a third less time: indexing
# 8 million sentences spends most of its time here.
_ASCII_WORD_RE = re.compile(r"[a-z0-9]+(?:['.][a-z0-9]+)*")

# English stopwords plus the words every question is made of: they say what is asked,
# not what the answer sentence contains.
STOPWORDS = frozenset(
    """a about above after again against all am an and any are aren't as at be because been
    before being below between both but by can can't cannot could couldn't did didn't do
    does doesn't doing don't down during each few for from further had hadn't has hasn't
    have haven't having he he'd he'll he's her here here's hers herself him himself his how
    how's i i'd i'll i'm i've if in into is isn't it it's its itself let's me more most
    mustn't my myself no nor not of off on once only or other ought our ours ourselves out
    over own same shan't she she'd she'll she's should shouldn't so some such than that
    that's the their theirs them themselves then there there's these they they'd they'll
    they're they've this those through to too under until up very was wasn't we we'd we'll
    we're we've were weren't what what's when when's where where's which while who who's
    whom why why's with won't would wouldn't you you'd you'll you're you've your yours
    yourself yourselves also just will s t said says say according recently week weeks
    latest new news name named called happened happen per cent many much
    yesterday today tonight ago""".split()
)

_stemmer = Stemmer.Stemmer("english")


def words(text: str) -> list[str]:
    """Lower-cased word tokens; apostrophes and inner dots stay ("u.s", "don't")."""
    lowered = text.lower()
    return (_ASCII_WORD_RE if lowered.isascii() else WORD_RE).findall(lowered)


@lru_cache(maxsize=500_000)
def stem(word: str) -> str:
    return _stemmer.stemWord(word.replace(".", "").replace("’", "'"))


def is_stopword(word: str) -> bool:
    return word in STOPWORDS or word.replace("’", "'") in STOPWORDS


def terms(text: str) -> list[str]:
    """The index terms of a text: stemmed words without stopwords, in order."""
    return [stem(w) for w in words(text) if not is_stopword(w)]


def split_sentences(paragraph: str) -> list[str]:
    """Sentences of one paragraph (sentencex knows abbreviations like "U.S." and "Gov.")."""
    return [s.strip() for s in segment("en", paragraph) if s.strip()]


def sentence_spans(text: str) -> Iterator[tuple[int, int]]:
    """(start, end) offsets of each sentence of a text whose paragraphs are blank-line separated.

    Offsets instead of strings keep the index small: the article text is held once.
    """
    cursor = 0
    for paragraph in text.split("\n\n"):
        base = text.find(paragraph, cursor)
        cursor = base + len(paragraph)
        local = 0
        for sentence in split_sentences(paragraph):
            start = paragraph.find(sentence, local)
            if start < 0:  # the splitter normalised something: fall back to the cursor
                start = local
            end = start + len(sentence)
            local = end
            yield base + start, base + end
