"""Formatted tables for people, written with xlsxwriter: titled, frozen header, filter, widths
that fit Chinese text, dates and percentages formatted, IDs and phones as text, print setup.

Everything that came from input is written as text (never as a formula), so a cell such as
``=HYPERLINK(...)`` in a submission stays inert in our workbooks.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
import xlsxwriter
from xlsxwriter.utility import xl_rowcol_to_cell
from xlsxwriter.workbook import Workbook
from xlsxwriter.worksheet import Worksheet

from pipeline.fmt import excel_width

EXCEL_MAX_ROWS = 1_048_576
FIXED_TIME = dt.datetime(2020, 1, 1)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | int | number | money | date | percent | bool
    width: float | None = None


@dataclass(frozen=True)
class Rule:
    """A conditional colour.

    ``kind="rate"``: the column ``key`` (a ratio) is red below 100% and green from 100%.
    ``kind="row"``: the whole row is coloured ``colour`` where the column ``key`` reads ``value``.
    ``kind="cell"``: only the cell of column ``key`` is coloured ``colour`` where it reads ``value``.
    ``value`` is our own text (a label such as 是 or 未报), never input.
    """

    key: str
    kind: str = "rate"  # rate | row | cell
    value: str = ""
    colour: str = "red"  # red | green | amber


_SPECS: dict[str, dict[str, Any]] = {
    "title": {"bold": True, "font_size": 14, "font_name": "黑体"},
    "subtitle": {"italic": True, "font_color": "#555555"},
    "header": {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "align": "center"},
    "block_title": {"bold": True, "font_size": 11, "font_name": "黑体"},
    "text": {"border": 1, "num_format": "@"},
    "int": {"border": 1, "num_format": "0"},
    "number": {"border": 1, "num_format": "0.0"},
    "money": {"border": 1, "num_format": "#,##0.00"},
    "date": {"border": 1, "num_format": "yyyy-mm-dd"},
    "percent": {"border": 1, "num_format": "0.0%"},
    "bool": {"border": 1, "align": "center"},
    "total": {"bold": True, "border": 1, "bg_color": "#F2F2F2"},
    "red": {"bg_color": "#FFC7CE", "font_color": "#9C0006"},
    "green": {"bg_color": "#C6EFCE", "font_color": "#006100"},
    "amber": {"bg_color": "#FFEB9C", "font_color": "#9C5700"},
}
VALUE_KINDS = ("text", "int", "number", "money", "date", "percent", "bool")


@dataclass
class Formats:
    book: Workbook
    cache: dict[str, Any] = field(default_factory=dict)
    # Column widths set so far, by (sheet name, column): blocks written below a table only widen.
    widths: dict[tuple[str, int], float] = field(default_factory=dict)

    def get(self, name: str) -> Any:
        """A cell format by name; ``"total_<kind>"`` is the total-row style with that kind's
        number format (e.g. ``total_percent``)."""
        if name not in self.cache:
            base = {"font_name": "宋体", "font_size": 10, "valign": "vcenter"}
            if name.startswith("total_"):
                kind = name.removeprefix("total_")
                spec = {**_SPECS.get(kind, _SPECS["text"]), **_SPECS["total"]}
                self.cache[name] = self.book.add_format({**base, **spec})
                return self.cache[name]
            spec = _SPECS[name]
            self.cache[name] = self.book.add_format({**base, **spec})
        return self.cache[name]


def new_workbook(
    path: str, *, title: str, constant_memory: bool = False, in_memory: bool = False
) -> tuple[Workbook, Formats]:
    """``constant_memory``: rows are flushed as written (large tables, written row by row);
    ``in_memory``: no temporary files (small workbooks written by the thousand)."""
    book = xlsxwriter.Workbook(
        path,
        {"constant_memory": constant_memory, "in_memory": in_memory and not constant_memory,
         "strings_to_formulas": False, "strings_to_urls": False,
         "strings_to_numbers": False, "nan_inf_to_errors": True},
    )
    # Fixed properties so that the same input gives byte-identical workbooks.
    book.set_properties({"title": title, "author": "screening", "company": "", "created": FIXED_TIME})
    return book, Formats(book)


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def header_row_of(title: str, subtitle: str) -> int:
    """The 0-based row of a table's header: below the title and subtitle rows (when given)."""
    return (1 if title else 0) + (1 if subtitle else 0)


def write_table(
    book: Workbook,
    fmt: Formats,
    name: str,
    frame: pd.DataFrame,
    columns: Sequence[Column],
    *,
    title: str = "",
    subtitle: str = "",
    landscape: bool = True,
    rules: Sequence[Rule] = (),
    totals: Mapping[str, Any] | None = None,
) -> list[Worksheet]:
    """Write ``frame`` as a titled table; a frame over Excel's row limit continues on 续 sheets.

    ``rules`` are conditional colours (see :class:`Rule`); ``totals`` (column key -> value) is a
    bold total row written after the last data row (on the last sheet), outside the filter range.
    """
    header_row = header_row_of(title, subtitle)
    capacity = EXCEL_MAX_ROWS - header_row - 1 - (1 if totals is not None else 0)
    chunks = [frame.iloc[i : i + capacity] for i in range(0, max(len(frame), 1), capacity)]
    sheets = []
    for n, chunk in enumerate(chunks):
        sheet_name = name if n == 0 else f"{name}(续{n})"
        sheet = book.add_worksheet(sheet_name[:31])
        sheets.append(sheet)
        if title:
            sheet.write_string(0, 0, title, fmt.get("title"))
        if subtitle:
            sheet.write_string(1 if title else 0, 0, subtitle, fmt.get("subtitle"))
        widths = []
        series = []
        for c, col in enumerate(columns):
            sheet.write_string(header_row, c, col.header, fmt.get("header"))
            values = chunk[col.key] if col.key in chunk.columns else pd.Series([None] * len(chunk))
            widths.append(col.width or _fit(col, values))
            series.append(values)
        # Row by row, so that a workbook opened with constant_memory (rows flushed in order) works.
        _write_rows(sheet, fmt, header_row + 1, series, [col.kind for col in columns])
        last = header_row + max(len(chunk), 1)
        if totals is not None and n == len(chunks) - 1:
            _write_totals(sheet, fmt, last + 1 if len(chunk) else header_row + 1, columns, totals)
        for c, w in enumerate(widths):
            sheet.set_column(c, c, w)
            fmt.widths[(sheet.get_name(), c)] = w
        sheet.freeze_panes(header_row + 1, 0)
        if columns:
            sheet.autofilter(header_row, 0, last, len(columns) - 1)
        if len(chunk):
            apply_rules(sheet, fmt, columns, rules, header_row + 1, header_row + len(chunk))
        _print_setup(sheet, header_row, landscape)
    return sheets


def write_block(
    sheet: Worksheet,
    fmt: Formats,
    row: int,
    frame: pd.DataFrame,
    columns: Sequence[Column],
    *,
    title: str = "",
    note: str = "",
    rules: Sequence[Rule] = (),
    totals: Mapping[str, Any] | None = None,
) -> int:
    """Write a further small table into ``sheet`` from ``row`` (0-based): an optional bold title,
    an optional note, the header and the rows; no filter or freeze (those belong to the sheet's
    main table). Columns are only widened. Returns the first free row after a blank line."""
    if title:
        sheet.write_string(row, 0, title, fmt.get("block_title"))
        row += 1
    if note:
        sheet.write_string(row, 0, note, fmt.get("subtitle"))
        row += 1
    series = []
    for c, col in enumerate(columns):
        sheet.write_string(row, c, col.header, fmt.get("header"))
        values = frame[col.key] if col.key in frame.columns else pd.Series([None] * len(frame))
        series.append(values)
        width = col.width or _fit(col, values)
        key = (sheet.get_name(), c)
        if width > fmt.widths.get(key, 0):
            sheet.set_column(c, c, width)
            fmt.widths[key] = width
    _write_rows(sheet, fmt, row + 1, series, [col.kind for col in columns])
    end = row + len(frame)
    if len(frame):
        apply_rules(sheet, fmt, columns, rules, row + 1, end)
    if totals is not None:
        end += 1
        _write_totals(sheet, fmt, end, columns, totals)
    return end + 2


def apply_rules(
    sheet: Worksheet, fmt: Formats, columns: Sequence[Column], rules: Sequence[Rule], first: int, last: int
) -> None:
    """Conditional colours on data rows ``first``..``last`` (0-based, inclusive)."""
    index = {col.key: c for c, col in enumerate(columns)}
    width = len(columns)
    for rule in rules:
        if rule.key not in index or last < first:
            continue
        c = index[rule.key]
        top = xl_rowcol_to_cell(first, c, row_abs=False, col_abs=rule.kind == "row")
        if rule.kind == "rate":
            sheet.conditional_format(first, c, last, c, {
                "type": "formula", "criteria": f"=AND(ISNUMBER({top}),{top}<1)", "format": fmt.get("red")})
            sheet.conditional_format(first, c, last, c, {
                "type": "formula", "criteria": f"=AND(ISNUMBER({top}),{top}>=1)", "format": fmt.get("green")})
            continue
        literal = '"' + rule.value.replace('"', '""') + '"'
        criteria = f"={top}={literal}"
        if rule.kind == "row":
            sheet.conditional_format(first, 0, last, width - 1, {
                "type": "formula", "criteria": criteria, "format": fmt.get(rule.colour)})
        else:
            sheet.conditional_format(first, c, last, c, {
                "type": "formula", "criteria": criteria, "format": fmt.get(rule.colour)})


def _write_totals(
    sheet: Worksheet, fmt: Formats, row: int, columns: Sequence[Column], totals: Mapping[str, Any]
) -> None:
    for c, col in enumerate(columns):
        kind = col.kind if col.kind in VALUE_KINDS else "text"
        value = _cell(totals.get(col.key))
        style = fmt.get(f"total_{kind}")
        if value is None:
            sheet.write_blank(row, c, None, style)
        elif isinstance(value, bool):
            sheet.write_string(row, c, "是" if value else "否", style)
        elif isinstance(value, int | float) and kind not in ("text", "date", "bool"):
            sheet.write_number(row, c, float(value), style)
        else:
            sheet.write_string(row, c, str(value), fmt.get("total_text"))


def _fit(col: Column, values: pd.Series) -> float:
    head = excel_width(col.header) + 2
    if col.kind == "date":
        return max(head, 12)
    if col.kind in ("percent", "int", "number", "money", "bool"):
        return max(head, 9)
    longest = 0.0
    seen = 0
    for v in values.iloc[:2000].tolist():  # the first 500 filled cells
        if _cell(v) is None:
            continue
        text = str(v)[:80]  # widths stop at 60: a 10 MB cell need not be measured
        longest = max(longest, 1.1 * len(text) if text.isascii() else excel_width(text))
        seen += 1
        if seen >= 500:
            break
    return float(min(max(head, longest + 2, 6), 60))


_EXCEL_EPOCH = pd.Timestamp("1899-12-30")


def _column_cells(
    sheet: Worksheet, fmt: Formats, values: pd.Series, kind: str, style: Any
) -> tuple[list[Any], Any] | None:
    """A column converted in bulk for the common cases: (cell values with None for blank, the
    sheet method writing one of them), or None when the column needs cell-by-cell handling.
    Writes exactly what :func:`_write_value` would."""
    if kind in ("int", "number", "money", "percent") and pd.api.types.is_numeric_dtype(values.dtype):
        numbers = values.to_numpy(dtype=float, na_value=float("nan")).tolist()
        return [None if x != x else x for x in numbers], sheet.write_number
    if kind == "date" and pd.api.types.is_datetime64_any_dtype(values.dtype) and getattr(values.dt, "tz", None) is None:
        # Excel's serial day number, as write_datetime computes it for a date (from 1900-03-01).
        days = (values.dt.normalize() - _EXCEL_EPOCH).dt.days
        if len(days) and days.min() < 61:
            return None
        return [None if x != x else float(x) for x in days.to_numpy(dtype=float, na_value=float("nan")).tolist()], sheet.write_number
    if kind not in VALUE_KINDS or kind == "text":
        return [None if _cell(v) is None else str(v) for v in values.tolist()], sheet.write_string
    return None


def _write_rows(
    sheet: Worksheet, fmt: Formats, first_row: int, columns: Sequence[pd.Series], kinds: Sequence[str]
) -> None:
    """The cells of ``columns`` from ``first_row`` down, one row after another."""
    styles = [fmt.get(kind if kind in VALUE_KINDS else "text") for kind in kinds]
    plans = [_column_cells(sheet, fmt, values, kind, style) for values, kind, style in zip(columns, kinds, styles, strict=True)]
    lists = [plan[0] if plan is not None else values.tolist() for plan, values in zip(plans, columns, strict=True)]
    blank = sheet.write_blank
    n = len(lists[0]) if lists else 0
    for i in range(n):
        r = first_row + i
        for c, values in enumerate(lists):
            plan = plans[c]
            if plan is None:
                _write_value(sheet, fmt, r, c, values[i], kinds[c], styles[c])
                continue
            v = values[i]
            if v is None:
                blank(r, c, None, styles[c])
            else:
                plan[1](r, c, v, styles[c])


def _write_value(sheet: Worksheet, fmt: Formats, r: int, c: int, value: Any, kind: str, style: Any) -> None:
    v = _cell(value)
    if v is None:
        sheet.write_blank(r, c, None, style)
    elif kind == "date":
        if isinstance(v, pd.Timestamp | dt.datetime):
            v = v.date() if not isinstance(v, pd.Timestamp) else v.to_pydatetime().date()
        if isinstance(v, dt.date):
            sheet.write_datetime(r, c, dt.datetime(v.year, v.month, v.day), style)
        else:
            sheet.write_string(r, c, str(v), fmt.get("text"))
    elif kind in ("int", "number", "money", "percent"):
        try:
            sheet.write_number(r, c, float(v), style)
        except (TypeError, ValueError):
            sheet.write_string(r, c, str(v), fmt.get("text"))
    elif kind == "bool":
        sheet.write_string(r, c, "是" if bool(v) else "否", style)
    else:
        sheet.write_string(r, c, str(v), style)


def _print_setup(sheet: Worksheet, header_row: int, landscape: bool) -> None:
    if landscape:
        sheet.set_landscape()
    sheet.set_paper(9)  # A4
    sheet.fit_to_pages(1, 0)
    sheet.repeat_rows(header_row)
    sheet.set_footer("&C第 &P 页，共 &N 页")
    sheet.set_margins(left=0.5, right=0.5, top=0.6, bottom=0.6)


def write_key_values(
    book: Workbook, fmt: Formats, name: str, rows: Sequence[tuple[str, ...]], headers: Sequence[str], *, title: str
) -> Worksheet:
    frame = pd.DataFrame(list(rows), columns=[f"c{i}" for i in range(len(headers))])
    cols = [Column(f"c{i}", h) for i, h in enumerate(headers)]
    return write_table(book, fmt, name, frame, cols, title=title)[0]
