"""The sheets the workbooks share: 汇总, the period histories, 通报期, the person lists, 花名册上报情况,
奖惩, 1-3月补助, 漏报与冲突, 随机抽查名单, 数据问题 and 口径说明, each with its title and the subtitle
that explains how its figures are computed.

Takes an open :class:`Book` (the workbook, its formats, the settings and the as-of date every
title names) and the few frames a sheet shows; builds the display frame
(:mod:`pipeline.outputs.frames`) and writes it through :mod:`pipeline.outputs.xlsx` with the
columns of :mod:`pipeline.outputs.columns`. Which sheets make which workbook is decided by the
workbook modules (:mod:`.master`, :mod:`.community`, :mod:`.readers`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from pipeline import __version__
from pipeline.fmt import cn_date
from pipeline.model import Analysis, FileResult, Scored
from pipeline.outputs import paper
from pipeline.outputs.charts import Place, column_chart, line_chart
from pipeline.outputs.columns import (
    CIRCULAR_COLUMNS,
    CIRCULAR_RULES,
    CUMULATIVE_COLUMNS,
    FILES_COLUMNS,
    FOLLOWUP_COLUMNS,
    FOLLOWUP_RULES,
    GROUP_TABLE,
    HIGH_RISK_COLUMNS,
    HISTORY_COLUMNS,
    HISTORY_RULES,
    INFO_COLUMNS,
    ISSUE_COLUMNS,
    MONEY,
    PAPER_COLUMNS,
    PAYMENT_COLUMNS,
    PLAN_NOTE_COLUMNS,
    PROBLEM_TABLE,
    SETTINGS_COLUMNS,
    SPOT_COLUMNS,
    SUBSIDY_COLUMNS,
    SUBSIDY_SUM_COLUMNS,
    SUMMARY_COLUMNS,
    SUMMARY_RULES,
    TIMELINESS_COLUMNS,
    TIMELINESS_RULES,
    TIMELINESS_SUMMARY_COLUMNS,
    WARNING_COLUMNS,
)
from pipeline.outputs.frames import (
    RosterTimeliness,
    circulars_frame,
    cumulative_frame,
    followup_frame,
    history_frame,
    mask_frame_ids,
    payments_frame,
    screenings_frame,
    subsidy_frames,
    summary_frame,
    summary_totals,
    timeliness_frames,
)
from pipeline.outputs.xlsx import (
    Formats,
    Rule,
    block_header_row,
    header_row_of,
    new_workbook,
    set_print,
    write_block,
    write_heading,
    write_table,
)
from pipeline.problems import Severity, for_display
from pipeline.settings import Settings, settings_rows
from pipeline.wording import org_words, period_word, plan_notes

# Every sheet here has a title and a subtitle row: the (0-based) header row of its main table.
HEADER_ROW = header_row_of("title", "subtitle")

# An organisation with more communities than this (a county's, a province's) gets person lists
# only in the communities' workbooks, and only the latest periods in the history sheets.
LARGE_ORGANISATION = 1000
HISTORY_PERIODS_AT_SCALE = 4

# A workbook with more table rows than this is written with xlsxwriter's constant_memory (rows
# flushed to disk as they are written, so memory stays flat at province size).
CONSTANT_MEMORY_ROWS = 100_000


def large_organisation(settings: Settings) -> bool:
    return len(settings.communities) > LARGE_ORGANISATION


def large_result(result: Analysis) -> bool:
    """More table rows than a workbook should hold in memory while it is written."""
    rec, sc = result.reconciled, result.scored
    frames = (rec.followup, rec.high_risk, rec.missing_from_roster, rec.conflicts, rec.duplicates,
              rec.spot_check, sc.weekly, sc.three_day, sc.circulars, sc.subsidy)
    return sum(len(f) for f in frames) + len(result.problems) > CONSTANT_MEMORY_ROWS


# ----------------------------------------------------------------------------------------------
# An open workbook


@dataclass(frozen=True)
class Book:
    """An open workbook with its formats, the settings its texts quote and the as-of date every
    title names."""

    workbook: Workbook
    fmt: Formats
    settings: Settings
    as_of: dt.date

    def title(self, what: str) -> str:
        return f"{self.settings.programme.name} {what}（截至{cn_date(self.as_of)}）"

    def close(self) -> None:
        self.workbook.close()


def open_book(
    path: Path,
    what: str,
    settings: Settings,
    as_of: dt.date,
    *,
    in_memory: bool = False,
    constant_memory: bool = False,
    screen: Sequence[str] = (),
) -> Book:
    """A new workbook at ``path`` (its folder created), its document title "<what> <as-of>";
    ``screen``: its sheets kept out of the default print (:mod:`pipeline.outputs.paper`)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    title = f"{what} {as_of.isoformat()}"
    workbook, fmt = new_workbook(
        str(path), title=title, in_memory=in_memory, constant_memory=constant_memory, screen=screen
    )
    return Book(workbook, fmt, settings, as_of)


@dataclass(frozen=True)
class RunInfo:
    """What 口径说明 says about the run besides the settings."""

    accounting: dict[str, Any]  # summary["accounting"]: rows read, accepted, rejected
    input_folder: str  # the input folder's name
    files: Sequence[FileResult]  # the input files listed (a community: its own)
    warnings: Sequence[dict[str, Any]]  # programme-level questions for the office


def run_info(result: Analysis) -> RunInfo:
    return RunInfo(result.summary.get("accounting", {}), result.input_dir.name, result.files, result.warnings)


# ----------------------------------------------------------------------------------------------
# Progress and ranking


def _cadence_text(kind: str, settings: Settings) -> str:
    cad = getattr(settings.cadence, kind)
    if cad.kind == "days":
        return f"自{cn_date(settings.programme.assess_from)}起每{cad.every}天为一期"
    if cad.kind == "weekday":
        return f"每周以星期{'一二三四五六日'[cad.weekday - 1]}为期末"
    return "每月" + "、".join("月底" if d >= 31 else f"{d}日" for d in cad.ends) + "为期末"


def _warning_lines(book: Book, sheet: Worksheet, row: int, warnings: Sequence[dict[str, Any]], last_col: int) -> int:
    """The programme-level warnings as 提醒 lines from ``row`` (across columns 0..``last_col``,
    wrapped); returns the next free row."""
    texts = [w.get("message", "") for w in warnings if w.get("message")]
    for text in dict.fromkeys(texts):
        write_heading(sheet, book.fmt, row, f"提醒：{text}", "subtitle", last_col)
        row += 1
    return row + 1 if texts else row


CHART_HEIGHT = 280  # pixels: 14 rows of the default 20 pixels
CHART_ROWS = 15
CHART_MIN_ROWS = 10
ROW_PX = 20
CHART_GAP = 12


def summary_sheet(
    book: Book, scored: Scored, *, circular_period: dict[str, Any] | None, warnings: Sequence[dict[str, Any]]
) -> None:
    """汇总: every community's progress and rank, the warnings and two charts side by side (the
    printed page), then the sub-district's cumulative progress per period (the line chart's
    figures, below the print area)."""
    frame = summary_frame(scored, book.settings)
    last = circular_period
    lag_note = (
        f"“工作落后”和处理措施按第{last['number']}期通报（{last['start']}至{last['end']}）"
        if last
        else "尚无已结束的通报期，暂不认定工作落后"
    )
    title = book.title("进度汇总")
    subtitle = (
        f"应完成=每周任务×（{cn_date(book.settings.programme.assess_from)}起的天数÷7），不超过全年任务；"
        f"完成率=已完成÷应完成；综合完成率=两项已完成合计÷两项应完成合计。{lag_note}。"
    )
    sheet = write_table(
        book.workbook, book.fmt, "汇总", frame, SUMMARY_COLUMNS,
        title=title, subtitle=subtitle, rules=SUMMARY_RULES, totals=summary_totals(frame),
    )[0]
    head = header_row_of(title, subtitle)
    first, last_row = head + 1, head + len(frame)
    last_col = len(SUMMARY_COLUMNS) - 1
    chart_row = _warning_lines(book, sheet, last_row + 3, warnings, last_col)
    # Each warning beyond the first takes a row's height from the charts, so that the table, the
    # warnings and the charts still print on one page.
    chart_rows = max(CHART_MIN_ROWS, CHART_ROWS - max(0, len({w["message"] for w in warnings if w.get("message")}) - 1))
    chart_px = CHART_HEIGHT - (CHART_ROWS - chart_rows) * ROW_PX
    width = sum(paper.column_px(book.fmt.widths[(sheet.get_name(), c)]) for c in range(last_col + 1))
    half = (width - CHART_GAP) // 2
    each, whole = org_words(book.settings).each, org_words(book.settings).whole
    column_chart(book.workbook, sheet, first, last_row, Place(chart_row, 0, half, chart_px), each)
    cum, label = cumulative_frame(scored)
    cum_row = chart_row + chart_rows + 1
    cum_title = f"{whole}累计进度（各{label}末）"
    block_first = block_header_row(cum_row, cum_title)
    write_block(sheet, book.fmt, cum_row, cum, CUMULATIVE_COLUMNS, title=cum_title, rules=[Rule("rate")])
    if len(cum):
        line_chart(book.workbook, sheet, block_first + 1, block_first + len(cum),
                   Place(chart_row, half + CHART_GAP, half, chart_px), label, whole)
    # One page for a sub-district (the table and the charts; the cumulative block is the line
    # chart's figures); a longer table repeats its header.
    set_print(sheet, book.fmt, last_row=chart_row + chart_rows - 1)


def _recent_periods(frame: pd.DataFrame, settings: Settings) -> tuple[pd.DataFrame, str]:
    """A large organisation's history: only the latest periods, with a note saying so."""
    if not (large_organisation(settings) and len(frame) and "period" in frame.columns):
        return frame, ""
    recent = sorted(frame["period"].dropna().unique())[-HISTORY_PERIODS_AT_SCALE:]
    return frame[frame["period"].isin(recent)], f"社区较多，只列最近{len(recent)}期。"


def history_sheet(book: Book, name: str, history: pd.DataFrame, what: str, cadence: str) -> None:
    """A period history (``cadence``: the kind of period in Settings.cadence, e.g. "ranking")."""
    history, note = _recent_periods(history, book.settings)
    frame = history_frame(history, book.settings)
    cadence_text = _cadence_text(cadence, book.settings)
    subtitle = (
        f"{cadence_text}；每期末的累计进度与排名，“名次变化”与上一期比较（↑上升、↓下降、—不变）。{note}"
        if len(frame)
        else f"{cadence_text}；截至统计日尚无已结束的一期。"
    )
    write_table(
        book.workbook, book.fmt, name, frame, HISTORY_COLUMNS,
        title=book.title(what), subtitle=subtitle, rules=HISTORY_RULES,
    )


def circulars_sheet(book: Book, circulars: pd.DataFrame) -> None:
    """通报期: every circular period's ranking, lagging communities and consequences."""
    circulars, note = _recent_periods(circulars, book.settings)
    frame = circulars_frame(circulars, book.settings)
    r = book.settings.ranking
    subtitle = (
        f"{_cadence_text('circular', book.settings)}；每期综合完成率最低的{r.lagging_count}个{org_words(book.settings).unit}"
        f"为工作落后（两项合计达到序时进度的不列入）；已印发通报的期次以印发的名单为准。{note}"
    )
    write_table(
        book.workbook, book.fmt, "通报期", frame, CIRCULAR_COLUMNS,
        title=book.title(f"{period_word(book.settings.cadence.circular)}通报情况"), subtitle=subtitle,
        rules=CIRCULAR_RULES,
    )


# ----------------------------------------------------------------------------------------------
# People


def followup_sheet(book: Book, followup: pd.DataFrame, *, mask: bool, own: bool = False) -> None:
    """随访督促名单 by urgency; the women whose missed screening can no longer be made up come
    last and, when the sheet is printed, outside the print area: paper goes to who can be helped.
    ``own``: a community's own list, without the 社区 column (its name is in the title)."""
    w = book.settings.windows
    frame = followup_frame(followup, book.settings)
    beyond = _beyond_help(frame)
    frame = pd.concat([frame[~beyond], frame[beyond]], ignore_index=True)
    subtitle = (
        f"尚未筛查的孕妇，按紧急程度排列。窗口期：超声NT筛查孕{w.nt_from}至{w.nt_to}周，"
        f"血清学筛查孕{w.serum_from}至{w.serum_to}周；“即将进入窗口期”指{book.settings.followup.opening_within_days}天内进入。"
    )
    printed = "随访督促名单" not in book.fmt.screen
    cut = printed and bool(beyond.any()) and not bool(beyond.all())
    if cut:
        subtitle += f"已错过窗口期且无法补筛的{int(beyond.sum())}条列在最后，不在默认打印范围内。"
    title = book.title("随访督促名单")
    write_table(
        book.workbook, book.fmt, "随访督促名单", mask_frame_ids(frame, mask),
        [c for c in FOLLOWUP_COLUMNS if not (own and c.key == "community_name")], title=title, subtitle=subtitle,
        rules=FOLLOWUP_RULES, print_rows=int((~beyond).sum()) if cut else None,
    )


def _beyond_help(frame: pd.DataFrame) -> pd.Series:
    """The rows of women whose window is missed and whose screening can no longer be made up."""
    if not len(frame) or "missed_reason" not in frame.columns:
        return pd.Series(False, index=frame.index)
    return (frame["status"] == "missed") & (frame["missed_reason"].fillna("") != "screenable")


def high_risk_sheet(book: Book, high_risk: pd.DataFrame, *, mask: bool) -> None:
    subtitle = (
        "筛查结果为"
        + "、".join(book.settings.tests.high_risk)
        + "、尚未登记产前诊断或结案的孕妇：请督促其及时到有资质的医疗机构做产前诊断。"
    )
    write_table(
        book.workbook, book.fmt, "高风险追踪", mask_frame_ids(screenings_frame(high_risk, book.settings), mask),
        HIGH_RISK_COLUMNS, title=book.title("高风险孕妇追踪"), subtitle=subtitle,
    )


def issues_sheet(book: Book, issues: pd.DataFrame, *, name: str, what: str, subtitle: str, mask: bool) -> None:
    """An issues table (:func:`~pipeline.outputs.frames.issues_frame`)."""
    write_table(
        book.workbook, book.fmt, name, mask_frame_ids(issues, mask), ISSUE_COLUMNS,
        title=book.title(what), subtitle=subtitle,
    )


def spot_sheet(book: Book, spot: pd.DataFrame, *, mask: bool) -> None:
    """随机抽查名单 (``spot``: a :func:`~pipeline.outputs.frames.spot_check_frame`)."""
    s = book.settings.spot_check
    period = int(spot["draw_period"].iloc[0]) if len(spot) and "draw_period" in spot.columns else None
    drawn_for = f"第{period}期通报期" if period else "首期通报前"
    subtitle = (
        f"督查组专用（不发通知、不打招呼），不得发给社区。{drawn_for}抽取：每个社区从最新花名册上未销号的孕妇中"
        f"随机抽取{s.size}人（随机种子{s.seed}，同样的数据和配置得到同样的名单，每期另行抽取）；"
        "由督查组核实其居住地、孕情和筛查情况，并填写抽查结果。"
    )
    write_table(
        book.workbook, book.fmt, "随机抽查名单", mask_frame_ids(spot, mask), SPOT_COLUMNS,
        title=book.title("随机抽查名单"), subtitle=subtitle,
    )


# ----------------------------------------------------------------------------------------------
# Rosters, payments, subsidy


def timeliness_sheet(
    book: Book, timeliness: RosterTimeliness, community: str | None = None, *, mask_notes: bool = False
) -> None:
    """花名册上报情况: every community's (or ``community``'s) submissions against the due dates, and
    the signed paper rosters received."""
    settings = book.settings
    summary, detail, paper = timeliness_frames(timeliness, settings, community, mask_notes=mask_notes)
    r = settings.rosters
    subtitle = (
        f"首次花名册应于{cn_date(r.first_due)}前上报，此后每月"
        + "、".join(f"{d}日" for d in r.update_days)
        + "上报更新名单；应报日当天或之前报送为按时，下一个应报日之前补报为迟报，否则为未报。"
    )
    if "花名册上报情况" not in book.fmt.screen:
        subtitle += "打印时只打印本表；下方的逐次上报明细需要时选中后选择“打印选定区域”。"
    sheet = write_table(
        book.workbook, book.fmt, "花名册上报情况", summary, TIMELINESS_SUMMARY_COLUMNS,
        title=book.title("花名册上报情况"), subtitle=subtitle, rules=[Rule("rate")],
    )[0]
    row = HEADER_ROW + max(len(summary), 1) + 2
    if community is None and large_organisation(settings):
        # Thousands of communities × every due date: the details are in each community's workbook.
        detail = detail.iloc[0:0]
        detail_title = "逐次上报明细（社区较多，见各社区工作簿）"
    else:
        detail_title = "逐次上报明细"
    row = write_block(sheet, book.fmt, row, detail, TIMELINESS_COLUMNS, title=detail_title, rules=TIMELINESS_RULES)
    if r.paper or len(paper):  # the plan asks for paper rosters (or the register records some anyway)
        write_block(
            sheet, book.fmt, row, paper, PAPER_COLUMNS, title=f"纸质花名册签收登记（{r.paper or '纸质花名册'}）",
            note="" if len(paper) else "办事处登记簿中没有纸质花名册签收记录。",
        )


def payments_sheet(book: Book, payments: pd.DataFrame) -> None:
    """奖惩: the quarterly evaluations and the year-end rewards and fines."""
    frame = payments_frame(payments, book.settings)
    subtitle = _payments_rules(book.settings)
    if frame.empty:
        subtitle += "截至统计日尚未到第一次评比。"
    totals = {
        "name": "合计",
        "cases": float(frame["cases"].sum()) if len(frame) else 0.0,
        **{k: float(frame[k].sum()) if len(frame) else 0.0 for k in MONEY},
    }
    write_table(
        book.workbook, book.fmt, "奖惩", frame, PAYMENT_COLUMNS,
        title=book.title("奖惩兑现"), subtitle=subtitle,
        rules=[Rule("met", "cell", "否", "red"), Rule("met", "cell", "是", "green")], totals=totals,
    )


def subsidy_heading(settings: Settings) -> str:
    """The subsidy sheet's heading with its real window: "1月1日—4月9日已完成筛查补助"."""
    window = settings.programme.subsidy_window
    if window is None:
        return "补助"
    first, last = window
    same_year = first.year == last.year
    return f"{cn_date(first, year=not same_year)}—{cn_date(last, year=not same_year)}已完成筛查补助"


def _payments_rules(settings: Settings) -> str:
    """The money rules of the plan in force, as the 奖惩 sheet states them (with the quarterly
    evaluation's reading, ``rewards.evaluation_basis``)."""
    rw, unit = settings.rewards, org_words(settings).unit
    parts = []
    if rw.quarterly:
        evaluations = "、".join(cn_date(d) for d in rw.evaluations)
        basis = (
            f"按评比日的累计进度评定，两项累计完成数均达到应完成进度的{unit}"
            if rw.evaluation_basis == "standing"
            else f"按刚结束的季度评定，季度内两项完成数均达到该季度应完成数的{unit}"
        )
        extra = f"并奖励专干{rw.specialist:g}元" if rw.specialist else ""
        parts.append(
            f"季度评比（{evaluations}）：{basis}按每例{rw.per_case:g}元补助{extra}"
            f"（rewards.evaluation_basis = {rw.evaluation_basis}）"
        )
    if rw.year_end_money and rw.year_end is not None:
        money = [f"完成全年任务奖励{rw.year_end_reward:g}元" if rw.year_end_reward else "",
                 f"未完成罚{rw.year_end_fine:g}元" if rw.year_end_fine else ""]
        parts.append(f"年终（{cn_date(rw.year_end)}）" + "，".join(m for m in money if m))
    return "；".join(parts) + "。"


def subsidy_sheet(book: Book, subsidy: pd.DataFrame, *, mask: bool) -> None:
    """1-3月补助: each subsidised screening, then the cases and amount per community."""
    detail, by_community = subsidy_frames(subsidy, book.settings)
    p = book.settings.programme
    unit = "每项筛查" if p.subsidy_case == "each" else "两项均完成的孕妇"
    first, last = p.subsidy_window or (p.count_from, p.count_from)  # written only when there is one
    subtitle = (
        f"{cn_date(first)}至{cn_date(last)}已完成的筛查不计入任务进度，"
        f"按{unit}每例{p.subsidy_per_case:g}元补助。"
    )
    sheet = write_table(
        book.workbook, book.fmt, "1-3月补助", mask_frame_ids(detail, mask), SUBSIDY_COLUMNS,
        title=book.title(subsidy_heading(book.settings)), subtitle=subtitle,
        totals={"community_name": "合计", "amount": float(detail["amount"].sum()) if len(detail) else 0.0},
    )[-1]
    row = HEADER_ROW + max(len(detail), 1) + 3
    totals = {"name": "合计", "cases": float(by_community["cases"].sum()), "amount": float(by_community["amount"].sum())}
    write_block(sheet, book.fmt, row, by_community, SUBSIDY_SUM_COLUMNS, title=f"{org_words(book.settings).each}补助合计", totals=totals)


# ----------------------------------------------------------------------------------------------
# Problems and the explanation


def problems_sheet(
    book: Book, problems: pd.DataFrame, *, grouped: bool = True, name: str = "数据问题", title: str | None = None
) -> None:
    """数据问题: errors red and warnings amber. ``grouped`` (problem groups): one row per thing to fix,
    at its latest occurrence, with every location; else one row per occurrence (a problems frame)."""
    subtitle = (
        "每一行是一个需要改正的地方（同一问题在多份花名册中重复出现只列一次，列出最新的位置；“全部位置”列出每一处；"
        "“全部位置”和“问题代码”两列不在默认打印范围内）："
        "文件、工作表、行号（与Excel中看到的行号一致）、列、内容、问题和改正方法。"
        if grouped
        else "每一行是问题出现的一处：文件、工作表、行号（与Excel中看到的行号一致）、列、内容、问题和改正方法。"
    )
    sheets = write_table(
        book.workbook, book.fmt, name, for_display(problems), GROUP_TABLE if grouped else PROBLEM_TABLE,
        title=title or book.title("数据问题清单"), subtitle=subtitle,
    )
    for sheet in sheets:
        last = len(problems) + 2
        for label, colour in ((Severity.ERROR.label, "red"), (Severity.WARNING.label, "amber")):
            sheet.conditional_format(
                2, 5, last, 5, {"type": "cell", "criteria": "==", "value": f'"{label}"', "format": book.fmt.get(colour)}
            )


def _settings_table(book: Book, rows: Sequence[tuple[str, str, str]]) -> tuple[Worksheet, int]:
    """口径说明's main table: the settings in force with their lines in the config file."""
    table = pd.DataFrame(rows, columns=["c0", "c1", "c2"])
    subtitle = (
        f"本工作簿所有数字均按以下口径计算（配置文件 {Path(book.settings.source).name or 'config.toml'}，"
        "“来源”为配置文件中的行号）；改变口径请修改配置文件中对应的行后重新运行。"
    )
    sheet = write_table(
        book.workbook, book.fmt, "口径说明", table, SETTINGS_COLUMNS, title=book.title("口径说明"), subtitle=subtitle
    )[0]
    return sheet, HEADER_ROW + max(len(table), 1) + 2


def _run_block(book: Book, sheet: Worksheet, row: int, run: RunInfo) -> int:
    """运行信息: as-of date, program version, input folder and the row accounting."""
    acc = run.accounting
    info = pd.DataFrame(
        [
            ("统计截止日期", book.as_of.isoformat()),
            ("程序版本", f"screening {__version__}"),
            ("输入文件夹", run.input_folder),
            ("读取的数据行", str(acc.get("input_rows", ""))),
            ("采用的数据行", str(acc.get("accepted_rows", ""))),
            ("未采用的数据行（见数据问题）", str(acc.get("rejected_rows", ""))),
        ],
        columns=["c0", "c1"],
    )
    return write_block(sheet, book.fmt, row, info, INFO_COLUMNS, title="运行信息")


def _files_block(book: Book, sheet: Worksheet, row: int, files: Sequence[FileResult]) -> int:
    """The input files with their SHA-256, so the files used can be checked later."""
    table = pd.DataFrame(
        [
            {"file": f.path, "sha256": f.sha256, "format": f.format, "size": f.size, "readable": f.readable}
            for f in sorted(files, key=lambda f: f.path)
        ],
        columns=[c.key for c in FILES_COLUMNS],
    )
    return write_block(
        sheet, book.fmt, row, table, FILES_COLUMNS, title="输入文件（可用 SHA-256 校验值核对所用文件）"
    )


def explanation_sheet(book: Book, run: RunInfo, *, rows: Sequence[tuple[str, str, str]] | None = None) -> None:
    """口径说明: the settings in force (``rows``: a precomputed subset; default all), the plan's
    rules, run information, the input files and the questions left to the office."""
    sheet, row = _settings_table(book, settings_rows(book.settings) if rows is None else rows)
    notes = pd.DataFrame(plan_notes(book.settings), columns=["c0", "c1"])
    row = write_block(
        sheet, book.fmt, row, notes, PLAN_NOTE_COLUMNS, title="实施方案各条款的处理方式（含不计算的条款）"
    )
    row = _run_block(book, sheet, row, run)
    row = _files_block(book, sheet, row, run.files)
    warnings = pd.DataFrame(
        [(str(w.get("code", "")), str(w.get("message", ""))) for w in run.warnings], columns=["c0", "c1"]
    )
    write_block(
        sheet, book.fmt, row, warnings, WARNING_COLUMNS, title="需要办事处确认的口径问题",
        note="" if len(warnings) else "无。",
    )
    # Blocks of different columns: no one header row is right for every page.
    set_print(sheet, book.fmt, repeat=None)
