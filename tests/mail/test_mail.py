"""Email (pipeline.mail, `screening send`, `screening remind`) against a real local SMTP server
(aiosmtpd on 127.0.0.1): the dry-run outbox, what arrives where, RFC 2231 Chinese file names,
STARTTLS verified against a test CA, a refused recipient, retries, the sent ledger, reminders."""

from __future__ import annotations

import dataclasses
import datetime as dt
import email
import re
import shutil
import socket
import ssl
import threading
from collections.abc import Iterator
from email.message import EmailMessage
from email.policy import default as default_policy
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from click.testing import CliRunner

from pipeline import archive, store
from pipeline import mail as deliver
from pipeline.analyse import analyse
from pipeline.cli import main
from pipeline.outputs.names import spot_check_filename
from pipeline.outputs.write import write_outputs
from pipeline.settings import Community, Mail, Settings, load_settings
from tests.conftest import CONFIG, DEMO_INPUT, demo_result

AS_OF = dt.date(2020, 6, 30)
NOW = dt.datetime(2020, 7, 1, 8, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
ID_PATTERN = re.compile(r"(?<![\d*])\d{17}[\dXx](?![\d*])")
MOBILE_PATTERN = re.compile(r"(?<![\d*])1[3-9]\d{9}(?!\d)")
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"

COMMUNITY_MAIL = {
    "新民社区": ("xinmin@example.cn",),
    "新安": ("xinan@example.cn",),  # by short name
    "新华社区": ("xinhua@example.cn", "xinhua2@example.cn"),
    "常花园社区": ("changhuayuan@example.cn",),
    # 银华社区: no address (reported, not guessed)
}
LEADERS = ("leader1@example.cn", "leader2@example.cn")
CENTRE = ("weishengyuan@example.cn",)
RECIPIENTS = 5 + len(LEADERS) + len(CENTRE)


def mail_settings(settings: Settings, **mail: Any) -> Settings:
    base = Mail(
        sender="sizhou_jsb@example.cn",
        sender_name="泗洲街道计生办",
        leaders=LEADERS,
        health_centre=CENTRE,
        communities=dict(COMMUNITY_MAIL),
        retries=2,
        retry_wait_seconds=0.5,
        timeout_seconds=10,
    )
    return dataclasses.replace(settings, mail=dataclasses.replace(base, **mail))


@pytest.fixture(scope="module")
def run_folder(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Path:
    """``output/2020-06-30/`` of the demo input, with every workbook."""
    return write_outputs(demo_result(AS_OF), settings, tmp_path_factory.mktemp("output")).folder


def _plan(settings: Settings, run_folder: Path, archive_dir: Path | None = None) -> deliver.Plan:
    summary = demo_result(AS_OF).summary
    return deliver.plan_send(settings, run_folder, summary, archive_dir)


def _parse(data: bytes) -> EmailMessage:
    msg = email.message_from_bytes(data, policy=default_policy)
    assert isinstance(msg, EmailMessage)
    return msg


def _attachments(msg: EmailMessage) -> dict[str, str]:
    return {part.get_filename() or "": part.get_content_type() for part in msg.iter_attachments()}


def _body(msg: EmailMessage) -> str:
    part = msg.get_body(("plain",))
    assert part is not None
    return str(part.get_content())


# ----------------------------------------------------------------------------------------------
# Local SMTP servers


class Recorder:
    """An aiosmtpd handler that records what arrives; it can refuse some recipients for good
    (550) or a number of times (451)."""

    def __init__(self, refuse: tuple[str, ...] = (), busy: dict[str, int] | None = None) -> None:
        self.refuse = set(refuse)
        self.busy = dict(busy or {})
        self.received: list[tuple[str, list[str], bytes]] = []
        self.logins: list[tuple[bytes, bytes]] = []
        self.lock = threading.Lock()

    async def handle_RCPT(self, server: Any, session: Any, envelope: Any, address: str, options: Any) -> str:
        if address in self.refuse:
            return "550 5.1.1 Mailbox unavailable"
        if self.busy.get(address, 0) > 0:
            self.busy[address] -= 1
            return "451 4.3.0 Try again later"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        with self.lock:
            self.received.append((envelope.mail_from, list(envelope.rcpt_tos), envelope.original_content))
        return "250 Message accepted"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, data: Any) -> AuthResult:
        ok = isinstance(data, LoginPassword) and (data.login, data.password) == (b"jsb", b"s3cret-pw")
        if isinstance(data, LoginPassword):
            self.logins.append((data.login, data.password))
        return AuthResult(success=ok, handled=False)

    def by_recipient(self) -> dict[str, EmailMessage]:
        out = {}
        for _, rcpts, data in self.received:
            assert len(rcpts) == 1, "one message per recipient"
            out[rcpts[0]] = _parse(data)
        return out


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture()
def smtp_server() -> Iterator[tuple[Recorder, int, Any]]:
    """Start plain servers on demand: ``start(handler, **smtp_kwargs) -> port``."""
    controllers: list[Controller] = []

    def start(handler: Recorder, **kwargs: Any) -> int:
        port = free_port()
        controller = Controller(handler, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        controllers.append(controller)
        return port

    recorder = Recorder()
    yield recorder, start(recorder), start
    for controller in controllers:
        controller.stop()


def _server_context(certs: dict[str, Path]) -> ssl.SSLContext:
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ctx.load_cert_chain(str(certs["cert"]), str(certs["key"]))
    return ctx


def _send(settings: Settings, plan: deliver.Plan, folder: Path, transport: deliver.Transport, **kw: Any) -> list[deliver.Delivery]:
    conn = store.open_db(folder)
    try:
        return deliver.dispatch(conn, settings, plan, send=True, outbox=folder / "outbox", now=NOW,
                                transport=transport, **kw)
    finally:
        conn.close()


# ----------------------------------------------------------------------------------------------
# Plans and the dry run


def test_dry_run_outbox_has_one_message_per_recipient(run_folder: Path, settings: Settings, tmp_path: Path) -> None:
    s = mail_settings(settings)
    plan = _plan(s, run_folder)
    assert len(plan.messages) == RECIPIENTS
    assert any(p.startswith("银华社区：未配置邮箱地址") for p in plan.problems)
    conn = store.open_db(tmp_path / "archive")
    try:
        outbox = run_folder / "outbox"
        results = deliver.dispatch(conn, s, plan, send=False, outbox=outbox, now=NOW)
        assert conn.execute("SELECT COUNT(*) FROM sent").fetchone()[0] == 0  # a dry run records nothing
    finally:
        conn.close()
    assert [r.status for r in results] == ["draft"] * RECIPIENTS
    files = sorted(outbox.glob("*.eml"))
    assert [f.name for f in files] == sorted(r.path.name for r in results if r.path)
    assert files[0].name == "01_新民社区_xinmin@example.cn.eml"
    seen: dict[str, EmailMessage] = {}
    for f in files:
        raw = f.read_bytes()
        msg = _parse(raw)
        seen[str(msg["To"])] = msg
        assert str(msg["From"]) == "泗洲街道计生办 <sizhou_jsb@example.cn>"
        assert b"filename*" in raw  # RFC 2231 parameter encoding of the Chinese file names
        body = _body(msg)
        assert not ID_PATTERN.search(body) and not MOBILE_PATTERN.search(body)
        assert "截至2020年6月30日" in str(msg["Subject"])
    assert set(seen) == {a for v in COMMUNITY_MAIL.values() for a in v} | set(LEADERS) | set(CENTRE)
    # Each community its own workbook and nothing else.
    for name, addresses in (("新民社区", ["xinmin@example.cn"]), ("新华社区", ["xinhua@example.cn", "xinhua2@example.cn"])):
        for address in addresses:
            assert _attachments(seen[address]) == {f"{name}_两筛进度_2020-06-30.xlsx": XLSX}
            assert name in _body(seen[address])
    assert _attachments(seen["leader1@example.cn"]) == {"领导版_2020-06-30.xlsx": XLSX, "通报_2020-06-30.docx": DOCX}
    assert "草稿" in _body(seen["leader1@example.cn"])  # not issued yet
    assert _attachments(seen["weishengyuan@example.cn"]) == {"卫生院核对清单_2020-06-30.xlsx": XLSX}
    # The inspection group's spot checks are in the run folder and in no message (不发通知、不打招呼).
    assert (run_folder / spot_check_filename(AS_OF)).is_file()
    assert all(spot_check_filename(AS_OF) not in _attachments(msg) for msg in seen.values())
    assert all("抽查" not in _body(msg) for msg in seen.values())
    # The attachment is the workbook itself, byte for byte.
    part = next(seen["xinmin@example.cn"].iter_attachments())
    assert part.get_content() == (run_folder / "社区" / "新民社区.xlsx").read_bytes()


def test_missing_and_bad_addresses_are_reported_not_guessed(run_folder: Path, settings: Settings) -> None:
    s = mail_settings(settings, leaders=(), health_centre=("not an address",),
                      communities={"新民社区": ("xinmin@example.cn",), "东风社区": ("x@example.cn",)})
    plan = _plan(s, run_folder)
    assert [m.recipient for m in plan.messages] == ["xinmin@example.cn"]
    text = "\n".join(plan.problems)
    assert "东风社区" in text and "领导：未配置邮箱地址" in text and "'not an address' 格式不对" in text
    for name in ("新安社区", "新华社区", "常花园社区", "银华社区"):
        assert f"{name}：未配置邮箱地址" in text


def test_a_village_name_two_townships_share_addresses_neither(settings: Settings) -> None:
    twins = (Community("王庄村", 1, 1, 1, 1, parent="甲镇"), Community("王庄村", 1, 1, 1, 1, parent="乙镇"),
             Community("东关社区", 1, 1, 1, 1, parent="乙镇"))
    s = mail_settings(dataclasses.replace(settings, communities=twins),
                      communities={"王庄村": ("a@example.cn",), "乙镇王庄村": ("b@example.cn",), "东关社区": ("c@example.cn",)})
    found, unknown = deliver.plan.community_addresses(s)
    # 王庄村 is either township's: ignored (and said so); the unambiguous names are used.
    assert found == {"乙镇/王庄村": ("b@example.cn",), "乙镇/东关社区": ("c@example.cn",)}
    assert unknown == ["config.toml [mail.communities] 中的“王庄村”是多个乡镇都有的名称，已忽略（请写明乡镇，如“甲镇王庄村”）。"]


def test_missing_workbook_is_reported(tmp_path: Path, run_folder: Path, settings: Settings) -> None:
    partial = tmp_path / "2020-06-30"
    shutil.copytree(run_folder, partial)
    (partial / "社区" / "新安社区.xlsx").unlink()
    plan = _plan(mail_settings(settings), partial)
    assert "新安社区" not in {m.label for m in plan.messages}
    assert any("新安社区：找不到附件" in p and "screening run --as-of 2020-06-30" in p for p in plan.problems)


def test_issued_circular_goes_to_the_leaders(tmp_path: Path, run_folder: Path, settings: Settings) -> None:
    folder = tmp_path / "archive"
    record = archive.issue(folder, settings, demo_result(AS_OF), number="8", issued_at=NOW, issued_by="刘杰")
    plan = _plan(mail_settings(settings), run_folder, folder)
    leaders = [m for m in plan.messages if m.kind == "leaders"][0]
    docx = next(a for a in leaders.attachments if a.name.endswith(".docx"))
    issued = next(f for f in record.files if f.name.endswith(".docx"))
    assert docx.sha256 == issued.sha256
    assert "唐洲文〔2020〕8号" in leaders.body and "草稿" not in leaders.body


def test_templates_render_strictly(settings: Settings) -> None:
    import jinja2

    with pytest.raises(jinja2.UndefinedError):
        deliver.render_mail(deliver.TEMPLATE_COMMUNITY, {"as_of_text": "x"}, settings)


# ----------------------------------------------------------------------------------------------
# SMTP


def test_smtp_delivery_and_the_ledger(run_folder: Path, settings: Settings, tmp_path: Path, smtp_server: Any) -> None:
    recorder, port, _ = smtp_server
    s = mail_settings(settings, host="127.0.0.1", port=port, security="none")
    plan = _plan(s, run_folder)
    folder = tmp_path / "archive"
    results = _send(s, plan, folder, deliver.smtp_factory(s.mail, None))
    assert [r.status for r in results] == ["sent"] * RECIPIENTS
    arrived = recorder.by_recipient()
    assert set(arrived) == {m.recipient for m in plan.messages}
    assert {r[0] for r in recorder.received} == {"sizhou_jsb@example.cn"}
    # No community receives another's workbook.
    own = {address: name for name, addresses in COMMUNITY_MAIL.items() for address in addresses}
    full = {c.short: c.name for c in settings.communities} | {c.name: c.name for c in settings.communities}
    for address, msg in arrived.items():
        names = list(_attachments(msg))
        if address in own:
            assert names == [f"{full[own[address]]}_两筛进度_2020-06-30.xlsx"]
        else:
            assert not any("两筛进度" in n for n in names)
    # The ledger: a second run sends nothing; --resend sends again.
    again = _send(s, _plan(s, run_folder), folder, deliver.smtp_factory(s.mail, None))
    assert {r.status for r in again} == {"skipped"} and len(recorder.received) == RECIPIENTS
    conn = store.open_db(folder)
    try:
        rows = conn.execute("SELECT kind, recipient, attachment, status FROM sent").fetchall()
    finally:
        conn.close()
    assert len(rows) == RECIPIENTS + len(LEADERS)  # the leaders' messages have two attachments
    assert ("community", "xinmin@example.cn", "新民社区_两筛进度_2020-06-30.xlsx", "sent") in [tuple(r) for r in rows]
    resent = _send(s, _plan(s, run_folder), folder, deliver.smtp_factory(s.mail, None), resend=True)
    assert {r.status for r in resent} == {"sent"} and len(recorder.received) == 2 * RECIPIENTS


def test_a_refused_recipient_does_not_stop_the_others(run_folder: Path, settings: Settings, tmp_path: Path, smtp_server: Any) -> None:
    _, _, start = smtp_server
    recorder = Recorder(refuse=("xinan@example.cn",))
    port = start(recorder)
    s = mail_settings(settings, host="127.0.0.1", port=port, security="none")
    folder = tmp_path / "archive"
    sleeps: list[float] = []
    results = _send(s, _plan(s, run_folder), folder, deliver.smtp_factory(s.mail, None), sleep=sleeps.append)
    status = {r.message.recipient: r for r in results}
    assert status["xinan@example.cn"].status == "failed"
    assert "550" in status["xinan@example.cn"].detail and status["xinan@example.cn"].attempts == 1
    assert sleeps == []  # a permanent refusal is not retried
    assert sum(r.status == "sent" for r in results) == RECIPIENTS - 1
    assert "xinan@example.cn" not in recorder.by_recipient()
    # The failure is in the ledger, and the next run tries that recipient again (only).
    recorder.refuse.clear()
    retry = _send(s, _plan(s, run_folder), folder, deliver.smtp_factory(s.mail, None))
    assert [r.message.recipient for r in retry if r.status == "sent"] == ["xinan@example.cn"]


def test_temporary_failures_are_retried_with_back_off(run_folder: Path, settings: Settings, tmp_path: Path, smtp_server: Any) -> None:
    _, _, start = smtp_server
    recorder = Recorder(busy={"xinmin@example.cn": 2, "changhuayuan@example.cn": 5})
    port = start(recorder)
    s = mail_settings(settings, host="127.0.0.1", port=port, security="none", retries=2, retry_wait_seconds=0.5)
    sleeps: list[float] = []
    results = _send(s, _plan(s, run_folder), tmp_path / "archive", deliver.smtp_factory(s.mail, None), sleep=sleeps.append)
    status = {r.message.recipient: r for r in results}
    assert (status["xinmin@example.cn"].status, status["xinmin@example.cn"].attempts) == ("sent", 3)
    assert (status["changhuayuan@example.cn"].status, status["changhuayuan@example.cn"].attempts) == ("failed", 3)
    assert "451" in status["changhuayuan@example.cn"].detail
    assert sleeps == [0.5, 1.0, 0.5, 1.0]  # exponential back-off per message
    assert sum(r.status == "sent" for r in results) == RECIPIENTS - 1


def test_unreachable_server_fails_everyone_after_retries(run_folder: Path, settings: Settings, tmp_path: Path) -> None:
    s = mail_settings(settings, host="127.0.0.1", port=free_port(), security="none", retries=2)
    sleeps: list[float] = []
    results = _send(s, _plan(s, run_folder), tmp_path / "archive", deliver.smtp_factory(s.mail, None), sleep=sleeps.append)
    assert {r.status for r in results} == {"failed"}
    assert "无法连接邮件服务器" in results[0].detail and len(sleeps) == 2


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
@pytest.mark.parametrize("security", ["starttls", "ssl"])
def test_tls_verified_against_the_test_ca(
    security: str, run_folder: Path, settings: Settings, tmp_path: Path, smtp_server: Any, certificates: dict[str, Path]
) -> None:
    _, _, start = smtp_server
    recorder = Recorder()
    tls = _server_context(certificates)
    kwargs: dict[str, Any] = (
        {"tls_context": tls, "require_starttls": True}
        if security == "starttls"
        # aiosmtpd only counts STARTTLS as TLS for AUTH; with implicit TLS the whole session is encrypted.
        else {"ssl_context": tls, "auth_require_tls": False}
    )
    port = start(recorder, authenticator=recorder.authenticate, auth_required=True, **kwargs)
    s = mail_settings(settings, host="127.0.0.1", port=port, security=security, user="jsb")
    client = ssl.create_default_context(cafile=str(certificates["ca"]))
    plan = _plan(s, run_folder)
    results = _send(s, plan, tmp_path / "archive", deliver.smtp_factory(s.mail, "s3cret-pw", context=client),
                    secrets=("s3cret-pw",))
    assert [r.status for r in results] == ["sent"] * RECIPIENTS, results[0].detail
    assert set(recorder.by_recipient()) == {m.recipient for m in plan.messages}
    assert recorder.logins and set(recorder.logins) == {(b"jsb", b"s3cret-pw")}
    db = (tmp_path / "archive" / "archive.db").read_bytes()
    assert b"s3cret-pw" not in db


def test_tls_without_the_ca_is_refused_not_bypassed(
    run_folder: Path, settings: Settings, tmp_path: Path, smtp_server: Any, certificates: dict[str, Path]
) -> None:
    _, _, start = smtp_server
    recorder = Recorder()
    port = start(recorder, tls_context=_server_context(certificates), require_starttls=True)
    s = mail_settings(settings, host="127.0.0.1", port=port, security="starttls")
    results = _send(s, _plan(s, run_folder), tmp_path / "archive", deliver.smtp_factory(s.mail, None))
    assert {r.status for r in results} == {"failed"} and not recorder.received
    assert "证书" in results[0].detail


def test_wrong_password_stops_cleanly(
    run_folder: Path, settings: Settings, tmp_path: Path, smtp_server: Any, certificates: dict[str, Path]
) -> None:
    _, _, start = smtp_server
    recorder = Recorder()
    port = start(recorder, tls_context=_server_context(certificates), require_starttls=True,
                 authenticator=recorder.authenticate, auth_required=True)
    s = mail_settings(settings, host="127.0.0.1", port=port, security="starttls", user="jsb")
    client = ssl.create_default_context(cafile=str(certificates["ca"]))
    results = _send(s, _plan(s, run_folder), tmp_path / "archive",
                    deliver.smtp_factory(s.mail, "wrong-secret", context=client), secrets=("wrong-secret",))
    assert {r.status for r in results} == {"failed"} and "登录失败" in results[0].detail
    assert all("wrong-secret" not in r.detail for r in results)


# ----------------------------------------------------------------------------------------------
# Reminders


def test_reminder_due_dates(settings: Settings) -> None:
    assert deliver.reminder_due(settings, dt.date(2020, 6, 26)) == (dt.date(2020, 6, 28), dt.date(2020, 6, 18))
    assert deliver.reminder_due(settings, dt.date(2020, 6, 28)) == (dt.date(2020, 6, 28), dt.date(2020, 6, 18))
    assert deliver.reminder_due(settings, dt.date(2020, 6, 25)) == (None, None)  # 3 days before: not yet
    assert deliver.reminder_due(settings, dt.date(2020, 4, 16)) == (dt.date(2020, 4, 18), None)


def test_reminders_once_per_due_date(settings: Settings, tmp_path: Path, smtp_server: Any) -> None:
    recorder, port, _ = smtp_server
    s = mail_settings(settings, host="127.0.0.1", port=port, security="none")
    result = demo_result(dt.date(2020, 6, 26))
    plan = deliver.plan_remind(s, result)
    assert plan.due_date == dt.date(2020, 6, 28)
    by_name = {m.label: m for m in plan.messages}
    # 常花园 has sent nothing since 06-18 (its next roster is dated 06-28): a 催报.
    assert by_name["常花园社区"].subject.startswith("【催报】")
    assert "2020年6月28日前" in by_name["常花园社区"].body
    # The others submitted on 06-26 but have open follow-up items: counts only, no names.
    assert by_name["新民社区"].subject.startswith("【提醒】") and "请于" not in by_name["新民社区"].body
    for m in plan.messages:
        assert not m.attachments and m.due_date == "2020-06-28"
        assert not ID_PATTERN.search(m.body) and not MOBILE_PATTERN.search(m.body)
        assert re.search(r"\d+ 人", m.body)
    assert any("银华社区" in p for p in plan.problems)
    first = _send(s, plan, tmp_path / "archive", deliver.smtp_factory(s.mail, None))
    assert {r.status for r in first} == {"sent"}
    again = _send(s, deliver.plan_remind(s, result), tmp_path / "archive", deliver.smtp_factory(s.mail, None), resend=True)
    assert {r.status for r in again} == {"skipped"}  # never twice for the same due date, even with resend
    assert len(recorder.received) == len(plan.messages)


# ----------------------------------------------------------------------------------------------
# The commands


def _project(tmp: Path, run_folder: Path, **mail: str) -> Path:
    """A tmp project: config copy with addresses (and SMTP settings), output/2020-06-30 copied."""
    text = CONFIG.read_text(encoding="utf-8")
    text = text.replace('sender = ""', 'sender = "sizhou_jsb@example.cn"', 1)
    text = text.replace("leaders = []", 'leaders = ["leader1@example.cn", "leader2@example.cn"]', 1)
    text = text.replace("health_centre = []", 'health_centre = ["weishengyuan@example.cn"]', 1)
    for key, value in mail.items():
        text = re.sub(rf"(?m)^{key} = .*$", f"{key} = {value}", text, count=1)
    text = text.replace(
        "[mail.communities]",
        '[mail.communities]\n"新民社区" = ["xinmin@example.cn"]\n"新安社区" = ["xinan@example.cn"]\n'
        '"新华社区" = ["xinhua@example.cn"]\n"常花园社区" = ["changhuayuan@example.cn"]\n'
        '"银华社区" = ["yinhua@example.cn"]\n',
        1,
    )
    (tmp / "config.toml").write_text(text, encoding="utf-8")
    shutil.copytree(run_folder, tmp / "output" / "2020-06-30")
    return tmp


@pytest.mark.filterwarnings("ignore:Requiring AUTH while not requiring TLS")
def test_send_command_dry_run_then_send(
    tmp_path: Path, run_folder: Path, smtp_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _, _, start = smtp_server
    recorder = Recorder()
    port = start(recorder, authenticator=recorder.authenticate, auth_required=True, auth_require_tls=False)
    project = _project(tmp_path, run_folder, host='"127.0.0.1"', port=str(port), security='"none"', user='"jsb"')
    args = ["send", "--config", str(project / "config.toml"), "--output", str(project / "output"), "--as-of", "2020-06-30"]
    dry = CliRunner().invoke(main, args)
    assert dry.exit_code == 0, dry.output
    outbox = project / "output" / "2020-06-30" / "outbox"
    assert len(list(outbox.glob("*.eml"))) == 8 and "--send" in dry.output and not recorder.received
    monkeypatch.setenv(deliver.PASSWORD_ENV, "s3cret-pw")
    sent = CliRunner().invoke(main, [*args, "--send"])
    assert sent.exit_code == 0, sent.output
    assert "发送成功 8 封，失败 0 封" in sent.output and "s3cret-pw" not in sent.output
    assert len(recorder.received) == 8
    # Once sent, a dry run shows them as already sent.
    again = CliRunner().invoke(main, args)
    assert again.exit_code == 0 and again.output.count("已发送过，跳过") == 8


def test_send_command_needs_a_run(tmp_path: Path, run_folder: Path) -> None:
    project = _project(tmp_path, run_folder)
    result = CliRunner().invoke(
        main, ["send", "--config", str(project / "config.toml"), "--output", str(project / "output"), "--as-of", "2020-07-15"]
    )
    assert result.exit_code != 0 and "screening run --as-of 2020-07-15" in result.output


def test_send_command_without_host(tmp_path: Path, run_folder: Path) -> None:
    project = _project(tmp_path, run_folder)
    result = CliRunner().invoke(
        main,
        ["send", "--config", str(project / "config.toml"), "--output", str(project / "output"), "--as-of", "2020-06-30", "--send"],
    )
    assert result.exit_code != 0 and "host 未设置" in result.output


def test_remind_command_outside_the_window(tmp_path: Path, run_folder: Path) -> None:
    project = _project(tmp_path, run_folder)
    result = CliRunner().invoke(
        main, ["remind", "--config", str(project / "config.toml"), "--input", str(DEMO_INPUT), "--as-of", "2020-06-22"]
    )
    assert result.exit_code == 0 and "无需催报" in result.output


def test_attachments_can_be_sent_password_protected(
    run_folder: Path, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import io

    import msoffcrypto

    from pipeline.load import read_file

    protected = mail_settings(settings, encrypt_attachments=True)
    plan = _plan(protected, run_folder)
    out = next(o for o in plan.messages if o.attachments)
    monkeypatch.delenv(deliver.ATTACHMENT_PASSWORD_ENV, raising=False)
    with pytest.raises(deliver.DeliverError, match=deliver.ATTACHMENT_PASSWORD_ENV):
        deliver.build_message(protected, out, dt.datetime(2020, 7, 1, 9, 0))
    monkeypatch.setenv(deliver.ATTACHMENT_PASSWORD_ENV, "两筛2020")
    msg = deliver.build_message(protected, out, dt.datetime(2020, 7, 1, 9, 0))
    sent = {part.get_filename(): part.get_content() for part in msg.iter_attachments()}
    for a in out.attachments:
        data = sent[a.name]
        assert data != a.data
        office = msoffcrypto.OfficeFile(io.BytesIO(data))
        office.load_key(password="两筛2020")
        plain = io.BytesIO()
        office.decrypt(plain)
        assert plain.getvalue() == a.data
        # And a protected workbook that comes back as input is recognised as such.
        (tmp_path / a.name).write_bytes(data)
        assert read_file(tmp_path / a.name, tmp_path, settings.limits).format == "encrypted"
    assert "两筛2020" not in msg.as_string()


# ----------------------------------------------------------------------------------------------
# Without any mail address (the shipped config): the commands still say what to do


def _without_addresses(tmp: Path) -> Path:
    folder = tmp / "project"
    folder.mkdir()
    shutil.copy(CONFIG, folder / "config.toml")
    return folder / "config.toml"


def test_remind_without_addresses_lists_who_owes_and_writes_the_wechat_text(tmp_path: Path) -> None:
    """The day before a due date (06-08): the communities with no roster since 05-28 are named, open
    follow-ups are counted, and a text for the WeChat group is written; no mail is needed."""
    config = _without_addresses(tmp_path)
    out = tmp_path / "output"
    result = CliRunner().invoke(
        main, ["remind", "--config", str(config), "--input", str(DEMO_INPUT), "--output", str(out), "--as-of", "2020-06-07"]
    )
    assert result.exit_code == 0, result.output
    expected = deliver.plan_remind(load_settings(config), analyse(DEMO_INPUT, load_settings(config), dt.date(2020, 6, 7)))
    owing = [o.name for o in expected.owing if o.roster_missing]
    assert owing and f"尚未报送花名册的社区：{'、'.join(owing)}" in result.output
    text = (out / "2020-06-07" / "催报_2020-06-08.txt").read_text(encoding="utf-8")
    assert "2020年6月8日" in text and all(name in text for name in owing)
    assert not ID_PATTERN.search(text) and not MOBILE_PATTERN.search(text)
    assert "config.toml" in result.output and "[mail.communities]" in result.output


def test_send_without_addresses_says_which_config_lines_to_fill_in(tmp_path: Path, run_folder: Path) -> None:
    config = _without_addresses(tmp_path)
    out = tmp_path / "output"
    shutil.copytree(run_folder, out / "2020-06-30")
    result = CliRunner().invoke(main, ["send", "--config", str(config), "--output", str(out), "--as-of", "2020-06-30"])
    assert result.exit_code == 0, result.output
    assert "没有要发送的邮件" in result.output
    for line in ("[mail]", "sender =", "leaders =", "health_centre =", "[mail.communities]", '"新民社区" = ['):
        assert line in result.output, line
