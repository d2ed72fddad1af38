"""One input file -> one :class:`FileResult`, in this process; the heart of stage 1.

Takes a path, the input folder it is reported relative to, and the :class:`Limits`; hashes the
file, refuses empty and oversized files, sniffs the real format from the bytes, runs the guards
on Excel-family files, hands the file to its reader (:mod:`~pipeline.load.excel`,
:mod:`~pipeline.load.html`, :mod:`~pipeline.load.text`) and notes when the extension promised
another format. Never raises: a rejection, an unreadable file and even a bug become problems of
that file. Isolation from a crashing parser is :mod:`pipeline.load.isolate`'s job.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from pipeline.load.common import (
    EXCEL_FORMATS,
    EXTENSION_FORMATS,
    FORMAT_LABELS,
    MB,
    PASSWORD_FIX,
    PASSWORD_MESSAGE,
    RESEND_FIX,
    SPLIT_FIX,
    UNREADABLE_FIX,
    ReadContext,
    Rejected,
    relative_name,
    sha256_file,
    short_error,
)
from pipeline.load.excel import read_excel
from pipeline.load.guard import prescan
from pipeline.load.html import read_html
from pipeline.load.sniff import Sniff, sniff_format
from pipeline.load.spreadsheetml import read_spreadsheetml
from pipeline.load.text import read_csv
from pipeline.model import FileResult, RawSheet
from pipeline.problems import Severity
from pipeline.settings import Limits


def read_file(path: Path, root: Path, limits: Limits) -> FileResult:
    """Read one input file into raw sheets. Never raises: every failure is a problem."""
    path = Path(path)
    ctx = ReadContext(relative_name(path, Path(root)), limits)
    try:
        return _read_file(path, ctx)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: B036 - last resort: a bug or a parser panic
        try:
            size = path.stat().st_size
        except OSError:
            size = 0
        try:
            digest = sha256_file(path)
        except OSError:
            digest = ""
        ctx.add(
            "unreadable",
            f"文件无法读取：读取时出现意外错误（{type(exc).__name__}: {short_error(exc)}）",
            UNREADABLE_FIX,
        )
        return FileResult(ctx.rel, "unknown", size, digest, [], ctx.problems)


def _read_file(path: Path, ctx: ReadContext) -> FileResult:
    opened = _open(path, ctx)
    if opened is None:
        return FileResult(ctx.rel, "unknown", 0, "", [], ctx.problems)
    size, digest, head = opened
    fmt, sheets, encoding = _read_content(path, size, head, ctx)
    if sheets and all(not s.rows for s in sheets):
        ctx.add("all_sheets_empty", "文件中的工作表都是空的，没有任何数据", RESEND_FIX, severity=Severity.WARNING)
    if fmt in EXCEL_FORMATS | {"xml"} and not sheets and not any(p.severity == Severity.ERROR for p in ctx.problems):
        # A workbook with no worksheet at all (or only chart sheets): never dropped without a word.
        ctx.add("no_sheets", "文件中没有可以读取数据的工作表（一个工作表也没有，或只有图表）", RESEND_FIX)
    return FileResult(ctx.rel, fmt, size, digest, sheets, ctx.problems, encoding)


# What reading a file's content gives: its real format, its sheets and its text encoding.
_Content = tuple[str, list[RawSheet], str | None]


def _open(path: Path, ctx: ReadContext) -> tuple[int, str, bytes] | None:
    """(size, SHA-256, first 64 KB) of the file, or None (and a problem) when it cannot be opened."""
    try:
        size = path.stat().st_size
        digest = sha256_file(path)
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        ctx.add(
            "unreadable",
            f"文件无法读取：无法打开文件（{exc.strerror or short_error(exc)}）",
            "请确认文件没有被其他程序占用、有读取权限，然后重新运行",
        )
        return None
    return size, digest, head


def _read_content(path: Path, size: int, head: bytes, ctx: ReadContext) -> _Content:
    """The file's content, or what its size, format or a guard said about it (as problems)."""
    refused = _size_refusal(size, ctx)
    if refused is not None:
        return refused, [], None
    fmt = "unknown"
    try:
        sniff = sniff_format(path, head, path.suffix.lower())
        fmt = sniff.format
        return _read_sniffed(path, sniff, ctx)
    except Rejected as rejected:
        _note_rejection(rejected, ctx)
        return rejected.fmt or fmt, [], None


def _size_refusal(size: int, ctx: ReadContext) -> str | None:
    """The format to report when the size alone stops the reading (noting why), else None."""
    if size == 0:
        ctx.add(
            "empty_file", "文件是空的（0 字节），没有任何内容。常见原因：邮件附件没有下载完整", RESEND_FIX
        )
        return "empty"
    if size > ctx.limits.max_file_mb * MB:
        ctx.add(
            "file_too_large",
            f"文件过大（{size / MB:.1f} MB，上限 {ctx.limits.max_file_mb:g} MB），为防止程序卡死已拒绝读取",
            SPLIT_FIX,
        )
        return "unknown"
    return None


def _read_sniffed(path: Path, sniff: Sniff, ctx: ReadContext) -> _Content:
    """Hand the file to the reader of its real format (Excel-family files past the guards first)."""
    fmt = sniff.format
    ext = path.suffix.lower()
    if fmt == "encrypted":
        ctx.add("encrypted", PASSWORD_MESSAGE, PASSWORD_FIX)
        return fmt, [], None
    if fmt == "unknown":
        _note_unknown(sniff.kind or "未知格式", ctx)
        return fmt, [], None
    if fmt in EXCEL_FORMATS:
        plan = prescan(path, sniff, ctx)
        _note_mismatch(ctx, ext, fmt)
        return fmt, read_excel(path, fmt, plan, ctx), None
    if fmt == "html":
        _note_mismatch(ctx, ext, fmt)
        sheets, enc = read_html(path, sniff, ctx)
        return fmt, sheets, enc
    if fmt == "xml":
        _note_mismatch(ctx, ext, fmt)
        return fmt, read_spreadsheetml(path, ctx), None
    fmt, sheets, encoding = read_csv(path, ctx, ext)
    _note_mismatch(ctx, ext, fmt)
    return fmt, sheets, encoding


def _note_unknown(kind: str, ctx: ReadContext) -> None:
    ctx.add(
        "unknown_format",
        f"文件格式无法识别为表格：实际是{kind}，没有读取",
        "压缩包请先解压再放入输入文件夹；其他文件请确认是否发错了"
        if "压缩包" in kind
        else "请确认是否发错了文件；报送数据请使用Excel表格（.xlsx/.xls）或CSV文件",
    )


def _note_rejection(rejected: Rejected, ctx: ReadContext) -> None:
    """The rejection's problems become the file's; a password-protected file's format is not
    worth a note about its extension."""
    ctx.problems.extend(p if p.file else dataclasses.replace(p, file=ctx.rel) for p in rejected.problems)
    if rejected.fmt == "encrypted":
        ctx.problems[:] = [p for p in ctx.problems if p.code != "format_mismatch"]


def _note_mismatch(ctx: ReadContext, ext: str, fmt: str) -> None:
    expected = EXTENSION_FORMATS.get(ext)
    if expected is not None and fmt in expected:
        return
    shown = ext or "（无扩展名）"
    ctx.add(
        "format_mismatch",
        f"文件扩展名是 {shown}，但实际格式是{FORMAT_LABELS.get(fmt, fmt)}，已按实际格式读取"
        + ("（系统导出的表格常见这种情况）" if fmt == "html" else ""),
        "一般无需处理；如需在Excel中编辑，建议打开后另存为 .xlsx",
        severity=Severity.NOTE,
    )
