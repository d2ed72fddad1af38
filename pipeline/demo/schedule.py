"""When each community submits its roster, and under which file name.

``schedule(settings)`` gives every roster submission of the programme year (community, due date,
the day it was sent, file name, format) and the due dates a community missed, following each
community's habits (early, on the day, late; see ``defects.MISSED_SUBMISSIONS`` and
``LATE_SUBMISSIONS``). Pure and deterministic: no randomness, no clock. The due dates are worked out
here independently of ``pipeline.calendar``, so that the demo can check the pipeline.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from pipeline.demo.defects import LATE_SUBMISSIONS, MISSED_SUBMISSIONS
from pipeline.demo.people import kind_of
from pipeline.settings import Community, Settings


@dataclass
class Submission:
    community: int
    due: dt.date
    date: dt.date
    filename: str
    fmt: str  # xlsx | csv-gbk | csv-utf8


def schedule(settings: Settings) -> tuple[list[Submission], list[tuple[int, dt.date]]]:
    """(the submissions, the missed ones as (community index, due date)), by community then due date."""
    dues = _due_dates(settings)
    subs: list[Submission] = []
    missed: list[tuple[int, dt.date]] = []
    for index, c in enumerate(settings.communities):
        kind = kind_of(index)
        for due in dues:
            md = (due.month, due.day)
            if md in MISSED_SUBMISSIONS.get(kind, ()):
                missed.append((index, due))
                continue
            date = _sent_on(kind, due)
            fmt = _format(kind, md)
            subs.append(Submission(index, due, date, _roster_filename(kind, c, date, fmt), fmt))
    return subs, missed


def _sent_on(kind: int, due: dt.date) -> dt.date:
    """Late where planned; else 新安 on the last working day before the due date, 常花园 on the due
    date itself (even a weekend), the others on the due date or the working day before it."""
    late = LATE_SUBMISSIONS.get(kind, {}).get((due.month, due.day))
    if late:
        return due + dt.timedelta(days=late)
    if kind == 1:
        return _previous_workday(due - dt.timedelta(days=1))
    if kind == 3:
        return due
    return _previous_workday(due)


def _format(kind: int, month_day: tuple[int, int]) -> str:
    """Two submissions come as CSV: 常花园's of 05-28 (GBK), 银华's of 09-08 (UTF-8 with BOM)."""
    if kind == 3 and month_day == (5, 28):
        return "csv-gbk"
    if kind == 4 and month_day == (9, 8):
        return "csv-utf8"
    return "xlsx"


def _due_dates(settings: Settings) -> list[dt.date]:
    first = settings.rosters.first_due
    end = settings.programme.end
    out = {first}
    y, m = first.year, first.month
    while dt.date(y, m, 1) <= end:
        for day in settings.rosters.update_days:
            d = min(day, _month_end(y, m).day)
            due = dt.date(y, m, d)
            if first < due <= end:
                out.add(due)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return sorted(out)


def _month_end(y: int, m: int) -> dt.date:
    nxt = dt.date(y + 1, 1, 1) if m == 12 else dt.date(y, m + 1, 1)
    return nxt - dt.timedelta(days=1)


def _previous_workday(d: dt.date) -> dt.date:
    while d.weekday() >= 5:
        d -= dt.timedelta(days=1)
    return d


def _roster_filename(kind: int, c: Community, d: dt.date, fmt: str) -> str:
    if kind == 0:
        return f"{c.name}已孕对象花名册{d:%Y%m%d}.xlsx"
    if kind == 1:
        return f"{c.name}已孕对象花名册（{d.month}月{d.day}日）.xlsx"
    if kind == 2:
        return f"{c.name}花名册-{d:%m%d}.xlsx"
    if kind == 3:
        return f"{c.name}花名册{d:%m%d}." + ("csv" if fmt != "xlsx" else "xlsx")
    if fmt != "xlsx":
        return f"{c.name}花名册{d:%Y%m%d}.csv"
    return f"{c.name}已孕对象花名册{d:%Y%m%d}.xlsx"
