"""``screening fetch``: the submissions that arrive by email, saved into ``input/收件/``.

1. Download every message that arrived since a day (``--since``, default: the day before the last
   fetch of the same mailbox, else the programme's start) -- :mod:`pipeline.mail.imap`, read-only.
2. Classify each attachment by its bytes -- :mod:`pipeline.mail.incoming`.
3. Plan (pure, :func:`plan_fetch`): each table goes to ``收件/<received date>_<sender>/<file name>``,
   the folder tagged with the sender's community when the address is listed under
   ``[mail.communities]`` (the reading stage takes a community named in the folder path as the
   sheet's community, so a roster that names none still lands right). The same file is saved once:
   a table whose bytes (sha256) and name are in the ``fetched`` ledger or already anywhere in the
   input folder is a duplicate. The same bytes under another name are saved (and said so): the name
   carries the roster's report date, and a community that re-sends an unchanged roster for a new
   due date has reported on that date. A different file with a name already taken gets `` (2)``,
   `` (3)`` ...
4. ``save=True`` only: write each file (a hidden temporary file linked into place, so an existing
   file is never overwritten and a crash leaves no half file under a real name), record it in the
   ledger, record the fetch, and mark the messages as read when ``[mail.fetch] mark_seen`` says so.

Nothing is lost: every message and every attachment is listed with what happened to it; what is not
saved (no attachment, not a table, password-protected, too large, damaged) says why, and stays on
the server.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
import re
import sqlite3
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Literal

from pipeline.fmt import cn_date
from pipeline.load.common import MB
from pipeline.mail.imap import Connect, account, download, mark_seen
from pipeline.mail.incoming import IncomingFile, IncomingMessage, parse_message, size_text, unread_message
from pipeline.mail.plan import community_addresses
from pipeline.settings import Settings
from pipeline.store import transaction

INBOX = "收件"  # the folder under the input folder that fetched attachments go to
Action = Literal["save", "duplicate", "skip"]
ACTION_LABELS = {"save": "保存", "duplicate": "重复，不再保存", "skip": "不保存"}


@dataclass(frozen=True)
class FetchItem:
    """What happens to one attachment (``file``), or to a message with none (``file`` is None)."""

    message: IncomingMessage
    file: IncomingFile | None
    action: Action
    path: str = ""  # save: where it goes; duplicate: where the same bytes are (relative to the input folder)
    community: str | None = None  # the sender's community (key) from [mail.communities]
    reason: str = ""  # Chinese: why not saved ("skip"), or a note on a file saved


@dataclass(frozen=True)
class FetchResult:
    account: str
    since: dt.date
    since_from: str  # Chinese: where the day came from
    saved: bool  # False: a dry run, nothing written
    items: tuple[FetchItem, ...]
    notes: tuple[str, ...] = ()
    tz: dt.tzinfo = dt.UTC  # the office's time zone: received times are shown in it

    def count(self, action: Action) -> int:
        return sum(1 for i in self.items if i.action == action and i.file is not None)

    @property
    def messages(self) -> int:
        return len({i.message.uid for i in self.items})


# ----------------------------------------------------------------------------------------------
# Who sent it


def sender_communities(settings: Settings) -> tuple[dict[str, str], list[str]]:
    """Sender address (lower case) -> community key, from ``[mail.communities]``; an address listed
    for two communities tags neither (noted), and entries naming no community are noted."""
    by_key, notes = community_addresses(settings)
    seen: dict[str, set[str]] = {}
    for key, addresses in by_key.items():
        for address in addresses:
            seen.setdefault(address.strip().lower(), set()).add(key)
    found: dict[str, str] = {}
    for address, keys in sorted(seen.items()):
        if len(keys) == 1:
            found[address] = next(iter(keys))
        else:
            notes.append(f"config.toml [mail.communities] 中的 {address} 同时列在 {'、'.join(sorted(keys))}，"
                         "收取时不据此判断社区。")
    return found, notes


_UNSAFE_ADDRESS = re.compile(r"[^a-z0-9._@+-]")


def message_folder(message: IncomingMessage, community: str | None, tz: dt.tzinfo) -> str:
    """``收件/<received date>_<community>_<address>``: the received date in the office's time zone;
    the community (its key, ``/`` as ``_``) only for a sender listed under ``[mail.communities]``."""
    day = message.received.astimezone(tz).date().isoformat()
    sender = _UNSAFE_ADDRESS.sub("_", message.sender.lower())[:60] or "未知发件人"
    parts = [day, community.replace("/", "_") if community else "", sender]
    return f"{INBOX}/{'_'.join(p for p in parts if p)}"


# ----------------------------------------------------------------------------------------------
# The plan (pure)


def _free_name(folder: str, name: str, taken: set[str]) -> str:
    """``folder/name``, or ``folder/stem (2).ext`` ... when that path is taken. ``taken`` holds
    case-folded paths: Windows' file names are case-insensitive."""
    stem, dot, ext = name.rpartition(".")
    if not dot:
        stem, ext = name, ""
    n = 1
    while True:
        candidate = f"{folder}/{name}" if n == 1 else f"{folder}/{stem} ({n}){'.' + ext if ext else ''}"
        if candidate.casefold() not in taken:
            return candidate
        n += 1


def plan_fetch(
    messages: Iterable[IncomingMessage],
    senders: Mapping[str, str],
    *,
    known: Mapping[str, Sequence[tuple[str, str]]],
    taken: Iterable[str],
    tz: dt.tzinfo,
) -> tuple[FetchItem, ...]:
    """One item per attachment (a message without any gets one item saying so), in message order.

    ``known``: sha256 -> (file name, path) of those bytes already there (the ledger: the name as
    attached; the input folder: the name on disk); ``taken``: the paths under the input folder that
    exist. Nothing is read or written here."""
    seen = {sha: list(pairs) for sha, pairs in known.items()}
    used = {p.casefold() for p in taken}
    items: list[FetchItem] = []
    for message in messages:
        community = senders.get(message.sender)
        if message.problem:
            items.append(FetchItem(message, None, "skip", community=community, reason=message.problem))
            continue
        if not message.files:
            items.append(FetchItem(message, None, "skip", community=community,
                                   reason="没有附件（如为超大附件的下载链接，请在邮箱中下载后放入 input 文件夹）"))
            continue
        folder = message_folder(message, community, tz)
        for f in message.files:
            if f.verdict != "table":
                items.append(FetchItem(message, f, "skip", community=community, reason=f.reason))
                continue
            same = seen.setdefault(f.sha256, [])
            twin = next((path for name, path in same if name.casefold() == f.name.casefold()), None)
            if twin is not None:
                items.append(FetchItem(message, f, "duplicate", twin, community))
                continue
            path = _free_name(folder, f.name, used)
            used.add(path.casefold())
            note = f"内容与 {same[0][1]} 相同，文件名不同（可能是同一花名册按新日期重报），照常保存" if same else ""
            same.append((f.name, path))
            items.append(FetchItem(message, f, "save", path, community, note))
    return tuple(items)


# ----------------------------------------------------------------------------------------------
# What is already there


def ledger_hashes(conn: sqlite3.Connection) -> dict[str, list[tuple[str, str]]]:
    """sha256 -> (file name as attached, path saved to) of every attachment fetched before."""
    found: dict[str, list[tuple[str, str]]] = {}
    for row in conn.execute("SELECT sha256, file, saved_path FROM fetched ORDER BY id"):
        found.setdefault(row["sha256"], []).append((row["file"], row["saved_path"]))
    return found


def _input_files(input_dir: Path) -> Iterable[Path]:
    if not input_dir.is_dir():
        return
    for root, dirs, files in os.walk(input_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if not name.startswith("."):
                yield Path(root) / name


def input_hashes(input_dir: Path, sizes: set[int]) -> dict[str, list[tuple[str, str]]]:
    """sha256 -> (file name, relative path) of the files in the input folder that might be one of
    the attachments: only files of an attachment's size are hashed."""
    found: dict[str, list[tuple[str, str]]] = {}
    for path in sorted(_input_files(input_dir)):
        try:
            if path.stat().st_size not in sizes:
                continue
            digest = hashlib.sha256(path.read_bytes()).hexdigest()
        except OSError:
            continue
        found.setdefault(digest, []).append((path.name, path.relative_to(input_dir).as_posix()))
    return found


def taken_paths(input_dir: Path) -> set[str]:
    """Every path under ``input/收件`` (relative to the input folder), hidden ones included."""
    inbox = input_dir / INBOX
    if not inbox.is_dir():
        return set()
    return {p.relative_to(input_dir).as_posix() for p in inbox.rglob("*")}


def default_since(conn: sqlite3.Connection, settings: Settings, tz: dt.tzinfo) -> tuple[dt.date, str]:
    """The day before the last completed fetch of this mailbox (the ledger skips what overlaps),
    else the programme's start."""
    row = conn.execute(
        "SELECT started_at FROM fetches WHERE account = ? ORDER BY id DESC LIMIT 1", (account(settings),)
    ).fetchone()
    if row is None:
        start = settings.programme.start
        return start, f"首次收取，从项目开始日期 {cn_date(start)} 起"
    last = dt.datetime.fromisoformat(row["started_at"])
    last = last.astimezone(tz) if last.tzinfo else last
    return last.date() - dt.timedelta(days=1), f"上次收取 {last.strftime('%Y-%m-%d %H:%M')} 的前一天起"


# ----------------------------------------------------------------------------------------------
# Saving


def _write_new(target: Path, data: bytes) -> bool:
    """Write ``data`` to ``target`` only if nothing is there: False when the name is taken."""
    target.parent.mkdir(parents=True, exist_ok=True)
    temp = target.parent / f".{target.name}.{os.getpid()}.part"
    with open(temp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())
    try:
        os.link(temp, target)  # fails when target exists: never overwrites
        return True
    except FileExistsError:
        return False
    except OSError:  # a file system without hard links
        if target.exists():
            return False
        os.replace(temp, target)
        return True
    finally:
        temp.unlink(missing_ok=True)


def _record(conn: sqlite3.Connection, item: FetchItem, when: dt.datetime) -> None:
    f, m = item.file, item.message
    assert f is not None
    with transaction(conn):
        conn.execute(
            """
            INSERT INTO fetched (message_id, sender, received_at, file, origin, sha256, size, saved_path, community,
                saved_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """,
            (m.message_id, m.sender, m.received.isoformat(timespec="seconds"), f.name, f.origin, f.sha256, f.size,
             item.path, item.community, when.isoformat(timespec="seconds")),
        )


def save_items(conn: sqlite3.Connection, input_dir: Path, items: Iterable[FetchItem], now: dt.datetime) -> list[FetchItem]:
    """Write each planned file and record it in the ledger; a name that got taken meanwhile (another
    program) moves on to the next free suffix."""
    done: list[FetchItem] = []
    for item in items:
        if item.action == "save" and item.file is not None:
            folder, _, name = item.path.rpartition("/")
            path = item.path
            while not _write_new(input_dir / path, item.file.data):
                path = _free_name(folder, name, {p.casefold() for p in taken_paths(input_dir)})
            item = replace(item, path=path)
            _record(conn, item, now)
        done.append(item)
    return done


def _record_fetch(conn: sqlite3.Connection, settings: Settings, since: dt.date, now: dt.datetime,
                  items: tuple[FetchItem, ...]) -> None:
    with transaction(conn):
        conn.execute(
            "INSERT INTO fetches (account, started_at, since, messages, saved) VALUES (?, ?, ?, ?, ?)",
            (account(settings), now.isoformat(timespec="seconds"), since.isoformat(),
             len({i.message.uid for i in items}), sum(1 for i in items if i.action == "save")),
        )


# ----------------------------------------------------------------------------------------------
# The command


def fetch(
    conn: sqlite3.Connection,
    settings: Settings,
    input_dir: Path,
    *,
    connect: Connect,
    since: dt.date | None,
    save: bool,
    now: dt.datetime,
    sleep: Callable[[float], None] = time.sleep,
) -> FetchResult:
    """List (and with ``save``, save) the attachments of every message since ``since``. ``now`` is
    time zone aware: its zone gives the received dates of the folder names."""
    tz = now.tzinfo or dt.UTC
    since_from = "--since"
    if since is None:
        since, since_from = default_since(conn, settings, tz)
    box, retries, wait = settings.mail.fetch, settings.mail.retries, settings.mail.retry_wait_seconds
    raw = download(connect, box.folder, since, max_bytes=int(box.max_message_mb * MB), retries=retries, wait=wait,
                   sleep=sleep)
    messages = sorted(  # each message parsed as it arrives: only the tables' bytes are kept
        (parse_message(r.uid, r.raw, r.received, r.size, settings.limits) if r.complete
         else unread_message(r.uid, r.raw, r.received, r.size, box.max_message_mb) for r in raw),
        key=lambda m: (m.received, m.uid),  # in the order they arrived: the first of two same-named files keeps the name
    )
    senders, notes = sender_communities(settings)
    sizes = {f.size for m in messages for f in m.files if f.verdict == "table"}
    known = input_hashes(input_dir, sizes)
    for sha, pairs in ledger_hashes(conn).items():
        known.setdefault(sha, []).extend(pairs)
    items = plan_fetch(messages, senders, known=known, taken=taken_paths(input_dir), tz=tz)
    if save:
        items = tuple(save_items(conn, input_dir, items, now))
        _record_fetch(conn, settings, since, now, items)
        if box.mark_seen:
            handled = {i.message.uid for i in items if i.action in ("save", "duplicate")}
            mark_seen(connect, box.folder, handled, retries=retries, wait=wait, sleep=sleep)
    return FetchResult(account(settings), since, since_from, save, items, tuple(notes), tz)


# ----------------------------------------------------------------------------------------------
# What the user reads


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2066-\u2069]")


def _shown(text: str) -> str:
    """Text from a stranger's email as printed on the terminal: no control characters (escape
    sequences could rewrite the screen) and no bidirectional overrides (could disguise a name)."""
    return _CONTROL.sub("?", text)


def _sender(m: IncomingMessage, community: str | None) -> str:
    who = f"{_shown(m.sender_name)} <{_shown(m.sender)}>" if m.sender_name else (_shown(m.sender) or "（无发件人）")
    return f"{who}（{community}）" if community else who


def _item_line(item: FetchItem, saved: bool) -> str:
    f = item.file
    if f is None:
        return f"    {item.reason}"
    what = f"    {_shown(f.origin)}  {size_text(f.size)}"
    if item.action == "save":
        note = f"（{item.reason}）" if item.reason else ""
        return f"{what}  {f.format_label} → {'已保存到' if saved else '将保存到'} {item.path}{note}"
    if item.action == "duplicate":
        return f"{what}  → 重复，不再保存（相同内容已在 {item.path}）"
    return f"{what}  → 不保存：{item.reason}"


def _needs_attention(item: FetchItem) -> bool:
    """Something the sender should send again (password, damage, size) or a message not read;
    a message without attachments and a picture or PDF beside a roster are not."""
    if item.action != "skip":
        return False
    return bool(item.message.problem) if item.file is None else item.file.verdict != "not_table"


def fetch_report(result: FetchResult) -> list[str]:
    """The listing: each message with its sender, subject, date and attachments and what happens to
    each, then the totals."""
    lines = [f"注意：{n}" for n in result.notes]
    lines.append(f"邮箱：{result.account}，{cn_date(result.since)} 以来收到的邮件（{result.since_from}）")
    by_message: dict[int, list[FetchItem]] = {}
    for item in result.items:
        by_message.setdefault(item.message.uid, []).append(item)
    if not by_message:
        lines.append("没有新邮件。")
    for n, group in enumerate(by_message.values(), start=1):
        m = group[0].message
        received = m.received.astimezone(result.tz).strftime("%Y-%m-%d %H:%M")
        lines.append(f"[{n}] {received}  {_sender(m, group[0].community)}  主题：{_shown(m.subject) or '（无主题）'}")
        lines.extend(_item_line(i, result.saved) for i in group)
    attention = sum(1 for i in result.items if _needs_attention(i))
    unread = len({i.message.uid for i in result.items if i.message.problem})
    totals = (f"邮件 {result.messages} 封{f'（未下载 {unread} 封）' if unread else ''}；"
              f"表格{'已保存' if result.saved else '将保存'} {result.count('save')} 个，"
              f"重复 {result.count('duplicate')} 个，不保存 {result.count('skip')} 个")
    lines.append(totals + (f"；需要处理的邮件或附件 {attention} 项（见上面的原因）。" if attention else "。"))
    if not result.saved:
        lines.append("以上为预览，没有保存任何文件。确认无误后加 --save 保存到 input 文件夹。")
    elif result.count("save"):
        lines.append("下一步：screening run 统计（收件文件夹中的表格会一并读取）。")
    return lines
