"""Where each rtqa-dev question's answer is in the archive: what abstaining should follow.

rtqa-dev calls a question answerable when one of its answer strings is anywhere in the
corpus. For abstention that is not the question that matters: a question is answered by
the archive when an article about it holds the answer in a passage near the question's
words. Four kinds, from the articles' words only (content words: not stopwords, three
letters or more):

- ``on topic``: an answer string in a passage (three consecutive sentences) holding at
  least two of the question's content words, of an article holding at least
  ``ABOUT_SHARE`` of them;
- ``coincidence``: an answer string is in the corpus, but only elsewhere (a country
  named in an unrelated story);
- ``paraphrased``: no answer string anywhere, but such a passage holds at least
  ``PARAPHRASE_SHARE`` of an answer's content words ("fully digital" for "It is now
  fully digital");
- ``absent``: neither.

The bot should answer the first and third kinds and may fall silent on the other two;
the set's labels reward silence only on the last two.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Sequence

from bot.models import Article
from bot.search.analysis import is_stopword, sentence_spans, words

ABOUT_SHARE = 0.6  # of the question's content words an article about it holds
PARAPHRASE_SHARE = 0.5  # of an answer's content words a passage holds to restate it
PASSAGE = 3  # sentences
KINDS = ("on topic", "coincidence", "paraphrased", "absent")
ANSWERABLE_KINDS = KINDS[:2]  # rtqa-dev's "answerable": an answer string in the corpus


def content(text: str) -> set[str]:
    """Content words, a possessive's "'s" dropped ("museum's" is "museum")."""
    plain = (re.sub(r"['’]s$", "", w) for w in words(text))
    return {w for w in plain if len(w) > 2 and not is_stopword(w)}


class Archive:
    """The articles as passages of content words, with which articles hold each word."""

    def __init__(self, articles: Sequence[Article], normalise: Callable[[str], str]) -> None:
        self._norm = normalise
        self.text = normalise(" ".join(a.text for a in articles))  # what "answerable" reads
        self.passages: list[list[tuple[set[str], str]]] = []
        self.holders: dict[str, list[int]] = {}
        for number, article in enumerate(articles):
            sentences = [article.text[a:b] for a, b in sentence_spans(article.text)]
            joined = [" ".join(sentences[i : i + PASSAGE])
                      for i in range(max(1, len(sentences) - PASSAGE + 1))]
            self.passages.append([(content(p), normalise(p)) for p in joined])
            for word in content(article.title + " " + article.text):
                self.holders.setdefault(word, []).append(number)

    def about(self, asked: set[str]) -> list[int]:
        """The articles holding at least ``ABOUT_SHARE`` of the question's content words."""
        held = Counter(n for word in asked for n in self.holders.get(word, ()))
        return [n for n, count in held.items() if count >= ABOUT_SHARE * len(asked)]

    def kind(self, question: str, answers: Sequence[str]) -> str:
        asked = content(question)
        strings = [s for s in (self._norm(a) for a in answers) if s.strip()]
        answer_words = [w for w in (content(a) for a in answers) if w]
        near = [(passage_words, text) for n in self.about(asked)
                for passage_words, text in self.passages[n]
                if len(passage_words & asked) >= min(2, len(asked))]
        if any(s in self.text for s in strings):
            on_topic = any(s in text for _w, text in near for s in strings)
            return "on topic" if on_topic else "coincidence"
        restated = any(len(passage_words & a) >= PARAPHRASE_SHARE * len(a)
                       for passage_words, _t in near for a in answer_words)
        return "paraphrased" if restated else "absent"
