"""bench/evidence.py: where a question's answer is in the archive, from the articles' words."""

from __future__ import annotations

from datetime import UTC, datetime

from bench.evidence import Archive
from bench.quality import norm
from bot.models import Article

WHEN = datetime(2026, 3, 2, tzinfo=UTC)


def article(number: int, title: str, text: str) -> Article:
    return Article(f"a{number}", f"https://example.test/{number}", title, "example.test",
                   WHEN, (), text, WHEN)


ARCHIVE = Archive(
    [
        article(1, "Harbourview ferry strike", "Ferry crews in Harbourview walked out on Monday. "
                "The Harbourview ferry union wants a pay rise of nine percent. "
                "Talks resume next week.\n\nCommuters queued for buses instead."),
        article(2, "Orchard festival", "The Lindenfeld orchard festival drew record crowds. "
                "Organisers said the apple harvest was the largest in a decade. "
                "Visitors came from as far as Norway."),
        article(3, "Glassworks museum reopens", "The Glassworks museum reopened after repairs. "
                "Its new wing is now fully accessible to wheelchair users. "
                "Tickets are free for the first month."),
    ],
    norm,
)


def test_an_answer_in_a_passage_about_the_question_is_on_topic() -> None:
    kind = ARCHIVE.kind("What pay rise does the Harbourview ferry union want?", ["nine percent"])
    assert kind == "on topic"


def test_an_answer_found_only_in_an_unrelated_story_is_a_coincidence() -> None:
    kind = ARCHIVE.kind("Which country are the Harbourview ferry crews from?", ["Norway"])
    assert kind == "coincidence"


def test_an_answer_restated_in_other_words_is_paraphrased() -> None:
    kind = ARCHIVE.kind("What changed at the Glassworks museum's new wing?",
                        ["It became accessible to wheelchair visitors"])
    assert kind == "paraphrased"


def test_an_answer_no_passage_about_the_question_holds_is_absent() -> None:
    assert ARCHIVE.kind("Who leads the Harbourview ferry union?", ["Maren Kolbe"]) == "absent"
    # Words of the answer in an unrelated story do not make it paraphrased.
    kind = ARCHIVE.kind("Which fruit did the Glassworks museum serve at its reopening?",
                        ["apple harvest cake"])
    assert kind == "absent"
