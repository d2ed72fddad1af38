"""The demo's fake population: names, resident IDs, phones, addresses, last menstrual periods.

``new_woman`` draws one ``Woman`` from a ``random.Random`` seeded by the demo's seed and her
number, plus the shared ``Ids`` (which keeps IDs and phone numbers unique); ``PROFILES`` gives each
community's size and screening habits. Nothing here decides who is screened or which defects she
carries (``plan.py`` does), and nothing is written.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Sequence
from dataclasses import dataclass, field

from pipeline.settings import Community

SURNAMES = (
    "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗梁宋郑谢韩唐冯于董程曹袁邓许傅沈曾彭吕苏卢蒋蔡贾丁魏薛叶"
    "余潘杜戴夏钟汪田任姜范方石姚谭廖邹熊金陆郝孔白崔康毛邱秦江史顾侯邵孟龙万段雷钱汤尹黎易常武乔贺赖龚文"
)
GIVEN_SINGLE = "芳娜敏静丽艳娟霞燕玲丹萍红婷雪琳洁倩颖慧晶佳莉蕾梅兰英琴云薇"
GIVEN_FIRST = "晓雅佳欣梦思雨俊丽春秋海亚文金玉美瑞新凤向爱桂秀"
GIVEN_SECOND = "丽娟燕玲婷霞静敏红琳洁倩颖慧晶莉蕾雪萍丹华芳娜月"

HOME_AREA = "411328"  # 唐河县
OTHER_AREAS = (
    "411302",  # 宛城区
    "411303",  # 卧龙区
    "411381",  # 邓州市
    "411321",  # 南召县
    "411330",  # 桐柏县
    "411329",  # 新野县
    "411327",  # 社旗县
    "410184",  # 新郑市
    "411722",  # 上蔡县
    "411502",  # 浉河区
)
ROADS = ("建设路", "人民路", "解放路", "新华路", "滨河路", "文峰路", "友兰大道", "工业路", "红旗路")
ESTATES = ("幸福小区", "锦绣家园", "滨河花园", "阳光小区", "教育小区", "丽景苑")
OTHER_PLACES = ("城郊乡王庄村", "桐河乡李湾村", "湖阳镇", "上屯镇前街")

ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"


def id_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID (GB 11643)."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def full_width(text: str) -> str:
    """``text`` with its ASCII digits as full-width digits (０-９)."""
    return "".join(chr(ord(c) + 0xFEE0) if "0" <= c <= "9" else c for c in text)


# ---------------------------------------------------------------------------------------------
# Programme-level shape of each community (by position in the settings).


@dataclass(frozen=True)
class Profile:
    women: int
    rates: tuple[float, ...]  # probability of screening, by month of the target date (1..12)
    drops_delivered: bool = True
    story: str = ""  # the community's year, for the demo's README


PROFILES: tuple[Profile, ...] = (
    # 新民: steady and good all year.
    Profile(130, (0.9,) * 12, story="全年进度较好"),
    # 新安: slow in spring (behind in April-May), then catches up and meets its quota.
    Profile(
        150,
        (0.75, 0.7, 0.62, 0.62, 0.7, 0.95, 0.97, 0.97, 0.97, 0.97, 0.97, 0.97),
        story="春季进度落后，6月起赶上并完成全年任务",
    ),
    # 新华: good in spring, slips in early summer (behind for a few periods), then recovers.
    Profile(
        140,
        (0.92, 0.92, 0.92, 0.92, 0.8, 0.55, 0.95, 0.97, 0.97, 0.97, 0.97, 0.97),
        story="6—7月进度落后，秋季恢复并完成全年任务",
    ),
    # 常花园: on target until summer, then slips and ends clearly below its quota.
    Profile(
        128,
        (0.92, 0.92, 0.92, 0.92, 0.92, 0.92, 0.92, 0.88, 0.75, 0.65, 0.6, 0.6),
        story="上半年接近序时进度，8月后落后，年底未完成任务",
    ),
    # 银华: small, close to its target, keeps delivered women on its roster.
    Profile(34, (0.9,) * 12, drops_delivered=False, story="规模较小，接近序时进度；已分娩的孕妇仍留在花名册上"),
)


def kind_of(community: int) -> int:
    """Which of the five demo communities a community (by position) imitates: its size, habits,
    roster template and submission timing."""
    return community % len(PROFILES)


def profile_of(community: int) -> Profile:
    return PROFILES[kind_of(community)]


# ---------------------------------------------------------------------------------------------
# A woman.


@dataclass
class Woman:
    uid: int
    name: str
    id18: str
    phone: str
    home: int | None  # community index; None: lives in no community of the sub-district
    lmp: dt.date
    reg: dt.date
    delivery: dt.date
    residence: str
    address: str  # as the community writes it
    log_address: str  # as the health centre writes it
    rostered: bool = True
    dropped: dt.date = dt.date(2099, 1, 1)  # not listed on rosters dated on or after this day
    nt: list[dt.date] = field(default_factory=list)
    serum: list[dt.date] = field(default_factory=list)
    serum_result: str = "低风险"
    closure: tuple[str, dt.date] | None = None
    # presentation on the community's roster (persistent across submissions)
    roster_name: str = ""
    roster_id: str = ""
    date_mode: str = "both"  # both | lmp | edd | weeks
    text_style: int = 0
    weeks_style: int = 0
    note: str = ""
    log_phone: str = ""
    self_nt_from: dt.date | None = None  # a self-report without a log record
    self_serum: dt.date | None = None
    defects: list[str] = field(default_factory=list)

    @property
    def edd(self) -> dt.date:
        return self.lmp + dt.timedelta(days=280)


class Ids:
    """Unique resident IDs and mobile numbers, drawn from one shared generator."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.ids: set[str] = set()
        self.phones: set[str] = set()

    def person_id(self, area: str, born_from: int = 1980, born_to: int = 2000) -> str:
        while True:
            start = dt.date(born_from, 1, 1).toordinal()
            end = dt.date(born_to, 12, 31).toordinal()
            birth = dt.date.fromordinal(self.rng.randint(start, end))
            seq = f"{self.rng.randint(0, 99):02d}{self.rng.choice('02468')}"
            first17 = f"{area}{birth:%Y%m%d}{seq}"
            value = first17 + id_check_digit(first17)
            if value not in self.ids:
                self.ids.add(value)
                return value

    def phone(self) -> str:
        while True:
            value = (
                "1" + self.rng.choice("3456789") + "".join(self.rng.choice("0123456789") for _ in range(9))
            )
            if value not in self.phones:
                self.phones.add(value)
                return value


def new_woman(
    uid: int,
    home: int | None,
    rostered: bool,
    seed: int,
    year: int,
    communities: Sequence[Community],
    ids: Ids,
) -> Woman:
    """Woman number ``uid``, living in community ``home`` (an index; None: no address of hers is
    drawn), pregnant in ``year``, with her roster presentation (name, date columns, note)."""
    wr = random.Random(f"{seed}:woman:{uid}")
    residence = "流动" if wr.random() < 0.15 else "常住"
    area = wr.choice(OTHER_AREAS) if residence == "流动" or wr.random() < 0.06 else HOME_AREA
    lmp = _lmp(wr, year)
    reg_days = wr.randint(35, 84) if wr.random() < 0.88 else wr.randint(85, 140)
    reg = min(lmp + dt.timedelta(days=reg_days), dt.date(year, 12, 20))
    delivery = lmp + dt.timedelta(days=280 + wr.randint(-16, 7))
    if home is not None:
        c = communities[home]
        address = _community_address(wr, c)
        log_address = _log_address(wr, c, address)
    else:
        address = log_address = ""
    w = Woman(
        uid=uid,
        name=_name(wr),
        id18=ids.person_id(area),
        phone=ids.phone(),
        home=home,
        lmp=lmp,
        reg=reg,
        delivery=delivery,
        residence=residence,
        address=address,
        log_address=log_address,
        rostered=rostered,
    )
    w.log_phone = w.phone
    w.roster_name = w.name
    w.roster_id = w.id18
    _present_on_roster(w, wr)
    return w


def _present_on_roster(w: Woman, wr: random.Random) -> None:
    """How her community writes her: date columns, text styles, a note, stray spaces in her name."""
    w.text_style = wr.randrange(5)
    w.weeks_style = wr.randrange(6)
    roll = wr.random()
    w.date_mode = "both" if roll < 0.62 else "lmp" if roll < 0.72 else "edd" if roll < 0.86 else "weeks"
    if wr.random() < 0.04:
        w.note = wr.choice(("二孩", "外出务工", "高龄", "头胎"))
    if wr.random() < 0.035:
        w.roster_name = wr.choice((" ", "  ")) + w.name if wr.random() < 0.5 else w.name + " "
        w.defects.append("姓名前后有空格")


def _name(rng: random.Random) -> str:
    weights = [max(1.0, 30.0 - i) for i in range(len(SURNAMES))]
    surname = rng.choices(SURNAMES, weights=weights)[0]
    if rng.random() < 0.35:
        return surname + rng.choice(GIVEN_SINGLE)
    return surname + rng.choice(GIVEN_FIRST) + rng.choice(GIVEN_SECOND)


def _community_address(rng: random.Random, c: Community) -> str:
    roll = rng.random()
    if roll < 0.55:
        return f"{c.name}{rng.randint(1, 12)}组"
    if roll < 0.8:
        return f"{c.name}{rng.choice(ESTATES)}{rng.randint(1, 18)}号楼"
    return f"{rng.choice(ROADS)}{rng.randint(1, 260)}号"


def _log_address(rng: random.Random, c: Community, roster_address: str) -> str:
    roll = rng.random()
    if roll < 0.5:
        return roster_address
    if roll < 0.8:
        return f"{c.name}{rng.randint(1, 12)}组"
    if roll < 0.9:
        return f"{rng.choice(ROADS)}{rng.randint(1, 260)}号"
    return ""


def _lmp(rng: random.Random, year: int) -> dt.date:
    """Pregnancies begin evenly through the year, as in a programme that has been running since
    January: from mid-September of the year before (serum screenings in January) to early October
    (NT screenings in December), so that NT and serum volumes are even over the year."""
    lo, hi = dt.date(year - 1, 9, 15), dt.date(year, 10, 10)
    return dt.date.fromordinal(rng.randint(lo.toordinal(), hi.toordinal()))
