"""The archive of issued circulars (``archive/`` beside the config file, outside ``output/``).

Issuing a circular files its Word and HTML documents (with the document number filled in), its
figures (``summary.json``) and the master workbook into ``archive/<period end>_<number>_r<revision>/``
and records them, with their sha256, in an SQLite index (``archive/archive.db``). Nothing is ever
overwritten: issuing a period again creates a revision (修订 1, 2, ...) and the earlier one stays.
The lagging lists of the issued circulars drive the "in a row" rules of later periods
(:func:`issued_lagging`), so that late data never silently rewrites what was announced.

The same database holds the ledger of sent emails (table ``sent``, see :mod:`pipeline.mail`).

The library takes the issue time and the issuer as arguments; only the CLI reads the clock and
the OS user.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import sqlite3
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pipeline.calendar import circular_periods
from pipeline.integrity import (
    IssuedLists,
    VerifyProblem,
    check_chain,
    read_issued,
    recover,
    recover_locked,
    refuse_without_database,
    remove_tree,
    sha256_file,
    verify,
)
from pipeline.model import Analysis
from pipeline.outputs.circular import document_number, write_circular
from pipeline.outputs.folder import guard_writing
from pipeline.outputs.master import write_master
from pipeline.outputs.names import (
    PLACING_PREFIX,
    RECORD_FILE,
    SUMMARY_FILE,
    issue_folder_name,
    master_filename,
    placing_folder_name,
)
from pipeline.settings import Settings
from pipeline.store import ArchiveError, archive_folder, db_path, open_db, seal, transaction

__all__ = [
    "ArchivedFile",
    "Circular",
    "IssuedLists",
    "VerifyProblem",
    "check_issue",
    "issue",
    "issued_from_archive",
    "issued_lagging",
    "list_circulars",
    "read_issued",
    "recover",
    "resolve_period",
    "sha256_file",
    "show",
    "verify",
]

# ----------------------------------------------------------------------------------------------
# Records


@dataclass(frozen=True)
class ArchivedFile:
    name: str
    sha256: str
    size: int


@dataclass
class Circular:
    id: int
    period_start: str
    period_end: str
    period_number: int | None
    number: str
    doc_number: str
    revision: int
    reason: str
    issued_at: str
    issued_by: str
    as_of: str
    lagging: list[str]
    summary_sha256: str
    folder: str
    files: list[ArchivedFile] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # set by issue()

    @property
    def revision_text(self) -> str:
        return "原件" if self.revision == 0 else f"修订{self.revision}"


def _circular(row: sqlite3.Row, files: list[ArchivedFile] | None = None) -> Circular:
    return Circular(
        id=int(row["id"]),
        period_start=row["period_start"],
        period_end=row["period_end"],
        period_number=row["period_number"],
        number=row["number"],
        doc_number=row["doc_number"],
        revision=int(row["revision"]),
        reason=row["reason"],
        issued_at=row["issued_at"],
        issued_by=row["issued_by"],
        as_of=row["as_of"],
        lagging=list(json.loads(row["lagging_json"])),
        summary_sha256=row["summary_sha256"],
        folder=row["folder"],
        files=files or [],
    )


def _files(conn: sqlite3.Connection, circular_id: int) -> list[ArchivedFile]:
    rows = conn.execute(
        "SELECT name, sha256, size FROM files WHERE circular_id = ? ORDER BY name", (circular_id,)
    ).fetchall()
    return [ArchivedFile(r["name"], r["sha256"], int(r["size"])) for r in rows]


def list_circulars(folder: Path) -> list[Circular]:
    """Every archived circular, by period and revision (empty when there is no archive yet)."""
    if not db_path(folder).is_file():
        return []
    conn = open_db(folder)
    try:
        rows = conn.execute("SELECT * FROM circulars ORDER BY period_end, revision, id").fetchall()
        return [_circular(r, _files(conn, int(r["id"]))) for r in rows]
    finally:
        conn.close()


def show(folder: Path, circular_id: int) -> Circular:
    """One archived circular with its files; :class:`ArchiveError` when there is no such record."""
    if not db_path(folder).is_file():
        raise ArchiveError(f"档案库 {folder} 中还没有任何已存档的通报。")
    conn = open_db(folder)
    try:
        row = conn.execute("SELECT * FROM circulars WHERE id = ?", (circular_id,)).fetchone()
        if row is None:
            raise ArchiveError(f"档案库中没有编号为 {circular_id} 的通报。请用 screening archive list 查看编号。")
        return _circular(row, _files(conn, circular_id))
    finally:
        conn.close()


def issued_from_archive(settings: Settings) -> IssuedLists:
    """The lagging lists of the circulars issued so far, by period end (empty without an archive,
    or with a warning when the archive cannot be read or trusted): pass ``.lagging`` to
    :func:`pipeline.analyse.analyse` so that issued periods drive the "in a row" rules."""
    return read_issued(archive_folder(settings))


def issued_lagging(folder: Path) -> dict[str, list[str]]:
    """Period end ("YYYY-MM-DD") -> the community keys named lagging in the issued circular (the
    latest revision of each period). Empty when there is no archive; never creates one.
    :class:`ArchiveError` when the archive cannot be read or its records do not verify."""
    issued = read_issued(folder)
    if issued.warnings:
        raise ArchiveError(issued.warnings[0].removeprefix("注意："))
    return issued.lagging


# ----------------------------------------------------------------------------------------------
# Issuing


def resolve_period(settings: Settings, as_of: dt.date, text: str | None = None) -> tuple[int, dt.date, dt.date]:
    """The circular period to issue as (number, first day, last day): ``text`` as
    "2020-06-16..2020-06-30" (or only the end date), else the last period completed by ``as_of``."""
    spans = circular_periods(settings)
    if text is None or not text.strip():
        done = [(i, a, b) for i, (a, b) in enumerate(spans, start=1) if b <= as_of]
        if not done:
            first = f"（第一期 {spans[0][0]} 至 {spans[0][1]}）" if spans else ""
            raise ArchiveError(f"截至 {as_of} 还没有已结束的通报期{first}，无法存档。")
        return done[-1]
    parts = [p.strip() for p in re.split(r"\.\.|至|~", text.strip()) if p.strip()]
    try:
        days = [dt.date.fromisoformat(p.replace("/", "-")) for p in parts]
    except ValueError:
        raise ArchiveError(f"通报期 {text!r} 无法识别，请写成 2020-06-16..2020-06-30。") from None
    if not 1 <= len(days) <= 2:
        raise ArchiveError(f"通报期 {text!r} 无法识别，请写成 2020-06-16..2020-06-30。")
    for i, (a, b) in enumerate(spans, start=1):
        if b == days[-1] and (len(days) == 1 or a == days[0]):
            if b > as_of:
                raise ArchiveError(f"通报期 {a} 至 {b} 截至 {as_of} 尚未结束，不能存档。")
            return i, a, b
    listing = "、".join(f"{a}..{b}" for a, b in spans[:4])
    raise ArchiveError(f"{text} 不是一个通报期。通报期按 [cadence] circular 划分，例如 {listing} ……")


def check_issue(
    folder: Path,
    settings: Settings,
    period_end: dt.date,
    number: str,
    reason: str = "",
    *,
    allow_duplicate: bool = False,
) -> list[str]:
    """Before the (slow) rendering: :class:`ArchiveError` if the issue cannot go ahead (a re-issue
    without a reason, an empty number, a number already used by another period or listed in
    ``programme.taken_numbers`` unless ``allow_duplicate``); warnings (Chinese) for a number used
    anyway."""
    if not str(number).strip():
        raise ArchiveError(NO_NUMBER)
    refuse_without_database(folder)
    taken = _taken_warning(settings, number, allow_duplicate)
    if not db_path(folder).is_file():
        return taken
    conn = open_db(folder)
    try:
        _refuse_broken_chain(conn)
        found = _check(conn, settings, period_end.isoformat(), document_number(settings, number), reason)[1]
        return taken + _duplicates(found, allow_duplicate)
    finally:
        conn.close()


NO_NUMBER = "请用 --number 给出文号（办事处统一编号；screening archive list 显示下一个可用文号）。"
FORCE = "请换一个文号（screening archive list 显示下一个可用文号），确需重复使用请加 --allow-duplicate-number。"


def _taken_warning(settings: Settings, number: str, allow_duplicate: bool) -> list[str]:
    """A number config lists as used outside the tool (the plan's own 7号): refused, or a warning
    when forced."""
    doc_number = document_number(settings, number)
    if doc_number not in {document_number(settings, n) for n in settings.programme.taken_numbers}:
        return []
    text = f"文号 {doc_number} 已被占用（配置文件 [programme] taken_numbers，如实施方案本身的文号）"
    if not allow_duplicate:
        raise ArchiveError(f"{text}，不能再用。{FORCE}")
    return [f"注意：{text}，按 --allow-duplicate-number 仍然使用。"]


def _duplicates(found: list[str], allow_duplicate: bool) -> list[str]:
    """A number already used by another period: refused unless forced (then the warnings stand)."""
    if found and not allow_duplicate:
        raise ArchiveError(found[0].removeprefix("注意：").removesuffix("，请核对文号。") + f"，不能再用。{FORCE}")
    return found


def next_free_number(folder: Path, settings: Settings) -> int:
    """The smallest whole number above every number used in the archive and in
    ``programme.taken_numbers`` (numbers that are not whole numbers are ignored)."""
    used = [str(n) for n in settings.programme.taken_numbers]
    used += [c.number for c in list_circulars(folder)] if db_path(folder).is_file() else []
    whole = [int(n) for n in (u.strip().removesuffix("号") for u in used) if n.isdigit()]
    return max(whole, default=0) + 1


def _refuse_broken_chain(conn: sqlite3.Connection) -> None:
    problems = check_chain(conn)
    if problems:
        raise ArchiveError(
            f"档案库校验不通过（编号 {problems[0].circular_id}：{problems[0].problem}），不能在其后继续存档。"
            "请运行 screening archive verify 查看，并从备份恢复 archive.db。"
        )


def _check(
    conn: sqlite3.Connection, settings: Settings, period_end: str, doc_number: str, reason: str
) -> tuple[int, list[str]]:
    """The next revision of ``period_end`` and the warnings; raises when a reason is missing."""
    warnings: list[str] = []
    row = conn.execute("SELECT MAX(revision) FROM circulars WHERE period_end = ?", (period_end,)).fetchone()
    revision = 0 if row[0] is None else int(row[0]) + 1
    if revision and not reason.strip():
        prev = conn.execute(
            "SELECT doc_number, issued_at FROM circulars WHERE period_end = ? ORDER BY revision DESC LIMIT 1",
            (period_end,),
        ).fetchone()
        raise ArchiveError(
            f"截至 {period_end} 的通报已于 {prev['issued_at']} 存档（{prev['doc_number']}）。"
            f"再次存档将作为修订{revision}，请用 --reason 说明修订原因。"
        )
    used = conn.execute(
        "SELECT DISTINCT period_start, period_end FROM circulars WHERE doc_number = ? AND period_end <> ?",
        (doc_number, period_end),
    ).fetchall()
    for r in used:
        warnings.append(f"注意：文号 {doc_number} 已用于 {r['period_start']} 至 {r['period_end']} 的通报，请核对文号。")
    return revision, warnings


def _gaps(conn: sqlite3.Connection, settings: Settings, period_end: dt.date) -> list[str]:
    """Earlier periods after the first archived one that were never archived."""
    archived = {r[0] for r in conn.execute("SELECT DISTINCT period_end FROM circulars")}
    if not archived:
        return []
    first = min(archived)
    missing = [
        (a, b)
        for a, b in circular_periods(settings)
        if first < b.isoformat() < period_end.isoformat() and b.isoformat() not in archived
    ]
    return [
        f"注意：{a} 至 {b} 的通报没有存档，计算“连续”落后时该期按重新计算的名单计入。" for a, b in missing
    ]


def _write_json(path: Path, data: dict[str, Any]) -> Path:
    path.write_text(json.dumps(data, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return path


def _render(staging: Path, result: Analysis, settings: Settings, number: str, date: dt.date | None) -> list[Path]:
    """The documents of the issued circular, in ``staging``: Word, HTML and the WeChat text with the
    number, the 成文日期 (default the day after the period end), the figures, and the master workbook."""

    docx, html, text = write_circular(staging, result.summary, settings, result.as_of, number=number, date=date)
    summary = _write_json(staging / SUMMARY_FILE, result.summary)
    master = write_master(staging / master_filename(result.as_of), result, settings)
    # The WeChat text of the issued circular: the consequences are said in the group chat once issued.
    return [docx, html, text, summary, master]


def _new_folder(path: Path) -> Path:
    try:
        path.mkdir(parents=False, exist_ok=False)
    except FileExistsError:
        raise ArchiveError(f"档案文件夹 {path} 已存在，拒绝覆盖。请检查档案库（screening archive verify）。") from None
    return path


def _place(sources: list[Path], target: Path) -> list[ArchivedFile]:
    """Copy ``sources`` into the (new, empty) folder ``target``: temp file + ``os.replace``, never
    over an existing file; the archived copies are made read-only."""
    placed: list[ArchivedFile] = []
    for src in sources:
        final = target / src.name
        part = target / f".{src.name}.{uuid.uuid4().hex}.part"
        shutil.copyfile(src, part)
        with part.open("rb+") as fh:
            os.fsync(fh.fileno())
        if final.exists():
            part.unlink()
            raise ArchiveError(f"档案文件 {final} 已存在，拒绝覆盖。")
        os.replace(part, final)
        os.chmod(final, 0o444)
        placed.append(ArchivedFile(final.name, sha256_file(final), final.stat().st_size))
    return placed


def _write_record(target: Path, sealed: dict[str, Any]) -> None:
    """The sealed record as ``record.json`` in its folder, read-only: verify compares it with the
    database, so replacing or editing the database alone shows."""
    path = target / RECORD_FILE
    with path.open("w", encoding="utf-8") as fh:
        json.dump(sealed, fh, ensure_ascii=False, indent=2, sort_keys=True)
        fh.write("\n")
        fh.flush()
        os.fsync(fh.fileno())
    os.chmod(path, 0o444)


def issue(
    folder: Path,
    settings: Settings,
    result: Analysis,
    *,
    number: str,
    issued_at: dt.datetime,
    issued_by: str,
    reason: str = "",
    date: dt.date | None = None,
    allow_duplicate: bool = False,
) -> Circular:
    """File the circular of the period ending at ``result.as_of`` (the figures must be as of the
    period's end) with document number ``number``. Returns the record, with warnings (a number
    already used, earlier periods never archived, what recovery did). A full disk or an archive
    folder that cannot be written is one Chinese :class:`RunError`."""
    period = result.summary.get("circular_period")
    if not period or period["end"] != result.as_of.isoformat():
        raise ArchiveError(
            f"通报的数字必须截至通报期的最后一天；截至 {result.as_of} 的结果不是某一通报期的期末，无法存档。"
        )
    if not str(number).strip():
        raise ArchiveError(NO_NUMBER)
    taken = _taken_warning(settings, number, allow_duplicate)
    return guard_writing(
        folder,
        lambda: _issue(folder, settings, result, number=number, issued_at=issued_at, issued_by=issued_by,
                       reason=reason, date=date, allow_duplicate=allow_duplicate, taken=taken),
        what="档案文件夹",
    )


def _issue(
    folder: Path,
    settings: Settings,
    result: Analysis,
    *,
    number: str,
    issued_at: dt.datetime,
    issued_by: str,
    reason: str,
    date: dt.date | None,
    allow_duplicate: bool,
    taken: list[str],
) -> Circular:
    period = result.summary["circular_period"]
    doc_number = document_number(settings, number)
    lagging = [c["key"] for c in result.summary["communities"] if c["lagging"]]
    folder.mkdir(parents=True, exist_ok=True)
    refuse_without_database(folder)
    staging = folder / f".tmp-issue-{os.getpid()}-{uuid.uuid4().hex[:8]}"
    staging.mkdir()
    conn = open_db(folder)
    committed = False
    try:
        sources = _render(staging, result, settings, number, date)
        with transaction(conn):
            # Holding the writer lock, no other issue is half-way: finish or move aside what a killed one left.
            warnings = recover_locked(conn, folder) + taken
            _refuse_broken_chain(conn)
            revision, found = _check(conn, settings, period["end"], doc_number, reason)
            warnings += _duplicates(found, allow_duplicate) + _gaps(conn, settings, result.as_of)
            name = issue_folder_name(result.as_of, str(number), revision)
            if (folder / name).exists():
                raise ArchiveError(f"档案文件夹 {folder / name} 已存在，拒绝覆盖。请检查档案库（screening archive verify）。")
            # Files are filed under a hidden name, recorded and sealed, and the folder is renamed into
            # place only after the commit: a kill before it leaves nothing that looks like a circular,
            # a kill after it is completed by the next command (recover).
            placing = _new_folder(folder / placing_folder_name(name, os.getpid()))
            placed = _place(sources, placing)
            circular_id = _insert_record(
                conn, period, number=number, doc_number=doc_number, revision=revision, reason=reason,
                issued_at=issued_at, issued_by=issued_by, as_of=result.as_of, lagging=lagging, folder=name,
                placed=placed,
            )
            _write_record(placing, seal(conn, circular_id))
        committed = True
        _into_place(placing, folder / name)
        record = _circular(conn.execute("SELECT * FROM circulars WHERE id = ?", (circular_id,)).fetchone(), placed)
        record.warnings = warnings
        return record
    finally:
        conn.close()
        shutil.rmtree(staging, ignore_errors=True)
        if not committed:  # filed but never recorded: removed, so the index and the folders agree
            for leftover in folder.glob(f"{PLACING_PREFIX}*-{os.getpid()}"):
                remove_tree(leftover)


def _into_place(placing: Path, final: Path) -> None:
    """Rename a recorded circular's folder into place (another command's recovery may have done it)."""
    try:
        os.rename(placing, final)
    except FileNotFoundError:
        if not final.is_dir():
            raise


def _insert_record(
    conn: sqlite3.Connection,
    period: dict[str, Any],
    *,
    number: str,
    doc_number: str,
    revision: int,
    reason: str,
    issued_at: dt.datetime,
    issued_by: str,
    as_of: dt.date,
    lagging: list[str],
    folder: str,
    placed: list[ArchivedFile],
) -> int:
    """The record of one issued circular and its files (inside the caller's transaction); its id."""
    summary_sha = next(f.sha256 for f in placed if f.name == SUMMARY_FILE)
    cur = conn.execute(
        """
        INSERT INTO circulars (period_start, period_end, period_number, number, doc_number, revision,
            reason, issued_at, issued_by, as_of, lagging_json, summary_sha256, folder)
        VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
        """,
        (
            period["start"],
            period["end"],
            period.get("number"),
            str(number).strip(),
            doc_number,
            revision,
            reason.strip(),
            issued_at.isoformat(timespec="seconds"),
            issued_by,
            as_of.isoformat(),
            json.dumps(lagging, ensure_ascii=False),
            summary_sha,
            folder,
        ),
    )
    circular_id = int(cur.lastrowid or 0)
    conn.executemany(
        "INSERT INTO files (circular_id, name, sha256, size) VALUES (?, ?, ?, ?)",
        [(circular_id, f.name, f.sha256, f.size) for f in placed],
    )
    return circular_id
