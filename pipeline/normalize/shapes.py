"""Sheets whose rows a plain reading would lose without a word, and what happens to those rows.

Every non-empty row of a sheet is either read or rejected with a reason, so that the accounting
shows it. Takes a :class:`RawSheet` and the :class:`Vocabulary`; gives:

- :func:`split_side_by_side`: a sheet holding two tables beside each other (a roster in A:E and
  another in G:K) as one sheet per table (the later ones named ``Sheet1（G:K列）``), so that the
  second table's rows are read, not ignored;
- :func:`unread_table`: for a sheet without a header in the first rows, a table it still holds
  (a header below the rows searched, or typed into one merged cell) whose rows are then counted
  and rejected with the reason and one problem for the sheet;
- :func:`formula_rows`: the rows whose cells hold formulas without a calculated value (the
  reader sees them empty): rejected, each with a problem saying how to fix it.

Pure: no files, no clock. Never decides a field's value.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from pipeline.model import RawSheet
from pipeline.normalize.header import HEADER_SCAN_ROWS, Header, Vocabulary, classify, find_header
from pipeline.problems import Problem, Severity, problem
from pipeline.text import clean

LATE_HEADER_ROWS = 5000  # a header further down than this is not looked for
FORMULA_FIX = (
    "请在Excel中打开并保存，使公式计算出结果（或把这些列复制后“选择性粘贴→数值”），再重新放入输入文件夹"
)


def column_letters(index: int) -> str:
    """0 -> A, 26 -> AA."""
    out = ""
    n = index + 1
    while n:
        n, r = divmod(n - 1, 26)
        out = chr(65 + r) + out
    return out


def _filled(value: Any) -> bool:
    return value is not None and str(value).strip() != ""


# ----------------------------------------------------------------------------------------------
# Two tables side by side


def _blocks(rows: list[list[Any]], header: Header) -> list[tuple[int, int]]:
    """Column ranges [start, end) of the runs of columns named in the header rows (the columns
    between two runs are empty in every header row)."""
    width = max(len(r) for r in rows)
    named = [any(_filled(rows[r][c]) for r in range(header.first_row, header.row + 1) if c < len(rows[r]))
             for c in range(width)]
    runs: list[tuple[int, int]] = []
    for c in range(width):
        if named[c] and (c == 0 or not named[c - 1]):
            runs.append((c, c + 1))
        elif named[c]:
            runs[-1] = (runs[-1][0], c + 1)
    return runs


def _gaps_are_empty(rows: list[list[Any]], header: Header, blocks: list[tuple[int, int]]) -> bool:
    """Whether the columns between the tables are empty below the header too: a column without a
    header inside one table (its cells filled) does not make two tables of it."""
    gaps = [c for (_s, end), (start, _e) in zip(blocks, blocks[1:], strict=False) for c in range(end, start)]
    return not any(_filled(row[c]) for row in rows[header.row + 1 :] for c in gaps if c < len(row))


def _block_kind(rows: list[list[Any]], header: Header, start: int, end: int, vocab: Vocabulary) -> str:
    fields: set[str] = set()
    for r in range(header.first_row, header.row + 1):
        for v in rows[r][start:end]:
            if isinstance(v, str):
                fields |= vocab.fields(v)
    return classify(fields)


def split_side_by_side(sheet: RawSheet, vocab: Vocabulary) -> tuple[list[RawSheet], list[Problem]]:
    """The sheet as one sheet per table when its header row holds two or more tables of a known
    kind side by side (separated by an empty column); else the sheet itself."""
    rows = sheet.rows
    header = find_header(rows, vocab) if rows else None
    if header is None or header.kind == "unknown":
        return [sheet], []
    blocks = [b for b in _blocks(rows, header) if _block_kind(rows, header, *b, vocab) != "unknown"]
    if len(blocks) < 2 or not _gaps_are_empty(rows, header, blocks):
        return [sheet], []
    # Each table from its first header column to the next table's (columns left of the first table,
    # e.g. a serial number without a header, stay with it).
    edges = [0, *(start for start, _end in blocks[1:]), max(len(r) for r in rows)]
    parts = [
        _columns(sheet, edges[i], edges[i + 1], header.first_row, first=i == 0) for i in range(len(edges) - 1)
    ]
    ranges = "、".join(f"{column_letters(a)}:{column_letters(b - 1)}列" for a, b in zip(edges, edges[1:], strict=False))
    note = problem(
        "tables_side_by_side",
        f"同一工作表中左右并排有 {len(parts)} 个表（{ranges}），已分别读取",
        "一般无需处理；建议每个表放在单独的工作表中",
        file=sheet.file,
        sheet=sheet.sheet,
    )
    return parts, [note]


def _columns(sheet: RawSheet, start: int, end: int, titles: int, *, first: bool) -> RawSheet:
    """Columns [start, end) of a sheet as a sheet of their own. The title rows above the header
    keep all their text (a title naming the community applies to every table), moved into the
    part's first columns; formula cells move with their column."""
    width = end - start
    rows: list[list[Any]] = []
    for r, row in enumerate(sheet.rows):
        if r < titles:
            texts = [v for v in row if _filled(v)]
            if len(texts) > width:
                texts = [" ".join(str(v) for v in texts)]
            rows.append(texts + [None] * (width - len(texts)))
        else:
            part = row[start:end]
            rows.append(part + [None] * (width - len(part)))
    name = sheet.sheet if first else f"{sheet.sheet}（{column_letters(start)}:{column_letters(end - 1)}列）"
    uncached = [(r, c - start) for r, c in sheet.uncached if start <= c < end]
    return replace(sheet, sheet=name, rows=rows, uncached=uncached)


# ----------------------------------------------------------------------------------------------
# A table whose header is out of reach


@dataclass(frozen=True)
class Unread:
    """A table found in a sheet of unknown kind: the rows below ``header_row`` (0-based) are
    counted and rejected with ``reason``; ``problem`` is the sheet's one problem."""

    header_row: int
    reason: str
    problem: Problem


_ONE_CELL_SPLIT = re.compile(r"[\s,，、;；|/\\]+")


def _one_cell_header(rows: list[list[Any]], vocab: Vocabulary) -> int | None:
    """A row of the scan window whose only filled cell names two or more fields (a header typed
    into one merged cell) above rows of several filled cells."""
    for r in range(min(len(rows), HEADER_SCAN_ROWS)):
        filled = [v for v in rows[r] if _filled(v)]
        if len(filled) != 1 or not isinstance(filled[0], str):
            continue
        fields: set[str] = set()
        for word in _ONE_CELL_SPLIT.split(clean(filled[0])):
            fields |= vocab.fields(word)
        below = rows[r + 1] if r + 1 < len(rows) else []
        if len(fields) >= 2 and sum(_filled(v) for v in below) >= 2:
            return r
    return None


def unread_table(sheet: RawSheet, vocab: Vocabulary) -> Unread | None:
    """A table in a sheet no header was found for in the first :data:`HEADER_SCAN_ROWS` rows."""
    rows = sheet.rows
    one_cell = _one_cell_header(rows, vocab)
    if one_cell is not None:
        text = clean(next(v for v in rows[one_cell] if _filled(v)))[:40]
        return Unread(
            one_cell,
            "表头写在一个单元格里，无法分列，本表未读取",
            problem(
                "header_in_one_cell",
                f"第{one_cell + 1}行的表头写在一个（合并的）单元格里（“{text}”），无法知道每一列是什么，"
                "本表的数据行没有读取",
                "请把表头拆开：每一列一个列名（取消合并单元格后分别填写 姓名、身份证号 等），再重新放入输入文件夹",
                file=sheet.file,
                sheet=sheet.sheet,
                row=one_cell + 1,
            ),
        )
    late = find_header(rows, vocab, start=HEADER_SCAN_ROWS, stop=LATE_HEADER_ROWS)
    if late is None or late.kind == "unknown":
        return None
    return Unread(
        late.row,
        f"表头在第{late.row + 1}行，超出了表头查找范围（前{HEADER_SCAN_ROWS}行），本表未读取",
        problem(
            "header_too_low",
            f"表头在第{late.row + 1}行，超出了表头查找范围（前{HEADER_SCAN_ROWS}行），本表的数据行没有读取",
            f"请删除表头上方多余的行，使表头在前{HEADER_SCAN_ROWS}行以内（或把表格复制到新的工作表），再重新放入输入文件夹",
            file=sheet.file,
            sheet=sheet.sheet,
            row=late.row + 1,
        ),
    )


def unread_rows(sheet: RawSheet, unread: Unread) -> list[int]:
    """The Excel row numbers of the non-empty rows below an unread table's header."""
    return [r + 1 for r in range(unread.header_row + 1, len(sheet.rows)) if any(_filled(v) for v in sheet.rows[r])]


# ----------------------------------------------------------------------------------------------
# Formulas without a value


@dataclass(frozen=True)
class FormulaRows:
    """Rows to reject for their formulas: Excel row number -> the labels of those columns."""

    columns: dict[int, list[str]]

    def frame(self, sheet: RawSheet) -> pd.DataFrame:
        """The rejected rows (``quiet``: each has its own problem, not a row_skipped note)."""
        return pd.DataFrame(
            {
                "src_file": sheet.file,
                "src_sheet": sheet.sheet,
                "src_row": pd.Series(sorted(self.columns), dtype="int64"),
                "reason": [f"公式没有计算结果（{'、'.join(self.columns[r])}），本行未读取" for r in sorted(self.columns)],
                "quiet": True,
            }
        )

    def problems(self, sheet: RawSheet) -> list[Problem]:
        return [
            problem(
                "formula_uncached",
                "该行的公式没有计算结果（文件里只有公式、没有值，常见于由程序生成的表格），读不到内容，本行未读取",
                FORMULA_FIX,
                file=sheet.file,
                sheet=sheet.sheet,
                row=row,
                column="、".join(labels),
            )
            for row, labels in sorted(self.columns.items())
        ]


def formula_rows(
    sheet: RawSheet, data_from: int, labels: Sequence[str], mapped: set[int], filled_rows: set[int]
) -> FormulaRows:
    """The rows from ``data_from`` (0-based) whose uncached formulas hide content: a formula in a
    column that is read (``mapped``), or a row with nothing but formulas (not in ``filled_rows``,
    0-based). ``labels``: each column's header as the user sees it."""
    by_row: dict[int, list[int]] = {}
    for r, c in sheet.uncached:
        if r >= data_from:
            by_row.setdefault(r, []).append(c)
    columns: dict[int, list[str]] = {}
    for r, cols in by_row.items():
        if r not in filled_rows or any(c in mapped for c in cols):
            columns[r + 1] = [labels[c] if c < len(labels) and labels[c] else f"{column_letters(c)}列" for c in sorted(cols)]
    return FormulaRows(columns)


def formula_sheet_rows(sheet: RawSheet) -> FormulaRows:
    """A sheet no table was found in whose formula cells have no value: every row holding one."""
    columns: dict[int, list[str]] = {}
    for r, c in sorted(sheet.uncached):
        columns.setdefault(r + 1, []).append(f"{column_letters(c)}列")
    return FormulaRows(columns)


def hidden_note(sheet: RawSheet, rows: int) -> Problem:
    return problem(
        "hidden_sheet",
        f"这是一个隐藏的工作表，其中的 {rows} 行已经读取并计入",
        "请确认隐藏表中的数据确实需要统计；不需要的请删除该工作表后重新报送",
        severity=Severity.NOTE,
        file=sheet.file,
        sheet=sheet.sheet,
    )
