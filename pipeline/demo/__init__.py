"""A deterministic generator of a realistic, messy demo input folder (fake people only).

``generate_demo(out_dir, settings, seed)`` writes one programme year of submissions as an office
receives them: the communities' rosters (已孕对象花名册, one file per submission, each community with
its own messy template), the health centre's screening logs (卫生院), the quota table (任务分配表), the
office's own register (办事处登记) and a short README. Everything is drawn from ``random.Random``
instances seeded from ``seed`` (no global random state, no clock), and the xlsx document properties
are fixed, so the same seed gives byte-identical files.

The intentional defects are listed in the module-level constants below, and ``demo_truth`` returns
the ground truth of a generation (files and their data-row counts, which women carry which defect,
the screenings by construction) without writing anything, for the reader's end-to-end tests.

The demo follows the Sizhou 2020 configuration (five communities, in the order of ``config.toml``);
with other settings the communities are taken by position and the defects keep their positions.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import xlsxwriter

from pipeline.settings import Community, Settings

# ---------------------------------------------------------------------------------------------
# The intentional defects (for the default configuration; community index = position in config).

#: Roster file where two IDs were pasted as numbers (they show as 4.11328199E+17 in Excel).
FLOAT_ID_FILE = "新华社区花名册-0608.xlsx"
FLOAT_ID_COUNT = 2
#: Roster rows whose ID has a wrong check digit, as (community index, how many); they persist in
#: every submission of that community that lists the woman (the community never corrects them).
BAD_CHECKSUM_IDS: tuple[tuple[int, int], ...] = ((0, 1), (2, 1), (3, 1))
#: Community whose rosters carry one 15-digit (pre-1999) ID, one full-width-digit ID.
OLD_15_DIGIT_ID_COMMUNITY = 1
FULL_WIDTH_ID_COMMUNITY = 1
#: Community whose rosters write one ID ending in a lowercase x.
LOWERCASE_X_COMMUNITY = 0
#: Roster file with the same woman on two rows.
DUPLICATE_ROW_FILE = "新民社区已孕对象花名册20200618.xlsx"
#: Excel's owner (lock) file left in the folder: it must be ignored.
LOCK_FILE = "~$新民社区花名册.xlsx"
LOCK_FILE_SIZE = 165
#: CSV rosters: GBK without BOM, and UTF-8 with BOM.
GBK_CSV_FILE = "常花园社区花名册0528.csv"
UTF8_BOM_CSV_FILE = "银华社区花名册20200912.csv"
#: Community whose rosters have a two-row merged header and self-reported screening columns
#: (是否NT筛查, 血清学筛查日期); two self-reports there have no record in the health centre's logs.
SELF_REPORT_COMMUNITY = 2
UNVERIFIED_SELF_REPORTS = 2
#: Community whose rosters have blank rows in the middle (from July) and a 合计 row at the bottom.
SUBTOTAL_COMMUNITY = 1
#: Community whose rosters write the community name in Traditional characters (from September).
TRADITIONAL_COMMUNITY = 3
TRADITIONAL_FROM = (9, 1)
#: Community whose workbooks carry a second sheet 填表说明 (instructions, no table).
INSTRUCTION_SHEET_COMMUNITY = 4
INSTRUCTION_SHEET = "填表说明"
#: Missed and late roster submissions: {community index: [(month, day) of the due date]} and
#: {community index: {(month, day) of the due date: days late}}.
MISSED_SUBMISSIONS: dict[int, tuple[tuple[int, int], ...]] = {2: ((7, 18),)}
LATE_SUBMISSIONS: dict[int, dict[tuple[int, int], int]] = {
    3: {(8, 28): 1},
    4: {
        (4, 18): 3,
        (5, 8): 2,
        (6, 8): 4,
        (7, 8): 1,
        (8, 18): 3,
        (9, 8): 4,
        (10, 18): 2,
        (11, 8): 5,
        (12, 8): 1,
    },
}
#: Women on two communities' rosters: (home community, other community, (month, day) from, to).
ROSTER_CONFLICTS: tuple[tuple[int, int, tuple[int, int], tuple[int, int]], ...] = (
    (0, 1, (7, 1), (12, 31)),
    (3, 2, (5, 10), (6, 30)),
)
#: Screening logs.
NT_LOG_FILE = "卫生院超声NT筛查登记2020.xlsx"
NT_LOG_SHEETS = ("一季度", "二季度", "三季度", "四季度")
SERUM_LOG_FILE = "血清学筛查登记表2020.xlsx"
HIS_EXPORT_FILE = "卫生院系统导出0630.xls"
HIS_EXPORT_FROM = (6, 16)
HIS_EXPORT_TO = (6, 30)
HIS_EXPORT_SHARED = 5  # serum screenings in the export that are also in the serum log
HIS_EXPORT_ONLY = 3  # serum screenings only in the export
IMPOSSIBLE_DATE_TEXT = "2020-02-30"  # one NT log row (sheet 一季度)
LOG_ID_TYPOS = 3  # log rows with a mistyped ID (wrong check digit), correct name + phone
NT_REPEATS = 4  # women screened twice for NT
SERUM_REPEATS = 2
SERUM_HIGH_RISK = 3
SERUM_BORDERLINE = 2
UNROSTERED_WITH_COMMUNITY = 6  # screened, on no roster, address names a community (漏报)
UNROSTERED_WITHOUT_COMMUNITY = 4  # screened, on no roster, address names no community
QUOTA_FILE = "任务分配表.xlsx"
REGISTER_FILE = "办事处登记.xlsx"
README_FILE = "README.txt"
#: Register entries closing a case: (community index, reason).
CLOSURES: tuple[tuple[int, str], ...] = (
    (0, "流产"),
    (4, "流产"),
    (1, "迁出"),
    (1, "外院已筛"),
    (3, "外院已筛"),
    (3, "拒检"),
    (0, "分娩"),
)
#: The manual merge: a woman on this community's rosters without ID (name + phone), screened under
#: her ID with a new phone number.
MERGE_COMMUNITY = 4

TEST_NAMES = {"nt": "超声NT筛查", "serum": "血清学筛查"}

# ---------------------------------------------------------------------------------------------
# Fake people.

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

TRADITIONAL = str.maketrans({"园": "園", "区": "區", "华": "華", "银": "銀", "对": "對", "册": "冊"})


def id_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2 check character of the first 17 digits of a resident ID (GB 11643)."""
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def _full_width(text: str) -> str:
    return "".join(chr(ord(c) + 0xFEE0) if "0" <= c <= "9" else c for c in text)


# ---------------------------------------------------------------------------------------------
# Programme-level shape of each community (by position in the settings).


@dataclass(frozen=True)
class Profile:
    women: int
    rates: tuple[float, ...]  # probability of screening, by month of the target date (1..12)
    drops_delivered: bool = True


PROFILES: tuple[Profile, ...] = (
    # 新民: steady and good all year.
    Profile(112, (0.88,) * 12),
    # 新安: slow start (lags in spring), then improves and meets its quota.
    Profile(122, (0.6, 0.6, 0.6, 0.5, 0.5, 0.65, 0.85, 0.98, 0.98, 0.98, 0.98, 0.98)),
    # 新华: lags three periods in a row in April-May, then recovers.
    Profile(112, (0.8, 0.8, 0.8, 0.35, 0.3, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95, 0.95)),
    # 常花园: fair in spring, slips in summer and ends clearly below its quota.
    Profile(86, (0.75, 0.75, 0.75, 0.75, 0.75, 0.6, 0.5, 0.45, 0.5, 0.55, 0.55, 0.55)),
    # 银华: small, keeps delivered women on its roster.
    Profile(36, (0.6,) * 12, drops_delivered=False),
)


# ---------------------------------------------------------------------------------------------
# The model.


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


@dataclass
class Screening:
    woman: Woman
    test: str  # "nt" | "serum"
    date: dt.date
    result: str = "低风险"
    id_text: str = ""
    date_text: str = ""  # overrides the date (an impossible date typed as text)
    in_log: bool = True  # in the NT or serum log
    in_his: bool = False  # in the health information system's export
    repeat: bool = False


@dataclass
class Submission:
    community: int
    due: dt.date
    date: dt.date
    filename: str
    fmt: str  # xlsx | csv-gbk | csv-utf8


@dataclass
class Demo:
    settings: Settings
    seed: int
    women: list[Woman]
    screenings: list[Screening]
    submissions: list[Submission]
    missed: list[tuple[int, dt.date]]
    conflicts: list[tuple[Woman, int, dt.date, dt.date]]
    register: list[dict[str, Any]]
    truth: dict[str, Any] = field(default_factory=dict)


# ---------------------------------------------------------------------------------------------
# Sheets as data, then written.

Value = str | int | float | dt.date | None


@dataclass
class Sheet:
    name: str
    header: Sequence[Sequence[str | None]]
    rows: list[list[Value] | None]  # None: a blank row
    titles: list[str] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # within the header rows
    footer: list[list[Value]] = field(default_factory=list)
    text_cols: frozenset[int] = frozenset()
    date_format: str = "yyyy-mm-dd"
    widths: dict[int, float] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)  # a sheet of plain text (instructions)
    body_merges: list[tuple[int, int, int, int, Value]] = field(default_factory=list)

    @property
    def ncols(self) -> int:
        return max((len(r) for r in self.header), default=1)

    @property
    def data_rows(self) -> int:
        return sum(1 for r in self.rows if r is not None)


@dataclass
class FileSpec:
    name: str
    kind: str  # roster | nt_log | serum_log | his | quota | register | junk | readme
    sheets: list[Sheet] = field(default_factory=list)
    fmt: str = "xlsx"  # xlsx | csv-gbk | csv-utf8 | html | bytes | text
    text_date_style: int = 1
    raw: bytes = b""
    notes: str = ""

    @property
    def data_rows(self) -> int:
        return sum(s.data_rows for s in self.sheets)


def _date_text(d: dt.date, style: int) -> str:
    if style == 0:
        return f"{d:%Y-%m-%d}"
    if style == 1:
        return f"{d.year}/{d.month}/{d.day}"
    if style == 2:
        return f"{d.year}.{d.month}.{d.day}"
    if style == 3:
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d:%Y%m%d}"


def _cn_date(d: dt.date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def _ga_text(lmp: dt.date, on: dt.date) -> str:
    days = (on - lmp).days
    return f"{days // 7}+{days % 7}"


CREATED = dt.datetime(2020, 1, 1, 8, 0, 0)


def _write_xlsx(path: Path, spec: FileSpec) -> None:
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    wb.set_properties({"created": CREATED, "author": "", "company": ""})
    title_fmt = wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"})
    sub_fmt = wb.add_format({"align": "left", "valign": "vcenter"})
    head_fmt = wb.add_format(
        {
            "bold": True,
            "border": 1,
            "align": "center",
            "valign": "vcenter",
            "text_wrap": True,
            "bg_color": "#EDEDED",
        }
    )
    text_fmt = wb.add_format({"num_format": "@", "border": 1})
    cell_fmt = wb.add_format({"border": 1})
    date_fmts: dict[str, Any] = {}
    for sheet in spec.sheets:
        ws = wb.add_worksheet(sheet.name)
        if sheet.lines:
            ws.set_column(0, 0, 90)
            for r, line in enumerate(sheet.lines):
                ws.write_string(r, 0, line, title_fmt if r == 0 else sub_fmt)
            continue
        if sheet.date_format not in date_fmts:
            date_fmts[sheet.date_format] = wb.add_format({"num_format": sheet.date_format, "border": 1})
        date_fmt = date_fmts[sheet.date_format]
        ncols = sheet.ncols
        for c in range(ncols):
            ws.set_column(c, c, sheet.widths.get(c, 12))
        r = 0
        for i, title in enumerate(sheet.titles):
            if ncols > 1:
                ws.merge_range(r, 0, r, ncols - 1, title, title_fmt if i == 0 else sub_fmt)
            else:
                ws.write_string(r, 0, title, title_fmt if i == 0 else sub_fmt)
            r += 1
        top = r
        merged: set[tuple[int, int]] = set()
        for r1, c1, r2, c2 in sheet.merges:
            text = sheet.header[r1][c1] or ""
            ws.merge_range(top + r1, c1, top + r2, c2, text, head_fmt)
            merged.update((rr, cc) for rr in range(r1, r2 + 1) for cc in range(c1, c2 + 1))
        for hr, header in enumerate(sheet.header):
            for c, label in enumerate(header):
                if (hr, c) not in merged:
                    ws.write_string(top + hr, c, label or "", head_fmt)
        r = top + len(sheet.header)
        ws.freeze_panes(r, 0)
        body = r
        for row in [*sheet.rows, *sheet.footer]:
            if row is None:
                r += 1
                continue
            for c, value in enumerate(row):
                if value is None or value == "":
                    continue
                if isinstance(value, dt.date):
                    ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), date_fmt)
                elif isinstance(value, bool):
                    ws.write_string(r, c, str(value), cell_fmt)
                elif isinstance(value, int | float):
                    ws.write_number(r, c, value, cell_fmt)
                elif c in sheet.text_cols:
                    ws.write_string(r, c, value, text_fmt)
                else:
                    ws.write_string(r, c, value, cell_fmt)
            r += 1
        for r1, c1, r2, c2, value in sheet.body_merges:
            ws.merge_range(body + r1, c1, body + r2, c2, "" if value is None else str(value), sub_fmt)
    wb.close()


def _plain(value: Value, style: int) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return _date_text(value, style)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def _write_csv(path: Path, spec: FileSpec) -> None:
    sheet = spec.sheets[0]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    width = sheet.ncols
    for title in sheet.titles:
        writer.writerow([title] + [""] * (width - 1))
    for header in sheet.header:
        writer.writerow([h or "" for h in header])
    for row in [*sheet.rows, *sheet.footer]:
        writer.writerow([""] * width if row is None else [_plain(v, spec.text_date_style) for v in row])
    encoding = "gbk" if spec.fmt == "csv-gbk" else "utf-8-sig"
    path.write_bytes(buf.getvalue().encode(encoding))


TEXT_TD = "<td style=\"mso-number-format:'\\@'\">"  # Excel keeps the cell as text (IDs, phones)


def _write_html(path: Path, spec: FileSpec) -> None:
    sheet = spec.sheets[0]
    out = ['<html xmlns:x="urn:schemas-microsoft-com:office:excel">', "<head>"]
    out.append('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
    out.append('<meta charset="gb2312">')
    out.append("<title>查询结果导出</title></head>")
    out.append("<body>")
    out.append('<table border="1" cellspacing="0">')
    for header in sheet.header:
        out.append("<tr>" + "".join(f"<th>{html.escape(h or '')}</th>" for h in header) + "</tr>")
    for row in sheet.rows:
        if row is None:
            continue
        cells = "".join(
            (TEXT_TD if c in sheet.text_cols else "<td>") + html.escape(_plain(v, 0)) + "</td>"
            for c, v in enumerate(row)
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</table>")
    out.append("</body></html>")
    path.write_bytes("\r\n".join(out).encode("gb18030"))


# ---------------------------------------------------------------------------------------------
# Building the year.


class _Ids:
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


def _shift_sunday(d: dt.date) -> dt.date:
    return d + dt.timedelta(days=1) if d.weekday() == 6 else d


def _lmp(rng: random.Random, year: int) -> dt.date:
    roll = rng.random()
    if roll < 0.14:
        lo, hi = dt.date(year - 1, 10, 1), dt.date(year - 1, 12, 31)
    elif roll < 0.9:
        lo, hi = dt.date(year, 1, 1), dt.date(year, 8, 20)
    else:
        lo, hi = dt.date(year, 8, 21), dt.date(year, 10, 25)
    return dt.date.fromordinal(rng.randint(lo.toordinal(), hi.toordinal()))


def _due_dates(settings: Settings) -> list[dt.date]:
    first = settings.rosters.first_due
    end = settings.programme.end
    out = {first}
    y, m = first.year, first.month
    while dt.date(y, m, 1) <= end:
        for day in settings.rosters.update_days:
            d = min(day, _month_end(y, m).day)
            due = dt.date(y, m, d)
            if first < due <= end:
                out.add(due)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return sorted(out)


def _month_end(y: int, m: int) -> dt.date:
    nxt = dt.date(y + 1, 1, 1) if m == 12 else dt.date(y, m + 1, 1)
    return nxt - dt.timedelta(days=1)


def _previous_workday(d: dt.date) -> dt.date:
    while d.weekday() >= 5:
        d -= dt.timedelta(days=1)
    return d


def _roster_filename(index: int, c: Community, d: dt.date, fmt: str) -> str:
    if index == 0:
        return f"{c.name}已孕对象花名册{d:%Y%m%d}.xlsx"
    if index == 1:
        return f"{c.name}已孕对象花名册（{d.month}月{d.day}日）.xlsx"
    if index == 2:
        return f"{c.name}花名册-{d:%m%d}.xlsx"
    if index == 3:
        return f"{c.name}花名册{d:%m%d}." + ("csv" if fmt != "xlsx" else "xlsx")
    if fmt != "xlsx":
        return f"{c.name}花名册{d:%Y%m%d}.csv"
    return f"{c.name}已孕对象花名册{d:%Y%m%d}.xlsx"


def _schedule(settings: Settings) -> tuple[list[Submission], list[tuple[int, dt.date]]]:
    dues = _due_dates(settings)
    subs: list[Submission] = []
    missed: list[tuple[int, dt.date]] = []
    for index, c in enumerate(settings.communities):
        kind = index % len(PROFILES)
        for due in dues:
            md = (due.month, due.day)
            if md in MISSED_SUBMISSIONS.get(kind, ()):
                missed.append((index, due))
                continue
            late = LATE_SUBMISSIONS.get(kind, {}).get(md)
            if late:
                date = due + dt.timedelta(days=late)
            elif kind == 1:
                date = _previous_workday(due - dt.timedelta(days=1))
            elif kind == 3:
                date = due
            else:
                date = _previous_workday(due)
            fmt = "xlsx"
            if kind == 3 and md == (5, 28):
                fmt = "csv-gbk"
            if kind == 4 and md == (9, 8):
                fmt = "csv-utf8"
            subs.append(Submission(index, due, date, _roster_filename(kind, c, date, fmt), fmt))
    return subs, missed


def _listed_through(start: dt.date, stop: dt.date) -> Callable[[Woman], bool]:
    """A woman on her own roster from before ``start`` until (nearly) ``stop``, with no defect yet."""

    def test(w: Woman) -> bool:
        return w.reg < start and w.dropped > stop - dt.timedelta(days=20) and not w.defects

    return test


def _build(settings: Settings, seed: int) -> Demo:
    year = settings.programme.end.year
    year_end = dt.date(year, 12, 31)
    year_start = dt.date(year, 1, 1)
    communities = settings.communities
    ids = _Ids(random.Random(f"{seed}:ids"))
    women: list[Woman] = []

    def make(home: int | None, rostered: bool) -> Woman:
        wr = random.Random(f"{seed}:woman:{len(women)}")
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
            uid=len(women),
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
        w.text_style = wr.randrange(5)
        w.weeks_style = wr.randrange(6)
        roll = wr.random()
        w.date_mode = "both" if roll < 0.62 else "lmp" if roll < 0.72 else "edd" if roll < 0.86 else "weeks"
        if wr.random() < 0.04:
            w.note = wr.choice(("二孩", "外出务工", "高龄", "头胎"))
        if wr.random() < 0.035:
            w.roster_name = wr.choice((" ", "  ")) + w.name if wr.random() < 0.5 else w.name + " "
            w.defects.append("姓名前后有空格")
        women.append(w)
        return w

    for index in range(len(communities)):
        profile = PROFILES[index % len(PROFILES)]
        for _ in range(profile.women):
            make(index, True)

    # Screenings by construction.
    screenings: list[Screening] = []
    for w in women:
        assert w.home is not None
        profile = PROFILES[w.home % len(PROFILES)]
        sr = random.Random(f"{seed}:screen:{w.uid}")
        nt_off = sr.randint(78, 95) if sr.random() > 0.04 else sr.choice((74, 75, 76, 98, 99, 101, 103))
        nt_day = _shift_sunday(w.lmp + dt.timedelta(days=nt_off))
        rate = profile.rates[(max(nt_day, year_start).month if nt_day.year <= year else 12) - 1]
        did_nt = sr.random() < rate
        if did_nt and year_start <= nt_day <= year_end:
            w.nt.append(nt_day)
        s_off = sr.randint(108, 140) if sr.random() > 0.04 else sr.choice((101, 103, 104, 148, 150, 153))
        s_day = _shift_sunday(w.lmp + dt.timedelta(days=s_off))
        s_rate = profile.rates[(max(s_day, year_start).month if s_day.year <= year else 12) - 1]
        s_rate = min(0.97, s_rate * (1.08 if did_nt else 0.45))
        if sr.random() < s_rate and year_start <= s_day <= year_end:
            w.serum.append(s_day)
        # Roster drop: delivered women leave the roster (with some delay), except where they don't.
        if profile.drops_delivered:
            w.dropped = w.delivery + dt.timedelta(days=sr.randint(0, 25))

    pick = random.Random(f"{seed}:special")
    used: set[int] = set()

    def choose(pred: Callable[[Woman], bool], home: int | None = None) -> Woman:
        pool = [w for w in women if w.uid not in used and (home is None or w.home == home) and pred(w)]
        if not pool:
            pool = [w for w in women if w.uid not in used and (home is None or w.home == home)]
        w = pick.choice(pool)
        used.add(w.uid)
        return w

    truth_defects: dict[str, Any] = {}

    def seen_on_rosters(w: Woman) -> bool:
        return w.reg <= dt.date(year, 12, 18) and w.dropped > settings.rosters.first_due

    # Closures (办事处登记: 个案销号).
    register: list[dict[str, Any]] = []
    n = len(communities)
    for home, reason in CLOSURES:
        if home >= n:
            continue
        if reason == "流产":
            w = choose(
                lambda w: dt.date(year, 4, 25) <= w.lmp + dt.timedelta(days=63) <= dt.date(year, 11, 30), home
            )
            when = w.lmp + dt.timedelta(days=pick.randint(52, 72))
            w.nt, w.serum = [], []
            w.dropped = when + dt.timedelta(days=pick.randint(5, 20))
            w.delivery = when
        elif reason == "迁出":
            w = choose(lambda w: bool(w.nt) and w.nt[0] >= dt.date(year, 5, 1) and w.lmp.month <= 8, home)
            when = w.lmp + dt.timedelta(days=pick.randint(100, 104))
            w.serum = []
            w.dropped = when + dt.timedelta(days=pick.randint(3, 12))
        elif reason == "外院已筛":
            w = choose(lambda w: bool(w.nt) and bool(w.serum) and w.serum[0] <= dt.date(year, 12, 1), home)
            w.nt, w.serum = ([], []) if home == 1 else (w.nt, [])
            when = w.lmp + dt.timedelta(days=pick.randint(110, 135))
        elif reason == "拒检":
            w = choose(lambda w: not w.nt and w.lmp.month in (3, 4, 5, 6, 7), home)
            w.serum = []
            when = w.lmp + dt.timedelta(days=pick.randint(85, 100))
        else:  # 分娩: delivered without a serum screening
            w = choose(
                lambda w: not w.serum and dt.date(year, 5, 1) <= w.delivery <= dt.date(year, 12, 10), home
            )
            when = w.delivery
        w.closure = (reason, when)
        truth_defects.setdefault("closures", []).append(
            (communities[home].name, w.name, w.id18, reason, when)
        )
        note = {
            "外院已筛": "县人民医院已做两筛" if home == 1 else "县妇幼保健院已做血清学筛查",
            "迁出": "随丈夫迁往郑州",
        }
        register.append(
            {
                "登记类型": "个案销号",
                "社区": communities[home].name,
                "姓名": w.name,
                "身份证号": w.id18,
                "联系电话": w.phone,
                "销号原因": reason,
                "日期": min(when + dt.timedelta(days=pick.randint(2, 9)), year_end),
                "备注": note.get(reason, ""),
            }
        )

    # Roster ID defects.
    def has_x(w: Woman) -> bool:
        return w.id18.endswith("X")

    bad_checks: list[Woman] = []
    for home, count in BAD_CHECKSUM_IDS:
        if home >= n:
            continue
        for _ in range(count):
            w = choose(
                lambda w: (
                    not has_x(w) and seen_on_rosters(w) and bool(w.nt) and w.nt[0] >= dt.date(year, 5, 1)
                ),
                home,
            )
            wrong = pick.choice([c for c in "0123456789X" if c != w.id18[-1]])
            w.roster_id = w.id18[:17] + wrong
            w.defects.append("校验码错误")
            bad_checks.append(w)
    truth_defects["bad_checksum"] = [(w.name, w.roster_id, w.id18) for w in bad_checks]

    if LOWERCASE_X_COMMUNITY < n:
        xs = [
            w
            for w in women
            if w.home == LOWERCASE_X_COMMUNITY and has_x(w) and w.uid not in used and seen_on_rosters(w)
        ]
        if not xs:  # make one: re-draw the ID of a woman until it ends in X
            w = choose(seen_on_rosters, LOWERCASE_X_COMMUNITY)
            while not w.id18.endswith("X"):
                w.id18 = ids.person_id(w.id18[:6])
            xs = [w]
        w = xs[0]
        used.add(w.uid)
        w.roster_id = w.id18[:17] + "x"
        w.defects.append("末位小写x")
        truth_defects["lowercase_x"] = (w.name, w.roster_id, w.id18)

    if OLD_15_DIGIT_ID_COMMUNITY < n:
        w = choose(
            lambda w: w.id18[6:10] < "2000" and seen_on_rosters(w) and bool(w.nt), OLD_15_DIGIT_ID_COMMUNITY
        )
        w.roster_id = w.id18[:6] + w.id18[8:17]
        w.defects.append("15位旧身份证号")
        truth_defects["old_15_digit"] = (w.name, w.roster_id, w.id18)

    if FULL_WIDTH_ID_COMMUNITY < n:
        w = choose(seen_on_rosters, FULL_WIDTH_ID_COMMUNITY)
        w.roster_id = _full_width(w.id18)
        w.defects.append("全角数字")
        truth_defects["full_width"] = (w.name, w.roster_id, w.id18)

    if TRADITIONAL_COMMUNITY < n:
        w = choose(lambda w: len(w.name) == 2 and seen_on_rosters(w), TRADITIONAL_COMMUNITY)
        w.roster_name = w.name[0] + "\u3000" + w.name[1]
        w.defects.append("姓名中间有全角空格")
        truth_defects["name_full_width_space"] = (w.roster_name, w.name)

    # Manual merge: no ID on the roster, a new phone at the health centre.
    if MERGE_COMMUNITY < n:
        w = choose(lambda w: bool(w.nt) and seen_on_rosters(w), MERGE_COMMUNITY)
        w.roster_id = ""
        w.log_phone = ids.phone()
        w.defects.append("花名册无身份证号，卫生院登记新手机号")
        register.append(
            {
                "登记类型": "人工合并",
                "社区": communities[MERGE_COMMUNITY].name,
                "姓名": w.name,
                "身份证号": "",
                "联系电话": w.phone,
                "日期": min(w.nt[0] + dt.timedelta(days=12), year_end),
                "合并到身份证号": w.id18,
                "备注": f"花名册未填身份证号；卫生院登记手机号为{w.log_phone}，经核实为同一人",
            }
        )
        truth_defects["manual_merge"] = (w.name, w.phone, w.log_phone, w.id18)

    # Self-reports without a log record (新华's roster columns).
    unverified: list[tuple[str, str, dt.date]] = []
    if SELF_REPORT_COMMUNITY < n:
        w = choose(
            lambda w: (
                not w.nt
                and seen_on_rosters(w)
                and dt.date(year, 5, 1) <= w.lmp + dt.timedelta(days=90) <= dt.date(year, 11, 1)
            ),
            SELF_REPORT_COMMUNITY,
        )
        w.self_nt_from = w.lmp + dt.timedelta(days=90)
        w.defects.append("自报已做NT但卫生院无记录")
        unverified.append((w.name, "nt", w.self_nt_from))
        w = choose(
            lambda w: (
                not w.serum
                and seen_on_rosters(w)
                and dt.date(year, 5, 1) <= w.lmp + dt.timedelta(days=120) <= dt.date(year, 11, 1)
            ),
            SELF_REPORT_COMMUNITY,
        )
        w.self_serum = _shift_sunday(w.lmp + dt.timedelta(days=120))
        w.defects.append("自报血清学筛查日期但卫生院无记录")
        unverified.append((w.name, "serum", w.self_serum))
    truth_defects["unverified_self_reports"] = unverified

    # Conflicts: the same woman on two communities' rosters.
    conflicts: list[tuple[Woman, int, dt.date, dt.date]] = []
    for home, other, frm, to in ROSTER_CONFLICTS:
        if max(home, other) >= n:
            continue
        start, stop = dt.date(year, *frm), dt.date(year, *to)
        w = choose(_listed_through(start, stop), home)
        conflicts.append((w, other, start, stop))
        w.defects.append(f"同时在{communities[other].name}花名册")
    truth_defects["conflicts"] = [
        (w.name, w.id18, communities[w.home or 0].name, communities[o].name) for w, o, _, _ in conflicts
    ]

    # Women screened but on no roster.
    extra: list[Woman] = []
    for i in range(UNROSTERED_WITH_COMMUNITY + UNROSTERED_WITHOUT_COMMUNITY):
        where = i % min(n, 4) if i < UNROSTERED_WITH_COMMUNITY else None
        w = make(where if where is not None else 0, False)
        er = random.Random(f"{seed}:unrostered:{i}")
        w.lmp = dt.date.fromordinal(
            er.randint(dt.date(year, 1, 20).toordinal(), dt.date(year, 8, 10).toordinal())
        )
        if where is None:
            w.home = None
            choices = (
                "新华路128号",
                f"{er.choice(OTHER_PLACES)}",
                "",
                f"{er.choice(ROADS)}{er.randint(1, 200)}号",
            )
            w.log_address = (
                choices[i - UNROSTERED_WITH_COMMUNITY] if i - UNROSTERED_WITH_COMMUNITY < 4 else ""
            )
        else:
            c = communities[where]
            w.log_address = f"{c.name}{er.randint(1, 12)}组" if er.random() < 0.7 else c.name
        w.nt = [_shift_sunday(w.lmp + dt.timedelta(days=er.randint(78, 95)))] if er.random() < 0.85 else []
        w.serum = [_shift_sunday(w.lmp + dt.timedelta(days=er.randint(108, 140)))]
        w.nt = [d for d in w.nt if d <= year_end]
        w.serum = [d for d in w.serum if d <= year_end]
        w.dropped = year_start
        extra.append(w)

    # Screening records.
    for w in women:
        for d in w.nt:
            screenings.append(Screening(w, "nt", d, id_text=w.id18))
        for d in w.serum:
            screenings.append(Screening(w, "serum", d, id_text=w.id18))
    screenings.sort(key=lambda s: (s.date, s.woman.uid, s.test))

    # Repeats.
    for test, count in (("nt", NT_REPEATS), ("serum", SERUM_REPEATS)):
        pool = [
            s
            for s in screenings
            if s.test == test
            and not s.repeat
            and s.date <= dt.date(year, 12, 15)
            and s.date >= dt.date(year, 4, 20)
        ]
        for s in pick.sample(pool, min(count, len(pool))):
            again = Screening(
                s.woman,
                test,
                _shift_sunday(s.date + dt.timedelta(days=pick.randint(3, 9))),
                id_text=s.id_text,
                repeat=True,
            )
            getattr(s.woman, test).append(again.date)
            screenings.append(again)
    screenings.sort(key=lambda s: (s.date, s.woman.uid, s.test))

    # Serum results.
    serum_first = [
        s
        for s in screenings
        if s.test == "serum"
        and not s.repeat
        and s.woman.rostered
        and dt.date(year, 4, 15) <= s.date <= dt.date(year, 11, 20)
    ]
    flagged = pick.sample(serum_first, min(SERUM_HIGH_RISK + SERUM_BORDERLINE, len(serum_first)))
    for i, s in enumerate(flagged):
        s.result = "高风险" if i < SERUM_HIGH_RISK else "临界风险"
        s.woman.serum_result = s.result
    truth_defects["high_risk"] = [(s.woman.name, s.woman.id18, s.result, s.date) for s in flagged]
    if flagged:
        s = flagged[0]
        register.append(
            {
                "登记类型": "产前诊断结果",
                "社区": communities[s.woman.home].name if s.woman.home is not None else "",
                "姓名": s.woman.name,
                "身份证号": s.woman.id18,
                "联系电话": s.woman.phone,
                "日期": min(s.date + dt.timedelta(days=24), year_end),
                "产前诊断结果": "羊水穿刺：胎儿染色体核型未见异常",
                "备注": "南阳市中心医院产前诊断中心",
            }
        )

    # ID typos in the logs (name + phone correct).
    typo_pool = [
        s
        for s in screenings
        if s.woman.rostered and not s.woman.defects and not s.repeat and s.date >= dt.date(year, 4, 10)
    ]
    typos = []
    for s in pick.sample(typo_pool, min(LOG_ID_TYPOS, len(typo_pool))):
        digits = list(s.woman.id18)
        while True:
            pos = pick.randint(6, 16)
            new = pick.choice([c for c in "0123456789" if c != digits[pos]])
            typo = "".join(digits[:pos]) + new + "".join(digits[pos + 1 :])
            if id_check_digit(typo[:17]) != typo[17]:
                break
        s.id_text = typo
        typos.append((s.woman.name, s.test, typo, s.woman.id18))
    truth_defects["log_id_typos"] = typos

    # The impossible date: one NT record in February.
    feb = [
        s
        for s in screenings
        if s.test == "nt" and s.date.month == 2 and s.date.year == year and s.id_text == s.woman.id18
    ]
    if feb:
        s = pick.choice(feb)
        s.date_text = IMPOSSIBLE_DATE_TEXT
        truth_defects["impossible_date"] = (s.woman.name, s.woman.id18, s.date)

    # The health information system's export: serum screenings in the second half of June.
    his_from, his_to = dt.date(year, *HIS_EXPORT_FROM), dt.date(year, *HIS_EXPORT_TO)
    june = [
        s
        for s in screenings
        if s.test == "serum" and his_from <= s.date <= his_to and s.id_text == s.woman.id18 and not s.repeat
    ]
    chosen = pick.sample(june, min(HIS_EXPORT_SHARED + HIS_EXPORT_ONLY, len(june)))
    for i, s in enumerate(chosen):
        s.in_his = True
        s.in_log = i < HIS_EXPORT_SHARED
    truth_defects["his_only"] = [(s.woman.name, s.woman.id18, s.date) for s in chosen[HIS_EXPORT_SHARED:]]

    # Paper roster receipts.
    subs, missed = _schedule(settings)
    for index, c in enumerate(communities):
        first = min((s for s in subs if s.community == index), key=lambda s: s.date)
        register.append(
            {
                "登记类型": "纸质花名册",
                "社区": c.name,
                "日期": first.date + dt.timedelta(days=pick.choice((0, 1, 1, 2, 3))),
                "备注": "支部书记签字盖章的纸质花名册已收",
            }
        )
    register.sort(key=lambda r: (r["日期"], r["登记类型"]))

    demo = Demo(settings, seed, women, screenings, subs, missed, conflicts, register)
    demo.truth = {"defects": truth_defects, "unrostered": [(w.name, w.id18, w.log_address) for w in extra]}
    return demo


# ---------------------------------------------------------------------------------------------
# Files.


def _listed(demo: Demo, index: int, on: dt.date) -> list[Woman]:
    """The women a community lists on its roster dated ``on``."""
    out = [w for w in demo.women if w.home == index and w.rostered and w.reg <= on < w.dropped]
    for w, other, start, stop in demo.conflicts:
        if other == index and start <= on <= stop and w.reg <= on < w.dropped:
            out.append(w)
    return sorted(out, key=lambda w: (w.reg, w.uid))


def _weeks_value(w: Woman, style: int) -> str | int:
    days = (w.reg - w.lmp).days
    weeks, rest = divmod(days, 7)
    if style in (0, 1, 2):
        return weeks
    if style in (3, 4):
        return f"{weeks}+{rest}"
    return f"{weeks}周"


def _roster_sheet(demo: Demo, sub: Submission) -> list[Sheet]:
    settings = demo.settings
    kind = sub.community % len(PROFILES)
    c = settings.communities[sub.community]
    d = sub.date
    women = _listed(demo, sub.community, d)
    year = settings.programme.end.year

    def address(w: Woman) -> str:
        if w.home != sub.community:  # a conflict: she gave another address here
            r = random.Random(f"{demo.seed}:conflict:{w.uid}")
            return f"{c.name}{r.randint(1, 12)}组"
        return w.address

    def lmp_edd(w: Woman) -> tuple[dt.date | None, dt.date | None]:
        mode = w.date_mode if w.date_mode != "weeks" else "both"
        return (w.lmp if mode in ("both", "lmp") else None, w.edd if mode in ("both", "edd") else None)

    rows: list[list[Value] | None] = []
    if kind == 0:
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
        listing = list(women)
        if sub.filename == DUPLICATE_ROW_FILE and listing:
            dup = random.Random(f"{demo.seed}:dup").choice(listing[: max(1, len(listing) // 2)])
            listing.insert(listing.index(dup) + 1, dup)
            demo.truth.setdefault("defects", {})["duplicate_row"] = (dup.name, dup.id18)
        for i, w in enumerate(listing, 1):
            lmp, edd = lmp_edd(w)
            rows.append(
                [i, w.roster_name, w.roster_id, w.phone, lmp, edd, w.residence, address(w), w.reg, w.note]
            )
        return [
            Sheet(
                "Sheet1",
                [list(header)],
                rows,
                titles=[f"泗洲街道{c.name}已孕对象花名册", f"填报单位：{c.name}    填报日期：{_cn_date(d)}"],
                text_cols=frozenset({2, 3}),
                date_format="yyyy-mm-dd",
                widths={1: 10, 2: 21, 3: 14, 7: 26},
            )
        ]
    if kind == 1:
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
        for i, w in enumerate(women, 1):
            weeks_only = w.date_mode in ("weeks", "edd")
            lmp_text = "" if weeks_only else _date_text(w.lmp, w.text_style)
            reg_text = _date_text(w.reg, (w.text_style + 2) % 5)
            rows.append(
                [
                    i,
                    w.roster_name,
                    w.roster_id,
                    w.phone,
                    address(w),
                    lmp_text,
                    _weeks_value(w, w.weeks_style),
                    reg_text,
                    w.residence,
                ]
            )
        if d >= dt.date(year, 7, 1) and len(rows) > 20:
            rows[12:12] = [None, None]
        footer: list[list[Value]] = [["合计", f"{len(women)}人"]]
        return [
            Sheet(
                "已孕花名册",
                [list(header)],
                rows,
                titles=[f"{c.name}已孕对象花名册", f"填报单位：{c.name}（盖章）", f"填报日期：{_cn_date(d)}"],
                footer=footer,
                text_cols=frozenset({2, 3, 5, 7}),
                widths={1: 10, 2: 21, 3: 14, 4: 26, 5: 14, 7: 14},
            )
        ]
    if kind == 2:
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
        floats: set[int] = set()
        if sub.filename == FLOAT_ID_FILE:
            pool = [w for w in women if not w.id18.endswith("X") and not w.defects]
            floats = {
                w.uid
                for w in random.Random(f"{demo.seed}:float").sample(pool, min(FLOAT_ID_COUNT, len(pool)))
            }
            demo.truth.setdefault("defects", {})["float_ids"] = [
                (w.name, float(w.id18), w.id18) for w in women if w.uid in floats
            ]
        for i, w in enumerate(women, 1):
            lmp, edd = lmp_edd(w)
            lag = dt.timedelta(days=3)
            nt_done = (bool(w.nt) and min(w.nt) + lag <= d) or (
                w.self_nt_from is not None and w.self_nt_from + lag <= d
            )
            serum_day = min(w.serum) if w.serum else w.self_serum
            serum_cell: Value = serum_day if serum_day is not None and serum_day + lag <= d else None
            id_cell: Value = float(w.roster_id) if w.uid in floats else w.roster_id
            rows.append(
                [
                    i,
                    w.roster_name,
                    id_cell,
                    w.phone,
                    address(w),
                    lmp,
                    edd,
                    "是" if nt_done else "否",
                    serum_cell,
                    w.note,
                ]
            )
        return [
            Sheet(
                "花名册",
                [top, sub_header],
                rows,
                titles=[f"泗洲街道{c.name}已孕对象花名册", f"填报日期：{_cn_date(d)}"],
                merges=[(0, 0, 1, 0), (0, 1, 0, 4), (0, 5, 0, 6), (0, 7, 0, 8), (0, 9, 1, 9)],
                text_cols=frozenset({2, 3}),
                date_format='yyyy"年"m"月"d"日"',
                widths={2: 21, 3: 14, 4: 26, 5: 15, 6: 15, 8: 15},
            )
        ]
    if kind == 3:
        header = ["序号", "社区", "姓名", "证件号码", "联系电话", "末次月经", "预产期", "现住址", "户籍类型"]
        label = (
            c.name.translate(TRADITIONAL) if d >= dt.date(year, *TRADITIONAL_FROM) else (c.short or c.name)
        )
        for i, w in enumerate(women, 1):
            lmp, edd = lmp_edd(w)
            rows.append([i, label, w.roster_name, w.roster_id, w.phone, lmp, edd, address(w), w.residence])
        return [
            Sheet(
                "Sheet1",
                [list(header)],
                rows,
                text_cols=frozenset({3, 4}),
                date_format="yyyy/m/d",
                widths={3: 21, 4: 14, 7: 26},
            )
        ]
    # kind == 4
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
    variant = c.variants[0] if c.variants else c.name
    for i, w in enumerate(women, 1):
        style = (2, 2, 4, 3, 2)[w.text_style]
        lmp_text = "" if w.date_mode == "weeks" else _date_text(w.lmp, style)
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
                _date_text(w.reg, style),
                address(w),
                w.note,
            ]
        )
    sheets = [
        Sheet(
            "花名册",
            [list(header)],
            rows,
            titles=[f"{c.name}已孕对象花名册"],
            text_cols=frozenset({3, 4, 5, 7}),
            widths={3: 21, 4: 14, 8: 26},
        )
    ]
    sheets.append(
        Sheet(
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
    )
    return sheets


def _log_row(s: Screening, n: int, with_test: bool, rng: random.Random, date_as_text: bool) -> list[Value]:
    w = s.woman
    date_cell: Value = s.date_text or (_date_text(s.date, 2) if date_as_text else s.date)
    lmp_cell: Value = w.lmp if rng.random() < 0.93 else None
    row: list[Value] = [n, w.name, s.id_text, w.log_phone, w.log_address, lmp_cell]
    if with_test:
        row += [
            date_cell,
            _ga_text(w.lmp, s.date),
            rng.choice(("NT", "超声NT", "NT", "超声NT筛查")),
            s.result,
        ]
    else:
        row += [_ga_text(w.lmp, s.date), date_cell, s.result]
    return row


def _files(demo: Demo) -> list[FileSpec]:
    settings = demo.settings
    year = settings.programme.end.year
    files: list[FileSpec] = []
    for sub in demo.submissions:
        spec = FileSpec(sub.filename, "roster", _roster_sheet(demo, sub), fmt=sub.fmt)
        if sub.fmt != "xlsx":
            spec.sheets = spec.sheets[:1]
            spec.text_date_style = 1 if sub.fmt == "csv-gbk" else 2
            if sub.fmt == "csv-gbk":
                spec.sheets[0].titles = []
        files.append(spec)

    files.append(FileSpec(LOCK_FILE, "junk", fmt="bytes", raw=_lock_bytes()))

    # NT log: one sheet per quarter, a title row each.
    rng = random.Random(f"{demo.seed}:logs")
    nt = [s for s in demo.screenings if s.test == "nt" and s.in_log]
    header = [
        "序号",
        "姓名",
        "身份证号",
        "联系电话",
        "现住址",
        "末次月经",
        "检查日期",
        "孕周",
        "筛查项目",
        "筛查结果",
    ]
    nt_sheets = []
    centre = settings.directory.health_centre or "卫生院"
    for q, sheet_name in enumerate(NT_LOG_SHEETS):
        rows: list[list[Value] | None] = []
        quarter = [s for s in nt if (s.date.month - 1) // 3 == q]
        for i, s in enumerate(quarter, 1):
            rows.append(_log_row(s, i, True, rng, False))
        nt_sheets.append(
            Sheet(
                sheet_name,
                [list(header)],
                rows,
                titles=[f"{centre}超声NT筛查登记表（{year}年{sheet_name}）"],
                text_cols=frozenset({2, 3, 6, 7}),
                widths={2: 21, 3: 14, 4: 24, 5: 12, 6: 12},
            )
        )
    files.append(FileSpec(NT_LOG_FILE, "nt_log", nt_sheets))

    # Serum log: no test column; dates typed as text from October on (a new clerk).
    serum = [s for s in demo.screenings if s.test == "serum" and s.in_log]
    header = ["序号", "姓名", "身份证号", "联系电话", "现住址", "末次月经", "孕周", "筛查日期", "筛查结果"]
    rows = [_log_row(s, i, False, rng, s.date >= dt.date(year, 10, 1)) for i, s in enumerate(serum, 1)]
    files.append(
        FileSpec(
            SERUM_LOG_FILE,
            "serum_log",
            [
                Sheet(
                    "Sheet1",
                    [header],
                    list(rows),
                    text_cols=frozenset({2, 3, 7}),
                    widths={2: 21, 3: 14, 4: 24, 5: 12, 7: 12},
                )
            ],
        )
    )

    # The HIS export: an HTML table saved as .xls (GB18030).
    his = [s for s in demo.screenings if s.in_his]
    his.sort(key=lambda s: (s.date, s.woman.uid))
    header = ["序号", "姓名", "身份证号", "联系电话", "现住址", "检查项目", "采血日期", "检查结果"]
    his_rows: list[list[Value] | None] = [
        [
            i,
            s.woman.name,
            s.id_text,
            s.woman.log_phone,
            s.woman.log_address,
            rng.choice(("唐氏筛查", "中孕期血清学筛查")),
            s.date,
            s.result,
        ]
        for i, s in enumerate(his, 1)
    ]
    files.append(
        FileSpec(
            HIS_EXPORT_FILE,
            "his",
            [Sheet("export", [header], his_rows, text_cols=frozenset({2, 3}))],
            fmt="html",
        )
    )

    files.append(_quota_file(settings))
    files.append(_register_file(demo))
    files.append(FileSpec(README_FILE, "readme", fmt="text", raw=_readme(demo).encode("utf-8")))
    return sorted(files, key=lambda f: f.name)


def _quota_file(settings: Settings) -> FileSpec:
    top: list[str | None] = ["社区名称", "各应完成人数", None, "每周应完成人数", None, "备注"]
    second: list[str | None] = [None, "超声NT筛查", "血清学筛查", "超声NT筛查", "血清学筛查", None]
    rows: list[list[Value] | None] = []

    def num(x: float) -> Value:
        return int(x) if float(x).is_integer() else float(x)

    for i, c in enumerate(settings.communities):
        label = c.name if c.quota_nt < 72 or not c.short else c.short  # as in 附件2: 新民 ... 银华社区
        rows.append(
            [
                label,
                num(c.quota_nt),
                num(c.quota_serum),
                num(c.weekly_nt),
                num(c.weekly_serum),
                None if i else "",
            ]
        )
    total: list[Value] = [
        "合计",
        num(sum(c.quota_nt for c in settings.communities)),
        num(sum(c.quota_serum for c in settings.communities)),
        num(sum(c.weekly_nt for c in settings.communities)),
        num(sum(c.weekly_serum for c in settings.communities)),
        None,
    ]
    note = "1--3月已完成的数量不累计，但给与100元/例的补助；7月10日、10月10日、12月26日季度评比并兑现奖惩。"
    n = len(settings.communities)
    sheet = Sheet(
        "任务分配表",
        [top, second],
        rows,
        titles=[
            "唐河县泗洲街道办事处",
            settings.quota.table_title or "预防出生缺陷免费产前筛查工作任务分配表",
        ],
        merges=[(0, 0, 1, 0), (0, 1, 0, 2), (0, 3, 0, 4), (0, 5, 1, 5)],
        footer=[total],
        widths={0: 14, 1: 12, 2: 12, 3: 12, 4: 12, 5: 40},
        body_merges=[(0, 5, n - 1, 5, note)] if n > 1 else [],
    )
    return FileSpec(QUOTA_FILE, "quota", [sheet])


REGISTER_COLUMNS = [
    "登记类型",
    "社区",
    "姓名",
    "身份证号",
    "联系电话",
    "销号原因",
    "日期",
    "产前诊断结果",
    "合并到身份证号",
    "备注",
]


def _register_file(demo: Demo) -> FileSpec:
    rows: list[list[Value] | None] = [[entry.get(col) for col in REGISTER_COLUMNS] for entry in demo.register]
    sheet = Sheet(
        "登记簿",
        [list(REGISTER_COLUMNS)],
        rows,
        titles=[f"{demo.settings.programme.issuer}“两筛”工作登记簿"],
        text_cols=frozenset({3, 4, 8}),
        widths={0: 12, 1: 12, 3: 21, 4: 14, 6: 12, 7: 30, 8: 21, 9: 44},
    )
    return FileSpec(REGISTER_FILE, "register", [sheet])


def _lock_bytes() -> bytes:
    """An Excel owner file as left behind while a workbook is open (165 bytes)."""
    user = "jishengban"
    data = bytes([len(user)]) + user.encode("ascii")
    data += b"\x20" * (54 - len(data))
    data += bytes([len(user), 0]) + user.encode("utf-16-le")
    return (
        data
        + b"\x20\x00" * ((LOCK_FILE_SIZE - len(data)) // 2)
        + b"\x00" * ((LOCK_FILE_SIZE - len(data)) % 2)
    )


def _readme(demo: Demo) -> str:
    s = demo.settings
    return "\r\n".join(
        [
            "演示数据说明",
            "",
            f"本文件夹中的表格是为“{s.programme.name}”生成的演示数据，用于第一次试用本工具。",
            "表中所有姓名、身份证号、手机号、住址均为随机生成的虚构信息，不对应任何真实人员。",
            "",
            "内容包括：",
            "1. 各社区已孕对象花名册（每次报送一个文件，格式各不相同，含标题行、合并表头、文本日期、",
            "   身份证号错误、重复行、合计行、CSV文件等常见问题，用于演示数据问题清单）；",
            "2. 卫生院超声NT筛查登记、血清学筛查登记及卫生院系统导出文件；",
            "3. 任务分配表（附件2）；",
            "4. 办事处登记（个案销号、人工合并、产前诊断结果、纸质花名册接收记录）。",
            "",
            "正式使用时，请删除本文件夹中的演示文件，换成各社区实际报送的花名册、卫生院的筛查登记、",
            "任务分配表和办事处登记，然后重新运行。",
            "",
        ]
    )


# ---------------------------------------------------------------------------------------------
# Public API.


def _truth(demo: Demo, files: Sequence[FileSpec]) -> dict[str, Any]:
    settings = demo.settings
    year_end = settings.programme.end
    count_from = settings.programme.count_from
    counts: dict[str, dict[str, int]] = {}
    subsidy: dict[str, int] = {}
    for index, c in enumerate(settings.communities):
        counts[c.name] = {}
        mine = [w for w in demo.women if w.home == index]
        for test in ("nt", "serum"):
            firsts = [min(getattr(w, test)) for w in mine if getattr(w, test)]
            counts[c.name][test] = sum(1 for d in firsts if count_from <= d <= year_end)
        subsidy[c.name] = sum(
            1
            for w in mine
            if w.nt
            and w.serum
            and settings.programme.subsidy_from
            <= max(min(w.nt), min(w.serum))
            <= settings.programme.subsidy_to
        )
    return {
        "seed": demo.seed,
        "files": {f.name: f.data_rows for f in files},
        "kinds": {f.name: f.kind for f in files},
        "roster_submissions": [
            (s.filename, settings.communities[s.community].name, s.due, s.date) for s in demo.submissions
        ],
        "missed_submissions": [(settings.communities[i].name, d) for i, d in demo.missed],
        "women": len([w for w in demo.women if w.rostered]),
        "screened_women_counted": counts,
        "subsidy_cases_jan_apr9": subsidy,
        "register_rows": len(demo.register),
        **demo.truth,
    }


def demo_truth(settings: Settings, seed: int = 2020) -> dict[str, Any]:
    """The ground truth of ``generate_demo(…, settings, seed)`` without writing anything.

    ``files`` maps each file name to its number of data rows (excluding titles, headers, blank and
    合计 rows); ``defects`` names the women carrying each intentional defect; ``screened_women_counted``
    is, by construction, the number of women of each community (by home, whether on a roster or
    not) whose first screening for the test falls between ``count_from`` and the programme end.
    """
    demo = _build(settings, seed)
    files = _files(demo)
    return _truth(demo, files)


def generate_demo(out_dir: Path, settings: Settings, seed: int = 2020) -> list[Path]:
    """Write the demo input folder into ``out_dir`` (created if needed); return the files, sorted."""
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    demo = _build(settings, seed)
    written: list[Path] = []
    for spec in _files(demo):
        path = out_dir / spec.name
        if spec.fmt == "xlsx":
            _write_xlsx(path, spec)
        elif spec.fmt in ("csv-gbk", "csv-utf8"):
            _write_csv(path, spec)
        elif spec.fmt == "html":
            _write_html(path, spec)
        else:
            path.write_bytes(spec.raw)
        written.append(path)
    return sorted(written)
