"""CSV/TXT decoding and delimiter sniffing (pipeline.load.text)."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.load import read_file
from pipeline.problems import Severity
from pipeline.settings import Limits
from tests.load.helpers import ID, LIMITS, codes, only_sheet


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
    assert all(p.severity == Severity.WARNING for p in result.problems)
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
    assert result.problems[0].severity == Severity.NOTE  # a note beside the tables is normal
    fake = tmp_path / "导出.xls"
    fake.write_text("Attachment not found!", encoding="ascii")
    result = read_file(fake, tmp_path, LIMITS)
    assert codes(result) == ["not_a_table"] and result.problems[0].severity == Severity.ERROR
    binary = tmp_path / "x.dat"
    binary.write_bytes(bytes(range(256)) * 20)
    result = read_file(binary, tmp_path, LIMITS)
    assert result.format == "unknown" and not result.readable
    assert codes(result) == ["unknown_format"]
