"""The ``sent`` table of the archive database: what was delivered to whom, so that the same
attachment is not sent twice to an address and a reminder never twice for a due date."""


from __future__ import annotations

import datetime as dt
import sqlite3
from typing import Literal

from pipeline.mail.message import Outgoing
from pipeline.store import transaction

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
