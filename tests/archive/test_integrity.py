"""The archive's tamper evidence and recovery (pipeline.integrity, pipeline.store's chain).

Before: ``INSERT OR REPLACE`` passed the update/delete triggers, so an edited ``summary.json``
re-hashed, a rewritten lagging list and issuer, a forged revision without files, even a deleted
``archive.db`` all gave exit 0 from ``archive verify``, and the next circular's consequences
followed the forged list; a corrupt ``archive.db`` made ``run`` fail with an internal error; an
issue killed between its folder's rename and the database commit wedged every later issue of
that period ("已存在，拒绝覆盖").

Each case starts from a private copy of a two-period archive and changes it the way someone with
a file manager and the sqlite3 shell could.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
from collections.abc import Iterator
from contextlib import closing, contextmanager
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline import archive, store
from pipeline.cli import main
from pipeline.settings import Settings
from tests.conftest import CONFIG, DEMO_INPUT, demo_result

JUNE_15 = dt.date(2020, 6, 15)
JUNE_30 = dt.date(2020, 6, 30)
WHEN = dt.datetime(2020, 7, 2, 9, 30)
TRIGGERS = (
    "circulars_no_update", "circulars_no_delete", "files_no_update", "files_no_delete", "circulars_no_replace",
    "files_no_replace", "files_not_after_seal", "chain_no_replace", "chain_no_update", "chain_no_delete",
)


def _issue(folder: Path, settings: Settings, day: dt.date, number: str, **kw: Any) -> archive.Circular:
    return archive.issue(folder, settings, demo_result(day), number=number, issued_at=WHEN, issued_by="刘杰", **kw)


@pytest.fixture(scope="module")
def sealed_once(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Path:
    folder = tmp_path_factory.mktemp("sealed") / "archive"
    _issue(folder, settings, JUNE_15, "11")
    shutil.copy2(folder / store.DB_NAME, folder.parent / "after_first.db")  # an old copy, for a replacement
    _issue(folder, settings, JUNE_30, "8")
    return folder


@pytest.fixture()
def project(sealed_once: Path, tmp_path: Path) -> Path:
    """A project folder: config.toml, a private copy of the sealed archive beside it, and a small
    input folder (``input``: three of the demo's files) for the commands that analyse."""
    shutil.copy2(CONFIG, tmp_path / "config.toml")
    shutil.copytree(sealed_once, tmp_path / "archive")
    shutil.copy2(sealed_once.parent / "after_first.db", tmp_path / "after_first.db")
    (tmp_path / "input").mkdir()
    for name in SMALL_INPUT:
        shutil.copy2(DEMO_INPUT / name, tmp_path / "input" / name)
    return tmp_path


SMALL_INPUT = ("新民社区已孕对象花名册20200417.xlsx", "卫生院超声NT筛查登记2020.xlsx", "任务分配表.xlsx")


@contextmanager
def sqlite_shell(folder: Path) -> Iterator[sqlite3.Connection]:
    """The database as the sqlite3 shell sees it: triggers can be dropped, anything written."""
    with closing(sqlite3.connect(folder / store.DB_NAME, isolation_level=None)) as conn:
        yield conn


def _unlock(conn: sqlite3.Connection) -> None:
    for name in TRIGGERS:
        conn.execute(f"DROP TRIGGER IF EXISTS {name}")


def _cli(project: Path, *args: str) -> Any:
    return CliRunner().invoke(main, [*args, "--config", str(project / "config.toml")])


def _problems(folder: Path) -> list[str]:
    return [f"{p.circular_id}|{p.file}|{p.problem}" for p in archive.verify(folder)[1]]


def _has(problems: list[str], *words: str) -> bool:
    return any(all(w in p for w in words) for p in problems)


def test_a_sealed_archive_verifies_and_prints_its_head(project: Path) -> None:
    folder = project / "archive"
    assert archive.verify(folder) == (10, [])
    with closing(store.open_db(folder)) as conn:
        seals = conn.execute("SELECT circular_id, prev_hash, record_hash, sealed FROM chain ORDER BY circular_id").fetchall()
    assert [(r[0], r[3]) for r in seals] == [(1, "issue"), (2, "issue")]
    assert seals[0][1] == "" and seals[1][1] == seals[0][2]  # the second links to the first
    kept = json.loads((folder / "2020-06-30_8_r0" / "record.json").read_text(encoding="utf-8"))
    assert kept["record_hash"] == seals[1][2] and kept["issued_by"] == "刘杰"
    result = _cli(project, "archive", "verify")
    assert result.exit_code == 0 and seals[1][2] in result.output


@pytest.mark.parametrize(
    "sql",
    [
        "INSERT OR REPLACE INTO circulars SELECT id, period_start, period_end, period_number, number, doc_number,"
        " revision, reason, issued_at, '王五', as_of, '[]', summary_sha256, folder FROM circulars WHERE id = 2",
        "REPLACE INTO files SELECT circular_id, name, 'ab', size FROM files WHERE circular_id = 2 AND name = 'summary.json'",
        "INSERT OR REPLACE INTO chain SELECT circular_id, prev_hash, 'x', sealed FROM chain WHERE circular_id = 2",
        "INSERT INTO files (circular_id, name, sha256, size) VALUES (2, 'extra.txt', 'ab', 1)",
        "INSERT OR REPLACE INTO circulars (period_start, period_end, period_number, number, doc_number, revision,"
        " reason, issued_at, issued_by, as_of, lagging_json, summary_sha256, folder) SELECT period_start,"
        " period_end, period_number, number, doc_number, 5, reason, issued_at, issued_by, as_of, '[]',"
        " summary_sha256, folder FROM circulars WHERE id = 2",
    ],
    ids=["replace-circular", "replace-file", "replace-seal", "file-after-seal", "replace-by-folder"],
)
def test_replace_and_late_inserts_are_refused_by_the_database(project: Path, sql: str) -> None:
    with sqlite_shell(project / "archive") as conn, pytest.raises(sqlite3.DatabaseError, match="never|sealed"):
        conn.execute(sql)
    assert _problems(project / "archive") == []


def test_rewritten_lagging_list_and_issuer_are_caught(project: Path, settings: Settings) -> None:
    folder = project / "archive"
    with sqlite_shell(folder) as conn:
        _unlock(conn)
        conn.execute("UPDATE circulars SET lagging_json = '[]', issued_by = '王五' WHERE id = 2")
    problems = _problems(folder)
    assert _has(problems, "2|", "记录与封存时不一致")
    assert _has(problems, "record.json", "不一致")
    assert _has(problems, "落后名单被改动")
    # Later runs do not follow the forged list: they say so and recompute.
    issued = archive.read_issued(folder)
    assert issued.lagging == {} and "校验不通过" in issued.warnings[0]
    check = _cli(project, "check", "--input", str(project / "input"), "--as-of", "2020-07-15")
    assert check.exit_code == 0 and "校验不通过" in check.stderr
    refused = _cli(project, "archive", "issue", "--number", "9", "--input", str(project / "input"), "--as-of", "2020-07-15")
    assert refused.exit_code == 1 and "档案库校验不通过" in refused.stderr and "Traceback" not in refused.output
    assert _cli(project, "archive", "verify").exit_code == 3


def test_rewritten_record_with_a_recomputed_chain_is_caught_by_the_folder(project: Path) -> None:
    """Someone who knows the hash recomputes the seal after rewriting the list: the folder's
    record.json and the archived summary.json still say otherwise."""
    folder = project / "archive"
    with sqlite_shell(folder) as conn:
        conn.row_factory = sqlite3.Row
        _unlock(conn)
        conn.execute("UPDATE circulars SET lagging_json = '[\"新民社区\"]' WHERE id = 2")
        row = conn.execute("SELECT * FROM circulars WHERE id = 2").fetchone()
        prev = conn.execute("SELECT prev_hash FROM chain WHERE circular_id = 2").fetchone()[0]
        payload = store.record_payload(row, store.record_files(conn, 2), prev, "issue")
        conn.execute("UPDATE chain SET record_hash = ? WHERE circular_id = 2", (store.payload_hash(payload),))
    problems = _problems(folder)
    assert not _has(problems, "记录与封存时不一致")  # the chain itself now adds up
    assert _has(problems, "record.json", "不一致") and _has(problems, "落后名单被改动")
    assert archive.read_issued(folder).lagging == {}


def test_edited_summary_rehashed_in_the_database_is_caught(project: Path) -> None:
    folder = project / "archive"
    path = folder / "2020-06-30_8_r0" / "summary.json"
    os.chmod(path, 0o644)
    summary = json.loads(path.read_text(encoding="utf-8"))
    for c in summary["communities"]:
        c["lagging"] = c["name"] == "新民社区"
    path.write_text(json.dumps(summary, ensure_ascii=False), encoding="utf-8")
    digest, size = archive.sha256_file(path), path.stat().st_size
    with sqlite_shell(folder) as conn:
        _unlock(conn)
        conn.execute("UPDATE files SET sha256 = ?, size = ? WHERE circular_id = 2 AND name = 'summary.json'", (digest, size))
        conn.execute("UPDATE circulars SET summary_sha256 = ?, lagging_json = '[\"新民社区\"]' WHERE id = 2", (digest,))
    problems = _problems(folder)
    assert _has(problems, "2|", "记录与封存时不一致")


@pytest.mark.parametrize("with_seal", [False, True], ids=["unsealed", "sealed-by-hand"])
def test_a_forged_revision_without_files_is_caught_and_not_followed(project: Path, with_seal: bool) -> None:
    folder = project / "archive"
    with sqlite_shell(folder) as conn:
        conn.row_factory = sqlite3.Row
        conn.execute(
            "INSERT INTO circulars (period_start, period_end, period_number, number, doc_number, revision, reason,"
            " issued_at, issued_by, as_of, lagging_json, summary_sha256, folder) SELECT period_start, period_end,"
            " period_number, number, doc_number, 1, '更正', issued_at, issued_by, as_of, '[\"新民社区\"]',"
            " summary_sha256, '2020-06-30_8_r1' FROM circulars WHERE id = 2"
        )
        if with_seal:  # the attacker computes the seal the way the program does
            store.seal(conn, 3)
    problems = _problems(folder)
    assert _has(problems, "3|", "没有任何存档文件") and _has(problems, "3|", "存档文件夹缺失")
    if not with_seal:
        assert _has(problems, "3|", "没有封存")
        assert archive.read_issued(folder).lagging == {}
    else:
        assert archive.read_issued(folder).lagging["2020-06-30"] == ["新民社区"]  # (see the README's limits)
    assert _cli(project, "archive", "verify").exit_code == 3


def test_a_deleted_database_is_caught_and_not_started_afresh(project: Path) -> None:
    folder = project / "archive"
    for suffix in ("", "-wal", "-shm"):
        (folder / f"{store.DB_NAME}{suffix}").unlink(missing_ok=True)
    result = _cli(project, "archive", "verify")
    assert result.exit_code == 3 and "archive.db 不见了" in result.output
    issued = archive.read_issued(folder)
    assert issued.lagging == {} and "不见了" in issued.warnings[0]
    refused = _cli(project, "archive", "issue", "--number", "9", "--input", str(project / "input"), "--as-of", "2020-07-15")
    assert refused.exit_code == 1 and "不见了" in refused.stderr
    assert not (folder / store.DB_NAME).exists()


@pytest.mark.parametrize("replacement", ["older-copy", "empty"])
def test_a_replaced_database_is_caught(project: Path, replacement: str) -> None:
    folder = project / "archive"
    for suffix in ("-wal", "-shm"):
        (folder / f"{store.DB_NAME}{suffix}").unlink(missing_ok=True)
    (folder / store.DB_NAME).unlink()
    if replacement == "older-copy":
        shutil.copy2(project / "after_first.db", folder / store.DB_NAME)
    else:
        store.open_db(folder).close()
    problems = _problems(folder)
    assert _has(problems, "2020-06-30_8_r0", "档案库可能被替换")
    assert (folder / "2020-06-30_8_r0").is_dir()  # evidence is never moved aside
    assert _cli(project, "archive", "verify").exit_code == 3


def test_a_corrupt_database_does_not_stop_run_check_or_remind(project: Path) -> None:
    folder = project / "archive"
    for suffix in ("-wal", "-shm"):
        (folder / f"{store.DB_NAME}{suffix}").unlink(missing_ok=True)
    (folder / store.DB_NAME).write_bytes(b"this is not a database" * 100)
    out = project / "output"
    run = _cli(project, "run", "--input", str(project / "input"), "--output", str(out), "--as-of", "2020-07-15")
    assert run.exit_code == 0, run.output
    assert "无法读取" in run.stderr and "本次按重新计算的落后名单" in run.stderr and "Traceback" not in run.output
    check = _cli(project, "check", "--input", str(project / "input"), "--as-of", "2020-07-15")
    assert check.exit_code == 0 and "无法读取" in check.stderr
    text = (project / "config.toml").read_text(encoding="utf-8")
    text = text.replace("[mail.communities]", '[mail.communities]\n"新民社区" = ["xinmin@example.cn"]', 1)
    text = text.replace('sender = ""', 'sender = "jsb@example.cn"', 1)
    (project / "config.toml").write_text(text, encoding="utf-8")
    remind = _cli(project, "remind", "--input", str(project / "input"), "--output", str(out), "--as-of", "2020-07-06")
    assert remind.exit_code == 0, remind.output
    assert "无法读取" in remind.stderr and "只预览" in remind.stderr
    verify = _cli(project, "archive", "verify")
    assert verify.exit_code == 3 and "无法读取" in verify.output
    for command in (("archive", "list"), ("archive", "show", "1")):
        result = _cli(project, *command)
        assert result.exit_code == 1 and "无法读取" in result.stderr and "Traceback" not in result.output


def _legacy_archive(folder: Path) -> None:
    """Turn a sealed archive into what version 1 wrote: no chain, no record.json."""
    old = folder / "v1.db"
    with closing(sqlite3.connect(old, isolation_level=None)) as conn:
        for statement in store._statements(store.MIGRATIONS[0]):
            conn.execute(statement)
        conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
        conn.execute("INSERT INTO schema_version (version) VALUES (1)")
        conn.execute(f"ATTACH DATABASE '{folder / store.DB_NAME}' AS new")
        conn.execute("INSERT INTO circulars SELECT * FROM new.circulars")
        conn.execute("INSERT INTO files SELECT * FROM new.files")
        conn.execute("DETACH DATABASE new")
    for suffix in ("", "-wal", "-shm"):
        (folder / f"{store.DB_NAME}{suffix}").unlink(missing_ok=True)
    old.rename(folder / store.DB_NAME)
    for record in folder.glob("*/record.json"):
        os.chmod(record, 0o644)
        record.unlink()


def test_an_archive_of_version_1_is_upgraded_and_sealed(project: Path, settings: Settings) -> None:
    folder = project / "archive"
    _legacy_archive(folder)
    with closing(store.open_db(folder)) as conn:  # the upgrade seals what was issued before
        assert store.schema_version(conn) == store.SCHEMA_VERSION == 3
        assert [r[0] for r in conn.execute("SELECT sealed FROM chain ORDER BY circular_id")] == ["upgrade", "upgrade"]
    assert archive.verify(folder) == (10, [])
    with sqlite_shell(folder) as conn:  # and from then on, edits show
        _unlock(conn)
        conn.execute("UPDATE circulars SET issued_by = '王五' WHERE id = 1")
    assert _has(_problems(folder), "1|", "记录与封存时不一致")


def test_a_folder_left_by_an_interrupted_issue_is_moved_aside(project: Path) -> None:
    """What an issue killed between its folder's rename and the commit (before this version)
    left: a complete-looking folder no record knows. The next issue recovers instead of refusing."""
    folder = project / "archive"
    wedge = folder / "2020-07-15_9_r0"
    wedge.mkdir()
    (wedge / "summary.json").write_text("{}", encoding="utf-8")
    result = _cli(project, "archive", "issue", "--number", "9", "--input", str(project / "input"), "--as-of", "2020-07-15")
    assert result.exit_code == 0, result.output
    assert "已移到 .unrecorded-2020-07-15_9_r0-" in result.output
    assert (folder / "2020-07-15_9_r0" / "record.json").is_file()
    [aside] = folder.glob(".unrecorded-2020-07-15_9_r0-*")
    assert (aside / "summary.json").read_text(encoding="utf-8") == "{}"
    problems = _problems(folder)
    assert [p.split("|")[2][:5] for p in problems] == ["已移开的未"]  # reported until someone looks
    shutil.rmtree(aside)
    assert _problems(folder) == []


def test_a_kill_after_the_commit_is_completed_by_verify(
    project: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Killed after the record was committed, before its folder was renamed into place."""
    folder = project / "archive"

    def killed(placing: Path, final: Path) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(archive, "_into_place", killed)
    with pytest.raises(KeyboardInterrupt):
        _issue(folder, settings, JUNE_30, "8", reason="补报")
    monkeypatch.undo()
    assert not (folder / "2020-06-30_8_r1").exists() and list(folder.glob(".placing-2020-06-30_8_r1-*"))
    result = _cli(project, "archive", "verify")
    assert result.exit_code == 0, result.output
    assert "已完成上次中断的存档：2020-06-30_8_r1" in result.output
    assert (folder / "2020-06-30_8_r1" / "record.json").is_file()
    assert not list(folder.glob(".placing-*"))


def test_a_full_disk_while_filing_leaves_the_archive_as_it_was(
    project: Path, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    import errno

    from pipeline.model import RunError

    folder = project / "archive"
    before = archive.verify(folder)

    def full(sources: list[Path], target: Path) -> None:
        shutil.copyfile(sources[0], target / sources[0].name)
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(archive, "_place", full)
    with pytest.raises(RunError, match="磁盘空间不足，无法写入档案文件夹"):
        _issue(folder, settings, JUNE_30, "8", reason="补报")
    monkeypatch.undo()
    assert archive.verify(folder) == before == (10, [])
    assert sorted(p.name for p in folder.iterdir() if p.is_dir()) == ["2020-06-15_11_r0", "2020-06-30_8_r0"]
