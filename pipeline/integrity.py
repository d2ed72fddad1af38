"""The archive's integrity: the records' hash chain, the folders checked against the database and
the database against the folders, recovery after an interrupted issue, and the issued lagging
lists as later runs may use them.

Each issued circular is sealed (:func:`pipeline.store.seal`): a hash over its record, its files'
hashes and the hash of the record before it, kept in the database and, as ``record.json``, in the
circular's read-only folder. :func:`verify` recomputes the chain, re-hashes every archived file,
compares each record with its folder's ``record.json`` and its lagging list with the archived
``summary.json``, and lists folders without records, records without folders, and a missing,
unreadable or replaced ``archive.db``. :func:`recover` finishes what a killed issue left: a
committed record whose folder was not yet renamed into place is completed; an unrecorded folder
(from an earlier version, or made by hand) is moved aside to ``.unrecorded-…`` and reported.

What this can and cannot detect is stated in the README ("Data protection"): without a secret or
a copy kept elsewhere, someone who rewrites the database, the folders and the chain consistently
is not caught; :func:`chain_head` gives the value to keep elsewhere.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.outputs.names import (
    PLACING_PREFIX,
    RECORD_FILE,
    SUMMARY_FILE,
    UNRECORDED_PREFIX,
    is_issue_folder_name,
    placing_target,
    unrecorded_folder_name,
)
from pipeline.store import (
    DB_NAME,
    ArchiveError,
    ArchiveUnreadable,
    db_path,
    open_db,
    payload_hash,
    record_files,
    record_payload,
    transaction,
)

# ----------------------------------------------------------------------------------------------
# Files and folders


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def remove_tree(path: Path) -> None:
    """Remove a folder of read-only archived files."""
    for item in path.iterdir():
        os.chmod(item, 0o644)
    shutil.rmtree(path, ignore_errors=True)


def issue_folders(folder: Path) -> list[str]:
    """The names of the folders in the archive that look like issued circulars'."""
    if not folder.is_dir():
        return []
    return sorted(p.name for p in folder.iterdir() if p.is_dir() and is_issue_folder_name(p.name))


def read_record_file(path: Path) -> dict[str, Any] | None:
    """A folder's ``record.json``, or None when it is missing or not a JSON object."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) else None


# ----------------------------------------------------------------------------------------------
# The hash chain


@dataclass(frozen=True)
class ChainProblem:
    circular_id: int
    problem: str  # Chinese


def check_chain(conn: sqlite3.Connection) -> list[ChainProblem]:
    """Recompute every record's hash from its fields and files and follow the links: records
    never sealed (inserted around the program), changed after sealing, or whose predecessor was
    deleted or replaced; seals whose record is gone."""
    problems: list[ChainProblem] = []
    seals = {int(r["circular_id"]): r for r in conn.execute("SELECT * FROM chain")}
    prev = ""
    for row in conn.execute("SELECT * FROM circulars ORDER BY id").fetchall():
        cid = int(row["id"])
        seal = seals.pop(cid, None)
        if seal is None:
            problems.append(ChainProblem(cid, "记录没有封存校验值：不是由 screening archive issue 登记的（可能是伪造的记录）"))
            continue
        if seal["prev_hash"] != prev:
            problems.append(ChainProblem(cid, "记录链断开：前一条记录已被删除、替换或改动"))
        payload = record_payload(row, record_files(conn, cid), seal["prev_hash"], seal["sealed"])
        if payload_hash(payload) != seal["record_hash"]:
            problems.append(
                ChainProblem(cid, "记录与封存时不一致：文号、期次、落后社区、存档人、时间或文件校验值被改动过")
            )
        prev = seal["record_hash"]
    for cid in sorted(seals):
        problems.append(ChainProblem(cid, "封存过的记录已被删除"))
    return problems


def archive_head(folder: Path) -> str:
    """The hash of the last sealed record: a value to note down outside the computer (it changes
    with every issue); '' without an archive."""
    if not db_path(folder).is_file():
        return ""
    conn = open_db(folder)
    try:
        row = conn.execute("SELECT record_hash FROM chain ORDER BY circular_id DESC LIMIT 1").fetchone()
        return str(row[0]) if row else ""
    finally:
        conn.close()


# ----------------------------------------------------------------------------------------------
# Recovery


def recover_locked(conn: sqlite3.Connection, folder: Path) -> list[str]:
    """Inside the caller's write transaction (so no issue is half-way): finish what an
    interrupted issue left and move aside what no record knows. Returns what was done (Chinese)."""
    recorded = {r[0] for r in conn.execute("SELECT folder FROM circulars")}
    done: list[str] = []
    for path in sorted(p for p in folder.iterdir() if p.is_dir() and p.name.startswith(PLACING_PREFIX)):
        target = placing_target(path.name)
        if target is not None and target in recorded and not (folder / target).exists():
            # Killed after the record was committed, before its folder was renamed into place.
            os.rename(path, folder / target)
            done.append(f"已完成上次中断的存档：{target}")
        else:
            remove_tree(path)  # filed while an issue was killed before its record was committed
    for name in issue_folders(folder):
        if name in recorded or (folder / name / RECORD_FILE).exists():
            continue  # a folder with its own record.json but no row is evidence: verify reports it
        aside = unrecorded_folder_name(name, uuid.uuid4().hex[:8])
        os.rename(folder / name, folder / aside)
        done.append(
            f"存档文件夹 {name} 没有对应的档案记录（上次存档可能在登记前被中断），已移到 {aside}，请核对；"
            "如该期通报确已印发，请重新存档"
        )
    return done


def recover(folder: Path) -> list[str]:
    """:func:`recover_locked` in its own transaction; nothing to do without a readable database."""
    if not db_path(folder).is_file():
        return []
    conn = open_db(folder)
    try:
        with transaction(conn):
            return recover_locked(conn, folder)
    finally:
        conn.close()


def refuse_without_database(folder: Path) -> None:
    """An archive whose folders are there but whose database is not must not start afresh."""
    if not db_path(folder).is_file() and issue_folders(folder):
        raise ArchiveError(
            f"档案库 {db_path(folder)} 不见了，但档案中还有 {len(issue_folders(folder))} 个存档文件夹。"
            "请从备份恢复 archive.db 后再存档（screening archive verify 可查看详情）。"
        )


# ----------------------------------------------------------------------------------------------
# Verifying


@dataclass(frozen=True)
class VerifyProblem:
    circular_id: int | None
    doc_number: str
    revision: int | None
    file: str  # relative to the archive folder
    problem: str  # Chinese


def verify(folder: Path) -> tuple[int, list[VerifyProblem]]:
    """Check the whole archive: (number of archived files re-hashed, problems). Runs
    :func:`recover` first (its notes are for the caller to print from :func:`recover`)."""
    if not db_path(folder).is_file():
        names = issue_folders(folder)
        if not names:
            return 0, []
        missing = f"档案库 {DB_NAME} 不见了（被删除或移走），但档案中有 {len(names)} 个存档文件夹：请从备份恢复"
        return 0, [VerifyProblem(None, "", None, DB_NAME, missing)]
    try:
        recover(folder)
        conn = open_db(folder)
    except ArchiveUnreadable:
        return 0, [VerifyProblem(None, "", None, DB_NAME, f"档案库 {DB_NAME} 无法读取（已损坏或被替换），请从备份恢复")]
    try:
        rows = conn.execute("SELECT * FROM circulars ORDER BY period_end, revision, id").fetchall()
        by_id = {int(r["id"]): r for r in rows}
        problems = [_problem(by_id.get(p.circular_id), p.circular_id, "", p.problem) for p in check_chain(conn)]
        checked = 0
        for row in rows:
            n, found = _check_record(conn, folder, row)
            checked += n
            problems += found
        problems += _stray_folders(folder, {r["folder"] for r in rows})
        return checked, problems
    finally:
        conn.close()


def _problem(row: sqlite3.Row | None, cid: int | None, file: str, text: str) -> VerifyProblem:
    if row is None:
        return VerifyProblem(cid, "", None, file, text)
    return VerifyProblem(int(row["id"]), row["doc_number"], int(row["revision"]), file, text)


@dataclass
class _Found:
    row: sqlite3.Row
    problems: list[VerifyProblem] = field(default_factory=list)

    def add(self, file: str, text: str) -> None:
        self.problems.append(_problem(self.row, int(self.row["id"]), file, text))


def _check_record(conn: sqlite3.Connection, folder: Path, row: sqlite3.Row) -> tuple[int, list[VerifyProblem]]:
    """One record against its folder: its files re-hashed, its record.json, its summary.json's
    lagging communities, files nobody recorded."""
    found = _Found(row)
    base = folder / row["folder"]
    files = record_files(conn, int(row["id"]))
    if not files:
        found.add(row["folder"], "记录没有任何存档文件（可能是伪造的记录）")
    if not base.is_dir():
        found.add(row["folder"], "存档文件夹缺失")
        return len(files), found.problems
    for name, digest, _size in files:
        path = base / name
        if not path.is_file():
            found.add(f"{row['folder']}/{name}", "文件缺失")
        elif sha256_file(path) != digest:
            found.add(f"{row['folder']}/{name}", "文件内容已被改动（sha256 与存档时不一致）")
    known = {name for name, _digest, _size in files} | {RECORD_FILE}
    for extra in sorted(p.name for p in base.iterdir() if p.name not in known):
        found.add(f"{row['folder']}/{extra}", "存档文件夹中多出未登记的文件")
    _check_record_file(conn, base, found)
    _check_summary(base, {name: digest for name, digest, _size in files}, found)
    return len(files), found.problems


def _check_record_file(conn: sqlite3.Connection, base: Path, found: _Found) -> None:
    """The folder's record.json (written when the circular was sealed) against the database."""
    row = found.row
    seal = conn.execute("SELECT * FROM chain WHERE circular_id = ?", (row["id"],)).fetchone()
    if seal is None or seal["sealed"] != "issue":
        return  # never sealed (reported by the chain), or sealed on upgrade (no record.json then)
    rel = f"{row['folder']}/{RECORD_FILE}"
    kept = read_record_file(base / RECORD_FILE)
    if kept is None:
        found.add(rel, "存档文件夹中缺少记录文件 record.json（或已损坏）")
        return
    payload = record_payload(row, record_files(conn, int(row["id"])), seal["prev_hash"], seal["sealed"])
    expected = {**payload, "record_hash": seal["record_hash"]}
    if kept != json.loads(json.dumps(expected, ensure_ascii=False)):
        found.add(rel, "存档文件夹中的记录（record.json）与档案库不一致：档案库或文件夹被改动过")


def _check_summary(base: Path, files: dict[str, str], found: _Found) -> None:
    """The lagging communities recorded against those in the archived summary.json (when that file
    is intact): a rewritten lagging list shows even with a consistent chain."""
    row = found.row
    path = base / SUMMARY_FILE
    if files.get(SUMMARY_FILE) != row["summary_sha256"]:
        found.add(f"{row['folder']}/{SUMMARY_FILE}", "记录的 summary.json 校验值与文件清单不一致")
        return
    if not path.is_file() or sha256_file(path) != row["summary_sha256"]:
        return  # reported with the files
    try:
        summary = json.loads(path.read_text(encoding="utf-8"))
        lagging = [c["key"] for c in summary["communities"] if c["lagging"]]
    except (OSError, ValueError, KeyError, TypeError):
        found.add(f"{row['folder']}/{SUMMARY_FILE}", "存档的 summary.json 无法读取")
        return
    if sorted(lagging) != sorted(json.loads(row["lagging_json"])):
        found.add(row["folder"], "档案库中记录的工作落后社区与存档的 summary.json 不一致：落后名单被改动过")


def _stray_folders(folder: Path, indexed: set[str]) -> list[VerifyProblem]:
    """Folders no record knows, and those moved aside earlier (until someone looked at them)."""
    problems: list[VerifyProblem] = []
    for path in sorted(p for p in folder.iterdir() if p.is_dir()):
        name = path.name
        if name.startswith(UNRECORDED_PREFIX):
            problems.append(VerifyProblem(None, "", None, name, "已移开的未登记存档文件夹：请核对，确认无用后删除"))
        elif name.startswith(".") or name in indexed:
            continue
        elif (path / RECORD_FILE).exists():
            problems.append(VerifyProblem(
                None, "", None, name, "存档文件夹有记录文件，但档案库中没有这条记录：档案库可能被替换或记录被删除"
            ))
        else:
            problems.append(VerifyProblem(None, "", None, name, "存档库中有未登记的文件夹"))
    return problems


# ----------------------------------------------------------------------------------------------
# The issued lagging lists, for later runs


@dataclass(frozen=True)
class IssuedLists:
    """Period end -> community keys named lagging as issued (latest revision), and why they are
    not used when the archive cannot be trusted (Chinese warnings for the terminal)."""

    lagging: dict[str, list[str]]
    warnings: list[str] = field(default_factory=list)


_NOT_USED = "本次按重新计算的落后名单认定“连续”落后。请运行 screening archive verify 检查档案。"


def read_issued(folder: Path) -> IssuedLists:
    """The lagging lists of the issued circulars, for ``screening run``/``check``/``remind`` and the
    next issue. An unreadable, missing or tampered archive does not stop them: its lists are not
    used and a warning says why. Never creates an archive."""
    if not db_path(folder).is_file():
        if issue_folders(folder):
            return IssuedLists({}, [f"注意：档案库 {db_path(folder)} 不见了，但档案中还有存档文件夹。{_NOT_USED}"])
        return IssuedLists({})
    try:
        conn = open_db(folder)
    except ArchiveUnreadable as exc:
        return IssuedLists({}, [f"注意：{exc}{_NOT_USED}"])
    try:
        broken = check_chain(conn) or _record_files_differ(conn, folder)
        if broken:
            return IssuedLists({}, [f"注意：档案库 {db_path(folder)} 校验不通过（记录可能被改动）。{_NOT_USED}"])
        rows = conn.execute(
            """
            SELECT c.period_end, c.lagging_json FROM circulars c
            WHERE c.revision = (SELECT MAX(revision) FROM circulars WHERE period_end = c.period_end)
            ORDER BY c.period_end
            """
        ).fetchall()
    finally:
        conn.close()
    return IssuedLists({r["period_end"]: list(json.loads(r["lagging_json"])) for r in rows})


def _record_files_differ(conn: sqlite3.Connection, folder: Path) -> bool:
    """Whether a sealed record's lagging list differs from its folder's record.json (cheap: no
    file is hashed)."""
    rows = conn.execute(
        "SELECT c.folder, c.lagging_json FROM circulars c JOIN chain s ON s.circular_id = c.id WHERE s.sealed = 'issue'"
    ).fetchall()
    for row in rows:
        kept = read_record_file(folder / row["folder"] / RECORD_FILE)
        if kept is not None and kept.get("lagging_json") != row["lagging_json"]:
            return True
    return False
