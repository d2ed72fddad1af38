"""A full disk (ENOSPC) or a read-only output folder while a run writes its results.

Before: a Python traceback (``Exception ignored in ZipFile.__del__ ... Errno 28``), an internal
error, and a folder holding only ``run.log`` (with a previous result present, ``run.log`` was
written into that complete folder). Expected: one Chinese line, a non-zero exit, the previous
result untouched and nothing left behind.

The disk is filled by injection: every file opened for writing under the output folder (the
workbooks' zip containers, the JSON, the circulars) gets a byte budget shared by the process,
after which its writes fail with ENOSPC, as the kernel's would. Forked workbook writers inherit
the injection.
"""

from __future__ import annotations

import errno
import gc
import hashlib
import io
import os
import shutil
import stat
import sys
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from tests.conftest import CONFIG, DEMO_INPUT

AS_OF = "2020-06-30"
INPUTS = ("新民社区已孕对象花名册20200417.xlsx", "卫生院超声NT筛查登记2020.xlsx", "任务分配表.xlsx")


class _Full:
    """A writable file that fails with ENOSPC once the shared budget is spent."""

    budget = 0

    def __init__(self, raw: Any) -> None:
        self._raw = raw

    def write(self, data: Any) -> int:
        size = len(data)
        if size > _Full.budget:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        _Full.budget -= size
        return int(self._raw.write(data))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._raw, name)

    def __enter__(self) -> _Full:
        return self

    def __exit__(self, *exc: object) -> None:
        self._raw.close()

    def __iter__(self) -> Any:
        return iter(self._raw)


def _fill_disk(monkeypatch: pytest.MonkeyPatch, under: Path, budget: int) -> None:
    real_open = io.open
    root = str(under.resolve())
    _Full.budget = budget

    def full_open(file: Any, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = real_open(file, mode, *args, **kwargs)
        writing = any(c in mode for c in "wax+")
        if writing and isinstance(file, str | os.PathLike) and os.path.abspath(file).startswith(root):
            return _Full(fh)
        return fh

    monkeypatch.setattr(io, "open", full_open)


def _snapshot(folder: Path) -> dict[str, str]:
    return {
        p.relative_to(folder).as_posix(): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


@pytest.fixture(scope="module")
def previous(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """A small input folder and an output folder holding a complete previous result."""
    base = tmp_path_factory.mktemp("diskfull")
    inp = base / "in"
    inp.mkdir()
    for name in INPUTS:
        shutil.copy2(DEMO_INPUT / name, inp / name)
    out = base / "out"
    result = CliRunner().invoke(main, _args(inp, out))
    assert result.exit_code == 0, result.output
    return inp, out


def _args(inp: Path, out: Path) -> list[str]:
    return ["run", "--input", str(inp), "--output", str(out), "--as-of", AS_OF, "--config", str(CONFIG)]


@pytest.mark.parametrize(
    ("share", "workers"),
    [(0.0, "1"), (0.01, "1"), (0.97, "1"), (0.3, "2")],
    ids=["nothing", "1%", "97%", "30%-2workers"],
)
def test_disk_full_is_one_chinese_line_and_leaves_the_previous_result(
    previous: tuple[Path, Path], share: float, workers: str, monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    inp, out = previous
    before = _snapshot(out / AS_OF)
    # The disk fills after this share of what a whole run writes (by the parent process).
    budget = int(share * sum(p.stat().st_size for p in (out / AS_OF).rglob("*") if p.is_file()))
    entries = sorted(p.name for p in out.iterdir())
    unraisable: list[str] = []
    monkeypatch.setattr(sys, "unraisablehook", lambda u: unraisable.append(repr(u.exc_value)))
    monkeypatch.setenv("SCREENING_WORKERS", workers)
    _fill_disk(monkeypatch, out, budget)
    result = CliRunner().invoke(main, _args(inp, out))
    monkeypatch.undo()
    gc.collect()
    captured = capfd.readouterr()
    assert result.exit_code not in (0, 1), result.output + result.stderr  # not "done", not "internal error"
    assert result.stderr.startswith("错误：磁盘空间不足"), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1, result.stderr
    noise = captured.err + captured.out + result.output + "".join(unraisable)
    assert "Traceback" not in noise and "Exception ignored" not in noise and "Errno" not in noise, noise
    assert unraisable == []
    assert _snapshot(out / AS_OF) == before  # the previous result, byte for byte, and nothing added
    assert sorted(p.name for p in out.iterdir()) == entries  # no half folder, no run.log


def test_disk_full_without_a_previous_result_leaves_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    inp = tmp_path / "in"
    inp.mkdir()
    for name in INPUTS:
        shutil.copy2(DEMO_INPUT / name, inp / name)
    out = tmp_path / "out"
    out.mkdir()
    monkeypatch.setenv("SCREENING_WORKERS", "1")
    _fill_disk(monkeypatch, out, 20_000)
    result = CliRunner().invoke(main, _args(inp, out))
    monkeypatch.undo()
    assert "磁盘空间不足" in result.stderr and result.exit_code not in (0, 1)
    assert [p.name for p in out.iterdir() if not p.name.startswith(".screening")] == []


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_read_only_output_folder_is_a_chinese_message(previous: tuple[Path, Path], tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    out.chmod(stat.S_IRUSR | stat.S_IXUSR)
    try:
        result = CliRunner().invoke(main, _args(previous[0], out))
    finally:
        out.chmod(stat.S_IRWXU)
    assert result.exit_code == 2, result.output + result.stderr
    assert result.stderr.startswith("错误：无法写入输出文件夹") and "Traceback" not in result.stderr


def test_read_only_output_folder_by_injection(
    previous: tuple[Path, Path], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same as the kernel says it (EACCES on every write), for when the tests run as root."""
    out = tmp_path / "out"
    out.mkdir()
    real_open = os.open

    def refuse(path: Any, flags: int, *args: Any, **kwargs: Any) -> int:
        if str(path).startswith(str(out)) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(path))
        return real_open(path, flags, *args, **kwargs)

    real_mkdir = Path.mkdir

    def no_mkdir(self: Path, *args: Any, **kwargs: Any) -> None:
        if str(self).startswith(str(out)) and self != out:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        real_mkdir(self, *args, **kwargs)

    monkeypatch.setattr(os, "open", refuse)
    monkeypatch.setattr(Path, "mkdir", no_mkdir)
    result = CliRunner().invoke(main, _args(previous[0], out))
    monkeypatch.undo()
    assert result.exit_code == 2, result.output + result.stderr
    assert result.stderr.startswith("错误：无法写入输出文件夹") and "Traceback" not in result.stderr
    assert list(out.iterdir()) == []
