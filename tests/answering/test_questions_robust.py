"""Any question at all gets an Answer, quickly, that keeps the Answer's promises."""

from __future__ import annotations

import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.answering.compose import MAX_EXCERPTS
from bot.answering.retrieve import MAX_EXCERPT_CHARS
from bot.engine import Engine
from bot.models import Answer
from tests.support import SAMPLES, engine_at

TIME_LIMIT_S = 2.0
KIM = "What did Kim say about missile production?"

ODD_QUESTIONS = {
    "empty": "",
    "blank": " \t\n ",
    "5000 chars": (KIM + " ") * (5000 // (len(KIM) + 1)) + "x" * (5000 % (len(KIM) + 1)),
    "only emoji": "😀🚀🇯🇵👩\u200d🚀🤷🏽\u200d♀️" * 20,
    "only stopwords": "what who is was the of and it this that would could about",
    "markdown": "**What** did _Kim_ say about ~~missile~~ `production`? > quote ||spoiler||",
    "code block": "```python\nprint('What did Kim say about missile production?')\n```",
    "zero-width": "Kim\u200b \u200cmissile\u200d production\u2060\ufeff?",
    "arabic": "ماذا قال كيم عن إنتاج الصواريخ؟",
    "hebrew": "מה אמר קים על ייצור טילים?",
    "bidi overrides": "\u202eKim missile\u202c \u2067production\u2069",
    "mixed scripts": "Kim 김정은 ミサイル производство missile ракета 导弹 production",
    "lone surrogates": "Kim \ud800 missile \udfff production \udbff",
    "NUL": "Kim\x00missile\x00production\x00",
    "control characters": "".join(map(chr, range(32))) + " Kim missile",
    "URL": "https://example.com/news/2025/09/north-korea-missile-launch-sample?utm_source=x#y",
    "500 repetitions": " ".join(["missile"] * 500),
    "500 repetitions, no spaces": "missile" * 500,
    "one huge word": "a" * 5000,
    "numbers": "1998 2023 3.14 1,000,000 -5 1e309 0x1F",
    "punctuation": "?!.,;:'\"()[]{}<>@#$%^&*-_=+|\\/~`" * 20,
    "mentions": "@everyone <@123> <@&456> <#789> Kim missile",
    "combining marks": "Kim" + "\u0301" * 500 + " missile",
    "private use and noncharacters": "\ue000\uf8ff\ufdd0\uffff\U0010ffff Kim",
}


@pytest.fixture(scope="module")
def engine(tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """The sample articles, indexed once for every question."""
    engine = engine_at(tmp_path_factory.mktemp("questions") / "db.json", SAMPLES)
    engine.warm_up()
    return engine


def assert_well_formed(answer: Answer, question: str) -> None:
    """The invariants every Answer keeps, whatever was asked."""
    assert isinstance(answer, Answer)
    assert answer.question == question
    if answer.answered:
        assert 1 <= len(answer.excerpts) <= MAX_EXCERPTS
    else:
        assert answer.excerpts == ()
    for excerpt in answer.excerpts:
        assert excerpt.text.strip()
        for start, end in excerpt.highlights:
            assert 0 <= start < end <= len(excerpt.text), (start, end)
    assert 0.0 <= answer.confidence <= 1.0 + 1e-9


def timed_ask(engine: Engine, question: str) -> Answer:
    started = time.perf_counter()
    answer = engine.ask(question)
    elapsed = time.perf_counter() - started
    assert elapsed < TIME_LIMIT_S, f"{elapsed:.2f} s"
    return answer


@pytest.mark.parametrize("question", ODD_QUESTIONS.values(), ids=ODD_QUESTIONS.keys())
def test_odd_question_gets_an_answer_in_time(engine: Engine, question: str) -> None:
    assert_well_formed(timed_ask(engine, question), question)


SAMPLE_QUESTIONS = [
    KIM,
    "Why did Westmark have rolling blackouts during the heatwave?",
    "Who won the Continental Cup final?",
    "How much did Riverton budget for protected bike lanes?",
    "North Korea ballistic missiles launch",
]


def test_excerpts_stay_within_the_character_budget(engine: Engine) -> None:
    """Answered questions quote at most MAX_EXCERPT_CHARS per excerpt."""
    too_long = {
        (question[:40], len(e.text))
        for question in [*SAMPLE_QUESTIONS, *ODD_QUESTIONS.values()]
        for e in engine.ask(question).excerpts
        if len(e.text) > MAX_EXCERPT_CHARS
    }
    assert not too_long, f"excerpts over {MAX_EXCERPT_CHARS} characters: {sorted(too_long)}"


@pytest.mark.parametrize("name", ["zero-width", "lone surrogates", "NUL", "5000 chars",
                                  "500 repetitions", "markdown", "bidi overrides"])
def test_noise_around_real_words_does_not_hide_them(engine: Engine, name: str) -> None:
    """Invisible characters, NULs and repetition do not stop the words around them matching."""
    answer = engine.ask(ODD_QUESTIONS[name])
    assert answer.answered, name
    assert any("missile" in e.text.lower() for e in answer.excerpts)


@pytest.mark.parametrize("name", ["empty", "blank", "only emoji", "only stopwords",
                                  "punctuation", "arabic"])
def test_questions_without_content_words_are_not_answered(engine: Engine, name: str) -> None:
    answer = engine.ask(ODD_QUESTIONS[name])
    assert not answer.answered and answer.excerpts == ()


@settings(max_examples=150, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(question=st.one_of(
    st.text(),
    st.text(alphabet=st.characters(codec="utf-8"), max_size=300),
    st.lists(st.sampled_from([*KIM.split(), "\u200b", "\x00", "🚀", "ود", "\ud800", "**"]))
    .map(" ".join),
))
def test_any_text_gets_a_well_formed_answer(engine: Engine, question: str) -> None:
    assert_well_formed(timed_ask(engine, question), question)
