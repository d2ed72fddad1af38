"""Guards against hostile or broken Excel-family files, before a parser sees them.

python-calamine allocates the whole rectangle between a sheet's first and last cell, so one stray
far cell in a 1 KB file asks for gigabytes, and a failed allocation aborts the whole process.
Takes a sniffed Excel-family file and its :class:`ReadContext`; checks the zip container
(uncompressed size, compression ratio, encryption), the number of sheets and the real extent of
every sheet (OOXML XML and xlsb records, ODS tables with their repeats; .xls BIFF records are in
:mod:`pipeline.load.biff`), streaming each part in bounded chunks. Gives a :class:`Plan` (the
sheets to skip, each with its problem) or raises :class:`Rejected` for the whole file. Never
parses cell values.
"""

from __future__ import annotations

import html
import re
import struct
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from pipeline.load.biff import prescan_xls
from pipeline.load.common import (
    MB,
    PASSWORD_FIX,
    PASSWORD_MESSAGE,
    RESEND_FIX,
    SPLIT_FIX,
    ReadContext,
    Rejected,
    sheet_too_large,
    short_error,
    too_many_sheets,
)
from pipeline.load.sniff import Sniff, zip_names, zread
from pipeline.problems import Problem


@dataclass
class Plan:
    """What the pre-scan decided: sheets to skip (by name) with their problems, and per sheet the
    cells (0-based row, column) holding a formula without a value (written by a program that
    does not calculate: the parser sees them empty)."""

    skip: dict[str, Problem] = field(default_factory=dict)
    uncached: dict[str, list[tuple[int, int]]] = field(default_factory=dict)


# A sheet whose rectangle is this large but less than 1 % filled is one stray far cell away from a
# small table: the parser would build the whole rectangle (20 M cells: 27 s and 1.35 GB for a
# 1.8 KB file) before anything could be said about it.
SPARSE_MIN_AREA = 2_000_000
SPARSE_RATIO = 100
MAX_UNCACHED = 100_000  # formula cells remembered per sheet (each costs a tuple)


def is_sparse(area: int, cells: int) -> bool:
    return area > SPARSE_MIN_AREA and cells * SPARSE_RATIO < area


def prescan(path: Path, sniff: Sniff, ctx: ReadContext) -> Plan:
    """Check an Excel-family file before the parser sees it; raises :class:`Rejected` when the
    whole file must not be parsed, returns the sheets to skip otherwise."""
    plan = Plan()
    if sniff.format in ("xlsx", "xlsm", "xlsb", "ods"):
        _check_zip(path, ctx)
    if sniff.format in ("xlsx", "xlsm", "xlsb"):
        plan = _prescan_ooxml(path, sniff, ctx)
    elif sniff.format == "ods":
        _prescan_ods(path, ctx)
    else:
        prescan_xls(path, sniff, ctx)
    return plan


def _check_zip(path: Path, ctx: ReadContext) -> None:
    limits = ctx.limits
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise Rejected(
            ctx.make("corrupt_zip", f"文件已损坏或不完整，无法打开（{short_error(exc)}）", RESEND_FIX)
        ) from None
    total_u = sum(i.file_size for i in infos)
    total_c = sum(i.compress_size for i in infos)
    if total_u > limits.max_uncompressed_mb * MB:
        raise Rejected(
            ctx.make(
                "zip_too_large",
                f"文件解压后过大（{total_u / MB:.0f} MB，上限 {limits.max_uncompressed_mb:g} MB），为防止程序卡死已拒绝读取",
                SPLIT_FIX,
            )
        )
    worst = max(
        (i.file_size / max(i.compress_size, 1) for i in infos if i.file_size > MB),
        default=0.0,
    )
    ratio = total_u / max(total_c, 1) if total_u > MB else 0.0
    if max(worst, ratio) > limits.max_compression_ratio:
        raise Rejected(
            ctx.make(
                "zip_bomb",
                f"文件压缩比异常（约 {max(worst, ratio):.0f} 倍，上限 {limits.max_compression_ratio:g} 倍），"
                "疑似“压缩炸弹”或已损坏，为防止程序卡死已拒绝读取",
                RESEND_FIX,
            )
        )
    if any(i.flag_bits & 0x1 for i in infos):
        raise Rejected(ctx.make("encrypted", PASSWORD_MESSAGE, PASSWORD_FIX), fmt="encrypted")


def _xml_attr(attrs: str, name: str) -> str | None:
    m = re.search(r"(?:^|\s)(?:[\w.-]+:)?" + re.escape(name) + r'\s*=\s*("([^"]*)"|\'([^\']*)\')', attrs)
    if not m:
        return None
    return html.unescape(m.group(2) if m.group(2) is not None else (m.group(3) or ""))


def _ooxml_sheets(zf: zipfile.ZipFile, main: str) -> list[tuple[str, str]]:
    """(sheet name, zip member) in workbook order, for xlsx (xml) and xlsb (bin) workbooks."""
    names = zip_names(zf)
    targets = _relationship_targets(zf, names, main)
    sheets: list[tuple[str, str]] = []
    info = zf.getinfo(names[main])
    if main.lower().endswith(".bin"):
        data = zread(zf, info.filename, 64 * MB)
        for typ, payload in _xlsb_records(data):
            if typ == 0x9C and len(payload) >= 12:  # BrtBundleSh
                pos = 8
                rid, pos = _xlsb_wide(payload, pos, nullable=True)
                name, pos = _xlsb_wide(payload, pos)
                sheets.append((name, names.get(targets.get(rid, ""), "")))
    else:
        text = zread(zf, info.filename, 64 * MB).decode("utf-8", "replace")
        for m in re.finditer(r"<(?:\w+:)?sheet\s([^>]*)>", text):
            attrs = m.group(1)
            name = _xml_attr(attrs, "name") or ""
            rid = _xml_attr(attrs, "id") or ""
            sheets.append((name, names.get(targets.get(rid, ""), "")))
    return sheets


def _relationship_targets(zf: zipfile.ZipFile, names: dict[str, str], main: str) -> dict[str, str]:
    """Relationship id -> lower-cased member name, from the workbook part's .rels."""
    folder = main.rsplit("/", 1)[0] if "/" in main else ""
    base = main.rsplit("/", 1)[-1]
    rels_key = (f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels").lower()
    targets: dict[str, str] = {}
    if rels_key in names:
        text = zread(zf, names[rels_key], 8 * MB).decode("utf-8", "replace")
        for m in re.finditer(r"<(?:\w+:)?Relationship\b([^>]*)>", text):
            rid = _xml_attr(m.group(1), "Id")
            target = _xml_attr(m.group(1), "Target")
            if rid and target:
                targets[rid] = _member_name(folder, target.replace("\\", "/")).lower()
    return targets


def _member_name(folder: str, target: str) -> str:
    """A relationship target as a member name: absolute, or relative to ``folder`` ('..' and
    '.' resolved, never above the package root)."""
    if target.startswith("/"):
        return target.lstrip("/")
    parts = (folder.split("/") if folder else []) + target.split("/")
    stack: list[str] = []
    for part in parts:
        if part == "..":
            if stack:
                stack.pop()
        elif part and part != ".":
            stack.append(part)
    return "/".join(stack)


def _xlsb_wide(buf: bytes, pos: int, nullable: bool = False) -> tuple[str, int]:
    if pos + 4 > len(buf):
        return "", len(buf)
    n = struct.unpack_from("<I", buf, pos)[0]
    pos += 4
    if nullable and n == 0xFFFFFFFF:
        return "", pos
    n = min(n, (len(buf) - pos) // 2)
    return buf[pos : pos + 2 * n].decode("utf-16-le", "replace"), pos + 2 * n


def _xlsb_header(buf: bytes, pos: int) -> tuple[int, int, int] | None:
    """(record type, body size, body offset) of the xlsb record starting at ``pos``, or None when
    ``buf`` ends inside its header. Types take 1-2 bytes and sizes 1-4, 7 bits each."""
    n = len(buf)
    b = buf[pos]
    pos += 1
    typ = b & 0x7F
    if b & 0x80:
        if pos >= n:
            return None
        typ |= (buf[pos] & 0x7F) << 7
        pos += 1
    size = 0
    for i in range(4):
        if pos >= n:
            return None
        b = buf[pos]
        pos += 1
        size |= (b & 0x7F) << (7 * i)
        if not b & 0x80:
            break
    return typ, size, pos


def _xlsb_records(data: bytes) -> Iterator[tuple[int, bytes]]:
    pos, n = 0, len(data)
    while pos < n:
        header = _xlsb_header(data, pos)
        if header is None:
            return
        typ, size, pos = header
        yield typ, data[pos : pos + size]
        pos += size


class _Stream:
    """Chunked reading of one zip member with a bounded look-back, for the extent scans."""

    def __init__(self, fh: IO[bytes], chunk: int = 4 * MB) -> None:
        self.fh = fh
        self.chunk = chunk

    def chunks(self, keep_from: bytes) -> Iterator[bytes]:
        """Yield buffers that each end just before the last ``keep_from`` byte seen; the tail is
        carried into the next buffer, so a token never straddles two buffers."""
        tail = b""
        while True:
            block = self.fh.read(self.chunk)
            if not block:
                if tail:
                    yield tail
                return
            buf = tail + block
            cut = buf.rfind(keep_from)
            if cut <= 0 or len(buf) - cut > 1 * MB:  # no boundary, or an absurdly long token
                tail = b""
                yield buf
            else:
                tail = buf[cut:]
                yield buf[:cut]


def _col_letters_to_index(letters: bytes) -> int:
    letters = letters.upper()[:12]  # more letters than that is absurd anyway; keeps the number small
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _row_number(digits: bytes) -> int:
    return int(digits[:15])  # a bound, not the exact value, for absurdly long numbers


# Phase 1, fast: the address of every cell written with r first (nearly every writer does), valued
# or not; an upper bound that is enough for almost every file. Anything unusual in the XML (another
# attribute order, a namespace prefix, cells without an address), or a bound over the limit, goes
# to phase 2: only cells holding a value, any syntax, as the parser places them.
_XLSX_FAST_ROWS = re.compile(rb'<c r="[A-Z]{1,3}([0-9]{1,7})"')
_XLSX_FAST_COLS = re.compile(rb'<c r="([A-Z]{1,3})[0-9]')
_XLSX_ODD = re.compile(rb"<c[\t\n\r>]")
# Phases 2 and 3 take any address the parser might accept, not only what Excel writes: lower case,
# more than 3 letters (past XFD) or 7 digits, single quotes, spaces around '='.
_XLSX_CELL = re.compile(
    rb"""<(?:\w+:)?c\s[^>]*?\br\s*=\s*["']\s*\$?([A-Za-z]+)\$?([0-9]+)\s*["'][^>]*?(?<!/)>(?!</(?:\w+:)?c>)"""
)
_XLSX_REF = re.compile(rb"""\br\s*=\s*["']\s*\$?([A-Za-z]*)\$?([0-9]+)\s*["']""")
_XLSX_RLESS = re.compile(rb"<(?:\w+:)?c(?:>|\s(?![^>]*\br\s*=)[^>]*(?<!/)>)")
_XLSX_TOKEN = re.compile(rb"<(?:\w+:)?(row|c)\b([^>]*)>")


@dataclass
class _Scan:
    """What the pre-scan of one worksheet XML found: the rectangle A1..last cell holding content
    (or an upper bound of it), the number of cells (an upper bound of those holding content),
    and whether formulas are written in it."""

    rows: int
    cols: int
    cells: int
    formulas: bool = False

    @property
    def area(self) -> int:
        return self.rows * self.cols


def _xlsx_extent(fh: IO[bytes], max_cells: int) -> tuple[int, int]:
    """(rows, cols) of the rectangle A1..last cell holding content in one worksheet XML (or an
    upper bound of it, when that bound is within ``max_cells``)."""
    scan = _xlsx_scan(fh, max_cells)
    return scan.rows, scan.cols


def _xlsx_scan(fh: IO[bytes], max_cells: int) -> _Scan:
    """:func:`_xlsx_extent` with the count of cells (to refuse a sparse sheet) and whether the
    sheet holds formulas."""
    fast = _fast_extent(fh)
    if not fast.odd and fast.scan.area <= max_cells and not is_sparse(fast.scan.area, fast.scan.cells):
        return fast.scan
    fh.seek(0)
    max_row, max_col, cells, rless = _addressed_extent(fh)
    if rless:
        fh.seek(0)
        max_row, max_col, cells = _positional_extent(fh, max_row, max_col, cells)
    return _Scan(max_row, max_col, cells, fast.scan.formulas)


@dataclass
class _Fast:
    scan: _Scan
    odd: bool


_XLSX_FORMULA = re.compile(rb"<(?:\w+:)?f[\s>/]")


def _fast_extent(fh: IO[bytes]) -> _Fast:
    """Phase 1: (rows, cols) bound from the addresses of all cells in Excel's strict form, and
    whether the XML has anything else (then the bound may be wrong)."""
    max_row = max_col = cells = 0
    odd = seen_data = formulas = False
    for buf in _Stream(fh).chunks(b"<"):
        rows = _XLSX_FAST_ROWS.findall(buf)
        if rows:
            cells += len(rows)
            max_row = max(max_row, max(map(int, rows)))
            max_col = max(max_col, max(map(_col_letters_to_index, set(_XLSX_FAST_COLS.findall(buf)))))
        formulas = formulas or _XLSX_FORMULA.search(buf) is not None
        if not odd:
            # any cell not in the strict form read above (another attribute order, no address, an
            # address past XFD or row 9999999, other quotes or whitespace), or a namespace prefix
            odd = buf.count(b"<c ") != len(rows) or _XLSX_ODD.search(buf) is not None
            if not seen_data and b"sheetData" in buf:
                seen_data = True
                odd = odd or b"<sheetData" not in buf
    return _Fast(_Scan(max_row, max_col, cells, formulas), odd)


def _addressed_extent(fh: IO[bytes]) -> tuple[int, int, int, bool]:
    """Phase 2: (rows, cols) of the cells holding a value, from their addresses in any syntax,
    how many such cells there are, and whether some cells have no address (phase 3 places those)."""
    max_row = max_col = cells = 0
    rless = False
    for buf in _Stream(fh).chunks(b"<"):
        for col_s, row_s in _XLSX_CELL.findall(buf):
            cells += 1
            max_row = max(max_row, _row_number(row_s))
            max_col = max(max_col, _col_letters_to_index(col_s))
        if not rless and _XLSX_RLESS.search(buf):
            rless = True
    return max_row, max_col, cells, rless


def _positional_extent(fh: IO[bytes], max_row: int, max_col: int, cells: int) -> tuple[int, int, int]:
    """Phase 3: the extent grown by cells without an address, placed after the previous cell
    of their <row> (and rows without a number after the previous row), as the parser does."""
    row = col = 0
    for buf in _Stream(fh).chunks(b"<"):
        for m in _XLSX_TOKEN.finditer(buf):
            attrs = m.group(2)
            ref = _XLSX_REF.search(attrs)
            if m.group(1) == b"row":
                row = _row_number(ref.group(2)) if ref else row + 1
                col = 0
                continue
            if ref and ref.group(1):
                col = _col_letters_to_index(ref.group(1))
                row = _row_number(ref.group(2))
            else:
                col += 1
            if not attrs.endswith(b"/"):
                max_row = max(max_row, row)
                max_col = max(max_col, col)
                if not ref or not ref.group(1):
                    cells += 1  # the addressed ones were counted in phase 2
    return max_row, max_col, cells


# A cell and its content, for the formula scan (only of sheets that hold formulas).
_XLSX_CELL_BODY = re.compile(
    rb"<(?:\w+:)?c\s([^>]*?)(?<!/)>(.*?)</(?:\w+:)?c>", re.DOTALL
)
_XLSX_VALUE = re.compile(rb"<(?:\w+:)?v>\s*[^<\s]|<(?:\w+:)?is>")
_XLSX_STR_TYPE = re.compile(rb"""\bt\s*=\s*["']str["']""")


def _uncached_formulas(fh: IO[bytes]) -> list[tuple[int, int]]:
    """(row, column), 0-based, of the cells holding a formula and no value: what openpyxl and
    many report generators write (they do not calculate), and what the parser reads as empty. A
    formula whose cached result is the empty text (``t="str"`` with an empty value) has a value."""
    found: list[tuple[int, int]] = []
    for buf in _Stream(fh).chunks(b"<c"):
        for attrs, body in _XLSX_CELL_BODY.findall(buf):
            if _XLSX_FORMULA.search(body) is None or _XLSX_VALUE.search(body) or _XLSX_STR_TYPE.search(attrs):
                continue
            ref = _XLSX_REF.search(attrs)
            if ref and ref.group(1):
                found.append((_row_number(ref.group(2)) - 1, _col_letters_to_index(ref.group(1)) - 1))
                if len(found) >= MAX_UNCACHED:
                    return found
    return found


def _xlsb_extent(fh: IO[bytes]) -> tuple[int, int]:
    """(rows, cols) of the rectangle A1..last value cell in one xlsb worksheet part."""
    scan = _xlsb_scan(fh)
    return scan.rows, scan.cols


def _xlsb_scan(fh: IO[bytes]) -> _Scan:
    """:func:`_xlsb_extent` with the count of value cells (xlsb formulas always carry their value)."""
    max_row = max_col = cells = 0
    row = 0
    for typ, size, head in _xlsb_stream_records(fh):
        if typ == 0x0000 and size >= 4:  # BrtRowHdr
            row = struct.unpack_from("<I", head)[0]
            if row > 0x100000:  # the parser stops reading the sheet here
                break
        elif 0x02 <= typ <= 0x0A and size >= 4:  # value cells
            col = struct.unpack_from("<I", head)[0]
            cells += 1
            max_row = max(max_row, row + 1)
            max_col = max(max_col, col + 1)
        elif typ == 0x0092:  # BrtEndSheetData
            break
    return _Scan(max_row, max_col, cells)


class _ByteWindow:
    """The unread bytes of a stream, refilled in 4 MB blocks, for walking xlsb records."""

    def __init__(self, fh: IO[bytes]) -> None:
        self.fh = fh
        self.buf = b""
        self.pos = 0
        self.eof = False

    def refill(self) -> None:
        """Drop what was read and append the next block (at the end of the stream, set ``eof``)."""
        block = self.fh.read(4 * MB)
        if not block:
            self.eof = True
        self.buf = self.buf[self.pos :] + block
        self.pos = 0


def _xlsb_stream_records(fh: IO[bytes]) -> Iterator[tuple[int, int, bytes]]:
    """(type, size, first 4 body bytes) of each record of an xlsb part, streamed: a record's body
    is skipped, never held whole, so a hostile size costs no memory. Stops at the end of the
    stream or inside a truncated record. The first 4 body bytes are always there for the row
    and cell records (types up to 0x0A), however short their declared size."""
    window = _ByteWindow(fh)
    skip = 0
    while True:
        if not window.eof and len(window.buf) - window.pos < 16:
            window.refill()
        if skip:  # the rest of a body longer than the window
            step = min(skip, len(window.buf) - window.pos)
            window.pos += step
            skip -= step
            if skip and window.eof:
                return
            continue
        n = len(window.buf)
        if window.pos >= n:
            if window.eof:
                return
            continue
        header = _xlsb_header(window.buf, window.pos)
        need = 4 if header is not None and header[0] <= 0x0A else 0
        if header is None or header[2] + need > n:
            if window.eof:
                return
            window.refill()  # the record starts again at the window's start
            continue
        typ, size, body_at = header
        yield typ, size, window.buf[body_at : body_at + 4]
        avail = n - body_at
        if size <= avail:
            window.pos = body_at + size
        else:
            window.pos = n
            skip = size - avail


def _prescan_ooxml(path: Path, sniff: Sniff, ctx: ReadContext) -> Plan:
    plan = Plan()
    try:
        with zipfile.ZipFile(path) as zf:
            sheets = _ooxml_sheets(zf, sniff.zip_main)
            if len(sheets) > ctx.limits.max_sheets:
                raise too_many_sheets(ctx, len(sheets))
            binary = sniff.format == "xlsb"
            for name, member in sheets:
                if not member:
                    continue
                with zf.open(member) as fh:
                    scan = _xlsb_scan(fh) if binary else _xlsx_scan(fh, ctx.limits.max_cells)
                if scan.area > ctx.limits.max_cells:
                    plan.skip[name] = sheet_too_large(ctx, name, scan.rows, scan.cols)
                elif is_sparse(scan.area, scan.cells):
                    plan.skip[name] = sheet_too_large(ctx, name, scan.rows, scan.cols, cells=scan.cells)
                elif scan.formulas:
                    with zf.open(member) as fh:
                        uncached = _uncached_formulas(fh)
                    if uncached:
                        plan.uncached[name] = uncached
    except Rejected:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError, struct.error, zlib.error) as exc:
        raise Rejected(
            ctx.make("corrupt_zip", f"文件已损坏或不完整，无法打开（{short_error(exc)}）", RESEND_FIX)
        ) from None
    return plan


_ODS_TOKEN = re.compile(
    rb"<(/?)(?:[\w.-]+:)?(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*)>"
)
_ODS_ROWS_REP = re.compile(rb'number-rows-repeated\s*=\s*"(\d+)"')
_ODS_COLS_REP = re.compile(rb'number-columns-repeated\s*=\s*"(\d+)"')
_ODS_NAME = re.compile(rb'(?:^|\s)(?:[\w.-]+:)?name\s*=\s*"([^"]*)"')


def _prescan_ods(path: Path, ctx: ReadContext) -> None:
    """ODS: encryption, then the number of tables and the content-holding extent of each,
    repeats included."""
    try:
        with zipfile.ZipFile(path) as zf:
            names = zip_names(zf)
            manifest = names.get("meta-inf/manifest.xml")
            if manifest and b"encryption-data" in zread(zf, manifest, 4 * MB):
                raise Rejected(ctx.make("encrypted", PASSWORD_MESSAGE, PASSWORD_FIX), fmt="encrypted")
            content = names.get("content.xml")
            if not content:
                return
            extent = _OdsExtent(ctx)
            with zf.open(content) as fh:
                for buf in _Stream(fh).chunks(b"<"):
                    for m in _ODS_TOKEN.finditer(buf):
                        extent.feed(m.group(1), m.group(2), m.group(3))
    except Rejected:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError, zlib.error) as exc:
        raise Rejected(
            ctx.make("corrupt_zip", f"文件已损坏或不完整，无法打开（{short_error(exc)}）", RESEND_FIX)
        ) from None


class _OdsExtent:
    """The extent of each table in an ODS content.xml, fed one table/row/cell tag at a time.
    Only cells that hold something count (a value type, or content inside), so styled empty rows
    and cells repeated to the sheet's end (LibreOffice writes them) do not. Raises :class:`Rejected` as soon as there are too many
    tables or one table is too large: the parser cannot skip a single sheet of this format."""

    def __init__(self, ctx: ReadContext) -> None:
        self.ctx = ctx
        self.tables = 0
        self.depth = 0  # nesting of <table:table> (sub-tables are part of their sheet)
        self.name = ""
        self.row = 0  # rows before the current one
        self.row_rep = 1
        self.col = 0
        self.row_max_col = 0
        self.max_row = self.max_col = 0
        self.in_cell_rep = 0
        self.cell_start = 0

    def feed(self, closing: bytes, tag: bytes, attrs: bytes) -> None:
        if tag == b"table":
            self._table(closing, attrs)
        elif self.depth != 1:
            return
        elif tag == b"table-row":
            self._row(closing, attrs)
        else:
            self._cell(closing, attrs)

    def _table(self, closing: bytes, attrs: bytes) -> None:
        if closing:
            self.depth -= 1
            if self.depth == 0:
                self._check_size()
        elif not attrs.endswith(b"/"):
            self.depth += 1
            if self.depth == 1:
                self._start_table(attrs)

    def _start_table(self, attrs: bytes) -> None:
        self.tables += 1
        if self.tables > self.ctx.limits.max_sheets:
            raise too_many_sheets(self.ctx, self.tables)
        nm = _ODS_NAME.search(attrs)
        self.name = html.unescape(nm.group(1).decode("utf-8", "replace")) if nm else ""
        self.row = self.row_rep = self.col = self.row_max_col = self.max_row = self.max_col = 0

    def _row(self, closing: bytes, attrs: bytes) -> None:
        if closing:
            if self.row_max_col:
                self.max_row = max(self.max_row, self.row + self.row_rep)
                self.max_col = max(self.max_col, self.row_max_col)
                self._check_size()
            self.row += self.row_rep
            return
        rep = _ODS_ROWS_REP.search(attrs)
        self.row_rep = max(1, int(rep.group(1))) if rep else 1
        self.col = self.row_max_col = 0
        if attrs.endswith(b"/"):
            self.row += self.row_rep

    def _cell(self, closing: bytes, attrs: bytes) -> None:
        if closing:
            if self.in_cell_rep:
                self.row_max_col = max(self.row_max_col, self.cell_start + self.in_cell_rep)
                self.in_cell_rep = 0
            return
        rep = _ODS_COLS_REP.search(attrs)
        n = max(1, int(rep.group(1))) if rep else 1
        if attrs.endswith(b"/"):
            if b"value-type" in attrs:
                self.row_max_col = max(self.row_max_col, self.col + n)
        else:  # not self-closing: it holds something, counted when it closes
            self.in_cell_rep = n
            self.cell_start = self.col
        self.col += n

    def _check_size(self) -> None:
        if self.max_row * self.max_col > self.ctx.limits.max_cells:
            raise Rejected(sheet_too_large(self.ctx, self.name, self.max_row, self.max_col, whole_file=True))
