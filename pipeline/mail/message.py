"""One email: its recipient, subject, body and attachments (``Outgoing``), built into a MIME message
with Chinese file names; optional password protection of the attachments."""


from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
from dataclasses import dataclass, field
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Any, Literal

from pipeline.normalize.ids import mask_text
from pipeline.outputs.circular import render
from pipeline.settings import ScreeningError, Settings

PASSWORD_ENV = "SCREENING_SMTP_PASSWORD"

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
    "health_centre": "核对清单",
    "remind": "催报提醒",
}
Status = Literal["draft", "sent", "failed", "skipped"]
STATUS_LABELS: dict[str, str] = {
    "draft": "已写入待发箱（未发送）",
    "sent": "已发送",
    "failed": "发送失败",
    "skipped": "已发送过，跳过",
}
ADDRESS_PATTERN = re.compile(r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")


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
    owing: list[Owing] = field(default_factory=list)  # reminders: every community chased, mail or not
    wechat_text: str = ""  # reminders: the same, as one text for the office's WeChat group
    unaddressed: bool = False  # some recipients have no address in the config


@dataclass(frozen=True)
class Owing:
    """A community a reminder chases: its roster for the due date and/or its open follow-up items
    (counts only; the names are in its workbook)."""

    name: str
    roster_missing: bool
    open_total: int
    open_text: str


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
    if not mail.sender or not ADDRESS_PATTERN.match(mail.sender):
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
