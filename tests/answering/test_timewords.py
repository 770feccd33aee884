"""Time words in questions, resolved against the day asked, steer answers to their dates."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import numpy as np
import pytest

from bot.answering.timewords import Period, named_period, period
from tests.support import engine_at

WEDNESDAY = date(2024, 3, 13)


@pytest.mark.parametrize(("question", "first", "last"), [
    ("What did the mayor announce today?", date(2024, 3, 13), date(2024, 3, 16)),
    ("Who resigned yesterday?", date(2024, 3, 12), date(2024, 3, 15)),
    ("What happened on Monday in Lyon?", date(2024, 3, 11), date(2024, 3, 14)),
    ("Who won last Wednesday?", date(2024, 3, 6), date(2024, 3, 9)),
    ("Which law passed last week?", date(2024, 3, 4), date(2024, 3, 13)),
    ("What fell last month?", date(2024, 2, 1), date(2024, 3, 3)),
    ("Who was elected in March?", date(2024, 3, 1), date(2024, 4, 3)),
    ("Who was elected in November?", date(2023, 11, 1), date(2023, 12, 3)),
    ("What opened in June 2022?", date(2022, 6, 1), date(2022, 7, 3)),
    ("What happened on March 2nd?", date(2024, 3, 2), date(2024, 3, 5)),
    ("What happened on December 24, 2023?", date(2023, 12, 24), date(2023, 12, 27)),
    ("Who leads the latest poll?", date(2024, 3, 3), date(2024, 3, 16)),
])
def test_time_words_resolve_to_publication_dates(question, first, last):
    assert period(question, WEDNESDAY) == Period(first, last)


def test_impossible_dates_and_plain_questions_fall_back_to_recent_news():
    assert period("What happened on February 30?", WEDNESDAY) == period("What?", WEDNESDAY)
    assert named_period("Who won the cup?", WEDNESDAY) is None
    assert named_period("Who won the cup yesterday?", WEDNESDAY) is not None


def test_days_outside_a_period_are_signed():
    week = Period(date(2024, 3, 4), date(2024, 3, 10))
    days = [date(2024, 3, d).toordinal() for d in (6, 1, 12, 4, 10)]
    assert week.days_outside(np.array(days)).tolist() == [0, -3, 2, 0, 0]


def storms(tmp_path, days: list[date]):
    engine = engine_at(tmp_path / "db.json")
    records = [
        {"url": f"https://example.com/storm-{d}", "title": f"Storm over Velden ({d:%B %d})",
         "source": "example.com", "published": d.isoformat(),
         "text": f"A storm damaged {count} roofs in Velden, the town council said."}
        for count, d in zip((12, 40, 75), days, strict=False)
    ]
    engine.load_bytes("\n".join(json.dumps(r) for r in records).encode(), "storms.jsonl")
    return engine


def test_yesterday_and_a_named_month_pick_the_article_of_that_time(tmp_path):
    engine = storms(tmp_path, [date(2024, 1, 20), date(2024, 3, 1), date(2024, 3, 12)])
    asked = datetime(2024, 3, 13, 9, tzinfo=UTC)
    top = engine.ask("How many roofs did the storm damage in Velden yesterday?", asked)
    assert "75 roofs" in top.excerpts[0].text
    top = engine.ask("How many roofs did the storm damage in Velden in January?", asked)
    assert "12 roofs" in top.excerpts[0].text


def test_without_a_date_time_words_count_from_today(tmp_path):
    today = datetime.now(UTC).date()
    engine = storms(tmp_path, [today - timedelta(days=200), today - timedelta(days=1)])
    answer = engine.ask("How many roofs did the storm damage in Velden yesterday?")
    assert "40 roofs" in answer.excerpts[0].text
