"""Invariants of the consequences over generated programmes (hypothesis): small random communities,
quotas, weekly numbers, screening days, every stage-target reading and every kind of circular
cadence. Each generated history is checked against an oracle written here from the rules
(DOMAIN.md, "Readings an office can stand behind"), not from pipeline.score:

* a community at or above its expected count (both tests combined) at a period's end is never
  named lagging, a stage misser, criticised or sanctioned for that period (honours lost in an
  earlier period stay lost: a record marked （延续）, not a new sanction);
* a consequence is never harsher than its streak allows: 约谈 needs two stage misses in a row, 问责
  three, the lagging texts one, two and three periods lagging in a row;
* a first circular period cut short by the start date and shorter than ``min_period_days`` is merged
  into the next one(s), whatever the cadence.
"""

from __future__ import annotations

import bisect
import datetime as dt
from typing import Any

import pandas as pd
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from pipeline.calendar import circular_periods, periods
from pipeline.score import CARRIED, circulars, progress
from pipeline.settings import Cadence, Settings
from tests.factories import A, B, C, E, community, make_settings, quotas

START = dt.date(2020, 4, 10)
END = dt.date(2020, 12, 31)
READINGS = ["behind_and_slipping", "period_share", "cumulative_combined", "cumulative_each_test", "quarterly"]
EVALUATIONS = (dt.date(2020, 7, 10), dt.date(2020, 10, 10), dt.date(2020, 12, 26))
LAG_TEXTS = ("社区相关责任人表态发言", "社区党支部书记表态发言", "取消年底评先资格")
TALK, DISCIPLINE = "办事处主要领导约谈支书", "交办事处纪工委问责"
CRITICISM, PRAISE = "通报批评", "通报表扬"
TOL = 1e-9


@st.composite
def cadences(draw: st.DrawFn) -> Cadence:
    kind = draw(st.sampled_from(["half_month", "ten_day", "weekday", "days"]))
    if kind == "half_month":
        return Cadence(kind="month_days", ends=(15, 31))
    if kind == "ten_day":
        return Cadence(kind="month_days", ends=(10, 20, 31))
    if kind == "weekday":
        return Cadence(kind="weekday", weekday=draw(st.integers(1, 7)))
    return Cadence(kind="days", every=draw(st.integers(5, 20)))


@st.composite
def programmes(draw: st.DrawFn) -> tuple[Settings, pd.DataFrame, dt.date]:
    names = [A, B, C, E][: draw(st.integers(2, 4))]
    comms = [
        community(n, quota=draw(st.integers(3, 40)), weekly=draw(st.sampled_from([0.5, 1.0, 2.0, 3.0])))
        for n in names
    ]
    s = make_settings(
        comms,
        ranking={
            "stage_target": draw(st.sampled_from(READINGS)),
            "lagging_count": draw(st.integers(1, 2)),
            "rank_by": draw(st.sampled_from(["cumulative", "period"])),
        },
        cadence={"circular": draw(cadences()), "min_period_days": draw(st.integers(0, 15))},
    )
    rows = []
    for n in names:
        # Screenings cluster in a few busy stretches (a campaign), so communities swing between
        # ahead and behind.
        for i in range(draw(st.integers(0, 40))):
            day = START + dt.timedelta(days=draw(st.integers(0, 265)))
            rows.append({"pkey": f"{n}-{i}", "community": n, "test": draw(st.sampled_from(["nt", "serum"])),
                         "screen_date": pd.Timestamp(day), "counted": True})
    screenings = pd.DataFrame(rows, columns=["pkey", "community", "test", "screen_date", "counted"])
    as_of = START + dt.timedelta(days=draw(st.integers(20, 265)))
    return s, screenings, as_of


# --- the oracle --------------------------------------------------------------------------------------


def _expected(s: Settings, key: str, test: str, day: dt.date) -> float:
    c = s.community(key)
    days = max((day - START).days + 1, 0)
    return min(c.weekly(test) * days / 7, c.quota(test))


Dates = dict[tuple[str, str], list[pd.Timestamp]]


def _dates(screenings: pd.DataFrame) -> Dates:
    """Sorted screening dates per (community, test)."""
    return {(str(k), str(t)): sorted(g.tolist()) for (k, t), g in screenings.groupby(["community", "test"])["screen_date"]}


def _done(dates: Dates, key: str, test: str | None, day: dt.date) -> int:
    """Screenings of ``key`` (of ``test``, or both) on or before ``day``."""
    tests = ("nt", "serum") if test is None else (test,)
    return sum(bisect.bisect_right(dates.get((key, t), []), pd.Timestamp(day)) for t in tests)


def _combined_expected(s: Settings, key: str, day: dt.date) -> float:
    return sum(_expected(s, key, t, day) for t in ("nt", "serum"))


def _oracle_stage(s: Settings, screenings: Dates, key: str, first: dt.date, last: dt.date) -> tuple[bool, bool]:
    """(judged, missed) of a community's period by the reading, the on-target rule applied."""
    before = first - dt.timedelta(days=1)
    done, exp = _done(screenings, key, None, last), _combined_expected(s, key, last)
    on = done + TOL >= exp
    slipping = done - _done(screenings, key, None, before) + TOL < exp - _combined_expected(s, key, before)
    reading = s.ranking.stage_target
    if reading == "quarterly":
        inside = [d for d in EVALUATIONS if first <= d <= last]
        if not inside:
            return False, False
        q_end = inside[-1]
        q_start = max([START, *(d + dt.timedelta(days=1) for d in EVALUATIONS if d < q_end)])
        q_before = q_start - dt.timedelta(days=1)
        q_done = _done(screenings, key, None, q_end) - _done(screenings, key, None, q_before)
        q_exp = _combined_expected(s, key, q_end) - _combined_expected(s, key, q_before)
        return True, (q_done + TOL < q_exp) and not on
    raw = {
        "behind_and_slipping": slipping,  # behind: `not on` below
        "period_share": slipping,
        "cumulative_combined": True,
        "cumulative_each_test": any(
            _done(screenings, key, t, last) + TOL < _expected(s, key, t, last) for t in ("nt", "serum")
        ),
    }[reading]
    return True, raw and not on


def _check_community(rows: list[dict[str, Any]], s: Settings, screenings: Dates) -> None:
    lag_run = miss_run = 0
    for r in rows:
        first, last = r["period_start"].date(), r["period_end"].date()
        on = _done(screenings, r["community"], None, last) + TOL >= _combined_expected(s, r["community"], last)
        assert bool(r["on_target"]) == on, r
        judged, missed = _oracle_stage(s, screenings, r["community"], first, last)
        assert (bool(r["stage_judged"]), bool(r["stage_missed"])) == (judged, missed), r
        lag_run = lag_run + 1 if r["lagging"] else 0
        if judged:
            miss_run = miss_run + 1 if missed else 0
        new = [c for c in r["consequences"] if not c.endswith(CARRIED)]
        if on:  # never penalised while at or above the expected count
            assert not r["lagging"] and not r["stage_missed"] and r["commendation"] != CRITICISM and not new, r
        if r["commendation"] == PRAISE:
            assert on, r
        if r["commendation"] == CRITICISM:
            assert r["lagging"] or r["stage_missed"], r
        # never harsher than the streak allows
        assert (TALK in new) == (judged and missed and miss_run == 2), r
        assert (DISCIPLINE in new) == (judged and missed and miss_run >= 3), r
        if r["lagging"]:
            assert LAG_TEXTS[min(lag_run, len(LAG_TEXTS)) - 1] in new, r
        for n, text in enumerate(LAG_TEXTS, start=1):
            if text in new:
                assert lag_run == n or (n == len(LAG_TEXTS) and lag_run >= n), r


@hsettings(max_examples=40, deadline=None)
@given(programmes())
def test_property_consequences_follow_the_rules(case: tuple[Settings, pd.DataFrame, dt.date]) -> None:
    s, screenings, as_of = case
    circ = circulars(quotas(s), progress(screenings), s, as_of)
    spans = [span for span in circular_periods(s) if span[1] <= as_of]
    assert len(set(circ["period"])) == len(spans) if len(circ) else not spans
    dates = _dates(screenings)
    for _, block in circ.sort_values("period").groupby("community", sort=False):
        _check_community(block.to_dict("records"), s, dates)


@hsettings(max_examples=60, deadline=None)
@given(cadences(), st.integers(0, 40))
def test_property_short_first_period_is_merged(cadence: Cadence, min_days: int) -> None:
    s = make_settings(cadence={"circular": cadence, "min_period_days": min_days})
    plain = periods(cadence, START, END)
    merged = circular_periods(s)
    days = [(b - a).days + 1 for a, b in plain]
    # The same periods after the first few, which are joined into one starting at assess_from.
    k = len(plain) - len(merged) + 1
    assert merged[0] == (START, plain[k - 1][1]) and merged[1:] == plain[k:]
    cut_short = len(plain) > 1 and days[0] < days[1]
    if cut_short and min_days:
        # Long enough, joining no more periods than needed.
        assert (merged[0][1] - START).days + 1 >= min_days or len(merged) == 1
        assert k == 1 or sum(days[: k - 1]) < min_days
    else:
        assert k == 1
