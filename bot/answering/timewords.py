"""Time words in a question ("yesterday", "last week", "in March", "on Monday"), resolved
against the day it was asked into the publication dates its answer is likely to carry.

News about a day's events is published that day or within the next few days, so every
period ends ``REPORTING_DAYS`` after the event. Without time words, a question is about
recent events: the articles of the ten days before it was asked (and a few after).
"""

from __future__ import annotations

import calendar
import re
from datetime import date, timedelta
from typing import NamedTuple

import numpy as np

REPORTING_DAYS = 3
RECENT_DAYS = 10
MONTHS = {name.lower(): number for number, name in enumerate(calendar.month_name) if name}
WEEKDAYS = {name.lower(): number for number, name in enumerate(calendar.day_name)}
_MONTH = "|".join(MONTHS)
_DATE = re.compile(rf"\b(?:on |in )?({_MONTH}) (\d{{1,2}})(?:st|nd|rd|th)?(?:,? (\d{{4}}))?\b")
_MONTH_ONLY = re.compile(rf"\b(?:in|during) ({_MONTH})(?:,? (\d{{4}}))?\b")
_WEEKDAY = re.compile(rf"\b(?:on|last) ({'|'.join(WEEKDAYS)})\b")
_NEWEST = re.compile(r"\b(?:latest|newest|most recent|update on|updates on|still)\b")


class Period(NamedTuple):
    """Publication dates, both ends included."""

    first: date
    last: date

    def days_outside(self, ordinals: np.ndarray) -> np.ndarray:
        """0 for days (proleptic ordinals) inside the period, else the signed distance in
        days to its nearest end."""
        days = ordinals.astype(np.int64)
        first, last = self.first.toordinal(), self.last.toordinal()
        return np.where(days < first, days - first, np.maximum(days - last, 0))


def asks_newest(question: str) -> bool:
    """Whether the question asks for the newest report ("latest", "still", ...)."""
    return bool(_NEWEST.search(question.lower()))


def period(question: str, asked: date) -> Period:
    """The publication dates the question points at, as asked on ``asked``."""
    return named_period(question, asked) or Period(
        asked - timedelta(days=RECENT_DAYS), asked + timedelta(days=REPORTING_DAYS)
    )


def named_period(question: str, asked: date) -> Period | None:
    """The period the question's own time words name; None when it has none."""
    text = question.lower()
    event = _named_day(text, asked)
    if event is not None:
        return Period(event, event + timedelta(days=REPORTING_DAYS))
    span = _named_span(text, asked)
    if span is not None:
        return Period(span[0], span[1] + timedelta(days=REPORTING_DAYS))
    return None


def _named_day(text: str, asked: date) -> date | None:
    if re.search(r"\btoday\b|\btonight\b", text):
        return asked
    if "yesterday" in text:
        return asked - timedelta(days=1)
    found = _DATE.search(text)
    if found:
        month, day = MONTHS[found.group(1)], int(found.group(2))
        year = int(found.group(3)) if found.group(3) else _latest_year(month, day, asked)
        try:
            return date(year, month, day)
        except ValueError:  # "February 30"
            return None
    found = _WEEKDAY.search(text)
    if found:
        back = (asked.weekday() - WEEKDAYS[found.group(1)]) % 7
        return asked - timedelta(days=back or (7 if text[found.start():].startswith("last") else 0))
    return None


def _named_span(text: str, asked: date) -> tuple[date, date] | None:
    if "last week" in text:
        monday = asked - timedelta(days=asked.weekday() + 7)
        return monday, monday + timedelta(days=6)
    if "last month" in text:
        last = asked.replace(day=1) - timedelta(days=1)
        return last.replace(day=1), last
    found = _MONTH_ONLY.search(text)
    if found:
        month = MONTHS[found.group(1)]
        year = int(found.group(2)) if found.group(2) else _latest_year(month, 1, asked)
        return date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
    return None


def _latest_year(month: int, day: int, asked: date) -> int:
    """A month named without a year is the latest one that has begun by ``asked``."""
    return asked.year if (month, day) <= (asked.month, asked.day) else asked.year - 1
