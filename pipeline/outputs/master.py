"""The office's master workbook (两筛进度汇总): every sheet, full IDs and phones (IDs masked only
when ``privacy.mask_ids_in_master_workbook``).

Takes the whole :class:`~pipeline.model.Analysis` (the master shows all of it) and the settings;
writes one .xlsx at the path given (named by :mod:`pipeline.outputs.names`). The same result gives
a byte-identical file. A large organisation's person lists are counted per community here and
listed in full in the communities' workbooks.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.model import Analysis
from pipeline.outputs.columns import COUNT_COLUMNS
from pipeline.outputs.frames import (
    RosterTimeliness,
    issue_sources,
    issues_frame,
    mask_problem_ids,
    spot_check_frame,
)
from pipeline.outputs.sheets import (
    Book,
    circulars_sheet,
    explanation_sheet,
    followup_sheet,
    high_risk_sheet,
    history_sheet,
    issues_sheet,
    large_organisation,
    large_result,
    open_book,
    payments_sheet,
    problems_sheet,
    run_info,
    spot_sheet,
    subsidy_heading,
    subsidy_sheet,
    summary_sheet,
    timeliness_sheet,
)
from pipeline.outputs.xlsx import write_table
from pipeline.settings import Settings
from pipeline.wording import health_centre, org_words

MASTER_SHEETS = (
    "汇总",
    "周排序",
    "三日汇总",
    "通报期",
    "随访督促名单",
    "高风险追踪",
    "花名册上报情况",
    "奖惩",  # only when the plan has quarterly or year-end money
    "1-3月补助",  # only when the plan has a subsidy
    "漏报与冲突",
    "随机抽查名单",
    "数据问题",
    "口径说明",
)
# Kept out of the default print (pipeline.outputs.paper): histories, the lists each reader gets in
# their own workbook (a community's follow-up list, the inspection group's draw, 数据问题.xlsx),
# corrections made in files, the subsidy's detail and 口径说明. Printed: 汇总, 高风险追踪, the
# roster summary and 奖惩.
MASTER_SCREEN = ("周排序", "三日汇总", "通报期", "随访督促名单", "1-3月补助", "漏报与冲突", "随机抽查名单", "数据问题", "口径说明")


def issues_subtitle(settings: Settings) -> str:
    unit, centre = org_words(settings).unit, health_centre(settings)
    return (
        f"类型：漏报（已筛查、筛查后已到花名册上报日仍未列入花名册，按住址计入{unit}）、待核实（已筛查、尚未到花名册上报日）、"
        f"无法归属、项目期外（筛查日期在项目期外，不计入任务）、花名册冲突（同一人在两个{unit}）、"
        f"重复筛查、花名册重复行、自报未核实（花名册称已做但{centre}无记录）。"
    )


def women_per_community(frame: pd.DataFrame) -> tuple[pd.Series, int]:
    """(distinct women per community, distinct women in all) of a person list: a woman on the list
    for both tests, or in two rows, is one person (rows without a person key count one each)."""
    if not len(frame) or "community" not in frame.columns:
        return pd.Series(dtype="int64"), 0
    if "pkey" not in frame.columns:
        return frame["community"].value_counts(), len(frame)
    row_keys = pd.Series([f"row:{i}" for i in range(len(frame))], index=frame.index, dtype="string")
    who = frame["pkey"].astype("string").fillna(row_keys)
    pairs = pd.DataFrame({"community": frame["community"], "who": who}).drop_duplicates()
    return pairs["community"].value_counts(), int(pairs["who"].nunique())


def counts_sheet(book: Book, name: str, what: str, frame: pd.DataFrame) -> None:
    """A person list of a large organisation, as the number of people (distinct women) per community."""
    settings = book.settings
    counts, total = women_per_community(frame)
    table = pd.DataFrame(
        {
            "parent": [c.parent for c in settings.communities],
            "name": [c.name for c in settings.communities],
            "count": [int(counts.get(c.key, 0)) for c in settings.communities],
        }
    )
    write_table(
        book.workbook, book.fmt, name, table, COUNT_COLUMNS, title=book.title(what),
        subtitle=f"共 {total:,} 人。社区较多（{len(settings.communities):,} 个），名单按社区分别列在各社区的工作簿中"
        "（“社区”文件夹），此处只列各社区人数。",
    )


def _progress_sheets(book: Book, result: Analysis) -> None:
    """汇总, 周排序, 三日汇总, 通报期."""
    sc = result.scored
    summary_sheet(book, sc, circular_period=result.summary.get("circular_period"), warnings=result.warnings)
    history_sheet(book, "周排序", sc.weekly, "每周排序", "ranking")
    history_sheet(book, "三日汇总", sc.three_day, "三日汇总", "summary")
    circulars_sheet(book, sc.circulars)


def _people_sheets(book: Book, result: Analysis, *, large: bool, mask: bool) -> None:
    """随访督促名单, 高风险追踪 (person lists of thousands of communities are for the communities:
    each community's workbook has its own; the master counts them per community)."""
    rec = result.reconciled
    if large:
        counts_sheet(book, "随访督促名单", "随访督促名单", rec.followup)
        counts_sheet(book, "高风险追踪", "高风险孕妇追踪", rec.high_risk)
    else:
        followup_sheet(book, rec.followup, mask=mask)
        high_risk_sheet(book, rec.high_risk, mask=mask)


def _roster_and_payment_sheets(book: Book, result: Analysis, *, large: bool, mask: bool) -> None:
    """花名册上报情况, 奖惩 and 1-3月补助 (the last two only when the plan has them)."""
    timeliness_sheet(book, RosterTimeliness.of(result.scored, result.reconciled))
    if book.settings.rewards.used:  # a plan without money has no 奖惩 sheet
        payments_sheet(book, result.scored.payments)
    if not book.settings.programme.subsidy:  # nor a subsidy sheet without a subsidy
        return
    if large:
        counts_sheet(book, "1-3月补助", subsidy_heading(book.settings), result.scored.subsidy)
    else:
        subsidy_sheet(book, result.scored.subsidy, mask=mask)


def _check_sheets(book: Book, result: Analysis, *, large: bool, mask: bool) -> None:
    """漏报与冲突, 随机抽查名单, 数据问题."""
    rec = result.reconciled
    issues = issues_frame(issue_sources(rec), book.settings)
    if large:
        counts_sheet(book, "漏报与冲突", "漏报、冲突与待核实", issues)
        counts_sheet(book, "随机抽查名单", "随机抽查名单", rec.spot_check)
    else:
        issues_sheet(book, issues, name="漏报与冲突", what="漏报、冲突与待核实", mask=mask,
                     subtitle=issues_subtitle(book.settings))
        spot_sheet(book, spot_check_frame(rec.spot_check, book.settings), mask=mask)
    groups = result.problem_groups
    problems_sheet(book, mask_problem_ids(groups) if mask else groups)


def write_spot_checks(path: Path, result: Analysis, settings: Settings) -> Path:
    """督查抽查名单: the inspection group's own list of the period's spot checks, never sent to a
    community. It leaves the office with the group: names, phones and addresses to find the women,
    IDs masked (the master workbook has them in full)."""
    book = open_book(path, "督查抽查名单", settings, result.as_of, screen=("口径说明",))
    spot_sheet(book, spot_check_frame(result.reconciled.spot_check, settings), mask=True)
    explanation_sheet(book, run_info(result))
    book.close()
    return path


def write_master(path: Path, result: Analysis, settings: Settings) -> Path:
    """The office's master workbook: every sheet, full IDs and phones (IDs masked only when
    ``privacy.mask_ids_in_master_workbook``)."""
    mask = settings.privacy.mask_ids_in_master_workbook
    large = large_organisation(settings)
    book = open_book(path, "两筛进度汇总", settings, result.as_of, constant_memory=large_result(result),
                     screen=MASTER_SCREEN)
    _progress_sheets(book, result)
    _people_sheets(book, result, large=large, mask=mask)
    _roster_and_payment_sheets(book, result, large=large, mask=mask)
    _check_sheets(book, result, large=large, mask=mask)
    explanation_sheet(book, run_info(result))
    book.close()
    return path
