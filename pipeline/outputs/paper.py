"""How a sheet prints: A4, portrait or landscape by the table's width, one page wide, the table's
header row repeated, a footer naming the workbook, the sheet and the page, and text that is
never cut (long text wraps; a wrapped title or explanation gets the height it needs). Long
texts share the page's width so that rows wrap the least (:func:`fit_widths`), and a table whose
last page would hold a lone row gets page breaks that share its rows (:func:`balanced_breaks`).

Every print decision of the workbooks is made here, on column widths in Excel's units and on
texts, so that another writer (issue #14) can call the same functions. The geometry is Excel's:
a column of width ``w`` is ``int(7w + 0.5) + 5`` pixels of 0.75 pt (Calibri 11, the workbook's
default font); the body font is 宋体 10 pt, so a sheet printed at 90 % or more prints at 9 pt or
more (:data:`MIN_SCALE`).

A sheet is *printed* (its tables are the print area) or *for the screen* (口径说明, the period
histories, lists that another workbook carries to their reader): its print area is one empty
cell, so "print entire workbook" skips it, and the sheet says how to print it when wanted.
"""

from __future__ import annotations

import functools
import math
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from xlsxwriter.worksheet import Worksheet

PT_PER_INCH = 72.0
A4_SHORT, A4_LONG = 595.28, 841.89  # points
MARGIN_SIDE, MARGIN_TOP, MARGIN_BOTTOM = 0.3, 0.55, 0.6  # inches (0.3 in: 7.6 mm, within any printer's reach)
HEADER_MARGIN, FOOTER_MARGIN = 0.25, 0.3  # inches
PAPER_A4 = 9

BODY_PT = 10.0  # the body font (宋体 10)
MIN_PRINTED_PT = 9.0
MIN_SCALE = MIN_PRINTED_PT / BODY_PT
# The scale columns are fitted for: LibreOffice lays a column out about 5 % wider than Excel, so a
# table fitted to print at 96 % in Excel still prints at 9 pt or more there.
FIT_SCALE = 0.96
LINE_PT = 13.5  # one line of 10 pt text (Excel's row height for 宋体 10)
ROW_PAD_PT = 3.0  # above and below the lines of a wrapped cell
MAX_ROW_PT = 409.0  # Excel's tallest row
DEFAULT_ROW_PT = 15.0  # a row whose height is not set (the workbook's default, Calibri 11)
RENDERER_SLACK = 1.08  # LibreOffice prints a table a little smaller than Excel: its pages hold more
ORPHAN_ROWS = 2  # a last page of this many rows or fewer is worth page breaks

# Prose columns (说明, 住址, 处理措施 ...) wrap rather than widen past this, and shrink to no less
# than FLOOR when a table is too wide for the page.
PROSE_WIDTH = 30.0
PROSE_FLOOR = 10.0
HEADER_MIN = 5.0  # a header of four characters over two lines

EMPTY_NOTE = "本表暂无记录，打印整个工作簿时跳过本表。"
SCREEN_NOTE = (
    "本表供在电脑上查看，不在默认打印范围内（打印整个工作簿时跳过本表）；需要打印时，选中要打印的单元格，"
    "打印时选择“打印选定区域”。"
)


def column_px(width: float) -> int:
    """The pixels of a column ``width`` characters wide (Excel, Calibri 11)."""
    if width <= 0:
        return 0
    if width < 1:
        return int(width * 12 + 0.5)
    return int(width * 7 + 0.5) + 5


def column_pt(width: float) -> float:
    return column_px(width) * 0.75


def printable_width(landscape: bool) -> float:
    """Points across the page between the side margins."""
    return (A4_LONG if landscape else A4_SHORT) - 2 * MARGIN_SIDE * PT_PER_INCH


def printable_height(landscape: bool) -> float:
    """Points down the page between the top and bottom margins."""
    return (A4_SHORT if landscape else A4_LONG) - (MARGIN_TOP + MARGIN_BOTTOM) * PT_PER_INCH


def content_pt(widths: Sequence[float]) -> float:
    return sum(column_pt(w) for w in widths)


def is_landscape(widths: Sequence[float]) -> bool:
    """Portrait when the columns fit across a portrait page at full size, else landscape."""
    return content_pt(widths) > printable_width(False)


def print_scale(widths: Sequence[float], landscape: bool) -> float:
    """The scale "fit to one page wide" prints at (it never enlarges)."""
    total = content_pt(widths)
    return 1.0 if total <= 0 else min(1.0, printable_width(landscape) / total)


def fit_widths(
    widths: Sequence[float], prose: Sequence[bool], texts: Sequence[Sequence[str]] | None = None
) -> list[float]:
    """``widths`` with the prose columns narrowed so that the table fits a landscape page at
    :data:`FIT_SCALE` (other columns keep their widths; a table printed a little smaller beats one
    whose rows wrap to twice the height and twice the pages). With ``texts`` (a sample of each
    column's cells) the room left is shared so that the rows wrap the least; else the widest
    prose column narrows first. No prose column goes below :data:`PROSE_FLOOR`."""
    room = printable_width(True) / FIT_SCALE
    out = list(widths)
    if content_pt(out) <= room or not any(prose):
        return out
    if texts is not None:
        return _share_room(out, prose, texts, room)
    while content_pt(out) > room:
        candidates = [i for i, p in enumerate(prose) if p and out[i] > PROSE_FLOOR]
        if not candidates:
            break
        widest = max(candidates, key=lambda i: out[i])
        others = sorted((out[i] for i in candidates if i != widest), reverse=True)
        step = max(out[widest] - max(others[0] if others else PROSE_FLOOR, PROSE_FLOOR), 1.0)
        excess = (content_pt(out) - room) / 7 / 0.75 + 0.5
        out[widest] = max(PROSE_FLOOR, out[widest] - min(step, excess))
    return out


def _share_room(
    widths: list[float], prose: Sequence[bool], texts: Sequence[Sequence[str]], room: float
) -> list[float]:
    """Prose columns start at :data:`PROSE_FLOOR` and grow one unit at a time (up to their own
    width), each time the column that saves the most wrapped lines (rows first, then cells),
    while the table fits ``room``."""
    cols = [i for i, p in enumerate(prose) if p]
    n = max((len(texts[i]) for i in cols), default=0)
    need = {i: np.array([text_units(t) for t in texts[i]] + [0.0] * (n - len(texts[i]))) for i in cols}
    # No wider than the longest printed text needs (可补筛 in a 能否补筛 column), header included.
    longest = {i: max(float(need[i].max()) if n else 0.0, HEADER_MIN) + 1.0 for i in cols}
    target = {i: min(widths[i], math.ceil(longest[i])) for i in cols}
    out = [min(PROSE_FLOOR, target[i]) if i in target else w for i, w in enumerate(widths)]

    def lines(i: int, width: float) -> np.ndarray:
        return np.maximum(1.0, np.ceil(need[i] / max(width - 0.5, 1.0)))

    current = {i: lines(i, out[i]) for i in cols}
    while True:
        rows = np.maximum.reduce([current[i] for i in cols]) if n else np.zeros(0)
        best: tuple[float, float, float] | None = None
        pick = -1
        for i in cols:
            if out[i] + 1 > target[i] or content_pt([*out[:i], out[i] + 1, *out[i + 1 :]]) > room:
                continue
            trial = lines(i, out[i] + 1)
            others = [current[j] for j in cols if j != i]
            rows_after = np.maximum.reduce([trial, *others]) if n else rows
            score = (float(rows.sum() - rows_after.sum()), float(current[i].sum() - trial.sum()), target[i] - out[i])
            if best is None or score > best:
                best, pick = score, i
        if pick < 0:
            return out
        out[pick] += 1
        current[pick] = lines(pick, out[pick])


def text_lines(text: str, width: float) -> int:
    """Lines ``text`` wraps to in a column (or merged cells) ``width`` characters wide."""
    usable = max(width - 0.5, 1.0)  # the cell's padding
    return sum(max(1, math.ceil(text_units(part) / usable)) for part in text.split("\n"))


@functools.lru_cache(maxsize=1 << 16)
def text_units(text: str) -> float:
    """The width of ``text`` in 宋体 10 in column units (7 pixels): a CJK character is 13.3
    pixels (1.9 units), a Latin one 6.7 (about 1). :func:`pipeline.fmt.excel_width` (2 and 1.1)
    sizes columns with some room; this measures where a line wraps. Cached: every workbook of a
    run measures the same labels, file names and 口径说明 lines again (a tenth of a workbook's time)."""
    if text.isascii():  # IDs, phones, dates, numbers
        return float(len(text))
    return sum(1.9 if unicodedata.east_asian_width(ch) in "WF" else 1.0 for ch in text)


def wrapped_height(text: str, width: float, font_pt: float = BODY_PT) -> float:
    """The row height (points) that shows ``text`` whole, wrapped in ``width`` characters."""
    lines = text_lines(text, width * BODY_PT / font_pt)
    return min(lines * LINE_PT * font_pt / BODY_PT + ROW_PAD_PT, MAX_ROW_PT)


def fill_pages(first: float, header: float, rows: Sequence[float], room: float) -> list[int]:
    """The rows on each page when pages are filled in turn (a printer's own page breaks)."""
    counts, used = [0], first
    for h in rows:
        if used + h > room and counts[-1]:
            counts.append(0)
            used = header
        used += h
        counts[-1] += 1
    return counts


def balanced_breaks(first: float, header: float, rows: Sequence[float], capacity: float) -> tuple[int, ...]:
    """Where a table's pages should start (indexes into ``rows``) when filling pages in turn could
    leave a last page of one or two rows, in Excel (pages of ``capacity`` points) or in a printer
    that fits a little more (LibreOffice, :data:`RENDERER_SLACK`): then the rows are shared evenly,
    each page about as full. The first page has ``first`` points of titles and header, the others
    the repeated ``header``. No breaks when the last page is full enough, or when sharing does not
    fit."""
    fills = [fill_pages(first, header, rows, capacity * k) for k in (1.0, RENDERER_SLACK)]
    if not any(len(f) > 1 and f[-1] <= ORPHAN_ROWS for f in fills):
        return ()
    pages = len(fills[0])
    if pages == 1:
        return ()
    avail = [capacity - first] + [capacity - header] * (pages - 1)
    total = sum(rows)
    starts, done, page = [], 0.0, 0
    goal = total * avail[0] / sum(avail)  # the cumulative height where page 1 should end
    for i, h in enumerate(rows):
        if page < pages - 1 and done + h / 2 > goal:
            starts.append(i)
            page += 1
            goal += total * avail[page] / sum(avail)
        done += h
    bounds = [0, *starts, len(rows)]
    fits = all(sum(rows[a:b]) <= avail[k] for k, (a, b) in enumerate(zip(bounds, bounds[1:], strict=False)))
    return tuple(starts) if fits and len(starts) == pages - 1 else ()


@dataclass(frozen=True)
class PrintLayout:
    """What prints of a sheet: rows ``first_row``..``last_row`` and columns 0..``last_col``
    (0-based, inclusive), the rows repeated on every page (``repeat``: first and last, or None),
    the orientation, and page breaks before the rows in ``breaks``. ``printed=False``: a sheet
    for the screen (see the module's docstring)."""

    last_row: int
    last_col: int
    landscape: bool
    repeat: tuple[int, int] | None = None
    first_row: int = 0
    printed: bool = True
    breaks: tuple[int, ...] = ()
    fixed: bool = False  # the orientation was chosen (a card is portrait), not derived from widths
    used_cols: int = 0  # columns written, printed or not: the empty cell of a screen sheet is beyond


def footer(document: str) -> str:
    """The footer of every page: the workbook and the sheet on the left, the page on the right."""
    name = document.replace("&", "&&")
    return f"&L&10{name}　&A&R&10第 &P 页，共 &N 页"


def apply(sheet: Worksheet, layout: PrintLayout, document: str) -> None:
    """Set ``sheet``'s page set-up (may be called again: the last call wins)."""
    if layout.landscape:
        sheet.set_landscape()
    else:
        sheet.set_portrait()
    sheet.set_paper(PAPER_A4)
    sheet.fit_to_pages(1, 0)
    sheet.set_margins(left=MARGIN_SIDE, right=MARGIN_SIDE, top=MARGIN_TOP, bottom=MARGIN_BOTTOM)
    sheet.set_header("", {"margin": HEADER_MARGIN})
    sheet.set_footer(footer(document), {"margin": FOOTER_MARGIN})
    if layout.repeat is not None:
        sheet.repeat_rows(*layout.repeat)
    else:
        sheet.repeat_row_range = ""
    if layout.printed:
        sheet.print_area(layout.first_row, 0, layout.last_row, layout.last_col)
    else:
        # One empty cell beside the header row: nothing to print, so the sheet is skipped.
        row = layout.repeat[0] if layout.repeat is not None else 0
        col = max(layout.last_col, layout.used_cols - 1) + 2
        sheet.print_area(row, col, row, col)
    sheet.set_h_pagebreaks(list(layout.breaks))
