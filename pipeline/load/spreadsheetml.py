"""Excel 2003 XML spreadsheets (SpreadsheetML: ``.xml``, often renamed ``.xls`` by government
systems that export them) -> one grid per worksheet.

Takes a file sniffed as SpreadsheetML and its :class:`ReadContext`; parses it with the standard
library's expat parser with every document type declaration refused (SpreadsheetML never has one),
so neither entity expansion ("billion laughs") nor external entities can work; nothing a file
refers to is fetched. Places each ``<Cell>`` by its ``ss:Index`` (and its row's), the way Excel
does, and refuses a worksheet whose extent exceeds ``max_cells`` before any grid is built. Gives
one :class:`RawSheet` per worksheet (hidden ones flagged). Raises :class:`Rejected` for a file
that is not well-formed XML or declares a DTD.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any
from xml.parsers import expat

from pipeline.load.common import (
    UNREADABLE_FIX,
    ReadContext,
    Rejected,
    clean_rows,
    sheet_too_large,
    short_error,
    too_many_sheets,
)
from pipeline.model import RawSheet

_SS = "urn:schemas-microsoft-com:office:spreadsheet"
_SEP = "\x1f"  # between a namespace and a local name in expat's element names


class _Refused(Exception):
    """A DTD, entity or external reference: never processed."""


def _local(name: str) -> str:
    """An element's name without its namespace (some exporters leave the namespace out)."""
    return name.rpartition(_SEP)[2]


def _attr(attrs: dict[str, str], name: str) -> str | None:
    return attrs.get(f"{_SS}{_SEP}{name}") or attrs.get(name)


def _index(text: str | None) -> int | None:
    """A 1-based ``ss:Index``, or None when absent or not a positive whole number."""
    if text is None or not text.strip().isdigit():
        return None
    value = int(text.strip()[:15])  # a bound, not the exact value, for absurdly long numbers
    return value if value > 0 else None


class _Sheet:
    """One worksheet being collected: its values by (row, column), both 0-based."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.cells: dict[tuple[int, int], Any] = {}
        self.hidden = False
        self.row = -1
        self.col = -1
        self.max_row = -1
        self.max_col = -1
        self.current = (0, 0)

    def start_row(self, index: int | None) -> None:
        self.row = index - 1 if index is not None else self.row + 1
        self.col = -1

    def start_cell(self, index: int | None, across: int) -> None:
        if self.row < 0:
            self.row = 0
        self.col = index - 1 if index is not None else self.col + 1
        position = (self.row, self.col)
        self.col += across  # a merged cell covers the next ``across`` columns
        self.current = position

    def put(self, value: Any) -> None:
        if value is None or value == "":
            return
        row, col = self.current
        self.cells[(row, col)] = value
        self.max_row = max(self.max_row, row)
        self.max_col = max(self.max_col, col)

    @property
    def extent(self) -> tuple[int, int]:
        return self.max_row + 1, self.max_col + 1

    def grid(self) -> list[list[Any]]:
        rows_n, cols_n = self.extent
        rows: list[list[Any]] = [[None] * cols_n for _ in range(rows_n)]
        for (r, c), v in self.cells.items():
            rows[r][c] = v
        return rows


def _value(kind: str, text: str) -> Any:
    """A cell's text as Excel typed it: numbers, dates, booleans; text as it is."""
    if kind == "Number":
        try:
            return float(text)
        except ValueError:
            return text
    if kind == "DateTime":
        try:
            return dt.datetime.fromisoformat(text.strip()[:19])
        except ValueError:
            return text
    if kind == "Boolean":
        return text.strip() in ("1", "true", "TRUE")
    return text


class _Reader:
    """The expat handlers: worksheets, rows, cells, the text of a cell's ``<Data>``."""

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.sheets: list[_Sheet] = []
        self.sheet: _Sheet | None = None
        self.data: list[str] | None = None
        self.data_type = "String"
        self.in_visible = False
        self.visible_text: list[str] = []
        self.in_comment = 0  # a cell's <Comment> has a <Data> of its own: not the cell's value

    def start(self, name: str, attrs: dict[str, str]) -> None:
        local = _local(name)
        if local == "Worksheet":
            self.sheet = _Sheet(_attr(attrs, "Name") or f"Sheet{len(self.sheets) + 1}")
            self.sheets.append(self.sheet)
            if len(self.sheets) > self.ctx.limits.max_sheets:
                raise too_many_sheets(self.ctx, len(self.sheets))
        elif self.sheet is None:
            return
        elif local == "Row":
            self.sheet.start_row(_index(_attr(attrs, "Index")))
        elif local == "Cell":
            across = _index(_attr(attrs, "MergeAcross")) or 0
            self.sheet.start_cell(_index(_attr(attrs, "Index")), across)
        elif local == "Comment":
            self.in_comment += 1
        elif local == "Data" and self.data is None and not self.in_comment:
            self.data = []
            self.data_type = _attr(attrs, "Type") or "String"
        elif local == "Visible":
            self.in_visible, self.visible_text = True, []

    def end(self, name: str) -> None:
        if self.sheet is None:
            return
        local = _local(name)
        if local == "Data" and self.data is not None:
            self.sheet.put(_value(self.data_type, "".join(self.data)))
            self.data = None
        elif local == "Comment":
            self.in_comment -= 1
        elif local == "Visible":
            self.in_visible = False
            self.sheet.hidden = "".join(self.visible_text).strip() in ("SheetHidden", "SheetVeryHidden")
        elif local == "Worksheet":
            self.sheet = None

    def text(self, data: str) -> None:
        if self.data is not None:
            self.data.append(data)  # rich text (<Font>, <B> inside <Data>) joins into one value
        elif self.in_visible:
            self.visible_text.append(data)


def _refuse(*_args: Any) -> None:
    raise _Refused


def _refuse_external(*_args: Any) -> int:
    raise _Refused


def _parser(reader: _Reader) -> Any:
    parser = expat.ParserCreate(namespace_separator=_SEP)
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    # SpreadsheetML has no document type: any declaration, entity or external reference is refused
    # as soon as the parser meets it, before it is expanded or fetched.
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse_external
    parser.StartElementHandler = reader.start
    parser.EndElementHandler = reader.end
    parser.CharacterDataHandler = reader.text
    parser.buffer_text = True
    return parser


def read_spreadsheetml(path: Path, ctx: ReadContext) -> list[RawSheet]:
    """Every worksheet of an Excel 2003 XML file as an exact grid; oversized ones become problems."""
    reader = _Reader(ctx)
    try:
        with open(path, "rb") as fh:
            _parser(reader).ParseFile(fh)
    except _Refused:
        raise Rejected(
            ctx.make(
                "unreadable",
                "文件无法读取：Excel 2003 XML表格中含有文档类型声明（DOCTYPE/实体），正常导出的表格不会有，"
                "为安全起见没有读取",
                UNREADABLE_FIX,
            )
        ) from None
    except expat.ExpatError as exc:
        raise Rejected(
            ctx.make(
                "unreadable",
                f"文件无法读取：Excel 2003 XML表格内容不完整或已损坏（{short_error(exc)}）",
                UNREADABLE_FIX,
            )
        ) from None
    sheets: list[RawSheet] = []
    for sheet in reader.sheets:
        rows_n, cols_n = sheet.extent
        if rows_n * cols_n > ctx.limits.max_cells:
            ctx.problems.append(sheet_too_large(ctx, sheet.name, rows_n, cols_n))
            continue
        sheets.append(RawSheet(ctx.rel, sheet.name, clean_rows(sheet.grid()), sheet.hidden))
    return sheets
