"""When no isolated reader process can start, files are read in-process, not all lost."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

import pipeline.load as load
from pipeline.settings import Limits
from tests.conftest import DEMO_INPUT


def test_files_are_read_in_process_when_no_worker_starts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("任务分配表.xlsx", "办事处登记.xlsx"):
        shutil.copy(DEMO_INPUT / name, tmp_path / name)
    # A worker's readiness message the parent will never accept: every start counts as failed.
    monkeypatch.setattr(load, "_READY", "never-sent")
    monkeypatch.setattr(load, "_WORKER_START_SECONDS", 5.0)
    results, _ = load.read_all(tmp_path, Limits(), workers=1)
    assert [r.path for r in results] == ["任务分配表.xlsx", "办事处登记.xlsx"]
    assert all(r.readable for r in results), [p.message for r in results for p in r.problems]
