"""Incoming mail without a server (pipeline.mail.incoming and the pure plan of pipeline.mail.fetch):
Chinese attachment names in every encoding clients use, attachments classified by their bytes,
zip files, safe file names, and where each file would be saved."""

from __future__ import annotations

import base64
import dataclasses
import datetime as dt
import hashlib
import urllib.parse
import zipfile

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pipeline.mail.fetch import message_folder, plan_fetch
from pipeline.mail.incoming import IncomingMessage, classify, parse_message, safe_name
from pipeline.settings import Limits
from tests.mail.imap_helpers import (
    encrypted_xlsx,
    gbk_message,
    html_xls,
    roster_xlsx,
    utf8_message,
    when,
    zipped,
)

LIMITS = Limits()
XLSX = roster_xlsx([[1, "孕妇01", "", "", "2020-03-01", "2020-05-01"]])
NAME = "新民社区已孕对象花名册20200608.xlsx"
RARE = "銀華社区花名册（6月8日）.xlsx"  # 銀 and 華 are in GBK but not in GB2312


def _one(raw: bytes) -> IncomingMessage:
    return parse_message(7, raw, when("2020-06-08"), len(raw), LIMITS)


def _part_message(disposition: bytes, content_type: bytes = b"application/octet-stream") -> bytes:
    return (b"From: a@example.cn\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
            b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n--b\r\n'
            b"Content-Type: " + content_type + b"\r\nContent-Transfer-Encoding: base64\r\n"
            + (b"Content-Disposition: " + disposition + b"\r\n" if disposition else b"")
            + b"\r\n" + base64.encodebytes(XLSX) + b"--b--\r\n")


# ----------------------------------------------------------------------------------------------
# Names


@pytest.mark.parametrize("style", ["2047", "2231", "raw"])
@pytest.mark.parametrize("name", [NAME, RARE])
def test_gbk_names_in_every_style(style: str, name: str) -> None:
    msg = _one(gbk_message("社区 <xinmin@example.cn>", "六月花名册", [(name, XLSX)], style=style))
    assert [f.name for f in msg.files] == [name]
    assert msg.subject == "六月花名册" and msg.sender == "xinmin@example.cn"


def test_utf8_rfc2231_names_and_headers() -> None:
    msg = _one(utf8_message("新民社区 <XinMin@Example.cn>", "花名册（6月8日）", [(NAME, XLSX)], message_id="<m1@x>"))
    assert [f.name for f in msg.files] == [NAME]
    assert (msg.sender, msg.sender_name, msg.subject, msg.message_id) == (
        "xinmin@example.cn", "新民社区", "花名册（6月8日）", "<m1@x>")


@pytest.mark.parametrize(
    ("disposition", "content_type"),
    [
        # continuations of RFC 2231, GB2312 label
        (b"attachment; filename*0*=gb2312''" + urllib.parse.quote(NAME.encode("gbk")[:9]).encode()
         + b";\r\n filename*1*=" + urllib.parse.quote(NAME.encode("gbk")[9:]).encode(), b"application/octet-stream"),
        # an encoded word that is not quoted (against the RFC, common in the wild)
        (b"attachment; filename==?GBK?B?" + base64.b64encode(NAME.encode("gbk")) + b"?=", b"application/octet-stream"),
        # raw UTF-8 bytes
        (b'attachment; filename="' + NAME.encode() + b'"', b"application/octet-stream"),
        # the name only on the Content-Type
        (b"", b'application/vnd.ms-excel; name="=?UTF-8?B?' + base64.b64encode(NAME.encode()) + b'?="'),
    ],
    ids=["2231-continuations", "2047-unquoted", "raw-utf8", "content-type-name"],
)
def test_names_as_clients_really_write_them(disposition: bytes, content_type: bytes) -> None:
    assert [f.name for f in _one(_part_message(disposition, content_type)).files] == [NAME]


def test_no_message_id_gets_one_from_the_bytes() -> None:
    raw = _part_message(b'attachment; filename="a.xlsx"')
    assert _one(raw).message_id == "sha256:" + hashlib.sha256(raw).hexdigest()


@pytest.mark.parametrize(
    ("given", "safe"),
    [
        ("../../etc/花名册.xlsx", "花名册.xlsx"),
        ("C:\\Users\\jsb\\花名册.xlsx", "花名册.xlsx"),
        ("~$花名册.xlsx", "花名册.xlsx"),  # a lock-file name would be skipped by the reader
        (".hidden.xlsx", "hidden.xlsx"),
        ('名单:6月?"终".xlsx', "名单_6月__终_.xlsx"),
        ("CON.xlsx", "_CON.xlsx"),
        ("  ", "附件1"),
        ("长" * 200 + ".xlsx", "长" * 115 + ".xlsx"),  # 120 characters with the extension
    ],
)
def test_safe_names(given: str, safe: str) -> None:
    assert safe_name(given, "附件1") == safe


# ----------------------------------------------------------------------------------------------
# What an attachment is, by its bytes


def test_tables_by_content_whatever_their_name() -> None:
    (f,) = classify("报表.dat", XLSX, LIMITS)  # a workbook with an odd name is still a workbook
    assert (f.verdict, f.format, f.data) == ("table", "xlsx", XLSX)
    (f,) = classify("卫生院系统导出0630.xls", html_xls([["孕妇01"]]), LIMITS)
    assert (f.verdict, f.format) == ("table", "html")
    (f,) = classify("花名册.csv", "姓名,身份证号\n孕妇01,1\n".encode("gbk"), LIMITS)
    assert (f.verdict, f.format) == ("table", "csv")
    (f,) = classify("花名册", XLSX, LIMITS)  # no extension: the format's is added
    assert f.name == "花名册.xlsx"


@pytest.mark.parametrize(
    ("name", "data", "verdict", "words"),
    [
        ("通知.pdf", b"%PDF-1.4 ...", "not_table", "PDF"),
        ("签字.jpg", b"\xff\xd8\xff\xe0 jpeg", "not_table", "图片"),
        ("说明.docx", zipped([("word/document.xml", b"<w/>")]), "not_table", "Word"),
        ("说明.html", b"<html><body>hi</body></html>", "table", ""),  # a web page may hold a table: the reader decides
        ("邮件.eml", b"hello, text", "not_table", "文本文件"),
        ("花名册.xlsx", encrypted_xlsx(), "encrypted", "密码"),
        ("花名册.xlsx", b"", "empty", "空的"),
        ("花名册.xlsx", b"PK\x03\x04 broken", "damaged", "损坏"),
        ("花名册.rar", b"Rar!\x1a\x07\x00 ...", "not_table", "rar"),
    ],
)
def test_what_is_not_saved_says_why(name: str, data: bytes, verdict: str, words: str) -> None:
    (f,) = classify(name, data, LIMITS)
    assert f.verdict == verdict and words in f.reason
    assert f.data == (data if verdict == "table" else b"")  # only tables are kept in memory


def test_too_large_by_the_reading_limit() -> None:
    limits = dataclasses.replace(LIMITS, max_file_mb=len(XLSX) / 1024 / 1024 / 2)
    (f,) = classify("花名册.xlsx", XLSX, limits)
    assert f.verdict == "too_large" and "[limits] max_file_mb" in f.reason


def test_zip_members_with_gbk_names_are_classified() -> None:
    data = zipped([("六月/新民社区花名册0608.xlsx", XLSX), ("六月/签字.jpg", b"\xff\xd8\xff\xe0"),
                   ("__MACOSX/._x.xlsx", b"junk"), ("内层.zip", zipped([("新安社区花名册.xlsx", XLSX)]))],
                  utf8_names=False)
    files = classify("花名册.zip", data, LIMITS)
    assert [(f.name, f.origin, f.verdict) for f in files] == [
        ("新民社区花名册0608.xlsx", "花名册.zip/六月/新民社区花名册0608.xlsx", "table"),
        ("签字.jpg", "花名册.zip/六月/签字.jpg", "not_table"),
        ("新安社区花名册.xlsx", "花名册.zip/内层.zip/新安社区花名册.xlsx", "table"),
    ]


def test_zip_bombs_and_encrypted_members_are_refused() -> None:
    bomb = zipped([("a.csv", b"0" * 3_000_000)])  # deflates ~1000:1, over max_compression_ratio 200
    (f,) = classify("a.zip", bomb, LIMITS)
    assert f.verdict == "damaged" and "压缩炸弹" in f.reason
    plain = zipped([("a.xlsx", XLSX)])
    flagged = plain.replace(b"PK\x03\x04\x14\x00\x00\x00", b"PK\x03\x04\x14\x00\x01\x00").replace(
        b"PK\x01\x02\x14\x03\x14\x00\x00\x00", b"PK\x01\x02\x14\x03\x14\x00\x01\x00")
    assert zipfile.ZipFile(__import__("io").BytesIO(flagged)).infolist()[0].flag_bits & 0x1
    (f,) = classify("a.zip", flagged, LIMITS)
    assert f.verdict == "encrypted" and "密码" in f.reason


def test_inline_pictures_and_the_text_are_not_attachments() -> None:
    raw = (b"From: a@example.cn\r\nSubject: x\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/related; boundary="r"\r\n\r\n'
           b"--r\r\nContent-Type: text/html; charset=utf-8\r\n\r\n<p>hi<img src=cid:logo></p>\r\n"
           b"--r\r\nContent-Type: image/png\r\nContent-ID: <logo>\r\nContent-Disposition: inline; filename=logo.png\r\n"
           b"Content-Transfer-Encoding: base64\r\n\r\niVBORw0KGgo=\r\n--r--\r\n")
    assert _one(raw).files == ()


def test_a_forwarded_message_keeps_its_attachment() -> None:
    inner = utf8_message("xinmin@example.cn", "花名册", [(NAME, XLSX)])
    raw = (b"From: clerk@example.cn\r\nSubject: Fw\r\nMIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="o"\r\n\r\n--o\r\nContent-Type: text/plain\r\n\r\nfw\r\n'
           b"--o\r\nContent-Type: message/rfc822\r\n\r\n" + inner + b"\r\n--o--\r\n")
    assert [f.name for f in _one(raw).files] == [NAME]


# ----------------------------------------------------------------------------------------------
# The plan


def _message(uid: int, sender: str, files: list[tuple[str, bytes]], received: dt.datetime | None = None) -> IncomingMessage:
    found = [f for name, data in files for f in classify(name, data, LIMITS)]
    return IncomingMessage(uid, f"<{uid}@x>", sender, "", "s", received or when("2020-06-08"), 1, tuple(found))


def test_folder_is_the_received_day_in_the_office_time_zone() -> None:
    late = dt.datetime(2020, 6, 7, 16, 30, tzinfo=dt.UTC)  # 00:30 on 06-08 in China
    m = _message(1, "xinmin@example.cn", [], late)
    cst = dt.timezone(dt.timedelta(hours=8))
    assert message_folder(m, "新民社区", cst) == "收件/2020-06-08_新民社区_xinmin@example.cn"
    assert message_folder(m, None, dt.UTC) == "收件/2020-06-07_xinmin@example.cn"
    odd = dataclasses.replace(m, sender="a/b\\c@例子.cn")
    assert message_folder(odd, None, dt.UTC) == "收件/2020-06-07_a_b_c@__.cn"


def test_plan_saves_once_suffixes_clashes_and_keeps_reports_under_new_names() -> None:
    other = roster_xlsx([[1, "孕妇02", "", "", "2020-03-02", "2020-05-02"]])
    messages = [
        _message(1, "xinmin@example.cn", [(NAME, XLSX), ("签字.jpg", b"\xff\xd8\xff\xe0")]),
        _message(2, "xinmin@example.cn", [(NAME, XLSX)]),  # sent again: the same file
        _message(3, "xinmin@example.cn", [(NAME, other)]),  # same name, other content
        _message(4, "xinmin@example.cn", [("新民社区已孕对象花名册20200618.xlsx", XLSX)]),  # unchanged roster, new date
        _message(5, "nobody@example.cn", []),
        _message(6, "wsy@example.cn", [("筛查.xlsx", other)]),  # already in input/ under this name
    ]
    items = plan_fetch(messages, {"xinmin@example.cn": "新民社区"}, known={hashlib.sha256(other).hexdigest(): [("筛查.xlsx", "筛查.xlsx")]},
                       taken=["收件/2020-06-08_新民社区_xinmin@example.cn/新民社区已孕对象花名册20200608 (2).xlsx"],
                       tz=dt.timezone(dt.timedelta(hours=8)))
    folder = "收件/2020-06-08_新民社区_xinmin@example.cn"
    assert [(i.message.uid, i.action, i.path) for i in items] == [
        (1, "save", f"{folder}/{NAME}"),
        (1, "skip", ""),
        (2, "duplicate", f"{folder}/{NAME}"),
        (3, "save", f"{folder}/新民社区已孕对象花名册20200608 (3).xlsx"),  # (2) is taken on disk
        (4, "save", f"{folder}/新民社区已孕对象花名册20200618.xlsx"),
        (5, "skip", ""),
        (6, "duplicate", "筛查.xlsx"),
    ]
    assert "内容与" in items[4].reason and "没有附件" in items[5].reason
    assert [i.community for i in items] == ["新民社区"] * 5 + [None, None]


_CONTENTS = [roster_xlsx([[i, f"孕妇{i:02d}", "", "", "2020-03-01", "2020-05-01"]]) for i in range(3)]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["xinmin@example.cn", "xinan@example.cn", "x@example.cn"]),
            st.lists(st.tuples(st.sampled_from(["花名册.xlsx", "花名册.XLSX", "花名册 (2).xlsx", "登记.xls"]),
                               st.integers(0, 2)), max_size=3),
        ),
        max_size=6,
    ),
    st.lists(st.tuples(st.sampled_from(["花名册.xlsx", "其他.xlsx"]), st.integers(0, 2)), max_size=2),
)
def test_plan_invariants(mails: list[tuple[str, list[tuple[str, int]]]], on_disk: list[tuple[str, int]]) -> None:
    """Whatever arrives: every table is saved or is a duplicate of a file with the same bytes and
    name; no two files go to the same path (case-insensitively) or onto a path already there; the
    same bytes under the same name are saved at most once."""
    messages = [_message(i + 1, sender, [(name, _CONTENTS[c]) for name, c in files])
                for i, (sender, files) in enumerate(mails)]
    known = {}
    taken = []
    for k, (name, c) in enumerate(on_disk):
        path = f"收件/2020-06-08_xinmin@example.cn/{name}" if k == 0 else f"六月/{name}"
        known.setdefault(hashlib.sha256(_CONTENTS[c]).hexdigest(), []).append((name, path))
        taken.append(path)
    items = plan_fetch(messages, {"xinmin@example.cn": "新民社区"}, known=known, taken=taken, tz=dt.UTC)
    tables = [i for i in items if i.file is not None]
    assert len(tables) == sum(len(files) for _, files in mails)
    saved = [i for i in tables if i.action == "save"]
    paths = [i.path.casefold() for i in saved]
    assert len(set(paths)) == len(paths) and not set(paths) & {p.casefold() for p in taken}
    identities = [(i.file.sha256, i.file.name.casefold()) for i in saved if i.file]
    assert len(set(identities)) == len(identities)
    where = {i.path: i.file.sha256 for i in saved if i.file} | {p: sha for sha, pairs in known.items() for _, p in pairs}
    for i in tables:
        assert i.action in ("save", "duplicate")
        if i.action == "duplicate" and i.file is not None:
            assert where[i.path] == i.file.sha256
    assert all(i.file is None and "没有附件" in i.reason for i in items if i.action == "skip")
