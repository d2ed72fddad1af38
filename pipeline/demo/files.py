"""Sheets as data, then written: the demo's file model and its writers.

Takes a ``FileSpec`` (a file as data: its sheets, each with titles, header rows, body rows, footer,
merges, column widths and text columns) and writes it as xlsx (xlsxwriter, fixed document
properties), CSV (GBK or UTF-8 with BOM), an HTML table saved as .xls (GB18030) or raw bytes.
Knows nothing of women or screenings, uses no randomness and no clock: the same spec always gives
the same bytes. ``bench/corpus.py`` builds its own specs with these writers.
"""

from __future__ import annotations

import csv
import datetime as dt
import html
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

Value = str | int | float | dt.date | None


@dataclass
class Sheet:
    name: str
    header: Sequence[Sequence[str | None]]
    rows: list[list[Value] | None]  # None: a blank row
    titles: list[str] = field(default_factory=list)
    merges: list[tuple[int, int, int, int]] = field(default_factory=list)  # within the header rows
    footer: list[list[Value]] = field(default_factory=list)
    text_cols: frozenset[int] = frozenset()
    date_format: str = "yyyy-mm-dd"
    widths: dict[int, float] = field(default_factory=dict)
    lines: list[str] = field(default_factory=list)  # a sheet of plain text (instructions)
    body_merges: list[tuple[int, int, int, int, Value]] = field(default_factory=list)

    @property
    def ncols(self) -> int:
        return max((len(r) for r in self.header), default=1)

    @property
    def data_rows(self) -> int:
        return sum(1 for r in self.rows if r is not None)


@dataclass
class FileSpec:
    name: str
    kind: str  # roster | nt_log | serum_log | his | quota | register | junk | readme
    sheets: list[Sheet] = field(default_factory=list)
    fmt: str = "xlsx"  # xlsx | csv-gbk | csv-utf8 | html | bytes | text
    text_date_style: int = 1
    raw: bytes = b""
    notes: str = ""

    @property
    def data_rows(self) -> int:
        return sum(s.data_rows for s in self.sheets)


def date_text(d: dt.date, style: int) -> str:
    """A date typed as text, in one of five styles people use (0: 2020-05-08 … 4: 20200508)."""
    if style == 0:
        return f"{d:%Y-%m-%d}"
    if style == 1:
        return f"{d.year}/{d.month}/{d.day}"
    if style == 2:
        return f"{d.year}.{d.month}.{d.day}"
    if style == 3:
        return f"{d.year}年{d.month}月{d.day}日"
    return f"{d:%Y%m%d}"


def write_file(path: Path, spec: FileSpec) -> None:
    """Write ``spec`` at ``path`` in its format."""
    if spec.fmt == "xlsx":
        write_xlsx(path, spec)
    elif spec.fmt in ("csv-gbk", "csv-utf8"):
        write_csv(path, spec)
    elif spec.fmt == "html":
        write_html(path, spec)
    else:
        path.write_bytes(spec.raw)


# ---------------------------------------------------------------------------------------------
# xlsx. The order of the xlsxwriter calls is part of the bytes (format indices, shared strings):
# formats are added in a fixed order, date formats when a sheet first needs them.

#: Fixed document properties: the same seed gives byte-identical workbooks.
CREATED = dt.datetime(2020, 1, 1, 8, 0, 0)


@dataclass
class _Formats:
    title: Format
    sub: Format
    head: Format
    text: Format
    cell: Format
    dates: dict[str, Format] = field(default_factory=dict)


def _add_formats(wb: xlsxwriter.Workbook) -> _Formats:
    return _Formats(
        title=wb.add_format({"bold": True, "font_size": 14, "align": "center", "valign": "vcenter"}),
        sub=wb.add_format({"align": "left", "valign": "vcenter"}),
        head=wb.add_format(
            {
                "bold": True,
                "border": 1,
                "align": "center",
                "valign": "vcenter",
                "text_wrap": True,
                "bg_color": "#EDEDED",
            }
        ),
        text=wb.add_format({"num_format": "@", "border": 1}),
        cell=wb.add_format({"border": 1}),
    )


def _date_format(wb: xlsxwriter.Workbook, fmts: _Formats, num_format: str) -> Format:
    if num_format not in fmts.dates:
        fmts.dates[num_format] = wb.add_format({"num_format": num_format, "border": 1})
    return fmts.dates[num_format]


def write_xlsx(path: Path, spec: FileSpec) -> None:
    wb = xlsxwriter.Workbook(str(path), {"in_memory": True})
    wb.set_properties({"created": CREATED, "author": "", "company": ""})
    fmts = _add_formats(wb)
    for sheet in spec.sheets:
        ws = wb.add_worksheet(sheet.name)
        if sheet.lines:
            _write_lines(ws, sheet, fmts)
        else:
            _write_table(ws, sheet, fmts, _date_format(wb, fmts, sheet.date_format))
    wb.close()


def _write_lines(ws: Worksheet, sheet: Sheet, fmts: _Formats) -> None:
    """A sheet of plain text: the first line as a title."""
    ws.set_column(0, 0, 90)
    for r, line in enumerate(sheet.lines):
        ws.write_string(r, 0, line, fmts.title if r == 0 else fmts.sub)


def _write_table(ws: Worksheet, sheet: Sheet, fmts: _Formats, date_fmt: Format) -> None:
    for c in range(sheet.ncols):
        ws.set_column(c, c, sheet.widths.get(c, 12))
    top = _write_titles(ws, sheet, fmts)
    _write_header(ws, sheet, fmts, top)
    body = top + len(sheet.header)
    ws.freeze_panes(body, 0)
    _write_body(ws, sheet, fmts, date_fmt, body)
    for r1, c1, r2, c2, value in sheet.body_merges:
        ws.merge_range(body + r1, c1, body + r2, c2, "" if value is None else str(value), fmts.sub)


def _write_titles(ws: Worksheet, sheet: Sheet, fmts: _Formats) -> int:
    """The title rows, merged across the table; returns the first row after them."""
    ncols = sheet.ncols
    for r, title in enumerate(sheet.titles):
        fmt = fmts.title if r == 0 else fmts.sub
        if ncols > 1:
            ws.merge_range(r, 0, r, ncols - 1, title, fmt)
        else:
            ws.write_string(r, 0, title, fmt)
    return len(sheet.titles)


def _write_header(ws: Worksheet, sheet: Sheet, fmts: _Formats, top: int) -> None:
    merged: set[tuple[int, int]] = set()
    for r1, c1, r2, c2 in sheet.merges:
        text = sheet.header[r1][c1] or ""
        ws.merge_range(top + r1, c1, top + r2, c2, text, fmts.head)
        merged.update((rr, cc) for rr in range(r1, r2 + 1) for cc in range(c1, c2 + 1))
    for hr, header in enumerate(sheet.header):
        for c, label in enumerate(header):
            if (hr, c) not in merged:
                ws.write_string(top + hr, c, label or "", fmts.head)


def _write_body(ws: Worksheet, sheet: Sheet, fmts: _Formats, date_fmt: Format, first: int) -> None:
    """Body and footer rows from row ``first``; a None row stays blank, empty cells are not written."""
    for r, row in enumerate([*sheet.rows, *sheet.footer], start=first):
        for c, value in enumerate(row or []):
            if value is not None and value != "":
                _write_cell(ws, r, c, value, sheet, fmts, date_fmt)


def _write_cell(
    ws: Worksheet,
    r: int,
    c: int,
    value: str | int | float | dt.date,
    sheet: Sheet,
    fmts: _Formats,
    date_fmt: Format,
) -> None:
    if isinstance(value, dt.date):
        ws.write_datetime(r, c, dt.datetime(value.year, value.month, value.day), date_fmt)
    elif isinstance(value, bool):
        ws.write_string(r, c, str(value), fmts.cell)
    elif isinstance(value, int | float):
        ws.write_number(r, c, value, fmts.cell)
    elif c in sheet.text_cols:
        ws.write_string(r, c, value, fmts.text)
    else:
        ws.write_string(r, c, value, fmts.cell)


# ---------------------------------------------------------------------------------------------
# Text formats.


def _plain(value: Value, style: int) -> str:
    if value is None:
        return ""
    if isinstance(value, dt.date):
        return date_text(value, style)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def write_csv(path: Path, spec: FileSpec) -> None:
    """The first sheet as CSV: titles padded to the table's width, blank rows as empty cells."""
    sheet = spec.sheets[0]
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    width = sheet.ncols
    for title in sheet.titles:
        writer.writerow([title] + [""] * (width - 1))
    for header in sheet.header:
        writer.writerow([h or "" for h in header])
    for row in [*sheet.rows, *sheet.footer]:
        writer.writerow([""] * width if row is None else [_plain(v, spec.text_date_style) for v in row])
    encoding = "gbk" if spec.fmt == "csv-gbk" else "utf-8-sig"
    path.write_bytes(buf.getvalue().encode(encoding))


TEXT_TD = "<td style=\"mso-number-format:'\\@'\">"  # Excel keeps the cell as text (IDs, phones)


def write_html(path: Path, spec: FileSpec) -> None:
    """The first sheet as the HTML table a hospital system exports under an .xls name (GB18030)."""
    sheet = spec.sheets[0]
    out = ['<html xmlns:x="urn:schemas-microsoft-com:office:excel">', "<head>"]
    out.append('<meta http-equiv="Content-Type" content="text/html; charset=gb2312">')
    out.append('<meta charset="gb2312">')
    out.append("<title>查询结果导出</title></head>")
    out.append("<body>")
    out.append('<table border="1" cellspacing="0">')
    for header in sheet.header:
        out.append("<tr>" + "".join(f"<th>{html.escape(h or '')}</th>" for h in header) + "</tr>")
    for row in sheet.rows:
        if row is None:
            continue
        cells = "".join(
            (TEXT_TD if c in sheet.text_cols else "<td>") + html.escape(_plain(v, 0)) + "</td>"
            for c, v in enumerate(row)
        )
        out.append(f"<tr>{cells}</tr>")
    out.append("</table>")
    out.append("</body></html>")
    path.write_bytes("\r\n".join(out).encode("gb18030"))
