"""Excel-family workbooks -> exact cell grids (pipeline.load.excel)."""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path

from pipeline.load import read_file
from pipeline.problems import Severity
from tests.load.helpers import CJK, ID, LIMITS, make_roster_xlsx, only_sheet, write_ods


def test_xlsx_keeps_exact_positions(tmp_path: Path) -> None:
    path = tmp_path / "幸福社区.xlsx"
    make_roster_xlsx(path)
    result = read_file(path, tmp_path, LIMITS)
    assert result.format == "xlsx"
    assert result.readable
    assert result.path == "幸福社区.xlsx"
    assert result.size == path.stat().st_size
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()
    assert result.problems == []
    main, spare = result.sheets
    assert (main.sheet, main.hidden) == ("登记表", False)
    assert (spare.sheet, spare.hidden) == ("备用", True)
    assert spare.rows == [["隐藏内容"]]
    rows = main.rows
    assert len(rows) == 6  # Excel rows 1..6: the empty first row is kept
    assert all(c is None for c in rows[0])
    assert all(row[0] is None for row in rows)  # column A empty, still there
    assert rows[1][1] == "某某街道孕产妇两筛登记表"  # B2
    assert rows[3][1:5] == ["姓名", "身份证号", "末次月经", "孕周"]  # header in Excel row 4
    assert rows[4][2] == ID and isinstance(rows[4][2], str)
    assert rows[4][3] == dt.date(2020, 3, 1)  # a date-formatted midnight comes back as a date
    assert rows[4][4] == 12
    assert rows[5][2] == "41132819900101123X"
    assert rows[5][3] is None and rows[5][4] is None  # empty cells are None, rows rectangular
    assert {len(r) for r in rows} == {5}


def test_xlsx_renamed_xls_is_read_by_content(tmp_path: Path) -> None:
    path = tmp_path / "导出.xls"
    make_roster_xlsx(path)
    result = read_file(path, tmp_path, LIMITS)
    assert result.format == "xlsx"
    assert result.sheets[0].rows[3][1] == "姓名"
    mismatch = [p for p in result.problems if p.code == "format_mismatch"]
    assert len(mismatch) == 1 and mismatch[0].severity == Severity.NOTE
    assert ".xls" in mismatch[0].message and CJK.search(mismatch[0].message)
    assert all(p.severity == Severity.NOTE for p in result.problems)


def test_ods_with_trailing_empty_repeats_is_read(tmp_path: Path) -> None:
    """LibreOffice writes styled empty rows/cells repeated to the sheet's end: not content."""
    path = tmp_path / "ok.ods"
    write_ods(
        path,
        '<table:table table:name="表"><table:table-row><table:table-cell/>'
        '<table:table-cell office:value-type="string"><text:p>姓名</text:p></table:table-cell>'
        '<table:table-cell table:number-columns-repeated="16382"/></table:table-row>'
        '<table:table-row table:number-rows-repeated="1048575">'
        '<table:table-cell table:number-columns-repeated="16384"/></table:table-row></table:table>',
    )
    result = read_file(path, tmp_path, LIMITS)
    assert result.format == "ods"
    assert only_sheet(result).rows == [[None, "姓名"]]
