"""A real IMAP server for the fetch tests: pymap (dict backend) in a subprocess on 127.0.0.1, a TCP
proxy in front of it that can drop a connection or terminate TLS, and builders of real MIME
messages the way Chinese mail clients write them (UTF-8 RFC 2231, GBK RFC 2047, raw GBK bytes)."""

from __future__ import annotations

import base64
import datetime as dt
import io
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse
import zipfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formataddr, make_msgid, parseaddr
from pathlib import Path

from imapclient import IMAPClient
from openpyxl import Workbook

from pipeline.mail import protect

USER = "office@example.cn"
PASSWORD = "imap-secret"
CST = dt.timezone(dt.timedelta(hours=8))
PYMAP = "import sys; from pymap.main import main; sys.exit(main())"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_for(port: int, process: subprocess.Popen[bytes], seconds: float = 20) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"pymap exited: {process.stderr.read().decode() if process.stderr else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError("pymap did not start")


@contextmanager
def pymap_server(cert: Path | None = None, key: Path | None = None) -> Iterator[int]:
    """pymap with its in-memory dict backend and one user; STARTTLS with ``cert``/``key``."""
    port = free_port()
    tls = ["--cert", str(cert), "--key", str(key)] if cert and key else []
    process = subprocess.Popen(
        [sys.executable, "-c", PYMAP, "--host", "127.0.0.1", "--port", str(port), *tls,
         "dict", "--demo-user", USER, "--demo-password", PASSWORD],
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )
    try:
        _wait_for(port, process)
        yield port
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
            process.wait()


def fill(port: int, folder: str, messages: Sequence[tuple[bytes, dt.datetime]]) -> None:
    """Create ``folder`` and append the messages with their arrival times (INTERNALDATE)."""
    with IMAPClient("127.0.0.1", port=port, ssl=False) as client:
        # Each APPEND waits for the server's go-ahead before sending the message: without
        # TCP_NODELAY, Nagle's algorithm and delayed ACKs add ~40 ms to every message.
        client.socket().setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        client.login(USER, PASSWORD)
        if not client.folder_exists(folder):
            client.create_folder(folder)
        for raw, when in messages:
            client.append(folder, raw, msg_time=when)


def flags(port: int, folder: str) -> dict[int, tuple[bytes, ...]]:
    with IMAPClient("127.0.0.1", port=port, ssl=False) as client:
        client.login(USER, PASSWORD)
        client.select_folder(folder, readonly=True)
        return {uid: item[b"FLAGS"] for uid, item in client.fetch(client.search("ALL"), ["FLAGS"]).items()}


def message_count(port: int, folder: str) -> int:
    with IMAPClient("127.0.0.1", port=port, ssl=False) as client:
        client.login(USER, PASSWORD)
        return int(client.folder_status(folder, ["MESSAGES"])[b"MESSAGES"])


class Proxy:
    """127.0.0.1:``port`` -> the server. ``drop_on``: the first ``drops`` connections are cut when
    the client sends a command containing these bytes (a dropped line). ``tls``: the proxy
    speaks implicit TLS to the client (IMAPS on 993 style) and plain IMAP to the server."""

    def __init__(self, target: int, *, drop_on: bytes = b"", drops: int = 0,
                 tls: ssl.SSLContext | None = None) -> None:
        self.target, self.drop_on, self.drops, self.tls = target, drop_on, drops, tls
        self.connections = 0
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.stopped = False
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self) -> None:
        while not self.stopped:
            try:
                client, _ = self.listener.accept()
            except OSError:
                return
            if self.tls is not None:
                try:
                    client = self.tls.wrap_socket(client, server_side=True)
                except (ssl.SSLError, OSError):
                    client.close()
                    continue
            self.connections += 1
            server = socket.create_connection(("127.0.0.1", self.target))
            threading.Thread(target=self._pump, args=(client, server, True), daemon=True).start()
            threading.Thread(target=self._pump, args=(server, client, False), daemon=True).start()

    def _pump(self, source: socket.socket, sink: socket.socket, upstream: bool) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                if upstream and self.drop_on and self.drops > 0 and self.drop_on in data:
                    self.drops -= 1
                    break
                sink.sendall(data)
        except OSError:
            pass
        for s in (source, sink):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            s.close()

    def close(self) -> None:
        self.stopped = True
        self.listener.close()


# ----------------------------------------------------------------------------------------------
# Messages


def when(day: str, hour: int = 9) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=CST)


def utf8_message(sender: str, subject: str, attachments: Sequence[tuple[str, bytes]], *,
                 message_id: str | None = None) -> bytes:
    """What a modern client sends: UTF-8 headers, RFC 2231 ``filename*=utf-8''...`` names."""
    msg = EmailMessage()
    msg["From"] = sender
    msg["To"] = USER
    msg["Subject"] = subject
    msg["Message-ID"] = message_id or make_msgid(domain="example.cn")
    msg.set_content("附件是本期花名册，请查收。")
    for name, data in attachments:
        msg.add_attachment(data, maintype="application", subtype="octet-stream", filename=name)
    return msg.as_bytes(policy=SMTP)


def gbk_message(sender: str, subject: str, attachments: Sequence[tuple[str, bytes]], *, style: str = "2047",
                message_id: str | None = None) -> bytes:
    """What an older Chinese client sends: GBK text; attachment names as RFC 2047 encoded words in a
    quoted ``filename`` labelled GB2312 (``style="2047"``), RFC 2231 ``filename*=GBK''...``
    (``"2231"``), or raw GBK bytes (``"raw"``); the subject as a GBK encoded word."""
    boundary = "----=_Part_0_gbk"
    sender = formataddr(parseaddr(sender), charset="gbk")
    subject_words = f"=?GBK?B?{base64.b64encode(subject.encode('gbk')).decode()}?="
    head = (
        f"From: {sender}\r\nTo: {USER}\r\nSubject: {subject_words}\r\n"
        f"Message-ID: {message_id or make_msgid(domain='example.cn')}\r\nMIME-Version: 1.0\r\n"
        f'Content-Type: multipart/mixed; boundary="{boundary}"\r\n\r\n'
    ).encode("ascii")
    body = (f"--{boundary}\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: base64\r\n\r\n"
            f"{base64.b64encode('请查收附件。'.encode('gbk')).decode()}\r\n").encode("ascii")
    parts = [head, body]
    for name, data in attachments:
        raw_name = name.encode("gbk")
        if style == "2231":
            disposition = f"attachment; filename*=GBK''{urllib.parse.quote(raw_name)}".encode("ascii")
        elif style == "raw":
            disposition = b'attachment; filename="' + raw_name + b'"'
        else:
            disposition = f'attachment; filename="=?GB2312?B?{base64.b64encode(raw_name).decode()}?="'.encode("ascii")
        encoded = base64.encodebytes(data).replace(b"\n", b"\r\n")
        parts.append(f"--{boundary}\r\nContent-Type: application/octet-stream\r\n"
                     "Content-Transfer-Encoding: base64\r\nContent-Disposition: ".encode("ascii")
                     + disposition + b"\r\n\r\n" + encoded)
    parts.append(f"--{boundary}--\r\n".encode("ascii"))
    return b"".join(parts)


# ----------------------------------------------------------------------------------------------
# Attachments


def roster_xlsx(rows: Sequence[Sequence[object]], *, title: str | None = None) -> bytes:
    """A roster workbook: an optional title row, the header, the rows."""
    wb = Workbook()
    ws = wb.active
    assert ws is not None
    if title:
        ws.append([title])
    ws.append(["序号", "姓名", "身份证号", "联系电话", "末次月经", "登记日期"])
    for row in rows:
        ws.append(list(row))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def html_xls(rows: Sequence[Sequence[object]]) -> bytes:
    """A health information system's export: an HTML table saved with an .xls name."""
    cells = "".join("<tr>" + "".join(f"<td>{v}</td>" for v in row) + "</tr>" for row in rows)
    html = ("<html><head><meta charset='utf-8'></head><body><table>"
            "<tr><td>姓名</td><td>身份证号</td><td>筛查项目</td><td>筛查日期</td><td>筛查结果</td></tr>"
            f"{cells}</table></body></html>")
    return html.encode("utf-8")


class _GbkName(zipfile.ZipInfo):
    """A member whose name is written in GBK without the UTF-8 flag, as Windows' built-in zip and
    older Chinese tools write it."""

    def _encodeFilenameFlags(self) -> tuple[bytes, int]:
        return self.filename.encode("gbk"), self.flag_bits


def zipped(members: Sequence[tuple[str, bytes]], *, utf8_names: bool = True) -> bytes:
    """A zip file of ``members``; ``utf8_names=False``: GBK names without the UTF-8 flag."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zf:
        for name, data in members:
            cls = zipfile.ZipInfo if utf8_names else _GbkName
            info = cls(name, date_time=(2020, 6, 8, 9, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
    return out.getvalue()


def encrypted_xlsx() -> bytes:
    """A password-protected workbook (OOXML encryption in a CFB container)."""
    return protect(roster_xlsx([]), "1234")
