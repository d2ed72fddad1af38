"""The real format from the bytes; other documents are named, broken zips reported (pipeline.load.sniff)."""

from __future__ import annotations

import zipfile
from pathlib import Path

from pipeline.load import read_file
from tests.load.helpers import CJK, LIMITS, codes, make_roster_xlsx


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
