"""Screened women on no roster (漏报 only once a roster was due since her screening, 待核实 before),
and screenings outside the programme (项目期外), in hand-computed scenarios.

Roster due dates (config.toml): 2020-04-18, then the 8th, 18th and 28th of each month up to 12-28.
Settings: three small communities 新民 / 新安 / 新华 (tests/factories.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

import pandas as pd
import pytest

from pipeline.model import Reconciled
from pipeline.outputs.frames import issue_sources, issues_frame
from pipeline.reconcile import reconcile
from pipeline.score import progress, standing
from tests.factories import (
    A,
    C,
    D,
    community,
    log_row,
    make_settings,
    normalized,
    person,
    quotas,
    roster_row,
    ts,
)

Rows = Sequence[Mapping[str, Any]]


def run(log: Rows, as_of: dt.date, roster: Rows = (), **kw: Any) -> Reconciled:
    return reconcile(normalized(roster, log), make_settings(**kw), as_of)


def names(frame: pd.DataFrame) -> list[tuple[str, str]]:
    return sorted(zip(frame["name"], frame["test"], strict=True))


# --- 漏报 only after a due date ------------------------------------------------------------------


def test_unlisted_woman_is_pending_until_the_next_due_date_then_missing() -> None:
    # 孕妇01: NT on 04-12 (before the first due date 04-18), address 新华社区.
    log = [log_row(person(1), "nt", "2020-04-12", address="新华社区3组")]
    early = run(log, D(2020, 4, 15))  # 04-18 not reached: she could not have been listed yet
    assert early.missing_from_roster.empty
    assert names(early.pending_roster) == [("孕妇01", "nt")]
    assert early.pending_roster.iloc[0]["list_by"] == ts("2020-04-18")
    # She counts for 新华 all the same (by her address).
    assert early.screenings.iloc[0]["community"] == C and bool(early.screenings.iloc[0]["counted"])
    on_due = run(log, D(2020, 4, 18))  # the due date itself has come: 漏报
    assert names(on_due.missing_from_roster) == [("孕妇01", "nt")]
    assert on_due.pending_roster.empty


def test_screened_on_a_due_date_is_judged_at_the_next_one() -> None:
    # NT on 05-08 (a due date): that day's roster was compiled before; 05-18 is the next chance.
    log = [log_row(person(1), "nt", "2020-05-08", address="新民社区")]
    assert names(run(log, D(2020, 5, 17)).pending_roster) == [("孕妇01", "nt")]
    assert names(run(log, D(2020, 5, 18)).missing_from_roster) == [("孕妇01", "nt")]


def test_a_woman_is_judged_by_her_first_unlisted_screening() -> None:
    # NT 04-20 (due 04-28 passed by 05-05), serum 05-04 (no due date since): she is one woman, 漏报
    # since 04-28, and both her rows say so.
    w = person(1)
    log = [log_row(w, "nt", "2020-04-20", address="新民社区"), log_row(w, "serum", "2020-05-04", address="新民社区")]
    rec = run(log, D(2020, 5, 5))
    assert names(rec.missing_from_roster) == [("孕妇01", "nt"), ("孕妇01", "serum")]
    assert rec.pending_roster.empty
    assert set(rec.missing_from_roster["list_by"]) == {ts("2020-04-28")}


def test_missing_from_screening_reads_every_unlisted_woman_as_missing_at_once() -> None:
    log = [log_row(person(1), "nt", "2020-04-12", address="新华社区")]
    rec = run(log, D(2020, 4, 15), rosters={"missing_from": "screening"})
    assert names(rec.missing_from_roster) == [("孕妇01", "nt")]
    assert rec.pending_roster.empty


def test_a_listed_woman_is_neither() -> None:
    w = person(1)
    rec = run([log_row(w, "nt", "2020-04-12", address="新华社区")], D(2020, 4, 15), [roster_row(w, A, "2020-04-14")])
    assert rec.missing_from_roster.empty and rec.pending_roster.empty


def test_issue_lists_show_pending_as_its_own_type() -> None:
    w1, w2 = person(1), person(2)
    log = [log_row(w1, "nt", "2020-04-12", address="新华社区"), log_row(w2, "nt", "2020-04-20", address="新华社区")]
    rec = run(log, D(2020, 4, 25))  # 孕妇01: 04-18 passed -> 漏报; 孕妇02: 04-28 not yet -> 待核实
    issues = issues_frame(issue_sources(rec), make_settings())
    assert list(zip(issues["type"], issues["name"], strict=True)) == [("漏报", "孕妇01"), ("待核实", "孕妇02")]
    pending = issues[issues["type"] == "待核实"].iloc[0]
    assert "4月28日" in pending["detail"] and "漏报" in pending["detail"]


# --- programme bounds ------------------------------------------------------------------------------


@pytest.fixture
def big() -> dict[str, Any]:
    # 新民 quota 100, weekly 1: expected grows by 1/7 a day and is far from the cap at the year end.
    return {"communities": [community(A, quota=100, weekly=1)]}


def test_screenings_after_the_programme_end_never_count(big: dict[str, Any]) -> None:
    ws = [person(i) for i in range(1, 5)]
    roster = [roster_row(w, A, "2020-04-18") for w in ws]
    log = [
        log_row(ws[0], "nt", "2020-12-31"),  # the last day: counts
        log_row(ws[1], "nt", "2021-01-05"),  # after the end: 项目期外
        log_row(ws[2], "nt", "2019-12-20"),  # before the subsidy window (2020-01-01): 项目期外
        log_row(ws[3], "nt", "2020-03-01"),  # in the subsidy window: 1-3月 subsidy, not 项目期外
    ]
    as_of = D(2021, 1, 31)
    rec = run(log, as_of, roster, **big)
    counted = dict(zip(rec.screenings["name"], rec.screenings["counted"], strict=True))
    assert counted == {"孕妇01": True, "孕妇02": False, "孕妇03": False, "孕妇04": False}
    assert sorted(rec.out_of_programme["name"]) == ["孕妇02", "孕妇03"]
    notes = dict(zip(rec.out_of_programme["name"], rec.out_of_programme["scope_note"], strict=True))
    assert "项目截止日（2020年12月31日）以后" in notes["孕妇02"]
    assert "2020年1月1日以前" in notes["孕妇03"]
    issues = issues_frame(issue_sources(rec), make_settings(**big))
    assert sorted(issues.loc[issues["type"] == "项目期外", "name"]) == ["孕妇02", "孕妇03"]


def test_as_of_after_the_end_stands_as_the_end(big: dict[str, Any]) -> None:
    # 04-10..12-31 inclusive = 266 days -> expected 266 / 7 = 38.0 (not 297 / 7 at 2021-01-31).
    w1, w2 = person(1), person(2)
    log = [log_row(w1, "nt", "2020-12-30"), log_row(w2, "nt", "2021-01-05")]
    roster = [roster_row(w1, A), roster_row(w2, A)]
    s = make_settings(**big)
    late = run(log, D(2021, 1, 31), roster, **big)
    end = run(log, D(2020, 12, 31), roster, **big)
    at_2021 = standing(quotas(s), progress(late.screenings), s, D(2021, 1, 31))
    at_end = standing(quotas(s), progress(end.screenings), s, D(2020, 12, 31))
    assert at_2021.loc[A, "expected_nt"] == pytest.approx(38.0)
    assert (at_2021.loc[A, "done_nt"], at_end.loc[A, "done_nt"]) == (1, 1)
    cols = ["expected_nt", "done_nt", "rate", "rank"]
    assert at_2021[cols].equals(at_end[cols])
