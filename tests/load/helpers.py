"""Shared by the tests of stage 1 (pipeline.load): limits, sample files, small assertions."""

from __future__ import annotations

import datetime as dt
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest

from pipeline.model import FileResult, RawSheet
from pipeline.settings import Limits

LIMITS = Limits()


CJK = re.compile(r"[\u4e00-\u9fff]")


CORPUS = Path(__file__).resolve().parents[2].parent / "shared" / "fixtures" / "third_party"


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
