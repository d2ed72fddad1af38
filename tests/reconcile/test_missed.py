"""Counting women, not rows, on the follow-up list, and which missed women can still be screened.

NT window 77..97 days after LMP, serum 105..146; past term = LMP + 294 days. As of 2020-07-01.
"""

from __future__ import annotations

import pandas as pd

from pipeline.reconcile import reconcile
from pipeline.summary import followup_women
from tests.factories import A, B, D, lmp_for, make_settings, normalized, person, roster_row

AS_OF = D(2020, 7, 1)


def scenario() -> pd.DataFrame:
    w1, w2, w3, w4, w5 = (person(i) for i in range(1, 6))
    closed_long_ago = lmp_for(150, AS_OF)  # NT closed 05-09 (LMP + 97), serum closed 06-27 (LMP + 146)
    roster = [
        # 孕妇01: listed 04-18 and 05-28, both windows closed unscreened: missed, can still be screened.
        roster_row(w1, A, "2020-04-18", lmp=closed_long_ago),
        roster_row(w1, A, "2020-05-28", lmp=closed_long_ago),
        # 孕妇02: 300 days past her LMP (> 294): delivered, cannot be screened.
        roster_row(w2, A, "2020-04-18", lmp=lmp_for(300, AS_OF)),
        roster_row(w2, A, "2020-05-28", lmp=lmp_for(300, AS_OF)),
        # 孕妇03: on 新民's 04-18 roster only, not on its latest (05-28): cannot.
        roster_row(w3, A, "2020-04-18", lmp=closed_long_ago),
        # 孕妇04: first listed 05-28, after her NT window closed (05-09) but before her serum window
        # closed (06-27): NT cannot, serum can.
        roster_row(w4, A, "2020-05-28", lmp=closed_long_ago),
        # 孕妇05 (新安): NT window open (GA 80): not missed.
        roster_row(w5, B, "2020-05-28", lmp=lmp_for(80, AS_OF)),
    ]
    return reconcile(normalized(roster), make_settings(), AS_OF).followup


def test_each_missed_row_says_whether_it_can_still_be_made_up() -> None:
    fu = scenario()
    got = {(r["name"], r["test"]): (r["status"], r["missed_reason"]) for r in fu.to_dict("records")}
    assert got == {
        ("孕妇01", "nt"): ("missed", "screenable"),
        ("孕妇01", "serum"): ("missed", "screenable"),
        ("孕妇02", "nt"): ("missed", "past_term"),
        ("孕妇02", "serum"): ("missed", "past_term"),
        ("孕妇03", "nt"): ("missed", "off_roster"),
        ("孕妇03", "serum"): ("missed", "off_roster"),
        ("孕妇04", "nt"): ("missed", "listed_late"),
        ("孕妇04", "serum"): ("missed", "screenable"),
        ("孕妇05", "nt"): ("open", ""),
    }
    labels = dict(zip(zip(fu["name"], fu["test"], strict=True), fu["missed_label"], strict=True))
    assert labels[("孕妇01", "nt")] == "可补筛"
    assert labels[("孕妇02", "nt")] == "不可补筛：已超过末次月经后294天（应已分娩）"
    assert labels[("孕妇05", "nt")] == ""


def test_counts_are_women_not_rows() -> None:
    # 新民: 8 missed rows (4 women x 2 tests) = 4 women; can still be screened: 孕妇01, 孕妇04 = 2.
    counts = followup_women(scenario())
    assert int(counts["missed"][A]) == 4
    assert int(counts["missed_screenable"][A]) == 2
    assert int(counts["open"][B]) == 1
    assert A not in counts["open"].index
