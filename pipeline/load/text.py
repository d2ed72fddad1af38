"""Text files (CSV, TSV, TXT) -> one cell grid, and the decoding of text shared with HTML.

Takes a file sniffed as text and its :class:`ReadContext`; decodes it (BOM, UTF-16 by its NUL
pattern, a declared charset, UTF-8, GB18030; a warning when bytes had to be replaced or NULs
stripped), honours Excel's ``sep=`` line, sniffs the delimiter and gives one :class:`RawSheet`
named after the file, every cell a string. Raises :class:`Rejected` for what is not text, not a
table, or too large. Never converts a value: typing cells is the next stage's job.
"""

from __future__ import annotations

import codecs
import csv
import io
import math
import re
from pathlib import Path
from typing import Any

from pipeline.load.common import (
    EXTENSION_FORMATS,
    UNREADABLE_FIX,
    ReadContext,
    Rejected,
    clean_rows,
    sheet_too_large,
    short_error,
)
from pipeline.load.sniff import utf16_guess
from pipeline.model import RawSheet
from pipeline.problems import Severity

_TABLE_TEXT_EXTENSIONS = {".csv", ".tsv"}

_GB_ALIASES = {
    "gb2312",
    "gbk",
    "gb_2312-80",
    "x-gbk",
    "cp936",
    "ms936",
    "euc-cn",
    "gb18030",
    "x-gb18030",
    "csgb2312",
}


def _norm_encoding(name: str) -> str | None:
    name = name.strip().strip("\"'").lower()
    if name in _GB_ALIASES:
        return "gb18030"
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _best_lossy(data: bytes, candidates: list[str]) -> str:
    """The encoding to decode damaged bytes with. UTF-8 is so structured that text whose
    non-ASCII characters mostly decode as UTF-8 is UTF-8 with a few bad bytes; GB18030 would
    "succeed" on the same bytes with fewer replacements but turn every character into another.
    GBK text read as UTF-8 yields almost no CJK characters (under one per 30 replaced bytes in
    Chinese prose), so a file with at least as many CJK characters as bad bytes is UTF-8 too: a
    small roster with a dozen stray bytes must not become mojibake from the header down."""
    utf8 = data.decode("utf-8", "replace")
    bad = utf8.count("\ufffd")
    good = sum(1 for ch in utf8 if ord(ch) > 127) - bad
    cjk = sum(1 for ch in utf8 if "\u4e00" <= ch <= "\u9fff")
    if good >= 4 * bad or cjk >= bad:
        return "utf-8"
    others = [c for c in candidates if c != "utf-8" and c not in _SINGLE_BYTE] or ["gb18030"]
    return min(others, key=lambda c: data.decode(c, "replace").count("\ufffd"))


def _not_text(ctx: ReadContext) -> Rejected:
    return Rejected(
        ctx.make(
            "unknown_format",
            "文件格式无法识别（不是表格，也不是文本文件）",
            "请放入Excel表格（.xlsx/.xls）或CSV文件",
        ),
        fmt="unknown",
    )


_SINGLE_BYTE = {"latin-1", "iso8859-1", "cp1252", "ascii"}


def decode_text(data: bytes, ctx: ReadContext, declared: str | None = None) -> tuple[str, str]:
    """Bytes -> (text, encoding name): BOM (UTF-8/UTF-16), UTF-16 by its NUL pattern, then the
    declared charset, UTF-8 and GB18030 (a superset of GBK/GB2312). Warns when bytes had to be
    replaced or NULs stripped; rejects what is not text at all."""
    text, enc, lossy = _decode_bytes(data, declared)
    if _looks_binary(text):
        raise _not_text(ctx)
    if lossy:
        ctx.add(
            "encoding_replaced",
            f"文件中有无法识别的字符（按 {enc} 解码），已用“\ufffd”代替，可能有乱码",
            "请用Excel打开该文件检查，另存为 .xlsx 后重新放入输入文件夹",
            severity=Severity.WARNING,
        )
    return _strip_nuls(text, ctx), enc


def _decode_bytes(data: bytes, declared: str | None) -> tuple[str, str, bool]:
    """(text, encoding name, whether undecodable bytes were replaced)."""
    if data.startswith(codecs.BOM_UTF8):
        try:
            return data.decode("utf-8-sig"), "utf-8-sig", False
        except UnicodeDecodeError:
            pass
    guess = utf16_guess(data)
    if guess:
        try:
            text, lossy = data.decode(guess), False
        except UnicodeDecodeError:
            text, lossy = data.decode(guess, "replace"), True
        return text.lstrip("\ufeff"), guess, lossy
    candidates = _candidate_encodings(declared)
    for cand in candidates:
        try:
            return data.decode(cand), cand, False
        except (UnicodeDecodeError, LookupError):
            continue
    enc = _best_lossy(data, candidates)
    return data.decode(enc, "replace"), enc, True


def _candidate_encodings(declared: str | None) -> list[str]:
    """The encodings to try strictly, in order: the declared charset, UTF-8, GB18030; a declared
    single-byte charset goes last instead, since it decodes anything."""
    candidates = ["utf-8", "gb18030"]
    norm = _norm_encoding(declared) if declared else None
    if norm in candidates:
        candidates.remove(norm)
    if norm and norm in _SINGLE_BYTE:
        candidates.append(norm)  # decodes anything: only when nothing else does
    elif norm:
        candidates.insert(0, norm)
    return candidates


def _strip_nuls(text: str, ctx: ReadContext) -> str:
    if "\x00" not in text:
        return text
    count = text.count("\x00")
    ctx.add(
        "nul_bytes",
        f"文件中有 {count} 个空字符（NUL），已删除后读取",
        "一般无需处理；如发现内容缺失，请让报送单位重新导出该文件",
        severity=Severity.WARNING,
    )
    return text.replace("\x00", "")


_DELIMS = (",", "\t", ";", "|")


def _sniff_delimiter(sample: str) -> tuple[str, bool]:
    """(delimiter, looks like a table). Scores each candidate by how many sample rows it splits
    into two or more fields, preferring a consistent field count."""
    lines = [ln for ln in sample.splitlines() if ln.strip()][:50]
    if not lines:
        return ",", False
    text = "\n".join(lines)
    best: tuple[int, int, int] = (0, 0, 0)
    best_delim = ","
    for order, delim in enumerate(_DELIMS):
        try:
            widths = [len(r) for r in csv.reader(io.StringIO(text), delimiter=delim, strict=False)]
        except csv.Error:
            continue
        multi = [w for w in widths if w > 1]
        if not multi:
            continue
        mode = max(set(multi), key=multi.count)
        score = (len(multi), multi.count(mode), -order)
        if score > best:
            best, best_delim = score, delim
    rows = len(lines)
    return best_delim, best[0] > 0 and best[0] >= math.ceil(rows / 2)


def _looks_binary(text: str) -> bool:
    """Decoded text that is mostly control characters or undecodable bytes is not text."""
    sample = text[:20000]
    if not sample:
        return False
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n\f\v")
    return controls > 0.05 * len(sample) or sample.count("\ufffd") > 0.25 * len(sample)


def read_csv(path: Path, ctx: ReadContext, ext: str) -> tuple[str, list[RawSheet], str | None]:
    """Returns (format, sheets, encoding)."""
    with open(path, "rb") as fh:
        data = fh.read()
    text, enc = decode_text(data, ctx)
    del data
    _check_line_length(text, ctx)
    body, delim = _table_body(text, ext, ctx)
    rows = _parse_rows(body, delim, path.stem, ctx)
    return "csv", [RawSheet(ctx.rel, path.stem, clean_rows(rows))], enc


def _check_line_length(text: str, ctx: ReadContext) -> None:
    lines_long = max((len(line) for line in text.splitlines()), default=0)
    if lines_long > ctx.limits.max_csv_line_chars:
        raise Rejected(
            ctx.make(
                "csv_line_too_long",
                f"文本文件中有一行过长（{lines_long} 个字符，上限 {ctx.limits.max_csv_line_chars} 个），"
                "可能不是表格或已损坏，已拒绝读取",
                UNREADABLE_FIX,
            ),
            fmt="csv",
        )


def _table_body(text: str, ext: str, ctx: ReadContext) -> tuple[str, str]:
    """(the text to parse, its delimiter); raises :class:`Rejected` when it is not a table."""
    body = text
    forced: str | None = None
    first_line, _, rest = text.partition("\n")
    m = re.fullmatch(r"sep=(.)\r?", first_line)
    if m:  # Excel's delimiter hint line; Excel itself does not show it as a row
        forced, body = m.group(1), rest
    sample = body[:65536]
    delim, tabular = _sniff_delimiter(sample)
    if forced:
        delim, tabular = forced, True
    if not tabular and ext not in _TABLE_TEXT_EXTENSIONS:
        # A note or README beside the tables is normal (提示); a "spreadsheet" that is really a
        # line of text (a failed export or download) is an error.
        claims_sheet = "csv" not in EXTENSION_FORMATS.get(ext, frozenset({"csv"}))
        raise Rejected(
            ctx.make(
                "not_a_table",
                "文本文件不是表格（没有找到逗号、制表符等分隔的列），没有读取",
                "如果这是要报送的数据，请放入Excel表格（.xlsx/.xls）或CSV文件",
                severity=Severity.ERROR if claims_sheet else Severity.NOTE,
            ),
            fmt="unknown",
        )
    return body, delim


def _parse_rows(body: str, delim: str, sheet: str, ctx: ReadContext) -> list[list[Any]]:
    """The records, '' as None; stops as soon as the grid is over the cell limit."""
    rows: list[list[Any]] = []
    width = 0
    try:
        for record in csv.reader(io.StringIO(body, newline=""), delimiter=delim, strict=False):
            rows.append([None if v == "" else v for v in record])
            width = max(width, len(record))
            if len(rows) * width > ctx.limits.max_cells:
                raise Rejected(sheet_too_large(ctx, sheet, len(rows), width), fmt="csv")
    except csv.Error as exc:
        raise Rejected(
            ctx.make("unreadable", f"文件无法读取：CSV格式错误（{short_error(exc)}）", UNREADABLE_FIX),
            fmt="csv",
        ) from None
    return rows
