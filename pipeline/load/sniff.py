"""The real format of an input file, from its bytes, never from its name.

Takes a path (or, for an email attachment, the bytes themselves), its first bytes and its
extension; gives a :class:`Sniff`: the format ("xlsx", "xlsm", "xlsb", "xls", "ods", "xml" (Excel 2003
XML), "html", "csv", "encrypted", "empty" or "unknown") and what the readers need next (the workbook
part of a zip package, the workbook stream of a CFB file, a
Chinese description of a format that is not a table). Looks inside zip packages (content types,
relationships, ODF mimetype) and CFB directories, and at HTML/MHTML/XML markers in the head.
Reads only small, bounded parts of a file; raises :class:`Rejected` for a corrupt zip; never
parses a sheet.
"""

from __future__ import annotations

import codecs
import io
import re
import struct
import zipfile
from dataclasses import dataclass
from pathlib import Path

from pipeline.load.cfb import CFB_MAGIC, Cfb, CfbError
from pipeline.load.common import MB, RESEND_FIX, Rejected, short_error
from pipeline.problems import problem

_ZIP_EXTENSIONS = {
    ".xlsx": "xlsx",
    ".xltx": "xlsx",
    ".xlsm": "xlsm",
    ".xltm": "xlsm",
    ".xlsb": "xlsb",
    ".ods": "ods",
}


@dataclass
class Sniff:
    """What the bytes say a file is, and where its workbook is."""

    format: str
    kind: str = ""  # Chinese description of an unknown format
    zip_main: str = ""  # normalised (lower-case, '/') name of the workbook part (xlsx/xlsm/xlsb)
    cfb_stream: str = ""  # "Workbook"/"Book" (xls) or "EncryptedPackage"


_HTML_START = re.compile(rb"^(?:<!doctype\s+html|<html|<table|<head|<body|<meta|<title)", re.I)


def _text_head(head: bytes) -> str:
    """The first bytes as text, good enough to look for ASCII markers (tags, MIME headers)."""
    if head.startswith(codecs.BOM_UTF8):
        return head[3:].decode("utf-8", "replace")
    enc = utf16_guess(head)
    if enc:
        return head.decode(enc, "replace").lstrip("\ufeff")
    return head.decode("latin-1")


def utf16_guess(data: bytes) -> str | None:
    """ "utf-16" for a UTF-16 BOM, else the byte order that the NUL pattern of mostly-ASCII UTF-16
    text shows, else None."""
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


def zread(zf: zipfile.ZipFile, name: str, limit: int) -> bytes:
    """At most ``limit`` decompressed bytes of a member (a hostile member may be huge)."""
    with zf.open(name) as fh:
        return fh.read(limit)


def zip_names(zf: zipfile.ZipFile) -> dict[str, str]:
    """Lower-cased, '/'-separated member name -> real member name."""
    return {info.filename.replace("\\", "/").lstrip("/").lower(): info.filename for info in zf.infolist()}


def _sniff_zip(zf: zipfile.ZipFile, ext: str) -> Sniff:
    names = zip_names(zf)
    ctypes = ""
    if "[content_types].xml" in names and zf.getinfo(names["[content_types].xml"]).file_size < 4 * MB:
        ctypes = zread(zf, names["[content_types].xml"], 4 * MB).decode("utf-8", "replace")
    main = _ooxml_main_part(zf, names, ctypes)
    low_ct = ctypes.lower()
    if main:
        key = main.lower()
        if key.endswith(".bin"):
            return Sniff("xlsb", zip_main=key)
        macro = "xl/vbaproject.bin" in names or any(n.endswith("vbaproject.bin") for n in names)
        if macro or "macroenabled.main+xml" in low_ct:
            return Sniff("xlsm", zip_main=key)
        return Sniff("xlsx", zip_main=key)
    if "mimetype" in names:
        mime = zread(zf, names["mimetype"], 100).decode("ascii", "replace").strip()
        if mime.startswith("application/vnd.oasis.opendocument.spreadsheet") and "content.xml" in names:
            return Sniff("ods")
        if mime.startswith("application/vnd.oasis.opendocument.text"):
            return Sniff("unknown", kind="OpenDocument文字文档（不是表格）")
    if "content.xml" in names and "meta-inf/manifest.xml" in names:
        manifest = zread(zf, names["meta-inf/manifest.xml"], 100_000).lower()
        if b"opendocument.spreadsheet" in manifest:
            return Sniff("ods")
    if "word/document.xml" in names:
        return Sniff("unknown", kind="Word文档（不是表格）")
    if any(n.startswith("ppt/") for n in names):
        return Sniff("unknown", kind="PowerPoint演示文稿（不是表格）")
    return Sniff("unknown", kind="压缩包（zip）")


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
        text = zread(zf, rels, 4 * MB).decode("utf-8", "replace")
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


def sniff_format(path: Path, head: bytes, ext: str) -> Sniff:
    """The real format of a file, from its bytes. Raises Rejected for a corrupt zip."""
    return _sniff(path, head, ext)


def sniff_bytes(data: bytes, ext: str) -> Sniff:
    """The real format of bytes held in memory (an email attachment, a member of a zip file): the
    same tests as :func:`sniff_format`. Raises Rejected for a corrupt zip."""
    return _sniff(io.BytesIO(data), data[:65536], ext)


def _sniff(source: Path | io.BytesIO, head: bytes, ext: str) -> Sniff:
    if not head:
        return Sniff("empty")
    if head.startswith(b"PK\x03\x04") or head.startswith(b"PK\x05\x06") or head.startswith(b"PK\x07\x08"):
        try:
            with zipfile.ZipFile(source) as zf:
                return _sniff_zip(zf, ext)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError) as exc:
            fmt = _ZIP_EXTENSIONS.get(ext, "unknown")
            raise Rejected(
                problem(
                    "corrupt_zip",
                    f"文件已损坏或不完整，无法打开（{short_error(exc)}）。常见原因：邮件附件或下载没有完整保存",
                    RESEND_FIX,
                ),
                fmt=fmt,
            ) from None
    if head.startswith(CFB_MAGIC):
        return _sniff_cfb(source)
    if head.startswith(b"%PDF"):
        return Sniff("unknown", kind="PDF文件（不是表格）")
    if head.startswith(b"Rar!\x1a\x07") or head.startswith(b"7z\xbc\xaf\x27\x1c"):
        return Sniff("unknown", kind="压缩包（rar/7z）")
    if (
        head.startswith(b"\x89PNG")
        or head.startswith(b"\xff\xd8\xff")
        or head[:4] in (b"GIF8", b"II*\x00", b"MM\x00*")
    ):
        return Sniff("unknown", kind="图片（不是表格）")
    if head.startswith(b"\x1f\x8b"):
        return Sniff("unknown", kind="压缩包（gzip）")
    if _looks_mhtml(head):
        return Sniff("html", kind="mhtml")
    if _looks_spreadsheetml(head):  # before HTML: its <Table> elements would look like a web page's
        return Sniff("xml")
    if _looks_html(head):
        return Sniff("html")
    return Sniff("csv")  # decided for real (csv or unknown) when the text is read


def _looks_spreadsheetml(head: bytes) -> bool:
    """Excel 2003 XML: an XML document whose head names the SpreadsheetML namespace or the
    ``Excel.Sheet`` application."""
    text = _text_head(head).lstrip().lower()
    if not text.startswith("<?xml") and not text.startswith("<workbook"):
        return False
    window = text[:8192]
    return "urn:schemas-microsoft-com:office:spreadsheet" in window or 'progid="excel.sheet"' in window


def _sniff_cfb(source: Path | io.BytesIO) -> Sniff:
    if isinstance(source, io.BytesIO):
        data = source.getvalue()
    else:
        with open(source, "rb") as fh:
            data = fh.read()
    try:
        cfb = Cfb(data)
    except (CfbError, struct.error, IndexError, ValueError):
        # Let the parser have its say; it reports the damage in its own words.
        return Sniff("xls")
    if cfb.find("EncryptedPackage") or cfb.find("EncryptionInfo"):
        return Sniff("encrypted", cfb_stream="EncryptedPackage")
    entry = cfb.find("Workbook", "Book")
    if entry:
        return Sniff("xls", cfb_stream=entry[0])
    names = {e[0].lower() for e in cfb.entries}
    if "worddocument" in names:
        return Sniff("unknown", kind="Word 97-2003文档（不是表格）")
    if "powerpoint document" in names:
        return Sniff("unknown", kind="PowerPoint演示文稿（不是表格）")
    return Sniff("unknown", kind="Office复合文档（不是Excel表格）")
