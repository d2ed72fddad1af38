"""Programme dates: periods of a cadence, the periods completed by a date, roster due dates and
the default as-of date. Pure: the clock is an argument."""

from __future__ import annotations

import calendar
import datetime as dt

from pipeline.settings import Cadence, Settings


def default_as_of(today: dt.date, settings: Settings) -> dt.date:
    """Today, clamped to the programme's period."""
    return min(max(today, settings.programme.start), settings.programme.end)


def periods(
    cadence: Cadence, start: dt.date, end: dt.date, min_first_days: int = 0
) -> list[tuple[dt.date, dt.date]]:
    """Consecutive (first, last) day pairs covering ``start``..``end`` by the cadence. A first
    period shorter than ``min_first_days`` and shorter than the next one (cut short by the start
    date, as the half-month's 04-10..04-15; a full first week is not short for a weekly cadence)
    is merged into the next one, and the next, until it has ``min_first_days`` days."""
    out: list[tuple[dt.date, dt.date]] = []
    first = start
    while first <= end:
        last = _period_end(cadence, first)
        out.append((first, min(last, end)))
        first = last + dt.timedelta(days=1)
    if len(out) > 1 and _days(out[0]) < _days(out[1]):
        while len(out) > 1 and _days(out[0]) < min_first_days:
            out[:2] = [(out[0][0], out[1][1])]
    return out


def _days(span: tuple[dt.date, dt.date]) -> int:
    return (span[1] - span[0]).days + 1


def circular_periods(settings: Settings) -> list[tuple[dt.date, dt.date]]:
    """The programme's circular periods, a short first one merged into the next
    (``cadence.min_period_days``). Only the circular is merged: its periods carry the streaks and
    their consequences, while a short first ranking or summary period is harmless information."""
    p = settings.programme
    return periods(settings.cadence.circular, p.assess_from, p.end, settings.cadence.min_period_days)


def completed_circular_periods(settings: Settings, as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    return [(a, b) for a, b in circular_periods(settings) if b <= as_of]


def quarters(settings: Settings) -> list[tuple[dt.date, dt.date]]:
    """The quarters of the evaluations: (first, evaluation date) for each evaluation date on or
    after ``assess_from`` and by the programme end, the first quarter starting at ``assess_from``."""
    p = settings.programme
    days = sorted(d for d in settings.rewards.evaluations if p.assess_from <= d <= p.end)
    starts = [p.assess_from, *(d + dt.timedelta(days=1) for d in days[:-1])]
    return list(zip(starts, days, strict=True))


def _period_end(cadence: Cadence, first: dt.date) -> dt.date:
    if cadence.kind == "days":
        return first + dt.timedelta(days=cadence.every - 1)
    if cadence.kind == "weekday":
        ahead = (cadence.weekday - first.isoweekday()) % 7
        return first + dt.timedelta(days=ahead)
    year, month = first.year, first.month
    while True:
        month_len = calendar.monthrange(year, month)[1]
        ends = sorted({min(d, month_len) for d in cadence.ends})
        for d in ends:
            candidate = dt.date(year, month, d)
            if candidate >= first:
                return candidate
        month += 1
        if month > 12:
            year, month = year + 1, 1


def completed_periods(cadence: Cadence, settings: Settings, as_of: dt.date) -> list[tuple[dt.date, dt.date]]:
    p = settings.programme
    return [(a, b) for a, b in periods(cadence, p.assess_from, p.end) if b <= as_of]


def due_dates(settings: Settings, until: dt.date) -> list[dt.date]:
    r = settings.rosters
    end = min(until, settings.programme.end)
    dues = [r.first_due] if r.first_due <= end else []  # nothing is owed before the first due date
    year, month = r.first_due.year, r.first_due.month
    while dt.date(year, month, 1) <= end:
        month_len = calendar.monthrange(year, month)[1]
        for d in sorted(r.update_days):
            day = dt.date(year, month, min(d, month_len))
            if r.first_due < day <= end:
                dues.append(day)
        month += 1
        if month > 12:
            year, month = year + 1, 1
    return sorted(set(dues))
