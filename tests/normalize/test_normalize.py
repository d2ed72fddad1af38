"""Header finding, classification, column mapping, row rules and the accounting, on small
hand-made sheets (RawSheet grids exactly as the loader produces them)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from pipeline.model import FileResult, RawSheet
from pipeline.normalize import Vocabulary, date_in_text, find_header, normalize
from pipeline.normalize.ids import check_digit
from pipeline.problems import Severity, problem_records


def make_id(body17: str) -> str:
    return body17 + check_digit(body17)


ID_A = make_id("41132819900101122")  # 17th digit 2: female
ID_B = make_id("41132819920202124")
ID_C = make_id("41132819880303126")


def sheet(file: str, rows: list[list[Any]], name: str = "Sheet1") -> FileResult:
    width = max(len(r) for r in rows)
    grid = [list(r) + [None] * (width - len(r)) for r in rows]
    return FileResult(path=file, format="xlsx", size=1, sha256="0", sheets=[RawSheet(file, name, grid)], problems=[])


def run(settings, *files: FileResult):  # type: ignore[no-untyped-def]
    norm = normalize(list(files), settings)
    assert norm.input_rows == norm.accepted_rows + norm.rejected_rows
    return norm


def test_roster_below_title_rows_with_report_date(settings) -> None:  # type: ignore[no-untyped-def]
    f = sheet(
        "新民社区花名册.xlsx",
        [
            ["泗洲街道新民社区已孕对象花名册", None, None, None],
            ["填报单位：新民社区", None, "填报日期：2020年5月8日", None],
            ["序号", "孕妇姓名", "身份证号码", "末次月经时间", "手机号"],
            [1, " 王 芳 ", ID_A, "2020/3/1", "13812345678"],
            [None, None, None, None, None],
            [2, "李娜", ID_B, dt.datetime(2020, 2, 1), 13912345678.0],
        ],
    )
    norm = run(settings, f)
    info = norm.sheets[0]
    assert (info.kind, info.header_row, info.community, info.report_date) == ("roster", 3, "新民社区", "2020-05-08")
    assert info.rows == 2  # the blank row is not an input row
    r = norm.roster
    assert list(r["name"]) == ["王芳", "李娜"]
    assert list(r["src_row"]) == [4, 6]  # Excel row numbers, counting the title rows
    assert list(r["phone"]) == ["13812345678", "13912345678"]
    assert list(r["lmp"].dt.date) == [dt.date(2020, 3, 1), dt.date(2020, 2, 1)]


def test_two_row_header_from_merged_cells(settings) -> None:  # type: ignore[no-untyped-def]
    f = sheet(
        "新华社区花名册-0508.xlsx",
        [
            ["新华社区已孕对象花名册"],
            ["序号", "基本信息", None, None, "孕情", None],
            [None, "姓名", "身份证号", "联系电话", "末次月经", "预产期"],
            [1, "张丽", ID_A, "13812345678", "2020-03-01", None],
        ],
    )
    norm = run(settings, f)
    assert norm.sheets[0].kind == "roster"
    assert norm.sheets[0].header_row == 3
    assert norm.sheets[0].columns["id"] == "基本信息/身份证号"
    assert norm.roster.loc[0, "id"] == ID_A


def test_quota_table_like_the_seed(settings) -> None:  # type: ignore[no-untyped-def]
    f = sheet(
        "任务分配表.xlsx",
        [
            ["2020年预防出生缺陷免费产前超声NT筛查及血清学筛查工作任务分配表"],
            ["社区名称", "各应完成人数", None, "每周应完成人数", None, "备注"],
            [None, "超声NT筛查", "血清学筛查", "超声NT筛查", "血清学筛查", None],
            ["新民", 72, 72, 2, 2, None],
            ["银华社区", 18, 18, 0.5, 0.5, None],
            ["合计", 90, 90, 2.5, 2.5, None],
        ],
    )
    norm = run(settings, f)
    assert norm.sheets[0].kind == "quota"
    q = norm.quota.set_index("community")
    assert q.loc["银华社区", "weekly_serum"] == 0.5
    assert q.loc["新民社区", "annual_nt"] == 72
    assert list(norm.rejected["reason"]) == ["合计行（不是个人记录）"]
    assert norm.quota_totals[0]["annual_nt"] == 90


def test_log_test_type_from_column_then_file_name(settings) -> None:  # type: ignore[no-untyped-def]
    with_column = sheet(
        "卫生院登记.xlsx",
        [
            ["姓名", "身份证号", "联系电话", "筛查项目", "筛查日期"],
            ["王芳", ID_A, "13812345678", "超声NT", "2020-05-01"],
            ["李娜", ID_B, "13912345678", "唐筛", "2020.5.2"],
            ["赵敏", ID_C, "13712345678", "其他", "20200503"],
        ],
    )
    from_name = sheet(
        "血清学筛查登记表2020.xlsx",
        [["姓名", "身份证号", "联系电话", "检查日期"], ["王芳", ID_A, "13812345678", "2020年5月9日"]],
    )
    norm = run(settings, with_column, from_name)
    log = norm.log.sort_values(["src_file", "src_row"])
    assert list(log["test"]) == ["nt", "serum", "serum"]
    assert list(norm.rejected["reason"]) == ["无法判断筛查项目"]  # 其他 in a sheet that names no test
    assert norm.rejected.loc[0, "src_row"] == 4


def test_roster_bad_ids_rejected_log_bad_ids_matched_by_name_and_phone(settings) -> None:  # type: ignore[no-untyped-def]
    bad = ID_A[:-1] + ("0" if ID_A[-1] != "0" else "1")
    roster = sheet(
        "新安社区花名册0508.xlsx",
        [
            ["姓名", "身份证号", "联系电话", "末次月经"],
            ["王芳", bad, "13812345678", "2020-03-01"],
            ["李娜", 4.11328199202021e17, "13912345678", "2020-03-01"],
            ["赵敏", None, "13712345678", "2020-03-01"],
            ["钱红", None, None, "2020-03-01"],
        ],
    )
    log = sheet(
        "NT登记.xlsx",
        [
            ["姓名", "身份证号", "联系电话", "筛查日期"],
            ["王芳", bad, "13812345678", "2020-05-20"],
            ["孙丽", bad, None, "2020-05-20"],
        ],
    )
    norm = run(settings, roster, log)
    reasons = dict(zip(zip(norm.rejected["src_file"], norm.rejected["src_row"], strict=False), norm.rejected["reason"], strict=False))
    assert reasons[("新安社区花名册0508.xlsx", 2)] == "身份证号无法使用"
    assert reasons[("新安社区花名册0508.xlsx", 3)] == "身份证号无法使用"
    assert reasons[("新安社区花名册0508.xlsx", 5)] == "缺少身份证号且姓名或电话不全"
    assert reasons[("NT登记.xlsx", 3)] == "身份证号不可用且姓名或电话不全"
    assert list(norm.roster["name"]) == ["赵敏"]  # no ID but name + phone: kept
    assert list(norm.log["name"]) == ["王芳"] and norm.log["id"].isna().all()
    codes = {(p.file, p.row): p for p in problem_records(norm.problems)}
    lost = codes[("新安社区花名册0508.xlsx", 3)]
    assert "数字" in lost.message and "文本" in lost.fix
    assert lost.value == "4.11328E+17"  # as Excel shows it
    assert codes[("NT登记.xlsx", 2)].severity == Severity.WARNING


def test_community_from_column_sheet_title_or_file(settings) -> None:  # type: ignore[no-untyped-def]
    column = sheet(
        "花名册.xlsx",
        [
            ["社区", "姓名", "身份证号", "末次月经"],
            ["常花園社區", "王芳", ID_A, "2020-03-01"],
            ["新民居委会", "李娜", ID_B, "2020-03-01"],
            ["幸福社区", "赵敏", ID_C, "2020-03-01"],
        ],
    )
    by_sheet = FileResult("x.xlsx", "xlsx", 1, "0", [RawSheet("x.xlsx", "银华社区", [["姓名", "身份证号", "末次月经"], ["周洁", ID_A, "2020-03-01"]])], [])
    by_title = sheet("y.xlsx", [["新华社区孕妇名单"], ["姓名", "身份证号", "预产期"], ["吴敏", ID_B, "2020-12-01"]])
    nowhere = sheet("z.xlsx", [["姓名", "身份证号", "预产期"], ["郑洁", ID_C, "2020-12-01"]])
    road = sheet("新华路卫生室.xlsx", [["姓名", "身份证号", "预产期"], ["冯丽", ID_C, "2020-12-01"]])
    norm = run(settings, column, by_sheet, by_title, nowhere, road)
    got = dict(zip(zip(norm.roster["src_file"], norm.roster["src_row"], strict=False), norm.roster["community"], strict=False))
    assert got[("花名册.xlsx", 2)] == "常花园社区"
    assert got[("花名册.xlsx", 3)] == "新民社区"
    assert got[("x.xlsx", 2)] == "银华社区"
    assert got[("y.xlsx", 3)] == "新华社区"
    reasons = dict(zip(zip(norm.rejected["src_file"], norm.rejected["src_row"], strict=False), norm.rejected["reason"], strict=False))
    assert reasons[("花名册.xlsx", 4)] == "社区名称无法识别"  # never a new community
    assert reasons[("z.xlsx", 2)] == "无法确定所属社区"
    assert reasons[("新华路卫生室.xlsx", 2)] == "无法确定所属社区"  # 新华路 is a road


def test_subtotal_example_footer_and_repeated_header_rows(settings) -> None:  # type: ignore[no-untyped-def]
    f = sheet(
        "新民社区花名册20200418.xlsx",
        [
            ["序号", "姓名", "身份证号", "末次月经"],
            ["示例", "张三", ID_C, "2020-01-01"],
            [1, "王芳", ID_A, "2020-03-01"],
            ["序号", "姓名", "身份证号", "末次月经"],
            [2, None, None, None],
            [3, "李娜", ID_B, "2020-03-02"],
            ["合 计", "2人", None, None],
            ["填表人：刘杰", None, None, None],
        ],
    )
    norm = run(settings, f)
    assert norm.sheets[0].rows == 7
    assert len(norm.roster) == 2
    assert sorted(norm.rejected["reason"]) == sorted(
        ["示例行（填表示例，不计入）", "重复的表头行", "只有序号的空行", "合计行（不是个人记录）", "表尾说明行（不是个人记录）"]
    )
    assert norm.sheets[0].report_date == "2020-04-18"  # from the file name


def test_unknown_sheet_is_reported_not_counted(settings) -> None:  # type: ignore[no-untyped-def]
    f = sheet("说明.xlsx", [["填表说明"], ["1. 身份证号请设为文本格式"], ["2. 每月8日、18日、28日上报"]])
    norm = run(settings, f)
    assert norm.sheets[0].kind == "instructions"
    assert norm.input_rows == 0
    assert list(norm.problems["code"]) == ["sheet_instructions"]  # an instructions sheet, skipped with a note


def test_a_sheet_with_no_recognisable_header_is_reported(settings) -> None:  # type: ignore[no-untyped-def]
    f = sheet("杂表.xlsx", [["项目", "金额"], ["办公用品", 300]])
    norm = run(settings, f)
    assert norm.sheets[0].kind == "unknown" and norm.input_rows == 0
    assert list(norm.problems["code"]) == ["sheet_unknown"]


def test_register_rows(settings) -> None:  # type: ignore[no-untyped-def]
    f = sheet(
        "办事处登记.xlsx",
        [
            ["登记类型", "社区", "姓名", "身份证号", "联系电话", "销号原因", "日期", "合并到身份证号"],
            ["个案销号", "新民", "王芳", ID_A, None, "流产", "2020-06-01", None],
            ["个案销号", "新民", "李娜", ID_B, None, "搬家", "2020-06-01", None],
            ["人工合并", "新民", "赵敏", None, "13712345678", None, "2020-06-02", ID_C],
            ["纸质花名册", "新华", None, None, None, None, "2020-04-18", None],
            ["其他事项", "新华", "周洁", ID_C, None, None, None, None],
        ],
    )
    norm = run(settings, f)
    assert list(norm.register["action"]) == ["close", "merge", "paper"]
    assert norm.register.loc[1, "merge_id"] == ID_C
    assert sorted(norm.rejected["reason"]) == ["登记类型无法识别", "销号原因无效"]


@pytest.mark.parametrize(
    ("text", "year", "expected"),
    [
        ("填报日期：2020年5月8日", None, "2020-05-08"),
        ("新民社区花名册20200508", None, "2020-05-08"),
        ("常花园社区花名册0528", 2020, "2020-05-28"),
        ("新安社区（5月7日）", None, None),
        ("新安社区（5月7日）", 2020, "2020-05-07"),
        ("2020-02-30", None, None),
    ],
)
def test_date_in_text(text: str, year: int | None, expected: str | None) -> None:
    assert date_in_text(text, year) == expected


def test_header_not_found_in_plain_table(settings) -> None:  # type: ignore[no-untyped-def]
    assert find_header([["a", "b"], [1, 2]], Vocabulary(settings)) is None
