"""Stage 1 (pipeline.load): files -> raw cell grids, nothing lost silently."""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import struct
import time
import zipfile
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
import xlsxwriter

from pipeline.load import (
    PASSWORD_MESSAGE,
    FileResult,
    RawSheet,
    discover,
    read_all,
    read_file,
    read_file_isolated,
)
from pipeline.settings import Limits

LIMITS = Limits()
CJK = re.compile(r"[\u4e00-\u9fff]")
CORPUS = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures" / "third_party"
ID = "411328199001011234"


def codes(result: FileResult) -> list[str]:
    return [p.code for p in result.problems]


def only_sheet(result: FileResult) -> RawSheet:
    assert len(result.sheets) == 1, result.problems
    return result.sheets[0]


def symlink_or_skip(link: Path, target: Path) -> None:
    try:
        link.symlink_to(target)
    except (OSError, NotImplementedError):
        pytest.skip("symlinks not available here (Windows without the privilege)")


def all_cells(result: FileResult) -> list[object]:
    return [c for s in result.sheets for row in s.rows for c in row]


# ---------------------------------------------------------------------------------------------
# Excel


def make_roster_xlsx(path: Path) -> None:
    """Title rows above the header, an empty row 1 and an empty column A, a hidden sheet."""
    wb = openpyxl.Workbook()
    ws = wb.active
    assert ws is not None
    ws.title = "登记表"
    ws["B2"] = "某某街道孕产妇两筛登记表"
    ws["B3"] = "填报单位：幸福社区"
    ws["B4"], ws["C4"], ws["D4"], ws["E4"] = "姓名", "身份证号", "末次月经", "孕周"
    ws["B5"], ws["C5"], ws["D5"], ws["E5"] = "张三", ID, dt.datetime(2020, 3, 1), 12
    ws["B6"], ws["C6"] = "李四", "41132819900101123X"
    hidden = wb.create_sheet("备用")
    hidden["A1"] = "隐藏内容"
    hidden.sheet_state = "hidden"
    wb.save(path)


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
    assert len(mismatch) == 1 and mismatch[0].severity == "提示"
    assert ".xls" in mismatch[0].message and CJK.search(mismatch[0].message)
    assert all(p.severity == "提示" for p in result.problems)


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
    assert p.sheet == "坏表" and p.severity == "错误" and CJK.search(p.message)


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


def test_file_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    path.write_text("a,b\n" * 1000, encoding="utf-8")
    result = read_file(path, tmp_path, Limits(max_file_mb=0.001))
    assert not result.readable
    assert codes(result) == ["file_too_large"]
    assert result.sha256 == hashlib.sha256(path.read_bytes()).hexdigest()


def test_truncated_xlsx(tmp_path: Path) -> None:
    whole = tmp_path / "whole.xlsx"
    make_roster_xlsx(whole)
    data = whole.read_bytes()
    path = tmp_path / "half.xlsx"
    path.write_bytes(data[: len(data) // 2])
    result = read_file(path, tmp_path, LIMITS)
    assert not result.readable
    assert result.format == "xlsx"
    assert codes(result) == ["corrupt_zip"]
    assert CJK.search(result.problems[0].message)
    assert result.problems[0].file == "half.xlsx"


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


def write_ods(path: Path, body: str) -> None:
    content = (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<office:document-content xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
        'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
        'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" office:version="1.2">'
        f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>"
    )
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr(zipfile.ZipInfo("mimetype"), "application/vnd.oasis.opendocument.spreadsheet")
        zf.writestr("content.xml", content)
        zf.writestr(
            "META-INF/manifest.xml",
            '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0">'
            '<manifest:file-entry manifest:full-path="/" '
            'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
            '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
            "</manifest:manifest>",
        )


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


# ---------------------------------------------------------------------------------------------
# HTML


HTML_EXPORT = """<!DOCTYPE html>
<html><head><meta http-equiv="Content-Type" content="text/html; charset=gb2312">
<style>td {{ color: red }}</style>
<script>var secret = "SCRIPT_TEXT"; document.write("<table><tr><td>INJECTED</td></tr></table>");</script>
</head><body>
<table border=1>
<tr><th colspan=3>孕产妇登记表</th></tr>
<tr><td rowspan=2>幸福社区</td><td>姓名</td><td>身份证号</td></tr>
<tr><td>王 五<br>（新）</td><td x:str>{id}</td></tr>
<tr><td>&nbsp;</td><td></td><td>合计</td></tr>
</table>
<p>第二个表</p>
<table><tr><td>a</td><td>b</td></tr></table>
</body></html>
"""


def test_html_saved_as_xls(tmp_path: Path) -> None:
    path = tmp_path / "系统导出.xls"
    path.write_bytes(HTML_EXPORT.format(id=ID).encode("gbk"))
    result = read_file(path, tmp_path, LIMITS)
    assert result.format == "html"
    assert result.encoding == "gb18030"
    assert [s.sheet for s in result.sheets] == ["表1", "表2"]
    rows = result.sheets[0].rows
    assert rows == [
        ["孕产妇登记表", None, None],
        ["幸福社区", "姓名", "身份证号"],
        [None, "王 五 （新）", ID],  # the rowspan keeps columns aligned
        [None, None, "合计"],
    ]
    assert result.sheets[1].rows == [["a", "b"]]
    text = " ".join(str(c) for c in all_cells(result))
    assert "SCRIPT_TEXT" not in text and "INJECTED" not in text and "color" not in text
    assert "format_mismatch" in codes(result)


def test_html_utf16_and_no_tables(tmp_path: Path) -> None:
    path = tmp_path / "a.xls"
    path.write_bytes(
        "\ufeff<html><body><table><tr><td>姓名</td></tr></table></body></html>".encode("utf-16-le")
    )
    result = read_file(path, tmp_path, LIMITS)
    assert result.format == "html"
    assert only_sheet(result).rows == [["姓名"]]
    empty = tmp_path / "b.html"
    empty.write_text("<html><body><p>没有表格</p></body></html>", encoding="utf-8")
    result = read_file(empty, tmp_path, LIMITS)
    assert result.format == "html" and not result.readable
    assert codes(result) == ["no_tables"]


def test_mhtml_single_file_web_page(tmp_path: Path) -> None:
    path = tmp_path / "导出.xls"
    path.write_bytes(
        b"MIME-Version: 1.0\r\n"
        b'Content-Type: multipart/related; boundary="----=_NextPart_01"\r\n\r\n'
        b"------=_NextPart_01\r\n"
        b"Content-Location: file:///C:/sheet001.htm\r\n"
        b"Content-Transfer-Encoding: quoted-printable\r\n"
        b'Content-Type: text/html; charset="gb2312"\r\n\r\n'
        b"<html><body><table><tr><td>=D0=D5=C3=FB</td><td x:str>"
        + ID.encode()
        + b"</td></tr></table></body></html>\r\n"
        b"------=_NextPart_01--\r\n"
    )
    result = read_file(path, tmp_path, LIMITS)
    assert result.format == "html"
    assert only_sheet(result).rows == [["姓名", ID]]


# ---------------------------------------------------------------------------------------------
# CSV / text


@pytest.mark.parametrize(
    ("encoding", "delimiter", "expected"),
    [
        ("utf-8", ",", "utf-8"),
        ("utf-8-sig", ",", "utf-8-sig"),
        ("gbk", ",", "gb18030"),
        ("utf-16", "\t", "utf-16"),
        ("gb18030", ";", "gb18030"),
    ],
)
def test_csv_encodings(tmp_path: Path, encoding: str, delimiter: str, expected: str) -> None:
    lines = [
        ["姓名", "身份证号", "电话", "备注"],
        ["张三", ID, "013800138000", ""],
        ["李四", "0012", "", "无"],
    ]
    text = "\r\n".join(delimiter.join(line) for line in lines) + "\r\n"
    path = tmp_path / "名单.csv"
    path.write_bytes(text.encode(encoding))
    result = read_file(path, tmp_path, LIMITS)
    assert result.format == "csv"
    assert result.encoding == expected
    assert result.problems == []
    sheet = only_sheet(result)
    assert sheet.sheet == "名单"
    assert sheet.rows == [
        ["姓名", "身份证号", "电话", "备注"],
        ["张三", ID, "013800138000", None],
        ["李四", "0012", None, "无"],
    ]
    assert all(isinstance(c, str) for row in sheet.rows for c in row if c is not None)


def test_txt_with_tabs_and_leading_empty_line(tmp_path: Path) -> None:
    path = tmp_path / "导出.txt"
    path.write_bytes(f"\n\t姓名\t身份证号\n\t张三\t{ID}\n".encode("utf-16"))
    result = read_file(path, tmp_path, LIMITS)
    assert result.format == "csv"
    assert only_sheet(result).rows == [[None, None, None], [None, "姓名", "身份证号"], [None, "张三", ID]]
    assert "format_mismatch" not in codes(result)


def test_csv_invalid_bytes_and_nul(tmp_path: Path) -> None:
    path = tmp_path / "坏.csv"
    good = "姓名,电话\n" + "张三,13800138000\n" * 20
    path.write_bytes(good.encode() + b"\xff\xfe\x80,x\n" + b"a\x00b,c\n")
    result = read_file(path, tmp_path, LIMITS)
    assert result.readable
    assert {"encoding_replaced", "nul_bytes"} <= set(codes(result))
    assert all(p.severity == "警告" for p in result.problems)
    rows = only_sheet(result).rows
    assert rows[0] == ["姓名", "电话"] and rows[-1] == ["ab", "c"]
    assert result.encoding in ("utf-8", "gb18030") and "\ufffd" in str(rows[-2][0])


def test_csv_line_too_long(tmp_path: Path) -> None:
    path = tmp_path / "长.csv"
    path.write_text("a,b\n" + "x" * 200 + ",y\n", encoding="utf-8")
    result = read_file(path, tmp_path, Limits(max_csv_line_chars=100))
    assert not result.readable
    assert codes(result) == ["csv_line_too_long"]


def test_text_that_is_not_a_table(tmp_path: Path) -> None:
    path = tmp_path / "说明.txt"
    path.write_text("各社区：\n请于本周五前报送孕产妇两筛名单。\n谢谢配合\n", encoding="utf-8")
    result = read_file(path, tmp_path, LIMITS)
    assert result.format == "unknown" and not result.readable
    assert codes(result) == ["not_a_table"]
    assert result.problems[0].severity == "提示"  # a note beside the tables is normal
    fake = tmp_path / "导出.xls"
    fake.write_text("Attachment not found!", encoding="ascii")
    result = read_file(fake, tmp_path, LIMITS)
    assert codes(result) == ["not_a_table"] and result.problems[0].severity == "错误"
    binary = tmp_path / "x.dat"
    binary.write_bytes(bytes(range(256)) * 20)
    result = read_file(binary, tmp_path, LIMITS)
    assert result.format == "unknown" and not result.readable
    assert codes(result) == ["unknown_format"]


def test_zero_byte_file(tmp_path: Path) -> None:
    path = tmp_path / "空.xlsx"
    path.write_bytes(b"")
    result = read_file(path, tmp_path, LIMITS)
    assert result.format == "empty" and not result.readable
    assert codes(result) == ["empty_file"]
    assert result.sha256 == hashlib.sha256(b"").hexdigest()


def test_other_documents_are_named(tmp_path: Path) -> None:
    pdf = tmp_path / "通知.pdf"
    pdf.write_bytes(b"%PDF-1.4\n...")
    archive = tmp_path / "报表.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("a.xlsx", b"x")
    for path, word in ((pdf, "PDF"), (archive, "压缩包")):
        result = read_file(path, tmp_path, LIMITS)
        assert result.format == "unknown"
        (p,) = result.problems
        assert p.code == "unknown_format" and word in p.message


# ---------------------------------------------------------------------------------------------
# Discovery and read_all


def test_discover_skips_and_reports(tmp_path: Path) -> None:
    inp = tmp_path / "input"
    (inp / "b社区").mkdir(parents=True)
    (inp / "output").mkdir()
    (inp / ".git").mkdir()
    make_roster_xlsx(inp / "a.xlsx")
    make_roster_xlsx(inp / "b社区" / "c.xlsx")
    (inp / "~$a.xlsx").write_bytes(b"lock")
    (inp / ".~c.xlsx").write_bytes(b"lock")
    (inp / ".x.xlsx").write_bytes(b"hidden")
    (inp / ".git" / "config").write_text("x")
    (inp / "output" / "汇总.xlsx").write_bytes(b"ours")
    outside = tmp_path / "secret.csv"
    outside.write_text("a,b\n", encoding="utf-8")
    symlink_or_skip(inp / "link.csv", outside)
    symlink_or_skip(inp / "dup.xlsx", inp / "a.xlsx")
    paths, problems = discover(inp, exclude=[inp / "output"])
    assert [p.relative_to(inp).as_posix() for p in paths] == ["a.xlsx", "b社区/c.xlsx"]
    by_file = {p.file: p for p in problems}
    assert by_file["~$a.xlsx"].code == "skipped_lock"
    assert by_file[".~c.xlsx"].code == "skipped_lock"
    assert by_file[".x.xlsx"].code == "skipped_hidden"
    assert by_file[".git"].code == "skipped_hidden"
    assert by_file["output"].code == "skipped_excluded"
    assert by_file["link.csv"].code == "symlink_outside"
    assert by_file["dup.xlsx"].code == "symlink_duplicate"
    assert all(p.severity == "提示" and CJK.search(p.message) for p in problems)
    # Nothing was touched.
    assert (inp / "~$a.xlsx").read_bytes() == b"lock"


def test_discover_missing_folder(tmp_path: Path) -> None:
    paths, problems = discover(tmp_path / "nope")
    assert paths == [] and [p.code for p in problems] == ["input_missing"]


def test_read_all(tmp_path: Path) -> None:
    inp = tmp_path / "input"
    inp.mkdir()
    make_roster_xlsx(inp / "a.xlsx")
    (inp / "b.csv").write_text(f"姓名,身份证号\n张三,{ID}\n", encoding="utf-8")
    (inp / "c.xls").write_bytes(b"")
    (inp / "~$a.xlsx").write_bytes(b"lock")
    (inp / "out").mkdir()
    (inp / "out" / "result.xlsx").write_bytes(b"x")
    results, problems = read_all(inp, LIMITS, exclude=[inp / "out"])
    assert [r.path for r in results] == ["a.xlsx", "b.csv", "c.xls"]
    assert [r.format for r in results] == ["xlsx", "csv", "empty"]
    assert [r.readable for r in results] == [True, True, False]
    assert results[0].sheets[0].rows[4][2] == ID
    assert results[1].sheets[0].rows[1] == ["张三", ID]
    assert sorted(p.code for p in problems) == ["skipped_excluded", "skipped_lock"]


def test_read_file_isolated(tmp_path: Path) -> None:
    path = tmp_path / "a.xlsx"
    make_roster_xlsx(path)
    result = read_file_isolated(path, tmp_path, LIMITS, timeout_s=60)
    assert result == read_file(path, tmp_path, LIMITS)
    # A worker that does not answer in time is killed and the file reported, not waited for.
    slow = read_file_isolated(path, tmp_path, LIMITS, timeout_s=0.001)
    assert not slow.readable and slow.format == "xlsx"
    (p,) = slow.problems
    assert p.code == "unreadable" and p.message.startswith("文件无法读取：") and "超时" in p.message
    assert slow.sha256 == result.sha256


# ---------------------------------------------------------------------------------------------
# Third-party corpus (must stay fast: it runs in the normal suite)


ENCRYPTED = re.compile(r"^(password\..*|pass_protected\..*|issue_385\.xls)$")


def test_third_party_corpus() -> None:
    if not CORPUS.is_dir():
        pytest.skip("../shared/fixtures/third_party not present (only in CI and the dev sandbox)")
    files = sorted(
        p
        for p in CORPUS.rglob("*")
        if p.is_file() and p.name != "SOURCES.md" and "LICENSES" not in p.relative_to(CORPUS).parts
    )
    assert len(files) > 300
    failures: list[str] = []
    readable = 0
    start = time.monotonic()
    for path in files:
        try:
            result = read_file(path, CORPUS, LIMITS)
        except Exception as exc:  # read_file must never raise
            failures.append(f"{path.name}: raised {exc!r}")
            continue
        for p in result.problems:
            if p.file != result.path or not CJK.search(p.message):
                failures.append(f"{result.path}: problem without file or Chinese message: {p}")
        if result.readable:
            readable += 1
        elif not any(CJK.search(p.message) for p in result.problems):
            failures.append(f"{result.path}: nothing read and no Chinese problem")
        if ENCRYPTED.match(path.name):
            if result.format != "encrypted" or not any(
                p.message == PASSWORD_MESSAGE for p in result.problems
            ):
                failures.append(f"{result.path}: not reported as password-protected ({result.problems})")
        for sheet in result.sheets:
            widths = {len(r) for r in sheet.rows}
            if len(widths) > 1 or any(c == "" for r in sheet.rows for c in r):
                failures.append(f"{result.path}/{sheet.sheet}: ragged rows or '' cells")
    elapsed = time.monotonic() - start
    assert not failures, "\n".join(failures)
    assert readable > 300
    assert elapsed < 30, f"corpus took {elapsed:.1f}s"

    def load(rel: str) -> FileResult:
        return read_file(CORPUS / rel, CORPUS, LIMITS)

    dos = load("tafia__calamine/issue_594_dos.ods")
    assert codes(dos) == ["sheet_too_large"]
    wrong_ext = load("NiceBlooming__Handling-homework/花名册.xls")
    assert wrong_ext.format == "xlsx" and wrong_ext.readable and "format_mismatch" in codes(wrong_ext)
    assert load("tafia__calamine/too_small.xls").format == "unknown"
    assert load("dimastbk__python-calamine/empty_file.xlsx").format == "empty"
    hidden = {s.sheet: s.hidden for s in load("dimastbk__python-calamine/any_sheets.xlsx").sheets}
    assert hidden == {"Visible": False, "Hidden": True, "VeryHidden": True}
    for name in ("OOM_alloc.xls", "OOM_alloc2.xls", "OOM_alloc3.xls"):
        result = load(f"tafia__calamine/{name}")
        assert result.readable or result.problems


def test_symlink_to_an_unlisted_file_inside_is_read(tmp_path: Path) -> None:
    inp = tmp_path / "in"
    (inp / "sub").mkdir(parents=True)
    real = inp / "sub" / ".真实.csv"  # hidden itself, reachable only through the link
    real.write_text("a,b\n", encoding="utf-8")
    symlink_or_skip(inp / "link.csv", real)
    paths, problems = discover(inp)
    assert [p.name for p in paths] == ["link.csv"]
    assert [p.code for p in problems] == ["skipped_hidden"]
    assert os.path.islink(paths[0])
