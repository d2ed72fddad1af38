"""One message from the office mailbox -> who sent it, when, and each attachment classified by its
bytes (pure: bytes in, records out).

* Attachment names as mail clients really write them: RFC 2231 (``filename*=GBK''%C3%FB...``, with
  continuations), RFC 2047 encoded words (quoted or not, ``GB2312`` labels on GBK text), raw 8-bit
  UTF-8 or GBK, or only a ``name=`` on the Content-Type. GB2312/GBK text is decoded as GB18030 (a
  superset), so a rare character does not turn into question marks.
* What an attachment is comes from its bytes (:func:`pipeline.load.sniff.sniff_bytes`, the same tests
  as reading ``input/``): Excel-family workbooks are tables whatever their name; an HTML export is a
  table when its name says spreadsheet or web page (an ``.xls`` that is HTML), text when its name
  says ``.csv``/``.tsv``/``.txt``. Zip files are opened (one level inside another) and each member
  classified the same way; member names without the UTF-8 flag are tried as UTF-8, then GBK.
* Everything else is kept with a reason and never saved: password-protected, larger than
  ``[limits] max_file_mb``, empty, damaged, or not a table (PDF, picture, Word, rar/7z ...).
"""

from __future__ import annotations

import datetime as dt
import email
import email.errors
import email.header
import email.utils
import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass, field
from email.message import Message
from pathlib import PurePosixPath
from typing import Literal

from pipeline.load.common import EXCEL_FORMATS, EXTENSION_FORMATS, FORMAT_LABELS, MB, Rejected
from pipeline.load.sniff import sniff_bytes
from pipeline.settings import Limits

Verdict = Literal["table", "not_table", "encrypted", "too_large", "empty", "damaged"]

# Text encodings as mail clients label them -> the codec that decodes them without loss.
_CHARSET_ALIASES = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "cp936": "gb18030",
    "euc-cn": "gb18030",
    "x-euc-cn": "gb18030",
    "utf8": "utf-8",
}
_TEXT_EXTENSIONS = frozenset({".csv", ".tsv", ".txt"})
_ZIP_DEPTH = 2  # a zip inside a zip is opened; deeper ones are listed, not opened
_ENCRYPTED_REASON = "附件有密码保护，无法读取。请对方去掉密码后重新发送"
_BAD_NAME_CHARACTERS = re.compile(r'[\x00-\x1f\x7f<>:"/\\|?*]')


@dataclass(frozen=True)
class IncomingFile:
    """One attachment (or one member of an attached zip file) and what its bytes are."""

    name: str  # the file name to save it under (decoded, safe on Windows and Linux)
    origin: str  # as the sender named it: "名单.zip/花名册.xlsx" for a zip member
    size: int
    sha256: str
    format: str  # the sniffed format: xlsx, xls, html, csv ... or "" when not a table
    verdict: Verdict
    reason: str = ""  # Chinese: why it is not saved ("" for a table)
    data: bytes = field(default=b"", repr=False)  # kept for tables only

    @property
    def format_label(self) -> str:
        return FORMAT_LABELS.get(self.format, self.format)


@dataclass(frozen=True)
class IncomingMessage:
    """One message: sender, subject, the server's arrival time and its attachments."""

    uid: int
    message_id: str
    sender: str  # the From address, lower case ("" when there is none)
    sender_name: str
    subject: str
    received: dt.datetime  # IMAP INTERNALDATE (time zone aware)
    size: int
    files: tuple[IncomingFile, ...] = ()
    problem: str = ""  # why the message itself was not read (too large to download)


def size_text(n: int) -> str:
    """``12.3 KB`` / ``4.5 MB``: a size people read."""
    return f"{n / MB:.1f} MB" if n >= MB else f"{max(n, 1) / 1024:.1f} KB"


# ----------------------------------------------------------------------------------------------
# Text in headers


def decode_text(data: bytes, charset: str | None = None) -> str:
    """Bytes of a name or header in the labelled charset, else UTF-8, else GB18030 (never fails)."""
    label = (charset or "").strip().lower()
    tries = [_CHARSET_ALIASES.get(label, label)] if label else []
    for codec in (*tries, "utf-8", "gb18030"):
        try:
            return data.decode(codec)
        except (LookupError, UnicodeDecodeError):
            continue
    return data.decode("utf-8", "replace")


def _encoded_words(text: str) -> str:
    """RFC 2047 encoded words (``=?GB2312?B?...?=``) decoded; plain text unchanged."""
    if "=?" not in text:
        return text
    try:
        pieces = email.header.decode_header(text)
    except (ValueError, email.errors.HeaderParseError):
        return text
    return "".join(decode_text(p, cs) if isinstance(p, bytes) else p for p, cs in pieces)


def _raw_header(msg: Message, name: str) -> str | None:
    """A header's value as sent, raw 8-bit bytes (GBK from an old client) decoded as text."""
    for key, value in msg.raw_items():
        if key.lower() == name:
            value = str(value)
            if any("\udc80" <= ch <= "\udcff" for ch in value):  # undecoded 8-bit bytes
                value = decode_text(value.encode("ascii", "surrogateescape"))
            return value
    return None


def header_text(msg: Message, name: str) -> str:
    """A header (Subject, From) as readable text on one line."""
    value = _raw_header(msg, name)
    if value is None:
        return ""
    return " ".join(_encoded_words(value).split())


def _param(msg: Message, header: str, param: str) -> str | None:
    """A header parameter with RFC 2231 and RFC 2047 decoding and GB18030 for GB2312/GBK labels."""
    value = _raw_header(msg, header)
    if value is None:
        return None
    holder = Message()
    holder[header] = value
    found = holder.get_param(param, header=header)
    if found is None:
        return None
    if isinstance(found, tuple):  # RFC 2231: (charset, language, percent-decoded text)
        charset, _, text = found
        return decode_text(bytes(text, "raw-unicode-escape"), charset)
    return _encoded_words(email.utils.unquote(str(found)))


def attachment_name(part: Message) -> str:
    """The file name a sender gave an attachment ("" when none)."""
    for header, param in (("content-disposition", "filename"), ("content-type", "name")):
        name = _param(part, header, param)
        if name and name.strip():
            return name.strip()
    return ""


def safe_name(name: str, fallback: str) -> str:
    """A file name safe to create on Windows and Linux: no folders, no reserved or control
    characters, not hidden (a leading ``.`` or ``~$`` would be skipped by the reader), at most 120
    characters with the extension kept."""
    base = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    base = _BAD_NAME_CHARACTERS.sub("_", base).strip().strip(".").strip()
    while base.startswith(("~$", ".~", ".")):
        base = base[2:] if base.startswith(("~$", ".~")) else base[1:]
    if not base:
        base = fallback
    stem, dot, ext = base.rpartition(".")
    if not dot or len(ext) > 10:
        stem, ext = base, ""
    if stem.split(".")[0].upper() in {"CON", "PRN", "AUX", "NUL", *(f"COM{i}" for i in range(10)),
                                      *(f"LPT{i}" for i in range(10))}:
        stem = f"_{stem}"
    stem = stem[: 120 - len(ext) - 1].rstrip(". ")
    return f"{stem}.{ext}" if ext else stem


# ----------------------------------------------------------------------------------------------
# Attachments by content


def _not_saved(name: str, origin: str, data: bytes, verdict: Verdict, reason: str) -> IncomingFile:
    return IncomingFile(name, origin, len(data), hashlib.sha256(data).hexdigest(), "", verdict, reason)


def classify(name: str, data: bytes, limits: Limits, *, origin: str = "", depth: int = 0) -> list[IncomingFile]:
    """One attachment by its bytes: a table to save (with the file name to save it under), the
    tables inside a zip file, or a reason not to save it."""
    origin = origin or name
    if not data:
        return [_not_saved(name, origin, data, "empty", "附件是空的（0 字节），请对方重新发送")]
    if len(data) > limits.max_file_mb * MB:
        return [_not_saved(name, origin, data, "too_large",
                           f"附件过大（{len(data) / MB:.1f} MB，上限 {limits.max_file_mb:g} MB，见 [limits] max_file_mb），"
                           "未保存。请确认是否发错了文件")]
    ext = PurePosixPath(name).suffix.lower()
    try:
        sniff = sniff_bytes(data, ext)
    except Rejected as rejected:
        return [_not_saved(name, origin, data, "damaged", f"{rejected}，请对方重新发送")]
    fmt = sniff.format
    if fmt == "encrypted":
        return [_not_saved(name, origin, data, "encrypted", _ENCRYPTED_REASON)]
    if fmt == "unknown" and sniff.kind == "压缩包（zip）":
        if depth >= _ZIP_DEPTH:
            return [_not_saved(name, origin, data, "not_table", "压缩包套压缩包层数过多，未打开。请解压后直接发送表格")]
        return _unzip(name, data, limits, origin, depth)
    if _is_table(fmt, ext):
        saved_as = name if ext or fmt not in _FORMAT_EXTENSIONS else f"{name}{_FORMAT_EXTENSIONS[fmt]}"
        digest = hashlib.sha256(data).hexdigest()
        return [IncomingFile(saved_as, origin, len(data), digest, fmt, "table", "", data)]
    kind = sniff.kind or ("文本文件" if fmt == "csv" else "网页文件" if fmt == "html" else "未知格式")
    return [_not_saved(name, origin, data, "not_table", f"不是表格（{kind}），未保存")]


_FORMAT_EXTENSIONS = {"xlsx": ".xlsx", "xlsm": ".xlsm", "xlsb": ".xlsb", "xls": ".xls", "ods": ".ods",
                      "html": ".html", "csv": ".csv"}


def _is_table(fmt: str, ext: str) -> bool:
    """Excel-family bytes always; HTML when the name says spreadsheet or web page (exports of health
    information systems are HTML named .xls); text only when the name says .csv/.tsv/.txt."""
    if fmt in EXCEL_FORMATS:
        return True
    if fmt == "html":
        return ext in EXTENSION_FORMATS or not ext
    return fmt == "csv" and ext in _TEXT_EXTENSIONS


def _member_name(info: zipfile.ZipInfo) -> str:
    """A zip member's name: UTF-8 when flagged, else the raw bytes as UTF-8 or GBK (Windows' zip)."""
    if info.flag_bits & 0x800:
        return info.filename
    try:
        raw = info.filename.encode("cp437")
    except UnicodeEncodeError:
        return info.filename
    return decode_text(raw)


def _unzip(name: str, data: bytes, limits: Limits, origin: str, depth: int) -> list[IncomingFile]:
    """The tables in a zip file; the whole zip is refused when it unpacks suspiciously large."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            members = [i for i in zf.infolist() if not i.is_dir() and not _ignored_member(_member_name(i))]
            total = sum(i.file_size for i in members)
            if total > limits.max_uncompressed_mb * MB or total > max(len(data), 1) * limits.max_compression_ratio:
                return [_not_saved(name, origin, data, "damaged",
                                   f"压缩包解压后过大（{total / MB:.0f} MB），疑似压缩炸弹，未打开")]
            if not members:
                return [_not_saved(name, origin, data, "not_table", "压缩包是空的，没有文件")]
            found: list[IncomingFile] = []
            for info in members:
                found.extend(_zip_member(zf, info, limits, origin, depth))
            return found
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError, KeyError) as exc:
        return [_not_saved(name, origin, data, "damaged", f"压缩包已损坏，无法打开（{type(exc).__name__}），请对方重新发送")]


def _ignored_member(member: str) -> bool:
    """macOS resource forks and hidden files that zip tools add beside the real files."""
    parts = member.replace("\\", "/").split("/")
    return parts[0] == "__MACOSX" or parts[-1].startswith((".", "~$")) or parts[-1] in ("Thumbs.db", "desktop.ini")


def _zip_member(zf: zipfile.ZipFile, info: zipfile.ZipInfo, limits: Limits, origin: str, depth: int) -> list[IncomingFile]:
    member = _member_name(info)
    leaf = safe_name(member, "压缩包内文件")
    where = f"{origin}/{member}"
    if info.flag_bits & 0x1:
        return [IncomingFile(leaf, where, info.file_size, "", "", "encrypted", "压缩包有密码保护，无法解压。请对方去掉密码后重新发送")]
    if info.file_size > limits.max_file_mb * MB:
        return [IncomingFile(leaf, where, info.file_size, "", "", "too_large",
                             f"压缩包内文件过大（{info.file_size / MB:.1f} MB，上限 {limits.max_file_mb:g} MB），未保存")]
    try:
        content = zf.read(info)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError, NotImplementedError, RuntimeError) as exc:
        return [IncomingFile(leaf, where, info.file_size, "", "", "damaged",
                             f"压缩包内文件无法解压（{type(exc).__name__}），请对方重新发送")]
    return classify(leaf, content, limits, origin=where, depth=depth + 1)


# ----------------------------------------------------------------------------------------------
# Messages


def _is_attachment(part: Message) -> bool:
    """A part the sender attached: not a container, not the text of the message, not a picture
    shown inside it (a signature's logo)."""
    if part.is_multipart() or part.get_content_maintype() == "message":
        return False
    disposition = (part.get_content_disposition() or "").lower()
    if disposition == "attachment":
        return True
    named = bool(attachment_name(part))
    if disposition == "inline":
        return named and part.get_content_maintype() != "image"
    if part.get_content_maintype() == "text" and not named:
        return False
    return named or part.get_content_maintype() not in ("text", "image")


def message_id(msg: Message, raw: bytes) -> str:
    value = " ".join(header_text(msg, "message-id").split())
    return value or f"sha256:{hashlib.sha256(raw).hexdigest()}"


def parse_message(uid: int, raw: bytes, received: dt.datetime, size: int, limits: Limits) -> IncomingMessage:
    """A downloaded message: sender, subject, and every attachment classified."""
    msg = email.message_from_bytes(raw)
    name, address = email.utils.parseaddr(header_text(msg, "from"))
    files: list[IncomingFile] = []
    for i, part in enumerate(p for p in msg.walk() if _is_attachment(p)):
        given = attachment_name(part)
        payload = part.get_payload(decode=True)
        data = payload if isinstance(payload, bytes) else b""
        files.extend(classify(safe_name(given, f"附件{i + 1}"), data, limits, origin=given or f"附件{i + 1}"))
    return IncomingMessage(
        uid=uid,
        message_id=message_id(msg, raw),
        sender=address.strip().lower(),
        sender_name=name.strip(),
        subject=header_text(msg, "subject"),
        received=received,
        size=size,
        files=tuple(files),
    )


def unread_message(uid: int, header: bytes, received: dt.datetime, size: int, max_mb: float) -> IncomingMessage:
    """A message too large to download: what its header says, and why it was not read."""
    msg = email.message_from_bytes(header)
    name, address = email.utils.parseaddr(header_text(msg, "from"))
    return IncomingMessage(
        uid=uid,
        message_id=message_id(msg, header),
        sender=address.strip().lower(),
        sender_name=name.strip(),
        subject=header_text(msg, "subject"),
        received=received,
        size=size,
        problem=f"邮件过大（{size_text(size)}，上限 {max_mb:g} MB，见 [mail.fetch] max_message_mb），未下载。"
        "请在邮箱中手工下载附件放入 input 文件夹",
    )
