"""read_all and reading in worker processes with limits (pipeline.load.isolate)."""

from __future__ import annotations

import shutil
import time
from pathlib import Path
from typing import Any

import pytest

from pipeline.load import isolate, read_all, read_file, read_file_isolated
from pipeline.settings import Limits
from tests.conftest import DEMO_INPUT
from tests.load.helpers import ID, LIMITS, make_roster_xlsx


def test_read_all(tmp_path: Path) -> None:
    inp = tmp_path / "input"
    inp.mkdir()
    make_roster_xlsx(inp / "a.xlsx")
    (inp / "b.csv").write_text(f"姓名,身份证号\n张三,{ID}\n", encoding="utf-8")
    (inp / "c.xls").write_bytes(b"")
    (inp / "~$a.xlsx").write_bytes(b"lock")
    (inp / "out").mkdir()
    (inp / "out" / "result.xlsx").write_bytes(b"x")
    results, problems = read_all(inp, LIMITS, exclude=[inp / "out"])
    assert [r.path for r in results] == ["a.xlsx", "b.csv", "c.xls"]
    assert [r.format for r in results] == ["xlsx", "csv", "empty"]
    assert [r.readable for r in results] == [True, True, False]
    assert results[0].sheets[0].rows[4][2] == ID
    assert results[1].sheets[0].rows[1] == ["张三", ID]
    assert sorted(p.code for p in problems) == ["skipped_excluded", "skipped_lock"]


def _worker_that_never_answers(conn: Any, extra_memory: int) -> None:
    """Runs in the worker process instead of isolate._worker_main: ready, takes a file, hangs."""
    conn.send(isolate._READY)
    conn.recv()
    time.sleep(3600)


def test_read_file_isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    path = tmp_path / "a.xlsx"
    make_roster_xlsx(path)
    result = read_file_isolated(path, tmp_path, LIMITS, timeout_s=60)
    assert result == read_file(path, tmp_path, LIMITS)
    # A worker that does not answer in time is killed and the file reported, not waited for.
    # (A real worker reads this file in about a millisecond: any short time limit would race it.)
    monkeypatch.setattr(isolate, "_worker_main", _worker_that_never_answers)
    start = time.monotonic()
    slow = read_file_isolated(path, tmp_path, LIMITS, timeout_s=0.5)
    assert time.monotonic() - start < 30
    assert not slow.readable and slow.format == "xlsx"
    (p,) = slow.problems
    assert p.code == "unreadable" and p.message.startswith("文件无法读取：") and "超时" in p.message
    assert slow.sha256 == result.sha256


def test_files_are_read_in_process_when_no_worker_starts(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When no isolated reader process can start, files are read in-process, not all lost."""
    for name in ("任务分配表.xlsx", "办事处登记.xlsx"):
        shutil.copy(DEMO_INPUT / name, tmp_path / name)
    # A worker's readiness message the parent will never accept: every start counts as failed.
    monkeypatch.setattr(isolate, "_READY", "never-sent")
    monkeypatch.setattr(isolate, "_WORKER_START_SECONDS", 5.0)
    results, _ = read_all(tmp_path, Limits(), workers=1)
    assert [r.path for r in results] == ["任务分配表.xlsx", "办事处登记.xlsx"]
    assert all(r.readable for r in results), [p.message for r in results for p in r.problems]
