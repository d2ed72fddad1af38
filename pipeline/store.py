"""The archive database (``archive/archive.db``): connection, numbered append-only migrations and
transactions, shared by the archive of issued circulars, the email ledger and the ledger of
attachments fetched from the office mailbox; and the hash chain that makes the archive's records
tamper-evident (each record's hash covers its fields, its files' hashes and the hash of the record
before it)."""

from __future__ import annotations

import hashlib
import json
import sqlite3
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from pipeline.settings import ScreeningError, Settings

DB_NAME = "archive.db"


class ArchiveError(ScreeningError):
    """A problem with the archive, worded for the office user (Chinese)."""


class ArchiveUnreadable(ArchiveError):
    """``archive.db`` exists but cannot be read: damaged, or not a database at all."""


# ----------------------------------------------------------------------------------------------
# The database

# Each entry upgrades the schema by one version; never edit a released entry, append a new one.
MIGRATIONS: tuple[str, ...] = (
    """
    CREATE TABLE circulars (
        id             INTEGER PRIMARY KEY AUTOINCREMENT,
        period_start   TEXT NOT NULL,              -- YYYY-MM-DD
        period_end     TEXT NOT NULL,              -- YYYY-MM-DD
        period_number  INTEGER,                    -- 第N期 (counted from assess_from)
        number         TEXT NOT NULL,              -- as given: "7"
        doc_number     TEXT NOT NULL,              -- as printed: 唐洲文〔2020〕7号
        revision       INTEGER NOT NULL,           -- 0 = original, 1, 2, ... = 修订
        reason         TEXT NOT NULL DEFAULT '',
        issued_at      TEXT NOT NULL,              -- ISO date-time, local
        issued_by      TEXT NOT NULL,
        as_of          TEXT NOT NULL,              -- the figures are as of this date (the period end)
        lagging_json   TEXT NOT NULL,              -- community keys named lagging, JSON list
        summary_sha256 TEXT NOT NULL,
        folder         TEXT NOT NULL UNIQUE,       -- relative to the archive folder
        UNIQUE (period_end, revision)
    );
    CREATE TABLE files (
        circular_id INTEGER NOT NULL REFERENCES circulars(id),
        name        TEXT NOT NULL,
        sha256      TEXT NOT NULL,
        size        INTEGER NOT NULL,
        PRIMARY KEY (circular_id, name)
    );
    CREATE TABLE sent (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        kind              TEXT NOT NULL,           -- community | leaders | health_centre | remind
        as_of             TEXT NOT NULL,
        period_end        TEXT,                    -- the circular period of the figures sent
        due_date          TEXT,                    -- the roster due date of a reminder
        recipient         TEXT NOT NULL,           -- the email address (lower case)
        label             TEXT NOT NULL DEFAULT '',-- 新民社区 / 领导 / 卫生院
        subject           TEXT NOT NULL DEFAULT '',
        attachment        TEXT,                    -- attachment file name (NULL: none)
        attachment_sha256 TEXT,
        sent_at           TEXT NOT NULL,
        status            TEXT NOT NULL CHECK (status IN ('sent', 'failed')),
        error             TEXT
    );
    CREATE INDEX sent_by_attachment ON sent (recipient, attachment_sha256, status);
    CREATE INDEX sent_by_due_date ON sent (kind, recipient, due_date, status);
    -- The official record is append-only.
    CREATE TRIGGER circulars_no_update BEFORE UPDATE ON circulars
        BEGIN SELECT RAISE(ABORT, 'archived circulars are never changed'); END;
    CREATE TRIGGER circulars_no_delete BEFORE DELETE ON circulars
        BEGIN SELECT RAISE(ABORT, 'archived circulars are never deleted'); END;
    CREATE TRIGGER files_no_update BEFORE UPDATE ON files
        BEGIN SELECT RAISE(ABORT, 'archived files are never changed'); END;
    CREATE TRIGGER files_no_delete BEFORE DELETE ON files
        BEGIN SELECT RAISE(ABORT, 'archived files are never deleted'); END;
    """,
    # 2: screening fetch -- the attachments saved from the office mailbox, and each completed fetch.
    """
    CREATE TABLE fetched (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        message_id  TEXT NOT NULL,                 -- Message-ID header (sha256:<hex> of the message without one)
        sender      TEXT NOT NULL,                 -- the From address (lower case)
        received_at TEXT NOT NULL,                 -- the server's arrival time (IMAP INTERNALDATE), ISO
        file        TEXT NOT NULL,                 -- the attachment's file name (decoded; a zip member's own name)
        origin      TEXT NOT NULL,                 -- where it came from as sent: 名单.zip/花名册.xlsx for a zip member
        sha256      TEXT NOT NULL,
        size        INTEGER NOT NULL,
        saved_path  TEXT NOT NULL,                 -- relative to the input folder, '/'-separated
        community   TEXT,                          -- the sender's community from [mail.communities], else NULL
        saved_at    TEXT NOT NULL
    );
    CREATE INDEX fetched_by_sha256 ON fetched (sha256);
    CREATE TABLE fetches (
        id          INTEGER PRIMARY KEY AUTOINCREMENT,
        account     TEXT NOT NULL,                 -- user@host/folder
        started_at  TEXT NOT NULL,                 -- the clock when the fetch began: the next default --since
        since       TEXT NOT NULL,                 -- YYYY-MM-DD: messages that arrived on or after this day
        messages    INTEGER NOT NULL,
        saved       INTEGER NOT NULL
    );
    """,
    # 3: tamper evidence. Each circular is sealed by a row of `chain`: the hash of the record (its
    # fields and its files' hashes) and of the record before it. INSERT OR REPLACE deletes without
    # firing the delete triggers, so inserting over an existing id, folder, period revision or file
    # is refused too; a sealed record gets no more files. Existing records are sealed on upgrade.
    """
    CREATE TABLE chain (
        circular_id INTEGER PRIMARY KEY REFERENCES circulars(id),
        prev_hash   TEXT NOT NULL,                 -- '' for the first record
        record_hash TEXT NOT NULL UNIQUE,
        sealed      TEXT NOT NULL CHECK (sealed IN ('issue', 'upgrade'))
    );
    CREATE TRIGGER circulars_no_replace BEFORE INSERT ON circulars
        WHEN EXISTS (SELECT 1 FROM circulars WHERE id = NEW.id OR folder = NEW.folder
                     OR (period_end = NEW.period_end AND revision = NEW.revision))
        BEGIN SELECT RAISE(ABORT, 'archived circulars are never replaced'); END;
    CREATE TRIGGER files_no_replace BEFORE INSERT ON files
        WHEN EXISTS (SELECT 1 FROM files WHERE circular_id = NEW.circular_id AND name = NEW.name)
        BEGIN SELECT RAISE(ABORT, 'archived files are never replaced'); END;
    CREATE TRIGGER files_not_after_seal BEFORE INSERT ON files
        WHEN EXISTS (SELECT 1 FROM chain WHERE circular_id = NEW.circular_id)
        BEGIN SELECT RAISE(ABORT, 'a sealed circular gets no more files'); END;
    CREATE TRIGGER chain_no_replace BEFORE INSERT ON chain
        WHEN EXISTS (SELECT 1 FROM chain WHERE circular_id = NEW.circular_id OR record_hash = NEW.record_hash)
        BEGIN SELECT RAISE(ABORT, 'archived circulars are never replaced'); END;
    CREATE TRIGGER chain_no_update BEFORE UPDATE ON chain
        BEGIN SELECT RAISE(ABORT, 'archived circulars are never changed'); END;
    CREATE TRIGGER chain_no_delete BEFORE DELETE ON chain
        BEGIN SELECT RAISE(ABORT, 'archived circulars are never deleted'); END;
    """,
)
SCHEMA_VERSION = len(MIGRATIONS)


def archive_folder(settings: Settings) -> Path:
    """The archive folder: ``[archive] folder``, relative to the config file's folder."""
    base = Path(settings.source).parent if settings.source else Path(".")
    return base / settings.archive.folder


def db_path(folder: Path) -> Path:
    return folder / DB_NAME


def open_db(folder: Path) -> sqlite3.Connection:
    """Open (creating the folder and database if needed) and migrate the archive database.

    Autocommit mode: every write happens in an explicit transaction (:func:`transaction`)."""
    folder.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(db_path(folder)), isolation_level=None, timeout=30)
    conn.row_factory = sqlite3.Row
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA busy_timeout=30000")
        _migrate(conn)
    except sqlite3.DatabaseError as exc:
        conn.close()
        if isinstance(exc, sqlite3.OperationalError) and "locked" in str(exc):
            raise
        raise ArchiveUnreadable(
            f"档案库 {db_path(folder)} 无法读取（文件已损坏或不是档案库：{exc}）。"
            "请从备份恢复 archive.db；screening archive verify 可查看存档文件夹的情况。"
        ) from None
    except BaseException:
        conn.close()
        raise
    return conn


def memory_db() -> sqlite3.Connection:
    """An empty database with the archive's schema, in memory (a dry run's stand-in ledger)."""
    conn = sqlite3.connect(":memory:", isolation_level=None)
    conn.row_factory = sqlite3.Row
    _migrate(conn)
    return conn


def _migrate(conn: sqlite3.Connection) -> None:
    with transaction(conn):
        conn.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL)")
        row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        current = int(row[0]) if row and row[0] is not None else 0
        if current > SCHEMA_VERSION:
            raise ArchiveError(
                f"档案库 {DB_NAME} 的版本（{current}）比本程序支持的（{SCHEMA_VERSION}）新，请升级 screening 后再使用。"
            )
        for version in range(current + 1, SCHEMA_VERSION + 1):
            for statement in _statements(MIGRATIONS[version - 1]):
                conn.execute(statement)
            upgrade = _UPGRADES.get(version)
            if upgrade is not None:
                upgrade(conn)
            conn.execute("INSERT INTO schema_version (version) VALUES (?)", (version,))


def _statements(script: str) -> Iterator[str]:
    """Split a migration script into statements (``sqlite3.complete_statement`` keeps triggers whole)."""
    buffer = ""
    for line in script.splitlines(keepends=True):
        buffer += line
        if sqlite3.complete_statement(buffer):
            text = buffer.strip()
            if text:
                yield text
            buffer = ""
    if buffer.strip() and not buffer.strip().startswith("--"):
        yield buffer.strip()


def schema_version(conn: sqlite3.Connection) -> int:
    row = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
    return int(row[0]) if row and row[0] is not None else 0


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """``BEGIN IMMEDIATE`` ... ``COMMIT`` (``ROLLBACK`` on any error): one writer at a time."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


# ----------------------------------------------------------------------------------------------
# The hash chain

# The fields of a circular that its hash covers (all of them), in a fixed order.
RECORD_FIELDS = (
    "id", "period_start", "period_end", "period_number", "number", "doc_number", "revision", "reason",
    "issued_at", "issued_by", "as_of", "lagging_json", "summary_sha256", "folder",
)


def record_payload(
    row: sqlite3.Row | Mapping[str, Any], files: Sequence[tuple[str, str, int]], prev_hash: str, sealed: str
) -> dict[str, Any]:
    """What a record's hash covers, as one JSON-able dict (also written to the folder's
    ``record.json``): every field, the files with their sha256 and size, the previous hash."""
    payload: dict[str, Any] = {name: row[name] for name in RECORD_FIELDS}
    payload["files"] = sorted([str(n), str(h), int(s)] for n, h, s in files)
    payload["prev_hash"] = prev_hash
    payload["sealed"] = sealed
    return payload


def payload_hash(payload: Mapping[str, Any]) -> str:
    """The sha256 of a record payload in canonical JSON (sorted keys, no spaces, UTF-8)."""
    text = json.dumps(payload, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def record_files(conn: sqlite3.Connection, circular_id: int) -> list[tuple[str, str, int]]:
    rows = conn.execute("SELECT name, sha256, size FROM files WHERE circular_id = ? ORDER BY name", (circular_id,))
    return [(r["name"], r["sha256"], int(r["size"])) for r in rows]


def chain_head(conn: sqlite3.Connection) -> str:
    """The hash of the last sealed record ('' for an empty archive)."""
    row = conn.execute("SELECT record_hash FROM chain ORDER BY circular_id DESC LIMIT 1").fetchone()
    return str(row[0]) if row else ""


def seal(conn: sqlite3.Connection, circular_id: int, sealed: str = "issue") -> dict[str, Any]:
    """Seal a circular and its files (inside the caller's transaction): its chain row, linked to
    the last one. Returns the payload with its ``record_hash``."""
    row = conn.execute("SELECT * FROM circulars WHERE id = ?", (circular_id,)).fetchone()
    payload = record_payload(row, record_files(conn, circular_id), chain_head(conn), sealed)
    digest = payload_hash(payload)
    conn.execute(
        "INSERT INTO chain (circular_id, prev_hash, record_hash, sealed) VALUES (?, ?, ?, ?)",
        (circular_id, payload["prev_hash"], digest, sealed),
    )
    return {**payload, "record_hash": digest}


def _seal_existing(conn: sqlite3.Connection) -> None:
    """Upgrade to version 3: seal the records issued before the chain existed, in id order."""
    for (circular_id,) in conn.execute("SELECT id FROM circulars ORDER BY id").fetchall():
        seal(conn, int(circular_id), "upgrade")


# Python steps of a migration, run right after its SQL in the same transaction.
_UPGRADES: dict[int, Callable[[sqlite3.Connection], None]] = {3: _seal_existing}
