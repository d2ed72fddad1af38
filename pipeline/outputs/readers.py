"""The workbooks for readers outside the office: the leaders' copy (community-level sheets only,
no personal data), the health centre's checklist of its own log rows (IDs and phones masked: it
travels by email) and the problems workbook (every data problem and every rejected row).

Takes the whole :class:`~pipeline.model.Analysis` and the settings; writes one .xlsx at the path
given (named by :mod:`pipeline.outputs.names`). The same result gives byte-identical files.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.model import KIND_LABELS, Analysis
from pipeline.outputs.columns import ISSUE_COLUMNS, REJECTED_COLUMNS, WINDOW_COLUMNS
from pipeline.outputs.cover import brief_sheet
from pipeline.outputs.frames import (
    RosterTimeliness,
    health_centre_problems,
    issue_sources,
    issues_frame,
    mask_people,
    mask_problem_ids,
    mask_rejected,
    window_frame,
)
from pipeline.outputs.sheets import (
    Book,
    circulars_sheet,
    explanation_sheet,
    history_sheet,
    large_result,
    open_book,
    payments_sheet,
    problems_sheet,
    run_info,
    summary_sheet,
    timeliness_sheet,
)
from pipeline.outputs.xlsx import write_table
from pipeline.settings import Settings
from pipeline.wording import health_centre

LEADER_SHEETS = ("简报", "汇总", "周排序", "通报期", "花名册上报情况", "奖惩", "口径说明")
HEALTH_CENTRE_SHEETS = ("数据问题", "窗口期外筛查", "未在花名册", "重复筛查", "口径说明")
# Kept out of the default print (pipeline.outputs.paper). The leaders print the brief, 汇总 and the
# money; the health centre the women it checks against its paper registers, not the corrections it
# makes in its log files (数据问题, 重复筛查).
LEADER_SCREEN = ("周排序", "通报期", "花名册上报情况", "口径说明")
HEALTH_CENTRE_SCREEN = ("数据问题", "重复筛查", "口径说明")
PROBLEMS_SCREEN = ("逐处清单",)


def write_leaders(path: Path, result: Analysis, settings: Settings) -> Path:
    """The leaders' copy: community-level sheets only, no personal data."""
    book = open_book(path, "两筛进度（领导版）", settings, result.as_of, constant_memory=large_result(result),
                     screen=LEADER_SCREEN)
    brief_sheet(book, result.summary, settings)
    sc = result.scored
    summary_sheet(book, sc, circular_period=result.summary.get("circular_period"), warnings=result.warnings)
    history_sheet(book, "周排序", sc.weekly, "每周排序", "ranking")
    circulars_sheet(book, sc.circulars)
    timeliness_sheet(book, RosterTimeliness.of(sc, result.reconciled), mask_notes=True)
    if settings.rewards.used:
        payments_sheet(book, sc.payments)
    explanation_sheet(book, run_info(result))
    book.close()
    return path


def _health_centre_problems_sheet(book: Book, result: Analysis) -> None:
    """The problems in the health centre's own logs, every ID-like value masked."""
    problems_sheet(book, mask_problem_ids(health_centre_problems(result.problem_groups, result.normalized.sheets), phones=True))


def _window_sheet(book: Book, result: Analysis) -> None:
    rec, w = result.reconciled, book.settings.windows
    write_table(
        book.workbook, book.fmt, "窗口期外筛查", mask_people(window_frame(rec.screenings, rec.women, book.settings)),
        WINDOW_COLUMNS, title=book.title("窗口期外或孕周未知的筛查"),
        subtitle=f"窗口期：超声NT筛查孕{w.nt_from}至{w.nt_to}周，血清学筛查孕{w.serum_from}至{w.serum_to}周；"
        "请核对筛查日期和末次月经是否登记正确。",
    )


def _issue_sheets(book: Book, result: Analysis) -> None:
    """未在花名册 (screened, on no roster) and 重复筛查 (screened twice)."""
    rec, settings = result.reconciled, book.settings
    unlisted = ("漏报", "待核实", "无法归属")
    none = issues_frame(issue_sources(rec, unlisted), settings, unlisted)
    # The centre acts on the rows it alone can fix, the addresses naming no community (无法归属);
    # 漏报 and 待核实 are already counted for the community the address names, which lists them
    # (its workbook says so): they follow, for the record, below the print area.
    own = none["type"] == "无法归属"
    none = pd.concat([none[own], none[~own]], ignore_index=True)
    subtitle = "这些孕妇有筛查记录但不在任何社区的花名册上；请核对姓名、身份证号和住址（写明社区），便于归属到社区。"
    cut = "未在花名册" not in book.fmt.screen and bool(own.any()) and not bool(own.all())
    if cut:
        subtitle += f"已按住址计入社区、由社区补报的{int((~own).sum())}条（漏报、待核实）列在最后，不在默认打印范围内。"
    write_table(
        book.workbook, book.fmt, "未在花名册", mask_people(none), ISSUE_COLUMNS,
        title=book.title("未在社区花名册上的筛查"), subtitle=subtitle, print_rows=int(own.sum()) if cut else None,
    )
    dups = issues_frame(issue_sources(rec, ("重复筛查",)), settings, ("重复筛查",))
    write_table(
        book.workbook, book.fmt, "重复筛查", mask_people(dups), ISSUE_COLUMNS,
        title=book.title("重复登记的筛查"),
        subtitle="同一孕妇同一项目登记了不止一次，只计第一次；请核对是否为重复录入。",
    )


def write_health_centre(path: Path, result: Analysis, settings: Settings) -> Path:
    """The health centre's checklist: problems in its own log rows, its screenings outside the
    gestational window, on no roster, and repeated, so that it can correct its records. Rows are
    found by file, sheet and row number; ID numbers are masked (the list travels by email)."""
    book = open_book(path, f"{health_centre(settings)}核对清单", settings, result.as_of,
                     constant_memory=large_result(result), screen=HEALTH_CENTRE_SCREEN)
    _health_centre_problems_sheet(book, result)
    _window_sheet(book, result)
    _issue_sheets(book, result)
    explanation_sheet(book, run_info(result))
    book.close()
    return path


def rejected_rows_frame(rejected: pd.DataFrame) -> pd.DataFrame:
    """The rejected rows as people read them: the sheet kind by its Chinese name (花名册, not roster)."""
    return rejected.assign(kind=rejected["kind"].map(lambda k: KIND_LABELS.get(k, k))) if len(rejected) else rejected


def write_problems_workbook(path: Path, result: Analysis, settings: Settings) -> Path:
    """Every data problem, and every input row that was not used with its reason. IDs (also those
    failing their check digit) and mobiles are masked: the full values are only in the master
    workbook (unless ``privacy.mask_ids_in_master_workbook``), which this file points back to by
    file, sheet and row."""
    book = open_book(path, "数据问题", settings, result.as_of, screen=PROBLEMS_SCREEN)
    title = f"{settings.programme.name} 数据问题清单（截至 {result.as_of.isoformat()}）"
    problems_sheet(book, mask_problem_ids(result.problem_groups, phones=True), name="问题汇总", title=title)
    problems_sheet(book, mask_problem_ids(result.problems, phones=True), grouped=False, name="逐处清单", title=title)
    write_table(
        book.workbook, book.fmt, "未采用的行", rejected_rows_frame(mask_rejected(result.normalized.rejected)),
        REJECTED_COLUMNS,
        title="未采用的行（每一行都有原因）",
    )
    book.close()
    return path
