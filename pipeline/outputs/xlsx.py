"""Formatted tables for people, written with xlsxwriter: titled, frozen header, filter, widths
that fit Chinese text, dates and percentages formatted, IDs and phones as text, print setup.

Everything that came from input is written as text (never as a formula), so a cell such as
``=HYPERLINK(...)`` in a submission stays inert in our workbooks.
"""

from __future__ import annotations

import dataclasses
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
from pipeline.outputs import paper

EXCEL_MAX_ROWS = 1_048_576
FIXED_TIME = dt.datetime(2020, 1, 1)


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    kind: str = "text"  # text | int | number | money | date | percent | bool
    width: float | None = None
    wrap: bool = False  # prose (说明, 住址 ...): wraps, and narrows first when the table is too wide
    # A trailing column for the screen (全部位置: every location of a problem): outside the print
    # area, and left out when fitting the printed columns to the page.
    screen_only: bool = False


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
    "title_wrap": {"bold": True, "font_size": 14, "font_name": "黑体", "text_wrap": True, "valign": "top"},
    "subtitle_wrap": {"italic": True, "font_color": "#555555", "text_wrap": True, "valign": "top"},
    "header": {"bold": True, "bg_color": "#DDEBF7", "border": 1, "text_wrap": True, "align": "center"},
    "block_title": {"bold": True, "font_size": 11, "font_name": "黑体"},
    "card_title": {"bold": True, "font_size": 16, "font_name": "黑体", "align": "center", "valign": "vcenter",
                   "text_wrap": True},
    "section": {"bold": True, "font_size": 11, "font_name": "黑体", "valign": "bottom"},
    "para": {"text_wrap": True, "valign": "top"},
    "note": {"italic": True, "font_color": "#555555", "text_wrap": True, "valign": "top"},
    "text": {"border": 1, "num_format": "@"},
    "wrap": {"border": 1, "num_format": "@", "text_wrap": True},
    "int": {"border": 1, "num_format": "0"},
    "number": {"border": 1, "num_format": "0.0"},
    "money": {"border": 1, "num_format": "#,##0.00"},
    "yuan": {"border": 1, "num_format": "#,##0"},  # whole yuan, on the one-page sheets
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
    document: str = ""  # the workbook's title, in every page's footer
    layouts: dict[str, paper.PrintLayout] = field(default_factory=dict)  # each sheet's print set-up
    screen: frozenset[str] = frozenset()  # sheets for the screen: not printed by default

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
    path: str,
    *,
    title: str,
    constant_memory: bool = False,
    in_memory: bool = False,
    screen: Sequence[str] = (),
) -> tuple[Workbook, Formats]:
    """``constant_memory``: rows are flushed as written (large tables, written row by row);
    ``in_memory``: no temporary files (small workbooks written by the thousand); ``screen``: the
    sheets kept out of the default print (see :mod:`pipeline.outputs.paper`)."""
    book = xlsxwriter.Workbook(
        path,
        {"constant_memory": constant_memory, "in_memory": in_memory and not constant_memory,
         "strings_to_formulas": False, "strings_to_urls": False,
         "strings_to_numbers": False, "nan_inf_to_errors": True},
    )
    # Fixed properties so that the same input gives byte-identical workbooks.
    book.set_properties({"title": title, "author": "screening", "company": "", "created": FIXED_TIME})
    return book, Formats(book, document=title, screen=frozenset(screen))


def _cell(value: Any) -> Any:
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def header_row_of(title: str, subtitle: str) -> int:
    """The 0-based row of a table's header: below the title and subtitle rows (when given)."""
    return (1 if title else 0) + (1 if subtitle else 0)


def column_widths(
    columns: Sequence[Column], series: Sequence[pd.Series], print_rows: int | None = None
) -> tuple[list[float], list[bool]]:
    """Each column's width and whether it wraps: prose (long text) wraps, and prose narrows so that
    the table prints one page wide at 9 pt or more (:func:`pipeline.outputs.paper.fit_widths`,
    sharing the room by the first ``print_rows`` rows, the ones printed)."""
    natural = [col.width or _fit(col, values) for col, values in zip(columns, series, strict=True)]
    prose = [
        col.kind == "text" and (col.wrap or w > paper.PROSE_WIDTH)
        for col, w in zip(columns, natural, strict=True)
    ]
    natural = [min(w, paper.PROSE_WIDTH) if p and not col.width else w
               for col, w, p in zip(columns, natural, prose, strict=True)]
    k = printed_columns(columns)
    texts = [_sample_texts(values.iloc[:print_rows]) if p else [] for values, p in zip(series[:k], prose[:k], strict=True)]
    return [*paper.fit_widths(natural[:k], prose[:k], texts), *natural[k:]], prose


def _sample_texts(values: pd.Series, at_most: int = 400) -> list[str]:
    """The first ``at_most`` cells of a prose column as text (blank as "")."""
    return ["" if _cell(v) is None else str(v)[:400] for v in values.iloc[:at_most].tolist()]


def printed_columns(columns: Sequence[Column]) -> int:
    """How many of ``columns`` print: all but the trailing screen-only ones."""
    k = len(columns)
    while k > 1 and columns[k - 1].screen_only:
        k -= 1
    return k


def write_heading(sheet: Worksheet, fmt: Formats, row: int, text: str, style: str, last_col: int) -> float:
    """A title or explanation across columns 0..``last_col``, wrapped, its row as tall as it needs
    (returned, in points)."""
    width = sum(fmt.widths.get((sheet.get_name(), c), 8.43) for c in range(last_col + 1))
    font = float(_SPECS[style].get("font_size", paper.BODY_PT))
    height = paper.wrapped_height(text, width, font)
    sheet.set_row(row, height)
    cell = fmt.get(f"{style}_wrap")
    if last_col > 0:
        sheet.merge_range(row, 0, row, last_col, text, cell)
    else:
        sheet.write_string(row, 0, text, cell)
    return height


def write_table(
    book: Workbook,
    fmt: Formats,
    name: str,
    frame: pd.DataFrame,
    columns: Sequence[Column],
    *,
    title: str = "",
    subtitle: str = "",
    rules: Sequence[Rule] = (),
    totals: Mapping[str, Any] | None = None,
    printed: bool | None = None,
    print_rows: int | None = None,
) -> list[Worksheet]:
    """Write ``frame`` as a titled table; a frame over Excel's row limit continues on 续 sheets.

    ``rules`` are conditional colours (see :class:`Rule`); ``totals`` (column key -> value) is a
    bold total row written after the last data row (on the last sheet), outside the filter range.
    The print area is the title, explanation and table (``printed=False``: a sheet for the screen,
    see :mod:`pipeline.outputs.paper`; by default the workbook's ``screen`` sheets), with its header
    row repeated on every page; ``print_rows``: only the first rows print (the rest follow below
    the print area).
    """
    if printed is None:
        printed = name not in fmt.screen
    if printed and not len(frame):  # an empty list is not worth a sheet of paper
        printed = False
        subtitle += paper.EMPTY_NOTE if subtitle else ""
    elif not printed and subtitle:
        subtitle += paper.SCREEN_NOTE
    header_row = header_row_of(title, subtitle)
    capacity = EXCEL_MAX_ROWS - header_row - 1 - (1 if totals is not None else 0)
    chunks = [frame.iloc[i : i + capacity] for i in range(0, max(len(frame), 1), capacity)]
    sheets = []
    for n, chunk in enumerate(chunks):
        sheet_name = name if n == 0 else f"{name}(续{n})"
        sheet = book.add_worksheet(sheet_name[:31])
        sheets.append(sheet)
        series = [chunk[col.key] if col.key in chunk.columns else pd.Series([None] * len(chunk)) for col in columns]
        widths, prose = column_widths(columns, series, print_rows)
        for c, w in enumerate(widths):
            sheet.set_column(c, c, w)
            fmt.widths[(sheet.get_name(), c)] = w
        last_col = max(printed_columns(columns) - 1, 0) if columns else 0  # the headings span the printed columns
        # Rows in order (title, explanation, header, data): constant_memory flushes them as written.
        tops = [write_heading(sheet, fmt, 0, title, "title", last_col)] if title else []
        if subtitle:
            tops.append(write_heading(sheet, fmt, 1 if title else 0, subtitle, "subtitle", last_col))
        tops.append(_write_header(sheet, fmt, header_row, columns, widths))
        kinds = ["wrap" if p else col.kind for col, p in zip(columns, prose, strict=True)]
        heights = _write_rows(sheet, fmt, header_row + 1, series, kinds, widths)
        last = header_row + max(len(chunk), 1)
        if totals is not None and n == len(chunks) - 1:
            last = last + 1 if len(chunk) else header_row + 1
            _write_totals(sheet, fmt, last, columns, totals)
        sheet.freeze_panes(header_row + 1, 0)
        if columns:
            sheet.autofilter(header_row, 0, header_row + max(len(chunk), 1), len(columns) - 1)
        if len(chunk):
            apply_rules(sheet, fmt, columns, rules, header_row + 1, header_row + len(chunk))
        fmt.layouts[sheet.get_name()] = paper.PrintLayout(
            last_row=last if print_rows is None or n else header_row + max(print_rows, 1),
            last_col=last_col,
            landscape=True,
            repeat=(header_row, header_row),
            printed=printed,
            used_cols=len(columns),
        )
        set_print(sheet, fmt)
        if printed:
            rows = [heights.get(i, paper.DEFAULT_ROW_PT) for i in range(fmt.layouts[sheet.get_name()].last_row - header_row)]
            _balance_pages(sheet, fmt, tops, rows)
    return sheets


def _balance_pages(sheet: Worksheet, fmt: Formats, tops: Sequence[float], rows: Sequence[float]) -> None:
    """Page breaks that share a long table's rows evenly over its pages, so that no page holds a
    lone row (LibreOffice and WPS follow them; Excel's fit-to-width printing may not).
    ``tops``: the heights of the title rows and the header; ``rows``: of the printed rows below."""
    name = sheet.get_name()
    layout = fmt.layouts[name]
    widths = [fmt.widths.get((name, c), 8.43) for c in range(layout.last_col + 1)]
    capacity = paper.printable_height(layout.landscape) / paper.print_scale(widths, layout.landscape)
    starts = paper.balanced_breaks(sum(tops), tops[-1], rows, capacity)
    if starts:
        set_print(sheet, fmt, breaks=tuple(len(tops) + i for i in starts))


def _write_header(
    sheet: Worksheet, fmt: Formats, row: int, columns: Sequence[Column], widths: Sequence[float]
) -> float:
    """The header row, as tall as its longest wrapped header (returned, in points)."""
    height = paper.DEFAULT_ROW_PT
    if columns:
        height = max(paper.wrapped_height(col.header, w) for col, w in zip(columns, widths, strict=True))
        sheet.set_row(row, height)
    for c, col in enumerate(columns):
        sheet.write_string(row, c, col.header, fmt.get("header"))
    return height


def set_print(sheet: Worksheet, fmt: Formats, **changes: Any) -> None:
    """(Re)apply the sheet's print set-up with ``changes`` (fields of
    :class:`~pipeline.outputs.paper.PrintLayout`); the orientation follows the printed columns'
    widths unless the layout is ``fixed`` or ``landscape`` is given."""
    name = sheet.get_name()
    layout = dataclasses.replace(fmt.layouts[name], **changes)
    if not layout.fixed and "landscape" not in changes:
        widths = [fmt.widths.get((name, c), 8.43) for c in range(layout.last_col + 1)]
        layout = dataclasses.replace(layout, landscape=paper.is_landscape(widths))
    fmt.layouts[name] = layout
    paper.apply(sheet, layout, fmt.document)


def print_layout(sheet: Worksheet, fmt: Formats) -> paper.PrintLayout:
    return fmt.layouts[sheet.get_name()]


def block_header_row(row: int, title: str = "", note: str = "") -> int:
    """The 0-based header row of a block written from ``row`` (:func:`write_block`)."""
    return row + (1 if title else 0) + (1 if note else 0)


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
    main table). Columns are only widened (prose wraps). Returns the first free row after a
    blank line."""
    series = [frame[col.key] if col.key in frame.columns else pd.Series([None] * len(frame)) for col in columns]
    widths, prose = column_widths(columns, series)
    name = sheet.get_name()
    for c, width in enumerate(widths):
        if width > fmt.widths.get((name, c), 0):
            sheet.set_column(c, c, width)
            fmt.widths[(name, c)] = width
    if title:
        sheet.write_string(row, 0, title, fmt.get("block_title"))
        row += 1
    if note:
        write_heading(sheet, fmt, row, note, "subtitle", max(len(columns) - 1, 0))
        row += 1
    _write_header(sheet, fmt, row, columns, [fmt.widths[(name, c)] for c in range(len(columns))])
    _write_rows(sheet, fmt, row + 1, series, ["wrap" if p else col.kind for col, p in zip(columns, prose, strict=True)],
                [fmt.widths[(name, c)] for c in range(len(columns))])
    end = row + len(frame)
    if len(frame):
        apply_rules(sheet, fmt, columns, rules, row + 1, end)
    if totals is not None:
        end += 1
        _write_totals(sheet, fmt, end, columns, totals)
    if name in fmt.layouts:  # widened columns may change the orientation
        set_print(sheet, fmt)
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


def header_width(header: str) -> float:
    """The narrowest column a header reads well in: wrapped over two lines (three when long)."""
    width = excel_width(header)
    lines = 3 if width > 12 else 2 if width > 6 else 1
    return width / lines + 2


def _fit(col: Column, values: pd.Series) -> float:
    head = header_width(col.header)
    if col.kind == "date":
        return max(head, 10.5)
    # Wide enough for the longest figure in bold (a total): never "###" on paper.
    if col.kind == "money":
        return max(head, 10)
    if col.kind == "percent":
        return max(head, 8.5)
    if col.kind in ("int", "number", "bool"):
        return max(head, 7)
    longest = 0.0
    seen = 0
    for v in values.iloc[:2000].tolist():  # the first 500 filled cells
        if _cell(v) is None:
            continue
        text = str(v)[:80]  # widths stop at 60: a 10 MB cell need not be measured
        longest = max(longest, paper.text_units(text))
        seen += 1
        if seen >= 500:
            break
    # The text as 宋体 10 draws it and a little room: a column is no wider than it needs to be, so
    # that a table fits the page at a size people read.
    return float(min(max(head, math.ceil(longest + 1.5), 6), 60))


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


def _wrapped_heights(
    lists: Sequence[Sequence[Any]], kinds: Sequence[str], widths: Sequence[float]
) -> dict[int, float]:
    """The height (points) of each row whose wrapped cells need more than one line, by row index:
    a row is never left at one line's height with its text cut (Excel and LibreOffice do not
    re-measure rows on opening)."""
    heights: dict[int, float] = {}
    for values, kind, width in zip(lists, kinds, widths, strict=True):
        if kind != "wrap":
            continue
        short = (width - 1.0) / 2.0  # characters that surely fit on one line (CJK is 2 units)
        seen: dict[str, float] = {}  # by text: addresses and explanations repeat in long lists
        for i, v in enumerate(values):
            if v is None or (isinstance(v, str) and len(v) <= short and "\n" not in v):
                continue
            text = str(v)
            if text not in seen:
                seen[text] = paper.wrapped_height(text, width) if paper.text_lines(text, width) > 1 else 0.0
            if seen[text]:
                heights[i] = max(heights.get(i, 0.0), seen[text])
    return heights


def _write_rows(
    sheet: Worksheet,
    fmt: Formats,
    first_row: int,
    columns: Sequence[pd.Series],
    kinds: Sequence[str],
    widths: Sequence[float] | None = None,
) -> dict[int, float]:
    """The cells of ``columns`` from ``first_row`` down, one row after another; ``widths``: the
    columns' widths, so that rows with wrapped text get the height they need (returned: the
    heights set, by row index from ``first_row``)."""
    styles = [fmt.get(kind if kind in VALUE_KINDS or kind == "wrap" else "text") for kind in kinds]
    plans = [_column_cells(sheet, fmt, values, kind, style) for values, kind, style in zip(columns, kinds, styles, strict=True)]
    lists = [plan[0] if plan is not None else values.tolist() for plan, values in zip(plans, columns, strict=True)]
    heights = _wrapped_heights(lists, kinds, widths) if widths is not None else {}
    blank = sheet.write_blank
    n = len(lists[0]) if lists else 0
    for i in range(n):
        r = first_row + i
        if i in heights:  # before the row's cells: constant_memory writes rows in order
            sheet.set_row(r, heights[i])
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
    return heights


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


def write_key_values(
    book: Workbook, fmt: Formats, name: str, rows: Sequence[tuple[str, ...]], headers: Sequence[str], *, title: str
) -> Worksheet:
    frame = pd.DataFrame(list(rows), columns=[f"c{i}" for i in range(len(headers))])
    cols = [Column(f"c{i}", h) for i, h in enumerate(headers)]
    return write_table(book, fmt, name, frame, cols, title=title)[0]
