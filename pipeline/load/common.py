"""What the reading modules of stage 1 share: the per-file reading context, the rejection that
stops a file, and the Chinese messages and limits wording they all use.

Takes nothing from the other load modules (every one of them may import it); gives
:class:`ReadContext` (the file's relative name, the limits, the problems met so far),
:class:`Rejected` (raised by a pre-scan or a reader to stop one file with its problems), the
format and extension tables, the fix texts, and small pure helpers (file hash, grid cleaning).
Never opens a file except to hash it.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.problems import Problem, Severity, problem
from pipeline.settings import Limits

EXCEL_FORMATS = frozenset({"xlsx", "xlsm", "xlsb", "xls", "ods"})
MB = 1024 * 1024

PASSWORD_MESSAGE = "文件有密码保护，无法读取"
PASSWORD_FIX = (
    "请在Excel中去掉密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后重新保存，再放入输入文件夹"
)
UNREADABLE_FIX = "请用Excel或WPS打开该文件，另存为 .xlsx 后重新放入输入文件夹"
RESEND_FIX = "请让报送单位重新发送该文件（或从邮件中重新下载附件），确认能用Excel打开后再放入输入文件夹"
SPLIT_FIX = "请确认是否发错了文件；如确需报送，请删除多余的空行空列或拆分成几个较小的文件后重新放入"

FORMAT_LABELS: dict[str, str] = {
    "xlsx": "Excel工作簿（.xlsx）",
    "xlsm": "启用宏的Excel工作簿（.xlsm）",
    "xlsb": "Excel二进制工作簿（.xlsb）",
    "xls": "Excel 97-2003工作簿（.xls）",
    "ods": "OpenDocument表格（.ods）",
    "csv": "CSV/文本表格",
    "html": "网页（HTML）表格",
    "xml": "Excel 2003 XML表格（.xml）",
}

# Which detected formats an extension promises (no "format_mismatch" note when they agree).
EXTENSION_FORMATS: dict[str, frozenset[str]] = {
    ".xlsx": frozenset({"xlsx", "xlsm"}),
    ".xltx": frozenset({"xlsx", "xlsm"}),
    ".xlsm": frozenset({"xlsm", "xlsx"}),
    ".xltm": frozenset({"xlsm", "xlsx"}),
    ".xlsb": frozenset({"xlsb"}),
    ".xls": frozenset({"xls"}),
    ".xlt": frozenset({"xls"}),
    ".et": frozenset({"xls", "xlsx", "xlsm"}),  # WPS 表格
    ".ett": frozenset({"xls", "xlsx", "xlsm"}),
    ".ods": frozenset({"ods"}),
    ".ots": frozenset({"ods"}),
    ".csv": frozenset({"csv"}),
    ".tsv": frozenset({"csv"}),
    ".txt": frozenset({"csv"}),
    ".htm": frozenset({"html"}),
    ".html": frozenset({"html"}),
    ".mht": frozenset({"html"}),
    ".mhtml": frozenset({"html"}),
    ".xml": frozenset({"xml"}),
}


def relative_name(path: Path, root: Path) -> str:
    """``path`` as the user sees it in problem lists: '/'-separated, relative to ``root``."""
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        try:
            return Path(os.path.relpath(path, root)).as_posix()
        except ValueError:  # another drive on Windows
            return path.name


class Rejected(Exception):
    """A pre-scan found the file unsafe or broken; carries the problem(s) to report."""

    def __init__(self, *problems: Problem, fmt: str | None = None) -> None:
        super().__init__(problems[0].message if problems else "")
        self.problems = list(problems)
        self.fmt = fmt


@dataclass
class ReadContext:
    """One file being read: its name as reported, the limits, and the problems met so far."""

    rel: str
    limits: Limits
    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        code: str,
        message: str,
        fix: str = "",
        severity: Severity = Severity.ERROR,
        sheet: str = "",
        value: Any = "",
    ) -> Problem:
        p = problem(code, message, fix, severity=severity, file=self.rel, sheet=sheet, value=value)
        self.problems.append(p)
        return p

    def make(
        self, code: str, message: str, fix: str = "", severity: Severity = Severity.ERROR, sheet: str = ""
    ) -> Problem:
        return problem(code, message, fix, severity=severity, file=self.rel, sheet=sheet)


def short_error(exc: BaseException, limit: int = 200) -> str:
    """A parser's error on one line, short enough to quote in a problem's message."""
    text = str(exc).strip().replace("\n", " ") or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fmt_cells(n: int) -> str:
    if n >= 10**12:
        return "超过1万亿"
    if n >= 100_000_000:
        return f"{n / 100_000_000:.1f}亿"
    if n >= 10_000:
        return f"{n / 10_000:.0f}万"
    return str(n)


def sha256_file(path: Path) -> str:
    """Hex SHA-256 of a file's bytes, read in 1 MB blocks."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(MB), b""):
            digest.update(block)
    return digest.hexdigest()


def clean_rows(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """'' -> None, trailing empty rows/columns trimmed, rows padded to one width."""
    out = [[None if (c is None or (isinstance(c, str) and c == "")) else c for c in row] for row in rows]
    while out and all(c is None for c in out[-1]):
        out.pop()
    width = 0
    for row in out:
        for i in range(len(row) - 1, width - 1, -1):
            if row[i] is not None:
                width = i + 1
                break
    return [row[:width] + [None] * (width - len(row)) if len(row) != width else row for row in out]


def too_many_sheets(ctx: ReadContext, n: int) -> Rejected:
    """The rejection of a file with more than ``max_sheets`` sheets."""
    return Rejected(
        ctx.make(
            "too_many_sheets",
            f"文件中的工作表太多（{n} 个，上限 {ctx.limits.max_sheets} 个），为防止程序卡死已拒绝读取",
            SPLIT_FIX,
        )
    )


def sheet_too_large(
    ctx: ReadContext,
    sheet: str,
    rows: int,
    cols: int,
    declared: bool = False,
    whole_file: bool = False,
    cells: int | None = None,
) -> Problem:
    """The problem of a sheet over ``max_cells``: skipped alone, or (``whole_file``) the whole file
    not read, for the formats whose parser cannot skip one sheet; with ``cells``, a sheet whose
    large rectangle holds only that many cells (almost all of it empty)."""
    what = "声明的范围" if declared else "数据范围"
    skipped = "整个文件都没有读取（这种格式无法只跳过一个工作表）" if whole_file else "已跳过该工作表"
    size = f"{rows} 行 × {cols} 列 = {_fmt_cells(rows * cols)} 个单元格"
    if cells is not None:
        message = (
            f"工作表{what}很大（{size}），但只有约 {cells} 个单元格有内容，为防止程序卡死{skipped}。"
            "常见原因：表格很远处（如最后一列或最后一行）有零星内容"
        )
    else:
        message = (
            f"工作表{what}过大（{size}，上限 {_fmt_cells(ctx.limits.max_cells)} 个），为防止程序卡死{skipped}。"
            "常见原因：表格很远处（如最后一列或最后一行）有零星内容"
        )
    return ctx.make(
        "sheet_too_large",
        message,
        "请打开该工作表，按 Ctrl+End 找到最远的单元格，删除多余的行和列后保存，再放入输入文件夹",
        sheet=sheet,
    )
