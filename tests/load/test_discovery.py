"""Which files are inputs, and what was skipped and why (pipeline.load.discovery)."""

from __future__ import annotations

import os
from pathlib import Path

from pipeline.load import discover
from pipeline.problems import Severity
from tests.load.helpers import CJK, make_roster_xlsx, symlink_or_skip


def test_discover_skips_and_reports(tmp_path: Path) -> None:
    inp = tmp_path / "input"
    (inp / "b社区").mkdir(parents=True)
    (inp / "output").mkdir()
    (inp / ".git").mkdir()
    make_roster_xlsx(inp / "a.xlsx")
    make_roster_xlsx(inp / "b社区" / "c.xlsx")
    (inp / "~$a.xlsx").write_bytes(b"lock")
    (inp / ".~c.xlsx").write_bytes(b"lock")
    (inp / ".x.xlsx").write_bytes(b"hidden")
    (inp / ".git" / "config").write_text("x")
    (inp / "output" / "汇总.xlsx").write_bytes(b"ours")
    outside = tmp_path / "secret.csv"
    outside.write_text("a,b\n", encoding="utf-8")
    symlink_or_skip(inp / "link.csv", outside)
    symlink_or_skip(inp / "dup.xlsx", inp / "a.xlsx")
    paths, problems = discover(inp, exclude=[inp / "output"])
    assert [p.relative_to(inp).as_posix() for p in paths] == ["a.xlsx", "b社区/c.xlsx"]
    by_file = {p.file: p for p in problems}
    assert by_file["~$a.xlsx"].code == "skipped_lock"
    assert by_file[".~c.xlsx"].code == "skipped_lock"
    assert by_file[".x.xlsx"].code == "skipped_hidden"
    assert by_file[".git"].code == "skipped_hidden"
    assert by_file["output"].code == "skipped_excluded"
    assert by_file["link.csv"].code == "symlink_outside"
    assert by_file["dup.xlsx"].code == "symlink_duplicate"
    assert all(p.severity == Severity.NOTE and CJK.search(p.message) for p in problems)
    # Nothing was touched.
    assert (inp / "~$a.xlsx").read_bytes() == b"lock"


def test_discover_missing_folder(tmp_path: Path) -> None:
    paths, problems = discover(tmp_path / "nope")
    assert paths == [] and [p.code for p in problems] == ["input_missing"]


def test_symlink_to_an_unlisted_file_inside_is_read(tmp_path: Path) -> None:
    inp = tmp_path / "in"
    (inp / "sub").mkdir(parents=True)
    real = inp / "sub" / ".真实.csv"  # hidden itself, reachable only through the link
    real.write_text("a,b\n", encoding="utf-8")
    symlink_or_skip(inp / "link.csv", real)
    paths, problems = discover(inp)
    assert [p.name for p in paths] == ["link.csv"]
    assert [p.code for p in problems] == ["skipped_hidden"]
    assert os.path.islink(paths[0])
