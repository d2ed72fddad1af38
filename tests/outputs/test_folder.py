"""One writer at a time per output folder, and recovery from a run killed mid-swap."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from pipeline.model import RunError
from pipeline.outputs.folder import LOCK_NAME, output_lock, recover_outputs


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_second_writer_is_refused_with_the_holders_pid(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        (tmp_path / LOCK_NAME).write_text(f"{holder.pid}\n", encoding="ascii")
        with pytest.raises(RunError, match=str(holder.pid)), output_lock(tmp_path):
            pass
    finally:
        holder.kill()
        holder.wait()


def test_stale_lock_of_a_dead_process_is_taken_over(tmp_path: Path) -> None:
    (tmp_path / LOCK_NAME).write_text(f"{_dead_pid()}\n", encoding="ascii")
    with output_lock(tmp_path):
        assert (tmp_path / LOCK_NAME).read_text(encoding="ascii").strip() == str(os.getpid())
    assert not (tmp_path / LOCK_NAME).exists()


def test_recovery_restores_the_previous_result_killed_between_renames(tmp_path: Path) -> None:
    dead = _dead_pid()
    old = tmp_path / f".old-2020-06-30-{dead}"
    old.mkdir()
    (old / "summary.json").write_text("{}", encoding="utf-8")
    tmp = tmp_path / f".tmp-2020-06-30-{dead}"
    tmp.mkdir()
    done = recover_outputs(tmp_path)
    assert (tmp_path / "2020-06-30" / "summary.json").exists()
    assert not old.exists() and not tmp.exists()
    assert sorted(done) == [f"removed .tmp-2020-06-30-{dead}", "restored 2020-06-30"]


def test_recovery_leaves_a_live_writers_folders_alone(tmp_path: Path) -> None:
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        tmp = tmp_path / f".tmp-2020-06-30-{live.pid}"
        tmp.mkdir()
        assert recover_outputs(tmp_path) == []
        assert tmp.exists()
    finally:
        live.kill()
        live.wait()
