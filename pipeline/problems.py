"""Problems are data: each one names where it is (file, sheet, row, column), the value, what is
wrong and how to fix it, in Chinese. Stages collect them and return them; nothing is thrown."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any, Literal

import pandas as pd

Severity = Literal["错误", "警告", "提示"]
SEVERITY_ORDER: dict[str, int] = {"错误": 0, "警告": 1, "提示": 2}

PROBLEM_COLUMNS = ["file", "sheet", "row", "column", "value", "severity", "code", "message", "fix"]
PROBLEM_HEADERS = {
    "file": "文件",
    "sheet": "工作表",
    "row": "行号",
    "column": "列",
    "value": "内容",
    "severity": "严重程度",
    "code": "问题代码",
    "message": "问题",
    "fix": "如何改正",
}


DISPLAY_MAX_CHARS = 200


def shorten(text: str) -> str:
    """A value as shown in a problem: a very long text is cut (a 10 MB cell must not be printed in
    full or copied into every list), never leaving part of a number behind (no partial ID)."""
    if len(text) <= DISPLAY_MAX_CHARS:
        return text
    head = text[:DISPLAY_MAX_CHARS].rstrip("0123456789Xx")
    return f"{head}…（共 {len(text)} 个字符）"


@dataclass(frozen=True)
class Problem:
    """One data problem. ``row`` is the row number as the user sees it in Excel (1-based)."""

    file: str
    sheet: str
    row: int | None
    column: str
    value: str
    severity: Severity
    code: str
    message: str
    fix: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def problem(
    code: str,
    message: str,
    fix: str = "",
    *,
    severity: Severity = "错误",
    file: str = "",
    sheet: str = "",
    row: int | None = None,
    column: str = "",
    value: Any = "",
) -> Problem:
    return Problem(
        file=file,
        sheet=sheet,
        row=row,
        column=column,
        value="" if value is None else shorten(str(value)),
        severity=severity,
        code=code,
        message=message,
        fix=fix,
    )


def problems_frame(problems: list[Problem] | pd.DataFrame) -> pd.DataFrame:
    """Problems as a frame with the standard columns, sorted by severity, file, sheet, row."""
    if isinstance(problems, pd.DataFrame):
        frame = problems.reindex(columns=PROBLEM_COLUMNS)
    else:
        frame = pd.DataFrame([p.as_dict() for p in problems], columns=PROBLEM_COLUMNS)
    if frame.empty:
        return frame
    order = frame["severity"].map(SEVERITY_ORDER).fillna(9)
    frame = frame.assign(_order=order, _row=pd.to_numeric(frame["row"], errors="coerce").fillna(-1))
    frame = frame.sort_values(["_order", "file", "sheet", "_row"], kind="stable")
    return frame.drop(columns=["_order", "_row"]).reset_index(drop=True)
