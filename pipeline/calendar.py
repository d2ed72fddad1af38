"""Programme dates: periods of a cadence, the periods completed by a date, roster due dates and
the default as-of date. Pure: the clock is an argument."""

from __future__ import annotations

import calendar
import datetime as dt

from pipeline.settings import Cadence, Settings


def default_as_of(today: dt.date, settings: Settings) -> dt.date:
    """Today, clamped to the programme's period."""
    return min(max(today, settings.programme.start), settings.programme.end)


def periods(cadence: Cadence, start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Consecutive (first, last) day pairs covering ``start``..``end`` by the cadence."""
    out: list[tuple[dt.date, dt.date]] = []
    first = start
    while first <= end:
        last = _period_end(cadence, first)
        out.append((first, min(last, end)))
        first = last + dt.timedelta(days=1)
    return out


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
