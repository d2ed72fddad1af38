"""The readings of the plan an office can stand behind: the stage target (``ranking.stage_target``),
praise and criticism, the merged short first period (``cadence.min_period_days``), the quarterly
stage and the quarterly evaluation's basis (``rewards.evaluation_basis``).

Hand-computed scenarios; expected figures are literals with the arithmetic in a comment.
assess_from = 2020-04-10; with the half-month cadence the first period 04-10..04-15 (6 days) is
merged into 04-16..04-30, so period 1 is 04-10..04-30 (21 days), period 2 05-01..05-15 (day 36).
"""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest

from pipeline.calendar import (
    circular_periods,
    completed_circular_periods,
    completed_periods,
    periods,
    quarters,
)
from pipeline.score import CARRIED
from pipeline.settings import Cadence, Settings
from tests.factories import A, B, C, D, community, make_settings
from tests.score.test_score import scored, woman

TALK, DISCIPLINE = "办事处主要领导约谈支书", "交办事处纪工委问责"
PRAISE, CRITICISM = "通报表扬", "通报批评"
READINGS = ["behind_and_slipping", "period_share", "cumulative_combined", "cumulative_each_test", "quarterly"]


# --- the short first period ------------------------------------------------------------------------


def _first(cadence: Cadence, min_days: int = 10) -> tuple[dt.date, dt.date]:
    s = make_settings(cadence={"circular": cadence, "min_period_days": min_days})
    return circular_periods(s)[0]


def test_short_first_period_is_merged_for_every_kind_of_cadence() -> None:
    # Half-month: 04-10..04-15 is 6 days < 10: merged with 04-16..04-30.
    assert _first(Cadence(kind="month_days", ends=(15, 31))) == (D(2020, 4, 10), D(2020, 4, 30))
    # 旬报 (10th, 20th, month end): 04-10..04-10 is a single day: merged with 04-11..04-20.
    assert _first(Cadence(kind="month_days", ends=(10, 20, 31))) == (D(2020, 4, 10), D(2020, 4, 20))
    # Weekly to a Monday: 04-10 (Fri)..04-13 (Mon) is 4 days: merged with 04-14..04-20.
    assert _first(Cadence(kind="weekday", weekday=1)) == (D(2020, 4, 10), D(2020, 4, 20))
    # A first period as long as the next (a full week; blocks of 7 days) is not short for its cadence.
    assert _first(Cadence(kind="days", every=7)) == (D(2020, 4, 10), D(2020, 4, 16))
    assert _first(Cadence(kind="weekday", weekday=4)) == (D(2020, 4, 10), D(2020, 4, 16))  # Fri..Thu
    # Merged until it is no longer short: half-month with 25 days: 6 + 15 = 21 < 25, + 15 = 36.
    assert _first(Cadence(kind="month_days", ends=(15, 31)), 25) == (D(2020, 4, 10), D(2020, 5, 15))
    # 0 keeps the short first period.
    assert _first(Cadence(kind="month_days", ends=(15, 31)), 0) == (D(2020, 4, 10), D(2020, 4, 15))


def test_only_the_circular_is_merged() -> None:
    s = make_settings(cadence={"ranking": Cadence(kind="weekday", weekday=1)})
    # The weekly ranking keeps its 4-day first week (information, no streaks hang on it).
    assert completed_periods(s.cadence.ranking, s, D(2020, 4, 20))[0] == (D(2020, 4, 10), D(2020, 4, 13))
    # Before 04-30 no circular period has ended; the merged periods cover the programme without gaps.
    assert completed_circular_periods(s, D(2020, 4, 29)) == []
    spans = circular_periods(s)
    assert spans[0][0] == s.programme.assess_from and spans[-1][1] == s.programme.end
    assert all(b + dt.timedelta(days=1) == a for (_, b), (a, _) in zip(spans, spans[1:], strict=False))
    assert spans[1:] == periods(s.cadence.circular, s.programme.assess_from, s.programme.end)[2:]


def test_a_short_first_period_no_longer_starts_a_streak() -> None:
    # weekly 1, lagging_count 1: 新安 screens nobody until 04-20. With the first period kept alone
    # (04-10..04-15) it would be lagging twice in a row by 04-30; merged, it is lagging once.
    ws = [woman(1, A, nt="2020-04-10", serum="2020-04-10"), woman(2, B, nt="2020-04-20")]
    merged = scored(ws, make_settings([community(A), community(B)], ranking={"lagging_count": 1}), D(2020, 4, 30))
    kept = scored(
        ws,
        make_settings([community(A), community(B)], ranking={"lagging_count": 1}, cadence={"min_period_days": 0}),
        D(2020, 4, 30),
    )
    assert merged.circulars["period"].max() == 1 and kept.circulars["period"].max() == 2
    b_kept = kept.circulars[kept.circulars["community"] == B]
    assert b_kept["lag_streak"].tolist() == [1, 2]
    b_merged = merged.circulars[merged.circulars["community"] == B]
    assert b_merged["lag_streak"].tolist() == [1]


# --- the stage target readings ----------------------------------------------------------------------


def _readings_scenario(reading: str) -> pd.DataFrame:
    """Three communities, quota 100 and weekly 1 per test; lagging_count 1. As of 05-15.

    Period 1 (04-10..04-30, 21 days): expected 3 per test, 6 combined.
      新民 A: 4 NT + 3 serum (04-20) = 7 >= 6: on target (each test too).
      新安 B: 6 NT (04-20) = 6 >= 6: on target combined; serum 0 < 3 (each test: short).
      新华 C: 1 NT + 1 serum (04-20) = 2 < 6: behind, and 2 < 6 this period: slipping.
    Period 2 (05-01..05-15, day 36): expected 36/7 = 5.14 per test, 10.29 combined; this period 4.29.
      新民: 7 < 10.29 behind; 0 this period < 4.29: slipping. Rate 7/10.29 = 0.68 (lowest: lagging).
      新安: + 4 serum (05-10) = 10 < 10.29 behind; 4 < 4.29 slipping. NT 6 >= 5.14, serum 4 < 5.14.
      新华: + 3 women with both tests (05-10) = 8 < 10.29 behind; 6 >= 4.29 this period: catching up.
    """
    s = make_settings(
        [community(A, quota=100), community(B, quota=100), community(C, quota=100)],
        ranking={"lagging_count": 1, "stage_target": reading},
    )
    ws = [woman(n, A, nt="2020-04-20", serum="2020-04-20" if n <= 3 else None) for n in range(1, 5)]
    ws += [woman(n, B, nt="2020-04-20", serum="2020-05-10" if n <= 14 else None) for n in range(11, 17)]
    ws += [woman(21, C, nt="2020-04-20", serum="2020-04-20")]
    ws += [woman(n, C, nt="2020-05-10", serum="2020-05-10") for n in (22, 23, 24)]
    return scored(ws, s, D(2020, 5, 15)).circulars


def _missers(circ: pd.DataFrame) -> dict[int, list[str]]:
    return {p: sorted(circ.loc[(circ["period"] == p) & circ["stage_missed"], "community"]) for p in (1, 2)}


@pytest.mark.parametrize(
    ("reading", "missers"),
    [
        ("behind_and_slipping", {1: [C], 2: [B, A]}),
        # Below this period's share; at or above the expected count overrides, so it is the same
        # as behind_and_slipping (a community on target is never a stage misser).
        ("period_share", {1: [C], 2: [B, A]}),
        ("cumulative_combined", {1: [C], 2: [B, A, C]}),
        # 新安 is short of serum at 04-30 but on target combined: not a stage misser.
        ("cumulative_each_test", {1: [C], 2: [B, A, C]}),
    ],
)
def test_stage_missers_by_reading(reading: str, missers: dict[int, list[str]]) -> None:
    circ = _readings_scenario(reading)
    assert _missers(circ) == {p: sorted(v) for p, v in missers.items()}
    p1 = circ[circ["period"] == 1].set_index("community")
    assert p1["on_target"].tolist() == [True, True, False] and p1["rank"].tolist() == [1, 2, 3]
    assert bool(p1.loc[B, "meets"]) is False  # each test: serum 0 < 3


def test_praise_criticism_and_neither_follow_the_reading() -> None:
    circ = _readings_scenario("behind_and_slipping")
    commendation = {(r["period"], r["community"]): r["commendation"] for r in circ.to_dict("records")}
    assert commendation == {
        (1, A): PRAISE, (1, B): PRAISE,  # at or above the expected count
        (1, C): CRITICISM,  # lagging (lowest) and behind and slipping
        (2, A): CRITICISM,  # lagging and behind and slipping
        (2, B): CRITICISM,  # behind and slipping
        (2, C): "",  # behind but catching up, not lagging: neither praised nor criticised
    }
    lagging = sorted(circ.loc[circ["lagging"], ["period", "community"]].itertuples(index=False, name=None))
    assert lagging == [(1, C), (2, A)]
    # 新华: missed once then caught up; 新民 and 新安 missed once: no talk for anybody.
    assert not any(TALK in c for c in circ["consequences"])
    # Under cumulative_combined 新华 misses twice in a row: the principal leader's talk.
    combined = _readings_scenario("cumulative_combined")
    c2 = combined[(combined["period"] == 2) & (combined["community"] == C)].iloc[0]
    assert int(c2["miss_streak"]) == 2 and c2["consequences"] == [TALK] and c2["commendation"] == CRITICISM


def _quarterly(as_of: dt.date) -> pd.DataFrame:
    """Quota 100, weekly 1 per test; the first quarter 04-10..07-10 is 92 days: expected 92/7 =
    13.14 per test, 26.29 combined; at the period end 07-15 (day 97) 27.71 combined.
      新民 A: 13 women with both tests by 06-20 = 26 < 26.29: quarter missed; 26 < 27.71 at 07-15.
      新安 B: 14 women = 28 >= 26.29: quarter met.
      新华 C: 13 women by 06-20 (26, quarter missed) and one more on 07-12: 28 >= 27.71 at 07-15:
              on target at the period end, so not a stage misser.
    The second quarter 07-11..10-10 (92 days) also expects 26.29 combined: nobody screens then."""
    s = make_settings(
        [community(A, quota=100), community(B, quota=100), community(C, quota=100)],
        ranking={"stage_target": "quarterly", "lagging_count": 1},
    )
    ws = [woman(n, A, nt="2020-06-20", serum="2020-06-20") for n in range(1, 14)]
    ws += [woman(n, B, nt="2020-06-20", serum="2020-06-20") for n in range(21, 35)]
    ws += [woman(n, C, nt="2020-06-20", serum="2020-06-20") for n in range(41, 54)]
    ws += [woman(60, C, nt="2020-07-12", serum="2020-07-12")]
    return scored(ws, s, as_of).circulars


def test_quarterly_stage_is_judged_in_the_period_holding_the_evaluation_date() -> None:
    s = make_settings()
    assert quarters(s) == [
        (D(2020, 4, 10), D(2020, 7, 10)), (D(2020, 7, 11), D(2020, 10, 10)), (D(2020, 10, 11), D(2020, 12, 26)),
    ]
    circ = _quarterly(D(2020, 7, 15))
    # Periods: 04-10..04-30, 05-01..15, 05-16..31, 06-01..15, 06-16..30, 07-01..15 (holds 07-10).
    judged = sorted(set(circ.loc[circ["stage_judged"], "period"]))
    assert judged == [6]
    p6 = circ[circ["period"] == 6].set_index("community")
    assert p6["stage_missed"].to_dict() == {A: True, B: False, C: False}
    assert bool(p6.loc[C, "on_target"])
    assert not circ.loc[circ["period"] < 6, "stage_missed"].any()


def test_quarterly_streak_counts_quarters_not_periods() -> None:
    circ = _quarterly(D(2020, 10, 15))
    a = circ[circ["community"] == A].sort_values("period").set_index("period")
    # Judged at 07-10 (period 6) and 10-10 (period 12, 10-01..10-15); missed both: two in a row.
    assert a.loc[a["stage_judged"]].index.tolist() == [6, 12]
    assert a.loc[[6, 12], "miss_streak"].tolist() == [1, 2]
    assert TALK in a.loc[12, "consequences"]
    # The periods in between neither extend nor break the run, and carry no stage consequence.
    between = a.loc[7:11]
    assert (between["miss_streak"] == 0).all()
    assert not any(TALK in c or DISCIPLINE in c for c in between["consequences"])


@pytest.mark.parametrize("reading", READINGS)
def test_a_community_on_target_is_never_penalised_under_any_reading(reading: str) -> None:
    circ = _readings_scenario(reading) if reading != "quarterly" else _quarterly(D(2020, 10, 15))
    on = circ[circ["on_target"]]
    assert len(on)
    assert not on["lagging"].any() and not on["stage_missed"].any()
    assert set(on["commendation"]) == {PRAISE}
    # No consequence for the period; honours lost earlier stay lost (a record, marked （延续）).
    assert all(all(x.endswith(CARRIED) for x in c) for c in on["consequences"])


# --- the quarterly evaluation's basis ---------------------------------------------------------------


def _evaluation(basis: str) -> pd.DataFrame:
    """Weekly 1 per test, quota 100. The 2nd evaluation (10-10, day 184): cumulative expected
    184/7 = 26.29 per test; the quarter 07-11..10-10 expects 92/7 = 13.14 per test.
      新民 A: 20 women with both tests in Q1, 8 in Q2: cumulative 28 >= 26.29 (standing: met),
              quarter 8 < 13.14 (quarter: not met).
      新安 B: 5 in Q1, 14 in Q2: cumulative 19 < 26.29 (standing: not met), quarter 14 >= 13.14 (met).
    Cases paid at 10-10: women with both tests completed 07-11..10-10: 8 (新民), 14 (新安)."""
    s = make_settings([community(A, quota=100), community(B, quota=100)], rewards={"evaluation_basis": basis})
    ws = [woman(n, A, nt="2020-06-01", serum="2020-06-01") for n in range(1, 21)]
    ws += [woman(n, A, nt="2020-09-01", serum="2020-09-01") for n in range(21, 29)]
    ws += [woman(n, B, nt="2020-06-01", serum="2020-06-01") for n in range(31, 36)]
    ws += [woman(n, B, nt="2020-09-01", serum="2020-09-01") for n in range(41, 55)]
    pay = scored(ws, s, D(2020, 10, 10)).payments
    return pay[pay["kind"] == "第2次季度评比"].set_index("community")


def test_evaluation_reads_the_standing_or_the_quarter() -> None:
    standing = _evaluation("standing")
    assert standing["met"].to_dict() == {A: True, B: False}
    assert standing["case_amount"].to_dict() == {A: 800.0, B: 0.0}  # 8 cases × 100 yuan
    assert "两项均达到应完成进度" in standing.at[A, "rule"]
    quarter = _evaluation("quarter")
    assert quarter["met"].to_dict() == {A: False, B: True}
    assert quarter["case_amount"].to_dict() == {A: 0.0, B: 1400.0}  # 14 cases × 100 yuan
    assert quarter.at[B, "specialist"] == 300
    assert "本季度" in quarter.at[A, "rule"] and "本季度" in quarter.at[B, "rule"]


def test_settings_name_the_readings(settings: Settings) -> None:
    assert settings.ranking.stage_target == "behind_and_slipping"
    assert settings.rewards.evaluation_basis == "standing"
    assert settings.cadence.min_period_days == 10
