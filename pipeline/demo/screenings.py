"""The health centre's records of the year, and their special cases.

``screening_records`` turns each woman's screening dates (set by ``plan.py``) into one ``Screening``
per test and date; the other steps change chosen records, drawing from the generator they are given
(the demo's shared ``{seed}:special`` one, so their order in ``plan.build`` is part of the output):
repeats a few days later, high-risk and borderline serum results, IDs mistyped in the logs, an
impossible date typed as text, and which serum screenings the hospital system's export holds.
Nothing is written here (``logs.py`` lays the records out as files).
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass
from typing import Any

from pipeline.demo.defects import (
    HIS_EXPORT_FROM,
    HIS_EXPORT_ONLY,
    HIS_EXPORT_SHARED,
    HIS_EXPORT_TO,
    IMPOSSIBLE_DATE_TEXT,
    LOG_ID_TYPOS,
    NT_REPEATS,
    SERUM_BORDERLINE,
    SERUM_HIGH_RISK,
    SERUM_REPEATS,
)
from pipeline.demo.people import Woman, id_check_digit


@dataclass
class Screening:
    woman: Woman
    test: str  # "nt" | "serum"
    date: dt.date
    result: str = "低风险"
    id_text: str = ""
    date_text: str = ""  # overrides the date (an impossible date typed as text)
    in_log: bool = True  # in the NT or serum log
    in_his: bool = False  # in the health information system's export
    repeat: bool = False


def shift_sunday(d: dt.date) -> dt.date:
    """The health centre does not screen on Sundays: the next Monday."""
    return d + dt.timedelta(days=1) if d.weekday() == 6 else d


def _by_date(screenings: list[Screening]) -> list[Screening]:
    return sorted(screenings, key=lambda s: (s.date, s.woman.uid, s.test))


def screening_records(women: list[Woman]) -> list[Screening]:
    """One record per screening date of every woman, by date."""
    records = [
        Screening(w, t, d, id_text=w.id18) for w in women for t in ("nt", "serum") for d in getattr(w, t)
    ]
    return _by_date(records)


def with_repeats(screenings: list[Screening], rng: random.Random, year: int) -> list[Screening]:
    """The records plus women screened a second time a few days later (``NT_REPEATS``, ``SERUM_REPEATS``)."""
    out = list(screenings)
    for test, count in (("nt", NT_REPEATS), ("serum", SERUM_REPEATS)):
        pool = [
            s
            for s in out
            if s.test == test
            and not s.repeat
            and s.date <= dt.date(year, 12, 15)
            and s.date >= dt.date(year, 4, 20)
        ]
        for s in rng.sample(pool, min(count, len(pool))):
            again = Screening(
                s.woman,
                test,
                shift_sunday(s.date + dt.timedelta(days=rng.randint(3, 9))),
                id_text=s.id_text,
                repeat=True,
            )
            getattr(s.woman, test).append(again.date)
            out.append(again)
    return _by_date(out)


def flag_serum_results(screenings: list[Screening], rng: random.Random, year: int) -> list[Screening]:
    """Mark ``SERUM_HIGH_RISK`` first serum screenings 高风险 and ``SERUM_BORDERLINE`` 临界风险; return them."""
    serum_first = [
        s
        for s in screenings
        if s.test == "serum"
        and not s.repeat
        and s.woman.rostered
        and dt.date(year, 4, 15) <= s.date <= dt.date(year, 11, 20)
    ]
    flagged = rng.sample(serum_first, min(SERUM_HIGH_RISK + SERUM_BORDERLINE, len(serum_first)))
    for i, s in enumerate(flagged):
        s.result = "高风险" if i < SERUM_HIGH_RISK else "临界风险"
        s.woman.serum_result = s.result
    return flagged


def mistype_log_ids(
    screenings: list[Screening], rng: random.Random, year: int
) -> list[tuple[str, str, str, str]]:
    """``LOG_ID_TYPOS`` log records with one mistyped ID digit (the check digit then fails);
    name and phone stay right."""
    typo_pool = [
        s
        for s in screenings
        if s.woman.rostered and not s.woman.defects and not s.repeat and s.date >= dt.date(year, 4, 10)
    ]
    typos = []
    for s in rng.sample(typo_pool, min(LOG_ID_TYPOS, len(typo_pool))):
        s.id_text = _mistyped(s.woman.id18, rng)
        typos.append((s.woman.name, s.test, s.id_text, s.woman.id18))
    return typos


def _mistyped(id18: str, rng: random.Random) -> str:
    digits = list(id18)
    while True:
        pos = rng.randint(6, 16)
        new = rng.choice([c for c in "0123456789" if c != digits[pos]])
        typo = "".join(digits[:pos]) + new + "".join(digits[pos + 1 :])
        if id_check_digit(typo[:17]) != typo[17]:
            return typo


def impossible_date(screenings: list[Screening], rng: random.Random, year: int) -> dict[str, Any]:
    """One NT record of February typed as ``IMPOSSIBLE_DATE_TEXT``."""
    feb = [
        s
        for s in screenings
        if s.test == "nt" and s.date.month == 2 and s.date.year == year and s.id_text == s.woman.id18
    ]
    if not feb:
        return {}
    s = rng.choice(feb)
    s.date_text = IMPOSSIBLE_DATE_TEXT
    return {"impossible_date": (s.woman.name, s.woman.id18, s.date)}


def his_export(screenings: list[Screening], rng: random.Random, year: int) -> list[tuple[str, str, dt.date]]:
    """The hospital system's export: serum screenings of the second half of June, some of them in
    the serum log too; returns those only in the export."""
    his_from, his_to = dt.date(year, *HIS_EXPORT_FROM), dt.date(year, *HIS_EXPORT_TO)
    june = [
        s
        for s in screenings
        if s.test == "serum" and his_from <= s.date <= his_to and s.id_text == s.woman.id18 and not s.repeat
    ]
    chosen = rng.sample(june, min(HIS_EXPORT_SHARED + HIS_EXPORT_ONLY, len(june)))
    for i, s in enumerate(chosen):
        s.in_his = True
        s.in_log = i < HIS_EXPORT_SHARED
    return [(s.woman.name, s.woman.id18, s.date) for s in chosen[HIS_EXPORT_SHARED:]]
