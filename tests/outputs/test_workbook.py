"""The workbooks for people (pipeline.outputs.master, .community, .readers): sheets, headers, figures equal to summary.json,
formats, charts, reproducibility, and who sees which personal data."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import zipfile
from pathlib import Path
from typing import Any

import openpyxl
import pandas as pd
import pytest
from openpyxl.workbook.workbook import Workbook as OpenpyxlWorkbook

from pipeline.analyse import analyse
from pipeline.model import Analysis
from pipeline.outputs import xlsx
from pipeline.outputs.community import community_views, write_community
from pipeline.outputs.frames import log_files, rank_change_text, weeks_text
from pipeline.outputs.master import write_master, write_spot_checks
from pipeline.outputs.names import (
    community_filename,
    health_centre_filename,
    leaders_filename,
    master_filename,
    spot_check_filename,
)
from pipeline.outputs.readers import write_health_centre, write_leaders
from pipeline.settings import Privacy, Settings, load_settings
from tests.conftest import CONFIG, REPO, demo_result

AS_OF = ["2020-06-30", "2020-12-31"]

MASTER = [
    "汇总",
    "周排序",
    "三日汇总",
    "通报期",
    "随访督促名单",
    "高风险追踪",
    "花名册上报情况",
    "奖惩",
    "1-3月补助",
    "漏报与冲突",
    "随机抽查名单",
    "数据问题",
    "口径说明",
]
COMMUNITY = [
    "概况",
    "汇总",
    "随访督促名单",
    "高风险追踪",
    "漏报与冲突",
    "花名册上报情况",
    "数据问题",
    "口径说明",
]
LEADERS = ["简报", "汇总", "周排序", "通报期", "花名册上报情况", "奖惩", "口径说明"]
HEALTH = ["数据问题", "窗口期外筛查", "未在花名册", "重复筛查", "口径说明"]

COVER_SHEETS = ("简报", "概况")

SUMMARY_HEADERS = [
    "社区",
    "超声NT任务数",
    "超声NT应完成",
    "超声NT已完成",
    "超声NT完成率",
    "超声NT剩余任务",
    "血清学任务数",
    "血清学应完成",
    "血清学已完成",
    "血清学完成率",
    "血清学剩余任务",
    "综合完成率",
    "排名",
    "达到序时进度（两项合计）",
    "工作落后",
    "处理措施",
    "通报表扬/批评",
]

# A full ID or a mobile number standing alone (not inside a longer run of letters and digits).
FULL_ID = re.compile(r"(?<![0-9A-Za-z])\d{17}[\dXx](?![0-9A-Za-z])")
MOBILE = re.compile(r"(?<![0-9A-Za-z])1[3-9]\d{9}(?![0-9A-Za-z])")
SHA256 = re.compile(r"^[0-9a-f]{64}$")


# ---------------------------------------------------------------------------------------------
# Fixtures: one analysis per as-of date, every workbook written once


@pytest.fixture(scope="module")
def settings() -> Settings:
    return load_settings(CONFIG)


@pytest.fixture(scope="module", params=AS_OF)
def result(request: pytest.FixtureRequest) -> Analysis:
    """The demo input analysed once per as-of date (shared with other modules via conftest)."""
    result: Analysis = demo_result(dt.date.fromisoformat(request.param))
    return result


@pytest.fixture(scope="module")
def written(
    result: Analysis, settings: Settings, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Path]:
    out = tmp_path_factory.mktemp(f"wb-{result.as_of.isoformat()}")
    paths = {
        "master": write_master(out / master_filename(result.as_of), result, settings),
        "leaders": write_leaders(out / leaders_filename(result.as_of), result, settings),
        "health": write_health_centre(out / health_centre_filename(settings, result.as_of), result, settings),
    }
    views = community_views(result, settings)
    for key in settings.community_keys:
        paths[key] = write_community(out / community_filename(settings, key), views[key])
    return paths


@pytest.fixture(scope="module")
def books(written: dict[str, Path]) -> dict[str, OpenpyxlWorkbook]:
    return {name: openpyxl.load_workbook(path) for name, path in written.items()}


def header_row(ws: Any) -> int:
    """The 1-based header row: the row just above the frozen pane."""
    assert ws.freeze_panes, ws.title
    return int(re.sub(r"[A-Z]+", "", ws.freeze_panes)) - 1


def headers(ws: Any) -> list[str]:
    r = header_row(ws)
    return [c.value for c in ws[r] if c.value is not None]


def data_rows(ws: Any) -> list[dict[str, Any]]:
    """The main table's rows as dicts, up to the first empty row."""
    r = header_row(ws)
    names = headers(ws)
    rows = []
    for row in ws.iter_rows(min_row=r + 1, max_col=len(names)):
        values = [c.value for c in row]
        if all(v is None or v == "" for v in values):
            break
        rows.append(dict(zip(names, values, strict=True)))
    return rows


def cell_by(ws: Any, header: str, first_value: str) -> Any:
    """The cell in column ``header`` of the main-table row whose first cell reads ``first_value``."""
    r = header_row(ws)
    col = headers(ws).index(header) + 1
    for row in ws.iter_rows(min_row=r + 1):
        if row[0].value == first_value:
            return ws.cell(row=row[0].row, column=col)
    raise AssertionError(f"{first_value} not found in {ws.title}")


def string_cells(book: OpenpyxlWorkbook) -> list[tuple[str, str, str]]:
    out = []
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if isinstance(c.value, str) and c.value:
                    out.append((ws.title, c.coordinate, c.value))
    return out


def numeric_cells(book: OpenpyxlWorkbook) -> list[tuple[str, str, float]]:
    return [
        (ws.title, c.coordinate, c.value)
        for ws in book.worksheets
        for row in ws.iter_rows()
        for c in row
        if isinstance(c.value, int | float) and not isinstance(c.value, bool)
    ]


def digit_runs(text: str) -> list[str]:
    return [r for r in re.findall(r"\d+[Xx]?", text) if len(r) >= 11]


# ---------------------------------------------------------------------------------------------
# The master workbook


def test_master_sheets_in_order(books: dict[str, OpenpyxlWorkbook]) -> None:
    assert books["master"].sheetnames == MASTER


def test_every_sheet_titled_with_programme_and_date(
    books: dict[str, OpenpyxlWorkbook], result: Analysis, settings: Settings
) -> None:
    day = result.as_of
    for name, book in books.items():
        for ws in book.worksheets:
            title = ws["A1"].value
            assert isinstance(title, str), (name, ws.title)
            assert settings.programme.name in title, (name, ws.title)
            assert f"{day.year}年{day.month}月{day.day}日" in title, (name, ws.title)


def test_master_headers(books: dict[str, OpenpyxlWorkbook]) -> None:
    book = books["master"]
    assert headers(book["汇总"]) == SUMMARY_HEADERS
    assert headers(book["周排序"])[:4] == ["期次", "起", "止", "社区"]
    assert "名次变化" in headers(book["周排序"]) and "名次变化" in headers(book["三日汇总"])
    assert {
        "工作落后",
        "连续落后期数",
        "处理措施",
        "通报表扬/批评",
        "已印发通报",
        "与已印发通报不一致",
    } <= set(headers(book["通报期"]))
    assert headers(book["随访督促名单"])[:9] == [
        "社区",
        "姓名",
        "身份证号",
        "联系电话",
        "筛查项目",
        "状态",
        "窗口期开始",
        "窗口期结束",
        "距窗口期结束天数",
    ]
    assert headers(book["花名册上报情况"])[:6] == ["社区", "应报次数", "按时", "迟报", "未报", "按时上报率"]
    assert "计算依据" in headers(book["奖惩"])
    assert headers(book["漏报与冲突"])[0] == "类型"
    assert headers(book["数据问题"])[:7] == ["文件", "工作表", "行号", "列", "内容", "严重程度", "问题"]
    assert headers(book["口径说明"]) == ["配置项", "取值", "来源"]


def test_summary_figures_equal_summary_json(books: dict[str, OpenpyxlWorkbook], result: Analysis) -> None:
    ws = books["master"]["汇总"]
    rows = {r["社区"]: r for r in data_rows(ws)}
    communities = result.summary["communities"]
    assert len(communities) == 5
    for c in communities:
        row = rows[c["name"]]
        assert row["超声NT已完成"] == c["done"]["nt"]
        assert row["血清学已完成"] == c["done"]["serum"]
        assert row["超声NT任务数"] == c["quota"]["nt"]
        assert row["排名"] == c["rank"]
        assert row["超声NT完成率"] == pytest.approx(c["rates"]["nt"], abs=1e-4)
        assert row["综合完成率"] == pytest.approx(c["rate"], abs=1e-4)
        assert row["工作落后"] == ("是" if c["lagging"] else "否")
        assert (row["处理措施"] or None) == c["consequence"]
    total = rows["合计"]
    for test, header in (("nt", "超声NT已完成"), ("serum", "血清学已完成")):
        assert total[header] == result.summary["totals"]["done"][test]
        assert total[header] == sum(c["done"][test] for c in communities)
    assert total["超声NT任务数"] == result.summary["totals"]["quota"]["nt"]


def test_number_formats(books: dict[str, OpenpyxlWorkbook], result: Analysis) -> None:
    book = books["master"]
    ws = book["汇总"]
    name = result.summary["communities"][0]["name"]
    for header in ("超声NT完成率", "血清学完成率", "综合完成率"):
        assert "%" in cell_by(ws, header, name).number_format
        assert "%" in cell_by(ws, header, "合计").number_format
    week = book["周排序"]
    first = week.cell(row=header_row(week) + 1, column=2)
    assert first.is_date and "yy" in first.number_format
    assert (
        "%"
        in week.cell(row=header_row(week) + 1, column=headers(week).index("累计综合完成率") + 1).number_format
    )
    fu = book["随访督促名单"]
    if fu.max_row > header_row(fu):
        r = header_row(fu) + 1
        id_cell, phone_cell = fu.cell(row=r, column=3), fu.cell(row=r, column=4)
        assert id_cell.data_type == "s" and id_cell.number_format == "@"
        assert phone_cell.data_type == "s" and phone_cell.number_format == "@"
        assert fu.cell(row=r, column=7).is_date


def test_freeze_and_filter_on_every_table_sheet(books: dict[str, OpenpyxlWorkbook]) -> None:
    """Every sheet but the one-page 简报/概况 is a table: frozen below its header, filterable."""
    for name, book in books.items():
        for ws in book.worksheets:
            if ws.title in COVER_SHEETS:
                assert not ws.freeze_panes, (name, ws.title)
                continue
            assert ws.freeze_panes, (name, ws.title)
            assert ws.auto_filter.ref, (name, ws.title)


def test_conditional_colours(books: dict[str, OpenpyxlWorkbook]) -> None:
    ws = books["master"]["汇总"]
    formulas = [f for cf in ws.conditional_formatting for rule in cf.rules for f in rule.formula]
    assert any("<1" in f for f in formulas) and any(">=1" in f for f in formulas)
    assert any('="是"' in f for f in formulas)  # lagging rows


def test_charts_on_summary_sheet(written: dict[str, Path]) -> None:
    for key in ("master", "leaders"):
        with zipfile.ZipFile(written[key]) as z:
            names = set(z.namelist())
            assert "xl/charts/chart1.xml" in names and "xl/charts/chart2.xml" in names
            workbook_xml = z.read("xl/workbook.xml").decode()
            found = re.search(r'<sheet name="汇总" sheetId="(\d+)"', workbook_xml)
            assert found
            sheet_rels = z.read(f"xl/worksheets/_rels/sheet{found.group(1)}.xml.rels").decode()
            assert "../drawings/drawing1.xml" in sheet_rels
            drawing_rels = z.read("xl/drawings/_rels/drawing1.xml.rels").decode()
            assert "../charts/chart1.xml" in drawing_rels and "../charts/chart2.xml" in drawing_rels
            chart1 = z.read("xl/charts/chart1.xml").decode()
            assert "<c:barChart>" in chart1 and "汇总!" in chart1
            chart2 = z.read("xl/charts/chart2.xml").decode()
            assert "<c:lineChart>" in chart2


def test_byte_identical_on_second_write(
    written: dict[str, Path], result: Analysis, settings: Settings, tmp_path: Path
) -> None:
    key = settings.community_keys[0]
    again = {
        "master": write_master(tmp_path / "m.xlsx", result, settings),
        "leaders": write_leaders(tmp_path / "l.xlsx", result, settings),
        "health": write_health_centre(tmp_path / "h.xlsx", result, settings),
        key: write_community(tmp_path / "c.xlsx", community_views(result, settings)[key]),
    }
    for name, path in again.items():
        assert path.read_bytes() == written[name].read_bytes(), name
    with zipfile.ZipFile(again["master"]) as z:
        assert {info.date_time for info in z.infolist()} == {(1980, 1, 31, 0, 0, 0)} or {
            info.date_time for info in z.infolist()
        } == {(1980, 1, 1, 0, 0, 0)}


def test_problems_sheet_lists_every_problem_once_with_all_its_locations(
    books: dict[str, OpenpyxlWorkbook], result: Analysis
) -> None:
    """One row per thing to fix; its 全部位置 lists every occurrence, so all problem rows are there."""
    rows = data_rows(books["master"]["数据问题"])
    assert len(rows) == len(result.problem_groups) < len(result.problems)
    listed = sum(len(r["全部位置"].split("；")) for r in rows)
    assert listed == len(result.problems)


def test_explanation_sheet(books: dict[str, OpenpyxlWorkbook], result: Analysis) -> None:
    texts = [v for _, _, v in string_cells(books["master"]) if True]
    cells = {v for v in texts}
    assert "programme.goal" in cells and "config.toml 第" in " ".join(
        t for t in texts if t.startswith("config.toml")
    )
    for f in result.files:
        assert f.sha256 in cells
    assert any("333" in t and "306" in t for t in texts)
    assert any(t.startswith("screening ") for t in texts)


def test_readings_are_stated_where_they_apply(books: dict[str, OpenpyxlWorkbook]) -> None:
    book = books["master"]
    explanation = [str(c.value) for row in book["口径说明"].iter_rows() for c in row if c.value]
    # The stage reading in force by its Chinese name and key, every alternative, and the rule that a
    # community at or above its expected count is never penalised; the merged first period.
    stage = next(t for t in explanation if t.startswith("方案未规定阶段性目标任务的口径"))
    assert "“落后且未追赶”（ranking.stage_target = behind_and_slipping）" in stage
    for name in ("本期任务", "累计序时进度（两项合计）", "累计序时进度（分项）", "季度任务"):
        assert name in stage
    assert any(t.startswith("社区期末两项合计累计完成数不低于") and "不受任何处理" in t for t in explanation)
    assert any("cadence.min_period_days" in t for t in explanation)
    assert any("rewards.evaluation_basis = standing" in t for t in explanation)
    # The 奖惩 sheet says what a quarterly evaluation reads; the subsidy its real window.
    assert "按评比日的累计进度评定" in str(book["奖惩"]["A2"].value)
    assert "按例补助（元）" in headers(book["奖惩"])
    assert "1月1日—4月9日已完成筛查补助" in str(book["1-3月补助"]["A1"].value)


def test_a_screened_woman_is_never_a_case_of_disease() -> None:
    """病例 (a patient's case) is the wrong word for a screened woman: 例 or 人."""
    for folder in (REPO / "pipeline", REPO / "templates"):
        for path in folder.rglob("*"):
            if path.suffix in (".py", ".j2"):
                assert "病例" not in path.read_text(encoding="utf-8"), path


def test_rank_change_and_weeks_text() -> None:
    change = pd.Series(pd.array([pd.NA, 0, 2, -1], dtype="Int64"))
    assert rank_change_text(change).tolist() == ["—", "—", "↑2", "↓1"]
    assert weeks_text(pd.Series([83.0, None, 97.0])).tolist() == ["11+6", None, "13+6"]


def test_long_tables_continue_on_next_sheet(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(xlsx, "EXCEL_MAX_ROWS", 10)
    book, fmt = xlsx.new_workbook(str(tmp_path / "long.xlsx"), title="t")
    frame = pd.DataFrame({"a": [f"第{i}行" for i in range(20)]})
    sheets = xlsx.write_table(
        book, fmt, "名单", frame, [xlsx.Column("a", "内容")], title="标题", subtitle="说明"
    )
    book.close()
    # 10 rows a sheet: title, subtitle, header and 7 data rows.
    assert [s.get_name() for s in sheets] == ["名单", "名单(续1)", "名单(续2)"]
    wb = openpyxl.load_workbook(tmp_path / "long.xlsx")
    values = [c.value for ws in wb.worksheets for row in ws.iter_rows(min_row=4) for c in row]
    assert values == [f"第{i}行" for i in range(20)]


# ---------------------------------------------------------------------------------------------
# Community workbooks: only their own women, IDs masked


def test_community_sheets_and_own_row(
    books: dict[str, OpenpyxlWorkbook], result: Analysis, settings: Settings
) -> None:
    by_name = {c["name"]: c for c in result.summary["communities"]}
    for key in settings.community_keys:
        book = books[key]
        assert book.sheetnames == COMMUNITY
        name = settings.community(key).name
        rows = data_rows(book["汇总"])
        assert [r["社区"] for r in rows] == [name]
        assert rows[0]["排名"] == by_name[name]["rank"]
        assert rows[0]["超声NT已完成"] == by_name[name]["done"]["nt"]


def test_community_workbooks_hold_only_their_own_women(
    books: dict[str, OpenpyxlWorkbook], result: Analysis, settings: Settings
) -> None:
    women = result.reconciled.women
    assert settings.privacy.mask_ids_in_community_workbooks
    for key in settings.community_keys:
        listed = women["rosters"].fillna("").str.split("、").map(lambda ks, k=key: k in ks)
        own = women[(women["community"] == key).fillna(False) | listed]
        others = women[~women["pkey"].isin(own["pkey"])]
        own_values = set(own["id"].dropna()) | set(own["phone"].dropna())
        foreign = (set(others["id"].dropna()) | set(others["phone"].dropna())) - own_values
        assert foreign
        cells = string_cells(books[key])
        for sheet, coord, text in cells:
            if SHA256.match(text):
                continue
            for run in digit_runs(text):
                leaked = [v for v in foreign if v in run]
                assert not leaked, (key, sheet, coord, text)
            assert not FULL_ID.search(text), (key, sheet, coord, text)  # every ID masked
        for sheet, coord, value in numeric_cells(books[key]):
            assert abs(value) < 1e10, (key, sheet, coord, value)
        # The list is really there: its own women appear with masked IDs and full phones.
        followup = result.reconciled.followup
        mine = followup[followup["community"] == key] if len(followup) else followup
        if len(mine):
            ws = books[key]["随访督促名单"]
            rows = data_rows(ws)
            assert len(rows) == len(mine)
            assert all("*" in (r["身份证号"] or "*") for r in rows)
            assert {r["联系电话"] for r in rows if r["联系电话"]} <= set(mine["phone"].dropna())


def test_spot_checks_only_for_the_inspection_group(
    books: dict[str, OpenpyxlWorkbook], result: Analysis, settings: Settings, tmp_path: Path
) -> None:
    """The spot checks are drawn "不发通知、不打招呼": in the office's master workbook and the
    inspection group's own 督查抽查名单, never in a community's workbook."""
    spot = result.reconciled.spot_check
    assert len(spot) == settings.spot_check.size * len(settings.communities)
    # Never a closed case or a woman off her community's latest roster.
    women = result.reconciled.women.set_index("pkey")
    assert women.loc[spot["pkey"], "in_latest"].all() and women.loc[spot["pkey"], "closed_reason"].isna().all()
    for key in settings.community_keys:
        assert "随机抽查名单" not in books[key].sheetnames
        # (its 口径说明 may say that spot checks exist, as the plan does; never the list itself)
        assert not any(w in text for _, _, text in string_cells(books[key]) for w in ("抽查结果", "督查组专用")), key
    path = write_spot_checks(tmp_path / spot_check_filename(result.as_of), result, settings)
    assert path.name == f"督查抽查名单_{result.as_of.isoformat()}.xlsx"
    own = openpyxl.load_workbook(path)
    assert own.sheetnames == ["随机抽查名单", "口径说明"]
    for book in (own, books["master"]):
        rows = data_rows(book["随机抽查名单"])
        assert sorted(r["联系电话"] for r in rows) == sorted(spot["phone"])
        assert {r["抽查期次"] for r in rows} == {result.summary["circular_period"]["number"]}
        assert "不发通知、不打招呼" in str(book["随机抽查名单"]["A2"].value)
    # Full IDs in the master workbook only; the group's own list masks them.
    # (a woman known by name and phone only has no ID to show)
    listed = sorted(r["身份证号"] or "" for r in data_rows(books["master"]["随机抽查名单"]))
    assert listed == sorted(i if isinstance(i, str) else "" for i in spot["id"])
    assert all(not FULL_ID.search(text) for _, _, text in string_cells(own) if not SHA256.match(text))


def test_community_problems_are_its_own(
    books: dict[str, OpenpyxlWorkbook], result: Analysis, settings: Settings
) -> None:
    subs = result.reconciled.submissions
    for key in settings.community_keys:
        files = set(subs.loc[subs["community"] == key, "src_file"])
        rows = data_rows(books[key]["数据问题"])
        assert rows, key
        assert {r["文件"] for r in rows} <= files, key


# ---------------------------------------------------------------------------------------------
# Leaders' copy: community level only


def test_leaders_copy_has_no_personal_data(
    books: dict[str, OpenpyxlWorkbook], result: Analysis, settings: Settings
) -> None:
    book = books["leaders"]
    assert book.sheetnames == LEADERS
    rec = result.reconciled
    officials = {
        p.name
        for p in (settings.directory.head, settings.directory.deputy, settings.directory.office_head)
        if p
    }
    officials |= {p.name for p in settings.directory.members} | {c.leader for c in settings.communities}
    names = (set(rec.women["name"].dropna()) | set(rec.screenings["name"].dropna())) - officials
    ids = set(rec.women["id"].dropna()) | set(rec.screenings["id"].dropna())
    phones = set(rec.women["phone"].dropna()) | set(rec.screenings["phone"].dropna())
    for sheet, coord, text in string_cells(book):
        if SHA256.match(text):
            continue
        assert not FULL_ID.search(text), (sheet, coord, text)
        assert not MOBILE.search(text), (sheet, coord, text)
        assert text not in names, (sheet, coord, text)
        for run in digit_runs(text):
            assert not any(v in run for v in ids | phones), (sheet, coord, text)
    for sheet, coord, value in numeric_cells(book):
        assert abs(value) < 1e10, (sheet, coord, value)
    assert headers(book["汇总"]) == SUMMARY_HEADERS


# ---------------------------------------------------------------------------------------------
# Health centre's checklist


def test_health_centre_checklist(books: dict[str, OpenpyxlWorkbook], result: Analysis) -> None:
    book = books["health"]
    assert book.sheetnames == HEALTH
    logs = log_files(result.normalized.sheets)
    problems = data_rows(book["数据问题"])
    assert problems and {r["文件"] for r in problems} <= logs
    expected = int(result.problem_groups["file"].isin(logs).sum())
    assert len(problems) == expected
    occurrences = sum(len(r["全部位置"].split("；")) for r in problems)
    assert occurrences == int(result.problems["file"].isin(logs).sum())
    scr = result.reconciled.screenings
    assert len(data_rows(book["窗口期外筛查"])) == int((scr["window_flag"] != "").sum())
    rec = result.reconciled
    not_listed = data_rows(book["未在花名册"])
    assert len(not_listed) == len(rec.missing_from_roster) + len(rec.pending_roster) + len(rec.unassignable)
    assert {r["类型"] for r in not_listed} <= {"漏报", "待核实", "无法归属"}
    assert len(data_rows(book["重复筛查"])) == len(rec.duplicates)
    assert {r["来源文件"] for r in not_listed} <= logs


# ---------------------------------------------------------------------------------------------
# Formula injection: input text stays text


def test_input_text_is_never_a_formula(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "input"
    folder.mkdir()
    (folder / "新民社区花名册20200508.csv").write_text(
        "序号,社区,姓名,身份证号,联系电话,末次月经\n"
        '1,新民社区,"=HYPERLINK(""x"")",,13800138000,2020-03-01\n'
        "2,新民社区,+cmd,,13900139000,2020-04-01\n"
        "3,新民社区,@SUM(A1),=1+1,13700137000,2020-04-01\n",
        encoding="utf-8",
    )
    (folder / "卫生院超声NT筛查登记2020.csv").write_text(
        "序号,姓名,身份证号,联系电话,现住址,检查项目,检查日期,检查结果\n"
        "1,-2+3,,13600136000,新民社区1组,超声NT,2020-05-20,低风险\n",
        encoding="utf-8",
    )
    result = analyse(folder, settings, dt.date(2020, 6, 30))
    path = write_master(tmp_path / "master.xlsx", result, settings)
    book = openpyxl.load_workbook(path)
    found: dict[str, list[Any]] = {}
    for ws in book.worksheets:
        for row in ws.iter_rows():
            for c in row:
                if c.value in ('=HYPERLINK("x")', "+cmd", "-2+3", "=1+1"):
                    found.setdefault(c.value, []).append(c)
    assert '=HYPERLINK("x")' in found and "+cmd" in found and "-2+3" in found and "=1+1" in found
    for cells in found.values():
        for c in cells:
            assert c.data_type == "s", (c.parent.title, c.coordinate, c.value)
    assert any(c.value.startswith("=") for c in found['=HYPERLINK("x")'])
    with zipfile.ZipFile(path) as z:
        sheets = [n for n in z.namelist() if n.startswith("xl/worksheets/sheet")]
        assert not any("<f>" in z.read(n).decode() for n in sheets)


# ---------------------------------------------------------------------------------------------
# Edge cases


def test_before_any_period_ends(result: Analysis, settings: Settings, tmp_path: Path) -> None:
    """No completed period, no evaluation, no roster yet: every workbook still writes; the summary
    keeps its column chart and leaves out the cumulative line chart."""
    empty = pd.DataFrame()
    scored = dataclasses.replace(
        result.scored,
        circulars=empty,
        weekly=empty,
        three_day=empty,
        payments=result.scored.payments.iloc[0:0],
    )
    r = result.reconciled
    rec = dataclasses.replace(  # no roster yet: no women, nobody to follow up or spot-check
        r,
        women=r.women.iloc[0:0],
        followup=pd.DataFrame(),
        high_risk=r.high_risk.iloc[0:0],
        spot_check=r.spot_check.iloc[0:0],
        conflicts=r.conflicts.iloc[0:0],
    )
    early = dataclasses.replace(result, scored=scored, reconciled=rec)
    master = write_master(tmp_path / "m.xlsx", early, settings)
    write_leaders(tmp_path / "l.xlsx", early, settings)
    community = write_community(tmp_path / "c.xlsx", community_views(early, settings)[settings.community_keys[0]])
    health = write_health_centre(tmp_path / "h.xlsx", early, settings)
    assert openpyxl.load_workbook(health).sheetnames == HEALTH
    book = openpyxl.load_workbook(master)
    assert book.sheetnames == MASTER
    assert data_rows(book["周排序"]) == [] and data_rows(book["随访督促名单"]) == []
    assert [r["工作落后"] for r in data_rows(book["汇总"]) if r["社区"] != "合计"] == ["否"] * 5
    with zipfile.ZipFile(master) as z:
        names = set(z.namelist())
        assert "xl/charts/chart1.xml" in names and "xl/charts/chart2.xml" not in names
    assert openpyxl.load_workbook(community).sheetnames == COMMUNITY


def test_master_masks_ids_when_configured(result: Analysis, settings: Settings, tmp_path: Path) -> None:
    masked = dataclasses.replace(settings, privacy=Privacy(mask_ids_in_master_workbook=True))
    book = openpyxl.load_workbook(write_master(tmp_path / "m.xlsx", result, masked))
    for sheet, coord, text in string_cells(book):
        if not SHA256.match(text):
            assert not FULL_ID.search(text), (sheet, coord, text)
    assert any("*" in (r["身份证号"] or "") for r in data_rows(book["随机抽查名单"]))


def test_health_centre_list_masks_ids_and_phones(books: dict[str, OpenpyxlWorkbook], result: Analysis) -> None:
    """The list goes to the health centre by email: rows are found by file, sheet and row number."""
    rec = result.reconciled
    ids = set(rec.screenings["id"].dropna())
    phones = set(rec.screenings["phone"].dropna())
    for sheet, coord, text in string_cells(books["health"]):
        if SHA256.match(text):
            continue
        assert not FULL_ID.search(text), (sheet, coord, text)
        assert not MOBILE.search(text), (sheet, coord, text)
        for run in digit_runs(text):
            assert not any(v in run for v in ids | phones), (sheet, coord, text)
