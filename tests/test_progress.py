"""The progress line: shown on a terminal, silent otherwise, never personal data."""

from __future__ import annotations

import io

from pipeline.model import FileResult, RawSheet
from pipeline.progress import Progress


def _file() -> FileResult:
    sheet = RawSheet("a.csv", "a", [["姓名", "身份证号"], ["王芳", "411328199001011234"]])
    return FileResult("a.csv", "csv", 10, "", [sheet], [])


def test_quiet_when_not_a_terminal() -> None:
    out = io.StringIO()
    progress = Progress(out)
    progress.stage("read")
    progress.file_read(_file())
    progress.close()
    assert out.getvalue() == ""


def test_shows_stage_files_and_rows_on_a_terminal() -> None:
    out = io.StringIO()
    progress = Progress(out, enabled=True, interval=0)
    progress.stage("read")
    progress.file_read(_file())
    progress.stage("write", total=3)
    progress.item()
    text = out.getvalue()
    assert "读取文件" in text and "已读文件 1" in text and "2 行" in text and "1/3" in text
    assert "王芳" not in text and "411328" not in text
    progress.close()
    assert out.getvalue().endswith("\r")
