"""HTML and MHTML tables -> one grid per table (pipeline.load.html)."""

from __future__ import annotations

from pathlib import Path

from pipeline.load import read_file
from tests.load.helpers import ID, LIMITS, all_cells, codes, only_sheet

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
