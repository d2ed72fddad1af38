"""Delivering a plan: the dry run writes ``.eml`` files to the outbox; ``send=True`` goes through SMTP
(the transport is an argument), retrying temporary failures, recording every delivery in the ledger."""


from __future__ import annotations

import datetime as dt
import smtplib
import sqlite3
import ssl
import time
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from email.policy import SMTP
from pathlib import Path

from pipeline.mail.ledger import already_sent, record
from pipeline.mail.message import DeliverError, Delivery, Outgoing, Plan, build_message
from pipeline.outputs.names import (
    outbox_message_name,
)
from pipeline.settings import Mail, Settings

Transport = Callable[[], smtplib.SMTP]



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
