"""Hostile Excel-family files are stopped before the parser sees them (pipeline.load.guard, .biff)."""

from __future__ import annotations

import re
import struct
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
import xlsxwriter

from pipeline.load import read_file, read_file_isolated
from pipeline.problems import Severity
from pipeline.settings import Limits
from tests.load.helpers import CJK, CORPUS, LIMITS, codes, write_ods


def test_far_stray_cell_is_rejected_before_parsing(tmp_path: Path) -> None:
    """One value in XFD6000 makes the parser allocate ~1e8 cells; the pre-scan skips that sheet."""
    path = tmp_path / "far.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    good = wb.add_worksheet("好表")
    good.write("A1", "姓名")
    bad = wb.add_worksheet("坏表")
    bad.write("A1", 1)
    bad.write(5999, 16383, 2)
    wb.close()
    start = time.monotonic()
    result = read_file(path, tmp_path, LIMITS)
    assert time.monotonic() - start < 5
    assert [s.sheet for s in result.sheets] == ["好表"]
    (p,) = [p for p in result.problems if p.code == "sheet_too_large"]
    assert p.sheet == "坏表" and p.severity == Severity.ERROR and CJK.search(p.message)


def rewrite_sheet_xml(src: Path, dst: Path, edit: Callable[[str], str]) -> None:
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = edit(data.decode("utf-8")).encode("utf-8")
            zout.writestr(info, data)


@pytest.mark.parametrize("variant", ["reordered", "no_address", "prefixed"])
def test_far_cells_in_unusual_xml_are_found(tmp_path: Path, variant: str) -> None:
    """Cells whose XML is not the common <c r="A1" ...> form still count (checked in a worker
    process, so that a missed guard fails this test instead of killing the test run)."""
    base = tmp_path / "base.xlsx"
    wb = xlsxwriter.Workbook(str(base))
    ws = wb.add_worksheet("表")
    ws.write("A1", 1)
    ws.write("XFD1", 2)
    ws.write("A2", 3)
    wb.close()

    def edit(xml: str) -> str:
        if variant == "reordered":  # r last; the far cell moved to the last row
            xml = xml.replace('<c r="A2"', '<c s="0" r="A1048576"').replace('<row r="2"', '<row r="1048576"')
            return re.sub(r'<c r="([A-Z]+[0-9]+)"([^>]*)>', r'<c\2 r="\1">', xml)
        if variant == "no_address":  # the parser places r-less cells by their <row>
            return xml.replace('<row r="2"', '<row r="1048576"').replace('<c r="A2"', "<c")
        xml = xml.replace('<row r="2"', '<row r="1048576"').replace('r="A2"', 'r="A1048576"')
        xml = re.sub(r"<(/?)(worksheet|sheetData|row|c|v)\b", r"<\1x:\2", xml)
        return xml.replace("xmlns=", "xmlns:x=")

    path = tmp_path / f"{variant}.xlsx"
    rewrite_sheet_xml(base, path, edit)
    result = read_file_isolated(path, tmp_path, LIMITS, timeout_s=60)
    assert codes(result) == ["sheet_too_large"], result.problems
    assert result.problems[0].sheet == "表"


def test_too_many_sheets(tmp_path: Path) -> None:
    path = tmp_path / "多表.xlsx"
    wb = xlsxwriter.Workbook(str(path))
    for i in range(3):
        wb.add_worksheet(f"S{i}").write("A1", i)
    wb.close()
    result = read_file(path, tmp_path, Limits(max_sheets=2))
    assert not result.readable
    assert codes(result) == ["too_many_sheets"]


def write_xlsx_shaped_zip(path: Path, megabytes: int, level: int) -> None:
    """A zip that looks like an xlsx, with one huge entry of zeros, written by streaming."""
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        zf.writestr("[Content_Types].xml", "<Types/>")
        zf.writestr("xl/workbook.xml", '<workbook><sheets><sheet name="S" r:id="rId1"/></sheets></workbook>')
        block = bytes(1 << 20)
        with zf.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
            for _ in range(megabytes):
                fh.write(block)


def test_zip_bomb_by_size(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    write_xlsx_shaped_zip(path, 600, level=1)
    start = time.monotonic()
    result = read_file(path, tmp_path, LIMITS)
    assert time.monotonic() - start < 5
    assert not result.readable
    assert codes(result) == ["zip_too_large"]


def test_zip_bomb_by_ratio(tmp_path: Path) -> None:
    path = tmp_path / "bomb.xlsx"
    write_xlsx_shaped_zip(path, 40, level=9)  # ~1000:1, under the size limit
    result = read_file(path, tmp_path, LIMITS)
    assert not result.readable
    assert codes(result) == ["zip_bomb"]


def test_ods_repeated_cells_bomb(tmp_path: Path) -> None:
    """A 1 KB ODS asking for 5e7 content cells (the parser would spend ~20 s and 6 GB)."""
    path = tmp_path / "dos.ods"
    write_ods(
        path,
        '<table:table table:name="表"><table:table-row table:number-rows-repeated="5000">'
        '<table:table-cell table:number-columns-repeated="10000" office:value-type="string"><text:p>X</text:p>'
        "</table:table-cell></table:table-row></table:table>",
    )
    start = time.monotonic()
    result = read_file(path, tmp_path, LIMITS)
    assert time.monotonic() - start < 5
    assert not result.readable
    (p,) = result.problems
    assert p.code == "sheet_too_large" and p.sheet == "表"


@pytest.mark.skipif(not CORPUS.is_dir(), reason="../shared/fixtures/third_party not present")
def test_xls_far_cell_and_lying_dimensions_are_rejected(tmp_path: Path) -> None:
    """Patched copies of a real .xls: a cell record at (65534, 65520), and a DIMENSIONS record
    declaring 2^28 rows; either makes the parser abort the whole process."""
    data = (CORPUS / "pandas-dev__pandas" / "test6.xls").read_bytes()
    number = data.find(b"\x03\x02\x0e\x00")  # NUMBER record
    dims = data.find(b"\x00\x02\x0e\x00")  # DIMENSIONS record
    assert number > 0 and dims > 0
    far = bytearray(data)
    struct.pack_into("<HH", far, number + 4, 0xFFFE, 0xFFF0)
    lying = bytearray(data)
    struct.pack_into("<IIHH", lying, dims + 4, 0, 0xFFFFFFF, 0, 0xFFFF)
    for name, blob in (("far.xls", far), ("dims.xls", lying)):
        path = tmp_path / name
        path.write_bytes(bytes(blob))
        result = read_file(path, tmp_path, LIMITS)
        assert result.format == "xls"
        assert codes(result) == ["sheet_too_large"], result.problems
    ok = tmp_path / "ok.xls"
    ok.write_bytes(data)
    assert read_file(ok, tmp_path, LIMITS).readable
