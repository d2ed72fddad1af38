"""The archive of issued circulars (pipeline.archive) and its commands: issuing two consecutive
periods, listing, revisions that never overwrite, verifying against tampering, and the issued
lagging lists driving the "in a row" rules after late data changed a recomputation."""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import os
import shutil
import sqlite3
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from click.testing import CliRunner
from docx import Document

from pipeline import archive, store
from pipeline.cli import main
from pipeline.reconcile import reconcile
from pipeline.score import score
from pipeline.settings import Settings, load_settings
from tests.conftest import CONFIG, DEMO_INPUT, demo_result
from tests.factories import A, B, C, log_row, make_settings, normalized, person, quotas, roster_row

JUNE_15 = dt.date(2020, 6, 15)
JUNE_30 = dt.date(2020, 6, 30)
JULY_15 = dt.date(2020, 7, 15)
WHEN = dt.datetime(2020, 7, 2, 9, 30)


def _issue(folder: Path, settings: Settings, day: dt.date, number: str, **kw: Any) -> archive.Circular:
    return archive.issue(
        folder, settings, demo_result(day), number=number, issued_at=WHEN, issued_by="刘杰", **kw
    )


@pytest.fixture(scope="module")
def issued_once(tmp_path_factory: pytest.TempPathFactory, settings: Settings) -> Path:
    """An archive with the circulars of 2020-06-01..15 (No. 11) and 2020-06-16..30 (No. 8)."""
    folder = tmp_path_factory.mktemp("issued") / "archive"
    _issue(folder, settings, JUNE_15, "11")
    _issue(folder, settings, JUNE_30, "8")
    return folder


def _copy(source: Path, target: Path) -> Path:
    shutil.copytree(source, target)  # keeps the read-only modes
    return target


@pytest.fixture()
def two_issued(issued_once: Path, tmp_path: Path) -> Path:
    """A private copy of the two-period archive (tests may add to it or tamper with it)."""
    return _copy(issued_once, tmp_path / "archive")


def _docx_text(path: Path) -> str:
    return "\n".join(p.text for p in Document(str(path)).paragraphs)


def test_two_consecutive_periods_are_issued_and_listed(two_issued: Path, settings: Settings) -> None:
    records = archive.list_circulars(two_issued)
    assert [(r.period_start, r.period_end, r.doc_number, r.revision) for r in records] == [
        ("2020-06-01", "2020-06-15", "唐洲文〔2020〕11号", 0),
        ("2020-06-16", "2020-06-30", "唐洲文〔2020〕8号", 0),
    ]
    first, second = records
    # The first half-month (04-10..04-15, 6 days) is merged into the second: 06-01..06-15 is the 4th.
    assert (first.period_number, second.period_number) == (4, 5)
    assert first.issued_by == "刘杰" and first.issued_at == "2020-07-02T09:30:00"
    # The lagging lists as computed at each period's end are what was issued.
    for record, day in ((first, JUNE_15), (second, JUNE_30)):
        computed = [c["key"] for c in demo_result(day).summary["communities"] if c["lagging"]]
        assert record.lagging == computed and record.lagging
    assert archive.issued_lagging(two_issued) == {"2020-06-15": first.lagging, "2020-06-30": second.lagging}
    # Five files each, named as in output/, with their checksums; read-only.
    assert {f.name for f in second.files} == {
        "通报_2020-06-30.docx",
        "通报_2020-06-30.html",
        "通报摘要_2020-06-30.txt",
        "summary.json",
        "两筛进度汇总_2020-06-30.xlsx",
    }
    for f in second.files:
        path = two_issued / second.folder / f.name
        assert archive.sha256_file(path) == f.sha256 and path.stat().st_size == f.size
        assert not (path.stat().st_mode & 0o222)  # read-only
    assert second.folder == "2020-06-30_8_r0"


def test_the_issued_circular_carries_its_number_and_the_period_end_figures(two_issued: Path) -> None:
    record = archive.list_circulars(two_issued)[0]
    base = two_issued / record.folder
    text = _docx_text(base / "通报_2020-06-15.docx")
    assert "唐洲文〔2020〕11号" in text
    assert "唐洲文〔2020〕11号" in (base / "通报_2020-06-15.html").read_text(encoding="utf-8")
    # The issued WeChat text: with the number and what the plan sets for the lagging communities.
    wechat = (base / "通报摘要_2020-06-15.txt").read_text(encoding="utf-8")
    assert "（唐洲文〔2020〕11号）" in wechat
    lagging = [c for c in demo_result(JUNE_15).summary["communities"] if c["lagging"]]
    assert all(x in wechat for c in lagging for x in c["consequences"])
    # The draft's 审核提示 page (the demo always has the goal 333 vs 306 on it) is not issued.
    assert demo_result(JUNE_15).summary["warnings"]
    assert text.startswith("中共唐河县泗洲街道工作委员会\n唐河县泗洲街道办事处\n第4期") and "审核提示" not in text
    assert "审核提示" not in (base / "通报_2020-06-15.html").read_text(encoding="utf-8")
    figures = json.loads((base / "summary.json").read_text(encoding="utf-8"))
    assert figures["as_of"] == "2020-06-15"
    assert figures["circular_period"] == {"number": 4, "start": "2020-06-01", "end": "2020-06-15"}
    assert record.summary_sha256 == archive.sha256_file(base / "summary.json")


def test_database_is_versioned_wal_and_append_only(two_issued: Path) -> None:
    conn = store.open_db(two_issued)
    try:
        assert store.schema_version(conn) == store.SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0].lower() == "wal"
        with pytest.raises(sqlite3.DatabaseError, match="never changed"):
            conn.execute("UPDATE circulars SET number = '9'")
        with pytest.raises(sqlite3.DatabaseError, match="never deleted"):
            conn.execute("DELETE FROM files")
    finally:
        conn.close()
    # Opening again does not migrate twice.
    conn = store.open_db(two_issued)
    try:
        assert conn.execute("SELECT COUNT(*) FROM schema_version").fetchone()[0] == store.SCHEMA_VERSION
    finally:
        conn.close()


def test_a_newer_database_is_refused(tmp_path: Path) -> None:
    conn = store.open_db(tmp_path)
    conn.execute("INSERT INTO schema_version (version) VALUES (99)")
    conn.close()
    with pytest.raises(store.ArchiveError, match="升级"):
        store.open_db(tmp_path)


def test_reissue_creates_a_revision_and_keeps_the_original(two_issued: Path, settings: Settings) -> None:
    original = archive.list_circulars(two_issued)[1]
    before = {f.name: archive.sha256_file(two_issued / original.folder / f.name) for f in original.files}
    with pytest.raises(store.ArchiveError, match="--reason"):
        _issue(two_issued, settings, JUNE_30, "8")
    revision = _issue(two_issued, settings, JUNE_30, "8", reason="卫生院补报了6月下旬的筛查记录")
    assert (revision.revision, revision.revision_text, revision.folder) == (1, "修订1", "2020-06-30_8_r1")
    assert revision.reason == "卫生院补报了6月下旬的筛查记录"
    again = _issue(two_issued, settings, JUNE_30, "8", reason="再次更正")
    assert again.revision == 2
    # The original is untouched and still listed.
    assert {f.name: archive.sha256_file(two_issued / original.folder / f.name) for f in original.files} == before
    assert [r.revision for r in archive.list_circulars(two_issued) if r.period_end == "2020-06-30"] == [0, 1, 2]
    assert archive.show(two_issued, original.id).folder == "2020-06-30_8_r0"


def test_a_used_or_taken_number_is_refused_unless_forced(two_issued: Path, settings: Settings) -> None:
    # 11 is 06-01..15's number: refused for 06-16..30 before anything is rendered or filed ...
    with pytest.raises(store.ArchiveError, match="已用于 2020-06-01 至 2020-06-15.*--allow-duplicate-number"):
        archive.check_issue(two_issued, settings, JUNE_30, "11", "文号更正")
    with pytest.raises(store.ArchiveError, match="已用于 2020-06-01 至 2020-06-15"):
        _issue(two_issued, settings, JUNE_30, "11", reason="文号更正")
    # ... and 7 is the plan's own number (config [programme] taken_numbers), in use in no circular.
    assert settings.programme.taken_numbers == ("7",)
    with pytest.raises(store.ArchiveError, match="唐洲文〔2020〕7号 已被占用"):
        archive.check_issue(two_issued, settings, JUNE_30, "7", "文号更正")
    # Forced: filed, with the warning.
    record = _issue(two_issued, settings, JUNE_30, "11", reason="文号更正", allow_duplicate=True)
    assert record.doc_number == "唐洲文〔2020〕11号"
    assert any("已用于 2020-06-01 至 2020-06-15" in w for w in record.warnings)
    # The next free number is above every used and taken one (11 is the highest).
    assert archive.next_free_number(two_issued, settings) == 12


def test_the_next_free_number_skips_the_taken_ones(tmp_path: Path, settings: Settings) -> None:
    # An empty archive: 7 is taken by the plan itself, so the first free number is 8.
    assert archive.next_free_number(tmp_path / "archive", settings) == 8


def test_an_existing_target_folder_is_never_overwritten(tmp_path: Path, settings: Settings) -> None:
    folder = tmp_path / "archive"
    squatter = folder / "2020-06-30_8_r0"
    squatter.mkdir(parents=True)
    (squatter / "summary.json").write_text("mine", encoding="utf-8")
    # Without its database the archive is not started afresh over a folder that looks issued.
    with pytest.raises(store.ArchiveError, match="archive.db 不见了"):
        _issue(folder, settings, JUNE_30, "8")
    assert (squatter / "summary.json").read_text(encoding="utf-8") == "mine"
    assert not (folder / "archive.db").exists()
    # With it, the unrecorded folder is moved aside (kept as it was, and said so), not overwritten.
    store.open_db(folder).close()
    record = _issue(folder, settings, JUNE_30, "8")
    assert record.folder == "2020-06-30_8_r0" and any("已移到 .unrecorded-2020-06-30_8_r0-" in w for w in record.warnings)
    [aside] = folder.glob(".unrecorded-2020-06-30_8_r0-*")
    assert (aside / "summary.json").read_text(encoding="utf-8") == "mine"
    assert not list(folder.glob(".tmp-*")) and not list(folder.glob(".placing-*"))


def test_issue_needs_the_figures_at_the_period_end(tmp_path: Path, settings: Settings) -> None:
    # Figures as of 07-15 are not the figures of the circular that ended 06-30.
    shifted = dataclasses.replace(demo_result(JULY_15), as_of=JUNE_30)
    with pytest.raises(store.ArchiveError, match="期末"):
        archive.issue(tmp_path, settings, shifted, number="9", issued_at=WHEN, issued_by="x")
    assert archive.list_circulars(tmp_path) == []


def test_verify_catches_tampered_missing_and_extra_files(two_issued: Path) -> None:
    checked, problems = archive.verify(two_issued)
    assert (checked, problems) == (10, [])
    record = archive.list_circulars(two_issued)[0]
    html = two_issued / record.folder / "通报_2020-06-15.html"
    os.chmod(html, 0o644)
    html.write_text(html.read_text(encoding="utf-8").replace("唐洲文〔2020〕11号", "唐洲文〔2020〕70号"), encoding="utf-8")
    workbook = two_issued / record.folder / "两筛进度汇总_2020-06-15.xlsx"
    os.chmod(workbook, 0o644)
    workbook.unlink()
    (two_issued / record.folder / "note.txt").write_text("x", encoding="utf-8")
    (two_issued / "备份").mkdir()  # a folder someone made
    (two_issued / "2020-07-15_9_r0").mkdir()  # e.g. an issue killed before it was recorded (old versions)
    checked, problems = archive.verify(two_issued)
    found = {(p.file.split("/")[-1].split("-2020")[0] + ("-2020" if p.file.startswith(".") else ""), p.problem[:4])
             for p in problems}
    assert found == {
        ("通报_2020-06-15.html", "文件内容"),
        ("两筛进度汇总_2020-06-15.xlsx", "文件缺失"),
        ("note.txt", "存档文件"),
        ("备份", "存档库中"),
        (".unrecorded-2020", "已移开的"),  # moved aside by the recovery verify runs first
    }
    assert {p.circular_id for p in problems} == {record.id, None}
    assert not (two_issued / "2020-07-15_9_r0").exists()


def test_resolve_period(settings: Settings) -> None:
    assert archive.resolve_period(settings, dt.date(2020, 7, 3)) == (5, JUNE_15 + dt.timedelta(days=1), JUNE_30)
    assert archive.resolve_period(settings, JULY_15, "2020-06-16..2020-06-30")[2] == JUNE_30
    assert archive.resolve_period(settings, JULY_15, "2020-06-30")[0] == 5
    with pytest.raises(store.ArchiveError, match="不是一个通报期"):
        archive.resolve_period(settings, JULY_15, "2020-06-10..2020-06-30")
    with pytest.raises(store.ArchiveError, match="尚未结束"):
        archive.resolve_period(settings, dt.date(2020, 6, 20), "2020-06-16..2020-06-30")
    with pytest.raises(store.ArchiveError, match="还没有已结束"):
        archive.resolve_period(settings, dt.date(2020, 4, 12))


def test_issued_lists_drive_the_streaks_after_late_data() -> None:
    """A hand-built year (not the demo's): the lagging list of an issued circular stands when late
    data changes the recomputation, and the "in a row" rules count from it.

    Three communities, weekly 1 per test (expected 1/7 a day per test from 04-10), one lagging.
    Combined expected: 05-15 (36 days) 10.29, 05-31 (52 days) 14.86, 06-15 (67 days) 19.14.
    新民: 24 on 04-10, never below. 新安: 6 on 04-10, +6 on 05-20, +8 on 06-05 -> 6 (58 %) at 05-15,
    12 (81 %) at 05-31, 20 (104 %) at 06-15. 新华: 8 on 04-10 -> 8 (78 %) at 05-15, 8 (54 %) at
    05-31, 8 (42 %) at 06-15. Issued: 05-15 新安, 05-31 新华. Late data: 新华 +8 dated 05-20 -> 16
    (108 %) at 05-31 (the recomputation names 新安 instead), 16 (84 %) at 06-15: lagging again."""
    settings = make_settings(ranking={"lagging_count": 1})
    plan = {A: [("2020-04-10", 24)], B: [("2020-04-10", 6), ("2020-05-20", 6), ("2020-06-05", 8)], C: [("2020-04-10", 8)]}
    late = {C: [("2020-05-20", 8)]}
    june_15 = dt.date(2020, 6, 15)

    def scored(plans: list[dict[str, list[tuple[str, int]]]], issued: dict[str, list[str]] | None) -> pd.DataFrame:
        roster, log, n = [], [], 0
        for p in plans:
            for key, batches in p.items():
                for day, count in batches:
                    for i in range(count):
                        n += 1
                        roster.append(roster_row(person(n), key, "2020-04-09"))
                        log.append(log_row(person(n), "nt" if i % 2 == 0 else "serum", day))
        rec = reconcile(normalized(roster, log), settings, june_15)
        return score(rec.screenings, rec.submissions, quotas(settings), settings, june_15, issued).circulars

    def row(circulars: pd.DataFrame, end: str, key: str = C) -> pd.Series:
        return circulars[(circulars["period_end"] == pd.Timestamp(end)) & (circulars["community"] == key)].iloc[0]

    before = scored([plan], None)
    assert [bool(row(before, e, k)["lagging"]) for e, k in (("2020-05-15", B), ("2020-05-31", C))] == [True, True]
    issued = {"2020-05-15": [B], "2020-05-31": [C]}
    with_issued = scored([plan, late], issued)
    recomputed = scored([plan, late], None)
    # 05-31: the recomputation no longer names 新华; the issued circular did, and that stands.
    p_may = row(with_issued, "2020-05-31")
    assert bool(p_may["issued"]) and bool(p_may["lagging"])
    assert not bool(p_may["computed_lagging"]) and bool(p_may["differs_from_issued"])
    assert not bool(row(recomputed, "2020-05-31")["lagging"]) and bool(row(recomputed, "2020-05-31", B)["lagging"])
    # 06-15 (not issued): 新华 is lagging again; as issued that is twice in a row.
    p_june, p_june_recomputed = row(with_issued, "2020-06-15"), row(recomputed, "2020-06-15")
    assert bool(p_june["lagging"]) and not bool(p_june["issued"])
    assert (int(p_june["lag_streak"]), int(p_june_recomputed["lag_streak"])) == (2, 1)
    texts = settings.ranking.lagging_texts
    assert texts[1] in p_june["consequences"] and texts[0] in p_june_recomputed["consequences"]


# ----------------------------------------------------------------------------------------------
# The commands


@pytest.fixture()
def project(tmp_path: Path) -> Path:
    """A tmp project: a config copy whose archive folder is ``archive`` beside it."""
    text = CONFIG.read_text(encoding="utf-8").replace('folder = "archive"', 'folder = "存档"', 1)
    (tmp_path / "config.toml").write_text(text, encoding="utf-8")
    return tmp_path


def _cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args))


def test_archive_commands_end_to_end(project: Path, issued_once: Path) -> None:
    config = str(project / "config.toml")
    settings = load_settings(project / "config.toml")
    folder = store.archive_folder(settings)
    assert folder == project / "存档"
    assert "还没有" in _cli("archive", "list", "--config", config).output
    # Two consecutive periods issued (by the library, from the cached analyses), then the commands.
    _copy(issued_once, folder)

    listing = _cli("archive", "list", "--config", config)
    assert listing.exit_code == 0, listing.output
    assert "唐洲文〔2020〕11号" in listing.output and "唐洲文〔2020〕8号" in listing.output
    assert "下一个可用文号：12" in listing.output
    assert "2020-06-16 至 2020-06-30" in listing.output and "原件" in listing.output

    # A re-issue without a reason is refused before any work; with one it is 修订1.
    refused = _cli("archive", "issue", "--config", config, "--input", str(DEMO_INPUT), "--number", "8",
                   "--as-of", "2020-07-03")
    assert refused.exit_code != 0 and "--reason" in refused.output
    revised = _cli("archive", "issue", "--config", config, "--input", str(DEMO_INPUT), "--number", "8",
                   "--period", "2020-06-16..2020-06-30", "--by", "王志钦", "--reason", "补报")
    assert revised.exit_code == 0, revised.output
    assert "修订1" in revised.output and "唐洲文〔2020〕8号" in revised.output
    assert (folder / "2020-06-30_8_r1" / "通报_2020-06-30.docx").is_file()

    shown = _cli("archive", "show", "3", "--config", config)
    assert shown.exit_code == 0 and "王志钦" in shown.output and "补报" in shown.output
    assert "summary.json" in shown.output
    assert _cli("archive", "show", "99", "--config", config).exit_code != 0

    ok = _cli("archive", "verify", "--config", config)
    assert ok.exit_code == 0 and "15 个存档文件" in ok.output
    target = folder / "2020-06-15_11_r0" / "summary.json"
    os.chmod(target, 0o644)
    target.write_text("{}", encoding="utf-8")
    bad = _cli("archive", "verify", "--config", config)
    assert bad.exit_code == 3 and "summary.json" in bad.output and "改动" in bad.output


def test_run_and_check_pass_the_issued_lists(
    project: Path, issued_once: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`screening run` and `check` give analyse() the archive's lists (the streak logic itself is
    tested above); without an archive they pass none and create nothing."""
    import pipeline.analyse
    from pipeline.model import RunError

    seen: list[Any] = []

    def fake_analyse(*args: Any, **kwargs: Any) -> Any:
        seen.append(kwargs.get("issued"))
        raise RunError("stop")

    monkeypatch.setattr(pipeline.analyse, "analyse", fake_analyse)
    config = str(project / "config.toml")
    for command in ("run", "check"):
        assert _cli(command, "--config", config, "--input", str(DEMO_INPUT), "--as-of", "2020-07-15").exit_code == 2
    assert seen == [{}, {}]
    assert not (project / "存档").exists()
    _copy(issued_once, project / "存档")
    for command in ("run", "check"):
        _cli(command, "--config", config, "--input", str(DEMO_INPUT), "--as-of", "2020-07-15")
    assert seen[2] == seen[3] == archive.issued_lagging(issued_once)
    assert set(seen[2]) == {"2020-06-15", "2020-06-30"}
