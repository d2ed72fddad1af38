"""The .xls (BIFF) pre-scan: what the parser would allocate, read from the raw records.

Takes a sniffed .xls file (its CFB workbook stream) and its :class:`ReadContext`; checks
encryption (FILEPASS), the number of sheets, and per sheet both the declared DIMENSIONS and the
real extent of the cell records (the parser allocates both). Raises :class:`Rejected` for the
whole file (this format cannot skip one sheet); returns nothing otherwise. A stream too damaged to
walk is left to the parser, which reports the damage in its own words.
"""

from __future__ import annotations

import struct
from pathlib import Path

from pipeline.load.cfb import Cfb, CfbError
from pipeline.load.common import (
    PASSWORD_FIX,
    PASSWORD_MESSAGE,
    ReadContext,
    Rejected,
    sheet_too_large,
    too_many_sheets,
)
from pipeline.load.sniff import Sniff

_BOF = (0x0809, 0x0409, 0x0209, 0x0009)  # BOF records: BIFF5-8, BIFF4, BIFF3, BIFF2
_BIFF_CELLS = {0x0006, 0x00FD, 0x0203, 0x027E, 0x0201, 0x0205, 0x0204, 0x00D6, 0x0206, 0x0406}
_BIFF_MULTI = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first col, ..., last col


def prescan_xls(path: Path, sniff: Sniff, ctx: ReadContext) -> None:
    """xls: encryption (FILEPASS), sheet count, and per sheet the declared DIMENSIONS and the real
    extent of the cell records (the parser allocates both)."""
    if not sniff.cfb_stream:
        return
    stream = _workbook_stream(path, sniff.cfb_stream)
    if stream is None or len(stream) < 8:
        return
    rtype, rlen = struct.unpack_from("<HH", stream, 0)
    if rtype not in _BOF:
        return
    biff8 = rlen >= 4 and struct.unpack_from("<H", stream, 4)[0] == 0x0600
    sheets = _sheets(stream, 4 + rlen, biff8, ctx)
    if len(sheets) > ctx.limits.max_sheets:
        raise too_many_sheets(ctx, len(sheets))
    for label, offset in sheets:
        _check_sheet(stream, label, offset, biff8, ctx)


def _workbook_stream(path: Path, name: str) -> bytes | None:
    """The workbook stream of the CFB file, or None when the container is too damaged to read."""
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        cfb = Cfb(data)
        entry = cfb.find(name)
        if entry is None:
            return None
        return cfb.read(entry)
    except (CfbError, struct.error, IndexError, ValueError):
        return None  # the parser reports the damage itself


def _sheets(stream: bytes, pos: int, biff8: bool, ctx: ReadContext) -> list[tuple[str, int]]:
    """(name, stream offset of its BOF) of every sheet listed in the workbook globals that start
    at ``pos``, offset -1 for chart and macro sheets. Raises :class:`Rejected` for FILEPASS."""
    n = len(stream)
    sheets: list[tuple[str, int]] = []
    while pos + 4 <= n:
        rtype, rlen = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4 : pos + 4 + rlen]
        pos += 4 + rlen
        if rtype == 0x000A:  # EOF of the globals
            break
        if rtype == 0x002F:  # FILEPASS
            raise Rejected(ctx.make("encrypted", PASSWORD_MESSAGE, PASSWORD_FIX), fmt="encrypted")
        if rtype == 0x0085 and len(body) >= 7:  # BOUNDSHEET
            sheets.append(_boundsheet(body, biff8))
    return sheets


def _boundsheet(body: bytes, biff8: bool) -> tuple[str, int]:
    offset = struct.unpack_from("<I", body, 0)[0]
    dt_kind = body[5]
    cch = body[6]
    if biff8 and len(body) >= 8:
        raw = body[8:]
        label = raw[: 2 * cch].decode("utf-16-le", "replace") if body[7] & 1 else raw[:cch].decode("latin-1")
    else:
        label = body[7 : 7 + cch].decode("gb18030", "replace")
    return label, offset if dt_kind == 0 else -1


def _check_sheet(stream: bytes, label: str, offset: int, biff8: bool, ctx: ReadContext) -> None:
    """Raises :class:`Rejected` when the sheet's cells or its declared range are over the limit."""
    if offset < 0 or offset + 4 > len(stream):
        return
    rows, cols, declared = _biff_extent(stream, offset, biff8)
    if rows * cols > ctx.limits.max_cells:
        raise Rejected(sheet_too_large(ctx, label, rows, cols, whole_file=True))
    if declared[0] * declared[1] > ctx.limits.max_cells:
        raise Rejected(sheet_too_large(ctx, label, declared[0], declared[1], declared=True, whole_file=True))


def _biff_extent(stream: bytes, pos: int, biff8: bool) -> tuple[int, int, tuple[int, int]]:
    n = len(stream)
    depth = 0
    max_row = max_col = 0
    declared = (0, 0)
    while pos + 4 <= n:
        rtype, rlen = struct.unpack_from("<HH", stream, pos)
        body_at = pos + 4
        pos = body_at + rlen
        if rtype in _BOF:
            depth += 1
            continue
        if rtype == 0x000A:
            depth -= 1
            if depth <= 0:
                break
            continue
        if depth != 1 or body_at + min(rlen, 4) > n:
            continue
        if rtype in _BIFF_CELLS and rlen >= 4:
            r, c = struct.unpack_from("<HH", stream, body_at)
            max_row = max(max_row, r + 1)
            max_col = max(max_col, c + 1)
        elif rtype in _BIFF_MULTI and rlen >= 6 and body_at + rlen <= n:
            r, c = struct.unpack_from("<HH", stream, body_at)
            last = struct.unpack_from("<H", stream, body_at + rlen - 2)[0]
            max_row = max(max_row, r + 1)
            max_col = max(max_col, max(c, last) + 1)
        elif rtype == 0x0200:  # DIMENSIONS
            if biff8 and rlen >= 12 and body_at + 12 <= n:
                r0, r1, c0, c1 = struct.unpack_from("<IIHH", stream, body_at)
            elif rlen >= 8 and body_at + 8 <= n:
                r0, r1, c0, c1 = struct.unpack_from("<HHHH", stream, body_at)
            else:
                continue
            declared = (max(0, r1 - r0) + 1, max(0, c1 - c0) + 1)
    return max_row, max_col, declared
