"""Stage 1: input files -> raw cell grids, never losing anything silently.

Every file found in the input folder becomes one :class:`FileResult`: its real format (detected from
the bytes, not the extension), its hash, the sheets that could be read as exact cell grids
(``rows[0]`` is Excel row 1, ``rows[r][0]`` is column A), and the problems met on the way, worded
in Chinese for the office user. Nothing here raises to the caller.

Hostile or broken files are stopped before a parser sees them: size limits, zip-bomb checks and a
cheap scan of each sheet's real extent (python-calamine allocates the whole rectangle between the
first and the last cell, so one stray far cell in a 1 KB file asks for gigabytes and a failed
allocation aborts the whole process). As a last line of defence :func:`read_all` reads the
Excel-family formats in a separate worker process with a time limit (and, on POSIX, a memory
limit), so a file that still manages to crash or hang the parser costs only that file.
"""

from __future__ import annotations

import array
import codecs
import csv
import dataclasses
import datetime as dt
import email
import email.policy
import hashlib
import html
import io
import math
import multiprocessing
import os
import re
import stat
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import IO, Any

from pipeline.model import FileResult, RawSheet
from pipeline.problems import Problem, Severity, problem
from pipeline.settings import Limits

Cell = str | int | float | bool | dt.date | dt.datetime | dt.time | dt.timedelta | None

EXCEL_FORMATS = frozenset({"xlsx", "xlsm", "xlsb", "xls", "ods"})

# ---------------------------------------------------------------------------------------------
# Messages

PASSWORD_MESSAGE = "文件有密码保护，无法读取"
PASSWORD_FIX = (
    "请在Excel中去掉密码（文件→信息→保护工作簿→用密码进行加密，清空密码）后重新保存，再放入输入文件夹"
)
UNREADABLE_FIX = "请用Excel或WPS打开该文件，另存为 .xlsx 后重新放入输入文件夹"
RESEND_FIX = "请让报送单位重新发送该文件（或从邮件中重新下载附件），确认能用Excel打开后再放入输入文件夹"
SPLIT_FIX = "请确认是否发错了文件；如确需报送，请删除多余的空行空列或拆分成几个较小的文件后重新放入"

FORMAT_LABELS: dict[str, str] = {
    "xlsx": "Excel工作簿（.xlsx）",
    "xlsm": "启用宏的Excel工作簿（.xlsm）",
    "xlsb": "Excel二进制工作簿（.xlsb）",
    "xls": "Excel 97-2003工作簿（.xls）",
    "ods": "OpenDocument表格（.ods）",
    "csv": "CSV/文本表格",
    "html": "网页（HTML）表格",
}

# Which detected formats an extension promises (no "format_mismatch" note when they agree).
EXTENSION_FORMATS: dict[str, frozenset[str]] = {
    ".xlsx": frozenset({"xlsx", "xlsm"}),
    ".xltx": frozenset({"xlsx", "xlsm"}),
    ".xlsm": frozenset({"xlsm", "xlsx"}),
    ".xltm": frozenset({"xlsm", "xlsx"}),
    ".xlsb": frozenset({"xlsb"}),
    ".xls": frozenset({"xls"}),
    ".xlt": frozenset({"xls"}),
    ".et": frozenset({"xls", "xlsx", "xlsm"}),  # WPS 表格
    ".ett": frozenset({"xls", "xlsx", "xlsm"}),
    ".ods": frozenset({"ods"}),
    ".ots": frozenset({"ods"}),
    ".csv": frozenset({"csv"}),
    ".tsv": frozenset({"csv"}),
    ".txt": frozenset({"csv"}),
    ".htm": frozenset({"html"}),
    ".html": frozenset({"html"}),
    ".mht": frozenset({"html"}),
    ".mhtml": frozenset({"html"}),
}
_ZIP_EXTENSIONS = {
    ".xlsx": "xlsx",
    ".xltx": "xlsx",
    ".xlsm": "xlsm",
    ".xltm": "xlsm",
    ".xlsb": "xlsb",
    ".ods": "ods",
}
_TABLE_TEXT_EXTENSIONS = {".csv", ".tsv"}
_CALAMINE_EXTENSIONS = {".xlsx", ".xlsm", ".xlsb", ".xls", ".ods"}

CFB_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_MB = 1024 * 1024

# ---------------------------------------------------------------------------------------------
# Discovery


def _is_lock_name(name: str) -> bool:
    return name.startswith("~$") or name.startswith(".~")


def _is_hidden(name: str, st: os.stat_result | None) -> bool:
    if name.startswith("."):
        return True
    attrs = getattr(st, "st_file_attributes", 0) if st is not None else 0
    return bool(attrs & getattr(stat, "FILE_ATTRIBUTE_HIDDEN", 0))


def _rel(path: Path, root: Path) -> str:
    try:
        return path.relative_to(root).as_posix()
    except ValueError:
        try:
            return Path(os.path.relpath(path, root)).as_posix()
        except ValueError:  # another drive on Windows
            return path.name


def _inside(path: Path, folder: Path) -> bool:
    return path == folder or folder in path.parents


def discover(input_dir: Path, exclude: Sequence[Path] = ()) -> tuple[list[Path], list[Problem]]:
    """All input files under ``input_dir`` in a deterministic order, and what was skipped and why.

    Skipped, each with a 提示: Excel/WPS lock files (``~$*``, ``.~*``), hidden files and folders,
    anything under ``exclude`` (e.g. the tool's own output folder), symlinks pointing outside the
    input folder (or to something already read), and special files (pipes, devices).
    """
    input_dir = Path(input_dir)
    problems: list[Problem] = []
    try:
        root_real = input_dir.resolve(strict=True)
    except (OSError, RuntimeError):
        problems.append(
            problem(
                "input_missing",
                f"输入文件夹不存在或无法打开：{input_dir}",
                "请检查配置中的输入文件夹路径，或先创建该文件夹并放入各社区报送的表格",
                file=str(input_dir),
            )
        )
        return [], problems
    if not root_real.is_dir():
        problems.append(
            problem(
                "input_missing",
                f"输入路径不是文件夹：{input_dir}",
                "请在配置中填写一个文件夹的路径",
                file=str(input_dir),
            )
        )
        return [], problems
    excluded: list[Path] = []
    for ex in exclude:
        try:
            excluded.append(Path(ex).resolve())
        except (OSError, RuntimeError):
            continue

    def note(code: str, message: str, rel: str, severity: Severity = "提示", fix: str = "") -> None:
        problems.append(problem(code, message, fix, severity=severity, file=rel))

    regular: list[tuple[Path, Path]] = []  # (path as found, real path)
    links: list[tuple[Path, Path]] = []

    def walk(folder: Path) -> None:
        try:
            with os.scandir(folder) as it:
                entries = sorted(it, key=lambda e: e.name)
        except OSError as exc:
            note(
                "walk_error",
                f"无法打开文件夹（{exc.strerror or exc}），其中的文件没有读取",
                _rel(folder, input_dir),
                "警告",
                "请检查该文件夹的访问权限",
            )
            return
        for entry in entries:
            path = Path(entry.path)
            rel = _rel(path, input_dir)
            name = entry.name
            try:
                lst = entry.stat(follow_symlinks=False)
            except OSError:
                lst = None
            if _is_lock_name(name):
                note("skipped_lock", "已跳过Excel/WPS临时锁定文件（文件正在被打开时自动生成，不是数据）", rel)
                continue
            if _is_hidden(name, lst):
                kind = "文件夹" if entry.is_dir(follow_symlinks=False) else "文件"
                note(
                    "skipped_hidden",
                    f"已跳过隐藏{kind}",
                    rel,
                    fix="如其中有需要读取的表格，请取消隐藏或改名（不以“.”开头）",
                )
                continue
            absolute = Path(os.path.abspath(path))
            if any(_inside(absolute, ex) or _inside(_safe_resolve(path), ex) for ex in excluded):
                note("skipped_excluded", "已跳过本工具的输出文件夹（或配置中排除的路径）", rel)
                continue
            if entry.is_symlink():
                try:
                    target = path.resolve(strict=True)
                except (OSError, RuntimeError):
                    note(
                        "symlink_broken",
                        "快捷方式（链接）指向的文件不存在，已跳过",
                        rel,
                        "警告",
                        "请放入实际文件而不是链接",
                    )
                    continue
                if not _inside(target, root_real):
                    note(
                        "symlink_outside",
                        "已跳过指向输入文件夹以外的快捷方式（链接），出于安全考虑不读取",
                        rel,
                        fix="如需读取，请把实际文件复制到输入文件夹中",
                    )
                    continue
                if target.is_dir():
                    note(
                        "symlink_duplicate",
                        "已跳过指向输入文件夹内部的文件夹链接（其中的文件已直接读取）",
                        rel,
                    )
                    continue
                links.append((path, target))
                continue
            if entry.is_dir(follow_symlinks=False):
                walk(path)
                continue
            if lst is not None and not stat.S_ISREG(lst.st_mode):
                note("skipped_special", "已跳过特殊文件（不是普通文件）", rel)
                continue
            regular.append((path, _safe_resolve(path)))

    walk(input_dir)
    seen = {real for _, real in regular}
    files = [p for p, _ in regular]
    for path, target in links:
        if target in seen:
            note(
                "symlink_duplicate",
                "已跳过快捷方式（链接）：它指向的文件已经读取，避免重复计数",
                _rel(path, input_dir),
            )
            continue
        if not target.is_file():
            note("skipped_special", "已跳过特殊文件（不是普通文件）", _rel(path, input_dir))
            continue
        seen.add(target)
        files.append(path)
    files.sort(key=lambda p: p.relative_to(input_dir).parts)
    return files, problems


def _safe_resolve(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError):
        return Path(os.path.abspath(path))


# ---------------------------------------------------------------------------------------------
# Small helpers


class _Rejected(Exception):
    """A pre-scan found the file unsafe or broken; carries the problem(s) to report."""

    def __init__(self, *problems: Problem, fmt: str | None = None) -> None:
        super().__init__(problems[0].message if problems else "")
        self.problems = list(problems)
        self.fmt = fmt


@dataclass
class _Ctx:
    rel: str
    limits: Limits
    problems: list[Problem] = field(default_factory=list)

    def add(
        self,
        code: str,
        message: str,
        fix: str = "",
        severity: Severity = "错误",
        sheet: str = "",
        value: Any = "",
    ) -> Problem:
        p = problem(code, message, fix, severity=severity, file=self.rel, sheet=sheet, value=value)
        self.problems.append(p)
        return p

    def make(
        self, code: str, message: str, fix: str = "", severity: Severity = "错误", sheet: str = ""
    ) -> Problem:
        return problem(code, message, fix, severity=severity, file=self.rel, sheet=sheet)


def _short(exc: BaseException, limit: int = 200) -> str:
    text = str(exc).strip().replace("\n", " ") or type(exc).__name__
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _fmt_cells(n: int) -> str:
    if n >= 10**12:
        return "超过1万亿"
    if n >= 100_000_000:
        return f"{n / 100_000_000:.1f}亿"
    if n >= 10_000:
        return f"{n / 10_000:.0f}万"
    return str(n)


def _col_letters_to_index(letters: bytes) -> int:
    letters = letters.upper()[:12]  # more letters than that is absurd anyway; keeps the number small
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _row_number(digits: bytes) -> int:
    return int(digits[:15])  # a bound, not the exact value, for absurdly long numbers


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(_MB), b""):
            digest.update(block)
    return digest.hexdigest()


def _clean_rows(rows: Sequence[Sequence[Any]]) -> list[list[Any]]:
    """'' -> None, trailing empty rows/columns trimmed, rows padded to one width."""
    out = [[None if (c is None or (isinstance(c, str) and c == "")) else c for c in row] for row in rows]
    while out and all(c is None for c in out[-1]):
        out.pop()
    width = 0
    for row in out:
        for i in range(len(row) - 1, width - 1, -1):
            if row[i] is not None:
                width = i + 1
                break
    return [row[:width] + [None] * (width - len(row)) if len(row) != width else row for row in out]


# ---------------------------------------------------------------------------------------------
# Format detection


@dataclass
class _Sniff:
    format: str
    kind: str = ""  # Chinese description of an unknown format
    zip_main: str = ""  # normalised (lower-case, '/') name of the workbook part (xlsx/xlsm/xlsb)
    cfb_stream: str = ""  # "Workbook"/"Book" (xls) or "EncryptedPackage"


_HTML_START = re.compile(rb"^(?:<!doctype\s+html|<html|<table|<head|<body|<meta|<title)", re.I)


def _text_head(head: bytes) -> str:
    """The first bytes as text, good enough to look for ASCII markers (tags, MIME headers)."""
    if head.startswith(codecs.BOM_UTF8):
        return head[3:].decode("utf-8", "replace")
    enc = _utf16_guess(head)
    if enc:
        return head.decode(enc, "replace").lstrip("\ufeff")
    return head.decode("latin-1")


def _utf16_guess(data: bytes) -> str | None:
    if data.startswith(codecs.BOM_UTF16_LE) or data.startswith(codecs.BOM_UTF16_BE):
        return "utf-16"
    sample = data[:4096]
    if len(sample) >= 4:
        even = sample[0::2].count(0)
        odd = sample[1::2].count(0)
        half = len(sample) // 2
        if odd > 0.3 * half and even < 0.05 * half:
            return "utf-16-le"
        if even > 0.3 * half and odd < 0.05 * half:
            return "utf-16-be"
    return None


def _looks_html(head: bytes) -> bool:
    text = _text_head(head).lstrip().lower()
    if _HTML_START.match(text.encode("ascii", "replace")):
        return True
    if text.startswith("<!--") or text.startswith("<?xml"):
        window = text[:4096]
        return "<html" in window or "<table" in window
    return False


def _looks_mhtml(head: bytes) -> bool:
    text = _text_head(head)[:4096].lower()
    return text.lstrip().startswith("mime-version:") and "multipart/" in text and "text/html" in text


def _zread(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """At most ``limit`` decompressed bytes of a member (a hostile member may be huge)."""
    with zf.open(name) as fh:
        return fh.read(limit)


def _zip_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Lower-cased, '/'-separated member name -> real member name."""
    return {info.filename.replace("\\", "/").lstrip("/").lower(): info.filename for info in zf.infolist()}


def _sniff_zip(zf: zipfile.ZipFile, ext: str) -> _Sniff:
    names = _zip_names(zf)
    ctypes = ""
    if "[content_types].xml" in names and zf.getinfo(names["[content_types].xml"]).file_size < 4 * _MB:
        ctypes = _zread(zf, names["[content_types].xml"], 4 * _MB).decode("utf-8", "replace")
    main = _ooxml_main_part(zf, names, ctypes)
    low_ct = ctypes.lower()
    if main:
        key = main.lower()
        if key.endswith(".bin"):
            return _Sniff("xlsb", zip_main=key)
        macro = "xl/vbaproject.bin" in names or any(n.endswith("vbaproject.bin") for n in names)
        if macro or "macroenabled.main+xml" in low_ct:
            return _Sniff("xlsm", zip_main=key)
        return _Sniff("xlsx", zip_main=key)
    if "mimetype" in names:
        mime = _zread(zf, names["mimetype"], 100).decode("ascii", "replace").strip()
        if mime.startswith("application/vnd.oasis.opendocument.spreadsheet") and "content.xml" in names:
            return _Sniff("ods")
        if mime.startswith("application/vnd.oasis.opendocument.text"):
            return _Sniff("unknown", kind="OpenDocument文字文档（不是表格）")
    if "content.xml" in names and "meta-inf/manifest.xml" in names:
        manifest = _zread(zf, names["meta-inf/manifest.xml"], 100_000).lower()
        if b"opendocument.spreadsheet" in manifest:
            return _Sniff("ods")
    if "word/document.xml" in names:
        return _Sniff("unknown", kind="Word文档（不是表格）")
    if any(n.startswith("ppt/") for n in names):
        return _Sniff("unknown", kind="PowerPoint演示文稿（不是表格）")
    return _Sniff("unknown", kind="压缩包（zip）")


def _ooxml_main_part(zf: zipfile.ZipFile, names: dict[str, str], ctypes: str) -> str:
    """Lower-cased member name of the spreadsheet's workbook part, or ''."""
    for candidate in ("xl/workbook.xml", "xl/workbook.bin"):
        if candidate in names:
            return candidate
    # The package may place the workbook elsewhere: follow the content types, then _rels/.rels.
    for m in re.finditer(r"<Override\b[^>]*>", ctypes, re.I):
        part = re.search(r'PartName="([^"]+)"', m.group(0))
        ctype = re.search(r'ContentType="([^"]+)"', m.group(0))
        if not part or not ctype:
            continue
        c = ctype.group(1).lower()
        is_main = c.endswith("sheet.main+xml") or c.endswith("template.main+xml") or c.endswith(".main")
        if ("spreadsheetml" in c or "ms-excel.sheet" in c or "ms-excel.template" in c) and is_main:
            key = part.group(1).lstrip("/").lower()
            if key in names:
                return key
    rels = names.get("_rels/.rels")
    if rels:
        text = _zread(zf, rels, 4 * _MB).decode("utf-8", "replace")
        for m in re.finditer(r"<Relationship\b[^>]*>", text, re.I):
            tag = m.group(0)
            if re.search(r'Type="[^"]*/officeDocument"', tag):
                target = re.search(r'Target="([^"]+)"', tag)
                if target:
                    key = target.group(1).lstrip("/").lower()
                    if (
                        key in names
                        and (key.endswith(".xml") or key.endswith(".bin"))
                        and (
                            "spreadsheetml" in ctypes.lower()
                            or "ms-excel" in ctypes.lower()
                            or "workbook" in key
                        )
                    ):
                        return key
    return ""


def _sniff(path: Path, head: bytes, ext: str) -> _Sniff:
    """The real format of a file, from its bytes. Raises _Rejected for a corrupt zip."""
    if not head:
        return _Sniff("empty")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06") or head.startswith(b"PK\x07\x08"):
        try:
            with zipfile.ZipFile(path) as zf:
                return _sniff_zip(zf, ext)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError) as exc:
            fmt = _ZIP_EXTENSIONS.get(ext, "unknown")
            raise _Rejected(
                problem(
                    "corrupt_zip",
                    f"文件已损坏或不完整，无法打开（{_short(exc)}）。常见原因：邮件附件或下载没有完整保存",
                    RESEND_FIX,
                ),
                fmt=fmt,
            ) from None
    if head.startswith(CFB_MAGIC):
        return _sniff_cfb(path)
    if head.startswith(b"%PDF"):
        return _Sniff("unknown", kind="PDF文件（不是表格）")
    if head.startswith(b"Rar!\x1a\x07") or head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return _Sniff("unknown", kind="压缩包（rar/7z）")
    if (
        head.startswith(b"\x89PNG")
        or head.startswith(b"\xff\xd8\xff")
        or head[:4] in (b"GIF8", b"II*\x00", b"MM\x00*")
    ):
        return _Sniff("unknown", kind="图片（不是表格）")
    if head.startswith(b"\x1f\x8b"):
        return _Sniff("unknown", kind="压缩包（gzip）")
    if _looks_mhtml(head):
        return _Sniff("html", kind="mhtml")
    if _looks_html(head):
        return _Sniff("html")
    text = _text_head(head).lstrip().lower()
    if text.startswith("<?xml") and "urn:schemas-microsoft-com:office:spreadsheet" in text[:8192]:
        return _Sniff("unknown", kind="Excel 2003 XML表格（.xml）")
    return _Sniff("csv")  # decided for real (csv or unknown) when the text is read


# ---------------------------------------------------------------------------------------------
# CFB (OLE2) container: enough to find streams and read one, robust against broken chains.


class _CfbError(Exception):
    pass


_ENDOFCHAIN = 0xFFFFFFFE
_MAXREGSECT = 0xFFFFFFFA


def _u32_array(raw: bytes) -> array.array[int]:
    arr = array.array("I")
    if arr.itemsize != 4:  # pragma: no cover - exotic platforms
        arr = array.array("L")
    arr.frombytes(raw[: len(raw) - len(raw) % 4])
    if sys.byteorder == "big":  # pragma: no cover
        arr.byteswap()
    return arr


class _Cfb:
    def __init__(self, data: bytes) -> None:
        if len(data) < 512 or not data.startswith(CFB_MAGIC):
            raise _CfbError("文件头不完整")
        self.data = data
        major = struct.unpack_from("<H", data, 0x1A)[0]
        shift = struct.unpack_from("<H", data, 0x1E)[0]
        if shift not in (9, 12):
            raise _CfbError(f"扇区大小无效（{shift}）")
        self.ss = 1 << shift
        self.mini_ss = 1 << struct.unpack_from("<H", data, 0x20)[0]
        first_dir = struct.unpack_from("<I", data, 0x30)[0]
        self.cutoff = struct.unpack_from("<I", data, 0x38)[0]
        self.first_minifat = struct.unpack_from("<I", data, 0x3C)[0]
        first_difat = struct.unpack_from("<I", data, 0x44)[0]
        self.nsectors = max(0, (len(data) - self.ss + self.ss - 1) // self.ss)
        difat = list(struct.unpack_from("<109I", data, 0x4C))
        sid = first_difat
        steps = 0
        while sid < _MAXREGSECT:
            steps += 1
            if steps > self.nsectors:
                raise _CfbError("DIFAT链循环")
            vals = _u32_array(self._sector(sid))
            difat.extend(vals[:-1])
            sid = vals[-1]
        fat = array.array(_u32_array(b"").typecode)
        for s in difat:
            if s < _MAXREGSECT and s < self.nsectors:
                fat.extend(_u32_array(self._sector(s)))
        self.fat = fat
        self.entries: list[tuple[str, int, int, int]] = []  # name, type, start, size
        raw = self._chain_bytes(first_dir, self.fat, self.ss, self._sector)
        for off in range(0, len(raw) - 127, 128):
            name_len = struct.unpack_from("<H", raw, off + 64)[0]
            etype = raw[off + 66]
            start = struct.unpack_from("<I", raw, off + 116)[0]
            size = struct.unpack_from("<Q", raw, off + 120)[0]
            if major == 3:
                size &= 0xFFFFFFFF
            name = raw[off : off + max(0, min(name_len, 64) - 2)].decode("utf-16-le", "replace")
            self.entries.append((name, etype, start, size))

    def _sector(self, sid: int) -> bytes:
        off = (sid + 1) * self.ss
        if sid >= _MAXREGSECT or off >= len(self.data):
            raise _CfbError(f"扇区 {sid} 超出文件末尾")
        chunk = self.data[off : off + self.ss]
        return chunk if len(chunk) == self.ss else chunk + b"\0" * (self.ss - len(chunk))

    def _chain_bytes(
        self, start: int, fat: Sequence[int], size: int, read: Any, limit: int | None = None
    ) -> bytes:
        out: list[bytes] = []
        sid = start
        total = 0
        n = len(fat)
        while sid != _ENDOFCHAIN:
            if sid >= n or len(out) > n:
                raise _CfbError("扇区链损坏")
            out.append(read(sid))
            total += size
            if limit is not None and total >= limit:
                break
            sid = fat[sid]
        return b"".join(out)

    def find(self, *names: str) -> tuple[str, int, int, int] | None:
        wanted = [n.lower() for n in names]
        for want in wanted:
            for entry in self.entries:
                if entry[1] == 2 and entry[0].lower() == want:
                    return entry
        return None

    def read(self, entry: tuple[str, int, int, int]) -> bytes:
        _, _, start, size = entry
        if size > len(self.data) * 2 + 4096:
            raise _CfbError("流大小超出文件大小")
        if size < self.cutoff:
            root = self.entries[0]
            ministream = self._chain_bytes(root[2], self.fat, self.ss, self._sector, root[3])
            minifat = _u32_array(self._chain_bytes(self.first_minifat, self.fat, self.ss, self._sector))

            def mini(sid: int) -> bytes:
                off = sid * self.mini_ss
                if off >= len(ministream):
                    raise _CfbError("迷你扇区超出范围")
                return ministream[off : off + self.mini_ss]

            return self._chain_bytes(start, minifat, self.mini_ss, mini, size)[:size]
        return self._chain_bytes(start, self.fat, self.ss, self._sector, size)[:size]


def _sniff_cfb(path: Path) -> _Sniff:
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        cfb = _Cfb(data)
    except (_CfbError, struct.error, IndexError, ValueError):
        # Let the parser have its say; it reports the damage in its own words.
        return _Sniff("xls")
    if cfb.find("EncryptedPackage") or cfb.find("EncryptionInfo"):
        return _Sniff("encrypted", cfb_stream="EncryptedPackage")
    entry = cfb.find("Workbook", "Book")
    if entry:
        return _Sniff("xls", cfb_stream=entry[0])
    names = {e[0].lower() for e in cfb.entries}
    if "worddocument" in names:
        return _Sniff("unknown", kind="Word 97-2003文档（不是表格）")
    if "powerpoint document" in names:
        return _Sniff("unknown", kind="PowerPoint演示文稿（不是表格）")
    return _Sniff("unknown", kind="Office复合文档（不是Excel表格）")


# ---------------------------------------------------------------------------------------------
# Pre-scans: reject what would blow up the parser, before the parser sees it.


@dataclass
class _Plan:
    """What the pre-scan decided: sheets to skip (by name) with their problems."""

    skip: dict[str, Problem] = field(default_factory=dict)


def _check_zip(path: Path, ctx: _Ctx) -> None:
    limits = ctx.limits
    try:
        with zipfile.ZipFile(path) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as exc:
        raise _Rejected(
            ctx.make("corrupt_zip", f"文件已损坏或不完整，无法打开（{_short(exc)}）", RESEND_FIX)
        ) from None
    total_u = sum(i.file_size for i in infos)
    total_c = sum(i.compress_size for i in infos)
    if total_u > limits.max_uncompressed_mb * _MB:
        raise _Rejected(
            ctx.make(
                "zip_too_large",
                f"文件解压后过大（{total_u / _MB:.0f} MB，上限 {limits.max_uncompressed_mb:g} MB），为防止程序卡死已拒绝读取",
                SPLIT_FIX,
            )
        )
    worst = max(
        (i.file_size / max(i.compress_size, 1) for i in infos if i.file_size > _MB),
        default=0.0,
    )
    ratio = total_u / max(total_c, 1) if total_u > _MB else 0.0
    if max(worst, ratio) > limits.max_compression_ratio:
        raise _Rejected(
            ctx.make(
                "zip_bomb",
                f"文件压缩比异常（约 {max(worst, ratio):.0f} 倍，上限 {limits.max_compression_ratio:g} 倍），"
                "疑似“压缩炸弹”或已损坏，为防止程序卡死已拒绝读取",
                RESEND_FIX,
            )
        )
    if any(i.flag_bits & 0x1 for i in infos):
        raise _Rejected(ctx.make("encrypted", PASSWORD_MESSAGE, PASSWORD_FIX), fmt="encrypted")


def _too_many_sheets(ctx: _Ctx, n: int) -> _Rejected:
    return _Rejected(
        ctx.make(
            "too_many_sheets",
            f"文件中的工作表太多（{n} 个，上限 {ctx.limits.max_sheets} 个），为防止程序卡死已拒绝读取",
            SPLIT_FIX,
        )
    )


def _sheet_too_large(
    ctx: _Ctx, sheet: str, rows: int, cols: int, declared: bool = False, whole_file: bool = False
) -> Problem:
    what = "声明的范围" if declared else "数据范围"
    skipped = "整个文件都没有读取（这种格式无法只跳过一个工作表）" if whole_file else "已跳过该工作表"
    return ctx.make(
        "sheet_too_large",
        f"工作表{what}过大（{rows} 行 × {cols} 列 = {_fmt_cells(rows * cols)} 个单元格，"
        f"上限 {_fmt_cells(ctx.limits.max_cells)} 个），为防止程序卡死{skipped}。"
        "常见原因：表格很远处（如最后一列或最后一行）有零星内容",
        "请打开该工作表，按 Ctrl+End 找到最远的单元格，删除多余的行和列后保存，再放入输入文件夹",
        sheet=sheet,
    )


def _xml_attr(attrs: str, name: str) -> str | None:
    m = re.search(r"(?:^|\s)(?:[\w.-]+:)?" + re.escape(name) + r'\s*=\s*("([^"]*)"|\'([^\']*)\')', attrs)
    if not m:
        return None
    return html.unescape(m.group(2) if m.group(2) is not None else (m.group(3) or ""))


def _ooxml_sheets(zf: zipfile.ZipFile, main: str) -> list[tuple[str, str]]:
    """(sheet name, zip member) in workbook order, for xlsx (xml) and xlsb (bin) workbooks."""
    names = _zip_names(zf)
    folder = main.rsplit("/", 1)[0] if "/" in main else ""
    base = main.rsplit("/", 1)[-1]
    rels_key = (f"{folder}/_rels/{base}.rels" if folder else f"_rels/{base}.rels").lower()
    targets: dict[str, str] = {}
    if rels_key in names:
        text = _zread(zf, names[rels_key], 8 * _MB).decode("utf-8", "replace")
        for m in re.finditer(r"<(?:\w+:)?Relationship\b([^>]*)>", text):
            rid = _xml_attr(m.group(1), "Id")
            target = _xml_attr(m.group(1), "Target")
            if rid and target:
                target = target.replace("\\", "/")
                if target.startswith("/"):
                    key = target.lstrip("/")
                else:
                    parts = (folder.split("/") if folder else []) + target.split("/")
                    stack: list[str] = []
                    for part in parts:
                        if part == "..":
                            if stack:
                                stack.pop()
                        elif part and part != ".":
                            stack.append(part)
                    key = "/".join(stack)
                targets[rid] = key.lower()
    sheets: list[tuple[str, str]] = []
    info = zf.getinfo(names[main])
    if main.lower().endswith(".bin"):
        data = _zread(zf, info.filename, 64 * _MB)
        for typ, payload in _xlsb_records(data):
            if typ == 0x9C and len(payload) >= 12:  # BrtBundleSh
                pos = 8
                rid, pos = _xlsb_wide(payload, pos, nullable=True)
                name, pos = _xlsb_wide(payload, pos)
                sheets.append((name, names.get(targets.get(rid, ""), "")))
    else:
        text = _zread(zf, info.filename, 64 * _MB).decode("utf-8", "replace")
        for m in re.finditer(r"<(?:\w+:)?sheet\s([^>]*)>", text):
            attrs = m.group(1)
            name = _xml_attr(attrs, "name") or ""
            rid = _xml_attr(attrs, "id") or ""
            sheets.append((name, names.get(targets.get(rid, ""), "")))
    return sheets


def _xlsb_wide(buf: bytes, pos: int, nullable: bool = False) -> tuple[str, int]:
    if pos + 4 > len(buf):
        return "", len(buf)
    n = struct.unpack_from("<I", buf, pos)[0]
    pos += 4
    if nullable and n == 0xFFFFFFFF:
        return "", pos
    n = min(n, (len(buf) - pos) // 2)
    return buf[pos : pos + 2 * n].decode("utf-16-le", "replace"), pos + 2 * n


def _xlsb_records(data: bytes) -> Iterator[tuple[int, bytes]]:
    pos, n = 0, len(data)
    while pos < n:
        b = data[pos]
        pos += 1
        typ = b & 0x7F
        if b & 0x80:
            if pos >= n:
                return
            typ |= (data[pos] & 0x7F) << 7
            pos += 1
        size = 0
        for i in range(4):
            if pos >= n:
                return
            b = data[pos]
            pos += 1
            size |= (b & 0x7F) << (7 * i)
            if not b & 0x80:
                break
        yield typ, data[pos : pos + size]
        pos += size


class _Stream:
    """Chunked reading of one zip member with a bounded look-back, for the extent scans."""

    def __init__(self, fh: IO[bytes], chunk: int = 4 * _MB) -> None:
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
            if cut <= 0 or len(buf) - cut > 1 * _MB:  # no boundary, or an absurdly long token
                tail = b""
                yield buf
            else:
                tail = buf[cut:]
                yield buf[:cut]


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


def _xlsx_extent(fh: IO[bytes], max_cells: int) -> tuple[int, int]:
    """(rows, cols) of the rectangle A1..last cell holding content in one worksheet XML (or an
    upper bound of it, when that bound is within ``max_cells``)."""
    max_row = max_col = 0
    odd = seen_data = False
    for buf in _Stream(fh).chunks(b"<"):
        rows = _XLSX_FAST_ROWS.findall(buf)
        if rows:
            max_row = max(max_row, max(map(int, rows)))
            max_col = max(max_col, max(map(_col_letters_to_index, set(_XLSX_FAST_COLS.findall(buf)))))
        if not odd:
            # any cell not in the strict form read above (another attribute order, no address, an
            # address past XFD or row 9999999, other quotes or whitespace), or a namespace prefix
            odd = buf.count(b"<c ") != len(rows) or _XLSX_ODD.search(buf) is not None
            if not seen_data and b"sheetData" in buf:
                seen_data = True
                odd = odd or b"<sheetData" not in buf
    if not odd and max_row * max_col <= max_cells:
        return max_row, max_col
    fh.seek(0)
    max_row = max_col = 0
    rless = False
    for buf in _Stream(fh).chunks(b"<"):
        for col_s, row_s in _XLSX_CELL.findall(buf):
            max_row = max(max_row, _row_number(row_s))
            max_col = max(max_col, _col_letters_to_index(col_s))
        if not rless and _XLSX_RLESS.search(buf):
            rless = True
    if rless:  # cells without an address: positions follow the order of <row>/<c>, as the parser does
        fh.seek(0)
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
    return max_row, max_col


def _xlsb_extent(fh: IO[bytes]) -> tuple[int, int]:
    """(rows, cols) of the rectangle A1..last value cell in one xlsb worksheet part."""
    max_row = max_col = 0
    row = 0
    buf = b""
    pos = 0
    skip = 0
    eof = False
    while True:
        if not eof and len(buf) - pos < 16:
            block = fh.read(4 * _MB)
            if not block:
                eof = True
            buf = buf[pos:] + block
            pos = 0
        if skip:
            step = min(skip, len(buf) - pos)
            pos += step
            skip -= step
            if skip and eof:
                break
            continue
        n = len(buf)
        if pos >= n:
            if eof:
                break
            continue
        start = pos
        b = buf[pos]
        pos += 1
        typ = b & 0x7F
        ok = True
        if b & 0x80:
            if pos < n:
                typ |= (buf[pos] & 0x7F) << 7
                pos += 1
            else:
                ok = False
        size = 0
        if ok:
            for i in range(4):
                if pos >= n:
                    ok = False
                    break
                b = buf[pos]
                pos += 1
                size |= (b & 0x7F) << (7 * i)
                if not b & 0x80:
                    break
        need = 4 if typ <= 0x0A else 0
        if not ok or pos + need > n:
            if eof:
                break
            pos = start
            block = fh.read(4 * _MB)
            if not block:
                eof = True
            buf = buf[pos:] + block
            pos = 0
            continue
        if typ == 0x0000 and size >= 4:  # BrtRowHdr
            row = struct.unpack_from("<I", buf, pos)[0]
            if row > 0x100000:  # the parser stops reading the sheet here
                break
        elif 0x02 <= typ <= 0x0A and size >= 4:  # value cells
            col = struct.unpack_from("<I", buf, pos)[0]
            max_row = max(max_row, row + 1)
            max_col = max(max_col, col + 1)
        elif typ == 0x0092:  # BrtEndSheetData
            break
        avail = n - pos
        if size <= avail:
            pos += size
        else:
            pos = n
            skip = size - avail
    return max_row, max_col


def _prescan_ooxml(path: Path, sniff: _Sniff, ctx: _Ctx) -> _Plan:
    plan = _Plan()
    try:
        with zipfile.ZipFile(path) as zf:
            sheets = _ooxml_sheets(zf, sniff.zip_main)
            if len(sheets) > ctx.limits.max_sheets:
                raise _too_many_sheets(ctx, len(sheets))
            binary = sniff.format == "xlsb"
            for name, member in sheets:
                if not member:
                    continue
                with zf.open(member) as fh:
                    rows, cols = _xlsb_extent(fh) if binary else _xlsx_extent(fh, ctx.limits.max_cells)
                if rows * cols > ctx.limits.max_cells:
                    plan.skip[name] = _sheet_too_large(ctx, name, rows, cols)
    except _Rejected:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError, struct.error, zlib.error) as exc:
        raise _Rejected(
            ctx.make("corrupt_zip", f"文件已损坏或不完整，无法打开（{_short(exc)}）", RESEND_FIX)
        ) from None
    return plan


_ODS_TOKEN = re.compile(
    rb"<(/?)(?:[\w.-]+:)?(table-row|table-cell|covered-table-cell|table)(?=[\s/>])([^>]*)>"
)
_ODS_ROWS_REP = re.compile(rb'number-rows-repeated\s*=\s*"(\d+)"')
_ODS_COLS_REP = re.compile(rb'number-columns-repeated\s*=\s*"(\d+)"')
_ODS_NAME = re.compile(rb'(?:^|\s)(?:[\w.-]+:)?name\s*=\s*"([^"]*)"')


def _prescan_ods(path: Path, ctx: _Ctx) -> None:
    """ODS: count tables and the content-holding extent of each, repeats included."""
    limits = ctx.limits
    try:
        with zipfile.ZipFile(path) as zf:
            names = _zip_names(zf)
            manifest = names.get("meta-inf/manifest.xml")
            if manifest and b"encryption-data" in _zread(zf, manifest, 4 * _MB):
                raise _Rejected(ctx.make("encrypted", PASSWORD_MESSAGE, PASSWORD_FIX), fmt="encrypted")
            content = names.get("content.xml")
            if not content:
                return
            tables = 0
            depth = 0  # nesting of <table:table> (sub-tables are part of their sheet)
            name = ""
            row = 0  # rows before the current one
            row_rep = 1
            col = 0
            row_max_col = 0
            max_row = max_col = 0
            in_cell_rep = 0
            cell_start = 0
            with zf.open(content) as fh:
                for buf in _Stream(fh).chunks(b"<"):
                    for m in _ODS_TOKEN.finditer(buf):
                        closing, tag, attrs = m.group(1), m.group(2), m.group(3)
                        if tag == b"table":
                            if closing:
                                depth -= 1
                                if depth == 0 and max_row * max_col > limits.max_cells:
                                    raise _Rejected(
                                        _sheet_too_large(ctx, name, max_row, max_col, whole_file=True)
                                    )
                            elif not attrs.endswith(b"/"):
                                depth += 1
                                if depth == 1:
                                    tables += 1
                                    if tables > limits.max_sheets:
                                        raise _too_many_sheets(ctx, tables)
                                    nm = _ODS_NAME.search(attrs)
                                    name = html.unescape(nm.group(1).decode("utf-8", "replace")) if nm else ""
                                    row = row_rep = col = row_max_col = max_row = max_col = 0
                            continue
                        if depth != 1:
                            continue
                        if tag == b"table-row":
                            if closing:
                                if row_max_col:
                                    max_row = max(max_row, row + row_rep)
                                    max_col = max(max_col, row_max_col)
                                    if max_row * max_col > limits.max_cells:
                                        raise _Rejected(
                                            _sheet_too_large(ctx, name, max_row, max_col, whole_file=True)
                                        )
                                row += row_rep
                            else:
                                rep = _ODS_ROWS_REP.search(attrs)
                                row_rep = max(1, int(rep.group(1))) if rep else 1
                                col = row_max_col = 0
                                if attrs.endswith(b"/"):
                                    row += row_rep
                            continue
                        # a cell
                        if closing:
                            if in_cell_rep:
                                row_max_col = max(row_max_col, cell_start + in_cell_rep)
                                in_cell_rep = 0
                            continue
                        rep = _ODS_COLS_REP.search(attrs)
                        n = max(1, int(rep.group(1))) if rep else 1
                        if attrs.endswith(b"/"):
                            if b"value-type" in attrs:
                                row_max_col = max(row_max_col, col + n)
                        else:
                            in_cell_rep = n
                            cell_start = col
                        col += n
    except _Rejected:
        raise
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, KeyError, zlib.error) as exc:
        raise _Rejected(
            ctx.make("corrupt_zip", f"文件已损坏或不完整，无法打开（{_short(exc)}）", RESEND_FIX)
        ) from None


_BIFF_CELLS = {0x0006, 0x00FD, 0x0203, 0x027E, 0x0201, 0x0205, 0x0204, 0x00D6, 0x0206, 0x0406}
_BIFF_MULTI = {0x00BD, 0x00BE}  # MULRK, MULBLANK: row, first col, ..., last col


def _prescan_xls(path: Path, sniff: _Sniff, ctx: _Ctx) -> None:
    """xls: encryption (FILEPASS), sheet count, and per sheet the declared DIMENSIONS and the real
    extent of the cell records (the parser allocates both)."""
    if not sniff.cfb_stream:
        return
    with open(path, "rb") as fh:
        data = fh.read()
    try:
        cfb = _Cfb(data)
        entry = cfb.find(sniff.cfb_stream)
        if entry is None:
            return
        stream = cfb.read(entry)
    except (_CfbError, struct.error, IndexError, ValueError):
        return  # the parser reports the damage itself
    n = len(stream)
    if n < 8:
        return
    rtype, rlen = struct.unpack_from("<HH", stream, 0)
    if rtype not in (0x0809, 0x0409, 0x0209, 0x0009):
        return
    biff8 = rlen >= 4 and struct.unpack_from("<H", stream, 4)[0] == 0x0600
    sheets: list[tuple[str, int]] = []
    pos = 4 + rlen
    while pos + 4 <= n:
        rtype, rlen = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4 : pos + 4 + rlen]
        pos += 4 + rlen
        if rtype == 0x000A:  # EOF of the globals
            break
        if rtype == 0x002F:  # FILEPASS
            raise _Rejected(ctx.make("encrypted", PASSWORD_MESSAGE, PASSWORD_FIX), fmt="encrypted")
        if rtype == 0x0085 and len(body) >= 7:  # BOUNDSHEET
            offset = struct.unpack_from("<I", body, 0)[0]
            dt_kind = body[5]
            cch = body[6]
            if biff8 and len(body) >= 8:
                raw = body[8:]
                label = (
                    raw[: 2 * cch].decode("utf-16-le", "replace")
                    if body[7] & 1
                    else raw[:cch].decode("latin-1")
                )
            else:
                label = body[7 : 7 + cch].decode("gb18030", "replace")
            sheets.append((label, offset if dt_kind == 0 else -1))
    if len(sheets) > ctx.limits.max_sheets:
        raise _too_many_sheets(ctx, len(sheets))
    for label, offset in sheets:
        if offset < 0 or offset + 4 > n:
            continue
        rows, cols, declared = _biff_extent(stream, offset, biff8)
        if rows * cols > ctx.limits.max_cells:
            raise _Rejected(_sheet_too_large(ctx, label, rows, cols, whole_file=True))
        if declared[0] * declared[1] > ctx.limits.max_cells:
            raise _Rejected(
                _sheet_too_large(ctx, label, declared[0], declared[1], declared=True, whole_file=True)
            )


def _biff_extent(stream: bytes, pos: int, biff8: bool) -> tuple[int, int, tuple[int, int]]:
    n = len(stream)
    depth = 0
    max_row = max_col = 0
    declared = (0, 0)
    while pos + 4 <= n:
        rtype, rlen = struct.unpack_from("<HH", stream, pos)
        body_at = pos + 4
        pos = body_at + rlen
        if rtype in (0x0809, 0x0409, 0x0209, 0x0009):
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


# ---------------------------------------------------------------------------------------------
# Excel-family reading with python-calamine


def _read_calamine(path: Path, fmt: str, plan: _Plan, ctx: _Ctx) -> list[RawSheet]:
    import python_calamine as pc

    try:
        if (
            fmt in EXTENSION_FORMATS.get(path.suffix.lower(), ())
            and path.suffix.lower() in _CALAMINE_EXTENSIONS
        ):
            wb = pc.CalamineWorkbook.from_path(str(path))  # gives the most specific error messages
        else:
            # The parser picks its reader by extension; an xlsx renamed .xls (or a WPS .et) is
            # read by content instead.
            with open(path, "rb") as fh:
                wb = pc.CalamineWorkbook.from_filelike(fh)
    except (KeyboardInterrupt, SystemExit):
        raise
    except BaseException as exc:  # noqa: B036 - pyo3 panics derive from BaseException
        if isinstance(exc, pc.PasswordError) or "password" in str(exc).lower():
            raise _Rejected(ctx.make("encrypted", PASSWORD_MESSAGE, PASSWORD_FIX), fmt="encrypted") from None
        raise _Rejected(
            ctx.make(
                "unreadable", f"文件无法读取：文件内容已损坏或格式不受支持（{_short(exc)}）", UNREADABLE_FIX
            )
        ) from None
    sheets: list[RawSheet] = []
    with wb:
        metas = list(wb.sheets_metadata)
        if len(metas) > ctx.limits.max_sheets:
            raise _too_many_sheets(ctx, len(metas))
        for index, meta in enumerate(metas):
            name = meta.name
            hidden = meta.visible != pc.SheetVisibleEnum.Visible
            if name in plan.skip:
                ctx.problems.append(plan.skip.pop(name))
                continue
            if meta.typ == pc.SheetTypeEnum.ChartSheet:
                ctx.add("chart_sheet", "图表工作表，没有单元格数据，已跳过", severity="提示", sheet=name)
                continue
            try:
                sheet = wb.get_sheet_by_index(index)
                end = sheet.end
                if end is None:
                    sheets.append(RawSheet(ctx.rel, name, [], hidden))
                    continue
                rows_n, cols_n = end[0] + 1, end[1] + 1
                if rows_n * cols_n > ctx.limits.max_cells:
                    ctx.problems.append(_sheet_too_large(ctx, name, rows_n, cols_n))
                    continue
                grid = sheet.to_python(skip_empty_area=False)
            except (KeyboardInterrupt, SystemExit):
                raise
            except BaseException as exc:  # noqa: B036
                ctx.add(
                    "sheet_unreadable",
                    f"工作表无法读取：内容已损坏或格式不受支持（{_short(exc)}），其他工作表照常读取",
                    UNREADABLE_FIX,
                    sheet=name,
                )
                continue
            sheets.append(RawSheet(ctx.rel, name, _clean_rows(grid), hidden))
    for leftover in plan.skip.values():  # oversized sheets the parser did not list
        ctx.problems.append(leftover)
    return sheets


# ---------------------------------------------------------------------------------------------
# Text: decoding, CSV


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


def _not_text(ctx: _Ctx) -> _Rejected:
    return _Rejected(
        ctx.make(
            "unknown_format",
            "文件格式无法识别（不是表格，也不是文本文件）",
            "请放入Excel表格（.xlsx/.xls）或CSV文件",
        ),
        fmt="unknown",
    )


_SINGLE_BYTE = {"latin-1", "iso8859-1", "cp1252", "ascii"}


def _decode(data: bytes, ctx: _Ctx, declared: str | None = None) -> tuple[str, str]:
    """Bytes -> (text, encoding name): BOM (UTF-8/UTF-16), UTF-16 by its NUL pattern, then the
    declared charset, UTF-8 and GB18030 (a superset of GBK/GB2312). Warns when bytes had to be
    replaced or NULs stripped; rejects what is not text at all."""
    text: str | None = None
    enc = ""
    lossy = False
    if data.startswith(codecs.BOM_UTF8):
        try:
            text, enc = data.decode("utf-8-sig"), "utf-8-sig"
        except UnicodeDecodeError:
            pass
    if text is None:
        guess = _utf16_guess(data)
        if guess:
            enc = guess
            try:
                text = data.decode(guess)
            except UnicodeDecodeError:
                text, lossy = data.decode(guess, "replace"), True
            text = text.lstrip("\ufeff")
    if text is None:
        candidates = ["utf-8", "gb18030"]
        norm = _norm_encoding(declared) if declared else None
        if norm in candidates:
            candidates.remove(norm)
        if norm and norm in _SINGLE_BYTE:
            candidates.append(norm)  # decodes anything: only when nothing else does
        elif norm:
            candidates.insert(0, norm)
        for cand in candidates:
            try:
                text, enc = data.decode(cand), cand
                break
            except (UnicodeDecodeError, LookupError):
                continue
        if text is None:
            enc = _best_lossy(data, candidates)
            text, lossy = data.decode(enc, "replace"), True
    if _looks_binary(text):
        raise _not_text(ctx)
    if lossy:
        ctx.add(
            "encoding_replaced",
            f"文件中有无法识别的字符（按 {enc} 解码），已用“\ufffd”代替，可能有乱码",
            "请用Excel打开该文件检查，另存为 .xlsx 后重新放入输入文件夹",
            severity="警告",
        )
    if "\x00" in text:
        count = text.count("\x00")
        text = text.replace("\x00", "")
        ctx.add(
            "nul_bytes",
            f"文件中有 {count} 个空字符（NUL），已删除后读取",
            "一般无需处理；如发现内容缺失，请让报送单位重新导出该文件",
            severity="警告",
        )
    return text, enc


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


def _read_csv(path: Path, ctx: _Ctx, ext: str) -> tuple[str, list[RawSheet], str | None]:
    """Returns (format, sheets, encoding)."""
    with open(path, "rb") as fh:
        data = fh.read()
    text, enc = _decode(data, ctx)
    del data
    lines_long = max((len(line) for line in text.splitlines()), default=0)
    if lines_long > ctx.limits.max_csv_line_chars:
        raise _Rejected(
            ctx.make(
                "csv_line_too_long",
                f"文本文件中有一行过长（{lines_long} 个字符，上限 {ctx.limits.max_csv_line_chars} 个），"
                "可能不是表格或已损坏，已拒绝读取",
                UNREADABLE_FIX,
            ),
            fmt="csv",
        )
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
        raise _Rejected(
            ctx.make(
                "not_a_table",
                "文本文件不是表格（没有找到逗号、制表符等分隔的列），没有读取",
                "如果这是要报送的数据，请放入Excel表格（.xlsx/.xls）或CSV文件",
                severity="错误" if claims_sheet else "提示",
            ),
            fmt="unknown",
        )
    rows: list[list[Any]] = []
    width = 0
    try:
        for record in csv.reader(io.StringIO(body, newline=""), delimiter=delim, strict=False):
            rows.append([None if v == "" else v for v in record])
            width = max(width, len(record))
            if len(rows) * width > ctx.limits.max_cells:
                raise _Rejected(_sheet_too_large(ctx, path.stem, len(rows), width), fmt="csv")
    except csv.Error as exc:
        raise _Rejected(
            ctx.make("unreadable", f"文件无法读取：CSV格式错误（{_short(exc)}）", UNREADABLE_FIX), fmt="csv"
        ) from None
    return "csv", [RawSheet(ctx.rel, path.stem, _clean_rows(rows))], enc


# ---------------------------------------------------------------------------------------------
# HTML tables


class _Table:
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


def _html_documents(path: Path, sniff: _Sniff, ctx: _Ctx) -> tuple[list[str], str]:
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
                        f"网页中有一部分无法解码，已跳过（{_short(exc)}）",
                        UNREADABLE_FIX,
                        "警告",
                    )
        return docs, ",".join(sorted({c for c in charsets if c})) or "mhtml"
    text, enc = _decode(data, ctx, declared=_html_charset(data))
    return [text], enc


def _read_html(path: Path, sniff: _Sniff, ctx: _Ctx) -> tuple[list[RawSheet], str]:
    docs, enc = _html_documents(path, sniff, ctx)
    tables: list[_Table] = []
    for doc in docs:
        parser = _TableParser()
        try:
            parser.feed(doc)
            parser.close()
        except (AssertionError, ValueError, IndexError) as exc:  # very broken markup
            raise _Rejected(
                ctx.make("unreadable", f"文件无法读取：网页格式错误（{_short(exc)}）", UNREADABLE_FIX),
                fmt="html",
            ) from None
        for table in parser.stack:
            table.end_cell()
        tables.extend(parser.tables)
        if len(tables) > ctx.limits.max_sheets:
            raise _too_many_sheets(ctx, len(tables))
    if not tables:
        raise _Rejected(
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
            ctx.problems.append(_sheet_too_large(ctx, name, table.nrows, table.ncols))
            continue
        sheets.append(RawSheet(ctx.rel, name, _clean_rows(table.grid())))
    return sheets, enc


# ---------------------------------------------------------------------------------------------
# One file


def read_file(path: Path, root: Path, limits: Limits) -> FileResult:
    """Read one input file into raw sheets. Never raises: every failure is a problem."""
    path = Path(path)
    ctx = _Ctx(_rel(path, Path(root)), limits)
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
            digest = _sha256(path)
        except OSError:
            digest = ""
        ctx.add(
            "unreadable",
            f"文件无法读取：读取时出现意外错误（{type(exc).__name__}: {_short(exc)}）",
            UNREADABLE_FIX,
        )
        return FileResult(ctx.rel, "unknown", size, digest, [], ctx.problems)


def _read_file(path: Path, ctx: _Ctx) -> FileResult:
    limits = ctx.limits
    try:
        size = path.stat().st_size
        digest = _sha256(path)
        with open(path, "rb") as fh:
            head = fh.read(65536)
    except OSError as exc:
        ctx.add(
            "unreadable",
            f"文件无法读取：无法打开文件（{exc.strerror or _short(exc)}）",
            "请确认文件没有被其他程序占用、有读取权限，然后重新运行",
        )
        return FileResult(ctx.rel, "unknown", 0, "", [], ctx.problems)
    ext = path.suffix.lower()

    def result(fmt: str, sheets: list[RawSheet] | None = None, encoding: str | None = None) -> FileResult:
        sheets = sheets or []
        if sheets and all(not s.rows for s in sheets):
            ctx.add("all_sheets_empty", "文件中的工作表都是空的，没有任何数据", RESEND_FIX, severity="警告")
        return FileResult(ctx.rel, fmt, size, digest, sheets, ctx.problems, encoding)

    if size == 0:
        ctx.add(
            "empty_file", "文件是空的（0 字节），没有任何内容。常见原因：邮件附件没有下载完整", RESEND_FIX
        )
        return result("empty")
    if size > limits.max_file_mb * _MB:
        ctx.add(
            "file_too_large",
            f"文件过大（{size / _MB:.1f} MB，上限 {limits.max_file_mb:g} MB），为防止程序卡死已拒绝读取",
            SPLIT_FIX,
        )
        return result("unknown")

    fmt = "unknown"
    try:
        sniff = _sniff(path, head, ext)
        fmt = sniff.format
        if fmt == "encrypted":
            ctx.add("encrypted", PASSWORD_MESSAGE, PASSWORD_FIX)
            return result("encrypted")
        if fmt == "unknown":
            kind = sniff.kind or "未知格式"
            ctx.add(
                "unknown_format",
                f"文件格式无法识别为表格：实际是{kind}，没有读取",
                "Excel 2003 XML表格请用Excel打开后另存为 .xlsx；压缩包请先解压再放入输入文件夹；其他文件请确认是否发错了"
                if "XML" in kind or "压缩包" in kind
                else "请确认是否发错了文件；报送数据请使用Excel表格（.xlsx/.xls）或CSV文件",
            )
            return result("unknown")
        if fmt in EXCEL_FORMATS:
            plan = _Plan()
            if fmt in ("xlsx", "xlsm", "xlsb", "ods"):
                _check_zip(path, ctx)
            if fmt in ("xlsx", "xlsm", "xlsb"):
                plan = _prescan_ooxml(path, sniff, ctx)
            elif fmt == "ods":
                _prescan_ods(path, ctx)
            else:
                _prescan_xls(path, sniff, ctx)
            _note_mismatch(ctx, ext, fmt)
            sheets = _read_calamine(path, fmt, plan, ctx)
            return result(fmt, sheets)
        if fmt == "html":
            _note_mismatch(ctx, ext, fmt)
            sheets, enc = _read_html(path, sniff, ctx)
            return result(fmt, sheets, enc)
        fmt, sheets, encoding = _read_csv(path, ctx, ext)
        _note_mismatch(ctx, ext, fmt)
        return result(fmt, sheets, encoding)
    except _Rejected as rej:
        ctx.problems.extend(p if p.file else dataclasses.replace(p, file=ctx.rel) for p in rej.problems)
        fmt = rej.fmt or fmt
        if rej.fmt == "encrypted":
            ctx.problems[:] = [p for p in ctx.problems if p.code != "format_mismatch"]
        return result(fmt)


def _note_mismatch(ctx: _Ctx, ext: str, fmt: str) -> None:
    expected = EXTENSION_FORMATS.get(ext)
    if expected is not None and fmt in expected:
        return
    shown = ext or "（无扩展名）"
    ctx.add(
        "format_mismatch",
        f"文件扩展名是 {shown}，但实际格式是{FORMAT_LABELS.get(fmt, fmt)}，已按实际格式读取"
        + ("（系统导出的表格常见这种情况）" if fmt == "html" else ""),
        "一般无需处理；如需在Excel中编辑，建议打开后另存为 .xlsx",
        severity="提示",
    )


# ---------------------------------------------------------------------------------------------
# Isolation: Excel-family files are parsed in a worker process with a time (and memory) limit.


def _memory_budget(limits: Limits) -> int:
    """Extra address space the worker may use: room for the largest allowed sheet, as the
    parser's cells, the Python objects and the pickled result."""
    return int(1024 * _MB + limits.max_cells * 160)


def _set_memory_limit(extra: int) -> None:
    try:
        import resource
    except ImportError:  # Windows: only the time limit applies
        return
    try:
        with open("/proc/self/statm") as fh:
            current = int(fh.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return  # no reliable baseline (e.g. macOS): do not risk starving the worker
    limit = current + extra
    try:
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ValueError, OSError):
        pass


def _worker_main(conn: Any, extra_memory: int) -> None:
    # A parser that dies on a hostile file must not spill a Rust backtrace into the user's console;
    # the failure is reported as a problem by the parent.
    os.environ["RUST_BACKTRACE"] = "0"
    if os.name == "posix":
        try:
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, 2)
            os.close(devnull)
        except OSError:
            pass
    _set_memory_limit(extra_memory)
    conn.send(_READY)
    while True:
        try:
            msg = conn.recv()
        except (EOFError, OSError):
            return
        if msg is None:
            return
        path, root, limits = msg
        try:
            result = read_file(path, root, limits)
        except MemoryError:
            result = None
        try:
            conn.send(result)
        except MemoryError:
            conn.send(None)


def _mp_context() -> Any:
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("forkserver" if "forkserver" in methods else "spawn")


_READY = "ready"
_WORKER_START_SECONDS = 60.0


class _WorkerUnavailable(Exception):
    """No worker process can be started here (e.g. ``__main__`` cannot be imported by spawn)."""


class _IsolatedReader:
    """One reusable worker process; replaced when a file kills or hangs it. When no worker can
    start at all, files are read in-process (the pre-scan guards still apply) instead of every
    file being reported unreadable."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.proc: Any = None
        self.conn: Any = None
        self.unavailable = False

    def _start(self) -> None:
        ctx = _mp_context()
        parent, child = ctx.Pipe()
        proc = ctx.Process(target=_worker_main, args=(child, _memory_budget(self.limits)), daemon=True)
        proc.start()
        child.close()
        self.proc, self.conn = proc, parent
        try:
            ready = parent.poll(_WORKER_START_SECONDS) and parent.recv() == _READY
        except (EOFError, OSError):
            ready = False
        if not ready:
            self._stop(kill=True)
            self.unavailable = True
            raise _WorkerUnavailable

    def _stop(self, kill: bool) -> None:
        if self.proc is None:
            return
        try:
            if not kill:
                self.conn.send(None)
                self.proc.join(5)
            if self.proc.is_alive():
                self.proc.kill()
                self.proc.join(5)
        except (OSError, ValueError, BrokenPipeError):
            pass
        finally:
            try:
                self.conn.close()
            except OSError:
                pass
            self.proc = self.conn = None

    def close(self) -> None:
        self._stop(kill=False)

    def __enter__(self) -> _IsolatedReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def read(self, path: Path, root: Path, timeout_s: float) -> FileResult:
        path, root = Path(path), Path(root)
        if self.unavailable:
            return read_file(path, root, self.limits)
        try:
            if self.proc is None or not self.proc.is_alive():
                self._stop(kill=True)
                self._start()
            self.conn.send((path, root, self.limits))
        except (OSError, ValueError, BrokenPipeError, _WorkerUnavailable):
            self._stop(kill=True)
            return read_file(path, root, self.limits)  # no worker possible: read in-process
        reason = ""
        try:
            if self.conn.poll(timeout_s):
                result = self.conn.recv()
                if isinstance(result, FileResult):
                    return result
                reason = "读取时内存不足（文件过大或已损坏）"
            else:
                reason = f"读取超时（超过 {timeout_s:.0f} 秒），文件可能过大或已损坏"
                self._stop(kill=True)
        except (EOFError, OSError):
            self.proc.join(5)
            code = self.proc.exitcode
            reason = f"读取时解析程序异常退出（退出码 {code}），文件可能已损坏或过大"
            self._stop(kill=True)
        return _failed_result(path, root, reason)


def _failed_result(path: Path, root: Path, reason: str) -> FileResult:
    rel = _rel(path, root)
    try:
        size = path.stat().st_size
        digest = _sha256(path)
        with open(path, "rb") as fh:
            head = fh.read(65536)
        try:
            fmt = _sniff(path, head, path.suffix.lower()).format
        except _Rejected as rej:
            fmt = rej.fmt or "unknown"
    except OSError:
        size, digest, fmt = 0, "", "unknown"
    p = problem("unreadable", f"文件无法读取：{reason}", UNREADABLE_FIX, file=rel)
    return FileResult(rel, fmt, size, digest, [], [p])


def read_file_isolated(path: Path, root: Path, limits: Limits, timeout_s: float = 120.0) -> FileResult:
    """:func:`read_file` in a separate process, killed after ``timeout_s`` seconds (and, on POSIX,
    limited in memory), so a file that crashes or hangs the parser costs only that file."""
    with _IsolatedReader(limits) as reader:
        return reader.read(path, root, timeout_s)


def _timeout_for(path: Path) -> float:
    try:
        size_mb = path.stat().st_size / _MB
    except OSError:
        size_mb = 0.0
    return 60.0 + 3.0 * size_mb


def _needs_isolation(path: Path) -> bool:
    try:
        with open(path, "rb") as fh:
            head = fh.read(8)
    except OSError:
        return False
    return head.startswith(b"PK") or head.startswith(CFB_MAGIC)


def default_workers() -> int:
    """Reader processes for :func:`read_all`: one per core this process may run on; the
    environment variable ``SCREENING_WORKERS`` overrides (1 = read one file at a time)."""
    env = os.environ.get("SCREENING_WORKERS", "").strip()
    if env.isdigit() and int(env) > 0:
        return int(env)
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def read_all(
    input_dir: Path,
    limits: Limits,
    exclude: Sequence[Path] = (),
    *,
    workers: int | None = None,
    on_file: Callable[[FileResult], None] | None = None,
) -> tuple[list[FileResult], list[Problem]]:
    """Discover and read every input file.

    Returns the results in discovery order and the discovery problems (skipped files and
    folders); each file's own problems are in its :attr:`FileResult.problems`.
    Excel-family files (zip or OLE2 containers) are parsed in an isolated worker process. With
    several ``workers`` (default: one per core) every file is read in one of that many isolated
    worker processes, largest files first; the results are the same as reading one at a time.
    ``on_file`` is called (from one thread at a time) after each file, e.g. for a progress display.
    """
    input_dir = Path(input_dir)
    paths, problems = discover(input_dir, exclude)
    n = default_workers() if workers is None else max(1, workers)
    n = min(n, len(paths))
    if n <= 1:
        results: list[FileResult] = []
        reader = _IsolatedReader(limits)
        try:
            for path in paths:
                if _needs_isolation(path):
                    results.append(reader.read(path, input_dir, _timeout_for(path)))
                else:
                    results.append(read_file(path, input_dir, limits))
                if on_file is not None:
                    on_file(results[-1])
        finally:
            reader.close()
        return results, problems
    return _read_parallel(paths, input_dir, limits, n, on_file), problems


def _file_size(path: Path) -> int:
    try:
        return path.stat().st_size
    except OSError:
        return 0


def _read_parallel(
    paths: Sequence[Path], root: Path, limits: Limits, n: int, on_file: Callable[[FileResult], None] | None
) -> list[FileResult]:
    import threading

    slots: list[FileResult | None] = [None] * len(paths)
    # Largest first, so that one big file does not start last and keep one core busy alone.
    pending = iter(sorted(range(len(paths)), key=lambda i: -_file_size(paths[i])))
    lock = threading.Lock()
    errors: list[BaseException] = []

    def work() -> None:
        reader = _IsolatedReader(limits)
        try:
            while True:
                with lock:
                    i = next(pending, None)
                if i is None or errors:
                    return
                path = paths[i]
                result = reader.read(path, root, _timeout_for(path))
                slots[i] = result
                if on_file is not None:
                    with lock:
                        on_file(result)
        except BaseException as exc:  # re-raised in the caller's thread
            errors.append(exc)
        finally:
            reader.close()

    threads = [threading.Thread(target=work, name=f"screening-reader-{k}", daemon=True) for k in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    if errors:
        raise errors[0]
    return [r if r is not None else _failed_result(p, root, "读取被中断") for r, p in zip(slots, paths, strict=True)]
