"""The programme year's story: who is screened when, who is closed, which defects are injected.

``build(settings, seed)`` draws the population (``people.py``), screens each woman by construction
(by her community's monthly rates), then gives chosen women and records the year's special cases in
a fixed order — closures, roster ID defects, the manual merge, unverified self-reports, women on two
rosters, screened women on no roster; then, on the health centre's records (``screenings.py``),
repeats, high-risk results, log ID typos, the impossible date, the hospital system's export — and
schedules the roster submissions (``schedule.py``).

Every draw comes from ``random.Random`` instances seeded from ``seed`` (no global random state, no
clock). The special cases share one generator (``{seed}:special``), so the order of the steps in
``build`` is part of the output: reordering them changes the demo. The result is a ``Demo`` of
mutable records and the ground truth of the defects; nothing is written here.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pipeline.demo.defects import (
    BAD_CHECKSUM_IDS,
    CLOSURES,
    FULL_WIDTH_ID_COMMUNITY,
    LOWERCASE_X_COMMUNITY,
    MERGE_COMMUNITY,
    OLD_15_DIGIT_ID_COMMUNITY,
    ROSTER_CONFLICTS,
    SELF_REPORT_COMMUNITY,
    TRADITIONAL_COMMUNITY,
    UNROSTERED_WITH_COMMUNITY,
    UNROSTERED_WITHOUT_COMMUNITY,
)
from pipeline.demo.people import (
    OTHER_PLACES,
    ROADS,
    Ids,
    Woman,
    full_width,
    new_woman,
    profile_of,
)
from pipeline.demo.schedule import Submission, schedule
from pipeline.demo.screenings import (
    Screening,
    flag_serum_results,
    his_export,
    impossible_date,
    mistype_log_ids,
    screening_records,
    shift_sunday,
    with_repeats,
)
from pipeline.settings import Community, Settings

#: An entry of the office's register (办事处登记), by column label.
Entry = dict[str, Any]
#: A woman also listed by another community: (woman, other community index, from, to).
Conflict = tuple[Woman, int, dt.date, dt.date]


@dataclass
class Demo:
    settings: Settings
    seed: int
    women: list[Woman]
    screenings: list[Screening]
    submissions: list[Submission]
    missed: list[tuple[int, dt.date]]
    conflicts: list[Conflict]
    register: list[Entry]
    truth: dict[str, Any] = field(default_factory=dict)


def build(settings: Settings, seed: int) -> Demo:
    """The whole programme year for ``settings``, drawn from ``seed``."""
    year = settings.programme.end.year
    communities = settings.communities
    ids = Ids(random.Random(f"{seed}:ids"))
    women = _population(settings, seed, ids)
    for w in women:
        _screen_by_construction(w, seed, year)

    # The special cases, each given to a woman who has none yet, in this order.
    draw = _Draw(random.Random(f"{seed}:special"), women)
    seen = _seen_on_rosters(settings)
    closure_entries, closures = _closures(draw, communities, year)
    defects: dict[str, Any] = {"closures": closures} if closures else {}
    defects |= _roster_id_defects(draw, ids, len(communities), year, seen)
    merge_entries, merge = _manual_merge(draw, ids, communities, year, seen)
    defects |= merge
    defects["unverified_self_reports"] = _unverified_self_reports(draw, len(communities), year, seen)
    conflicts = _conflicts(draw, communities, year)
    defects["conflicts"] = [
        (w.name, w.id18, communities[w.home or 0].name, communities[o].name) for w, o, _, _ in conflicts
    ]
    extra = _unrostered(settings, seed, ids, first_uid=len(women))
    women = [*women, *extra]

    # The health centre's records, then their special cases.
    rng = draw.rng
    screenings = with_repeats(screening_records(women), rng, year)
    flagged = flag_serum_results(screenings, rng, year)
    defects["high_risk"] = [(s.woman.name, s.woman.id18, s.result, s.date) for s in flagged]
    defects["log_id_typos"] = mistype_log_ids(screenings, rng, year)
    defects |= impossible_date(screenings, rng, year)
    defects["his_only"] = his_export(screenings, rng, year)

    subs, missed = schedule(settings)
    register = [
        *closure_entries,
        *merge_entries,
        *_diagnosis_entries(flagged, communities, year),
        *_paper_receipts(communities, subs, rng),
    ]
    register.sort(key=lambda r: (r["日期"], r["登记类型"]))

    demo = Demo(settings, seed, women, screenings, subs, missed, conflicts, register)
    demo.truth = {"defects": defects, "unrostered": [(w.name, w.id18, w.log_address) for w in extra]}
    return demo


# ---------------------------------------------------------------------------------------------
# The population and its screenings by construction.


def _population(settings: Settings, seed: int, ids: Ids) -> list[Woman]:
    """Each community's women (``Profile.women`` of them), numbered in community order."""
    year = settings.programme.end.year
    women: list[Woman] = []
    for index in range(len(settings.communities)):
        for _ in range(profile_of(index).women):
            women.append(new_woman(len(women), index, True, seed, year, settings.communities, ids))
    return women


def _screen_by_construction(w: Woman, seed: int, year: int) -> None:
    """Her NT and serum dates in ``year`` (if she is screened, by her community's rate in the month
    of her target date; mostly in the window, sometimes just outside; the serum one 4-6 weeks after
    the NT one), and when she leaves the roster."""
    assert w.home is not None
    profile = profile_of(w.home)
    year_start, year_end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    sr = random.Random(f"{seed}:screen:{w.uid}")
    nt_off = sr.randint(78, 95) if sr.random() > 0.04 else sr.choice((74, 75, 76, 98, 99, 101, 103))
    nt_day = shift_sunday(w.lmp + dt.timedelta(days=nt_off))
    rate = profile.rates[(max(nt_day, year_start).month if nt_day.year <= year else 12) - 1]
    did_nt = sr.random() < rate
    if did_nt and year_start <= nt_day <= year_end:
        w.nt.append(nt_day)
    s_day = shift_sunday(_serum_day(sr, w.lmp, nt_day if did_nt else None))
    s_rate = profile.rates[(max(s_day, year_start).month if s_day.year <= year else 12) - 1]
    s_rate = min(0.97, s_rate * (1.08 if did_nt else 0.45))
    if sr.random() < s_rate and year_start <= s_day <= year_end:
        w.serum.append(s_day)
    # Roster drop: delivered women leave the roster (with some delay), except where they don't.
    if profile.drops_delivered:
        w.dropped = w.delivery + dt.timedelta(days=sr.randint(0, 25))


def _serum_day(sr: random.Random, lmp: dt.date, nt_day: dt.date | None) -> dt.date:
    """Her serum screening: 4-6 weeks after her NT one (at 15-20 weeks), else at 15-20 weeks;
    now and then just outside the window."""
    if sr.random() < 0.04:
        return lmp + dt.timedelta(days=sr.choice((101, 103, 104, 148, 150, 153)))
    if nt_day is not None:
        return max(nt_day + dt.timedelta(days=sr.randint(28, 42)), lmp + dt.timedelta(days=105))
    return lmp + dt.timedelta(days=sr.randint(108, 140))


# ---------------------------------------------------------------------------------------------
# Choosing the women who carry a special case.


@dataclass
class _Draw:
    """The shared generator of the special cases, and the women already given one."""

    rng: random.Random
    women: list[Woman]
    used: set[int] = field(default_factory=set)

    def choose(self, pred: Callable[[Woman], bool], home: int | None = None) -> Woman:
        """A woman of ``home`` (any community when None) with no special case yet, satisfying
        ``pred`` if any does; she is then used."""
        mine = [w for w in self.women if w.uid not in self.used and (home is None or w.home == home)]
        pool = [w for w in mine if pred(w)] or mine
        w = self.rng.choice(pool)
        self.used.add(w.uid)
        return w


def _seen_on_rosters(settings: Settings) -> Callable[[Woman], bool]:
    """A woman on at least one roster submission (registered before the last, listed after the first)."""
    last_reg = dt.date(settings.programme.end.year, 12, 18)
    first_due = settings.rosters.first_due

    def test(w: Woman) -> bool:
        return w.reg <= last_reg and w.dropped > first_due

    return test


def _listed_through(start: dt.date, stop: dt.date) -> Callable[[Woman], bool]:
    """A woman on her own roster from before ``start`` until (nearly) ``stop``, with no defect yet."""

    def test(w: Woman) -> bool:
        return w.reg < start and w.dropped > stop - dt.timedelta(days=20) and not w.defects

    return test


# ---------------------------------------------------------------------------------------------
# Closures (办事处登记: 个案销号).


def _closures(draw: _Draw, communities: tuple[Community, ...], year: int) -> tuple[list[Entry], list[Any]]:
    """(the register's 个案销号 entries, their truth) for ``CLOSURES``."""
    entries: list[Entry] = []
    truth: list[Any] = []
    for home, reason in CLOSURES:
        if home >= len(communities):
            continue
        close = _CLOSE.get(reason, _close_delivered)
        w, when = close(draw, home, year)
        w.closure = (reason, when)
        truth.append((communities[home].name, w.name, w.id18, reason, when))
        entries.append(
            {
                "登记类型": "个案销号",
                "社区": communities[home].name,
                "姓名": w.name,
                "身份证号": w.id18,
                "联系电话": w.phone,
                "销号原因": reason,
                "日期": min(when + dt.timedelta(days=draw.rng.randint(2, 9)), dt.date(year, 12, 31)),
                "备注": _closure_note(reason, home),
            }
        )
    return entries, truth


def _closure_note(reason: str, home: int) -> str:
    if reason == "外院已筛":
        return "县人民医院已做两筛" if home == 1 else "县妇幼保健院已做血清学筛查"
    return "随丈夫迁往郑州" if reason == "迁出" else ""


def _close_miscarriage(draw: _Draw, home: int, year: int) -> tuple[Woman, dt.date]:
    """流产 around 9 weeks: no screenings, off the roster a little later."""
    w = draw.choose(
        lambda w: dt.date(year, 4, 25) <= w.lmp + dt.timedelta(days=63) <= dt.date(year, 11, 30), home
    )
    when = w.lmp + dt.timedelta(days=draw.rng.randint(52, 72))
    w.nt, w.serum = [], []
    w.dropped = when + dt.timedelta(days=draw.rng.randint(5, 20))
    w.delivery = when
    return w, when


def _close_moved_away(draw: _Draw, home: int, year: int) -> tuple[Woman, dt.date]:
    """迁出 after her NT screening, before the serum one."""
    w = draw.choose(lambda w: bool(w.nt) and w.nt[0] >= dt.date(year, 5, 1) and w.lmp.month <= 8, home)
    when = w.lmp + dt.timedelta(days=draw.rng.randint(100, 104))
    w.serum = []
    w.dropped = when + dt.timedelta(days=draw.rng.randint(3, 12))
    return w, when


def _close_screened_elsewhere(draw: _Draw, home: int, year: int) -> tuple[Woman, dt.date]:
    """外院已筛: 新安's woman had both tests elsewhere, the other only the serum one."""
    w = draw.choose(lambda w: bool(w.nt) and bool(w.serum) and w.serum[0] <= dt.date(year, 12, 1), home)
    w.nt, w.serum = ([], []) if home == 1 else (w.nt, [])
    when = w.lmp + dt.timedelta(days=draw.rng.randint(110, 135))
    return w, when


def _close_refused(draw: _Draw, home: int, year: int) -> tuple[Woman, dt.date]:
    """拒检: a woman never screened refuses."""
    w = draw.choose(lambda w: not w.nt and w.lmp.month in (3, 4, 5, 6, 7), home)
    w.serum = []
    when = w.lmp + dt.timedelta(days=draw.rng.randint(85, 100))
    return w, when


def _close_delivered(draw: _Draw, home: int, year: int) -> tuple[Woman, dt.date]:
    """分娩: delivered without a serum screening."""
    w = draw.choose(
        lambda w: not w.serum and dt.date(year, 5, 1) <= w.delivery <= dt.date(year, 12, 10), home
    )
    return w, w.delivery


_CLOSE: dict[str, Callable[[_Draw, int, int], tuple[Woman, dt.date]]] = {
    "流产": _close_miscarriage,
    "迁出": _close_moved_away,
    "外院已筛": _close_screened_elsewhere,
    "拒检": _close_refused,
    "分娩": _close_delivered,
}


# ---------------------------------------------------------------------------------------------
# How communities write women on their rosters.


def _roster_id_defects(
    draw: _Draw, ids: Ids, n: int, year: int, seen: Callable[[Woman], bool]
) -> dict[str, Any]:
    """Wrong check digits, a lowercase x, a 15-digit ID, full-width digits, a full-width space."""
    return {
        "bad_checksum": _bad_checksums(draw, n, year, seen),
        **_lowercase_x(draw, ids, n, seen),
        **_old_15_digit_id(draw, n, seen),
        **_full_width_id(draw, n, seen),
        **_full_width_space_in_name(draw, n, seen),
    }


def _bad_checksums(draw: _Draw, n: int, year: int, seen: Callable[[Woman], bool]) -> list[Any]:
    bad: list[Woman] = []
    for home, count in BAD_CHECKSUM_IDS:
        if home >= n:
            continue
        for _ in range(count):
            w = draw.choose(
                lambda w: (
                    not w.id18.endswith("X") and seen(w) and bool(w.nt) and w.nt[0] >= dt.date(year, 5, 1)
                ),
                home,
            )
            wrong = draw.rng.choice([c for c in "0123456789X" if c != w.id18[-1]])
            w.roster_id = w.id18[:17] + wrong
            w.defects.append("校验码错误")
            bad.append(w)
    return [(w.name, w.roster_id, w.id18) for w in bad]


def _lowercase_x(draw: _Draw, ids: Ids, n: int, seen: Callable[[Woman], bool]) -> dict[str, Any]:
    if LOWERCASE_X_COMMUNITY >= n:
        return {}
    xs = [
        w
        for w in draw.women
        if w.home == LOWERCASE_X_COMMUNITY and w.id18.endswith("X") and w.uid not in draw.used and seen(w)
    ]
    if not xs:  # make one: re-draw the ID of a woman until it ends in X
        w = draw.choose(seen, LOWERCASE_X_COMMUNITY)
        while not w.id18.endswith("X"):
            w.id18 = ids.person_id(w.id18[:6])
        xs = [w]
    w = xs[0]
    draw.used.add(w.uid)
    w.roster_id = w.id18[:17] + "x"
    w.defects.append("末位小写x")
    return {"lowercase_x": (w.name, w.roster_id, w.id18)}


def _old_15_digit_id(draw: _Draw, n: int, seen: Callable[[Woman], bool]) -> dict[str, Any]:
    if OLD_15_DIGIT_ID_COMMUNITY >= n:
        return {}
    w = draw.choose(lambda w: w.id18[6:10] < "2000" and seen(w) and bool(w.nt), OLD_15_DIGIT_ID_COMMUNITY)
    w.roster_id = w.id18[:6] + w.id18[8:17]
    w.defects.append("15位旧身份证号")
    return {"old_15_digit": (w.name, w.roster_id, w.id18)}


def _full_width_id(draw: _Draw, n: int, seen: Callable[[Woman], bool]) -> dict[str, Any]:
    if FULL_WIDTH_ID_COMMUNITY >= n:
        return {}
    w = draw.choose(seen, FULL_WIDTH_ID_COMMUNITY)
    w.roster_id = full_width(w.id18)
    w.defects.append("全角数字")
    return {"full_width": (w.name, w.roster_id, w.id18)}


def _full_width_space_in_name(draw: _Draw, n: int, seen: Callable[[Woman], bool]) -> dict[str, Any]:
    if TRADITIONAL_COMMUNITY >= n:
        return {}
    w = draw.choose(lambda w: len(w.name) == 2 and seen(w), TRADITIONAL_COMMUNITY)
    w.roster_name = w.name[0] + "\u3000" + w.name[1]
    w.defects.append("姓名中间有全角空格")
    return {"name_full_width_space": (w.roster_name, w.name)}


def _manual_merge(
    draw: _Draw, ids: Ids, communities: tuple[Community, ...], year: int, seen: Callable[[Woman], bool]
) -> tuple[list[Entry], dict[str, Any]]:
    """No ID on the roster, a new phone at the health centre: the office merges her by hand."""
    if MERGE_COMMUNITY >= len(communities):
        return [], {}
    w = draw.choose(lambda w: bool(w.nt) and seen(w), MERGE_COMMUNITY)
    w.roster_id = ""
    w.log_phone = ids.phone()
    w.defects.append("花名册无身份证号，卫生院登记新手机号")
    entry = {
        "登记类型": "人工合并",
        "社区": communities[MERGE_COMMUNITY].name,
        "姓名": w.name,
        "身份证号": "",
        "联系电话": w.phone,
        "日期": min(w.nt[0] + dt.timedelta(days=12), dt.date(year, 12, 31)),
        "合并到身份证号": w.id18,
        "备注": f"花名册未填身份证号；卫生院登记手机号为{w.log_phone}，经核实为同一人",
    }
    return [entry], {"manual_merge": (w.name, w.phone, w.log_phone, w.id18)}


def _unverified_self_reports(
    draw: _Draw, n: int, year: int, seen: Callable[[Woman], bool]
) -> list[tuple[str, str, dt.date]]:
    """新华's roster columns: one woman says she had NT, one gives a serum date; neither is logged."""
    if SELF_REPORT_COMMUNITY >= n:
        return []
    w = draw.choose(
        lambda w: (
            not w.nt
            and seen(w)
            and dt.date(year, 5, 1) <= w.lmp + dt.timedelta(days=90) <= dt.date(year, 11, 1)
        ),
        SELF_REPORT_COMMUNITY,
    )
    w.self_nt_from = w.lmp + dt.timedelta(days=90)
    w.defects.append("自报已做NT但卫生院无记录")
    nt = (w.name, "nt", w.self_nt_from)
    w = draw.choose(
        lambda w: (
            not w.serum
            and seen(w)
            and dt.date(year, 5, 1) <= w.lmp + dt.timedelta(days=120) <= dt.date(year, 11, 1)
        ),
        SELF_REPORT_COMMUNITY,
    )
    w.self_serum = shift_sunday(w.lmp + dt.timedelta(days=120))
    w.defects.append("自报血清学筛查日期但卫生院无记录")
    return [nt, (w.name, "serum", w.self_serum)]


# ---------------------------------------------------------------------------------------------
# Women on two communities' rosters, and screened women on none.


def _conflicts(draw: _Draw, communities: tuple[Community, ...], year: int) -> list[Conflict]:
    """The same woman on two communities' rosters for a while (``ROSTER_CONFLICTS``)."""
    conflicts: list[Conflict] = []
    for home, other, frm, to in ROSTER_CONFLICTS:
        if max(home, other) >= len(communities):
            continue
        start, stop = dt.date(year, *frm), dt.date(year, *to)
        w = draw.choose(_listed_through(start, stop), home)
        conflicts.append((w, other, start, stop))
        w.defects.append(f"同时在{communities[other].name}花名册")
    return conflicts


def _unrostered(settings: Settings, seed: int, ids: Ids, first_uid: int) -> list[Woman]:
    """Women screened but on no roster: some with a community in their log address (漏报), some
    with none; numbered from ``first_uid``."""
    year = settings.programme.end.year
    communities = settings.communities
    extra: list[Woman] = []
    for i in range(UNROSTERED_WITH_COMMUNITY + UNROSTERED_WITHOUT_COMMUNITY):
        where = i % min(len(communities), 4) if i < UNROSTERED_WITH_COMMUNITY else None
        w = new_woman(first_uid + i, where if where is not None else 0, False, seed, year, communities, ids)
        er = random.Random(f"{seed}:unrostered:{i}")
        w.lmp = dt.date.fromordinal(
            er.randint(dt.date(year, 1, 20).toordinal(), dt.date(year, 8, 10).toordinal())
        )
        if where is None:
            w.home = None
            w.log_address = _address_naming_no_community(er, i - UNROSTERED_WITH_COMMUNITY)
        else:
            c = communities[where]
            w.log_address = f"{c.name}{er.randint(1, 12)}组" if er.random() < 0.7 else c.name
        w.nt = [shift_sunday(w.lmp + dt.timedelta(days=er.randint(78, 95)))] if er.random() < 0.85 else []
        w.serum = [shift_sunday(_serum_day(er, w.lmp, w.nt[0] if w.nt else None))]
        w.nt = [d for d in w.nt if d <= dt.date(year, 12, 31)]
        w.serum = [d for d in w.serum if d <= dt.date(year, 12, 31)]
        w.dropped = dt.date(year, 1, 1)
        extra.append(w)
    return extra


def _address_naming_no_community(er: random.Random, i: int) -> str:
    """The ``i``-th such address: a road whose name is also a community's (新华路), a village, none, a road."""
    choices = ("新华路128号", f"{er.choice(OTHER_PLACES)}", "", f"{er.choice(ROADS)}{er.randint(1, 200)}号")
    return choices[i] if i < 4 else ""


# ---------------------------------------------------------------------------------------------
# The office's register.


def _diagnosis_entries(
    flagged: list[Screening], communities: tuple[Community, ...], year: int
) -> list[Entry]:
    """The prenatal diagnosis of the first flagged woman (none when no result was flagged)."""
    if not flagged:
        return []
    s = flagged[0]
    return [
        {
            "登记类型": "产前诊断结果",
            "社区": communities[s.woman.home].name if s.woman.home is not None else "",
            "姓名": s.woman.name,
            "身份证号": s.woman.id18,
            "联系电话": s.woman.phone,
            "日期": min(s.date + dt.timedelta(days=24), dt.date(year, 12, 31)),
            "产前诊断结果": "羊水穿刺：胎儿染色体核型未见异常",
            "备注": "南阳市中心医院产前诊断中心",
        }
    ]


def _paper_receipts(
    communities: tuple[Community, ...], subs: list[Submission], rng: random.Random
) -> list[Entry]:
    """Each community's signed and stamped paper roster, received a few days after its first submission."""
    entries = []
    for index, c in enumerate(communities):
        first = min((s for s in subs if s.community == index), key=lambda s: s.date)
        entries.append(
            {
                "登记类型": "纸质花名册",
                "社区": c.name,
                "日期": first.date + dt.timedelta(days=rng.choice((0, 1, 1, 2, 3))),
                "备注": "支部书记签字盖章的纸质花名册已收",
            }
        )
    return entries
