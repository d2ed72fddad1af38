"""Regression tests for the holes the hostile cases found (pipeline/load/, pipeline/normalize/).

1. The worksheet pre-scan read only addresses written the way Excel writes them (``r="XFD12"``:
   upper case, at most 3 letters and 7 digits, double quotes, no spaces). The parser accepts
   more, so a cell at ``r="BDWGN1"`` (column 10^6), ``r="A50000000"``, ``r="xfd1"``,
   ``r='XFD1'`` or ``r = "XFD1"`` slipped past it and made the parser allocate the whole
   rectangle (an abort, a memory error or minutes of work in the reader process).
2. A small UTF-8 roster with a dozen stray bytes was decoded as GB18030 from the first line on
   (mojibake headers: the whole sheet unrecognised, its rows lost).
3. A 10 MB cell with a problem (e.g. in the ID column) was copied whole into the problem's value:
   printed on the terminal as one 10 MB line, and into every problem list.
"""

from __future__ import annotations

import io
import time
from pathlib import Path

import pytest

from pipeline import load
from pipeline.load import guard
from pipeline.model import FileResult, RawSheet
from pipeline.normalize import normalize
from pipeline.problems import problem_records
from pipeline.settings import Limits, load_settings
from tests.conftest import CONFIG
from tests.hostile.cases import HEADER, TITLE, cells_xml, people, roster_csv, sheet_xml, write_xlsx

FAR = [
    ("more letters than XFD", '<c r="BDWGN1"><v>1</v></c>', (5000, 1_000_000)),
    ("more digits than 9999999", '<c r="B50000000"><v>1</v></c>', (50_000_000, 2)),
    ("lower case", '<c r="xfd1"><v>1</v></c>', (5000, 16_384)),
    ("single quotes", "<c r='XFD1'><v>1</v></c>", (5000, 16_384)),
    ("spaces around =", '<c r = "XFD1"><v>1</v></c>', (5000, 16_384)),
    ("absurdly long address", f'<c r="{"Z" * 40}{"9" * 40}"><v>1</v></c>', None),
]


@pytest.mark.parametrize(("label", "cell", "extent"), FAR, ids=[f[0] for f in FAR])
def test_prescan_sees_addresses_excel_never_writes(label: str, cell: str, extent: tuple[int, int] | None) -> None:
    xml = sheet_xml(
        f'<row r="1"><c r="A1"><v>0</v></c>{cell}</row><row r="5000"><c r="A5000"><v>2</v></c></row>'
    ).encode()
    rows, cols = guard._xlsx_extent(io.BytesIO(xml), Limits().max_cells)
    if extent is not None:
        assert (rows, cols) == extent
    assert rows * cols > Limits().max_cells


def test_prescan_keeps_the_fast_path_for_ordinary_sheets() -> None:
    xml = sheet_xml(cells_xml([HEADER, *people(3)])).encode()
    assert guard._xlsx_extent(io.BytesIO(xml), Limits().max_cells) == (4, 4)


def test_far_column_is_rejected_before_the_parser(tmp_path: Path) -> None:
    path = tmp_path / "宽.xlsx"
    wide = sheet_xml('<row r="1"><c r="A1"><v>1</v></c><c r="AAAAAA1"><v>2</v></c></row>'
                     '<row r="50"><c r="A50"><v>3</v></c></row>')  # 50 x 12,356,630 cells
    write_xlsx(path, [("好表", sheet_xml(cells_xml([HEADER, *people(2)]))), ("宽表", wide)])
    start = time.monotonic()
    result = load.read_file_isolated(path, tmp_path, Limits(), timeout_s=60)
    assert time.monotonic() - start < 10
    assert [s.sheet for s in result.sheets] == ["好表"]
    assert [(p.code, p.sheet) for p in result.problems] == [("sheet_too_large", "宽表")]


def test_utf8_roster_with_stray_bytes_stays_utf8(tmp_path: Path) -> None:
    path = tmp_path / "新民社区花名册.csv"
    data = roster_csv(people(5)).encode("utf-8")
    data = data.replace("测试02".encode(), b"\xff\xfe\x80\xc3(" + "测试02".encode())
    path.write_bytes(data + b"\xed\xa0\x80\xf8\x88\x80\x80\x80,,,\r\n")
    result = load.read_file(path, tmp_path, Limits())
    assert result.encoding == "utf-8"
    assert [p.code for p in result.problems] == ["encoding_replaced"]
    rows = result.sheets[0].rows
    assert rows[1] == HEADER and rows[2][0] == "测试00"


def test_gbk_roster_with_stray_bytes_stays_gbk(tmp_path: Path) -> None:
    path = tmp_path / "新民社区花名册.csv"
    data = roster_csv(people(5)).encode("gbk") + b"\x80\xff,,,\r\n"
    path.write_bytes(data)
    result = load.read_file(path, tmp_path, Limits())
    assert result.encoding == "gb18030"
    assert result.sheets[0].rows[1] == HEADER


def test_huge_cell_value_is_shortened_in_problems() -> None:
    huge = "孕" * 1_000_000 + "411328199001011234"
    tail_id = "备注" * 95 + "411328199001011234" + "x" * 100  # the cut falls inside the ID
    sheet = RawSheet("新民社区花名册.xlsx", "Sheet1", [[TITLE, None, None, None], HEADER,
                          ["张三", huge, "13700000001", "2020-06-01"],
                          ["李四", tail_id, "13700000002", "2020-06-01"]])
    result = FileResult("新民社区花名册.xlsx", "xlsx", 1, "", [sheet], [])
    norm = normalize([result], load_settings(CONFIG))
    values = [p.value for p in problem_records(norm.problems) if p.code.startswith("id_")]
    assert len(values) == 2
    assert values[0].startswith("孕" * 200) and values[0].endswith(f"…（共 {len(huge)} 个字符）")
    assert values[1] == "备注" * 95 + f"…（共 {len(tail_id)} 个字符）"  # no partial ID left at the cut
    assert norm.rejected_rows == 2
