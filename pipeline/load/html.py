"""Web pages (HTML, and MHTML saved by a browser or exported by Excel) -> one grid per table.

Takes a file sniffed as HTML and its :class:`ReadContext`; decodes it (the charset of each MHTML
part, or the page's ``<meta charset>`` through :func:`pipeline.load.text.decode_text`), collects
the text of every ``<table>`` with its row and column spans (nested tables are sheets of their
own; scripts and styles are skipped) and gives one :class:`RawSheet` per table, named 表1, 表2 ….
Raises :class:`Rejected` for broken markup, a page without tables, or too many tables. Never
fetches anything a page refers to.
"""

from __future__ import annotations

import email
import email.policy
import re
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from pipeline.load.common import (
    UNREADABLE_FIX,
    ReadContext,
    Rejected,
    clean_rows,
    sheet_too_large,
    short_error,
    too_many_sheets,
)
from pipeline.load.sniff import Sniff
from pipeline.load.text import decode_text
from pipeline.model import RawSheet
from pipeline.problems import Severity


class _Table:
    """One HTML table being collected: cell texts by (row, column), spans reserving their cells."""

    def __init__(self) -> None:
        self.cells: dict[tuple[int, int], str] = {}
        self.row = -1
        self.col = 0
        self.ncols = 0
        self.span_until: dict[int, int] = {}
        self.buf: list[str] | None = None
        self.pos = (0, 0)

    def start_row(self) -> None:
        self.end_cell()
        self.row += 1
        self.col = 0

    def start_cell(self, colspan: int, rowspan: int) -> None:
        self.end_cell()
        if self.row < 0:
            self.start_row()
        while self.span_until.get(self.col, -1) >= self.row:
            self.col += 1
        self.pos = (self.row, self.col)
        self.buf = []
        if rowspan > 1:
            for c in range(self.col, self.col + colspan):
                self.span_until[c] = self.row + rowspan - 1
        self.col += colspan
        self.ncols = max(self.ncols, self.col)

    def text(self, data: str) -> None:
        if self.buf is not None:
            self.buf.append(data)

    def end_cell(self) -> None:
        if self.buf is not None:
            value = re.sub(r"\s+", " ", "".join(self.buf)).strip()
            if value:
                self.cells[self.pos] = value
            self.buf = None

    @property
    def nrows(self) -> int:
        return self.row + 1

    def grid(self) -> list[list[Any]]:
        rows: list[list[Any]] = [[None] * self.ncols for _ in range(self.nrows)]
        for (r, c), v in self.cells.items():
            rows[r][c] = v
        return rows


def _span(attrs: list[tuple[str, str | None]], name: str, cap: int) -> int:
    for key, value in attrs:
        if key == name and value:
            m = re.match(r"\s*(\d+)", value)
            if m:
                return max(1, min(int(m.group(1)), cap))
    return 1


class _TableParser(HTMLParser):
    """Collects every table of a page (nested ones too), skipping scripts, styles and templates."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tables: list[_Table] = []
        self.stack: list[_Table] = []
        self.skipping: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if self.skipping:
            return
        if tag in ("script", "style", "template", "noscript", "xml"):
            self.skipping = tag
            return
        if tag == "table":
            table = _Table()
            self.tables.append(table)
            self.stack.append(table)
        elif not self.stack:
            return
        elif tag == "tr":
            self.stack[-1].start_row()
        elif tag in ("td", "th"):
            self.stack[-1].start_cell(_span(attrs, "colspan", 1000), _span(attrs, "rowspan", 65534))
        elif tag in ("br", "p", "div", "li", "hr"):
            self.stack[-1].text(" ")

    def handle_endtag(self, tag: str) -> None:
        if self.skipping:
            if tag == self.skipping:
                self.skipping = None
            return
        if not self.stack:
            return
        if tag == "table":
            self.stack.pop().end_cell()
        elif tag in ("td", "th", "tr"):
            self.stack[-1].end_cell()
        elif tag in ("p", "div", "li"):
            self.stack[-1].text(" ")

    def handle_data(self, data: str) -> None:
        if self.skipping or not self.stack:
            return
        self.stack[-1].text(data)


def _html_charset(data: bytes) -> str | None:
    m = re.search(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]+)""", data[:8192], re.I)
    return m.group(1).decode("ascii") if m else None


def _html_documents(path: Path, sniff: Sniff, ctx: ReadContext) -> tuple[list[str], str]:
    with open(path, "rb") as fh:
        data = fh.read()
    if sniff.kind == "mhtml":
        msg = email.message_from_bytes(data, policy=email.policy.default)
        docs: list[str] = []
        charsets: list[str] = []
        for part in msg.walk():
            if part.get_content_type() == "text/html":
                try:
                    docs.append(str(part.get_content()))  # type: ignore[attr-defined]
                    charsets.append(part.get_content_charset() or "")
                except (LookupError, UnicodeError, ValueError, AssertionError) as exc:
                    ctx.add(
                        "encoding_replaced",
                        f"网页中有一部分无法解码，已跳过（{short_error(exc)}）",
                        UNREADABLE_FIX,
                        Severity.WARNING,
                    )
        return docs, ",".join(sorted({c for c in charsets if c})) or "mhtml"
    text, enc = decode_text(data, ctx, declared=_html_charset(data))
    return [text], enc


def read_html(path: Path, sniff: Sniff, ctx: ReadContext) -> tuple[list[RawSheet], str]:
    """(sheets, encoding): one sheet per table, named 表1, 表2 … in document order."""
    docs, enc = _html_documents(path, sniff, ctx)
    tables: list[_Table] = []
    for doc in docs:
        parser = _TableParser()
        try:
            parser.feed(doc)
            parser.close()
        except (AssertionError, ValueError, IndexError) as exc:  # very broken markup
            raise Rejected(
                ctx.make("unreadable", f"文件无法读取：网页格式错误（{short_error(exc)}）", UNREADABLE_FIX),
                fmt="html",
            ) from None
        for table in parser.stack:
            table.end_cell()
        tables.extend(parser.tables)
        if len(tables) > ctx.limits.max_sheets:
            raise too_many_sheets(ctx, len(tables))
    if not tables:
        raise Rejected(
            ctx.make(
                "no_tables",
                "网页文件中没有表格，没有读取任何数据",
                "请确认是否发错了文件；请从系统中重新导出为Excel表格",
            ),
            fmt="html",
        )
    sheets: list[RawSheet] = []
    for i, table in enumerate(tables, start=1):
        name = f"表{i}"
        if table.nrows * table.ncols > ctx.limits.max_cells:
            ctx.problems.append(sheet_too_large(ctx, name, table.nrows, table.ncols))
            continue
        sheets.append(RawSheet(ctx.rel, name, clean_rows(table.grid())))
    return sheets, enc
