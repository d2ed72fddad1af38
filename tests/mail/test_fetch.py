"""`screening fetch` against a real IMAP server (pymap, dict backend, on 127.0.0.1) filled with real
MIME messages: the dry run, saving, a second fetch that saves nothing new, the ledger, a wrong
password, dropped connections, TLS (STARTTLS and implicit) verified against a test CA, marking as
read only when configured, and the folder hint that puts a roster without its community right."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
import shutil
import ssl
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline import mail, store
from pipeline.analyse import analyse
from pipeline.cli import main
from pipeline.mail.fetch import save_items
from pipeline.settings import MailFetch, Settings
from tests.conftest import CONFIG
from tests.factories import make_id
from tests.mail.imap_helpers import (
    CST,
    PASSWORD,
    USER,
    Proxy,
    encrypted_xlsx,
    fill,
    flags,
    free_port,
    gbk_message,
    html_xls,
    message_count,
    pymap_server,
    roster_xlsx,
    utf8_message,
    when,
    zipped,
)

NOW = dt.datetime(2020, 6, 20, 8, 0, tzinfo=CST)
XINMIN, XINAN, CENTRE, STRANGER = "xinmin@example.cn", "xinan@example.cn", "wsy@example.cn", "someone@example.cn"
ID_PATTERN = re.compile(r"(?<![\d*])\d{17}[\dXx](?![\d*])")


def _roster(n: int) -> bytes:
    """A roster naming no community anywhere (no column, no title, no community in the file name)."""
    return roster_xlsx([[i + 1, f"孕妇{n + i:02d}", make_id(n + i), f"139{n + i:08d}", "2020-03-01", "2020-05-20"]
                        for i in range(3)])


ROSTER_A, ROSTER_B, ROSTER_C = _roster(10), _roster(20), _roster(30)
EXPORT = html_xls([["孕妇10", make_id(10), "超声NT", "2020-06-01", "低风险"]])


def mailbox() -> list[tuple[bytes, dt.datetime]]:
    """Eight messages: every shape the issue names."""
    return [
        # 1. a listed community, UTF-8 (RFC 2231), a roster and a photo of the signed paper copy
        (utf8_message(f"新民社区 <{XINMIN}>", "新民社区6月8日花名册",
                      [("花名册0608.xlsx", ROSTER_A), ("签字页.jpg", b"\xff\xd8\xff\xe0 photo")], message_id="<m1@x>"),
         when("2020-06-08", 9)),
        # 2. a listed community on an older client: GBK, RFC 2047 names, a zip with GBK member names
        (gbk_message(f"新安社区 <{XINAN}>", "花名册",
                     [("新安花名册.zip", zipped([("花名册（6月8日）.xlsx", ROSTER_B), ("说明.txt", "无".encode("gbk"))],
                                               utf8_names=False))], message_id="<m2@x>"),
         when("2020-06-08", 10)),
        # 3. the same roster sent again (a duplicate)
        (utf8_message(f"新民社区 <{XINMIN}>", "重发：花名册", [("花名册0608.xlsx", ROSTER_A)], message_id="<m3@x>"),
         when("2020-06-09", 8)),
        # 4. the health centre's system export: HTML saved as .xls, GBK RFC 2231 name
        (gbk_message(f"卫生院 <{CENTRE}>", "筛查登记导出", [("卫生院系统导出0610.xls", EXPORT)], style="2231",
                     message_id="<m4@x>"),
         when("2020-06-10", 15)),
        # 5. no attachment at all
        (utf8_message(f"新华社区 <{STRANGER}>", "花名册明天报", [], message_id="<m5@x>"), when("2020-06-11", 11)),
        # 6. a password-protected workbook
        (utf8_message(f"<{XINAN}>", "加密的", [("花名册0612.xlsx", encrypted_xlsx())], message_id="<m6@x>"),
         when("2020-06-12", 9)),
        # 7. a different file under a name already used (raw GBK name bytes)
        (gbk_message(f"新民社区 <{XINMIN}>", "更正", [("花名册0608.xlsx", ROSTER_C)], style="raw", message_id="<m7@x>"),
         when("2020-06-08", 17)),
        # 8. before the day asked for: not listed
        (utf8_message(f"<{XINMIN}>", "五月", [("花名册0528.xlsx", _roster(40))], message_id="<m8@x>"),
         when("2020-05-28", 9)),
    ]


SINCE = dt.date(2020, 6, 1)
A_FOLDER = "收件/2020-06-08_新民社区_xinmin@example.cn"
B_FOLDER = "收件/2020-06-08_新安社区_xinan@example.cn"
C_FOLDER = "收件/2020-06-10_wsy@example.cn"


@pytest.fixture(scope="module")
def server() -> Iterator[int]:
    with pymap_server() as port:
        yield port


@pytest.fixture()
def folder(server: int) -> str:
    """A fresh mailbox folder holding :func:`mailbox` (each test its own)."""
    name = f"t{uuid.uuid4().hex[:8]}"
    fill(server, name, mailbox())
    return name


def fetch_settings(settings: Settings, port: int, folder: str, security: str = "none", **fetch: Any) -> Settings:
    box = MailFetch(host="127.0.0.1", port=port, security=security, user=USER, folder=folder, **fetch)  # type: ignore[arg-type]
    communities = {"新民社区": (XINMIN,), "新安": (XINAN,)}
    return dataclasses.replace(settings, mail=dataclasses.replace(
        settings.mail, fetch=box, communities=communities, retries=2, retry_wait_seconds=0.01, timeout_seconds=5))


def _fetch(s: Settings, tmp: Path, *, save: bool, since: dt.date | None = SINCE, password: str = PASSWORD,
           context: ssl.SSLContext | None = None, sleeps: list[float] | None = None) -> mail.FetchResult:
    conn = store.open_db(tmp / "archive")
    try:
        connect = mail.imap_factory(s.mail.fetch, USER, password, timeout=5, context=context)
        return mail.fetch(conn, s, tmp / "input", connect=connect, since=since, save=save, now=NOW,
                          sleep=(sleeps if sleeps is not None else []).append)
    finally:
        conn.close()


def _files(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


# ----------------------------------------------------------------------------------------------
# The library against the server


def test_dry_run_lists_everything_and_changes_nothing(server: int, folder: str, settings: Settings, tmp_path: Path) -> None:
    s = fetch_settings(settings, server, folder)
    before = flags(server, folder)
    result = _fetch(s, tmp_path, save=False)
    assert not (tmp_path / "input").exists()  # nothing written
    assert flags(server, folder) == before and message_count(server, folder) == 8  # nothing read, moved or deleted
    got = [(i.message.message_id, i.file.name if i.file else None, i.action, i.path) for i in result.items]
    assert got == [
        ("<m1@x>", "花名册0608.xlsx", "save", f"{A_FOLDER}/花名册0608.xlsx"),
        ("<m1@x>", "签字页.jpg", "skip", ""),
        ("<m2@x>", "花名册（6月8日）.xlsx", "save", f"{B_FOLDER}/花名册（6月8日）.xlsx"),
        ("<m2@x>", "说明.txt", "save", f"{B_FOLDER}/说明.txt"),  # text named .txt: the reader decides
        ("<m7@x>", "花名册0608.xlsx", "save", f"{A_FOLDER}/花名册0608 (2).xlsx"),  # arrived 06-08 17:00
        ("<m3@x>", "花名册0608.xlsx", "duplicate", f"{A_FOLDER}/花名册0608.xlsx"),
        ("<m4@x>", "卫生院系统导出0610.xls", "save", f"{C_FOLDER}/卫生院系统导出0610.xls"),
        ("<m5@x>", None, "skip", ""),
        ("<m6@x>", "花名册0612.xlsx", "skip", ""),
    ]
    assert (result.count("save"), result.count("duplicate"), result.count("skip"), result.messages) == (5, 1, 2, 7)
    report = "\n".join(mail.fetch_report(result))
    assert "新民社区 <xinmin@example.cn>（新民社区）  主题：新民社区6月8日花名册" in report
    assert "签字页.jpg" in report and "不保存：不是表格（图片" in report
    assert "没有附件" in report and "密码保护" in report and "以上为预览" in report
    assert "需要处理的邮件或附件 1 项" in report  # the encrypted workbook; the photo and the empty message are not


def test_save_writes_each_file_once_and_a_second_fetch_saves_nothing(
    server: int, folder: str, settings: Settings, tmp_path: Path
) -> None:
    s = fetch_settings(settings, server, folder)
    first = _fetch(s, tmp_path, save=True)
    files = _files(tmp_path / "input")
    assert files == {
        f"{A_FOLDER}/花名册0608.xlsx": ROSTER_A,
        f"{A_FOLDER}/花名册0608 (2).xlsx": ROSTER_C,
        f"{B_FOLDER}/花名册（6月8日）.xlsx": ROSTER_B,
        f"{B_FOLDER}/说明.txt": "无".encode("gbk"),
        f"{C_FOLDER}/卫生院系统导出0610.xls": EXPORT,
    }
    assert first.count("save") == 5
    conn = store.open_db(tmp_path / "archive")
    try:
        rows = [dict(r) for r in conn.execute("SELECT * FROM fetched ORDER BY id")]
        runs = [dict(r) for r in conn.execute("SELECT * FROM fetches")]
    finally:
        conn.close()
    assert [(r["message_id"], r["sender"], r["file"], r["saved_path"], r["community"]) for r in rows][:3] == [
        ("<m1@x>", XINMIN, "花名册0608.xlsx", f"{A_FOLDER}/花名册0608.xlsx", "新民社区"),
        ("<m2@x>", XINAN, "花名册（6月8日）.xlsx", f"{B_FOLDER}/花名册（6月8日）.xlsx", "新安社区"),
        ("<m2@x>", XINAN, "说明.txt", f"{B_FOLDER}/说明.txt", "新安社区"),
    ]
    assert rows[1]["origin"] == "新安花名册.zip/花名册（6月8日）.xlsx"
    assert rows[0]["received_at"] == "2020-06-08T09:00:00+08:00" and rows[4]["community"] is None
    assert [r["sha256"] for r in rows] == [mail.classify("x.xlsx", d, s.limits)[0].sha256
                                           for d in (ROSTER_A, ROSTER_B, "无".encode("gbk"), ROSTER_C, EXPORT)]
    assert [(r["account"], r["since"], r["messages"], r["saved"]) for r in runs] == [
        (f"{USER}@127.0.0.1/{folder}", "2020-06-01", 7, 5)]
    # Again, and again with the default --since (the day before the last fetch): nothing new.
    for since in (SINCE, None):
        again = _fetch(s, tmp_path, save=True, since=since)
        assert again.count("save") == 0 and _files(tmp_path / "input") == files
    assert again.since == NOW.date() - dt.timedelta(days=1) and "上次收取" in again.since_from
    assert all(b"\\Seen" not in f for f in flags(server, folder).values())  # mark_seen is off: nothing marked read


def test_a_hand_saved_copy_in_input_is_not_saved_again(server: int, folder: str, settings: Settings, tmp_path: Path) -> None:
    (tmp_path / "input" / "六月").mkdir(parents=True)
    (tmp_path / "input" / "六月" / "花名册0608.xlsx").write_bytes(ROSTER_A)  # the clerk saved it by hand
    result = _fetch(fetch_settings(settings, server, folder), tmp_path, save=True)
    first = result.items[0]
    assert (first.action, first.path) == ("duplicate", "六月/花名册0608.xlsx")
    saved = _files(tmp_path / "input")
    assert [p for p, data in saved.items() if data == ROSTER_A] == ["六月/花名册0608.xlsx"]
    assert saved[f"{A_FOLDER}/花名册0608.xlsx"] == ROSTER_C  # the name was free for the other file


def test_mark_seen_only_when_configured(server: int, folder: str, settings: Settings, tmp_path: Path) -> None:
    _fetch(fetch_settings(settings, server, folder, mark_seen=True), tmp_path, save=False)
    assert all(b"\\Seen" not in f for f in flags(server, folder).values())  # a dry run marks nothing
    _fetch(fetch_settings(settings, server, folder, mark_seen=True), tmp_path, save=True)
    seen = sorted(uid for uid, f in flags(server, folder).items() if b"\\Seen" in f)
    # The messages whose tables were saved or already there: 1, 2, 3, 4, 7 (not 5 without attachment,
    # not 6 with only an encrypted one, not 8 from before --since).
    uids = sorted(flags(server, folder))
    assert seen == [uids[i - 1] for i in (1, 2, 3, 4, 7)]
    assert message_count(server, folder) == 8


def test_a_message_over_the_download_limit_is_listed_not_downloaded(
    server: int, folder: str, settings: Settings, tmp_path: Path
) -> None:
    s = fetch_settings(settings, server, folder, max_message_mb=0.001)  # ~1 KB: every message with a file
    result = _fetch(s, tmp_path, save=True)
    first = result.items[0]
    assert first.file is None and "邮件过大" in first.reason and first.message.subject == "新民社区6月8日花名册"
    # Only the health centre's small export (0.3 KB, its message under 1 KB) is downloaded and saved.
    assert [i.path for i in result.items if i.action == "save"] == [f"{C_FOLDER}/卫生院系统导出0610.xls"]
    report = "\n".join(mail.fetch_report(result))
    assert "邮件 7 封（未下载 5 封）" in report and "需要处理的邮件或附件 5 项" in report


def test_a_dropped_connection_is_retried(server: int, folder: str, settings: Settings, tmp_path: Path) -> None:
    proxy = Proxy(server, drop_on=b"BODY.PEEK[]", drops=1)
    try:
        s = fetch_settings(settings, proxy.port, folder)
        sleeps: list[float] = []
        result = _fetch(s, tmp_path, save=True, sleeps=sleeps)
    finally:
        proxy.close()
    assert result.count("save") == 5 and proxy.connections == 2 and sleeps == [0.01]


def test_a_line_that_keeps_dropping_gives_up_and_saves_nothing(
    server: int, folder: str, settings: Settings, tmp_path: Path
) -> None:
    proxy = Proxy(server, drop_on=b"BODY.PEEK[]", drops=99)
    try:
        sleeps: list[float] = []
        with pytest.raises(mail.FetchError, match="已重试 2 次.*邮件仍在服务器上"):
            _fetch(fetch_settings(settings, proxy.port, folder), tmp_path, save=True, sleeps=sleeps)
    finally:
        proxy.close()
    assert sleeps == [0.01, 0.02] and proxy.connections == 3 and not (tmp_path / "input").exists()


def test_wrong_password_and_missing_folder(server: int, folder: str, settings: Settings, tmp_path: Path) -> None:
    with pytest.raises(mail.LoginRefused, match="邮箱登录失败") as refused:
        _fetch(fetch_settings(settings, server, folder), tmp_path, save=True, password="wrong")
    assert refused.value.exit_code == 2 and "wrong" not in str(refused.value)
    with pytest.raises(mail.FetchError, match="邮箱中没有文件夹“不存在”.*INBOX"):
        _fetch(fetch_settings(settings, server, "不存在"), tmp_path, save=True)


def test_starttls_and_implicit_tls_are_verified(
    folder: str, server: int, settings: Settings, tmp_path: Path, certificates: dict[str, Path]
) -> None:
    trusted = ssl.create_default_context(cafile=str(certificates["ca"]))
    with pymap_server(cert=certificates["cert"], key=certificates["key"]) as tls_port:
        fill(tls_port, "INBOX", mailbox()[:1])
        s = fetch_settings(settings, tls_port, "INBOX", security="starttls")
        assert _fetch(s, tmp_path / "a", save=False, context=trusted).count("save") == 1
        with pytest.raises(mail.FetchError, match="证书校验失败"):
            _fetch(s, tmp_path / "b", save=False)  # the system's trust store does not know the test CA
    server_ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    server_ctx.load_cert_chain(str(certificates["cert"]), str(certificates["key"]))
    proxy = Proxy(server, tls=server_ctx)
    try:
        s = fetch_settings(settings, proxy.port, folder, security="ssl")
        assert _fetch(s, tmp_path / "c", save=False, context=trusted).count("save") == 5
    finally:
        proxy.close()


def test_the_folder_hint_puts_a_roster_without_its_community_right(
    server: int, settings: Settings, tmp_path: Path
) -> None:
    """End to end: fetch, then the reading stage. The same kind of roster (no community column,
    title or name) from a listed address counts for that community; from an address that is not
    listed, its rows cannot be placed and are rejected with a reason."""
    name = f"t{uuid.uuid4().hex[:8]}"
    fill(server, name, [
        (utf8_message(f"<{XINMIN}>", "花名册", [("花名册0608.xlsx", ROSTER_A)]), when("2020-06-08")),
        (utf8_message(f"<{STRANGER}>", "花名册", [("花名册0609.xlsx", ROSTER_B)]), when("2020-06-09")),
    ])
    s = fetch_settings(settings, server, name)
    _fetch(s, tmp_path, save=True)
    result = analyse(tmp_path / "input", s, dt.date(2020, 6, 30))
    roster = result.normalized.roster
    assert sorted(roster["community"].astype(str)) == ["新民社区"] * 3  # ROSTER_A's three women
    assert set(roster["name"]) == {"孕妇10", "孕妇11", "孕妇12"}
    rejected = result.normalized.rejected
    stranger = rejected[rejected["src_file"].astype(str).str.contains("someone@example.cn")]
    assert list(stranger["reason"]) == ["无法确定所属社区"] * 3  # ROSTER_B's three rows: no community to count them for


def test_an_unreachable_server_gives_up_after_the_retries(settings: Settings, tmp_path: Path) -> None:
    closed = free_port()  # nothing listens there
    sleeps: list[float] = []
    with pytest.raises(mail.FetchError, match="连接邮件服务器失败.*已重试 2 次"):
        _fetch(fetch_settings(settings, closed, "INBOX"), tmp_path, save=True, sleeps=sleeps)
    assert sleeps == [0.01, 0.02]


def test_a_name_taken_after_the_plan_is_not_overwritten(settings: Settings, tmp_path: Path) -> None:
    """Another program saved a file under the planned name between the listing and the saving."""
    message = mail.IncomingMessage(1, "<1@x>", XINMIN, "", "s", when("2020-06-08"), 1,
                                   tuple(mail.classify("花名册.xlsx", ROSTER_A, settings.limits)))
    (item,) = mail.plan_fetch([message], {}, known={}, taken=[], tz=CST)
    target = tmp_path / "input" / item.path
    target.parent.mkdir(parents=True)
    target.write_bytes(b"someone else's")
    conn = store.open_db(tmp_path / "archive")
    try:
        (saved,) = save_items(conn, tmp_path / "input", [item], NOW)
        (path,) = [r["saved_path"] for r in conn.execute("SELECT saved_path FROM fetched")]
    finally:
        conn.close()
    assert saved.path == path == "收件/2020-06-08_xinmin@example.cn/花名册 (2).xlsx"
    assert target.read_bytes() == b"someone else's" and (tmp_path / "input" / path).read_bytes() == ROSTER_A
    assert [p.name for p in target.parent.iterdir() if p.name.startswith(".")] == []  # no temporary file left


def test_the_listing_shows_strangers_text_safely(settings: Settings) -> None:
    message = mail.IncomingMessage(1, "<1@x>", "a@example.cn", "\x1b[2J新民", "花名册\u202egpj.exe\x07",
                                   dt.datetime(2020, 6, 8, 1, 30, tzinfo=dt.UTC), 1, ())
    result = mail.FetchResult("acct", SINCE, "--since", False, mail.plan_fetch([message], {}, known={}, taken=[], tz=CST),
                              tz=CST)
    line = mail.fetch_report(result)[1]
    assert line == "[1] 2020-06-08 09:30  ?[2J新民 <a@example.cn>  主题：花名册?gpj.exe?"


# ----------------------------------------------------------------------------------------------
# The command


def _project(tmp: Path, port: int, folder: str) -> Path:
    """A tmp project: the repo's config with [mail.fetch] pointing at the test server."""
    text = CONFIG.read_text(encoding="utf-8")
    head, _, tail = text.partition("[mail.fetch]")
    block, blank, rest = tail.partition("\n\n")
    block = re.sub(r'(?m)^host = "".*$', 'host = "127.0.0.1"', block)
    block = re.sub(r"(?m)^port = \d+", f"port = {port}", block)
    block = re.sub(r'(?m)^security = "ssl"', 'security = "none"', block)
    block = re.sub(r'(?m)^user = "".*$', f'user = "{USER}"', block)
    block = re.sub(r'(?m)^folder = "INBOX"', f'folder = "{folder}"', block)
    head = head.replace('# "新民社区" = ["xinmin@example.cn"]', f'"新民社区" = ["{XINMIN}"]\n"新安" = ["{XINAN}"]')
    (tmp / "config.toml").write_text(head + "[mail.fetch]" + block + blank + rest, encoding="utf-8")
    return tmp / "config.toml"


def _cli(config: Path, *args: str, password: str | None = PASSWORD) -> Any:
    env = {"SCREENING_IMAP_PASSWORD": password} if password is not None else {}
    return CliRunner().invoke(main, ["fetch", "--config", str(config), "--input", str(config.parent / "input"),
                                     *args], env=env)


def test_fetch_command_dry_run_save_and_again(server: int, folder: str, tmp_path: Path) -> None:
    config = _project(tmp_path, server, folder)
    dry = _cli(config, "--since", "2020-06-01")
    assert dry.exit_code == 0, dry.output
    assert "以上为预览" in dry.output and f"将保存到 {A_FOLDER}/花名册0608.xlsx" in dry.output
    assert "security = \"none\"" in dry.output  # the plain-text warning
    assert not (tmp_path / "input").exists()
    saved = _cli(config, "--since", "2020-06-01", "--save")
    assert saved.exit_code == 0, saved.output
    assert "表格已保存 5 个，重复 1 个，不保存 2 个" in saved.output and "下一步：screening run" in saved.output
    assert (tmp_path / "input" / A_FOLDER / "花名册0608.xlsx").read_bytes() == ROSTER_A
    assert (tmp_path / "archive" / "archive.db").is_file()  # beside config.toml ([archive] folder)
    again = _cli(config, "--save")  # default --since: the day before the last fetch
    assert again.exit_code == 0, again.output
    assert "表格已保存 0 个" in again.output and "上次收取" in again.output
    for out in (dry.output, saved.output, again.output):
        assert PASSWORD not in out and not ID_PATTERN.search(out)


def test_fetch_command_wrong_password_exits_2(server: int, folder: str, tmp_path: Path) -> None:
    config = _project(tmp_path, server, folder)
    result = _cli(config, "--save", password="wrong")
    assert result.exit_code == 2
    assert "邮箱登录失败" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "input").exists()


def test_fetch_command_asks_for_the_password(server: int, folder: str, tmp_path: Path) -> None:
    config = _project(tmp_path, server, folder)
    result = CliRunner().invoke(main, ["fetch", "--config", str(config), "--input", str(tmp_path / "input")],
                                input=PASSWORD + "\n", env={"SCREENING_IMAP_PASSWORD": ""})
    assert result.exit_code == 0, result.output
    assert "IMAP 密码" in result.output and PASSWORD not in result.output


def test_fetch_command_without_a_mailbox(tmp_path: Path) -> None:
    shutil.copy(CONFIG, tmp_path / "config.toml")
    result = CliRunner().invoke(main, ["fetch", "--config", str(tmp_path / "config.toml")], env={})
    assert result.exit_code == 1 and "[mail.fetch] host 未设置" in result.output
