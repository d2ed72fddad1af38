"""The communities' rosters (已孕对象花名册): one submission of one community as sheets.

``roster_sheets(demo, submission)`` lists the women the community has on its roster that day, in
that community's own template (title rows or none, one- or two-row header, dates as dates or typed
as text, gestational weeks, a 合计 footer, a community column, an instructions sheet) with the
defects of ``defects.py`` that belong to the submission (a duplicated row, IDs pasted as numbers).
Pure: reads the built ``Demo``, never changes it; nothing is written here (``files.py`` does).
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass

from pipeline.demo.defects import (
    DUPLICATE_ROW_FILE,
    FLOAT_ID_COUNT,
    FLOAT_ID_FILE,
    INSTRUCTION_SHEET,
    TRADITIONAL_FROM,
)
from pipeline.demo.files import Sheet, Value, date_text
from pipeline.demo.people import Woman, kind_of
from pipeline.demo.plan import Demo
from pipeline.demo.schedule import Submission
from pipeline.settings import Community

TRADITIONAL = str.maketrans({"园": "園", "区": "區", "华": "華", "银": "銀", "对": "對", "册": "冊"})


def roster_sheets(demo: Demo, sub: Submission) -> list[Sheet]:
    """The sheets of ``sub``, in the template of its community."""
    return _TEMPLATES[kind_of(sub.community)](_Roster.of(demo, sub))


def listed(demo: Demo, index: int, on: dt.date) -> list[Woman]:
    """The women a community lists on its roster dated ``on``."""
    out = [w for w in demo.women if w.home == index and w.rostered and w.reg <= on < w.dropped]
    for w, other, start, stop in demo.conflicts:
        if other == index and start <= on <= stop and w.reg <= on < w.dropped:
            out.append(w)
    return sorted(out, key=lambda w: (w.reg, w.uid))


def duplicated_woman(demo: Demo, sub: Submission) -> Woman | None:
    """The woman listed twice in ``DUPLICATE_ROW_FILE`` (新民's template); None in any other submission."""
    if kind_of(sub.community) != 0 or sub.filename != DUPLICATE_ROW_FILE:
        return None
    women = listed(demo, sub.community, sub.date)
    if not women:
        return None
    return random.Random(f"{demo.seed}:dup").choice(women[: max(1, len(women) // 2)])


def float_id_women(demo: Demo, sub: Submission) -> list[Woman] | None:
    """The women whose ID is pasted as a number in ``FLOAT_ID_FILE`` (新华's template), in roster
    order; None for any other submission."""
    if kind_of(sub.community) != 2 or sub.filename != FLOAT_ID_FILE:
        return None
    women = listed(demo, sub.community, sub.date)
    pool = [w for w in women if not w.id18.endswith("X") and not w.defects]
    floats = {w.uid for w in random.Random(f"{demo.seed}:float").sample(pool, min(FLOAT_ID_COUNT, len(pool)))}
    return [w for w in women if w.uid in floats]


@dataclass(frozen=True)
class _Roster:
    """One submission: the demo, the submission, its community, its date and the women it lists."""

    demo: Demo
    sub: Submission
    community: Community
    women: list[Woman]

    @classmethod
    def of(cls, demo: Demo, sub: Submission) -> _Roster:
        return cls(demo, sub, demo.settings.communities[sub.community], listed(demo, sub.community, sub.date))

    @property
    def date(self) -> dt.date:
        return self.sub.date

    @property
    def year(self) -> int:
        return self.demo.settings.programme.end.year

    def address(self, w: Woman) -> str:
        if w.home != self.sub.community:  # a conflict: she gave another address here
            r = random.Random(f"{self.demo.seed}:conflict:{w.uid}")
            return f"{self.community.name}{r.randint(1, 12)}组"
        return w.address

    @staticmethod
    def lmp_edd(w: Woman) -> tuple[dt.date | None, dt.date | None]:
        """Her LMP and EDD cells, as her community writes them (one of them may be left out)."""
        mode = w.date_mode if w.date_mode != "weeks" else "both"
        return (w.lmp if mode in ("both", "lmp") else None, w.edd if mode in ("both", "edd") else None)


def _cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _weeks_value(w: Woman, style: int) -> str | int:
    days = (w.reg - w.lmp).days
    weeks, rest = divmod(days, 7)
    if style in (0, 1, 2):
        return weeks
    if style in (3, 4):
        return f"{weeks}+{rest}"
    return f"{weeks}周"


# ---------------------------------------------------------------------------------------------
# The five templates, by community position (see people.PROFILES).


def _xinmin(r: _Roster) -> list[Sheet]:
    """新民: two title rows, one header row, dates as dates; one submission lists a woman twice."""
    header = [
        "序号",
        "姓名",
        "身份证号",
        "联系电话",
        "末次月经",
        "预产期",
        "户籍类型",
        "现住址",
        "登记日期",
        "备注",
    ]
    listing = list(r.women)
    dup = duplicated_woman(r.demo, r.sub)
    if dup is not None:
        listing.insert(listing.index(dup) + 1, dup)
    rows: list[list[Value] | None] = []
    for i, w in enumerate(listing, 1):
        lmp, edd = r.lmp_edd(w)
        rows.append(
            [i, w.roster_name, w.roster_id, w.phone, lmp, edd, w.residence, r.address(w), w.reg, w.note]
        )
    name = r.community.name
    return [
        Sheet(
            "Sheet1",
            [header],
            rows,
            titles=[f"泗洲街道{name}已孕对象花名册", f"填报单位：{name}    填报日期：{_cn_date(r.date)}"],
            text_cols=frozenset({2, 3}),
            date_format="yyyy-mm-dd",
            widths={1: 10, 2: 21, 3: 14, 7: 26},
        )
    ]


def _xinan(r: _Roster) -> list[Sheet]:
    """新安: three title rows, dates typed as text, 孕周; blank rows from July and a 合计 footer."""
    header = [
        "序号",
        "孕妇姓名",
        "身份证号码",
        "手机号",
        "现住址",
        "末次月经时间",
        "孕周",
        "登记日期",
        "户籍类型",
    ]
    rows: list[list[Value] | None] = []
    for i, w in enumerate(r.women, 1):
        weeks_only = w.date_mode in ("weeks", "edd")
        lmp_text = "" if weeks_only else date_text(w.lmp, w.text_style)
        reg_text = date_text(w.reg, (w.text_style + 2) % 5)
        rows.append(
            [
                i,
                w.roster_name,
                w.roster_id,
                w.phone,
                r.address(w),
                lmp_text,
                _weeks_value(w, w.weeks_style),
                reg_text,
                w.residence,
            ]
        )
    if r.date >= dt.date(r.year, 7, 1) and len(rows) > 20:
        rows[12:12] = [None, None]
    name = r.community.name
    return [
        Sheet(
            "已孕花名册",
            [header],
            rows,
            titles=[f"{name}已孕对象花名册", f"填报单位：{name}（盖章）", f"填报日期：{_cn_date(r.date)}"],
            footer=[["合计", f"{len(r.women)}人"]],
            text_cols=frozenset({2, 3, 5, 7}),
            widths={1: 10, 2: 21, 3: 14, 4: 26, 5: 14, 7: 14},
        )
    ]


def _xinhua(r: _Roster) -> list[Sheet]:
    """新华: a two-row merged header with self-reported screening columns (是否NT筛查,
    血清学筛查日期, filled in three days after the event); one submission pastes IDs as numbers."""
    top: list[str | None] = ["序号", "基本信息", None, None, None, "孕情", None, "筛查情况", None, "备注"]
    sub_header: list[str | None] = [
        None,
        "姓名",
        "身份证号",
        "联系电话",
        "现住址",
        "末次月经",
        "预产期",
        "是否NT筛查",
        "血清学筛查日期",
        None,
    ]
    floats = {w.uid for w in float_id_women(r.demo, r.sub) or []}
    rows: list[list[Value] | None] = []
    for i, w in enumerate(r.women, 1):
        lmp, edd = r.lmp_edd(w)
        nt_done, serum_cell = _self_reported(w, r.date)
        id_cell: Value = float(w.roster_id) if w.uid in floats else w.roster_id
        rows.append([i, w.roster_name, id_cell, w.phone, r.address(w), lmp, edd, nt_done, serum_cell, w.note])
    return [
        Sheet(
            "花名册",
            [top, sub_header],
            rows,
            titles=[f"泗洲街道{r.community.name}已孕对象花名册", f"填报日期：{_cn_date(r.date)}"],
            merges=[(0, 0, 1, 0), (0, 1, 0, 4), (0, 5, 0, 6), (0, 7, 0, 8), (0, 9, 1, 9)],
            text_cols=frozenset({2, 3}),
            date_format='yyyy"年"m"月"d"日"',
            widths={2: 21, 3: 14, 4: 26, 5: 15, 6: 15, 8: 15},
        )
    ]


def _self_reported(w: Woman, on: dt.date) -> tuple[str, Value]:
    """Her 是否NT筛查 and 血清学筛查日期 cells on a roster dated ``on``: what the community learnt
    (from the health centre or from her) at least three days before."""
    lag = dt.timedelta(days=3)
    nt_done = (bool(w.nt) and min(w.nt) + lag <= on) or (
        w.self_nt_from is not None and w.self_nt_from + lag <= on
    )
    serum_day = min(w.serum) if w.serum else w.self_serum
    serum_cell: Value = serum_day if serum_day is not None and serum_day + lag <= on else None
    return "是" if nt_done else "否", serum_cell


def _changhuayuan(r: _Roster) -> list[Sheet]:
    """常花园: no title, a community column (its short name; in Traditional characters from
    ``TRADITIONAL_FROM``), dates as dates."""
    header = ["序号", "社区", "姓名", "证件号码", "联系电话", "末次月经", "预产期", "现住址", "户籍类型"]
    c = r.community
    label = (
        c.name.translate(TRADITIONAL) if r.date >= dt.date(r.year, *TRADITIONAL_FROM) else (c.short or c.name)
    )
    rows: list[list[Value] | None] = []
    for i, w in enumerate(r.women, 1):
        lmp, edd = r.lmp_edd(w)
        rows.append([i, label, w.roster_name, w.roster_id, w.phone, lmp, edd, r.address(w), w.residence])
    return [
        Sheet(
            "Sheet1",
            [header],
            rows,
            text_cols=frozenset({3, 4}),
            date_format="yyyy/m/d",
            widths={3: 21, 4: 14, 7: 26},
        )
    ]


def _yinhua(r: _Roster) -> list[Sheet]:
    """银华: a community column (now and then its variant name), dates typed as text, 孕周, and a
    second sheet of instructions."""
    header = [
        "序号",
        "所属社区",
        "姓名",
        "身份证号",
        "电话",
        "末次月经",
        "孕周",
        "登记日期",
        "家庭住址",
        "备注",
    ]
    c = r.community
    variant = c.variants[0] if c.variants else c.name
    rows: list[list[Value] | None] = []
    for i, w in enumerate(r.women, 1):
        style = (2, 2, 4, 3, 2)[w.text_style]
        lmp_text = "" if w.date_mode == "weeks" else date_text(w.lmp, style)
        label = variant if w.uid % 5 == 0 else c.name
        rows.append(
            [
                i,
                label,
                w.roster_name,
                w.roster_id,
                w.phone,
                lmp_text,
                _weeks_value(w, w.weeks_style),
                date_text(w.reg, style),
                r.address(w),
                w.note,
            ]
        )
    roster = Sheet(
        "花名册",
        [header],
        rows,
        titles=[f"{c.name}已孕对象花名册"],
        text_cols=frozenset({3, 4, 5, 7}),
        widths={3: 21, 4: 14, 8: 26},
    )
    return [roster, _instructions()]


def _instructions() -> Sheet:
    return Sheet(
        INSTRUCTION_SHEET,
        [],
        [],
        lines=[
            "填表说明",
            "1. 本表填报辖区内所有已孕对象（含常住人口和外来务工半年以上人员）。",
            "2. 身份证号请填写18位号码，单元格设置为文本格式，不要写成科学计数法。",
            "3. 末次月经不详的，请填写孕周和登记日期。",
            "4. 每月8日、18日、28日前报送更新名单，已分娩、流产、迁出的请在备注中注明。",
            "5. 纸质版须经社区支部书记签字并加盖公章。",
        ],
    )


_TEMPLATES: tuple[Callable[[_Roster], list[Sheet]], ...] = (_xinmin, _xinan, _xinhua, _changhuayuan, _yinhua)
