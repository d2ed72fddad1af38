"""Quota tables (任务分配表) as offices write them: the plan's own 附件2 wording, a header with one
figure for both tests, and headers the reader cannot read (one error naming the file, the header
and the aliases to add; never a silent fall-back to the config's quotas)."""

from __future__ import annotations

from typing import Any

from pipeline.model import FileResult, RawSheet
from pipeline.normalize import normalize
from pipeline.problems import problem_records
from pipeline.quotas import effective_quotas
from pipeline.settings import Settings

# The note the plan writes in the 备注 column of 附件2.
NOTE = "1--3月已完成的数量不累计,但给与100元/例的补助;7月10日、10月10日、12月26日季度评比并兑现奖惩。"


def sheet(file: str, rows: list[list[Any]], name: str = "任务分配表") -> FileResult:
    width = max(len(r) for r in rows)
    grid = [list(r) + [None] * (width - len(r)) for r in rows]
    return FileResult(path=file, format="xlsx", size=1, sha256="0", sheets=[RawSheet(file, name, grid)], problems=[])


def plan_table() -> FileResult:
    """附件2 of the seed as laid out in the plan: one annual column whose header names both tests,
    the weekly figure split by test under a merged header, the note merged down the 备注 column."""
    return sheet(
        "任务分配表.xlsx",
        [
            ["唐河县泗洲街道办事处"],
            ["2020年预防出生缺陷免费产前超声NT筛查及血清学筛查工作任务分配表"],
            ["社区名称", "免费产前超声NT筛查及血清学筛查各应完成人数", "年度剩余任务分解到每周应完成人数", None, "备注"],
            [None, None, "超声NT 筛查", "血清学 筛查", None],
            ["新民", 72, 2, 2, NOTE],
            ["新安", 72, 2, 2, None],
            ["新华", 72, 2, 2, None],
            ["常花园", 72, 2, 2, None],
            ["银华社区", 18, 0.5, 0.5, None],
            ["合计", 306, 8.5, 8.5, None],
        ],
    )


def test_the_plans_quota_table_gives_each_test_the_figure_its_header_names_for_both(settings: Settings) -> None:
    norm = normalize([plan_table()], settings)
    assert norm.sheets[0].kind == "quota"
    q = norm.quota.set_index("community")
    # “…NT筛查及血清学筛查各应完成人数”: 72 each for NT and for serum; weekly 2 / 2, 银华 18 and 0.5 / 0.5.
    assert q.loc["新民社区", ["annual_nt", "annual_serum", "weekly_nt", "weekly_serum"]].tolist() == [72, 72, 2, 2]
    assert q.loc["银华社区", ["annual_nt", "annual_serum", "weekly_nt", "weekly_serum"]].tolist() == [18, 18, 0.5, 0.5]
    assert len(norm.quota) == 5
    assert list(norm.rejected["reason"]) == ["合计行（不是个人记录）"]
    assert [p.code for p in problem_records(norm.problems)] == ["row_skipped"]
    # The 合计 row: 306 for each test (72 × 4 + 18), 8.5 a week.
    assert norm.quota_totals[0]["annual_nt"] == norm.quota_totals[0]["annual_serum"] == 306
    quotas, problems = effective_quotas(settings, norm.quota, norm.quota_totals)
    assert quotas["source"].str.startswith("任务分配表（任务分配表.xlsx 第").all()
    assert quotas.set_index("community").loc["新华社区", "quota_serum"] == 72
    # The table agrees with config.toml; only the plan's own 333 vs 306 is reported.
    assert [p.code for p in problems] == ["goal_vs_quota_sum"]


def test_a_figure_header_naming_no_test_holds_both_tests_figures(settings: Settings) -> None:
    f = sheet(
        "任务表.xlsx",
        [
            ["社区名称", "应完成人数", "每周应完成人数"],
            ["新民社区", 60, 1.5],
            ["银华社区", 20, 0.5],
        ],
    )
    q = normalize([f], settings).quota.set_index("community")
    assert q.loc["新民社区", ["annual_nt", "annual_serum", "weekly_nt", "weekly_serum"]].tolist() == [60, 60, 1.5, 1.5]
    assert q.loc["银华社区", "weekly_serum"] == 0.5


def test_a_quota_header_without_a_figure_is_one_error_and_the_table_is_not_used(settings: Settings) -> None:
    # 全年任务 is no alias: the annual figures cannot be read (the weekly ones can).
    f = sheet(
        "2021任务.xlsx",
        [
            ["社区名称", "全年任务", "每周应完成人数"],
            ["新民社区", 60, 1.5],
            ["新安社区", 60, 1.5],
            ["合计", 120, 3],
        ],
    )
    norm = normalize([f], settings)
    assert norm.sheets[0].kind == "quota" and norm.quota.empty
    # Every line is rejected for the header (the 合计 row for being one), and accounted for.
    assert sorted(norm.rejected["reason"]) == ["任务分配表表头无法识别", "任务分配表表头无法识别", "合计行（不是个人记录）"]
    assert norm.input_rows == norm.accepted_rows + norm.rejected_rows == 3
    errors = [p for p in problem_records(norm.problems) if p.code == "quota_header"]
    assert len(errors) == 1  # one for the sheet, not one per line
    error = errors[0]
    assert (error.file, error.sheet, error.row) == ("2021任务.xlsx", "任务分配表", 1)
    assert "年度超声NT筛查任务数、年度血清学筛查任务数" in error.message
    assert "社区名称｜全年任务｜每周应完成人数" in error.message
    assert "annual" in error.fix and "“全年任务”" in error.fix
    assert not any(p.code == "quota_number" for p in problem_records(norm.problems))


def test_a_sheet_that_looks_like_a_quota_table_but_reads_as_nothing_is_an_error(settings: Settings) -> None:
    # Neither 单位 nor 全年任务 is an alias: no kind fits, but the title says what the sheet is.
    f = sheet(
        "任务.xlsx",
        [
            ["2021年两筛任务分配表"],
            ["单位", "全年任务", "周任务"],
            ["新民社区", 60, 1.5],
        ],
        name="Sheet1",
    )
    norm = normalize([f], settings)
    assert norm.sheets[0].kind == "unknown"
    (error,) = problem_records(norm.problems)
    assert error.code == "quota_header" and error.severity == "error"
    assert "社区名称、年度超声NT筛查任务数、年度血清学筛查任务数" in error.message
    assert "“单位”" in error.fix and "“全年任务”" in error.fix


def test_an_unreadable_quota_table_says_where_the_quotas_came_from(settings: Settings) -> None:
    quotas, problems = effective_quotas(settings, normalize([], settings).quota, [], ["2021任务.xlsx"])
    assert set(quotas["source"]) == {"配置文件（任务分配表无法读取：2021任务.xlsx）"}
    warning = next(p for p in problems if p.code == "quota_from_config")
    assert warning.severity == "warning" and "2021任务.xlsx" in warning.message
    assert dict(warning.details)["files"] == ["2021任务.xlsx"]
