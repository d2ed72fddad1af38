"""Rows that used to be lost without a word: every non-empty row of a sheet is either read or
rejected with a reason, so the accounting shows it.

- A roster whose cells are formulas without cached values (openpyxl and many report generators
  write them so; the reader sees empty cells): 0 rows and no problem. Now each such row is
  rejected with a problem saying how to fix it.
- A second table beside the first in the same sheet (columns G:K): ignored. Now read.
- A header below row 40, or typed into one merged cell: the rows uncounted, with only a hint.
  Now counted and rejected with the reason and an error for the sheet.
- Rows on hidden sheets: counted with no note. Now a 提示 per hidden sheet that was read.
- A workbook with zero sheets: dropped with no reason. Now an error.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import openpyxl

from pipeline.analyse import analyse
from pipeline.model import Analysis
from pipeline.problems import is_programme_scope
from pipeline.settings import Settings
from tests.factories import make_id
from tests.hostile.cases import write_xlsx

AS_OF = dt.date(2020, 6, 30)
TITLE = "泗洲街道新民社区已孕对象花名册"
HEADER = ["姓名", "身份证号", "联系电话", "末次月经"]


def person(n: int) -> list[Any]:
    return [f"孕妇{n:02d}", make_id(n), f"137{n:08d}", "2020-05-01"]


def _analyse(folder: Path, settings: Settings) -> Analysis:
    result = analyse(folder, settings, AS_OF, workers=1)
    acc = result.summary["accounting"]
    assert acc["input_rows"] == acc["accepted_rows"] + acc["rejected_rows"]
    for f in result.summary["files"]:
        for s in f["sheets"]:
            assert s["rows"] == s["accepted"] + s["rejected"], s
    return result


def _sheets(result: Analysis) -> dict[str, dict[str, Any]]:
    return {s["sheet"]: s for f in result.summary["files"] for s in f["sheets"]}


def _problems(result: Analysis, code: str) -> list[dict[str, Any]]:
    frame = result.problems
    return frame[frame["code"] == code].to_dict("records")


def _save(folder: Path, name: str, rows: list[list[Any]], **options: Any) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = options.get("title", "Sheet1")
    for row in rows:
        ws.append(row)
    for cells in options.get("merge", []):
        ws.merge_cells(cells)
    if options.get("hidden_copy"):
        hidden = wb.create_sheet("隐藏")
        for row in options["hidden_copy"]:
            hidden.append(row)
        hidden.sheet_state = "hidden"
    path = folder / name
    wb.save(path)
    return path


def test_formulas_without_cached_values_are_rejected_row_by_row(tmp_path: Path, settings: Settings) -> None:
    rows = [
        [TITLE],
        ["序号", *HEADER],
        [1, *person(1)],  # read
        ["=ROW()-2", *person(2)],  # read: only its serial number is a formula
        [3, '="孕妇03"', f'="{make_id(3)}"', '="13700000003"', '="2020-05-01"'],  # all formulas
        [4, "孕妇04", f'="{make_id(4)}"', "13700000004", "2020-05-01"],  # the ID is a formula
        ['="5"', '="孕妇05"', f'="{make_id(5)}"', '="13700000005"', '="2020-05-01"'],  # nothing but formulas
        ["合计", "=COUNTA(B3:B7)", None, None, None],  # a 合计 row stays a 合计 row
    ]
    _save(tmp_path, "新民社区花名册20200418.xlsx", rows)
    result = _analyse(tmp_path, settings)
    sheet = _sheets(result)["Sheet1"]
    # 6 rows below the header: 2 read; 3 formula rows and the 合计 row rejected.
    assert (sheet["rows"], sheet["accepted"], sheet["rejected"]) == (6, 2, 4)
    found = _problems(result, "formula_uncached")
    assert sorted(p["row"] for p in found) == [5, 6, 7]
    assert all(p["severity"] == "error" and "请在Excel中打开并保存，使公式计算出结果" in p["fix"] for p in found)
    assert next(p for p in found if p["row"] == 6)["column"] == "身份证号"
    reasons = dict(zip(result.normalized.rejected["src_row"], result.normalized.rejected["reason"], strict=True))
    assert reasons[5].startswith("公式没有计算结果") and reasons[8].startswith("合计行")


def test_a_sheet_of_nothing_but_formulas_is_counted(tmp_path: Path, settings: Settings) -> None:
    rows = [[f'="{v}"' for v in HEADER], *([f'="{v}"' for v in person(n)] for n in range(1, 4))]
    _save(tmp_path, "新民社区花名册20200418.xlsx", rows)
    result = _analyse(tmp_path, settings)
    sheet = _sheets(result)["Sheet1"]
    assert (sheet["rows"], sheet["accepted"], sheet["rejected"]) == (4, 0, 4)  # the header row too
    assert len(_problems(result, "formula_uncached")) == 4


def test_a_second_table_beside_the_first_is_read(tmp_path: Path, settings: Settings) -> None:
    left = [person(n) for n in range(1, 4)]
    right = [person(n) for n in range(11, 16)]
    rows = [[TITLE], [*HEADER, None, None, *HEADER]]
    for i in range(max(len(left), len(right))):
        a = left[i] if i < len(left) else [None] * 4
        b = right[i] if i < len(right) else [None] * 4
        rows.append([*a, None, None, *b])
    _save(tmp_path, "新民社区花名册20200418.xlsx", rows)
    result = _analyse(tmp_path, settings)
    sheets = _sheets(result)
    assert (sheets["Sheet1"]["accepted"], sheets["Sheet1（G:J列）"]["accepted"]) == (3, 5)
    assert sheets["Sheet1（G:J列）"]["community"] == "新民社区"  # the title above both tables
    assert sorted(result.normalized.roster["name"]) == sorted(p[0] for p in left + right)
    [note] = _problems(result, "tables_side_by_side")
    assert note["severity"] == "note" and "A:F列、G:J列" in note["message"]


def test_a_column_without_a_header_inside_one_table_does_not_split_it(tmp_path: Path, settings: Settings) -> None:
    # Both halves would name a register on their own; the unnamed column C holds data.
    rows = [
        ["登记类型", "姓名", None, "社区", "销号原因", "日期"],
        ["个案销号", "孕妇01", "补充说明", "新民", "流产", "2020-06-01"],
        ["个案销号", "孕妇02", None, "新民", "分娩", "2020-06-02"],
    ]
    _save(tmp_path, "办事处登记.xlsx", rows)
    result = _analyse(tmp_path, settings)
    assert list(_sheets(result)) == ["Sheet1"] and _problems(result, "tables_side_by_side") == []


def test_a_header_below_row_40_is_counted_and_rejected(tmp_path: Path, settings: Settings) -> None:
    rows = [[TITLE], *([f"第{i}条填表说明：请如实填写。"] for i in range(1, 45)), HEADER, *(person(n) for n in range(1, 6))]
    _save(tmp_path, "新民社区花名册20200418.xlsx", rows)
    result = _analyse(tmp_path, settings)
    sheet = _sheets(result)["Sheet1"]
    assert (sheet["kind"], sheet["header_row"], sheet["rows"], sheet["rejected"]) == ("unknown", 46, 5, 5)
    [found] = _problems(result, "header_too_low")
    assert found["severity"] == "error" and found["row"] == 46 and "前40行" in found["fix"]
    assert set(result.normalized.rejected["reason"]) == {"表头在第46行，超出了表头查找范围（前40行），本表未读取"}


def test_a_header_typed_into_one_merged_cell_is_counted_and_rejected(tmp_path: Path, settings: Settings) -> None:
    rows = [[TITLE], ["姓名 身份证号 联系电话 末次月经"], *(person(n) for n in range(1, 5))]
    _save(tmp_path, "新民社区花名册20200418.xlsx", rows, merge=["A2:D2"])
    result = _analyse(tmp_path, settings)
    sheet = _sheets(result)["Sheet1"]
    assert (sheet["kind"], sheet["rows"], sheet["rejected"]) == ("unknown", 4, 4)
    [found] = _problems(result, "header_in_one_cell")
    assert found["severity"] == "error" and found["row"] == 2 and "每一列一个列名" in found["fix"]
    assert result.summary["accounting"]["rejected_rows"] == 4


def test_rows_on_a_hidden_sheet_are_counted_with_a_note(tmp_path: Path, settings: Settings) -> None:
    visible = [[TITLE], HEADER, person(1)]
    hidden = [[TITLE], HEADER, person(2), person(3)]
    _save(tmp_path, "新民社区花名册20200418.xlsx", visible, title="花名册", hidden_copy=hidden)
    result = _analyse(tmp_path, settings)
    assert _sheets(result)["隐藏"]["accepted"] == 2
    [note] = _problems(result, "hidden_sheet")
    assert (note["sheet"], note["severity"]) == ("隐藏", "note") and "2 行" in note["message"]


def test_an_instructions_sheet_is_still_not_counted(tmp_path: Path, settings: Settings) -> None:
    _save(tmp_path, "说明.xlsx", [["填表说明"], ["1. 身份证号请设为文本格式"], ["2. 姓名、身份证号、电话都要填"]])
    result = _analyse(tmp_path, settings)
    assert result.summary["accounting"]["input_rows"] == 0
    assert [c for c in result.problems["code"] if not is_programme_scope(c)] == ["sheet_instructions"]


def test_a_workbook_without_sheets_has_a_reason(tmp_path: Path, settings: Settings) -> None:
    write_xlsx(tmp_path / "新民社区花名册.xlsx", [])
    result = _analyse(tmp_path, settings)
    [entry] = result.summary["files"]
    assert not entry["readable"] and "没有可以读取数据的工作表" in entry["error"]
    assert [c for c in result.problems["code"] if not is_programme_scope(c)] == ["no_sheets"]
