"""Email: the run's workbooks to the people who need them (``screening send``) and roster
reminders before each due date (``screening remind``).

* Each community gets its own workbook only; the leaders get the leaders' copy and the circular
  (the issued one from the archive when the period has been issued, else the draft); the health
  centre gets its checklist. One message per address, addresses from ``[mail]`` in the config: a
  missing address is reported, never guessed.
* Subjects and bodies come from Jinja templates (``templates/mail_*.txt.j2``: the first line is the
  subject, the rest the body) and carry community-level figures only, never a woman's ID or phone.
* The default is a dry run: the messages are written as ``.eml`` files to ``output/<as-of>/outbox/``
  for the user to check. With ``send=True`` they go out through SMTP (the transport is an argument,
  so tests inject their own server); temporary failures (4xx, dropped connections) are retried with
  exponential back-off, and a refused recipient does not stop the others.
* A ledger (table ``sent`` in the archive database) records every delivery: the same attachment is
  not sent twice to the same address (unless ``resend``), a reminder never twice for a due date.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import smtplib
import sqlite3
import ssl
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Literal

import pandas as pd

from pipeline.archive import list_circulars
from pipeline.calendar import due_dates
from pipeline.fmt import cn_date, fmt_num, fmt_pct
from pipeline.model import Analysis
from pipeline.normalize.ids import mask_text
from pipeline.outputs.circular import document_number, render
from pipeline.outputs.names import (
    circular_names,
    community_attachment_name,
    community_filename,
    health_centre_filename,
    leaders_filename,
    outbox_message_name,
)
from pipeline.settings import TEST_LABELS, TESTS, Mail, ScreeningError, Settings
from pipeline.store import transaction

PASSWORD_ENV = "SCREENING_SMTP_PASSWORD"

TEMPLATE_COMMUNITY = "mail_community.txt.j2"
TEMPLATE_LEADERS = "mail_leaders.txt.j2"
TEMPLATE_HEALTH_CENTRE = "mail_health_centre.txt.j2"
TEMPLATE_REMIND = "mail_remind.txt.j2"

MIME_TYPES: dict[str, tuple[str, str]] = {
    ".xlsx": ("application", "vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    ".docx": ("application", "vnd.openxmlformats-officedocument.wordprocessingml.document"),
    ".html": ("text", "html"),
    ".txt": ("text", "plain"),
    ".json": ("application", "json"),
    ".pdf": ("application", "pdf"),
}

Kind = Literal["community", "leaders", "health_centre", "remind"]
KIND_LABELS: dict[str, str] = {
    "community": "社区工作簿",
    "leaders": "领导版和通报",
    "health_centre": "卫生院核对清单",
    "remind": "催报提醒",
}
Status = Literal["draft", "sent", "failed", "skipped"]
STATUS_LABELS: dict[str, str] = {
    "draft": "已写入待发箱（未发送）",
    "sent": "已发送",
    "failed": "发送失败",
    "skipped": "已发送过，跳过",
}
FOLLOWUP_MAIL_LABELS = {
    "open": "正在窗口期内、尚未筛查",
    "soon": "{days}天内进入窗口期",
    "no_dates": "末次月经等日期缺失、无法推算孕周",
    "missed": "已错过窗口期",
}
# What a reminder chases: the open items (a missed window can no longer be caught up).
REMIND_ITEMS = ("open", "soon", "no_dates")

_ADDRESS = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")

Transport = Callable[[], smtplib.SMTP]


class DeliverError(ScreeningError):
    """Email cannot be prepared or sent at all (no sender, no host): a Chinese message."""


# ----------------------------------------------------------------------------------------------
# Messages


@dataclass(frozen=True)
class Attachment:
    name: str  # the file name the recipient sees
    data: bytes
    sha256: str
    maintype: str
    subtype: str

    @classmethod
    def from_path(cls, path: Path, name: str | None = None) -> Attachment:
        data = path.read_bytes()
        shown = name or path.name
        maintype, subtype = mime_type(shown)
        return cls(shown, data, hashlib.sha256(data).hexdigest(), maintype, subtype)


def mime_type(name: str) -> tuple[str, str]:
    return MIME_TYPES.get(Path(name).suffix.lower(), ("application", "octet-stream"))


@dataclass
class Outgoing:
    """One message to one address."""

    kind: Kind
    label: str  # who: 新民社区 / 领导 / 卫生院
    recipient: str  # the address
    subject: str
    body: str
    attachments: list[Attachment]
    as_of: dt.date
    period_end: str | None = None
    due_date: str | None = None


@dataclass
class Plan:
    messages: list[Outgoing] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # Chinese: missing addresses, missing files
    due_date: dt.date | None = None  # reminders: the due date they are for


@dataclass
class Delivery:
    message: Outgoing
    status: Status
    detail: str = ""
    path: Path | None = None  # the .eml file of a dry run
    attempts: int = 0

    @property
    def status_text(self) -> str:
        text = STATUS_LABELS[self.status]
        return f"{text}：{self.detail}" if self.detail else text


def render_mail(name: str, context: dict[str, Any], settings: Settings) -> tuple[str, str]:
    """(subject, body) from a mail template: the first non-empty line is the subject."""
    text = render(name, context, settings).replace("\r\n", "\n")
    lines = text.strip("\n").split("\n")
    subject = " ".join(lines[0].split()) if lines else ""
    if not subject:
        raise DeliverError(f"邮件模板 {name} 的第一行应为邮件主题，现为空。")
    body = "\n".join(lines[1:]).strip("\n") + "\n"
    # Belt and braces: no ID or mobile number ever leaves in a subject or body.
    return mask_text(subject), mask_text(body)


ATTACHMENT_PASSWORD_ENV = "SCREENING_ATTACHMENT_PASSWORD"
_OOXML_SUBTYPES = ("vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                   "vnd.openxmlformats-officedocument.wordprocessingml.document")


def protect(data: bytes, password: str) -> bytes:
    """An Office (OOXML) file encrypted with ``password`` (ECMA-376 agile encryption), as Excel and
    WPS open it after asking for the password. Not reproducible: each encryption has a random salt."""
    from msoffcrypto.format.ooxml import OOXMLFile

    out = io.BytesIO()
    OOXMLFile(io.BytesIO(data)).encrypt(password, out)
    return out.getvalue()


def attachment_password(settings: Settings) -> str | None:
    """The password for emailed workbooks when ``[mail] encrypt_attachments`` is on: only from the
    environment, never from the config file."""
    if not settings.mail.encrypt_attachments:
        return None
    password = os.environ.get(ATTACHMENT_PASSWORD_ENV, "")
    if not password:
        raise DeliverError(
            f"配置中已开启附件加密（[mail] encrypt_attachments = true），但没有提供密码：请设置环境变量 "
            f"{ATTACHMENT_PASSWORD_ENV}。密码请另行告知收件人，不要写进邮件。"
        )
    return password


def build_message(settings: Settings, out: Outgoing, now: dt.datetime) -> EmailMessage:
    mail = settings.mail
    password = attachment_password(settings)
    if not mail.sender or not _ADDRESS.match(mail.sender):
        raise DeliverError("请在 config.toml 的 [mail] sender 中填写发件邮箱地址（如 sizhou_jsb@163.com）。")
    user, _, domain = mail.sender.partition("@")
    msg = EmailMessage(policy=SMTP)
    msg["From"] = Address(display_name=mail.sender_name or settings.programme.issuer, username=user, domain=domain)
    msg["To"] = out.recipient
    msg["Subject"] = out.subject
    msg["Date"] = format_datetime(now if now.tzinfo else now.astimezone())
    msg["Message-ID"] = make_msgid(domain=domain)
    msg.set_content(out.body, charset="utf-8")
    for a in out.attachments:
        data = protect(a.data, password) if password and a.subtype in _OOXML_SUBTYPES else a.data
        msg.add_attachment(data, maintype=a.maintype, subtype=a.subtype, filename=a.name)
    return msg


# ----------------------------------------------------------------------------------------------
# Addresses


def _valid(values: Iterable[str], who: str, problems: list[str]) -> list[str]:
    out: list[str] = []
    for raw in values:
        address = str(raw).strip()
        if not address:
            continue
        if not _ADDRESS.match(address):
            problems.append(f"{who}：邮箱地址 {address!r} 格式不对，未发送。")
            continue
        if address.lower() not in (a.lower() for a in out):
            out.append(address)
    return out


def community_addresses(settings: Settings) -> tuple[dict[str, tuple[str, ...]], list[str]]:
    """Community key -> addresses from ``[mail.communities]`` (keyed by key, name or short name),
    and warnings for entries that name no configured community."""
    configured = settings.mail.communities
    found: dict[str, tuple[str, ...]] = {}
    used: set[str] = set()
    for c in settings.communities:
        for k in (c.key, c.name, c.short):
            if k and k in configured:
                found[c.key] = configured[k]
                used.add(k)
                break
    unknown = [
        f"config.toml [mail.communities] 中的“{k}”不是配置中的社区，已忽略（社区名称应与 [[communities]] 一致）。"
        for k in configured
        if k not in used
    ]
    return found, unknown


# ----------------------------------------------------------------------------------------------
# Template context (community-level figures only)


def _community_context(c: dict[str, Any], settings: Settings) -> dict[str, Any]:
    followup = {k: int((c.get("followup") or {}).get(k, 0)) for k in ("open", "soon", "missed", "no_dates")}
    high_risk = int(c.get("high_risk_awaiting_diagnosis") or 0)
    days = settings.followup.opening_within_days

    def items(keys: Sequence[str]) -> list[dict[str, Any]]:
        out = [
            {"label": FOLLOWUP_MAIL_LABELS[k].format(days=days), "count": followup[k]} for k in keys if followup[k]
        ]
        if high_risk:
            out.append({"label": "高风险待产前诊断", "count": high_risk})
        return out

    all_items = items(("open", "soon", "no_dates", "missed"))
    open_items = items(REMIND_ITEMS)
    return {
        "name": c["name"],
        "key": c.get("key", c["name"]),
        "rank_text": "—" if c.get("rank") is None else fmt_num(c["rank"]),
        "rate_text": fmt_pct(c.get("rate")),
        "tests": [
            {
                "label": TEST_LABELS[t],
                "done": fmt_num(c["done"].get(t)),
                "expected": fmt_num(c["expected"].get(t)),
                "quota": fmt_num(c["quota"].get(t)),
                "rate": fmt_pct((c.get("rates") or {}).get(t)),
            }
            for t in TESTS
        ],
        "lagging": bool(c.get("lagging")),
        "consequence": c.get("consequence") or "",
        "commendation": c.get("commendation") or "",
        "followup_items": all_items,
        "followup_text": "，".join(f"{i['label']} {i['count']} 人" for i in all_items),
        "followup_total": sum(i["count"] for i in all_items),
        "open_items": open_items,
        "open_text": "，".join(f"{i['label']} {i['count']} 人" for i in open_items),
        "open_total": sum(i["count"] for i in open_items),
    }


def mail_context(summary: dict[str, Any], settings: Settings) -> dict[str, Any]:
    as_of = dt.date.fromisoformat(summary["as_of"])
    raw = summary.get("circular_period")
    period = None
    if raw:
        start, end = dt.date.fromisoformat(raw["start"]), dt.date.fromisoformat(raw["end"])
        period = {
            "number": raw["number"],
            "end": raw["end"],
            "text": f"{cn_date(start)}至{cn_date(end, year=end.year != start.year)}",
        }
    communities = [_community_context(c, settings) for c in summary.get("communities") or []]
    ranked = sorted(
        communities,
        key=lambda c: (c["rank_text"] == "—", float(c["rank_text"]) if c["rank_text"] != "—" else 0.0),
    )
    totals = summary.get("totals") or {}
    return {
        "programme": settings.programme.name,
        "issuer": settings.programme.issuer,
        "sender_name": settings.mail.sender_name or settings.programme.issuer,
        "health_centre": settings.directory.health_centre or "卫生院",
        "as_of": as_of.isoformat(),
        "as_of_text": cn_date(as_of),
        "period": period,
        "communities": communities,
        "ranking": ranked,
        "community_count": len(communities),
        "lagging_names": [c["name"] for c in communities if c["lagging"]],
        "totals": [
            {
                "label": TEST_LABELS[t],
                "done": fmt_num((totals.get("done") or {}).get(t)),
                "expected": fmt_num((totals.get("expected") or {}).get(t)),
                "quota": fmt_num((totals.get("quota") or {}).get(t)),
            }
            for t in TESTS
        ],
        "goal": totals.get("goal"),
        "hotline": settings.programme.hotline,
    }


def _by_key(summary: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {c.get("key", c["name"]): c for c in summary.get("communities") or []}


# ----------------------------------------------------------------------------------------------
# Plans


def issued_circular(archive_dir: Path | None, period_end: str | None) -> tuple[Path, str] | None:
    """The Word file and document number of the latest issued revision of the period, if any."""
    if archive_dir is None or period_end is None:
        return None

    records = [r for r in list_circulars(archive_dir) if r.period_end == period_end]
    if not records:
        return None
    record = max(records, key=lambda r: r.revision)
    docx = [f for f in record.files if f.name.endswith(".docx")]
    if not docx:
        return None
    return archive_dir / record.folder / docx[0].name, record.doc_number


def plan_send(
    settings: Settings, run_folder: Path, summary: dict[str, Any], archive_dir: Path | None = None
) -> Plan:
    """The messages of ``screening send`` for the run in ``run_folder`` (``output/<as-of>/``)."""

    as_of = dt.date.fromisoformat(summary["as_of"])
    ctx = mail_context(summary, settings)
    period_end = ctx["period"]["end"] if ctx["period"] else None
    plan = Plan()
    hint = f"请先运行 screening run --as-of {as_of.isoformat()}"

    def attachment(path: Path, who: str, name: str | None = None) -> Attachment | None:
        if not path.is_file():
            plan.problems.append(f"{who}：找不到附件 {path}（{hint}），未发送。")
            return None
        return Attachment.from_path(path, name)

    addresses, unknown = community_addresses(settings)
    plan.problems.extend(unknown)
    entries = _by_key(summary)
    for c in settings.communities:
        to = _valid(addresses.get(c.key, ()), c.name, plan.problems)
        if not to:
            plan.problems.append(f"{c.name}：未配置邮箱地址（config.toml [mail.communities]），本社区工作簿未发送。")
            continue
        if c.key not in entries:
            plan.problems.append(f"{c.name}：summary.json 中没有该社区，未发送。")
            continue
        att = attachment(
            run_folder / community_filename(settings, c.key), c.name, community_attachment_name(c.name, as_of)
        )
        if att is None:
            continue
        context = {**ctx, "c": _community_context(entries[c.key], settings), "attachment_names": [att.name]}
        subject, body = render_mail(TEMPLATE_COMMUNITY, context, settings)
        for address in to:
            plan.messages.append(Outgoing("community", c.name, address, subject, body, [att], as_of, period_end))

    leaders = _valid(settings.mail.leaders, "领导", plan.problems)
    if not leaders:
        plan.problems.append("领导：未配置邮箱地址（config.toml [mail] leaders），领导版和通报未发送。")
    else:
        book = attachment(run_folder / leaders_filename(as_of), "领导")
        issued = issued_circular(archive_dir, period_end)
        if issued is not None:
            circular = attachment(issued[0], "领导")
            doc_number = issued[1]
        else:
            circular = attachment(run_folder / circular_names(as_of).docx, "领导")
            doc_number = ""
        files = [a for a in (book, circular) if a is not None]
        if book is not None and circular is not None:
            context = {
                **ctx,
                "attachment_names": [a.name for a in files],
                "doc_number": doc_number,
                "draft_number": document_number(settings, None),
            }
            subject, body = render_mail(TEMPLATE_LEADERS, context, settings)
            for address in leaders:
                plan.messages.append(Outgoing("leaders", "领导", address, subject, body, files, as_of, period_end))

    centre = ctx["health_centre"]
    to = _valid(settings.mail.health_centre, centre, plan.problems)
    if not to:
        plan.problems.append(f"{centre}：未配置邮箱地址（config.toml [mail] health_centre），核对清单未发送。")
    else:
        att = attachment(run_folder / health_centre_filename(as_of), centre)
        if att is not None:
            subject, body = render_mail(TEMPLATE_HEALTH_CENTRE, {**ctx, "attachment_names": [att.name]}, settings)
            for address in to:
                plan.messages.append(
                    Outgoing("health_centre", centre, address, subject, body, [att], as_of, period_end)
                )
    return plan


def reminder_due(settings: Settings, as_of: dt.date) -> tuple[dt.date | None, dt.date | None]:
    """The next roster due date within ``rosters.reminder_days_before`` days from ``as_of``
    (inclusive), and the due date before it (None for the first)."""

    dues = due_dates(settings, settings.programme.end)
    ahead = as_of + dt.timedelta(days=settings.rosters.reminder_days_before)
    coming = [d for d in dues if as_of <= d <= ahead]
    if not coming:
        return None, None
    due = coming[0]
    before = [d for d in dues if d < due]
    return due, (before[-1] if before else None)


def submitted_since(submissions: pd.DataFrame, after: dt.date | None, as_of: dt.date) -> set[str]:
    """Communities with a roster submission dated after ``after`` and by ``as_of``."""

    if submissions.empty:
        return set()
    subs = submissions.dropna(subset=["report_date", "community"])
    dates = pd.to_datetime(subs["report_date"])
    keep = dates <= pd.Timestamp(as_of)
    if after is not None:
        keep &= dates > pd.Timestamp(after)
    return {str(c) for c in subs.loc[keep, "community"]}


def plan_remind(settings: Settings, result: Analysis) -> Plan:
    """The reminders (催报) for the next due date: to each community that has not yet submitted its
    roster for it, and to those with open follow-up items (counts only; the names are in its
    workbook). Nothing when no due date falls within the reminder window."""
    as_of = result.as_of
    due, previous = reminder_due(settings, as_of)
    plan = Plan(due_date=due)
    if due is None:
        return plan
    submitted = submitted_since(result.reconciled.submissions, previous, as_of)
    ctx = mail_context(result.summary, settings)
    entries = _by_key(result.summary)
    addresses, unknown = community_addresses(settings)
    plan.problems.extend(unknown)
    for c in settings.communities:
        entry = _community_context(entries[c.key], settings) if c.key in entries else None
        roster_missing = c.key not in submitted
        open_total = entry["open_total"] if entry else 0
        if not roster_missing and not open_total:
            continue
        to = _valid(addresses.get(c.key, ()), c.name, plan.problems)
        if not to:
            plan.problems.append(f"{c.name}：未配置邮箱地址（config.toml [mail.communities]），催报未发送。")
            continue
        context = {
            **ctx,
            "c": entry or {"name": c.name, "open_items": [], "open_text": "", "open_total": 0},
            "due_text": cn_date(due),
            "previous_text": cn_date(previous) if previous else "",
            "days_left": (due - as_of).days,
            "update_days_text": "、".join(f"{d}日" for d in sorted(settings.rosters.update_days)),
            "roster_missing": roster_missing,
        }
        subject, body = render_mail(TEMPLATE_REMIND, context, settings)
        for address in to:
            plan.messages.append(
                Outgoing("remind", c.name, address, subject, body, [], as_of, due_date=due.isoformat())
            )
    return plan


# ----------------------------------------------------------------------------------------------
# Ledger


def already_sent(conn: sqlite3.Connection, out: Outgoing) -> bool:
    """A reminder: already sent to this address for this due date. Otherwise: every attachment
    already sent (successfully) to this address."""
    recipient = out.recipient.lower()
    if out.kind == "remind":
        row = conn.execute(
            "SELECT 1 FROM sent WHERE kind = 'remind' AND recipient = ? AND due_date = ? AND status = 'sent' LIMIT 1",
            (recipient, out.due_date),
        ).fetchone()
        return row is not None
    if not out.attachments:
        return False
    return all(
        conn.execute(
            "SELECT 1 FROM sent WHERE recipient = ? AND attachment_sha256 = ? AND status = 'sent' LIMIT 1",
            (recipient, a.sha256),
        ).fetchone()
        is not None
        for a in out.attachments
    )


def record(conn: sqlite3.Connection, out: Outgoing, status: Literal["sent", "failed"], error: str, when: dt.datetime) -> None:
    rows: list[tuple[str | None, str | None]] = [(a.name, a.sha256) for a in out.attachments] or [(None, None)]
    with transaction(conn):
        conn.executemany(
            """
            INSERT INTO sent (kind, as_of, period_end, due_date, recipient, label, subject, attachment,
                attachment_sha256, sent_at, status, error)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            [
                (
                    out.kind,
                    out.as_of.isoformat(),
                    out.period_end,
                    out.due_date,
                    out.recipient.lower(),
                    out.label,
                    out.subject,
                    name,
                    sha,
                    when.isoformat(timespec="seconds"),
                    status,
                    error or None,
                )
                for name, sha in rows
            ],
        )


def ledger(conn: sqlite3.Connection, limit: int = 200) -> list[sqlite3.Row]:
    return conn.execute("SELECT * FROM sent ORDER BY id DESC LIMIT ?", (limit,)).fetchall()


# ----------------------------------------------------------------------------------------------
# Outbox (dry run)


def write_outbox(folder: Path, items: Sequence[tuple[Outgoing, EmailMessage]]) -> list[Path]:
    """``NN_<who>_<address>.eml`` per message; earlier ``.eml`` files in ``folder`` are removed so
    that the folder shows exactly this run's messages."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.eml"):
        old.unlink()
    paths = []
    for i, (out, msg) in enumerate(items, start=1):
        path = folder / outbox_message_name(i, out.label, out.recipient)
        path.write_bytes(msg.as_bytes(policy=SMTP))
        paths.append(path)
    return paths


# ----------------------------------------------------------------------------------------------
# SMTP


def smtp_factory(mail: Mail, password: str | None, *, context: ssl.SSLContext | None = None) -> Transport:
    """A function that opens a ready (TLS, logged-in) SMTP connection from the settings. TLS
    certificates are always verified (``context`` defaults to the system's trust store)."""
    if not mail.host:
        raise DeliverError("config.toml 的 [mail] host 未设置（如 smtp.163.com），无法发送。")

    def connect() -> smtplib.SMTP:
        ctx = context or ssl.create_default_context()
        smtp: smtplib.SMTP
        if mail.security == "ssl":
            smtp = smtplib.SMTP_SSL(mail.host, mail.port, timeout=mail.timeout_seconds, context=ctx)
        else:
            smtp = smtplib.SMTP(mail.host, mail.port, timeout=mail.timeout_seconds)
        try:
            smtp.ehlo()
            if mail.security == "starttls":
                smtp.starttls(context=ctx)
                smtp.ehlo()
            if mail.user:
                smtp.login(mail.user, password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    return connect


class _Fatal(Exception):
    """A failure that no other message can escape (login refused, TLS broken, server unreachable)."""


class _Connection:
    def __init__(self, factory: Transport) -> None:
        self.factory = factory
        self.smtp: smtplib.SMTP | None = None

    def get(self) -> smtplib.SMTP:
        if self.smtp is None:
            self.smtp = self.factory()
        return self.smtp

    def drop(self) -> None:
        if self.smtp is not None:
            try:
                self.smtp.quit()
            except (smtplib.SMTPException, OSError):
                self.smtp.close()
            self.smtp = None


def _text(value: bytes | str) -> str:
    return value.decode("utf-8", "replace") if isinstance(value, bytes) else str(value)


def _send_one(
    conn: _Connection,
    msg: EmailMessage,
    *,
    retries: int,
    wait: float,
    sleep: Callable[[float], None],
) -> tuple[bool, str, int]:
    """(delivered, error text, attempts). Temporary failures are retried ``retries`` times with
    waits of ``wait``, ``2 × wait``, ``4 × wait`` ... Raises :class:`_Fatal` when sending cannot
    work for anyone."""
    attempt = 0
    while True:
        attempt += 1
        connecting = conn.smtp is None
        try:
            conn.get().send_message(msg)
            return True, "", attempt
        except smtplib.SMTPRecipientsRefused as exc:
            code, text = next(iter(exc.recipients.values()), (550, b""))
            temporary, error = 400 <= code < 500, f"收件人被拒绝（{code} {_text(text)}）"
        except smtplib.SMTPAuthenticationError as exc:
            conn.drop()
            raise _Fatal(
                f"邮箱登录失败（{exc.smtp_code}）：用户名或密码（授权码）不对，或邮箱未开启 SMTP 服务。"
            ) from None
        except smtplib.SMTPNotSupportedError as exc:
            conn.drop()
            raise _Fatal(f"邮件服务器不支持所需功能：{str(exc).rstrip('.')}。请检查 [mail] security 和 port。") from None
        except ssl.SSLError as exc:
            conn.drop()
            raise _Fatal(f"与邮件服务器的加密连接失败（证书校验或TLS错误）：{exc}") from None
        except smtplib.SMTPResponseException as exc:
            conn.drop()
            temporary, error = 400 <= exc.smtp_code < 500, f"服务器拒绝（{exc.smtp_code} {_text(exc.smtp_error)}）"
        except (smtplib.SMTPException, OSError) as exc:  # disconnected, refused, timed out, DNS
            conn.drop()
            temporary, error = True, f"连接邮件服务器失败：{type(exc).__name__} {exc}".strip()
            if connecting and attempt > retries:
                raise _Fatal(f"无法连接邮件服务器（已重试 {retries} 次）：{error}") from None
        if not temporary or attempt > retries:
            return False, error, attempt
        sleep(wait * 2 ** (attempt - 1))


def dispatch(
    conn: sqlite3.Connection,
    settings: Settings,
    plan: Plan,
    *,
    send: bool,
    outbox: Path,
    now: dt.datetime,
    resend: bool = False,
    transport: Transport | None = None,
    sleep: Callable[[float], None] = time.sleep,
    secrets: Sequence[str] = (),
) -> list[Delivery]:
    """Skip what the ledger says was already sent (unless ``resend``; reminders never twice), then
    write the rest to ``outbox`` (dry run) or send them through ``transport`` and record each in
    the ledger. Returns one :class:`Delivery` per planned message, in plan order."""
    results: dict[int, Delivery] = {}
    pending: list[tuple[int, Outgoing, EmailMessage]] = []
    for i, out in enumerate(plan.messages):
        if (not resend or out.kind == "remind") and already_sent(conn, out):
            hint = "（该截止日期已催报过）" if out.kind == "remind" else "（如需重发请加 --resend）"
            results[i] = Delivery(out, "skipped", hint)
        else:
            pending.append((i, out, build_message(settings, out, now)))
    if not send:
        paths = write_outbox(outbox, [(out, msg) for _, out, msg in pending])
        for (i, out, _), path in zip(pending, paths, strict=True):
            results[i] = Delivery(out, "draft", path=path)
    elif pending:
        if transport is None:
            raise DeliverError("没有可用的邮件发送方式（未设置 SMTP）。")
        connection = _Connection(transport)
        fatal = ""
        try:
            for i, out, msg in pending:
                if fatal:
                    results[i] = Delivery(out, "failed", fatal)
                    record(conn, out, "failed", fatal, now)
                    continue
                try:
                    ok, error, attempts = _send_one(
                        connection,
                        msg,
                        retries=max(settings.mail.retries, 0),
                        wait=settings.mail.retry_wait_seconds,
                        sleep=sleep,
                    )
                except _Fatal as exc:
                    fatal, ok, attempts = str(exc), False, 1
                    error = fatal
                error = _redact(error, secrets)
                fatal = _redact(fatal, secrets)
                results[i] = Delivery(out, "sent" if ok else "failed", "" if ok else error, attempts=attempts)
                record(conn, out, "sent" if ok else "failed", error, now)
        finally:
            connection.drop()
    return [results[i] for i in range(len(plan.messages))]


def _redact(text: str, secrets: Sequence[str]) -> str:
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    return text
