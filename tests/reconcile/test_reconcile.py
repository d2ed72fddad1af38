"""Hand-computed reconciliation scenarios: identity, windows, attribution, dates, follow-up.

Every expected figure is written as a literal, with the arithmetic in a comment. Settings come
from config.toml with three small communities (tests/factories.py): 新民 / 新安 / 新华, quota 10
and weekly 1 per test; NT window 11+0..13+6 = days 77..97 after LMP, serum 15+0..20+6 = 105..146;
count_from = assess_from = 2020-04-10; subsidy window 2020-01-01..2020-04-09.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

import pandas as pd
import pytest

from pipeline.model import Reconciled
from pipeline.reconcile import reconcile
from pipeline.score import progress, standing
from tests.factories import (
    A,
    B,
    C,
    D,
    community,
    lmp_for,
    log_row,
    make_id,
    make_settings,
    normalized,
    person,
    quotas,
    register_row,
    roster_row,
    ts,
)

AS_OF = D(2020, 5, 20)
Rows = Iterable[Mapping[str, Any]]


def run(
    roster: Rows = (), log: Rows = (), register: Rows = (), as_of: dt.date = AS_OF, **overrides: Any
) -> Reconciled:
    return reconcile(normalized(roster, log, register), make_settings(**overrides), as_of)


def screening(rec: Reconciled, name: str, test: str) -> pd.Series:
    rows = rec.screenings[(rec.screenings["name"] == name) & (rec.screenings["test"] == test)]
    assert len(rows) == 1, rows
    return rows.iloc[0]


def done(rec: Reconciled, as_of: dt.date = AS_OF, **overrides: Any) -> dict[str, tuple[int, int]]:
    """(done NT, done serum) per community name at as_of."""
    s = make_settings(**overrides)
    st = standing(quotas(s), progress(rec.screenings), s, as_of)
    return {str(k): (int(r["done_nt"]), int(r["done_serum"])) for k, r in st.iterrows()}


# --- gestational windows -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("test", "ga", "in_window", "flag"),
    [
        ("nt", 76, False, "早于窗口期"),  # 10+6
        ("nt", 77, True, ""),  # 11+0, first day
        ("nt", 97, True, ""),  # 13+6, last day
        ("nt", 98, False, "晚于窗口期"),  # 14+0
        ("serum", 104, False, "早于窗口期"),  # 14+6
        ("serum", 105, True, ""),  # 15+0
        ("serum", 146, True, ""),  # 20+6
        ("serum", 147, False, "晚于窗口期"),  # 21+0
    ],
)
def test_window_edges(test: str, ga: int, in_window: bool, flag: str) -> None:
    w = person(1)
    on = D(2020, 5, 4)
    rec = run([roster_row(w, A, lmp=lmp_for(ga, on))], [log_row(w, test, on)])
    s = screening(rec, "孕妇01", test)
    assert s["ga_days"] == ga
    assert bool(s["in_window"]) is in_window
    assert s["window_flag"] == flag
    # Outside the window is flagged, never dropped: it still counts for 新民.
    assert bool(s["counted"]) is True
    assert done(rec)[A] == ((1, 0) if test == "nt" else (0, 1))


def test_lmp_from_edd_only() -> None:
    # EDD 2020-10-20 - 280 days = 2020-01-14 (Naegele); NT on 2020-04-10: 17 (rest of Jan) + 29
    # (Feb 2020) + 31 (Mar) + 10 = 87 days = 12+3, in the window.
    w = person(1)
    rec = run([roster_row(w, A, edd="2020-10-20")], [log_row(w, "nt", "2020-04-10")])
    woman = rec.women.iloc[0]
    assert woman["lmp_used"] == ts("2020-01-14")
    assert woman["lmp_source"] == "预产期推算"
    s = screening(rec, "孕妇01", "nt")
    assert s["ga_days"] == 87
    assert bool(s["in_window"]) is True


def test_lmp_from_gestational_weeks_only() -> None:
    # Registered 2020-03-01 at 8+0 weeks (56 days): LMP = 2020-03-01 - 56 = 2020-01-05.
    # NT on 2020-04-01: 26 + 29 + 31 + 1 = 87 days.
    w = person(1)
    rec = run([roster_row(w, A, reg_date="2020-03-01", gest_days=56)], [log_row(w, "nt", "2020-04-01")])
    woman = rec.women.iloc[0]
    assert woman["lmp_used"] == ts("2020-01-05")
    assert woman["lmp_source"] == "孕周推算"
    assert screening(rec, "孕妇01", "nt")["ga_days"] == 87


def test_reported_lmp_wins_over_edd_and_weeks() -> None:
    w = person(1)
    rec = run([roster_row(w, A, lmp="2020-01-01", edd="2020-10-20", reg_date="2020-03-01", gest_days=56)])
    assert rec.women.iloc[0]["lmp_used"] == ts("2020-01-01")
    assert rec.women.iloc[0]["lmp_source"] == "末次月经"


def test_log_gestation_used_when_roster_has_no_dates() -> None:
    # Not on any roster (address names 新华社区): GA from the log's own 孕周 column, 12+0 = 84.
    w = person(1)
    rec = run(log=[log_row(w, "nt", "2020-04-20", gest_days=84, address="新华社区3组")])
    s = screening(rec, "孕妇01", "nt")
    assert s["ga_days"] == 84
    assert bool(s["in_window"]) is True


# --- duplicates ----------------------------------------------------------------------------------


def test_repeated_screening_counts_once_on_the_first_date() -> None:
    # Logged 05-02 first in the file, then 04-20: the screening counts once, dated 04-20.
    w = person(1)
    rec = run(
        [roster_row(w, A, lmp="2020-01-25")],
        [log_row(w, "nt", "2020-05-02"), log_row(w, "nt", "2020-04-20"), log_row(w, "serum", "2020-05-15")],
    )
    assert screening(rec, "孕妇01", "nt")["screen_date"] == ts("2020-04-20")
    assert list(rec.duplicates["screen_date"]) == [ts("2020-05-02")]
    assert done(rec)[A] == (1, 1)


def test_same_woman_twice_in_one_submission_is_one_woman() -> None:
    w = person(1)
    rec = run([roster_row(w, A, lmp="2020-01-25"), roster_row(w, A, lmp="2020-01-25")])
    assert len(rec.women) == 1
    assert len(rec.roster_duplicates) == 1
    assert not bool(rec.women.iloc[0]["conflict"])


def test_same_woman_in_two_submissions_of_one_community_is_no_conflict() -> None:
    w = person(1)
    rec = run([roster_row(w, A, "2020-04-18"), roster_row(w, A, "2020-04-28")])
    assert len(rec.women) == 1
    assert rec.conflicts.empty
    assert rec.women.iloc[0]["submissions"] == 2


# --- identity: ID, name + phone, manual merge ----------------------------------------------------


def test_log_row_without_id_links_to_roster_id_by_name_and_phone() -> None:
    w = person(1)
    no_id = {**w, "id": None}
    rec = run([roster_row(w, B)], [log_row(no_id, "nt", "2020-04-20")])
    s = screening(rec, "孕妇01", "nt")
    assert s["pkey"] == f"ID:{make_id(1)}"
    assert s["attribution"] == "花名册"
    assert s["community"] == B


def test_roster_without_id_matches_log_with_id_by_name_and_phone() -> None:
    w = person(2)
    rec = run([roster_row({**w, "id": None}, C)], [log_row(w, "serum", "2020-05-01")])
    s = screening(rec, "孕妇02", "serum")
    assert s["attribution"] == "花名册"
    assert s["community"] == C
    assert len(rec.women) == 1


def test_name_only_is_not_enough() -> None:
    # Same name, different phone, no ID on either side: a different woman, so 漏报 by address.
    w = person(3, with_id=False)
    other_phone = {**w, "phone": "13700000000"}
    rec = run([roster_row(w, A)], [log_row(other_phone, "nt", "2020-04-20", address="新华社区5组")])
    s = screening(rec, "孕妇03", "nt")
    assert s["attribution"] == "住址（漏报）"
    assert s["community"] == C


def test_two_ids_with_the_same_name_and_phone_are_not_guessed() -> None:
    # Two different IDs carry 孕妇04 + the same phone: a log row with neither ID is not linked.
    w1 = person(4)
    w2 = {**person(5), "name": "孕妇04", "phone": w1["phone"]}
    rec = run(
        [roster_row(w1, A), roster_row(w2, B)],
        [log_row({**w1, "id": None}, "nt", "2020-04-20")],
    )
    s = screening(rec, "孕妇04", "nt")
    assert s["attribution"] == "无法归属"
    assert not bool(s["counted"])


def test_register_manual_merge_joins_two_records() -> None:
    # The roster has her by name + phone (no ID); the health centre logged her ID with another
    # phone. Without the register they are two women and the screening is unassignable.
    roster_side = {"name": "孕妇06", "id": None, "phone": "13900000006"}
    log_side = {"name": "孕妇06", "id": make_id(6), "phone": "13800000006"}
    before = run([roster_row(roster_side, A)], [log_row(log_side, "nt", "2020-04-20")])
    assert screening(before, "孕妇06", "nt")["attribution"] == "无法归属"
    merge = register_row("merge", roster_side, merge_id=make_id(6), event_date="2020-04-25")
    after = run([roster_row(roster_side, A)], [log_row(log_side, "nt", "2020-04-20")], [merge])
    s = screening(after, "孕妇06", "nt")
    assert s["attribution"] == "花名册"
    assert s["community"] == A
    assert len(after.women) == 1
    assert done(after)[A] == (1, 0)


# --- conflicts -----------------------------------------------------------------------------------


def test_woman_on_two_communities_rosters_is_a_conflict_and_counts_once() -> None:
    # 新民 lists her on 04-18, 新安 on 04-28; conflict_assign = "latest" -> 新安.
    w = person(7)
    roster = [roster_row(w, A, "2020-04-18"), roster_row(w, B, "2020-04-28")]
    log = [log_row(w, "nt", "2020-04-20")]
    rec = run(roster, log)
    assert len(rec.women) == 1
    assert len(rec.conflicts) == 1
    assert set(rec.conflicts.iloc[0]["rosters"].split("、")) == {A, B}
    assert [p.code for p in rec.problems].count("roster_conflict") == 1
    assert done(rec) == {A: (0, 0), B: (1, 0), C: (0, 0)}
    first = run(roster, log, rosters={"conflict_assign": "first"})
    assert done(first) == {A: (1, 0), B: (0, 0), C: (0, 0)}


# --- attribution: roster, address (漏报), unassignable -------------------------------------------


def test_screened_on_no_roster_counts_by_address_as_missing_from_roster() -> None:
    w1, w2, w3 = person(1), person(2), person(3)
    rec = run(
        log=[
            log_row(w1, "nt", "2020-04-20", address="新华社区3组"),  # names a community: 漏报 of 新华
            log_row(w2, "nt", "2020-04-20", address="新华路128号"),  # a road, not a community
            log_row(w3, "nt", "2020-04-20", log_community="新民居委会"),  # the log's community column
        ]
    )
    assert screening(rec, "孕妇01", "nt")["community"] == C
    assert screening(rec, "孕妇01", "nt")["attribution"] == "住址（漏报）"
    assert screening(rec, "孕妇03", "nt")["community"] == A
    assert sorted(rec.missing_from_roster["name"]) == ["孕妇01", "孕妇03"]
    assert list(rec.unassignable["name"]) == ["孕妇02"]
    assert not bool(screening(rec, "孕妇02", "nt")["counted"])
    assert [p.code for p in rec.problems].count("screening_unassignable") == 1
    assert done(rec) == {A: (1, 0), B: (0, 0), C: (1, 0)}


def test_unresolvable_community_column_falls_back_to_the_address() -> None:
    # The log's 社区 column says 城区 (no community); the address names 新华社区.
    w = person(1)
    rec = run(log=[log_row(w, "nt", "2020-04-20", log_community="城区", address="新华社区3组")])
    assert screening(rec, "孕妇01", "nt")["community"] == C


def test_roster_community_wins_over_the_log_address() -> None:
    w = person(1)
    rec = run([roster_row(w, A)], [log_row(w, "nt", "2020-04-20", address="新华社区3组")])
    s = screening(rec, "孕妇01", "nt")
    assert (s["community"], s["attribution"]) == (A, "花名册")
    assert rec.missing_from_roster.empty


# --- count_from, subsidy window, as_of -----------------------------------------------------------


def test_before_count_from_is_not_counted_but_listed_for_subsidy() -> None:
    w1, w2, w3 = person(1), person(2), person(3)
    rec = run(
        [roster_row(w, A) for w in (w1, w2, w3)],
        [
            log_row(w1, "nt", "2020-04-09"),  # last day before count_from: subsidy, not counted
            log_row(w2, "nt", "2020-04-10"),  # count_from itself: counted
            log_row(w3, "nt", "2019-12-31"),  # before the subsidy window: neither
        ],
    )
    s1, s2, s3 = (screening(rec, f"孕妇0{i}", "nt") for i in (1, 2, 3))
    assert (bool(s1["counted"]), bool(s1["subsidy"])) == (False, True)
    assert (bool(s2["counted"]), bool(s2["subsidy"])) == (True, False)
    assert (bool(s3["counted"]), bool(s3["subsidy"])) == (False, False)
    assert done(rec)[A] == (1, 0)


def test_first_screening_before_count_from_is_not_replaced_by_a_later_repeat() -> None:
    # NT on 04-01 (before count_from) and again on 04-20: she was screened once, on 04-01.
    w = person(1)
    rec = run([roster_row(w, A)], [log_row(w, "nt", "2020-04-01"), log_row(w, "nt", "2020-04-20")])
    assert screening(rec, "孕妇01", "nt")["screen_date"] == ts("2020-04-01")
    assert done(rec)[A] == (0, 0)


def test_screening_after_as_of_is_ignored() -> None:
    # as_of 2020-05-20: a screening that day counts; one on 05-21 is not yet known.
    w1, w2 = person(1), person(2)
    rec = run(
        [roster_row(w1, A, lmp=lmp_for(80, AS_OF)), roster_row(w2, A, lmp=lmp_for(80, AS_OF))],
        [log_row(w1, "nt", "2020-05-20"), log_row(w2, "nt", "2020-05-21")],
    )
    assert list(rec.screenings["name"]) == ["孕妇01"]
    assert list(rec.after_as_of["name"]) == ["孕妇02"]
    assert done(rec)[A] == (1, 0)
    # ... so 孕妇02 is still on the NT follow-up list (window open: GA 80 on 05-20).
    nt = rec.followup[rec.followup["test"] == "nt"]
    assert list(nt["name"]) == ["孕妇02"]
    assert nt.iloc[0]["status"] == "open"


def test_roster_submitted_after_as_of_is_not_yet_known() -> None:
    w = person(1)
    rec = run([roster_row(w, A, "2020-05-28")], [log_row(w, "nt", "2020-05-10", address="新华社区")])
    assert rec.women.empty
    assert screening(rec, "孕妇01", "nt")["community"] == C  # 漏报 of 新华 as of 05-20


# --- roster history ------------------------------------------------------------------------------


def test_woman_missing_from_a_later_submission_is_kept() -> None:
    # 新民's 04-18 roster lists 孕妇01 and 孕妇02; its 04-28 update lists only 孕妇01.
    w1, w2 = person(1), person(2)
    rec = run(
        [roster_row(w1, A, "2020-04-18"), roster_row(w2, A, "2020-04-18"), roster_row(w1, A, "2020-04-28")],
        [log_row(w2, "nt", "2020-05-01")],
    )
    women = rec.women.set_index("name")
    assert sorted(women.index) == ["孕妇01", "孕妇02"]
    assert bool(women.loc["孕妇01", "in_latest"]) is True
    assert bool(women.loc["孕妇02", "in_latest"]) is False
    assert women.loc["孕妇02", "community"] == A
    assert screening(rec, "孕妇02", "nt")["attribution"] == "花名册"
    assert done(rec)[A] == (1, 0)


def test_later_submission_updates_values_but_blanks_do_not_erase() -> None:
    w = person(1)
    rec = run(
        [
            roster_row(w, A, "2020-04-18", lmp="2020-02-01", address="新民社区1组"),
            roster_row(w, A, "2020-04-28", lmp="2020-02-03"),  # corrected LMP, address left blank
        ]
    )
    woman = rec.women.iloc[0]
    assert woman["lmp_used"] == ts("2020-02-03")
    assert woman["address"] == "新民社区1组"


# --- self-reports --------------------------------------------------------------------------------


def test_self_report_without_log_record_is_unverified_and_not_counted() -> None:
    # 孕妇01 says NT and serum done; the log has only her serum. 孕妇02 says NT done, no log.
    w1, w2 = person(1), person(2)
    rec = run(
        [
            roster_row(w1, A, self_nt=True, self_nt_date="2020-04-15", self_serum=True),
            roster_row(w2, A, self_nt=True, self_serum=False),
        ],
        [log_row(w1, "serum", "2020-05-10")],
    )
    unverified = rec.self_unverified.sort_values("name")
    assert list(zip(unverified["name"], unverified["test"], strict=True)) == [("孕妇01", "nt"), ("孕妇02", "nt")]
    assert unverified.iloc[0]["self_date"] == ts("2020-04-15")
    assert done(rec)[A] == (0, 1)  # only the logged serum screening counts


# --- follow-up lists -----------------------------------------------------------------------------


def test_followup_statuses() -> None:
    # as_of 2020-05-20; NT window 77..97 days after LMP; opening within 7 days = "soon".
    ws = [person(i) for i in range(1, 9)]
    roster = [
        roster_row(ws[0], A, lmp=lmp_for(80, AS_OF)),  # NT window open, closes in 97-80 = 17 days
        roster_row(ws[1], A, lmp=lmp_for(70, AS_OF)),  # NT opens in 77-70 = 7 days: soon
        roster_row(ws[2], A, lmp=lmp_for(69, AS_OF)),  # NT opens in 8 days: not listed yet
        roster_row(ws[3], A, lmp=lmp_for(100, AS_OF)),  # NT closed 3 days ago: missed; serum opens in 5: soon
        roster_row(ws[4], A),  # no LMP, EDD or weeks: dates unusable (both tests)
        roster_row(ws[5], A, lmp=lmp_for(80, AS_OF)),  # screened NT: not on the NT list
        roster_row(ws[6], A, lmp=lmp_for(80, AS_OF)),  # closed (流产) on 05-19: off every list
        roster_row(ws[7], A, lmp=lmp_for(80, AS_OF)),  # closing dated after as_of: still listed
    ]
    log = [log_row(ws[5], "nt", "2020-05-18")]
    register = [
        register_row("close", ws[6], reason="流产", event_date="2020-05-19"),
        register_row("close", ws[7], reason="分娩", event_date="2020-05-25"),
    ]
    rec = run(roster, log, register)
    got = {(r["name"], r["test"]): r["status"] for r in rec.followup.to_dict("records")}
    assert got == {
        ("孕妇01", "nt"): "open",
        ("孕妇02", "nt"): "soon",
        ("孕妇04", "nt"): "missed",
        ("孕妇04", "serum"): "soon",
        ("孕妇05", "nt"): "no_dates",
        ("孕妇05", "serum"): "no_dates",
        ("孕妇08", "nt"): "open",
    }
    first = rec.followup[(rec.followup["name"] == "孕妇01") & (rec.followup["test"] == "nt")].iloc[0]
    assert first["days_left"] == 17
    assert first["window_opens"] == ts("2020-05-17")  # 05-20 - 80 + 77
    assert set(rec.women.loc[rec.women["closed_reason"].notna(), "name"]) == {"孕妇07"}


# --- high-risk results ---------------------------------------------------------------------------


def test_high_risk_awaits_prenatal_diagnosis_until_registered() -> None:
    w1, w2 = person(1), person(2)
    roster = [roster_row(w1, A), roster_row(w2, A)]
    log = [
        log_row(w1, "serum", "2020-05-01", result="21三体高风险"),
        log_row(w2, "serum", "2020-05-01", result="低风险"),
    ]
    rec = run(roster, log)
    assert list(rec.high_risk["name"]) == ["孕妇01"]
    diagnosis = register_row("diagnosis", w1, diagnosis="羊水穿刺未见异常", event_date="2020-05-15")
    rec = run(roster, log, [diagnosis])
    assert rec.high_risk.empty


def test_diagnosis_registered_after_as_of_is_not_yet_known() -> None:
    w = person(1)
    diagnosis = register_row("diagnosis", w, diagnosis="未见异常", event_date="2020-05-25")
    rec = run([roster_row(w, A)], [log_row(w, "serum", "2020-05-01", result="高风险")], [diagnosis])
    assert list(rec.high_risk["name"]) == ["孕妇01"]


# --- spot check ----------------------------------------------------------------------------------


def test_spot_check_is_reproducible_and_per_community() -> None:
    # 新民 has 8 women, 新安 3, 新华 none; size 5 -> 5 from 新民, all 3 of 新安.
    roster = [roster_row(person(i), A) for i in range(1, 9)] + [roster_row(person(i), B) for i in range(11, 14)]
    rec1 = run(roster)
    rec2 = run(list(reversed(roster)))  # row order does not matter
    counts = rec1.spot_check.groupby("community").size().to_dict()
    assert counts == {A: 5, B: 3}
    assert list(rec1.spot_check["pkey"]) == list(rec2.spot_check["pkey"])
    a_names = set(rec1.spot_check.loc[rec1.spot_check["community"] == A, "name"])
    assert a_names <= {f"孕妇0{i}" for i in range(1, 9)}


# --- inputs with a kind missing --------------------------------------------------------------------


def test_rosters_only_no_screening_log_yet() -> None:
    # Early in the programme: rosters in, no health-centre log yet.
    w = person(1)
    rec = run([roster_row(w, A, lmp=lmp_for(80, AS_OF))])
    assert rec.screenings.empty
    assert list(zip(rec.followup["name"], rec.followup["status"], strict=True)) == [("孕妇01", "open")]
    assert done(rec)[A] == (0, 0)


def test_logs_only_no_roster_yet() -> None:
    rec = run(log=[log_row(person(1), "nt", "2020-04-20", address="新安社区2组")])
    assert rec.women.empty
    assert rec.followup.empty
    assert done(rec) == {A: (0, 0), B: (1, 0), C: (0, 0)}


def test_two_community_configuration() -> None:
    # The builder accepts any small configuration: two communities only.
    w = person(1)
    rec = reconcile(
        normalized([roster_row(w, A)], [log_row(w, "nt", "2020-04-20")]),
        make_settings([community(A, quota=3), community(B, quota=3)]),
        AS_OF,
    )
    assert screening(rec, "孕妇01", "nt")["community"] == A
