"""Hostile inputs, end to end: generated hostile files (tests/hostile/cases.py) are dropped into a
folder beside a small valid roster, screening log and quota table, and ``screening run`` (through
click's CliRunner) must finish (exit code 0, no traceback), keep its accounting (input = accepted
+ rejected, per sheet and in total), report each hostile file with a Chinese reason or read it
with its rows accounted, still count the valid files exactly as without it, never copy active
content (scripts, link targets, macros, entity payloads) into an output, and never touch the
input files.

``make test`` runs all generated cases together in one run (a run costs seconds, mostly writing
the outputs); ``make fuzz`` also runs each case alone. The file-system cases (links, pipes,
permissions, files vanishing mid-run) and the whole third-party corpus have their own runs.
The unit tests of :mod:`pipeline.load` (tests/load/) check the reader's verdict on each
shape; these check that the whole run survives them.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import html
import json
import os
import pickle
import re
import shutil
import signal
import stat
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from click.testing import CliRunner

from pipeline import load
from pipeline.cli import main
from pipeline.load import isolate
from pipeline.model import FileResult
from pipeline.problems import Severity
from pipeline.settings import Limits
from tests.conftest import CONFIG, DEMO_INPUT
from tests.hostile.cases import BUILDERS, Case, people, roster_csv

AS_OF = "2020-12-31"
CJK = re.compile(r"[\u4e00-\u9fff]")
VALID = ("新民社区已孕对象花名册20200417.xlsx", "卫生院超声NT筛查登记2020.xlsx", "任务分配表.xlsx")
# `make fuzz` (FUZZ_EXAMPLES above the default 15) also runs every case alone.
THOROUGH = int(os.environ.get("FUZZ_EXAMPLES", "15") or 15) > 15


@dataclass
class Run:
    exit_code: int
    output: str
    seconds: float
    folder: Path  # output/<as-of>
    summary: dict[str, Any]

    def file(self, name: str) -> dict[str, Any] | None:
        return next((f for f in self.summary["files"] if f["file"] == name), None)


def valid_input(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name in VALID:
        shutil.copy2(DEMO_INPUT / name, folder / name)
    return folder


def fingerprint(folder: Path) -> dict[str, str]:
    """Every regular file under ``folder`` (not following links) with its sha256."""
    out: dict[str, str] = {}
    for path in sorted(folder.rglob("*")):
        try:
            mode = path.lstat().st_mode
        except OSError:
            continue
        if stat.S_ISREG(mode) and os.access(path, os.R_OK):
            out[path.relative_to(folder).as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def run_pipeline(inp: Path, out: Path) -> Run:
    before = fingerprint(inp)
    start = time.monotonic()
    result = CliRunner().invoke(
        main, ["run", "--input", str(inp), "--output", str(out), "--as-of", AS_OF, "--config", str(CONFIG)]
    )
    seconds = time.monotonic() - start
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output, result.output
    assert not (out / "run.log").exists(), (out / "run.log").read_text(encoding="utf-8")
    assert fingerprint(inp) == before, "the run modified its input folder"
    folder = out / AS_OF
    summary = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    run = Run(result.exit_code, result.output, seconds, folder, summary)
    check_accounting(run)
    return run


def check_accounting(run: Run) -> None:
    acc = run.summary["accounting"]
    assert acc["input_rows"] == acc["accepted_rows"] + acc["rejected_rows"], acc
    assert acc["accepted_rows"] == sum(acc[k] for k in ("roster_rows", "log_rows", "quota_rows", "register_rows"))
    sheet_rows = 0
    for f in run.summary["files"]:
        for s in f["sheets"]:
            assert s["rows"] == s["accepted"] + s["rejected"], (f["file"], s)
            sheet_rows += s["rows"]
    assert sheet_rows == acc["input_rows"]
    assert f"共 {acc['input_rows']} 行 = 采用 {acc['accepted_rows']} 行 + 未采用 {acc['rejected_rows']} 行" in run.output


def check_reason_or_read(entry: dict[str, Any]) -> None:
    """A file is read, or carries a Chinese reason why not."""
    if not entry["readable"]:
        assert entry["error"] and CJK.search(entry["error"]), entry


def sheet_stats(summary: dict[str, Any], names: tuple[str, ...]) -> dict[str, list[tuple[Any, ...]]]:
    return {
        f["file"]: [(s["sheet"], s["kind"], s["rows"], s["accepted"], s["rejected"]) for s in f["sheets"]]
        for f in summary["files"]
        if f["file"] in names
    }


@pytest.fixture(scope="module")
def baseline(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[tuple[Any, ...]]]:
    """How the valid files are counted without any hostile file beside them."""
    base = tmp_path_factory.mktemp("baseline")
    run = run_pipeline(valid_input(base / "input"), base / "output")
    stats = sheet_stats(run.summary, VALID)
    assert set(stats) == set(VALID) and all(stats[name] for name in VALID)
    return stats


def output_text(folder: Path) -> str:
    """All text of every output file (workbook and document parts unzipped, XML unescaped)."""
    parts: list[str] = []
    for path in sorted(folder.rglob("*")):
        if not path.is_file():
            continue
        if path.suffix in (".xlsx", ".docx"):
            with zipfile.ZipFile(path) as zf:
                parts.extend(html.unescape(zf.read(n).decode("utf-8", "replace")) for n in zf.namelist())
        else:
            parts.append(path.read_bytes().decode("utf-8", "replace"))
    return "\n".join(parts)


def problem_rows(folder: Path) -> list[dict[str, Any]]:
    """The rows of 数据问题.xlsx's 逐处清单 sheet (every occurrence), keyed by its Chinese headers."""
    wb = openpyxl.load_workbook(folder / "数据问题.xlsx", read_only=True)
    try:
        rows = list(wb["逐处清单"].iter_rows(values_only=True))
    finally:
        wb.close()
    header_at = next(i for i, r in enumerate(rows) if r and r[0] == "文件")
    header = rows[header_at]
    return [dict(zip(header, r, strict=False)) for r in rows[header_at + 1 :] if any(v is not None for v in r)]


@contextlib.contextmanager
def deadline(seconds: float) -> Iterator[None]:
    """Fail instead of hanging (a FIFO opened for reading blocks until a writer comes)."""
    if not hasattr(signal, "setitimer"):
        yield
        return

    def expired(signum: int, frame: object) -> None:
        raise TimeoutError(f"the run did not finish within {seconds} s")

    previous = signal.signal(signal.SIGALRM, expired)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


# ---------------------------------------------------------------------------------------------
# The generated hostile files


def check_case(run: Run, case: Case) -> None:
    entry = run.file(case.file)
    assert entry is not None, f"{case.file} missing from summary.json files[]"
    check_reason_or_read(entry)
    if case.outcome == "error":
        assert not entry["readable"] and entry["sheets"] == [], entry
    else:
        assert entry["readable"], entry
        read = [s for s in entry["sheets"] if s["kind"] == "roster"]
        assert sum(s["rows"] for s in read) >= case.rows, entry
        assert sum(s["accepted"] for s in read) >= case.rows - 1, entry
    if case.secrets:
        text = output_text(run.folder)
        leaked = [s for s in case.secrets if s in text]
        assert not leaked, f"{case.file}: {leaked} copied into the outputs"


def test_all_hostile_files_in_one_run(tmp_path: Path, baseline: dict[str, list[tuple[Any, ...]]]) -> None:
    """Every generated case at once beside the valid files (one reader process meets them one
    after another, so a file that kills or hangs it must not cost the files after it)."""
    inp = valid_input(tmp_path / "input")
    cases = [build(inp) for build in BUILDERS.values()]
    with deadline(240):
        run = run_pipeline(inp, tmp_path / "output")
    assert run.seconds < 60, f"the run took {run.seconds:.1f} s"
    for case in cases:
        check_case(run, case)
    assert sheet_stats(run.summary, VALID) == baseline
    for f in run.summary["files"]:
        check_reason_or_read(f)
    # The scripted web page's names come through clean: the script between the characters of a
    # name is dropped, not kept.
    text = output_text(run.folder)
    for name, *_ in people(3, start=90_800):
        assert str(name) in text


@pytest.mark.skipif(not THOROUGH, reason="each case alone runs in `make fuzz`; `make test` runs them all in one run")
@pytest.mark.parametrize("name", sorted(BUILDERS))
def test_each_hostile_file_alone(name: str, tmp_path: Path, baseline: dict[str, list[tuple[Any, ...]]]) -> None:
    inp = valid_input(tmp_path / "input")
    case = BUILDERS[name](inp)
    with deadline(120):
        run = run_pipeline(inp, tmp_path / "output")
    assert run.seconds < 30, f"{name}: the run took {run.seconds:.1f} s"
    check_case(run, case)
    assert sheet_stats(run.summary, VALID) == baseline


# ---------------------------------------------------------------------------------------------
# The file system: links, pipes, permissions, files that vanish


def symlink_or_skip(link: Path, target: Path) -> None:
    try:
        link.symlink_to(target)
    except (OSError, NotImplementedError):
        pytest.skip("symlinks not available here (Windows without the privilege)")


def test_links_pipes_and_permissions(tmp_path: Path, baseline: dict[str, list[tuple[Any, ...]]]) -> None:
    """In one run:
    - symlinks pointing outside the input folder (a file elsewhere, /etc/passwd, ../..): skipped
      and reported, their content in no output;
    - a named pipe (would block a reader forever), also through a link: skipped and reported;
    - a folder named like a workbook: a folder, its files read;
    - chmod 000 on a file and on a folder. For an ordinary user both are reported with a Chinese
      reason. Root reads through permissions (what really happens when the tool runs as an
      administrator): then both are read and counted like any other file; the unprivileged
      view is checked by test_unreadable_for_an_unprivileged_user.
    """
    if os.name != "posix" or not hasattr(os, "mkfifo"):
        pytest.skip("POSIX file system features only")
    inp = valid_input(tmp_path / "input")
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    secret = outside / "别人的花名册.csv"
    secret.write_text(roster_csv([["OUTSIDE_SECRET", *people(1, start=91_000)[0][1:]]]), encoding="utf-8")
    symlink_or_skip(inp / "新民社区花名册_链接.csv", secret)
    symlink_or_skip(inp / "系统文件.csv", Path("/etc/passwd") if Path("/etc/passwd").exists() else secret)
    (inp / "子文件夹").mkdir()
    symlink_or_skip(inp / "子文件夹" / "上级.csv", Path("..") / ".." / "elsewhere" / secret.name)
    os.mkfifo(inp / "新民社区花名册_管道.csv")
    symlink_or_skip(inp / "管道链接.xlsx", inp / "新民社区花名册_管道.csv")
    folder = inp / "新民社区花名册.xlsx"
    folder.mkdir()
    (folder / "新民社区花名册0420.csv").write_text(roster_csv(people(2, start=91_100)), encoding="utf-8")
    locked = inp / "新民社区花名册_无权限.csv"
    locked.write_text(roster_csv(people(2, start=91_200)), encoding="utf-8")
    locked_dir = inp / "无权限文件夹"
    locked_dir.mkdir()
    (locked_dir / "新民社区花名册0421.csv").write_text(roster_csv(people(2, start=91_300)), encoding="utf-8")
    locked.chmod(0)
    locked_dir.chmod(0)
    try:
        with deadline(120):
            run = run_pipeline(inp, tmp_path / "output")
    finally:
        locked_dir.chmod(0o755)
        locked.chmod(0o644)
    names = {f["file"] for f in run.summary["files"]}
    problems = problem_rows(run.folder)
    by_code: dict[str, set[str]] = {}
    for row in problems:
        by_code.setdefault(row["问题代码"], set()).add(row["文件"])
        assert CJK.search(row["问题"]), row
    links = {"新民社区花名册_链接.csv", "系统文件.csv", "子文件夹/上级.csv"}
    assert by_code.get("symlink_outside") == links and not links & names
    text = output_text(run.folder)
    assert "OUTSIDE_SECRET" not in text and "root:x:0:0" not in text
    pipes = {"新民社区花名册_管道.csv", "管道链接.xlsx"}
    assert by_code.get("skipped_special") == pipes and not pipes & names
    nested = run.file("新民社区花名册.xlsx/新民社区花名册0420.csv")
    assert nested is not None and nested["readable"] and nested["sheets"][0]["accepted"] == 2
    entry = run.file(locked.name)
    assert entry is not None
    if os.geteuid() == 0:
        assert entry["readable"] and entry["sheets"][0]["accepted"] == 2
        inner = run.file("无权限文件夹/新民社区花名册0421.csv")
        assert inner is not None and inner["readable"]
    else:
        assert not entry["readable"] and entry["error"] and CJK.search(entry["error"])
        assert by_code.get("walk_error") == {"无权限文件夹"}
    assert sheet_stats(run.summary, VALID) == baseline


def test_files_that_disappear_after_discovery(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, baseline: dict[str, list[tuple[Any, ...]]]
) -> None:
    """Found by discovery, then gone (or replaced by a folder) before being read: reported with a
    Chinese reason, the run goes on."""
    inp = valid_input(tmp_path / "input")
    gone_xlsx = inp / "新民社区花名册_已删除.xlsx"
    shutil.copy2(DEMO_INPUT / VALID[0], gone_xlsx)
    gone_csv = inp / "新民社区花名册_已删除.csv"
    gone_csv.write_text(roster_csv(people(3)), encoding="utf-8")
    became_dir = inp / "新民社区花名册_变成文件夹.xlsx"
    shutil.copy2(DEMO_INPUT / VALID[0], became_dir)
    real_discover = load.discover

    def discover_then_vanish(input_dir: Path, exclude: Any = ()) -> tuple[list[Path], list[Any]]:
        found = real_discover(input_dir, exclude)
        gone_xlsx.unlink()
        gone_csv.unlink()
        became_dir.unlink()
        became_dir.mkdir()
        return found

    monkeypatch.setattr(isolate, "discover", discover_then_vanish)
    start = time.monotonic()
    result = CliRunner().invoke(
        main, ["run", "--input", str(inp), "--output", str(tmp_path / "output"), "--as-of", AS_OF, "--config", str(CONFIG)]
    )
    assert result.exit_code == 0 and "Traceback" not in result.output, result.output
    assert time.monotonic() - start < 30
    summary = json.loads((tmp_path / "output" / AS_OF / "summary.json").read_text(encoding="utf-8"))
    acc = summary["accounting"]
    assert acc["input_rows"] == acc["accepted_rows"] + acc["rejected_rows"]
    files = {f["file"]: f for f in summary["files"]}
    for victim in (gone_xlsx, gone_csv, became_dir):
        entry = files[victim.name]
        assert not entry["readable"] and entry["sheets"] == []
        assert entry["error"] and CJK.search(entry["error"]), entry
    assert sheet_stats(summary, VALID) == baseline


def _in_child_as_nobody(fn: Callable[[], Any]) -> Any:
    """Run ``fn`` in a forked child that dropped root to nobody (65534); returns its result."""
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - the child
        try:
            os.close(read_end)
            try:
                os.setgroups([])
                os.setgid(65534)
                os.setuid(65534)
                payload = pickle.dumps(("ok", fn()))
            except BaseException as exc:  # noqa: BLE001 - reported to the parent
                payload = pickle.dumps(("failed", repr(exc)))
            with os.fdopen(write_end, "wb") as fh:
                fh.write(payload)
        finally:
            os._exit(0)
    os.close(write_end)
    with os.fdopen(read_end, "rb") as fh:
        data = fh.read()
    os.waitpid(pid, 0)
    status, value = pickle.loads(data)
    if status != "ok":
        pytest.skip(f"cannot drop root privileges here: {value}")
    return value


def test_unreadable_for_an_unprivileged_user() -> None:
    """What root cannot see end to end (it reads through chmod 000), checked in a child process
    that gave up root: discovery reports the locked folder, reading reports the locked file,
    both in Chinese, nothing raises. (The whole run cannot start as nobody here: the interpreter
    lives under /root.)"""
    if os.name != "posix" or not hasattr(os, "fork"):
        pytest.skip("POSIX only")
    if os.geteuid() != 0:
        pytest.skip("not root: test_links_pipes_and_permissions already sees the permissions end to end")
    base = Path(tempfile.mkdtemp(prefix="screening-perm-"))
    try:
        base.chmod(0o755)
        inp = base / "input"
        inp.mkdir(mode=0o755)
        ok = inp / "新民社区花名册.csv"
        ok.write_text(roster_csv(people(2, start=91_400)), encoding="utf-8")
        locked = inp / "新民社区花名册_无权限.csv"
        locked.write_text(roster_csv(people(2, start=91_500)), encoding="utf-8")
        locked_dir = inp / "无权限文件夹"
        locked_dir.mkdir()
        (locked_dir / "a.csv").write_text("a,b\n", encoding="utf-8")
        ok.chmod(0o644)
        locked.chmod(0)
        locked_dir.chmod(0)

        def discover_and_read() -> tuple[list[Path], list[Any], list[FileResult]]:
            paths, problems = load.discover(inp)
            return paths, problems, [load.read_file(p, inp, Limits()) for p in paths]

        paths, problems, results = _in_child_as_nobody(discover_and_read)
        assert sorted(p.name for p in paths) == [ok.name, locked.name]
        (walk,) = [p for p in problems if p.code == "walk_error"]
        assert walk.file == "无权限文件夹" and walk.severity == Severity.WARNING and CJK.search(walk.message)
        by_name = {r.path: r for r in results}
        assert by_name[ok.name].readable
        bad = by_name[locked.name]
        assert not bad.readable and [p.code for p in bad.problems] == ["unreadable"]
        assert CJK.search(bad.problems[0].message) and "权限" in bad.problems[0].fix
    finally:
        for path in (base / "input" / "无权限文件夹", base / "input" / "新民社区花名册_无权限.csv"):
            with contextlib.suppress(OSError):
                path.chmod(0o755)
        shutil.rmtree(base, ignore_errors=True)


# ---------------------------------------------------------------------------------------------
# The third-party corpus, all at once


def test_third_party_corpus_end_to_end(third_party: Path, tmp_path: Path) -> None:
    """Every file of ../shared/fixtures/third_party (real-world and deliberately broken
    workbooks from other projects' test suites) in one input folder, one run."""
    inp = tmp_path / "input"
    shutil.copytree(third_party, inp, symlinks=True)
    with deadline(240):
        run = run_pipeline(inp, tmp_path / "output")
    files = run.summary["files"]
    assert len(files) > 300
    unexplained = [
        (f["file"], f["error"]) for f in files if not f["readable"] and not (f["error"] and CJK.search(f["error"]))
    ]
    assert not unexplained, unexplained
    assert run.summary["as_of"] == dt.date(2020, 12, 31).isoformat()
