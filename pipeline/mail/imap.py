"""The office mailbox over IMAP (IMAPClient): connect, list the messages that arrived since a day,
download them, and -- only when configured -- mark them as read.

The folder is opened read-only (EXAMINE) and messages are downloaded with ``BODY.PEEK[]``, so
fetching changes nothing on the server: no message is deleted, moved or marked as read. A dropped
connection (reset, timeout, the server closing it) is retried like SMTP: reconnect, wait ``wait``,
``2 × wait``, ``4 × wait`` ... up to ``retries`` times, and go on with the next message (UIDs stay
valid while the folder's UIDVALIDITY does). A refused login is not retried (:class:`LoginRefused`,
exit code 2); nor is a TLS certificate that does not verify.
"""

from __future__ import annotations

import datetime as dt
import functools
import imaplib
import ssl
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from imapclient import SEEN, IMAPClient
from imapclient.exceptions import LoginError

from pipeline.settings import MailFetch, ScreeningError, Settings

PASSWORD_ENV = "SCREENING_IMAP_PASSWORD"
Connect = Callable[[], IMAPClient]
T = TypeVar("T")


class FetchError(ScreeningError):
    """The mailbox cannot be read (no host, unreachable, the folder is missing): a Chinese message."""


class LoginRefused(FetchError):
    """The server refused the user name or password: the fetch cannot start."""

    exit_code = 2


@dataclass(frozen=True)
class RawMessage:
    """A message as downloaded: its UID, the server's arrival time, its size and its bytes (only
    the header when it is larger than the download limit)."""

    uid: int
    received: dt.datetime
    size: int
    raw: bytes
    complete: bool


def mailbox_user(settings: Settings) -> str:
    """The IMAP user: ``[mail.fetch] user``, else the ``[mail]`` user."""
    return settings.mail.fetch.user or settings.mail.user


def account(settings: Settings) -> str:
    """``user@host/folder``: the mailbox a fetch reads, as the ledger names it."""
    fetch = settings.mail.fetch
    return f"{mailbox_user(settings)}@{fetch.host}/{fetch.folder}"


def check_settings(settings: Settings) -> None:
    """Refuse to start (before asking for a password) when the mailbox is not configured."""
    if not settings.mail.fetch.host:
        raise FetchError("config.toml 的 [mail.fetch] host 未设置（如 imap.163.com），无法收取邮件。")
    if not mailbox_user(settings):
        raise FetchError("config.toml 的 [mail.fetch] user（或 [mail] user）未设置：请填写办事处邮箱的用户名。")


def imap_factory(fetch: MailFetch, user: str, password: str, *, timeout: float,
                 context: ssl.SSLContext | None = None) -> Connect:
    """A function that opens a logged-in IMAP connection. TLS certificates are always verified
    (``context`` defaults to the system's trust store)."""

    def connect() -> IMAPClient:
        ctx = context or ssl.create_default_context()
        implicit = fetch.security == "ssl"
        client = IMAPClient(fetch.host, port=fetch.port, ssl=implicit, ssl_context=ctx if implicit else None,
                            timeout=timeout)
        try:
            if fetch.security == "starttls":
                client.starttls(ctx)
            client.login(user, password)
        except LoginError:
            _shutdown(client)
            raise LoginRefused(
                f"邮箱登录失败：{user} 的用户名或密码（授权码）不对，或邮箱未开启 IMAP 服务。"
                "请检查 [mail.fetch] user 和环境变量 " + PASSWORD_ENV + "（或输入的密码）。"
            ) from None
        except BaseException:
            _shutdown(client)
            raise
        client.normalise_times = False  # keep the server's time zone: the received date is local
        return client

    return connect


def _shutdown(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except Exception:  # noqa: BLE001 - closing a connection that may already be gone
        pass


class _Session:
    """One folder on one (re)connectable connection; :meth:`run` retries dropped connections."""

    def __init__(self, connect: Connect, folder: str, *, readonly: bool, retries: int, wait: float,
                 sleep: Callable[[float], None]) -> None:
        self.connect, self.folder, self.readonly = connect, folder, readonly
        self.retries, self.wait, self.sleep = max(retries, 0), wait, sleep
        self.client: IMAPClient | None = None
        self.uidvalidity: Any = None

    def _open(self) -> IMAPClient:
        client = self.connect()
        try:
            info = client.select_folder(self.folder, readonly=self.readonly)
        except imaplib.IMAP4.abort:
            _shutdown(client)
            raise
        except imaplib.IMAP4.error:
            names = _folder_names(client)
            _shutdown(client)
            raise FetchError(
                f"邮箱中没有文件夹“{self.folder}”（[mail.fetch] folder）。邮箱中的文件夹：{'、'.join(names) or '无'}。"
            ) from None
        validity = info.get(b"UIDVALIDITY")
        if self.uidvalidity is not None and validity != self.uidvalidity:
            _shutdown(client)
            raise FetchError(f"重新连接后邮箱文件夹“{self.folder}”已被重建（UIDVALIDITY 变化），请重新运行 screening fetch。")
        self.uidvalidity = validity
        return client

    def run(self, operation: Callable[[IMAPClient], T]) -> T:
        attempt = 0
        while True:
            attempt += 1
            try:
                if self.client is None:
                    self.client = self._open()
                return operation(self.client)
            except FetchError:
                self.close()
                raise
            except ssl.SSLCertVerificationError as exc:
                self.close()
                raise FetchError(f"邮件服务器的证书校验失败，已停止（不会跳过校验）：{exc.verify_message}。") from None
            except imaplib.IMAP4.abort as exc:
                error = f"连接被服务器中断（{exc}）"
            except imaplib.IMAP4.error as exc:
                self.close()
                raise FetchError(f"邮件服务器拒绝了请求：{exc}。请检查 [mail.fetch] 的设置。") from None
            except OSError as exc:  # reset, refused, timed out, DNS, TLS broken mid-way
                error = f"连接邮件服务器失败（{type(exc).__name__} {exc}）".replace(" )", "）")
            self.drop()
            if attempt > self.retries:
                raise FetchError(f"{error}，已重试 {self.retries} 次。邮件仍在服务器上，请稍后重新运行。") from None
            self.sleep(self.wait * 2 ** (attempt - 1))

    def drop(self) -> None:
        if self.client is not None:
            _shutdown(self.client)
            self.client = None

    def close(self) -> None:
        if self.client is not None:
            try:
                self.client.logout()
            except Exception:  # noqa: BLE001 - the connection may already be gone
                _shutdown(self.client)
            self.client = None


def _folder_names(client: IMAPClient) -> list[str]:
    try:
        return [str(name) for _, _, name in client.list_folders()]
    except Exception:  # noqa: BLE001 - only for the message
        return []


def _aware(value: Any) -> dt.datetime:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)
    return dt.datetime(1970, 1, 1, tzinfo=dt.UTC)


def download(connect: Connect, folder: str, since: dt.date, *, max_bytes: int, retries: int, wait: float,
             sleep: Callable[[float], None] = time.sleep) -> Iterator[RawMessage]:
    """Every message in ``folder`` that arrived on or after ``since`` (server's day), in UID order,
    one at a time (the caller keeps only what it needs of each); a message larger than
    ``max_bytes`` comes with its header only. Changes nothing on the server."""
    session = _Session(connect, folder, readonly=True, retries=retries, wait=wait, sleep=sleep)
    try:
        uids = sorted(session.run(lambda c: c.search(["SINCE", since])))
        meta = session.run(functools.partial(_fetch, uids=uids, parts=["INTERNALDATE", "RFC822.SIZE"])) if uids else {}
        for uid in uids:
            if uid not in meta:  # expunged meanwhile by another client
                continue
            size = int(meta[uid].get(b"RFC822.SIZE") or 0)
            complete = size <= max_bytes
            part = "BODY.PEEK[]" if complete else "BODY.PEEK[HEADER]"
            data = session.run(functools.partial(_fetch, uids=[uid], parts=[part]))
            raw = _body(data.get(uid, {}))
            if raw is None:  # expunged between the listing and the download
                continue
            yield RawMessage(uid, _aware(meta[uid].get(b"INTERNALDATE")), size, raw, complete)
    finally:
        session.close()


def _fetch(client: IMAPClient, *, uids: list[int], parts: list[str]) -> dict[int, dict[bytes, Any]]:
    return dict(client.fetch(uids, parts))


def _body(item: dict[bytes, Any]) -> bytes | None:
    for key in (b"BODY[]", b"BODY[HEADER]"):
        if key in item:
            value = item[key]
            return bytes(value) if value is not None else b""
    return None


def mark_seen(connect: Connect, folder: str, uids: Iterable[int], *, retries: int, wait: float,
              sleep: Callable[[float], None] = time.sleep) -> None:
    """Add the \\Seen flag (``[mail.fetch] mark_seen = true`` only); nothing else is changed."""
    chosen: Sequence[int] = sorted(set(uids))
    if not chosen:
        return
    def flag(client: IMAPClient) -> None:
        client.add_flags(chosen, [SEEN])

    session = _Session(connect, folder, readonly=False, retries=retries, wait=wait, sleep=sleep)
    try:
        session.run(flag)
    finally:
        session.close()
