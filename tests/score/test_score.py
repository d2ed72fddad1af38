"""Hand-computed scoring scenarios: periods, expected counts, ranks, lagging, streaks and their
consequences, roster timeliness, payments and the January-March subsidy; and one property test.

Expected figures are literals, with the arithmetic in a comment. assess_from = 2020-04-10, so
"days" below means days since 2020-04-10 inclusive (04-16 is day 7, 04-30 day 21, 05-15 day 36,
05-31 day 52, 07-10 day 92).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

import pandas as pd
import pytest
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from pipeline.calendar import completed_periods, periods
from pipeline.model import Scored
from pipeline.reconcile import reconcile
from pipeline.score import (
    circulars,
    expected,
    lagging_mask,
    payments,
    progress,
    score,
    standing,
    subsidy,
    timeliness,
)
from pipeline.settings import Cadence, Settings
from tests.factories import (
    A,
    B,
    C,
    D,
    E,
    community,
    log_row,
    make_settings,
    normalized,
    person,
    quotas,
    roster_row,
)

LAG1, LAG2, LAG3 = "社区相关责任人表态发言", "社区党支部书记表态发言", "取消年底评先资格"
TALK, DISCIPLINE = "办事处主要领导约谈支书", "交办事处纪工委问责"


def woman(
    n: int, where: str, nt: str | None = None, serum: str | None = None, **roster: Any
) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """Woman ``n`` on ``where``'s roster (by default one reported 2020-04-09, known at any as_of
    in the tests), with her NT / serum screening dates."""
    p = person(n)
    logs = [log_row(p, t, day) for t, day in (("nt", nt), ("serum", serum)) if day]
    return [roster_row(p, where, **{"report_date": "2020-04-09", **roster})], logs


def scored(
    women: Sequence[tuple[list[dict[str, Any]], list[dict[str, Any]]]],
    settings: Settings,
    as_of: dt.date,
    issued: dict[str, list[str]] | None = None,
) -> Scored:
    roster = [r for rs, _ in women for r in rs]
    log = [r for _, ls in women for r in ls]
    rec = reconcile(normalized(roster, log), settings, as_of)
    return score(rec.screenings, rec.submissions, quotas(settings), settings, as_of, issued)


# --- periods -------------------------------------------------------------------------------------


def test_half_month_circular_periods_start_at_assess_from() -> None:
    cad = Cadence(kind="month_days", ends=(15, 31))
    assert periods(cad, D(2020, 4, 10), D(2020, 5, 31)) == [
        (D(2020, 4, 10), D(2020, 4, 15)),
        (D(2020, 4, 16), D(2020, 4, 30)),  # "31" is the month's end: 30 in April
        (D(2020, 5, 1), D(2020, 5, 15)),
        (D(2020, 5, 16), D(2020, 5, 31)),
    ]


def test_ten_day_report_periods_month_end_and_february() -> None:
    cad = Cadence(kind="month_days", ends=(10, 20, 31))  # 旬报
    assert periods(cad, D(2020, 2, 1), D(2020, 3, 31)) == [
        (D(2020, 2, 1), D(2020, 2, 10)),
        (D(2020, 2, 11), D(2020, 2, 20)),
        (D(2020, 2, 21), D(2020, 2, 29)),  # 2020 is a leap year
        (D(2020, 3, 1), D(2020, 3, 10)),
        (D(2020, 3, 11), D(2020, 3, 20)),
        (D(2020, 3, 21), D(2020, 3, 31)),
    ]


def test_weekly_periods_ending_on_monday() -> None:
    # 2020-04-10 is a Friday: the first week is short (Fri..Mon 04-13), then Tue..Mon.
    cad = Cadence(kind="weekday", weekday=1)
    assert periods(cad, D(2020, 4, 10), D(2020, 4, 30)) == [
        (D(2020, 4, 10), D(2020, 4, 13)),
        (D(2020, 4, 14), D(2020, 4, 20)),
        (D(2020, 4, 21), D(2020, 4, 27)),
        (D(2020, 4, 28), D(2020, 4, 30)),  # cut at the end
    ]


def test_three_day_blocks() -> None:
    cad = Cadence(kind="days", every=3)
    assert periods(cad, D(2020, 4, 10), D(2020, 4, 16)) == [
        (D(2020, 4, 10), D(2020, 4, 12)),
        (D(2020, 4, 13), D(2020, 4, 15)),
        (D(2020, 4, 16), D(2020, 4, 16)),
    ]


def test_completed_circular_periods_at_as_of() -> None:
    s = make_settings()
    # 04-29: only the first half-month period (04-10..04-15) is over; 04-30 completes the second.
    assert completed_periods(s.cadence.circular, s, D(2020, 4, 29)) == [(D(2020, 4, 10), D(2020, 4, 15))]
    assert completed_periods(s.cadence.circular, s, D(2020, 4, 30))[-1] == (D(2020, 4, 16), D(2020, 4, 30))


# --- expected and standing -----------------------------------------------------------------------


def test_expected_is_weekly_times_days_over_seven_capped_at_quota() -> None:
    start = D(2020, 4, 10)
    assert float(expected(2, 72, start, D(2020, 4, 16))) == pytest.approx(2)  # 2 × 7/7
    assert float(expected(2, 72, start, D(2020, 4, 10))) == pytest.approx(2 / 7)  # 2 × 1/7
    assert float(expected(2, 3, start, D(2020, 4, 30))) == pytest.approx(3)  # 2 × 21/7 = 6, cap 3
    assert float(expected(2, 72, start, D(2020, 4, 9))) == 0  # before assess_from


def test_standing_done_rate_meets_and_tied_ranks() -> None:
    # weekly 1 per test; at 04-16 (day 7) expected = 1 × 7/7 = 1 per test, 2 combined.
    # 新民: NT+serum for one woman -> 2/2 = 1.0, meets; 新安: two NT only -> 2/2 = 1.0, misses
    # (serum 0 < 1); 新华: one NT -> 1/2 = 0.5. Ranks: 1, 1 (tie, shared), 3.
    s = make_settings()
    sc = scored(
        [
            woman(1, A, nt="2020-04-12", serum="2020-04-16"),
            woman(2, B, nt="2020-04-12"),
            woman(3, B, nt="2020-04-13"),
            woman(4, C, nt="2020-04-14"),
            woman(5, C, nt="2020-04-17"),  # after 04-16: not yet in the standing at 04-16
        ],
        s,
        D(2020, 4, 16),
    )
    st_ = sc.standing
    assert st_.loc[A, ["done_nt", "done_serum"]].tolist() == [1, 1]
    assert st_.loc[A, "expected_nt"] == pytest.approx(1)
    assert st_["rate"].tolist() == pytest.approx([1.0, 1.0, 0.5])
    assert st_["meets"].tolist() == [True, False, False]
    assert st_["rank"].tolist() == [1, 1, 3]


def test_equal_rates_tie_despite_floating_point() -> None:
    # 新民 weekly 3, 新安 weekly 1; at 04-12 (day 3) expected 新民 = 3 × 3/7 = 9/7 per test,
    # 新安 = 3/7. 新民 done 3 + 3 -> 6 / (18/7) = 7/3; 新安 done 1 + 1 -> 2 / (6/7) = 7/3: the same
    # rate, so the same rank, whatever the last bit of the division says.
    s = make_settings([community(A, quota=30, weekly=3), community(B, quota=10, weekly=1), community(C)])
    ws = [woman(i, A, nt="2020-04-11", serum="2020-04-12") for i in (1, 2, 3)]
    ws.append(woman(4, B, nt="2020-04-11", serum="2020-04-12"))
    st_ = scored(ws, s, D(2020, 4, 12)).standing
    assert st_.loc[A, "rate"] == pytest.approx(7 / 3)
    assert st_.loc[B, "rate"] == pytest.approx(7 / 3)
    assert st_["rank"].tolist() == [1, 1, 3]


# --- lagging -------------------------------------------------------------------------------------


def test_lagging_two_lowest_with_all_tied_at_the_cut() -> None:
    rate = pd.Series({A: 0.2, B: 0.5, C: 0.5, E: 0.8})
    meets = pd.Series(False, index=rate.index)
    # The two lowest: 0.2 and 0.5; 新安 and 新华 are tied at the cut: three are named.
    assert lagging_mask(rate, meets, 2).tolist() == [True, True, True, False]
    assert lagging_mask(rate, meets, 1).tolist() == [True, False, False, False]
    assert lagging_mask(rate, meets, 0).tolist() == [False] * 4


def test_community_meeting_its_target_is_never_named() -> None:
    # 新安 (1.0) is among the two lowest but met its expected count for both tests.
    rate = pd.Series({A: 0.2, B: 1.0, C: 1.5})
    meets = pd.Series({A: False, B: True, C: True})
    assert lagging_mask(rate, meets, 2).tolist() == [True, False, False]
    # Everybody meets: nobody is named.
    assert not lagging_mask(rate, pd.Series(True, index=rate.index), 2).any()


def test_no_ranking_when_nothing_is_expected() -> None:
    rate = pd.Series({A: float("nan"), B: float("nan")})
    assert not lagging_mask(rate, pd.Series(False, index=rate.index), 2).any()


# --- streaks and consequences --------------------------------------------------------------------


# The literal reading of the plan (each test's cumulative count, the first short period kept), so
# that a few screenings make long streaks; the on-target rule holds under it too.
LITERAL = {"stage_target": "cumulative_each_test"}
UNMERGED = {"min_period_days": 0}


def _streak_scenario(**overrides: Any) -> pd.DataFrame:
    return _streak_scenario_with(ranking={"lagging_count": 1}, **overrides)


def _streak_scenario_with(ranking: dict[str, Any], **overrides: Any) -> pd.DataFrame:
    # Stage target: each test's cumulative count; the first period 04-10..04-15 kept on its own.
    # weekly 0.5 per test, quota 10, one lagging community per circular (lagging_count = 1).
    # Expected per test at the ends of the four periods: 0.5 × 6/7 = 0.43 (04-15), 0.5 × 21/7 = 1.5
    # (04-30), 0.5 × 36/7 = 2.57 (05-15), 0.5 × 52/7 = 3.71 (05-31); combined twice that.
    # 新民: one woman with both tests per period -> 1, 2, 3, 4 per test: meets every time.
    # 新安: one NT on 04-10 and nothing else: never meets (serum 0); rate 1/(6/7) = 1.17, 1/3 = 0.33,
    #       1/(36/7) = 0.19, 1/(52/7) = 0.13. At 04-15 its combined count 1 >= 0.86 is on target:
    #       not a stage misser that period, whatever each test says.
    # 新华: nothing until two NTs on 05-20: rate 0, 0, 0, then 2/(52/7) = 0.27 > 新安's 0.13.
    s = make_settings(
        [community(A, weekly=0.5), community(B, weekly=0.5), community(C, weekly=0.5)],
        ranking={**LITERAL, **ranking},
        cadence=UNMERGED,
    )
    ws = [
        woman(1, A, nt="2020-04-10", serum="2020-04-10"),
        woman(2, A, nt="2020-04-16", serum="2020-04-16"),
        woman(3, A, nt="2020-05-01", serum="2020-05-01"),
        woman(4, A, nt="2020-05-16", serum="2020-05-16"),
        woman(5, B, nt="2020-04-10"),
        woman(6, C, nt="2020-05-20"),
        woman(7, C, nt="2020-05-20"),
    ]
    return scored(ws, s, D(2020, 5, 31), **overrides).circulars


def _by(circ: pd.DataFrame, key: str) -> pd.DataFrame:
    return circ[circ["community"] == key].sort_values("period").reset_index(drop=True)


def test_three_period_lagging_streak_and_its_consequences() -> None:
    circ = _streak_scenario()
    assert sorted(circ["period"].unique()) == [1, 2, 3, 4]
    lagging = {p: sorted(circ.loc[(circ["period"] == p) & circ["lagging"], "community"]) for p in (1, 2, 3, 4)}
    assert lagging == {1: [C], 2: [C], 3: [C], 4: [B]}

    c = _by(circ, C)
    assert c["lag_streak"].tolist() == [1, 2, 3, 0]
    assert c["miss_streak"].tolist() == [1, 2, 3, 4]
    assert c["consequences"].tolist() == [
        [LAG1],  # lagging once: the responsible person speaks; one miss has no consequence
        [LAG2, TALK],  # twice in a row: the secretary speaks; stage target missed twice: talk
        [LAG3, DISCIPLINE],  # three times: honours lost; missed three times: discipline committee
        [f"{LAG3}（延续）", DISCIPLINE],  # not lagging any more, but honours stay lost this year
    ]
    assert c["honours_lost"].tolist() == [False, False, True, True]

    b = _by(circ, B)
    assert b["lag_streak"].tolist() == [0, 0, 0, 1]
    assert b["on_target"].tolist() == [True, False, False, False]
    assert b["miss_streak"].tolist() == [0, 1, 2, 3]  # on target at 04-15: the run starts at 04-30
    assert b["consequences"].tolist() == [[], [], [TALK], [LAG1, DISCIPLINE]]
    assert b["commendation"].tolist() == ["通报表扬"] + ["通报批评"] * 3

    a = _by(circ, A)
    assert a["meets"].tolist() == [True] * 4
    assert a["consequences"].tolist() == [[], [], [], []]
    assert a["commendation"].tolist() == ["通报表扬"] * 4
    assert set(circ.loc[circ["community"] == C, "commendation"]) == {"通报批评"}

    # Period 4 ranks: 新民 8/(52/7) = 1.08, 新华 0.27, 新安 0.13.
    p4 = circ[circ["period"] == 4].set_index("community")
    assert [p4.loc[k, "rank"] for k in (A, C, B)] == [1, 2, 3]


def test_issued_circular_overrides_the_computed_lagging() -> None:
    # The circular issued for 04-15 named 新安 instead of 新华: the history follows the issued text.
    circ = _streak_scenario(issued={"2020-04-15": [B]})
    p1 = circ[circ["period"] == 1].set_index("community")
    assert bool(p1.loc[B, "lagging"]) and not bool(p1.loc[C, "lagging"])
    assert bool(p1.loc[C, "differs_from_issued"]) and bool(p1.loc[B, "differs_from_issued"])
    assert _by(circ, C)["lag_streak"].tolist() == [0, 1, 2, 0]


def test_stage_target_miss_streak_resets_when_met() -> None:
    # weekly 0.5: expected per test 0.43 (04-15), 1.5 (04-30), 2.57 (05-15).
    # 新民: both tests for one woman on 04-10 -> meets P1 (1 >= 0.43), misses P2 (1 < 1.5);
    # two more women with both tests on 05-01 -> 3 >= 2.57, meets P3.
    s = make_settings([community(A, weekly=0.5), community(B, weekly=0.5)], ranking=LITERAL, cadence=UNMERGED)
    ws = [
        woman(1, A, nt="2020-04-10", serum="2020-04-10"),
        woman(2, A, nt="2020-05-01", serum="2020-05-01"),
        woman(3, A, nt="2020-05-01", serum="2020-05-01"),
    ]
    a = _by(scored(ws, s, D(2020, 5, 15)).circulars, A)
    assert a["stage_met"].tolist() == [True, False, True]
    assert a["miss_streak"].tolist() == [0, 1, 0]
    assert a["commendation"].tolist() == ["通报表扬", "通报批评", "通报表扬"]


def test_circulars_direct_call_before_the_first_period_ends() -> None:
    s = make_settings()
    assert circulars(quotas(s), progress(_empty_screenings()), s, D(2020, 4, 14)).empty


def _empty_screenings() -> pd.DataFrame:
    return reconcile(normalized(), make_settings(), D(2020, 4, 14)).screenings


# --- roster timeliness ---------------------------------------------------------------------------


def _submission(where: str, day: str) -> dict[str, Any]:
    return {"src_file": f"{where}{day}.xlsx", "src_sheet": "Sheet1", "community": where,
            "report_date": pd.Timestamp(day), "rows": 1}


def test_roster_timeliness_on_time_late_and_missing() -> None:
    # as_of 05-10: due dates 04-18 (first), 04-28, 05-08.
    subs = pd.DataFrame(
        [
            _submission(A, "2020-04-17"),  # 新民: every due met, 04-28 on the day itself
            _submission(A, "2020-04-28"),
            _submission(A, "2020-05-06"),
            _submission(B, "2020-04-20"),  # 新安: 04-18 two days late; 04-28 never sent;
            _submission(B, "2020-05-09"),  #       05-08 one day late
            _submission(C, "2020-05-12"),  # 新华: nothing by 05-10 (this one is after as_of)
        ]
    )
    table = timeliness(subs, make_settings(), D(2020, 5, 10))
    got = {(r["community"], r["due"].strftime("%m-%d")): (r["status"], r["days_late"]) for r in table.to_dict("records")}
    na = None
    assert got == {
        (A, "04-18"): ("按时", na),
        (A, "04-28"): ("按时", na),
        (A, "05-08"): ("按时", na),
        (B, "04-18"): ("迟报", 2),
        (B, "04-28"): ("未报", na),  # the 04-20 roster was the late 04-18 one, not also the 04-28 update
        (B, "05-08"): ("迟报", 1),
        (C, "04-18"): ("未报", na),
        (C, "04-28"): ("未报", na),
        (C, "05-08"): ("未报", na),
    }


def test_roster_timeliness_extra_submission_serves_the_next_due() -> None:
    # 新民 sends 04-17 (on time for 04-18) and 04-20 (early for 04-28): both on time.
    subs = pd.DataFrame([_submission(A, "2020-04-17"), _submission(A, "2020-04-20")])
    table = timeliness(subs, make_settings(), D(2020, 4, 30))
    a = table[table["community"] == A]
    assert a["status"].tolist() == ["按时", "按时"]
    assert a["submitted"].tolist() == [pd.Timestamp("2020-04-17"), pd.Timestamp("2020-04-20")]


def test_no_roster_is_owed_before_the_first_due_date() -> None:
    # as_of 04-15: the first roster is due 04-18, so nobody is late or missing yet.
    table = timeliness(pd.DataFrame([_submission(A, "2020-04-12")]), make_settings(), D(2020, 4, 15))
    assert table.empty
    # On 04-18 itself the due date has come: 新民 is on time, the others have not sent theirs.
    table = timeliness(pd.DataFrame([_submission(A, "2020-04-12")]), make_settings(), D(2020, 4, 18))
    assert table["status"].tolist() == ["按时", "未报", "未报"]


def test_roster_timeliness_through_score() -> None:
    # A 04-18 roster from 新民 only, as of 04-20: 新民 on time, the others missing.
    sc = scored([woman(1, A, report_date="2020-04-18")], make_settings(), D(2020, 4, 20))
    assert sc.timeliness.set_index("community")["status"].to_dict() == {A: "按时", B: "未报", C: "未报"}
    assert sc.timeliness_summary.set_index("community").loc[A, "on_time"] == 1


# --- quarterly payments and year end --------------------------------------------------------------


def _payment_women() -> list[tuple[list[dict[str, Any]], list[dict[str, Any]]]]:
    return [
        woman(1, A, nt="2020-04-20", serum="2020-05-20"),  # both done 05-20 (1st evaluation)
        woman(2, A, nt="2020-05-01", serum="2020-06-10"),  # both done 06-10 (1st)
        woman(3, A, nt="2020-06-15", serum="2020-08-01"),  # NT in the 1st, serum in the 2nd
        woman(4, A, nt="2020-07-01", serum="2020-07-10"),  # both done on 07-10 itself (1st)
        woman(5, B, nt="2020-04-20", serum="2020-05-20"),  # 新安 has one woman by 07-10
        woman(6, B, nt="2020-10-01", serum="2020-11-01"),  # ... and a second by 12-26
    ]  # 新华: nobody


YEAR_END = D(2020, 12, 31)


def _payments(case: str, as_of: dt.date = YEAR_END) -> pd.DataFrame:
    # quota 2 per test, weekly 1: expected at every evaluation = min(1 × days/7, 2) = 2
    # (07-10 is day 92: 92/7 = 13.1, capped at 2).
    s = make_settings([community(A, quota=2), community(B, quota=2), community(C, quota=2)],
                      rewards={"case": case})
    sc = scored(_payment_women(), s, as_of)
    return sc.payments.set_index(["kind", "community"])


def test_quarterly_payments_case_both() -> None:
    pay = _payments("both")
    q1, q2, q3, year = "第1次季度评比", "第2次季度评比", "第3次季度评比", "年终考核"
    # 1st (04-10..07-10): 新民 done NT 4, serum 3 >= 2: met; women with both tests: 1, 2, 4 -> 3 × 100.
    assert pay.loc[(q1, A), ["met", "cases", "case_amount", "specialist"]].tolist() == [True, 3, 300, 300]
    # 新安 done 1 + 1 < 2: not met, nothing paid (its one case is shown but not paid).
    assert pay.loc[(q1, B), ["met", "cases", "case_amount", "specialist"]].tolist() == [False, 1, 0, 0]
    # 2nd (07-11..10-10): 新民 woman 3 completes on 08-01 -> 1 × 100 + 300; 新安 NT 2, serum 1: not met.
    assert pay.loc[(q2, A), ["met", "cases", "case_amount", "specialist"]].tolist() == [True, 1, 100, 300]
    assert pay.loc[(q2, B), ["met", "cases", "case_amount"]].tolist() == [False, 0, 0]
    # 3rd (10-11..12-26): 新民 met, no new case -> 0 + 300; 新安 now 2 + 2: met, woman 6 on 11-01 -> 100 + 300.
    assert pay.loc[(q3, A), ["met", "cases", "case_amount", "specialist"]].tolist() == [True, 0, 0, 300]
    assert pay.loc[(q3, B), ["met", "cases", "case_amount", "specialist"]].tolist() == [True, 1, 100, 300]
    assert pay.loc[(q3, C), ["met", "case_amount", "specialist"]].tolist() == [False, 0, 0]
    # Year end: 新民 (4, 4) and 新安 (2, 2) reached the quota of 2 -> 3000; 新华 (0, 0) fined 2000.
    assert pay.loc[(year, A), ["met", "secretary_reward", "fine"]].tolist() == [True, 3000, 0]
    assert pay.loc[(year, B), ["met", "secretary_reward", "fine"]].tolist() == [True, 3000, 0]
    assert pay.loc[(year, C), ["met", "secretary_reward", "fine"]].tolist() == [False, 0, 2000]


def test_quarterly_payments_case_each() -> None:
    pay = _payments("each")
    q1, q2, q3 = "第1次季度评比", "第2次季度评比", "第3次季度评比"
    # 1st: 新民's screenings dated 04-10..07-10: NT 1-4 and serum 1, 2, 4 = 7 -> 700.
    assert pay.loc[(q1, A), ["cases", "case_amount", "specialist"]].tolist() == [7, 700, 300]
    # 2nd: serum of woman 3 on 08-01 -> 1 -> 100.
    assert pay.loc[(q2, A), ["cases", "case_amount"]].tolist() == [1, 100]
    # 新安: its 10-01 NT falls in the 2nd evaluation, when it had not met: unpaid; the 11-01 serum
    # falls in the 3rd, met -> 1 × 100.
    assert pay.loc[(q2, B), ["cases", "case_amount"]].tolist() == [1, 0]
    assert pay.loc[(q3, B), ["cases", "case_amount", "specialist"]].tolist() == [1, 100, 300]


def test_payments_only_for_evaluations_reached() -> None:
    pay = _payments("both", as_of=D(2020, 7, 10))
    assert sorted(pay.index.get_level_values("kind").unique()) == ["第1次季度评比"]
    assert _payments("both", as_of=D(2020, 7, 9)).empty


def test_payments_direct_call_year_end_reward_each() -> None:
    s = make_settings([community(A, quota=1), community(B, quota=1)],
                      rewards={"year_end_reward_split": "each", "evaluations": ()})
    rec = reconcile(normalized(*_flat([woman(1, A, nt="2020-05-01", serum="2020-06-01")])), s, D(2020, 12, 31))
    pay = payments(quotas(s), progress(rec.screenings), rec.screenings, s, D(2020, 12, 31)).set_index("community")
    assert pay.loc[A, "secretary_reward"] == 6000  # 3000 each to the secretary and the specialist
    assert pay.loc[B, "fine"] == 2000


def test_money_switched_off_pays_and_fines_nothing() -> None:
    # The same women as _payments: with quarterly and year-end money switched off there is no row
    # at all (not rows of zero); with only the year end on, only its rows, worded without the part
    # that is 0 (no reward: "完成年度任务"; fine 500: 罚社区500元).
    women = _payment_women()
    s = make_settings([community(A, quota=2), community(B, quota=2), community(C, quota=2)],
                      rewards={"quarterly": False, "year_end_money": False})
    assert scored(women, s, D(2020, 12, 31)).payments.empty
    s = make_settings([community(A, quota=2), community(B, quota=2), community(C, quota=2)],
                      rewards={"quarterly": False, "year_end_reward": 0.0, "year_end_fine": 500.0})
    pay = scored(women, s, D(2020, 12, 31)).payments.set_index("community")
    assert set(pay["kind"]) == {"年终考核"}
    assert pay.loc[A, ["secretary_reward", "fine", "rule"]].tolist() == [0, 0, "完成年度任务"]
    assert pay.loc[C, ["fine", "rule"]].tolist() == [500, "未完成年度任务，罚社区500元（从经费中扣除）"]


def test_sanctions_and_commendations_switched_off() -> None:
    # No lasting last measure: 新华 lags in periods 1-3, then not: nothing carried into period 4.
    circ = _streak_scenario_with(ranking={"lagging_count": 1, "last_text_lasts": False})
    assert _by(circ, C)["consequences"].tolist() == [[LAG1], [LAG2, TALK], [LAG3, DISCIPLINE], [DISCIPLINE]]
    # No measures, no praise or criticism by name: streaks still counted, nothing said.
    circ = _streak_scenario_with(ranking={"lagging_count": 1, "lagging_texts": (), "stage_miss_texts": {},
                                          "praise_text": "", "criticism_text": ""})
    assert _by(circ, C)["lag_streak"].tolist() == [1, 2, 3, 0]
    assert circ["consequences"].map(len).sum() == 0
    assert (circ["commendation"] == "").all()  # said by nobody (summary.json: null)


def _flat(women: Sequence[tuple[list[dict[str, Any]], list[dict[str, Any]]]]) -> tuple[list, list]:
    return [r for rs, _ in women for r in rs], [r for _, ls in women for r in ls]


# --- January-March subsidy -------------------------------------------------------------------------


def _subsidy(case: str, **programme: Any) -> pd.DataFrame:
    s = make_settings(programme={"subsidy_case": case, **programme})
    roster, log = _flat(
        [
            woman(1, A, nt="2020-03-01", serum="2020-03-20"),  # both tests in the window
            woman(2, A, nt="2020-02-01"),  # NT only
            woman(3, B, nt="2020-04-09", serum="2020-04-10"),  # NT on the window's last day; serum counted
        ]
    )
    log.append(log_row(person(4), "nt", "2020-03-05"))  # on no roster, no address: no community
    rec = reconcile(normalized(roster, log), s, D(2020, 5, 1))
    return subsidy(rec.screenings, s)


def test_subsidy_each_screening() -> None:
    # 孕妇01 NT + serum, 孕妇02 NT, 孕妇03 NT: 4 × 100 = 400; 孕妇04 has no community.
    sub = _subsidy("each")
    assert sorted(zip(sub["name"], sub["test"], strict=True)) == [
        ("孕妇01", "nt"), ("孕妇01", "serum"), ("孕妇02", "nt"), ("孕妇03", "nt"),
    ]
    assert sub["amount"].sum() == 400


def test_subsidy_per_woman_with_both_tests() -> None:
    # Only 孕妇01 has both tests inside 01-01..04-09: 1 × 100.
    sub = _subsidy("both")
    assert sub["amount"].sum() == 100
    paid = sub[sub["amount"] > 0]
    assert paid["name"].tolist() == ["孕妇01"]


def test_no_subsidy_when_the_plan_has_none() -> None:
    # The same screenings, subsidy = false: none is listed (and none counts: they precede count_from).
    assert _subsidy("each", subsidy=False).empty


# --- property: per-community done counts add up ----------------------------------------------------

ADDRESSES = ["新华社区3组", "新华路128号", None, "新民居委会"]
RESOLVES = {"新华社区3组": True, "新华路128号": False, None: False, "新民居委会": True}
COUNT_FROM = pd.Timestamp("2020-04-10")


@st.composite
def small_programme(draw: st.DrawFn) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dt.date, dict]:
    n = draw(st.integers(1, 10))
    roster: list[dict[str, Any]] = []
    log: list[dict[str, Any]] = []
    model: dict[str, Any] = {"on_roster": set(), "address": {}, "dates": {}}
    as_of = D(2020, 4, 10) + dt.timedelta(days=draw(st.integers(0, 60)))
    for i in range(n):
        has_id = draw(st.booleans())
        p = person(i, with_id=has_id)
        listed = draw(st.lists(st.sampled_from([A, B, C]), max_size=2, unique=True))  # 2 = a conflict
        for where in listed:
            roster.append(roster_row(p, where, "2020-04-09", lmp="2020-01-15"))
        if listed:
            model["on_roster"].add(i)
        address = draw(st.sampled_from(ADDRESSES))
        model["address"][i] = address
        for _ in range(draw(st.integers(0, 3))):
            test = draw(st.sampled_from(["nt", "serum"]))
            day = D(2020, 4, 10) + dt.timedelta(days=draw(st.integers(-30, 70)))
            drop_id = draw(st.booleans())  # a log row without the ID is matched by name + phone
            who = {**p, "id": None} if drop_id else p
            log.append(log_row(who, test, day, address=address))
            model["dates"].setdefault((i, test), []).append(pd.Timestamp(day))
    return roster, log, as_of, model


@hsettings(max_examples=50, deadline=None)
@given(small_programme())
def test_property_community_done_adds_up_to_the_total(case: tuple) -> None:
    roster, log, as_of, model = case
    s = make_settings()
    rec = reconcile(normalized(roster, log), s, as_of)
    st_ = standing(quotas(s), progress(rec.screenings), s, as_of)
    day = pd.Timestamp(as_of)
    for test in ("nt", "serum"):
        known = {i: [d for d in ds if d <= day] for (i, t), ds in model["dates"].items() if t == test}
        screened = {i for i, ds in known.items() if ds}
        # Counted: first date on/after count_from, and the woman is on a roster or her address
        # names a community.
        total = sum(
            1
            for i in screened
            if min(known[i]) >= COUNT_FROM and (i in model["on_roster"] or RESOLVES[model["address"][i]])
        )
        per_community = st_[f"done_{test}"]
        assert per_community.sum() == total
        assert per_community.sum() <= len(screened)
        assert (per_community >= 0).all()


def test_a_task_is_met_only_when_both_tests_are() -> None:
    """Year end and quarterly evaluations alike: the task is each test's count, so one test at its
    quota and the other below is not met (no reward, the year-end fine)."""
    women = [
        woman(1, A, nt="2020-04-20", serum="2020-05-20"),
        woman(2, A, nt="2020-05-01", serum="2020-06-10"),  # 新民: NT 2, serum 2 of 2
        woman(3, B, nt="2020-04-20", serum="2020-05-20"),
        woman(4, B, nt="2020-05-01"),  # 新安: NT 2 of 2, serum 1 of 2
    ]
    for basis in ("standing", "quarter"):
        s = make_settings([community(A, quota=2), community(B, quota=2)],
                          rewards={"evaluation_basis": basis})
        pay = scored(women, s, YEAR_END).payments.set_index(["kind", "community"])
        assert pay.loc[("年终考核", A), ["met", "secretary_reward", "fine"]].tolist() == [True, 3000, 0]
        assert pay.loc[("年终考核", B), ["met", "secretary_reward", "fine"]].tolist() == [False, 0, 2000]
        # 1st evaluation (07-10): expected min(1 × 92/7, 2) = 2 per test: 新民 met, 新安 (serum 1) not.
        assert pay.loc[("第1次季度评比", A), "met"] and not pay.loc[("第1次季度评比", B), "met"], basis
