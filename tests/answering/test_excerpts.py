"""What a reader sees in each excerpt: only stories about the question (no padding with
stories that merely share its common words), the answer marked, the newest report first
when the question asks for the latest."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.answering.spans import (
    MAX_ANSWER_WORDS,
    answer_span,
    asked_kind,
    counted,
    counts,
    kind_spans,
)
from bot.search.analysis import WORD_RE, stem, terms
from tests.support import SAMPLES, engine_at

# Distinct fictional stories that share the common words "cut", "cost", "said", "won".
STORIES = {
    "zentrix-layoffs": ("Zentrix to cut 900 jobs as chip demand slows", "2024-04-02",
        "Zentrix, the Pellham-based chipmaker, said on Tuesday it would cut 900 jobs. "
        "The cuts will cost the company $45 million in severance, it said. "
        "Zentrix won a large defence contract last year but orders have since slowed."),
    "marlow-rate-cut": ("Marlow Reserve cuts its rate to 3.1%", "2024-04-03",
        "The Marlow Reserve cut its main rate to 3.1% on Wednesday, the first cut in two "
        "years. Governor Tilda Ashcombe said the cost of borrowing had weighed on homes. "
        "Markets said the decision won broad support among economists."),
    "quillby-flowers": ("Quillby grower wins the county flower show", "2024-04-04",
        "Orla Penhallow won the Quillby county flower show on Saturday with a blue dahlia. "
        "Entry cost five pounds, organisers said, and the hedges were cut for the visitors. "
        "She said the dahlia took four years to breed."),
    "orvane-museum": ("Orvane museum reopens after restoration", "2024-04-05",
        "The Orvane Maritime Museum reopened on Friday after a two-year restoration. "
        "The restoration cost $12 million, the city said, and ribbons were cut by the mayor. "
        "The museum won a heritage award for the new harbour gallery."),
    "delphin-ferry": ("Delphin ferry fares cut for the summer", "2024-04-06",
        "Delphin Lines cut its island ferry fares by a fifth on Monday for the summer season. "
        "A return ticket will cost 18 crowns, the operator said. "
        "Delphin said bookings had won back the numbers lost in the spring storms."),
    "harrow-league": ("Harrow Rovers win the Thessaly league title", "2024-04-07",
        "Harrow Rovers won the Thessaly league title on Sunday with a 3-0 win over Kestrel "
        "Town. Coach Imre Dalton said the squad had cut its mistakes all season. "
        "Tickets for the victory parade cost nothing, the club said."),
}
ASKED = datetime(2024, 4, 8, tzinfo=UTC)


@pytest.fixture(scope="module")
def shared_words(tmp_path_factory):
    engine = engine_at(tmp_path_factory.mktemp("shared") / "db.json")
    records = [
        {"url": f"https://example.com/{slug}", "title": title, "source": "Gazette",
         "published": day, "text": text}
        for slug, (title, day, text) in STORIES.items()
    ]
    engine.load_bytes("\n".join(json.dumps(r) for r in records).encode(), "stories.jsonl")
    return engine


@pytest.mark.parametrize(("question", "story", "answer"), [
    ("How many jobs is Zentrix cutting?", "zentrix-layoffs", "900 jobs"),
    ("How much did the Orvane museum restoration cost?", "orvane-museum", "$12 million"),
    ("Who won the Quillby flower show?", "quillby-flowers", "Orla Penhallow"),
    ("Which team won the Thessaly league title?", "harrow-league", "Harrow Rovers"),
    ("How much will a Delphin ferry ticket cost?", "delphin-ferry", "18 crowns"),
    ("What rate did the Marlow Reserve cut to?", "marlow-rate-cut", "3.1%"),
])
def test_no_excerpt_from_a_story_that_only_shares_common_words(
    shared_words, question, story, answer
):
    reply = shared_words.ask(question, ASKED)
    assert reply.answered
    assert [e.citation.url.rsplit("/", 1)[1] for e in reply.excerpts] == [story] * len(
        reply.excerpts
    )
    assert reply.excerpts[0].answer == answer


def test_latest_puts_the_newest_matching_report_first(tmp_path):
    engine = engine_at(tmp_path / "db.json", SAMPLES)
    reply = engine.ask("What's the latest on North Korea?")
    dates = [e.citation.published for e in reply.excerpts]
    assert dates[0].year == 2025
    assert dates == sorted(dates, reverse=True)
    plain = engine.ask("What did North Korea do?")
    assert plain.excerpts[0].citation.published.year == 2023  # without "latest": by match


@pytest.mark.parametrize(("question", "kind"), [
    ("How many jobs is Brightloop cutting?", "number"),
    ("How much did it cost?", "number"),
    ("When are the US and South Korea drills?", "date"),
    ("In which month will the emergency end?", "date"),
    ("Where did the volcano erupt?", "place"),
    ("Which country hosted the summit?", "place"),
    ("Who won the runoff?", "person"),
    ("Which automaker issued the warning?", "name"),
    ("What team did he join?", "name"),
    ("What rate did the bank set?", "number"),
    ("What is unique about the new pizza place?", None),
    ("Which host did Fox part ways with this week when it announced cuts?", "name"),
    ("What is the name of the storm?", "name"),
    ("What did Kim call for?", "object"),
    ("South Korea banned the sale of what?", "object"),
    ("Which city hosted the final?", "place"),
    ("Which U.S. state passed the law?", "place"),
    ("How long did the strike last?", "number"),
    ("Why did the council vote no?", None),
    ("What about the Orvane museum?", None),  # news of it, not a name
    ("What about the workers who fell from the bridge on Tuesday?", None),  # not "who"
    ("And what about Friday, when the museum reopens?", None),  # nor "when"
])
def test_the_kind_of_answer_a_question_asks_for(question, kind):
    assert asked_kind(question) == kind


@pytest.mark.parametrize(("question", "text", "answer"), [
    ("How many jobs is Brightloop cutting?",
     "Brightloop said on Tuesday it would cut about 1,800 jobs, or 12% of its staff.",
     "1,800 jobs"),
    ("How much did the launch cost?",
     "The launch, delayed twice, cost $610 million in all.", "$610 million"),
    ("When did the museum reopen?",
     "The Orvane museum reopened on March 4, 2024 after two years.", "March 4, 2024"),
    ("Who won the runoff in Valdoria?",
     "The Valdoria runoff was won by Mariela Costa, with 54% of the vote.", "Mariela Costa"),
    ("Which team won the cup?",
     "The cup went to Harbor City FC, who beat Riverton Athletic 2-1.", "Harbor City FC"),
    ("Which country did the ships sail to?",
     "Officials in Italy said the ships sailed to Albania on Monday.", "Albania"),
    ("Who won the runoff?", "The runoff was postponed again.", None),
    ("Who won the Valdoria runoff?", "Valdoria's runoff was won by Mariela Costa.",
     "Mariela Costa"),
])
def test_the_answer_span_is_new_to_the_question_and_near_its_words(question, text, answer):
    near = [(text.lower().find(w), text.lower().find(w) + len(w))
            for w in ("cut", "cost", "reopen", "won", "cup", "sail", "runoff")
            if w in text.lower()]
    span = answer_span(asked_kind(question), text, question, near)
    assert (text[span[0]:span[1]] if span else None) == answer


def _near(text: str, question: str) -> list[tuple[int, int]]:
    """The question's content words in ``text``, as compose highlights them."""
    asked = set(terms(question))
    return [m.span() for m in WORD_RE.finditer(text) if stem(m.group().lower()) in asked]


@pytest.mark.parametrize(("question", "text", "answer"), [
    # "what did X call for?": the phrase after the question's verb
    ("What did the Pellham mayor call for?",
     "On Monday the Pellham mayor called for a new harbour tunnel, aides said.",
     "a new harbour tunnel"),
    # "what was X charged with?": after the participle
    ("What was the Orvane treasurer charged with?",
     "The Orvane treasurer was charged with embezzlement, prosecutors said.", "embezzlement"),
    # an in-place "what": after the word before it, its preposition left out
    ("Valdoria banned the sale of what?",
     "Valdoria on Monday banned the sale of fireworks, citing summer fires.", "fireworks"),
    # a name split where it restates the question
    ("The former CEO of which company testified on Tuesday?",
     "Former Brightloop CEO Dana Reyes testified on Tuesday before the committee.",
     "Brightloop"),
    # the kind's own word stays: "which city" -> "Salt Lake City"-like names are whole
    ("Which city will host the Thessaly final?",
     "The Thessaly final will be played at Corran Stadium in Port Avery City next May.",
     "Port Avery City"),
    # "how long": a duration, with its unit
    ("How long did the Orvane restoration take?",
     "The Orvane restoration, in 40 stages, took two years to finish.", "two years"),
    # "what percentage": a percentage, not the nearer count
    ("What percentage of its staff will Brightloop cut?",
     "Brightloop will cut 1,800 jobs, or 12% of its staff.", "12%"),
    # the unit the question names goes with the number
    ("For the first time in how many years did Quillby hold the fair?",
     "Quillby held the fair for the first time in 60 years on Saturday.", "60 years"),
    # initials are part of a name; a trailing day is not
    ("Who sued the Marlow Gazette?",
     "The Marlow Gazette was sued by E. Jean Morrow Tuesday over a column.", "E. Jean Morrow"),
])
def test_each_kind_of_answer_span(question, text, answer):
    span = answer_span(asked_kind(question), text, question, _near(text, question))
    assert (text[span[0]:span[1]] if span else None) == answer


def test_an_answer_phrase_is_at_most_eight_words_and_never_only_question_words():
    question = "What did the council approve?"
    text = ("The council approved a plan to widen every road and bridge across the whole "
            "northern district by next spring")
    span = answer_span(asked_kind(question), text, question, _near(text, question))
    assert span is not None
    assert text[span[0]:span[1]] == "a plan to widen every road and bridge"  # not "... across"
    assert len(text[span[0]:span[1]].split()) <= MAX_ANSWER_WORDS == 8
    restating = "The council approved it."  # nothing after the verb but the question's words
    assert answer_span(asked_kind(question), restating, question,
                       _near(restating, question)) is None


def test_a_follow_up_is_asked_about_the_previous_answer_s_story(shared_words):
    reply = shared_words.ask("How much did it cost?", ASKED,
                             previous="When did the Orvane museum reopen?")
    assert reply.excerpts[0].citation.url.endswith("/orvane-museum")
    assert reply.excerpts[0].answer == "$12 million"
    assert reply.question == "How much did it cost?"
    alone = shared_words.ask("How much did it cost?", ASKED)
    assert len({e.citation.url for e in alone.excerpts}) > 1  # "cost" is in every story


def test_a_reply_on_a_new_topic_is_answered_on_its_own(shared_words):
    reply = shared_words.ask("Who won the Thessaly league title?", ASKED,
                             previous="When did the Orvane museum reopen?")
    assert {e.citation.url.rsplit("/", 1)[1] for e in reply.excerpts} == {"harrow-league"}
    assert reply.excerpts[0].answer == "Harrow Rovers"


def test_a_question_about_an_event_the_archive_never_mentions_abstains(tmp_path):
    engine = engine_at(tmp_path / "db.json", SAMPLES)
    assert not engine.ask("Who won the chess tournament?").answered  # no chess in it
    assert not engine.ask("Who won the 1998 World Cup?").answered
    assert engine.ask("Who won the Continental Cup final?").answered  # "won" alone is not it
    assert engine.ask("Who won the final?").answered


@pytest.mark.parametrize(("question", "text", "found"), [
    ("How many jobs is Brightloop cutting?", "Brightloop will cut 1,800 jobs in May.", True),
    ("How many jobs is Brightloop cutting?", "Brightloop is cutting jobs, it said.", False),
    ("Who leads the Orvane council?", "Mariela Costa leads the Orvane council.", True),
    ("Who leads the Orvane council?", "The Orvane council met on a rainy evening.", False),
    ("When did the museum reopen?", "The museum reopened on March 4.", True),
])
def test_the_spans_of_the_kind_asked_are_the_ones_new_to_the_question(question, text, found):
    assert bool(kind_spans(asked_kind(question), text, question)) is found


def test_a_count_of_what_the_question_counts():
    things = counted("How many more jobs is Brightloop cutting this year?")
    assert things == {"job"}
    assert counts("Brightloop said it would cut 1,800 more jobs by June.", things)
    assert counts("It cuts twelve hundred jobs.", things)
    assert not counts("Brightloop cut 1,800 of its staff and promised new jobs later.",
                      things)  # the number counts staff: "jobs" is four words on
    assert not counts("Brightloop cut jobs in 2024.", things)  # no number before "jobs"
    assert counted("Who is cutting jobs?") == frozenset()
    assert not counts("Brightloop cut 1,800 jobs.", frozenset())
