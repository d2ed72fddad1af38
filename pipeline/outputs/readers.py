"""Workbooks written for people."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pipeline.model import Analysis
from pipeline.outputs.xlsx import Column, Formats, new_workbook, write_table
from pipeline.problems import PROBLEM_COLUMNS, PROBLEM_HEADERS, problems_frame
from pipeline.settings import Settings

PROBLEM_TABLE = [
    Column("file", PROBLEM_HEADERS["file"]),
    Column("sheet", PROBLEM_HEADERS["sheet"]),
    Column("row", PROBLEM_HEADERS["row"], "int", 7),
    Column("column", PROBLEM_HEADERS["column"]),
    Column("value", PROBLEM_HEADERS["value"]),
    Column("severity", PROBLEM_HEADERS["severity"], width=9),
    Column("message", PROBLEM_HEADERS["message"], width=50),
    Column("fix", PROBLEM_HEADERS["fix"], width=50),
    Column("code", PROBLEM_HEADERS["code"]),
]
assert {c.key for c in PROBLEM_TABLE} == set(PROBLEM_COLUMNS)


def write_problem_sheet(book, fmt: Formats, frame: pd.DataFrame, *, name: str = "数据问题", title: str) -> None:  # type: ignore[no-untyped-def]
    sheets = write_table(book, fmt, name, frame, PROBLEM_TABLE, title=title,
                         subtitle="每一行是一个需要核对或改正的地方：文件、工作表、行号（与Excel中看到的行号一致）、列、内容、问题和改正方法。")
    for sheet in sheets:
        last = len(frame) + 2
        sheet.conditional_format(2, 5, last, 5, {"type": "cell", "criteria": "==", "value": '"错误"', "format": fmt.get("red")})
        sheet.conditional_format(2, 5, last, 5, {"type": "cell", "criteria": "==", "value": '"警告"', "format": fmt.get("amber")})


def write_problems_workbook(path: Path, result: Analysis, settings: Settings) -> Path:
    frame = problems_frame(result.problems)
    book, fmt = new_workbook(str(path), title=f"数据问题 {result.as_of.isoformat()}")
    write_problem_sheet(book, fmt, frame, title=f"{settings.programme.name} 数据问题清单（截至 {result.as_of.isoformat()}）")
    rejected = result.normalized.rejected
    write_table(
        book,
        fmt,
        "未采用的行",
        rejected,
        [
            Column("src_file", "文件"),
            Column("src_sheet", "工作表"),
            Column("src_row", "行号", "int", 7),
            Column("kind", "表类型"),
            Column("reason", "原因", width=40),
        ],
        title="未采用的行（每一行都有原因）",
    )
    book.close()
    return path
