"""The one-page sheets a workbook opens with: the leaders' 简报 and a community's 概况 card.

Both are portrait A4 pages laid out on a grid of columns (:class:`Grid`): a title, lines of text
and small tables, every figure from ``summary.json``'s records (the same figures the terminal and
the 汇总 sheet show). Takes the summary, the settings and (for a card) the community's view;
writes one sheet into an open workbook.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from xlsxwriter.worksheet import Worksheet

from pipeline.fmt import cn_date
from pipeline.outputs import paper
from pipeline.outputs.xlsx import Formats, set_print
from pipeline.settings import Settings
from pipeline.wording import org_words

BRIEF_SHEET = "简报"
CARD_SHEET = "概况"
# More communities than this: a one-page sheet lists the first and the lagging ones only.
LISTED_AT_MOST = 20
SHORT = {"nt": "超声NT", "serum": "血清学"}


@dataclass
class Grid:
    """A page written row by row on columns of fixed widths: lines of text across the page and
    small tables whose last column takes the remaining grid columns."""

    sheet: Worksheet
    fmt: Formats
    widths: Sequence[float]
    row: int = 0
    tables: list[tuple[int, int]] = field(default_factory=list)  # (header row, last row) of each table

    def __post_init__(self) -> None:
        for c, w in enumerate(self.widths):
            self.sheet.set_column(c, c, w)
            self.fmt.widths[(self.sheet.get_name(), c)] = w

    @property
    def last_col(self) -> int:
        return len(self.widths) - 1

    def line(self, text: str, style: str = "para") -> None:
        """``text`` across the page, wrapped, its row as tall as it needs."""
        font = {"card_title": 16.0, "section": 11.0}.get(style, paper.BODY_PT)
        self.sheet.set_row(self.row, paper.wrapped_height(text, sum(self.widths), font))
        self.sheet.merge_range(self.row, 0, self.row, self.last_col, text, self.fmt.get(style))
        self.row += 1

    def gap(self) -> None:
        self.sheet.set_row(self.row, 6)
        # A blank cell keeps the row (and its height) in a workbook written with constant_memory.
        self.sheet.write_blank(self.row, 0, None, self.fmt.get("para"))
        self.row += 1


    def _cell(self, row: int, span: tuple[int, int], value: Any, style: str) -> None:
        first, last = span
        if first == last:
            if isinstance(value, int | float) and not isinstance(value, bool):
                self.sheet.write_number(row, first, value, self.fmt.get(style))
            else:
                self.sheet.write_string(row, first, "" if value is None else str(value), self.fmt.get(style))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            self.sheet.merge_range(row, first, row, last, "", self.fmt.get(style))
            self.sheet.write_number(row, first, value, self.fmt.get(style))
        else:
            self.sheet.merge_range(row, first, row, last, "" if value is None else str(value), self.fmt.get(style))

    def table(
        self,
        headers: Sequence[str],
        rows: Sequence[Sequence[Any]],
        kinds: Sequence[str],
        spans: Sequence[tuple[int, int]] | None = None,
    ) -> None:
        """A table: ``kinds`` per column as in :mod:`pipeline.outputs.xlsx` (text, int, number,
        percent, money); ``spans``: the grid columns (first, last) of each column, default one
        each; a row whose first value is 合计 is bold."""
        spans = list(spans) if spans is not None else [(c, c) for c in range(len(headers))]
        width = [sum(self.widths[a : b + 1]) for a, b in spans]
        self.sheet.set_row(self.row, max(paper.wrapped_height(h, w) for h, w in zip(headers, width, strict=True)))
        first = self.row
        for span, header in zip(spans, headers, strict=True):
            self._cell(self.row, span, header, "header")
        for values in rows:
            self.row += 1
            total = bool(values) and values[0] == "合计"
            heights = [paper.wrapped_height(str(v), w) for v, w, k in zip(values, width, kinds, strict=True)
                       if k == "text" and v]
            if heights:
                self.sheet.set_row(self.row, max(heights))
            for span, value, kind in zip(spans, values, kinds, strict=True):
                style = f"total_{kind}" if total else ("wrap" if kind == "text" else kind)
                self._cell(self.row, span, value, style)
        self.tables.append((first, self.row))
        self.row += 1

    def finish(self) -> None:
        """Portrait, one page wide, everything written printed; no rows repeated."""
        name = self.sheet.get_name()
        self.fmt.layouts[name] = paper.PrintLayout(
            last_row=max(self.row - 1, 0), last_col=self.last_col, landscape=False, fixed=True
        )
        set_print(self.sheet, self.fmt)
        self.sheet.center_horizontally()
        self.sheet.hide_gridlines(2)


# ----------------------------------------------------------------------------------------------
# Figures as both sheets show them


def _rate(done: float, expected: float) -> float | None:
    return done / expected if expected > 0 else None


def progress_rows(quota: Mapping[str, Any], expected: Mapping[str, Any], done: Mapping[str, Any],
                  remaining: Mapping[str, Any]) -> list[list[Any]]:
    """项目, 全年任务, 应完成, 已完成, 完成率, 剩余任务: each test, then both."""
    rows: list[list[Any]] = [
        [SHORT[t], quota[t], expected[t], done[t], _rate(done[t], expected[t]), remaining[t]] for t in SHORT
    ]
    rows.append([
        "合计", sum(quota[t] for t in SHORT), sum(expected[t] for t in SHORT), sum(done[t] for t in SHORT),
        _rate(sum(done[t] for t in SHORT), sum(expected[t] for t in SHORT)), sum(remaining[t] for t in SHORT),
    ])
    return rows


PROGRESS_HEADERS = ("项目", "全年任务", "应完成", "已完成", "完成率", "剩余任务")
PROGRESS_KINDS = ("text", "int", "number", "int", "percent", "int")


def verdict(c: Mapping[str, Any]) -> str:
    """The community's line of the last circular, as 汇总 has it: 工作落后 with its consequences,
    or its praise and any consequence still running (取消年底评先资格（延续）)."""
    if c.get("lagging"):
        return "工作落后" + (f"：{c['consequence']}" if c.get("consequence") else "")
    return "；".join(str(c[k]) for k in ("commendation", "consequence") if c.get(k))


def _name(c: Mapping[str, Any]) -> str:
    return str(c.get("display_name") or c["name"])


def _ranked(communities: Sequence[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    return sorted(communities, key=lambda c: (c["rank"] is None, c["rank"] or 0))


def _period_text(period: Mapping[str, Any] | None) -> str:
    if not period:
        return "尚无已结束的通报期"
    start, end = (dt_of(period["start"]), dt_of(period["end"]))
    return f"第{period['number']}期通报期（{cn_date(start, year=False)}至{cn_date(end, year=False)}）"


def _two_lines(title: str, settings: Settings) -> str:
    """A one-page sheet's title on two lines, the programme's name on the first: it never breaks
    inside a word or leaves a bracket alone."""
    name = settings.programme.name
    return name + "\n" + title.removeprefix(name).strip() if title.startswith(name) else title


def dt_of(text: str) -> Any:
    return pd.Timestamp(text).date()


# ----------------------------------------------------------------------------------------------
# The leaders' brief


def brief_sheet(book: Any, summary: Mapping[str, Any], settings: Settings) -> None:
    """简报: one portrait page for the leaders (``book``: a :class:`~pipeline.outputs.sheets.Book`)."""
    sheet = book.workbook.add_worksheet(BRIEF_SHEET)
    grid = Grid(sheet, book.fmt, (5, 11, 7.5, 7.5, 7.5, 7.5, 8, 26))
    org = org_words(settings)
    communities = list(summary.get("communities") or [])
    period = summary.get("circular_period")
    grid.line(_two_lines(book.title("进度简报"), settings), "card_title")
    grid.line(f"排名和处理措施按{_period_text(period)}。", "para")
    grid.gap()
    _brief_progress(grid, summary, communities)
    _brief_ranking(grid, communities, org.each, org.unit)
    _brief_rosters(grid, communities)
    if settings.rewards.used or settings.programme.subsidy:
        _brief_money(grid, communities, settings)
    _brief_attention(grid, communities, summary)
    grid.line("明细见本工作簿“汇总”“奖惩”等表；每个数字的计算口径见“口径说明”。", "note")
    grid.finish()


def _brief_progress(grid: Grid, summary: Mapping[str, Any], communities: Sequence[Mapping[str, Any]]) -> None:
    totals = summary.get("totals") or {}
    remaining = {t: sum(c["remaining"][t] for c in communities) for t in SHORT}
    grid.line("一、总体进度", "section")
    if totals:
        grid.table(PROGRESS_HEADERS, progress_rows(totals["quota"], totals["expected"], totals["done"], remaining),
                   PROGRESS_KINDS, [(0, 1), (2, 2), (3, 3), (4, 4), (5, 5), (6, 6)])
    grid.gap()


def _brief_ranking(grid: Grid, communities: Sequence[Mapping[str, Any]], each: str, unit: str) -> None:
    ranked = _ranked(communities)
    shown = ranked if len(ranked) <= LISTED_AT_MOST else [
        c for i, c in enumerate(ranked) if i < LISTED_AT_MOST // 2 or c.get("lagging")
    ]
    grid.line(f"二、{each}排名（按两项合计完成率）", "section")
    rows = [
        [c["rank"] if c["rank"] is not None else "—", _name(c), c["done"]["nt"], c["expected"]["nt"],
         c["done"]["serum"], c["expected"]["serum"], c["rate"], verdict(c)]
        for c in shown
    ]
    grid.table(("排名", unit, "超声NT已完成", "超声NT应完成", "血清学已完成", "血清学应完成", "综合完成率", "通报"),
               rows, ("text", "text", "int", "number", "int", "number", "percent", "text"))
    if len(shown) < len(ranked):
        grid.line(f"共{len(ranked)}个{unit}，此处列出前{LISTED_AT_MOST // 2}名和工作落后的{unit}，其余见“汇总”。", "note")
    grid.gap()


def roster_text(communities: Sequence[Mapping[str, Any]]) -> str:
    """Who submitted every roster on time and who was late or missing, in one paragraph."""
    on_time, behind = [], []
    for c in communities:
        t = c.get("roster_timeliness") or {}
        late, missing = int(t.get("late") or 0), int(t.get("missing") or 0)
        if late or missing:
            parts = [f"迟报{late}次" if late else "", f"未报{missing}次" if missing else ""]
            behind.append(f"{_name(c)}（{'、'.join(p for p in parts if p)}）")
        elif t.get("due"):
            on_time.append(_name(c))
    due = max((int((c.get("roster_timeliness") or {}).get("due") or 0) for c in communities), default=0)
    if not due:
        return "截至统计日尚无到期的花名册上报。"
    text = f"截至统计日应报{due}次。"
    if on_time:
        text += ("全部按时上报：" + "、".join(on_time) if len(on_time) <= LISTED_AT_MOST else f"{len(on_time)}个全部按时上报") + "。"
    if behind:
        text += ("有迟报或未报：" + "；".join(behind) if len(behind) <= LISTED_AT_MOST else f"{len(behind)}个有迟报或未报，见“花名册上报情况”") + "。"
    return text


def _brief_rosters(grid: Grid, communities: Sequence[Mapping[str, Any]]) -> None:
    grid.line("三、花名册上报", "section")
    grid.line(roster_text(communities))
    grid.gap()


def _money_columns(settings: Settings) -> list[tuple[str, str]]:
    """(header, key of a community's record) of the money the plan has."""
    rw, cols = settings.rewards, []
    if rw.quarterly:
        cols.append(("按例补助", "cases"))
        if rw.specialist:
            cols.append(("专干奖励", "specialist"))
    if rw.year_end_money:
        cols += [("年终奖励", "year_end_reward"), ("罚款", "fine")]
    if settings.programme.subsidy:
        cols.append(("1-3月补助", "subsidy"))
    return cols


def _brief_money(grid: Grid, communities: Sequence[Mapping[str, Any]], settings: Settings) -> None:
    cols = _money_columns(settings)
    if not cols:
        return

    def amount(c: Mapping[str, Any], key: str) -> float:
        value = c.get("subsidy") if key == "subsidy" else (c.get("payments") or {}).get(key)
        return float(value or 0)

    grid.line("四、奖惩兑现（元，累计至统计日）", "section")
    rows: list[list[Any]] = []
    if len(communities) <= LISTED_AT_MOST:
        rows = [[_name(c), *(amount(c, k) for _, k in cols)] for c in communities]
    rows.append(["合计", *(sum(amount(c, k) for c in communities) for _, k in cols)])
    grid.table((org_words(settings).unit, *(h for h, _ in cols)), rows, ("text", *("yuan" for _ in cols)),
               [(0, 1), *((c, c) for c in range(2, 2 + len(cols)))])
    grid.gap()


def attention_lines(communities: Sequence[Mapping[str, Any]], warnings: Sequence[Mapping[str, Any]]) -> list[str]:
    """The women needing action and the office's open questions, as sentences."""

    def total(key: str, sub: str | None = None) -> int:
        return sum(int((c.get(key) or {}).get(sub, 0) if sub else c.get(key) or 0) for c in communities)

    lines = [
        f"随访：窗口期内尚未筛查{total('followup_women', 'open')}人，即将进入窗口期{total('followup_women', 'soon')}人，"
        f"已错过窗口期{total('followup_women', 'missed')}人（其中可补筛{total('followup_women', 'missed_screenable')}人）。",
        f"高风险孕妇尚未登记产前诊断：{total('high_risk_awaiting_diagnosis')}人。",
        f"已筛查未列入花名册：漏报{total('missing_from_roster_women')}人，待核实{total('pending_verification_women')}人。",
    ]
    texts = dict.fromkeys(str(w.get("message")) for w in warnings if w.get("message"))
    lines += [f"提醒：{t}" for t in texts]
    return lines


def _brief_attention(grid: Grid, communities: Sequence[Mapping[str, Any]], summary: Mapping[str, Any]) -> None:
    grid.line("五、需要关注", "section")
    for text in attention_lines(communities, summary.get("warnings") or []):
        grid.line(text)
    grid.gap()


# ----------------------------------------------------------------------------------------------
# A community's card


@dataclass(frozen=True)
class CardFacts:
    """What a community's card shows besides its summary record."""

    name: str
    rank_text: str
    scope: str  # 全街道, 城关镇
    peers: Sequence[Mapping[str, Any]]  # the summary records of the communities it is ranked among
    late_dues: Sequence[tuple[Any, str]]  # (due date, 迟报/未报) of its roster submissions
    problems: int  # problems in its own roster files


def card_sheet(book: Any, own: Mapping[str, Any], facts: CardFacts, period: Mapping[str, Any] | None,
               settings: Settings) -> None:
    """概况: one portrait page of a community's own figures (``own``: its summary record)."""
    sheet = book.workbook.add_worksheet(CARD_SHEET)
    grid = Grid(sheet, book.fmt, (16, 9, 9, 9, 9, 9, 20))
    unit = org_words(settings).unit
    grid.line(_two_lines(book.title(f"{facts.name}工作概况"), settings), "card_title")
    grid.gap()
    standing = facts.rank_text
    if period:
        said = verdict(own)
        standing += f"{_period_text(period)}：{said or '未列入工作落后'}。"
    grid.line(standing, "para")
    grid.gap()
    grid.line("一、任务进度", "section")
    grid.table(PROGRESS_HEADERS, progress_rows(own["quota"], own["expected"], own["done"], own["remaining"]),
               PROGRESS_KINDS)
    grid.gap()
    if len(facts.peers) <= LISTED_AT_MOST:
        grid.line(f"二、{facts.scope}各{unit}排名", "section")
        rows = [[_name(c), c["rank"] if c["rank"] is not None else "—", c["rate"], "是" if c.get("lagging") else "否"]
                for c in _ranked(facts.peers)]
        grid.table((unit, "排名", "综合完成率", "工作落后"), rows, ("text", "text", "percent", "text"))
        grid.gap()
    _card_rosters(grid, own, facts)
    _card_todo(grid, own, facts)
    grid.line("名单和明细见本工作簿其他各表；每个数字的计算口径见“口径说明”。", "note")
    grid.finish()


def _card_rosters(grid: Grid, own: Mapping[str, Any], facts: CardFacts) -> None:
    grid.line("三、花名册上报", "section")
    t = own.get("roster_timeliness") or {}
    grid.table(("项目", "应报次数", "按时", "迟报", "未报", "按时上报率"),
               [["花名册", t.get("due") or 0, t.get("on_time") or 0, t.get("late") or 0, t.get("missing") or 0,
                 t.get("rate")]],
               ("text", "int", "int", "int", "int", "percent"))
    if facts.late_dues:
        grid.line("；".join(f"{cn_date(d, year=False)}应报：{s}" for d, s in facts.late_dues) + "。", "note")
    grid.gap()


def _card_todo(grid: Grid, own: Mapping[str, Any], facts: CardFacts) -> None:
    fu = own.get("followup_women") or {}
    rows = [
        ["窗口期内尚未筛查", fu.get("open", 0), "请督促尽快筛查（随访督促名单）"],
        ["即将进入窗口期", fu.get("soon", 0), "请提前通知（随访督促名单）"],
        ["已错过窗口期", fu.get("missed", 0), f"其中可补筛{fu.get('missed_screenable', 0)}人（随访督促名单）"],
        ["高风险未登记产前诊断", own.get("high_risk_awaiting_diagnosis", 0), "请督促做产前诊断（高风险追踪）"],
        ["漏报（已筛查未列入花名册）", own.get("missing_from_roster_women", 0), "请补报到花名册（漏报与冲突）"],
        ["待核实", own.get("pending_verification_women", 0), "下次上报时列入花名册（漏报与冲突）"],
        ["自报已筛查但无记录", own.get("self_reported_unverified", 0), "请核实（漏报与冲突）"],
        ["花名册数据问题", facts.problems, "请按改正方法修改（数据问题）"],
    ]
    grid.line("四、需要做的事（人数）", "section")
    grid.table(("事项", "人数", "怎么做（见哪张表）"), rows, ("text", "int", "text"), [(0, 0), (1, 1), (2, grid.last_col)])
    grid.gap()


