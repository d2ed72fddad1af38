"""The inspection group's spot checks (随机抽查): a reproducible draw per circular period, among the
women on their community's latest roster whose case is not closed.

Half-month circular periods end on the 15th and the month end (config.toml); size 5 per community.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from typing import Any

from pipeline.reconcile import reconcile, spot_check_period
from tests.factories import A, B, D, make_settings, normalized, person, register_row, roster_row

# 新民 lists 20 women on 05-08; 新安 lists 4 on 05-08 and only 3 of them (not 孕妇33) on 05-18.
ROSTER = [roster_row(person(i), A, "2020-05-08") for i in range(1, 21)] + [
    *(roster_row(person(i), B, "2020-05-08") for i in range(31, 35)),
    *(roster_row(person(i), B, "2020-05-18") for i in (31, 32, 34)),
]
Rows = Sequence[Mapping[str, Any]]


def drawn(as_of: dt.date, roster: Rows = ROSTER, register: Rows = (), **kw: Any) -> dict[str, list[str]]:
    rec = reconcile(normalized(roster, register=register), make_settings(**kw), as_of)
    return {k: sorted(g["name"]) for k, g in rec.spot_check.groupby("community")}


def test_the_same_data_gives_the_same_list_within_a_period() -> None:
    # 05-20 and 05-30 both fall after the period ending 05-15 and before the one ending 05-31.
    first, again = drawn(D(2020, 5, 20)), drawn(D(2020, 5, 30))
    assert first == again
    assert len(first[A]) == 5
    # Row order does not matter.
    assert drawn(D(2020, 5, 20), list(reversed(ROSTER))) == first


def test_a_new_period_draws_a_new_list() -> None:
    settings = make_settings()
    assert spot_check_period(settings, D(2020, 5, 31)) == spot_check_period(settings, D(2020, 5, 20)) + 1
    assert drawn(D(2020, 5, 20))[A] != drawn(D(2020, 5, 31))[A]


def test_the_draw_depends_on_the_seed_and_the_programme() -> None:
    base = drawn(D(2020, 5, 20))[A]
    assert drawn(D(2020, 5, 20), spot_check={"seed": 7})[A] != base
    assert drawn(D(2020, 5, 20), programme={"name": "另一个项目"})[A] != base


def test_closed_cases_and_women_off_the_latest_roster_are_not_drawn() -> None:
    # 新安: 孕妇31..34 on 05-08; 孕妇33 left off the 05-18 roster; 孕妇31 closed (迁出) on 05-19.
    # Eligible: 孕妇32 and 孕妇34 only (fewer than 5: both are drawn).
    closed = [register_row("close", person(31), reason="迁出", event_date="2020-05-19")]
    assert drawn(D(2020, 5, 20), register=closed)[B] == ["孕妇32", "孕妇34"]
    # Before the closing is known (as of 05-18), 孕妇31 can be drawn.
    assert drawn(D(2020, 5, 18), register=closed)[B] == ["孕妇31", "孕妇32", "孕妇34"]
